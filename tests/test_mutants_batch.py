"""What makes a batch render a briefing again: every input of its bytes is in its input hash,
and nothing else is. Written to kill the mutants of ``briefgen.batch`` that the batch's own
end-to-end tests let live (docs/mutation.md): a changed logo, author or template folder
reported "unchanged" beside a stale PDF."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import briefgen
from briefgen import resources
from briefgen.batch.manifest import (
    CSV_FIELDS,
    KIT_PACKAGES,
    MANIFEST_CSV,
    MANIFEST_JSON,
    RENDER_PACKAGES,
    Item,
    _intact,
    _kit_intact,
    _remove_temporaries,
    assets_hash,
    brand_hash,
    input_hash,
    read_manifest,
    write_manifest,
)
from briefgen.batch.run import BatchOptions, run_batch
from briefgen.batch.sources import load_rows, source_orgs
from briefgen.errors import InputError
from briefgen.load import benchmark_path, load_data, load_org, validate_profile
from briefgen.options import Options
from briefgen.tabular import Row

from .conftest import write_profile


def png() -> bytes:
    """A small real PNG (the logo's checks decode it)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 2), "#0B5D4B").save(buffer, "PNG")
    return buffer.getvalue()


PNG = png()
ORGS = resources.data_dir() / "orgs"
BATCH = Path(__file__).parent / "fixtures" / "batch"
SURVEY = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"


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


def broken_beside(src: Path, profile: dict, **more: dict) -> Path:
    """``src`` with ``profile`` as region-x.yaml, ``more`` by file stem, and a broken profile:
    with --fail-fast the batch stops before it renders, its manifest written."""
    src.mkdir()
    for stem, data in {"region-x": profile, **more}.items():
        (src / f"{stem}.yaml").write_text(yaml.safe_dump(data), "utf-8")
    (src / "broken.yaml").write_text("id: broken\nname: [\n", "utf-8")
    return src


def stopped(src: Path, options: Options, **batch) -> list[Item]:
    """The batch's items, stopped at the broken profile before rendering."""
    return run_batch(src, options, BatchOptions(fail_fast=True, **batch)).items


def test_a_batch_in_a_workspace_finds_each_organisations_review_in_its_language(
        tmp_path, region_x_profile):
    src = broken_beside(tmp_path / "orgs", region_x_profile)
    config = tmp_path / "briefgen.toml"
    config.write_text('[firm]\nname = "Nordkonsult"\n', "utf-8")
    (tmp_path / "reviews").mkdir()
    sv, en = tmp_path / "reviews" / "region-x.yaml", tmp_path / "reviews" / "region-x-en.yaml"

    def recorded(lang: str) -> str:
        (_, item) = stopped(src, Options(out=tmp_path / f"out-{lang}", config=config,
                                         lang=lang))
        assert (item.id, item.status) == ("region-x", "skipped")
        return item.input_hash

    before = {lang: recorded(lang) for lang in ("sv", "en")}
    sv.write_text("org: region-x\n", "utf-8")
    assert recorded("sv") != before["sv"] and recorded("en") == before["en"]
    now = recorded("sv")
    en.write_text("org: region-x\nlang: en\n", "utf-8")
    assert recorded("en") != before["en"] and recorded("sv") == now


def test_in_pdf_a_3b_where_the_profile_lies_is_an_input(tmp_path, region_x_profile):
    """A PDF/A-3b carries its source (file, row) in its attached analysis: a profile moved to
    another file renders the briefing again; a PDF/UA-1 carries only the profile's data."""
    src = broken_beside(tmp_path / "orgs", region_x_profile)
    for variant, moves in (("pdf/a-3b", True), ("pdf/ua-1", False)):
        options = Options(out=tmp_path / variant.replace("/", "-"), pdf_variant=variant)
        before = stopped(src, options)[1].input_hash
        (src / "region-x.yaml").rename(src / "region-x-2026.yaml")
        assert (stopped(src, options)[1].input_hash != before) is moves, variant
        (src / "region-x-2026.yaml").rename(src / "region-x.yaml")


def test_an_earlier_assessment_is_recorded_as_history_not_briefed(tmp_path, region_x_profile):
    earlier = {**region_x_profile, "assessed": "2024-10-01"}
    src = broken_beside(tmp_path / "orgs", region_x_profile, **{"region-x-2024": earlier})
    items = stopped(src, Options(out=tmp_path / "out"))
    assert [(i.id, i.status, i.file) for i in items] == [
        ("", "failed", ""), ("region-x", "history", ""), ("region-x", "skipped", "region-x.pdf")]
    assert items[1].error == (f"{src}/region-x-2024.yaml: an earlier assessment of 'region-x' "
                              f"(2024-10-01); its current profile is {src}/region-x.yaml "
                              "(2026-10-15)")


def test_the_overview_of_a_batch_in_english_is_named_in_english(tmp_path, region_x_profile):
    src = broken_beside(tmp_path / "orgs", region_x_profile)
    out = tmp_path / "out"
    run_batch(src, Options(out=out, lang="en"), BatchOptions(fail_fast=True, overview=True))
    assert sorted(p.name for p in out.glob("*.pdf")) == ["overview-en.pdf"]


def test_a_batch_hands_its_cluster_and_worker_options_to_the_runner(tmp_path, monkeypatch,
                                                                    region_x_profile):
    """Local workers write each PDF where it belongs and restart after the tasks asked for; on
    a Dask cluster the workers may not share this disk: they send the bytes back."""
    from briefgen.batch import runner

    seen = []
    run = runner.Runner.run

    def watched(self, tasks):
        seen.append((self.scheduler, self.max_tasks, [t.path for t in tasks]))
        return run(self, tasks)

    monkeypatch.setattr(runner.Runner, "run", watched)
    monkeypatch.setattr(runner, "DASK_TIMEOUT", 0.5)
    src = tmp_path / "orgs"
    src.mkdir()
    (src / "region-x.yaml").write_text(yaml.safe_dump(region_x_profile), "utf-8")
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"^--scheduler: cannot connect to tcp://127\.0\.0\.1:9"):
        run_batch(src, Options(out=out), BatchOptions(scheduler="tcp://127.0.0.1:9"))
    assert seen == [("tcp://127.0.0.1:9", None, [""])]
    seen.clear()
    result = run_batch(src, Options(out=out), BatchOptions(jobs=1, max_tasks_per_worker=7))
    assert result.items[0].status == "ok"
    assert seen == [(None, 7, [str(out.resolve() / "region-x.pdf")])]


