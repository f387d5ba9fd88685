"""The workspace: briefgen init, briefgen.toml found and read, option > file > default."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from briefgen.cli import cli
from briefgen.config import (
    contrast_ratio,
    find_config,
    load_config,
    workspace_config,
    workspace_options,
)
from briefgen.errors import InputError
from briefgen.options import DEFAULTS, Options
from briefgen.workspace import CONFIG_TEMPLATE, init_workspace

from .conftest import pdf_text

NORDKONSULT = """\
[firm]
name = "Nordkonsult AB"                       # on the cover, in the footer, as the PDF's author
contact = "analys@nordkonsult.se · 08-123 45 67"   # on the back page

[theme]
primary = "#0B5D4B"      # headings, rules, the organisation's series in every chart
accent = "#B3541E"       # the benchmark series, priority badges

[briefing]
lang = "sv"
benchmark = "dt-offentlig-sektor-2018"
pdf_variant = "pdf/ua-1"
cover_note = "cover-note.md"
disclaimer = "Nordkonsult AB svarar inte för beslut som fattas på detta underlag."
formats = ["pdf"]
"""

NOTE = "# Hej\n\nVi har gått igenom **er självskattning**. <script>alert(1)</script>\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    init_workspace(ws)
    (ws / "briefgen.toml").write_text(NORDKONSULT, "utf-8")
    (ws / "cover-note.md").write_text(NOTE, "utf-8")
    return ws


@pytest.fixture
def in_dir(monkeypatch):
    def go(folder: Path) -> Path:
        monkeypatch.chdir(folder)
        return folder
    return go


def test_init_writes_the_workspace(tmp_path):
    written = init_workspace(tmp_path / "ws")
    names = {p.relative_to(tmp_path / "ws").as_posix() for p in written}
    assert names == {"briefgen.toml", "README.md", "orgs/region-x.yaml"}
    for folder in ("orgs", "benchmarks", "theme"):
        assert (tmp_path / "ws" / folder).is_dir()
    # Every key of the contract is present (commented) in the template, and the template
    # itself is a valid, empty configuration.
    for key in ("name", "contact", "logo", "primary", "accent", "lang", "benchmark",
                "pdf_variant", "cover_note", "disclaimer", "formats", "admin_secret",
                "deck_template", "base_url", "deadline", "privacy", "host", "sender",
                "username", "security", "port"):
        assert f"# {key} = " in CONFIG_TEMPLATE, key
    config = load_config(tmp_path / "ws" / "briefgen.toml")
    assert config.firm.name is None and config.theme.primary is None
    # A second init keeps what is there.
    (tmp_path / "ws" / "briefgen.toml").write_text(NORDKONSULT, "utf-8")
    assert init_workspace(tmp_path / "ws") == []
    assert "Nordkonsult" in (tmp_path / "ws" / "briefgen.toml").read_text("utf-8")


def test_found_in_the_working_folder_and_its_parents(workspace):
    assert find_config(workspace) == workspace / "briefgen.toml"
    deep = workspace / "orgs" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == workspace / "briefgen.toml"
    assert find_config(workspace.parent) is None


def test_cli_finds_the_config_in_a_parent(workspace, in_dir):
    deep = workspace / "theme" / "sub"
    deep.mkdir()
    in_dir(deep)
    result = CliRunner().invoke(cli, ["list"])
    assert result.exit_code == 0, result.output
    assert f"workspace: {workspace / 'briefgen.toml'}" in result.output
    assert "region-x                 regional   Region X" in result.output
    assert str(workspace / "orgs") in result.output          # the workspace's own profile
    assert "kommun-y" in result.output and "shipped" in result.output


def test_config_option_names_the_file(workspace, tmp_path, in_dir):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    in_dir(elsewhere)
    config = str(workspace / "briefgen.toml")
    result = CliRunner().invoke(cli, ["list", "--config", config])
    assert f"workspace: {config}" in result.output
    result = CliRunner().invoke(cli, ["--config", config, "list"])
    assert f"workspace: {config}" in result.output
    missing = CliRunner().invoke(cli, ["list", "--config", str(tmp_path / "none.toml")])
    assert missing.exit_code == 2
    assert "--config:" in missing.output and "not found" in missing.output


def test_option_beats_file_beats_default(workspace, in_dir):
    in_dir(workspace)
    from_file = workspace_options()
    assert from_file.lang == "sv" and from_file.author == "Nordkonsult AB"
    assert from_file.primary == "#0B5D4B" and from_file.accent == "#B3541E"
    assert from_file.data == workspace and from_file.formats == ("pdf",)
    given = workspace_options(lang="en", author="Annan Firma AB", formats=("xlsx",))
    assert given.lang == "en" and given.author == "Annan Firma AB"
    assert given.formats == ("xlsx",) and given.primary == "#0B5D4B"
    (workspace / "briefgen.toml").write_text("[firm]\nname = \"X AB\"\n", "utf-8")
    defaults = workspace_options()
    assert defaults.lang == DEFAULTS.lang and defaults.primary == DEFAULTS.primary
    assert defaults.pdf_variant == DEFAULTS.pdf_variant


def test_cli_option_beats_the_file(workspace, in_dir):
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["make", "--org", "region-x", "--lang", "en",
                                      "--author", "Annan Firma AB", "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(Path("output") / "region-x-en.xlsx")
    assert (workspace / "output" / "region-x-en.xlsx").is_file()
    assert not (workspace / "output" / "region-x.pdf").exists()


def test_no_workspace_works_as_before(tmp_path, in_dir):
    in_dir(tmp_path)
    assert workspace_config() is None
    assert workspace_options() == DEFAULTS


@pytest.mark.parametrize("colour, ratio", [("#B3B3B3", "2.10"), ("#FFCC00", "1.51")])
def test_low_contrast_colour_is_refused(workspace, in_dir, colour, ratio):
    text = NORDKONSULT.replace('accent = "#B3541E"', f'accent = "{colour}"')
    (workspace / "briefgen.toml").write_text(text, "utf-8")
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["make", "--org", "region-x"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "briefgen.toml:7: theme.accent:" in lines[0] and f"{ratio}:1" in lines[0]
    assert "4.5:1" in lines[0] and "Traceback" not in result.output
    assert not (workspace / "output").exists()


def test_contrast_ratio_matches_wcag():
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF") == pytest.approx(1.0)
    assert contrast_ratio("#0B5D4B") > 4.5 and contrast_ratio("#B3541E") > 4.5


@pytest.mark.parametrize("text, message", [
    ("[firm]\nnmae = \"X\"\n", "briefgen.toml:2: firm.nmae: unknown key (allowed in [firm]: "
                               "name, contact, logo, deck_template)"),
    ("[theme]\nprimary = \"green\"\n", "theme.primary: 'green' is not a colour"),
    ("[briefing]\nformats = [\"pdf\", \"docx\"]\n", "briefing.formats.1:"),
    ("[briefing\nlang = 1\n", "malformed TOML"),
    ("[briefing]\ncover_note = \"missing.md\"\n", "briefing.cover_note: 'missing.md' not found"),
])
def test_bad_config_is_one_line_per_problem(workspace, in_dir, text, message):
    (workspace / "briefgen.toml").write_text(text, "utf-8")
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["validate", "--org", "region-x"])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_serve_table_is_allowed(workspace):
    path = workspace / "briefgen.toml"
    path.write_text(NORDKONSULT + '\n[serve]\nadmin_secret = "s3cret"\ndatabase = "a.sqlite"\n'
                    'host = "127.0.0.1"\nport = 8080\n', "utf-8")
    config = load_config(path)
    assert config.serve.admin_secret == "s3cret" and config.serve.port == 8080
    path.write_text('[serve]\nport = 0\n', "utf-8")
    with pytest.raises(InputError, match="serve.port"):
        load_config(path)


def test_branded_briefing(workspace, in_dir):
    """Firm in the footer and as author, the letter escaped, the back page, no 'briefgen'."""
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["make", "--org", "region-x"])
    assert result.exit_code == 0, result.output
    path = workspace / "output" / "region-x.pdf"
    reader = PdfReader(path)
    assert reader.metadata.author == "Nordkonsult AB"
    assert reader.metadata.creator.startswith("briefgen")         # metadata only
    pages = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(pages[1:], 2):
        assert "Nordkonsult AB · Region X" in text, number
        assert f"Sida {number} av {len(pages)}" in text
    text = "\n".join(pages)
    assert "briefgen" not in text.lower()
    assert "<script>alert(1)</script>" in text                    # shown, not run
    assert "Till läsaren från Nordkonsult AB" in pages[1]
    assert "Hej" in pages[1] and "er självskattning" in pages[1]
    back = pages[-1]
    assert "analys@nordkonsult.se · 08-123 45 67" in back
    assert "Nordkonsult AB svarar inte för beslut" in back
    assert "Så togs underlaget fram" in back


def test_no_firm_no_briefgen_on_any_page(rendered):
    for (org, lang), path in rendered.items():
        reader = PdfReader(path)
        pages = [page.extract_text() for page in reader.pages]
        assert "briefgen" not in "\n".join(pages).lower(), (org, lang)
        name = pages[0].splitlines()
        footer = pages[4].splitlines()
        word = "Sida" if lang == "sv" else "Page"
        assert f"{word} 5 {'av' if lang == 'sv' else 'of'} {len(pages)}" in pages[4]
        assert not any("briefgen" in line for line in footer + name)
        assert reader.metadata.author in (None, "")


def test_cover_note_markdown_has_no_html(workspace):
    from briefgen.brand import markdown_html

    html = markdown_html("# Title\n\n<script>x()</script>\n\n![img](file:///etc/passwd)\n\n"
                         "[link](javascript:alert(1))")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "javascript:" not in html.replace("[link](javascript", "")
    assert "<h3>Title</h3>" in html                               # below the letter's h2


@pytest.mark.parametrize("lines, key", [
    ('[briefing]\ncover_note = "../../../../../../etc/passwd"\n', "briefing.cover_note"),
    ('[briefing]\ncover_note = "/etc/passwd"\n', "briefing.cover_note"),
    ('[briefing]\ncover_note = { sv = "cover-note.md", en = "../../etc/passwd" }\n',
     "briefing.cover_note.en"),
    ('[briefing.cover_note]\nsv = "cover-note.md"\nen = "/etc/hostname"\n',
     "briefing.cover_note.en"),
    ('[firm]\nlogo = "../../logo.png"\n', "firm.logo"),
    ('[firm]\ndeck_template = "/etc/passwd"\n', "firm.deck_template"),
    ('[briefing]\ncover_note = "theme/escape.md"\n', "briefing.cover_note"),
])
def test_firm_files_outside_the_workspace_are_refused(workspace, in_dir, lines, key):
    """Issue 22: a cover note named ../../etc/passwd printed that file in the PDF."""
    (workspace / "theme" / "escape.md").symlink_to("/etc/passwd")   # a link leading out
    (workspace / "briefgen.toml").write_text(lines, "utf-8")
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["make", "--org", "region-x", "--format", "pptx"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith("Error: briefgen.toml:")
    assert f" {key}: " in lines[0] and "allowed: " in lines[0]
    assert "outside the workspace" in lines[0] or "leads outside" in lines[0]
    assert "root:" not in result.output and not (workspace / "output").exists()


def test_python_api_reads_no_firm_file_outside_the_workspace(tmp_path, in_dir):
    from briefgen.options import Options
    from briefgen.pipeline import Briefgen

    in_dir(tmp_path)
    for options in (Options(out=tmp_path, cover_note="/etc/passwd"),
                    Options(out=tmp_path, cover_note={"sv": "../../etc/passwd"}),
                    Options(out=tmp_path, deck_template="../firm.pptx", formats=("pptx",)),
                    Options(out=tmp_path, firm_logo="../logo.png", author="X AB")):
        with pytest.raises(InputError, match="outside the workspace"):
            Briefgen(options).make("kommun-y")


def test_unknown_language_of_a_cover_note(workspace, in_dir):
    (workspace / "briefgen.toml").write_text(
        '[briefing]\ncover_note = { sv = "cover-note.md", de = "brief.md" }\n', "utf-8")
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["validate", "--org", "region-x"])
    assert result.exit_code == 2
    assert "briefgen.toml:2: briefing.cover_note.de: unknown key" in result.output


LETTER_SV = "Till ledningen,\n\nHär är vår genomgång.\n\nVänliga hälsningar,\nAnna Lindqvist\n" \
            "partner Nordkonsult AB\n"
LETTER_EN = "To the leadership,\n\nHere is our review.\n\nKind regards,\nAnna Lindqvist\n" \
            "Partner, Nordkonsult AB\n"


def test_cover_note_and_disclaimer_per_language(workspace, in_dir):
    """Each language its own letter and disclaimer, the letter's line breaks kept; one plain
    value is the workspace's language, so an English briefing carries no Swedish from it."""
    (workspace / "note-sv.md").write_text(LETTER_SV, "utf-8")
    (workspace / "note-en.md").write_text(LETTER_EN, "utf-8")
    (workspace / "briefgen.toml").write_text(
        '[firm]\nname = "Nordkonsult AB"\n[briefing]\n'
        'cover_note = { sv = "note-sv.md", en = "note-en.md" }\n'
        'disclaimer = { sv = "Ett diskussionsunderlag, ingen revision.", '
        'en = "A basis for discussion, not an audit." }\n', "utf-8")
    in_dir(workspace)
    for lang in ("sv", "en"):
        result = CliRunner().invoke(cli, ["make", "--org", "region-x", "--lang", lang])
        assert result.exit_code == 0, result.output
    sv = [p.extract_text() for p in PdfReader(workspace / "output" / "region-x.pdf").pages]
    en = [p.extract_text() for p in PdfReader(workspace / "output" / "region-x-en.pdf").pages]
    assert "Vänliga hälsningar,\nAnna Lindqvist\npartner Nordkonsult AB" in sv[1]
    assert "Kind regards,\nAnna Lindqvist\nPartner, Nordkonsult AB" in en[1]
    assert "Ett diskussionsunderlag, ingen revision." in sv[-1]
    assert "A basis for discussion, not an audit." in en[-1]
    assert "Vänliga" not in "".join(en) and "Kind regards" not in "".join(sv)
    # One plain value: the workspace's language (sv) only.
    from briefgen.brand import brand_context
    from briefgen.options import Options

    (workspace / "briefgen.toml").write_text(
        '[firm]\nname = "Nordkonsult AB"\n[briefing]\ncover_note = "note-sv.md"\n'
        'disclaimer = "Ett diskussionsunderlag, ingen revision."\n', "utf-8")
    options = workspace_options(lang="en")
    assert options.cover_note == {"sv": "note-sv.md"}
    english, swedish = brand_context(options, "en"), brand_context(options, "sv")
    assert english["cover_note_html"] is None and english["firm"]["disclaimer"] is None
    assert "Vänliga hälsningar,<br />" in swedish["cover_note_html"]
    assert swedish["firm"]["disclaimer"] == "Ett diskussionsunderlag, ingen revision."
    # From Python, one plain value is in the options' language.
    plain = Options(cover_note="note-sv.md", disclaimer="Ingen revision.", lang="sv",
                    config=workspace / "briefgen.toml")
    assert brand_context(plain, "en")["cover_note_html"] is None
    assert brand_context(plain, "en")["firm"]["disclaimer"] is None
    assert brand_context(plain, "sv")["firm"]["disclaimer"] == "Ingen revision."


