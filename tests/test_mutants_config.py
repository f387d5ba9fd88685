"""The workspace's briefgen.toml and the firm's brand, function by function: which file and
line a problem names, what each language gets, the contrast rule at its edges. Written to kill
the mutants of ``briefgen.config`` and ``briefgen.brand`` that the rendering tests (not run by
mutmut) and the CLI tests let live (docs/mutation.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from briefgen import brand
from briefgen.brand import (
    Firm,
    brand_context,
    cover_note,
    deck_template,
    disclaimer,
    firm,
    firm_logo,
    in_language,
    markdown_html,
    theme_css,
)
from briefgen.config import (
    MAX_CONFIG_BYTES,
    check_colour,
    contrast_ratio,
    load_config,
    workspace_file,
    workspace_options,
)
from briefgen.errors import InputError
from briefgen.options import ACCENT, PRIMARY, Options

from .test_mutants_batch import PNG


def problems(path: Path) -> list[str]:
    """Every problem load_config reports for ``path``, one per line."""
    with pytest.raises(InputError) as info:
        load_config(path)
    return info.value.problems


@pytest.fixture
def toml(tmp_path, monkeypatch) -> Path:
    """An empty briefgen.toml in a workspace that is the working directory."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "briefgen.toml"
    path.write_text("", "utf-8")
    return path


# --------------------------------------------------------------------------- briefgen.toml


@pytest.mark.parametrize(("text", "expected"), [
    ('[firm]\nname = "X"\n\n[Firm]\nname = "Y"\n',        # a key that starts upper-case
     "briefgen.toml:4: Firm: unknown key (allowed tables: firm, theme, briefing, serve, smtp)"),
    ('[theme]\nprimary = "#0B5D4B"\nbriefing = { lang = "de" }\n',   # an inline table
     "briefgen.toml:3: theme.briefing: unknown key (allowed in [theme]: primary, accent)"),
    ('briefing = { lang = "de" }\n',
     "briefgen.toml:1: briefing.lang: Input should be 'sv' or 'en'"),
    ('[theme]\nPrimary = "#0B5D4B"\n',
     "briefgen.toml:2: theme.Primary: unknown key (allowed in [theme]: primary, accent)"),
    ('[theme]\nprimary = "#0B5D4B"\n[firm]\n  nmae = "X"\n',
     "briefgen.toml:4: firm.nmae: unknown key (allowed in [firm]: name, contact, logo, "
     "deck_template)"),
    ('[briefing.cover_note]\nsv = "a.md"\nde = "b.md"\n',
     "briefgen.toml:3: briefing.cover_note.de: unknown key (allowed in [briefing.cover_note]: "
     "sv, en)"),
    ('[briefing]\ndisclaimer = { sv = "Ansvar.", En = "Liability." }\n',
     "briefgen.toml:2: briefing.disclaimer.En: unknown key (allowed in [briefing.disclaimer]: "
     "sv, en)"),
    ('[briefing]\ncover_note = 5\n',       # neither one value nor a table: one problem
     "briefgen.toml:2: briefing.cover_note: Input should be a string, or a table with one per "
     "language (allowed in [briefing.cover_note]: sv, en)"),
    ('[briefing]\ndisclaimer = [5]\n',
     "briefgen.toml:2: briefing.disclaimer: Input should be a string, or a table with one per "
     "language (allowed in [briefing.disclaimer]: sv, en)"),
    ('[briefing]\ndisclaimer = "' + "x" * 4001 + '"\n',
     "briefgen.toml:2: briefing.disclaimer: String should have at most 4000 characters"),
    ('[serve]\nprivacy = 5\n',
     "briefgen.toml:2: serve.privacy: Input should be a string, or a table with one per "
     "language (allowed in [serve.privacy]: sv, en)"),
    ('[serve.privacy]\nsv = "a.md"\nde = "b.md"\n',
     "briefgen.toml:3: serve.privacy.de: unknown key (allowed in [serve.privacy]: sv, en)"),
    ('[serve]\nprivacy = { sv = 5 }\n',
     "briefgen.toml:2: serve.privacy.sv: Input should be a valid string"),
    ('[firm]\nname = "X"\n\n[serve.x]\nport = 1\n',  # a sub-table of a table: its header
     "briefgen.toml:4: serve.x: unknown key (allowed in [serve]: admin_secret, database, host, "
     "port, base_url, trusted_proxies, deadline, privacy)"),
    ('[briefing]\nlang = "de"\n', "briefgen.toml:2: briefing.lang: Input should be 'sv' or 'en'"),
    ('[serve]\nport = 0\n',
     "briefgen.toml:2: serve.port: Input should be greater than or equal to 1"),
    ('\nfirm = 5\n',                                    # a table given as a value: its line
     "briefgen.toml:2: firm: Input should be a valid dictionary or instance of FirmConfig"),
    ('nmae = "X"\n[firm]\nname = "Y"\n',
     "briefgen.toml:1: nmae: unknown key (allowed tables: firm, theme, briefing, serve, smtp)"),
    ('\nfirm.name = 5\n',                              # a dotted key at the top
     "briefgen.toml:2: firm.name: Input should be a valid string"),
    ('[briefing]\nformats = ["pdf", "docx"]\n',          # a list's item: its index named
     "briefgen.toml:2: briefing.formats.1: Input should be 'pdf', 'pptx', 'xlsx' or 'charts'"),
    ('[theme]\nprimary = "red"\n',                    # a validator's own words, no prefix
     "briefgen.toml:2: theme.primary: 'red' is not a colour (allowed: #RRGGBB, e.g. #0B5D4B)"),
    ('"nmae" = "X"\n',                                # a quoted key: not found, the file named
     "briefgen.toml: nmae: unknown key (allowed tables: firm, theme, briefing, serve, smtp)"),
])
def test_each_problem_names_the_file_line_and_key(toml, text, expected):
    toml.write_text(text, "utf-8")
    found = problems(toml)
    assert expected in found, found
    # the union's branches (str, constrained-str, ...PerLanguage) are no keys of the file
    assert not any(".str:" in p or "constrained-str" in p or "PerLanguage" in p
                   for p in found), found
    if "per language" in expected or "privacy" in expected:   # one problem, not one a branch
        assert found == [expected]