def test_the_same_profile_in_another_key_order_has_the_same_input_hash(bundle,
                                                                       region_x_profile):
    def reordered(value):
        return ({k: reordered(v) for k, v in reversed(list(value.items()))}
                if isinstance(value, dict) else value)

    org = validate_profile(region_x_profile, bundle, "a.csv row 2")
    again = validate_profile(reordered(region_x_profile), bundle, "a.csv row 2")
    assert input_hash(again, "assets", bundle.root) == input_hash(org, "assets", bundle.root)


def test_where_the_earlier_profile_lies_counts_only_when_the_pdf_carries_it(tmp_path,
                                                                            region_x_profile):
    (tmp_path / "region-x-2025.yaml").write_text(yaml.safe_dump(
        {**region_x_profile, "assessed": "2025-10-01"}), "utf-8")
    (tmp_path / "region-x.yaml").write_text(yaml.safe_dump(
        {**region_x_profile, "previous": "region-x-2025.yaml"}), "utf-8")
    bundle = load_data()
    org = load_org(str(tmp_path / "region-x.yaml"), bundle)
    assert org.previous is not None
    moved = org.model_copy(update={"previous": org.previous.model_copy(
        update={"source": "elsewhere/region-x-2025.yaml"})})
    assert input_hash(moved, "a", bundle.root) == input_hash(org, "a", bundle.root)
    assert (input_hash(moved, "a", bundle.root, with_source=True)
            != input_hash(org, "a", bundle.root, with_source=True))