@pytest.fixture(scope="session")
def wheel_site(tmp_path_factory) -> Path:
    """briefgen built as a wheel and installed (without its dependencies) into a folder: once."""
    root = Path(__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        pytest.skip("not run from a source checkout")
    folder = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                            str(folder / "dist"), str(root)], capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next((folder / "dist").glob("briefgen-*.whl"))
    site = folder / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                              "--target", str(site), str(wheel)], capture_output=True,
                             text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    return site


def test_workspace_flow_after_a_regular_install(wheel_site, tmp_path):
    """init, benchmark build into benchmarks/, make --benchmark ID: from the wheel's copy."""
    import os

    env = dict(os.environ, PYTHONPATH=str(wheel_site))
    run = [sys.executable, "-m", "briefgen"]

    def briefgen(*args: str, cwd: Path) -> str:
        result = subprocess.run([*run, *args], cwd=cwd, env=env, capture_output=True,
                                text=True, timeout=240)
        assert result.returncode == 0, (args, result.stderr)
        return result.stdout

    where = subprocess.run([sys.executable, "-c", "import briefgen; print(briefgen.__file__)"],
                           env=env, capture_output=True, text=True, cwd=tmp_path)
    assert where.stdout.startswith(str(wheel_site))           # the wheel, not the checkout
    briefgen("init", "ws", cwd=tmp_path)
    ws = tmp_path / "ws"
    survey = Path(__file__).parent / "fixtures" / "survey" / "answers.csv"
    lines = survey.read_text("utf-8").splitlines()
    rows = [lines[0]] + [f"{o}-{k},{n} {k},{rest}" for k in range(5)
                         for o, n, rest in (line.split(",", 2) for line in lines[1:])]
    (ws / "survey.csv").write_text("\n".join(rows) + "\n", "utf-8")
    briefgen("benchmark", "build", "survey.csv", "--name", "Kunder 2026", "--out",
             "benchmarks/kunder-2026.yaml", cwd=ws)
    assert "kunder-2026" in briefgen("list", cwd=ws)
    out = briefgen("make", "--org", "region-x", "--benchmark", "kunder-2026", cwd=ws)
    assert out.strip() == str(Path("output") / "region-x.pdf")
    assert "Kunder 2026" in pdf_text(ws / "output" / "region-x.pdf")


