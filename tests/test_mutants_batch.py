"""What makes a batch render a briefing again: every input of its bytes is in its input hash,
and nothing else is. Written to kill the mutants of ``briefgen.batch`` that the batch's own
end-to-end tests let live (docs/mutation.md): a changed logo, author or template folder
reported "unchanged" beside a stale PDF."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import briefgen
from briefgen.batch.manifest import (
    KIT_PACKAGES,
    RENDER_PACKAGES,
    assets_hash,
    brand_hash,
    input_hash,
)
from briefgen.batch.run import BatchOptions, run_batch
from briefgen.load import benchmark_path, load_data, load_org
from briefgen.options import Options

from .conftest import write_profile


def png() -> bytes:
    """A small real PNG (the logo's checks decode it)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 2), "#0B5D4B").save(buffer, "PNG")
    return buffer.getvalue()


PNG = png()


@pytest.fixture(scope="module")
def bundle():
    return load_data()


def assets(options: Options, bundle=None) -> str:
    bundle = bundle or load_data(options.data)
    return assets_hash(options, bundle, benchmark_path(options.benchmark, bundle).resolve())


# --------------------------------------------------------------------------- assets


def test_the_assets_hash_is_the_same_for_the_same_input(bundle):
    assert assets(Options(), bundle) == assets(Options(), bundle)
    assert len(assets(Options(), bundle)) == 64


@pytest.mark.parametrize("change", [
    {"author": "Nordkonsult AB"}, {"lang": "en"}, {"pdf_variant": "pdf/a-3b"},
    {"contact": "analys@nordkonsult.se"}, {"primary": "#0B5D4B"}, {"accent": "#8A3A0E"},
    {"formats": ("pdf", "xlsx")}, {"disclaimer": "Underlaget bygger på självskattning."},
    {"disclaimer": {"sv": "Självskattning.", "en": "Self-assessment."}},
    {"cover_note": "brev.md"}, {"firm_logo": "logo.png"}, {"deck_template": "mall.pptx"},
], ids=lambda c: next(iter(c)))
def test_every_option_a_briefing_shows_changes_the_assets_hash(bundle, change):
    assert assets(Options(**change), bundle) != assets(Options(), bundle)


def test_a_second_author_or_disclaimer_gives_another_hash_than_the_first(bundle):
    """Each value is hashed, not only whether there is one."""
    one = assets(Options(author="Nordkonsult AB", disclaimer="A"), bundle)
    assert assets(Options(author="Konsultbolaget AB", disclaimer="A"), bundle) != one
    assert assets(Options(author="Nordkonsult AB", disclaimer="B"), bundle) != one
    assert assets(Options(disclaimer={"sv": "A", "en": "B"}), bundle) != assets(
        Options(disclaimer={"sv": "A", "en": "C"}), bundle)


def test_the_template_folders_files_are_in_the_assets_hash(bundle, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    partial = folder / "_cover.html"
    partial.write_text("<h1>{{ org.name }}</h1>", "utf-8")
    options = Options(templates=folder)
    before = assets(options, bundle)
    assert before != assets(Options(), bundle)
    assert assets(options, bundle) == before
    partial.write_text("<h1>{{ org.name }} </h1>", "utf-8")
    edited = assets(options, bundle)
    assert edited != before
    partial.rename(folder / "_back.html")          # the same bytes as another partial
    assert assets(options, bundle) not in (before, edited)
    (folder / "css").mkdir()
    (folder / "css" / "extra.css").write_text("h1 { color: black }", "utf-8")
    assert assets(options, bundle) != edited


def test_the_data_folders_files_are_in_the_assets_hash(data_dir):
    options = Options(data=data_dir)
    before = assets(options)
    for name in ("framework.yaml", "recommendations.yaml", "rules.yaml", "texts.yaml"):
        path = data_dir / name
        path.write_bytes(path.read_bytes() + b"\n# edited\n")
        after = assets(options)
        assert after != before, name
        before = after


def test_the_benchmark_files_bytes_are_in_the_assets_hash(data_dir):
    options = Options(data=data_dir)
    before = assets(options)
    (path,) = [p for p in (data_dir / "benchmarks").glob("*.yaml")
               if p.resolve() == benchmark_path(None, load_data(data_dir)).resolve()]
    path.write_bytes(path.read_bytes() + b"\n# edited\n")
    assert assets(options) != before


def test_a_further_benchmarks_file_is_in_the_assets_hash(bundle, tmp_path):
    """A peer benchmark given beside the primary one (the Python API's extra_benchmarks)."""
    extra = tmp_path / "kunder-2026.yaml"
    extra.write_bytes(benchmark_path(None, bundle).read_bytes())
    options = Options(extra_benchmarks=(str(extra),))
    before = assets(options, bundle)
    assert before != assets(Options(), bundle)
    extra.write_bytes(extra.read_bytes() + b"\n# corrected\n")
    assert assets(options, bundle) != before


def test_source_date_epoch_is_in_the_assets_hash(bundle, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = assets(Options(), bundle)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert assets(Options(), bundle) != before


@pytest.mark.parametrize("package", RENDER_PACKAGES + KIT_PACKAGES)
def test_a_new_version_of_a_package_that_draws_the_briefing_changes_the_hash(
        bundle, tmp_path, monkeypatch, package):
    before = assets(Options(), bundle)
    info = tmp_path / f"{package.replace('-', '_')}-999.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 999.0\n",
                                   "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert assets(Options(), bundle) != before


def test_the_assets_hash_does_not_depend_on_the_process(data_dir):
    """Two runs of a batch with its own data folder agree (no set order, no object ids)."""
    texts = data_dir / "texts.yaml"
    texts.write_bytes(texts.read_bytes() + b"\n# the firm's own wording\n")
    code = ("import sys; from briefgen.batch.manifest import assets_hash; "
            "from briefgen.load import benchmark_path, load_data; "
            "from briefgen.options import Options; b = load_data(sys.argv[1]); "
            "print(assets_hash(Options(data=sys.argv[1]), b, benchmark_path(None, b).resolve()))")
    # Eight processes, each with its own string hashing: a set's order would differ in some.
    # They import the briefgen this process runs (under mutmut: the mutated copy).
    env = {**os.environ, "PYTHONPATH": str(Path(briefgen.__file__).parent.parent)}
    runs = [subprocess.Popen([sys.executable, "-c", code, str(data_dir)], stdout=subprocess.PIPE,
                             env={**env, "PYTHONHASHSEED": str(seed)}, text=True)
            for seed in range(8)]
    hashes = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert hashes == {assets(Options(data=data_dir))}


# --------------------------------------------------------------------------- brand


@pytest.fixture
def workspace(tmp_path) -> Path:
    ws = tmp_path / "ws"
    (ws / "theme").mkdir(parents=True)
    (ws / "logo.png").write_bytes(PNG)           # outside theme/, hashed as the logo
    (ws / "theme" / "fonts.css").write_text("/* the firm's */", "utf-8")
    (ws / "brev.md").write_text("Hej!", "utf-8")
    (ws / "brev-en.md").write_text("Hello!", "utf-8")
    (ws / "mall.pptx").write_bytes(b"PK not really a deck")
    (ws / "briefgen.toml").write_text('[firm]\nname = "Nordkonsult AB"\n', "utf-8")
    return ws


def branded(ws: Path, **changes) -> Options:
    return Options(config=ws / "briefgen.toml", firm_logo="logo.png",
                   cover_note={"sv": "brev.md", "en": "brev-en.md"},
                   deck_template="mall.pptx").with_(**changes)


@pytest.mark.parametrize("name", ["logo.png", "theme/fonts.css", "brev.md", "brev-en.md",
                                  "mall.pptx", "briefgen.toml"])
def test_every_file_of_the_workspaces_brand_is_in_the_brand_hash(workspace, name):
    options = branded(workspace)
    before = brand_hash(options)
    assert brand_hash(options) == before
    path = workspace / name
    path.write_bytes(path.read_bytes() + b" ")
    assert brand_hash(options) != before


def test_a_cover_note_given_once_is_hashed_by_its_bytes(workspace):
    options = branded(workspace, cover_note="brev.md")
    before = brand_hash(options)
    (workspace / "brev.md").write_text("Hej igen!", "utf-8")
    assert brand_hash(options) != before


def test_a_theme_folder_counts_only_in_a_workspace(tmp_path, monkeypatch):
    """Without briefgen.toml nothing of the working directory's theme/ reaches a briefing."""
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "fonts.css").write_text("a", "utf-8")
    monkeypatch.chdir(tmp_path)
    before = brand_hash(Options())
    (tmp_path / "theme" / "fonts.css").write_text("b", "utf-8")
    assert brand_hash(Options()) == before


# --------------------------------------------------------------------------- one organisation


@pytest.fixture
def with_logo(data_dir, region_x_profile):
    """region-x with a logo beside its profile, in a copy of the data folder."""
    (data_dir / "orgs" / "logo.png").write_bytes(PNG)
    write_profile(data_dir, {**region_x_profile, "logo": "logo.png"})
    return data_dir


def test_the_logos_bytes_are_in_the_input_hash(with_logo):
    bundle = load_data(with_logo)
    org = load_org("region-x", bundle)
    before = input_hash(org, "assets", bundle.root)
    assert input_hash(org, "assets", bundle.root) == before
    (with_logo / "orgs" / "logo.png").write_bytes(PNG + b"\0")
    assert input_hash(org, "assets", bundle.root) != before


def test_a_logo_that_is_refused_is_hashed_by_the_reason(with_logo):
    bundle = load_data(with_logo)
    org = load_org("region-x", bundle)
    (with_logo / "orgs" / "logo.png").unlink()
    missing = input_hash(org, "assets", bundle.root)
    (with_logo / "orgs" / "logo.png").mkdir()          # not a file either: another reason
    assert input_hash(org, "assets", bundle.root) != missing


def test_the_profile_the_assets_and_the_review_are_in_the_input_hash(data_dir,
                                                                    region_x_profile, tmp_path):
    bundle = load_data(data_dir)
    org = load_org("region-x", bundle)
    before = input_hash(org, "assets", bundle.root)
    assert input_hash(org, "other assets", bundle.root) != before
    write_profile(data_dir, {**region_x_profile, "name": "Region X län"})
    assert input_hash(load_org("region-x", bundle), "assets", bundle.root) != before
    review = tmp_path / "region-x.yaml"
    review.write_text("org: region-x\n", "utf-8")
    reviewed = input_hash(org, "assets", bundle.root, review=review)
    assert reviewed != before
    review.write_text("org: region-x\nfindings: []\n", "utf-8")
    assert input_hash(org, "assets", bundle.root, review=review) != reviewed


def test_where_a_profile_lies_counts_only_when_the_pdf_carries_it(data_dir, region_x_profile):
    bundle = load_data(data_dir)
    org = load_org("region-x", bundle)
    moved = org.model_copy(update={"source": "elsewhere/region-x.yaml"})
    assert input_hash(moved, "a", bundle.root) == input_hash(org, "a", bundle.root)
    assert (input_hash(moved, "a", bundle.root, with_source=True)
            != input_hash(org, "a", bundle.root, with_source=True))
    assert input_hash(org, "a", bundle.root, with_source=True) != input_hash(org, "a",
                                                                            bundle.root)


def test_a_review_given_to_a_batch_is_in_the_input_hash(tmp_path, region_x_profile):
    """Options(review=FILE): an edited review renders the briefing again. A broken profile
    and --fail-fast stop the batch before it renders: the manifest records the hashes."""
    src = tmp_path / "orgs"
    src.mkdir()
    (src / "region-x.yaml").write_text(yaml.safe_dump(region_x_profile), "utf-8")
    (src / "broken.yaml").write_text("id: broken\nname: [\n", "utf-8")
    review = tmp_path / "review.yaml"
    review.write_text("org: region-x\n", "utf-8")
    options = Options(out=tmp_path / "out", review=review)

    def recorded() -> str:
        result = run_batch(src, options, BatchOptions(fail_fast=True))
        (item,) = [i for i in result.items if i.id == "region-x"]
        assert item.status == "skipped"
        return item.input_hash

    before = recorded()
    assert recorded() == before
    review.write_text("org: region-x\nfindings: []\n", "utf-8")
    assert recorded() != before