def test_a_value_of_neither_kind_is_one_problem_and_the_next_are_still_named(toml):
    toml.write_text('[briefing]\ncover_note = 5\ndisclaimer = 6\n[serve]\nport = 0\n', "utf-8")
    assert [p.split(": ")[1] for p in problems(toml)] == [
        "briefing.cover_note", "briefing.disclaimer", "serve.port"]


def test_malformed_toml_is_one_line_naming_the_file(toml):
    toml.write_text('[firm]\nname = "X\n', "utf-8")
    with pytest.raises(InputError) as info:
        load_config(toml)
    assert str(info.value).startswith("briefgen.toml: malformed TOML: ")
    assert "\n" not in str(info.value)


def test_every_problem_of_a_file_at_once(toml):
    toml.write_text('[theme]\nprimary = "#DDDDDD"\naccent = "#EEEEEE"\n\n[firm]\n'
                    'logo = "logo.gif"\ndeck_template = "../mall.pptx"\n\n[briefing]\n'
                    'cover_note = { sv = "brev.md", en = "/brev-en.md" }\n', "utf-8")
    found = problems(toml)
    assert [p.split(": ")[0] for p in found] == [
        "briefgen.toml:2", "briefgen.toml:3", "briefgen.toml:6", "briefgen.toml:7",
        "briefgen.toml:10", "briefgen.toml:10"]
    assert found[0].startswith("briefgen.toml:2: theme.primary: #DDDDDD gives text a contrast "
                               "of 1.36:1 on white; at least 4.5:1 is needed")
    assert found[1].startswith("briefgen.toml:3: theme.accent: #EEEEEE gives")
    assert found[2].startswith("briefgen.toml:6: firm.logo: 'logo.gif' is not a PNG, JPEG or "
                               "SVG file (allowed: a PNG, JPEG or SVG file inside ")
    assert found[3].startswith("briefgen.toml:7: firm.deck_template: '../mall.pptx' is outside "
                               "the workspace")
    assert found[4].startswith("briefgen.toml:10: briefing.cover_note.sv: 'brev.md' not found")
    assert found[5].startswith("briefgen.toml:10: briefing.cover_note.en: '/brev-en.md' is "
                               "outside the workspace")