def test_overview_carries_the_firm_not_briefgen(workspace, in_dir):
    import shutil

    from briefgen import resources

    shutil.copy(Path(__file__).parent / "fixtures" / "hostile" / "logo.svg",
                workspace / "theme" / "logo.svg")
    (workspace / "briefgen.toml").write_text(
        NORDKONSULT.replace('[theme]', 'logo = "theme/logo.svg"\n\n[theme]'), "utf-8")
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["overview", str(resources.data_dir() / "orgs"), "-o",
                                      "overview.pdf"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(workspace / "overview.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert all("Nordkonsult AB" in text for text in pages)
    assert "briefgen" not in "\n".join(pages).lower()
    # The firm's cover and back page, each with its logo.
    assert "SAMMANSTÄLLD AV Nordkonsult AB" in pages[0]
    assert "Digital transformation i portföljen" in pages[0]
    assert "Om översikten" in pages[-1] and "analys@nordkonsult.se" in pages[-1]
    assert "Nordkonsult AB svarar inte för beslut" in pages[-1]
    for page in (reader.pages[0], reader.pages[-1]):
        assert page.images or "/XObject" in page["/Resources"]
    # Each running head names the section the page is in, not one starting lower down
    # (pdftotext: the head is an artifact, which pypdf leaves out).
    titles = ["Spridning per förmåga och effektområde", "Var verksamheterna står på "
              "mognadskurvan", "Alla skattningar", "Om översikten"]
    current, bodies = None, []
    for number in range(2, len(pages) + 1):
        lines = [line for line in subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(workspace / "overview.pdf"),
             "-"], capture_output=True, text=True, check=True).stdout.splitlines() if line]
        head, body = lines[0], lines[1:]
        bodies.append(body)
        if body[0] in titles:
            current = body[0]
        assert head == current, (number, head, current)
        current = next((t for t in reversed(titles) if t in body), current)
    # The phase table stays with its section's heading and chart.
    table = next(body for body in bodies if "Fas" in body and "Antal" in body)
    assert titles[1] in table


