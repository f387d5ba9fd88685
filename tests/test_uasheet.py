"""The user-agent stylesheet briefings are laid out with: WeasyPrint's, less what they never use."""

from __future__ import annotations

from importlib import resources

import tinycss2
import weasyprint

from briefgen import render, uasheet

SOURCE = (resources.files("weasyprint.css") / "html5_ua.css").read_text(encoding="utf-8")


def test_trimmed_leaves_out_direction_footnote_and_form_rules_and_keeps_the_rest():
    sheet = uasheet.trimmed(SOURCE)
    for gone in ("[dir=rtl i] dd", "[dir] [dir=ltr i]", "::footnote-call", "::note-marker",
                 "textarea", "input", "select"):
        assert gone not in sheet, gone
    for kept in ("[dir=rtl i] { direction: rtl }", "li::marker {", "h1 { bookmark-level: 1 }",
                 "@page", "td, th { padding: 1px }",
                 ":is(dir, dl, menu, ol, ul) :is(dir, dl, menu, ol, ul) { margin-top: 0",
                 "table, td, th { border-color: gray }"):
        assert kept in sheet, kept
    # a list that held a form field keeps its other selectors
    assert "table { text-indent: initial }" in sheet
    # the counter styles stay with WeasyPrint, which keeps its own parse of them per document
    assert "@counter-style" not in sheet
    assert weasyprint.CSS(string=sheet).matcher is not None


def test_the_rules_are_split_as_a_css_parser_splits_them():
    rules = tinycss2.parse_stylesheet(SOURCE, skip_comments=True, skip_whitespace=True)
    split = uasheet._rules(uasheet._COMMENT.sub("", SOURCE))
    assert [prelude for prelude, _ in split] == [
        tinycss2.serialize(r.prelude).strip() if r.type == "qualified-rule"
        else f"@{r.at_keyword} {tinycss2.serialize(r.prelude).strip()}".strip() for r in rules]


LISTS = ("<html lang='en'><body><ol><li>one<ol><li>a</li></ol></li><li>two</li></ol>"
         "<ul><li>x<ul><li>y<ul><li>z</li></ul></li></ul></li></ul>"
         "<ol style='list-style-type: lower-roman'><li>i</li><li>ii</li></ol>"
         "<dl><dt>t</dt><dd>d</dd></dl><blockquote>q</blockquote></body></html>")


def test_a_briefing_laid_out_with_it_is_the_same_pdf_as_with_weasyprints_own(bg, monkeypatch):
    analysis, matches, advice = bg.advised("region-x")
    html, meta = bg.html(analysis, matches, advice), bg.meta(analysis)
    ours = [bg.renderer.pdf(h, meta).pdf for h in (html, LISTS)]
    assert bg.renderer.html_class is uasheet.BriefingHTML
    monkeypatch.setattr(bg.renderer, "html_class", weasyprint.HTML)
    assert [bg.renderer.pdf(h, meta).pdf for h in (html, LISTS)] == ours


def test_a_users_templates_get_weasyprints_whole_sheet(tmp_path):
    assert render.Renderer(tmp_path).html_class is weasyprint.HTML