def test_a_cover_note_table_names_the_line_of_its_language(toml):
    toml.write_text('[briefing]\nlang = "en"\n\n[briefing.cover_note]\nsv = "brev.md"\n'
                    'en = "letter.md"\n', "utf-8")
    assert problems(toml) == [
        f"briefgen.toml:5: briefing.cover_note.sv: 'brev.md' not found in {toml.parent} "
        f"(allowed: a Markdown file (.md, .txt) inside {toml.parent}, named relative to it)",
        f"briefgen.toml:6: briefing.cover_note.en: 'letter.md' not found in {toml.parent} "
        f"(allowed: a Markdown file (.md, .txt) inside {toml.parent}, named relative to it)"]


def test_the_privacy_notices_are_checked_as_the_cover_note_is(toml):
    allowed = f"(allowed: a Markdown file (.md, .txt) inside {toml.parent}, named relative to it)"
    toml.write_text('[serve]\nport = 8000\nprivacy = "integritet.md"\n', "utf-8")
    assert problems(toml) == [
        f"briefgen.toml:3: serve.privacy: 'integritet.md' not found in {toml.parent} {allowed}"]
    toml.write_text('[serve.privacy]\nsv = "integritet.md"\nen = "privacy.md"\n', "utf-8")
    (toml.parent / "integritet.md").write_text("# Integritet\n", "utf-8")
    assert problems(toml) == [
        f"briefgen.toml:3: serve.privacy.en: 'privacy.md' not found in {toml.parent} {allowed}"]
    (toml.parent / "privacy.md").write_text("# Privacy\n", "utf-8")
    assert load_config(toml).serve.privacy.model_dump() == {"sv": "integritet.md",
                                                            "en": "privacy.md"}
    toml.write_text('[smtp]\nhost = "smtp.firma.se"\nsender = "Firma AB <enkat@firma.se>"\n',
                    "utf-8")
    config = load_config(toml)
    assert (config.serve, config.smtp.host, config.smtp.security) == (None, "smtp.firma.se",
                                                                      "starttls")


def test_a_colour_given_inline_has_no_line_but_the_file(toml):
    toml.write_text('theme = { primary = "#DDDDDD" }\nfirm = { logo = "a.gif" }\n', "utf-8")
    found = problems(toml)
    assert found[0].startswith("briefgen.toml: theme.primary: #DDDDDD gives text")
    assert found[1].startswith("briefgen.toml: firm.logo: 'a.gif' is not")


def test_a_config_file_too_large_is_refused_by_name(toml):
    toml.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n", "utf-8")
    assert problems(toml) == [f"briefgen.toml: the file is {MAX_CONFIG_BYTES + 3:,} bytes; "
                              f"at most {MAX_CONFIG_BYTES:,} allowed"]


def test_values_of_the_file_become_options(toml):
    (toml.parent / "brev.md").write_text("Hej", "utf-8")
    toml.write_text('[firm]\nlogo = "brev.md"\n', "utf-8")       # any file, checked by suffix
    assert problems(toml)[0].startswith("briefgen.toml:2: firm.logo: 'brev.md' is not a PNG")
    (toml.parent / "logo.png").write_bytes(PNG)
    toml.write_text('[firm]\nlogo = "logo.png"\n\n[briefing]\nlang = "en"\n'
                    'formats = ["pdf", "xlsx", "pdf"]\ncover_note = "brev.md"\n'
                    'disclaimer = { sv = "Ansvar.", en = "" }\n', "utf-8")
    options = workspace_options(start=toml.parent)
    assert options.firm_logo == "logo.png" and options.formats == ("pdf", "xlsx")
    assert options.cover_note == {"en": "brev.md"}                 # in the file's language
    assert options.disclaimer == {"sv": "Ansvar."}                 # an empty one is none
    assert options.data is None                                    # no orgs/ or benchmarks/
    toml.write_text('[briefing]\ncover_note = "brev.md"\n', "utf-8")
    assert workspace_options(start=toml.parent).cover_note == {"sv": "brev.md"}  # Swedish
    toml.write_text('[briefing]\ndisclaimer = { sv = "", en = "" }\n', "utf-8")
    assert workspace_options(start=toml.parent).disclaimer is None