def test_firm_logo_on_the_cover_the_back_page_and_the_deck(workspace, in_dir):
    import io
    import shutil

    from pptx import Presentation

    fixtures = Path(__file__).parent / "fixtures" / "hostile"
    shutil.copy(fixtures / "logo.svg", workspace / "theme" / "logo.svg")
    text = NORDKONSULT.replace('[theme]', 'logo = "theme/logo.svg"\n\n[theme]')
    (workspace / "briefgen.toml").write_text(text, "utf-8")
    in_dir(workspace)
    result = CliRunner().invoke(cli, ["make", "--org", "region-x", "--format", "pdf",
                                      "--format", "pptx"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(workspace / "output" / "region-x.pdf")
    for page in (reader.pages[0], reader.pages[-1]):
        assert page.images or "/XObject" in page["/Resources"]
    deck = Presentation(io.BytesIO((workspace / "output" / "region-x.pptx").read_bytes()))
    logo = [s for s in deck.slides[0].shapes if s.shape_type == 13]
    assert len(logo) == 1
    assert logo[0]._element.nvPicPr.cNvPr.get("descr") == "Logotyp för Nordkonsult AB"
    # A logo that refers outside itself is refused like a profile's.
    shutil.copy(fixtures / "external-ref.svg", workspace / "theme" / "logo.svg")
    refused = CliRunner().invoke(cli, ["make", "--org", "region-x"])
    assert refused.exit_code == 2 and "firm.logo" in refused.output


@pytest.mark.parametrize("colour, ok", [("#767676", True), ("#777777", False)])
def test_the_python_api_checks_colours_at_the_wcag_threshold(tmp_path, colour, ok):
    """Options built in Python (no briefgen.toml) get the same check: 4.5:1 on white, exactly
    (#767676 is 4.54:1, #777777 4.48:1)."""
    from briefgen.pipeline import Briefgen

    bg = Briefgen(Options(out=tmp_path, primary=colour, accent=colour, formats=("xlsx",)))
    if ok:
        assert bg.make("kommun-y").files
    else:
        with pytest.raises(InputError, match=r"theme.primary: #777777 gives text a contrast of "
                                             r"4.48:1 on white; at least 4.5:1"):
            bg.make("kommun-y")