def test_a_further_benchmark_given_by_its_id_is_looked_up_in_the_data_folder(data_dir):
    """An id (not a file) is found in --data's benchmarks/ first: its bytes are hashed."""
    (path,) = (data_dir / "benchmarks").glob("*.yaml")
    options = Options(data=data_dir, extra_benchmarks=(path.stem,))
    before = assets(options)
    assert before != assets(Options(data=data_dir))
    path.write_bytes(path.read_bytes() + b"\n# corrected\n")
    assert assets(options) != before


# --------------------------------------------------------------------------- the manifest


def an_item(**changes) -> Item:
    return Item(**{"id": "alfa", "file": "alfa.pdf", "status": "ok", "row": 2,
                   "source": "kunder.csv row 2", "pages": 17, "bytes": 1234,
                   "sha256": "ab" * 32, "input_hash": "cd" * 32, "benchmark_id": "dt-2018",
                   "benchmark_version": "1", "mtime_ns": 1_700_000_000_000_000_000,
                   "files": "alfa.pdf;alfa.xlsx", **changes})


def test_the_manifest_is_written_for_people_and_for_the_next_run(tmp_path):
    items = [an_item(), an_item(id="=1+2", file="", status="failed", row=3, pages=None,
                                bytes=None, sha256="", mtime_ns=None, files="",
                                error="Malmö stad: row 3: 7 is outside 1-5")]
    info = {"briefgen": "9.9", "input": "/data/kunder.csv", "lang": "sv"}
    write_manifest(tmp_path, items, info)
    text = (tmp_path / MANIFEST_JSON).read_text("utf-8")
    document = dict(info, items=[dataclasses.asdict(i) for i in items])
    assert text == json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    assert "Malmö" in text and '\n "briefgen": "9.9",\n' in text
    raw = (tmp_path / MANIFEST_CSV).read_bytes()
    assert raw.count(b"\r\n") == 3 and raw.endswith(b"\r\n") and b"\n" not in raw.replace(
        b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[0] == CSV_FIELDS
    assert "mtime_ns" not in rows[0] and "source" not in rows[0]
    ok, failed = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert ok == {"id": "alfa", "file": "alfa.pdf", "status": "ok", "error": "", "row": "2",
                  "pages": "17", "bytes": "1234", "sha256": "ab" * 32,
                  "input_hash": "cd" * 32, "benchmark_id": "dt-2018", "benchmark_version": "1",
                  "briefgen_version": briefgen.__version__, "files": "alfa.pdf;alfa.xlsx"}
    assert failed["id"] == "'=1+2"          # a spreadsheet shows it, never runs it
    assert failed["pages"] == failed["bytes"] == "" and failed["row"] == "3"
    assert read_manifest(tmp_path) == {"alfa.pdf": items[0], "": items[1]}


def test_a_later_versions_manifest_is_read_without_the_fields_it_added(tmp_path):
    item = dataclasses.asdict(an_item())
    (tmp_path / MANIFEST_JSON).write_text(json.dumps(
        {"briefgen": "99.0", "items": [{**item, "dpi": 300}]}), "utf-8")
    assert read_manifest(tmp_path) == {"alfa.pdf": an_item()}


@pytest.mark.parametrize(("text", "reason"), [
    ('{"briefgen": "1.0"}', "'items'"),
    ('{"items": [{"id": "alfa"}]}', "Item.__init__() missing 2 required positional "
                                    "arguments: 'file' and 'status'"),
    ('{"items": [', "Expecting value: line 1 column 12 (char 11)"),
])
def test_an_unreadable_manifest_counts_as_none_and_says_so(tmp_path, caplog, text, reason):
    (tmp_path / MANIFEST_JSON).write_text(text, "utf-8")
    with caplog.at_level(logging.WARNING, "briefgen.batch.manifest"):
        assert read_manifest(tmp_path) == {}
    assert caplog.messages == [f"{tmp_path / MANIFEST_JSON} is unreadable ({reason}): "
                               "rendering everything again"]


def test_no_manifest_is_no_earlier_run(tmp_path, caplog):
    assert read_manifest(tmp_path) == {}
    (tmp_path / MANIFEST_JSON).mkdir()
    assert read_manifest(tmp_path) == {} and not caplog.messages


def test_only_the_batchs_own_temporaries_are_removed(tmp_path):
    ours = [".manifest.csv.k2x9.tmp", ".manifest.json.k2x9.tmp", ".manifest.k2x9.tmp",
            ".alfa.pdf.k2x9.tmp", ".alfa-en.pdf.z.tmp"]
    theirs = [".notes.txt.k2x9.tmp", "alfa.pdf.k2x9.tmp", ".alfa.pdf", "manifest.json",
              ".alfa.xlsx.k2x9.tmp", ".Manifest.json.k.tmp", "alfa.pdf", ".alfa.pdf.tmp.x"]
    for name in ours + theirs:
        (tmp_path / name).write_bytes(b"x")
    _remove_temporaries(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(theirs)


def test_a_temporary_gone_meanwhile_is_no_error(tmp_path):
    """Listed, then removed by someone else before the batch removes it."""
    class Stale(type(tmp_path)):
        def glob(self, pattern):
            yield from super().glob(pattern)
            yield self / ".alfa.pdf.gone.tmp"

    (tmp_path / ".alfa.pdf.k.tmp").write_bytes(b"x")
    _remove_temporaries(Stale(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def written(tmp_path) -> tuple[Path, Item]:
    """A PDF on disk and the item an earlier run recorded for it."""
    path = tmp_path / "alfa.pdf"
    path.write_bytes(b"%PDF-1.7 alfa")
    return path, an_item(bytes=13, sha256=hashlib.sha256(b"%PDF-1.7 alfa").hexdigest(),
                         mtime_ns=path.stat().st_mtime_ns, files="alfa.pdf;alfa.xlsx")


def test_a_pdf_as_recorded_is_intact(written):
    path, item = written
    assert _intact(path, item)
    os.utime(path, ns=(item.mtime_ns + 10**9, item.mtime_ns + 10**9))  # touched: same bytes
    assert _intact(path, item)
    assert _intact(path, dataclasses.replace(item, mtime_ns=None))


@pytest.mark.parametrize("change", ["removed", "resized", "changed", "a link", "a folder"])
def test_a_pdf_not_as_recorded_is_not_intact(written, tmp_path, change):
    path, item = written
    if change == "removed":
        path.unlink()
    elif change == "resized":
        path.write_bytes(b"%PDF-1.7 alfa!")
        os.utime(path, ns=(item.mtime_ns, item.mtime_ns))
    elif change == "changed":   # the same size, other bytes, another time
        path.write_bytes(b"%PDF-1.7 beta")
        os.utime(path, ns=(item.mtime_ns + 10**9, item.mtime_ns + 10**9))
    elif change == "a link":    # to the very bytes recorded: still not the PDF written
        path.rename(tmp_path / "real.pdf")
        path.symlink_to(tmp_path / "real.pdf")
    else:
        path.unlink()
        path.mkdir()
    assert not _intact(path, item)


def test_the_kit_is_intact_while_every_file_recorded_is_there(written, tmp_path):
    path, item = written
    assert not _kit_intact(tmp_path, item)
    (tmp_path / "alfa.xlsx").write_bytes(b"PK")
    assert _kit_intact(tmp_path, item)
    assert _kit_intact(tmp_path, dataclasses.replace(item, files=""))
    assert _kit_intact(tmp_path, dataclasses.replace(item, files="alfa.pdf;;alfa.xlsx"))
    path.unlink()
    assert not _kit_intact(tmp_path, item)
    (tmp_path / "alfa.xlsx").unlink()
    (tmp_path / "alfa.xlsx").mkdir()
    assert not _kit_intact(tmp_path, dataclasses.replace(item, files="alfa.xlsx"))


# --------------------------------------------------------------------------- the organisations


def profiles(folder: Path, base: dict, **assessed: str | None) -> None:
    """Profiles of one organisation in ``folder``, by file stem and date (None: no date)."""
    folder.mkdir(exist_ok=True)
    for stem, when in assessed.items():
        profile = {**base, "assessed": when} if when else {
            k: v for k, v in base.items() if k != "assessed"}
        (folder / f"{stem}.yaml").write_text(yaml.safe_dump(profile), "utf-8")


def outcomes(source: Path, bundle) -> list[tuple[str, str, str | None, str]]:
    """(row name, earlier_of, the organisation's id or None, error) of each row."""
    return [(row.name, row.earlier_of, org.id if org else None, error)
            for row, org, error in source_orgs(source, bundle)]


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """The test's folder as the working directory: rows are named relative to it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_organisations_earlier_assessments_are_its_history(here, bundle, region_x_profile):
    kommun_y = yaml.safe_load((ORGS / "kommun-y.yaml").read_text("utf-8"))
    profiles(here / "f", kommun_y, a_kommun_y="2026-01-10")   # alone: briefed
    profiles(here / "f", region_x_profile, b_2024="2024-10-01", c_2026="2026-10-15",
             d_2025="2025-10-01", e_same="2026-10-15")
    rows = outcomes(here / "f", bundle)
    assert rows == [
        ("f/a_kommun_y.yaml", "", "kommun-y", ""),
        ("f/b_2024.yaml", "f/c_2026.yaml", None, "f/b_2024.yaml: an earlier assessment of "
         "'region-x' (2024-10-01); its current profile is f/c_2026.yaml (2026-10-15)"),
        ("f/c_2026.yaml", "", "region-x", ""),
        ("f/d_2025.yaml", "f/c_2026.yaml", None, "f/d_2025.yaml: an earlier assessment of "
         "'region-x' (2025-10-01); its current profile is f/c_2026.yaml (2026-10-15)"),
        ("f/e_same.yaml", "", None, "f/e_same.yaml: id: 'region-x' is also used by "
         "f/c_2026.yaml (assessed the same day)"),
    ]


def test_two_assessments_are_enough_to_be_a_history(here, bundle, region_x_profile):
    profiles(here / "f", region_x_profile, a_2026="2026-10-15", b_2025="2025-10-01")
    profiles(here / "f", {**region_x_profile, "id": "region-q"}, c_2026="2026-10-15",
             d_2025="2025-10-01")
    assert [(name, of, org) for name, of, org, _ in outcomes(here / "f", bundle)] == [
        ("f/a_2026.yaml", "", "region-x"), ("f/b_2025.yaml", "f/a_2026.yaml", None),
        ("f/c_2026.yaml", "", "region-q"), ("f/d_2025.yaml", "f/c_2026.yaml", None)]


def test_with_an_undated_profile_none_of_the_organisations_is_briefed(here, bundle,
                                                                        region_x_profile):
    profiles(here / "f", region_x_profile, a_2026="2026-10-15", b_none=None, c_none=None,
             d_2025="2025-10-01")
    profiles(here / "f", {**region_x_profile, "id": "region-q"}, e_2026="2026-10-15",
             f_2025="2025-10-01")
    why = ("not briefed: f/b_none.yaml is also a profile of 'region-x' and has no valid "
           "assessed date, so which of them is the current one cannot be told")
    rows = outcomes(here / "f", bundle)
    assert rows[0] == ("f/a_2026.yaml", "", None, f"f/a_2026.yaml: {why}")
    assert rows[3] == ("f/d_2025.yaml", "", None, f"f/d_2025.yaml: {why}")
    for name, of, org, error in rows[1:3]:      # each fails with its own reason
        assert (of, org) == ("", None)
        assert error.startswith(f"{name}:") and "assessed: " in error and "not briefed" \
            not in error
    assert rows[4:] == [
        ("f/e_2026.yaml", "", "region-q", ""),
        ("f/f_2025.yaml", "f/e_2026.yaml", None, "f/f_2025.yaml: an earlier assessment of "
         "'region-q' (2025-10-01); its current profile is f/e_2026.yaml (2026-10-15)")]


def test_in_a_sheet_a_repeated_id_is_a_mistake_not_a_history(bundle, region_x_profile):
    """Rows of a sheet are not grouped by date: the second fails, whatever its date."""
    rows = [Row(2, "k.csv row 2", {**region_x_profile, "assessed": "2026-10-15"}),
            Row(3, "k.csv row 3", {**region_x_profile, "assessed": "2025-10-01"}),
            Row(4, "k.csv row 4", None, "k.csv row 4: 23 cells, the header has 22"),
            Row(5, "k.csv row 5", {**region_x_profile, "id": "region-q"})]
    assert [(row.earlier_of, org.id if org else None, error)
            for row, org, error in load_rows(rows, bundle)] == [
        ("", "region-x", ""),
        ("", None, "k.csv row 3: id: 'region-x' is also used by k.csv row 2"),
        ("", None, "k.csv row 4: 23 cells, the header has 22"),
        ("", "region-q", "")]


def test_a_bad_row_gets_its_problems_on_one_line_and_the_others_go_on(bundle,
                                                                      region_x_profile):
    deep: list = []
    for _ in range(3000):   # nested past the recursion limit: unreadable, not a crash
        deep = [deep]
    bad = {**region_x_profile, "importance": "urgent",
           "impact": {**region_x_profile["impact"], "optimise_tasks": 7}}
    rows = [Row(2, "k.csv row 2", bad), Row(3, "k.csv row 3", {**region_x_profile,
                                                               "name": deep}),
            Row(4, "k.csv row 4", region_x_profile)]
    (two, three, four) = list(load_rows(rows, bundle))
    assert two[1] is None and "\n" not in two[2]
    assert two[2].startswith("2 problems:; k.csv row 2: ") and two[2].count("k.csv row 2: ") == 2
    assert "k.csv row 2: impact.optimise_tasks: 7 is outside 1-5" in two[2]
    assert three[1:] == (None, "k.csv row 3: unreadable (RecursionError: maximum recursion "
                               "depth exceeded)")
    assert four[1] is not None and (four[1].id, four[1].source, four[2]) == (
        "region-x", "k.csv row 4", "")


def test_a_rows_previous_is_looked_up_beside_its_sheet(tmp_path, bundle, region_x_profile):
    (tmp_path / "region-x-2025.yaml").write_text(yaml.safe_dump(
        {**region_x_profile, "assessed": "2025-10-01"}), "utf-8")
    sheet = tmp_path / "k.csv"
    rows = [Row(2, "k.csv row 2", {**region_x_profile, "previous": "region-x-2025.yaml"}),
            Row(3, "k.csv row 3", {**region_x_profile, "id": "region-q",
                                   "previous": "missing.yaml"})]
    (two, three) = list(load_rows(rows, bundle, sheet))
    assert two[1].previous is not None and two[1].previous.profile.assessed.year == 2025
    assert two[1].source == "k.csv row 2" and two[2] == ""
    assert three[1] is None and three[2].startswith("k.csv row 3: previous: 'missing.yaml' ")
    # Rows that come from no file cannot name one beside it.
    ((_, org, error),) = load_rows([Row(2, "k.csv row 2", rows[0].data)], bundle)
    assert (org, error) == (None, "k.csv row 2: previous: allowed only in a profile file or a "
                                  "sheet's row")


def test_a_sheet_is_read_as_rows_a_survey_as_organisations(here, bundle):
    shutil.copy(BATCH / "good.csv", here / "k.csv")
    lines = SURVEY.read_text("utf-8").splitlines()
    kommun_b = lines[-1].split(",")
    kommun_b[0:2], kommun_b[6] = ["kommun-b", "Kommun B"], ""   # digital_leadership blank
    (here / "svar.csv").write_text("\n".join([*lines, ",".join(kommun_b)]) + "\n", "utf-8")
    assert outcomes(here / "k.csv", bundle) == [
        (f"k.csv row {n}", "", org, "") for n, org in
        [(2, "alfa"), (3, "bravo"), (4, "charlie"), (5, "delta")]]
    survey = [(row.number, row.name, org.id if org else None, error)
              for row, org, error in source_orgs(here / "svar.csv", bundle)]
    assert sorted(survey) == [(2, "svar.csv (region-x)", "region-x", ""),
                              (7, "svar.csv (kommun-a)", "kommun-a", ""), (
        len(lines) + 1, "svar.csv (kommun-b)", None, "svar.csv: kommun-b (2026-09-01): no "
        "respondent answered digital_leadership; at least one answer per question is needed")]