@pytest.mark.parametrize("folder", ["orgs", "benchmarks"])
def test_a_workspace_with_its_own_profiles_or_benchmarks_is_the_data_folder(toml, folder):
    (toml.parent / folder).mkdir()
    assert workspace_options(start=toml.parent).data == toml.parent


def test_the_nearest_config_is_found_from_where_the_search_starts(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    (ws / "orgs" / "deep").mkdir(parents=True)
    (ws / "briefgen.toml").write_text('[firm]\nname = "Nordkonsult AB"\n', "utf-8")
    monkeypatch.chdir(tmp_path)                  # not in the workspace
    assert workspace_options().author is None
    assert workspace_options(start=ws / "orgs" / "deep").author == "Nordkonsult AB"


# --------------------------------------------------------------------------- the firm's files


@pytest.mark.parametrize(("spec", "says"), [
    ("", "is outside the workspace"), ("/etc/passwd", "is outside the workspace"),
    ("C:/brev.md", "is outside the workspace"), ("..\\brev.md", "is outside the workspace"),
    ("a/../../brev.md", "is outside the workspace"), ("brev.html", "is not a Markdown file"),
    ("saknas.md", "not found in"), ("ut.md", "leads outside the workspace"),
])
def test_a_firm_file_is_refused_with_what_is_allowed(tmp_path, spec, says):
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "brev.md").write_text("Hej", "utf-8")
    (root / "ut.md").symlink_to(tmp_path / "brev.md")
    with pytest.raises(InputError) as info:
        workspace_file(root, spec, "briefing.cover_note.en", "briefgen.toml:3")
    assert str(info.value).startswith(f"briefgen.toml:3: briefing.cover_note.en: '{spec}' {says}")
    assert str(info.value).endswith(f"(allowed: a Markdown file (.md, .txt) inside {root}, "
                                    "named relative to it" + (", without '..')" if "outside the"
                                                              in says and "leads" not in says
                                                              else ")"))


def test_a_long_file_name_is_cut_at_80_characters(tmp_path):
    spec = "a" * 100 + ".gif"
    with pytest.raises(InputError) as info:
        workspace_file(tmp_path, spec, "firm.logo", "briefgen.toml:2")
    assert f"'{'a' * 80}' is not a PNG" in str(info.value)
    for bad in ("/" + "b" * 100 + ".png", "c" * 100 + ".png"):
        with pytest.raises(InputError) as info:
            workspace_file(tmp_path, bad, "firm.logo", "briefgen.toml:2")
        assert f"'{bad[:80]}' " in str(info.value)
    (tmp_path / "ut").symlink_to("/")
    long = "ut/" + "d" * 100 + ".png"
    with pytest.raises(InputError, match=f"'{long[:80]}' leads outside"):
        workspace_file(tmp_path, long, "firm.logo", "briefgen.toml:2")


def test_a_file_in_a_subfolder_written_with_backslashes_is_found(tmp_path):
    (tmp_path / "theme").mkdir()
    (tmp_path / "theme" / "brev.md").write_text("Hej", "utf-8")
    assert workspace_file(tmp_path, "theme\\brev.md", "briefing.cover_note", "x") == \
        (tmp_path / "theme" / "brev.md").resolve()


# --------------------------------------------------------------------------- contrast


def test_contrast_follows_wcag_for_dark_light_and_short_colours():
    assert contrast_ratio("#000000") == pytest.approx(21.0)
    assert contrast_ratio("#0A0A0A") == pytest.approx(19.80, abs=0.01)   # the linear segment
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777") == contrast_ratio("#777777")
    assert contrast_ratio("#0F0") == contrast_ratio("#00FF00") == pytest.approx(1.37, abs=0.01)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)


def test_check_colour_names_where_and_the_ratio():
    check_colour("#767676", "x")
    with pytest.raises(InputError) as info:
        check_colour("#777777", "briefgen.toml:7: theme.accent")
    assert str(info.value) == ("briefgen.toml:7: theme.accent: #777777 gives text a contrast of "
                               "4.48:1 on white; at least 4.5:1 is needed (choose a darker "
                               "colour)")


# --------------------------------------------------------------------------- brand


@pytest.fixture
def ws(tmp_path) -> Path:
    """A workspace with a logo, a deck template, a letter per language and briefgen.toml."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "briefgen.toml").write_text("", "utf-8")
    (root / "logo.png").write_bytes(PNG)
    (root / "mall.pptx").write_bytes(b"PK a deck")
    (root / "brev.md").write_text("Hej!\nVi hörs.", "utf-8")
    (root / "letter.md").write_text("# To you\n\nHello!", "utf-8")
    return root


def branded(ws: Path, **changes) -> Options:
    return Options(config=ws / "briefgen.toml", author="Nordkonsult AB",
                   contact="analys@nordkonsult.se", firm_logo="logo.png",
                   deck_template="mall.pptx", primary="#0B5D4B", accent="#8A3A0E",
                   cover_note={"sv": "brev.md", "en": "letter.md"},
                   disclaimer={"sv": "Ansvar.", "en": "Liability."}).with_(**changes)


def test_the_firm_in_each_language(ws):
    options = branded(ws)
    assert firm(options) == Firm(name="Nordkonsult AB", contact="analys@nordkonsult.se",
                                 logo=firm_logo(options), disclaimer="Ansvar.",
                                 primary="#0B5D4B", accent="#8A3A0E")
    assert firm_logo(options).startswith("data:image/png;base64,")
    english = firm(options, "en", with_template=True)
    assert (english.disclaimer, english.deck_template) == ("Liability.", b"PK a deck")
    assert firm(Options()) == Firm(primary=PRIMARY, accent=ACCENT)


def test_the_template_context_of_the_firm_in_each_language(ws):
    context = brand_context(branded(ws), "en")
    assert context["firm"] == {"name": "Nordkonsult AB", "contact": "analys@nordkonsult.se",
                               "logo": firm_logo(branded(ws)), "disclaimer": "Liability."}
    assert context["cover_note_html"] == "<h3>To you</h3>\n<p>Hello!</p>\n"
    assert context["theme_css"] == ("html:root { --navy: #0B5D4B; --copper: #8A3A0E; }")
    swedish = brand_context(branded(ws))
    assert swedish["firm"]["disclaimer"] == "Ansvar."
    assert swedish["cover_note_html"] == "<p>Hej!<br />\nVi hörs.</p>\n"


def test_one_plain_value_is_in_the_options_language_only(ws):
    options = branded(ws, cover_note="brev.md", disclaimer="Ansvar.")
    assert disclaimer(options) == "Ansvar." and disclaimer(options, "en") is None
    assert cover_note(options, "en") is None
    assert "Vi hörs." in cover_note(options)
    english = branded(ws, lang="en", cover_note="letter.md", disclaimer="Liability.")
    assert disclaimer(english) == "Liability." and disclaimer(english, "sv") is None
    assert "Hello!" in cover_note(english) and cover_note(english, "sv") is None
    assert in_language("Ansvar.", "en", "sv") == (None, "sv")
    assert in_language({"sv": "A", "en": ""}, "en", "sv") == (None, "en")


def test_an_edited_cover_note_is_read_again(ws):
    options = branded(ws)
    assert "Vi hörs." in cover_note(options)
    (ws / "brev.md").write_text("Nytt brev.", "utf-8")
    stat = (ws / "brev.md").stat()
    os.utime(ws / "brev.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert "Nytt brev." in cover_note(options)


@pytest.mark.parametrize(("options", "message"), [
    (lambda ws: branded(ws, firm_logo="../logo.png"),
     "briefgen.toml: firm.logo: '../logo.png' is outside the workspace"),
    (lambda ws: Options(firm_logo="../logo.png"),
     "Options: firm.logo: '../logo.png' is outside the workspace"),
    (lambda ws: branded(ws, cover_note={"en": "saknas.md"}),
     "briefgen.toml: briefing.cover_note.en: 'saknas.md' not found"),
    (lambda ws: branded(ws, cover_note="saknas.md", lang="en"),
     "briefgen.toml: briefing.cover_note: 'saknas.md' not found"),
    (lambda ws: branded(ws, deck_template="../mall.pptx"),
     "briefgen.toml: firm.deck_template: '../mall.pptx' is outside"),
])
def test_a_firm_file_problem_names_where_it_was_set(ws, options, message, monkeypatch):
    monkeypatch.chdir(ws.parent)
    opts = options(ws)
    with pytest.raises(InputError) as info:
        firm(opts, "en", with_template=True)
        brand_context(opts, "en")
    assert str(info.value).replace("ws/", "").startswith(message), str(info.value)


def test_files_that_cannot_be_used_are_named_with_their_key(ws, monkeypatch):
    monkeypatch.chdir(ws)
    (ws / "brev.md").write_bytes(b"Hej \xff")
    with pytest.raises(InputError, match=r"^briefgen.toml: briefing.cover_note.sv: brev.md: not "
                                         r"UTF-8 text \(byte 4\)"):
        cover_note(branded(ws))
    (ws / "logo.png").write_bytes(b"not a picture")
    with pytest.raises(InputError, match=r"^briefgen.toml: firm.logo: logo.png is not a "
                                         r"readable PNG image"):
        firm_logo(branded(ws))
    with open(ws / "mall.pptx", "wb") as fh:                      # sparse: nothing written
        fh.truncate(brand.MAX_TEMPLATE_BYTES + 1)
    with pytest.raises(InputError, match=r"^briefgen.toml: firm.deck_template: mall.pptx: the "
                                         r"file is 50,000,001 bytes"):
        deck_template(branded(ws))


def test_no_firm_files_no_firm(ws):
    bare = Options(config=ws / "briefgen.toml")
    assert firm_logo(bare) is None and deck_template(bare) is None
    assert cover_note(bare) is None and disclaimer(bare) is None


def test_a_colour_too_light_is_refused_wherever_the_brand_is_used(ws):
    pale = branded(ws, accent="#999999")
    for use in (firm, brand_context, theme_css):
        with pytest.raises(InputError, match=r"^theme.accent: #999999 gives text a contrast"):
            use(pale)
    with pytest.raises(InputError, match=r"^theme.primary: #AAAAAA"):
        theme_css(branded(ws, primary="#AAAAAA"))


@pytest.mark.parametrize("colour", ["red", "#0B5D4", "#0B5D4BX", "X#0B5D4B", "#XX0000", 5])
def test_a_colour_that_is_not_one_is_refused_with_the_allowed_form(ws, colour):
    # The Python API's Options take any string: the check names it, no ValueError from int()
    with pytest.raises(InputError) as info:
        theme_css(branded(ws, primary=colour))
    assert str(info.value) == (f"theme.primary: {colour!r} is not a colour (allowed: #RRGGBB, "
                               "e.g. #0B5D4B)")


def test_a_cover_note_is_markdown_without_links_made_up_and_with_its_line_breaks():
    html = markdown_html("Läs mer på www.nordkonsult.se\neller ring.\n\n##### Fem\n\n# Ett")
    assert "<a " not in html and "www.nordkonsult.se<br />" in html
    assert "<h6>Fem</h6>" in html and "<h3>Ett</h3>" in html
    assert markdown_html("[länk](https://nordkonsult.se)") == \
        '<p><a href="https://nordkonsult.se">länk</a></p>\n'
