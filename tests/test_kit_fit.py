"""The deck's text measuring (``kit.fit``) against the font's own advance widths: lines broken
where the widest line that fits ends, a word wider than its line cut at its characters, the
height of a text box, the largest size that fits without splitting a word, and rows shared out
over as few slides as hold them."""

from __future__ import annotations

import pytest
from reportlab.pdfbase import pdfmetrics

from briefgen.kit.fit import (
    UNKNOWN_LINE,
    UNKNOWN_SCALE,
    Para,
    balanced_pages,
    block_height,
    breaks_words,
    face,
    fitting_size,
)

CALIBRI = face("Calibri")
PROSE = ("Regionen saknar en gemensam bild av vilka tjänster invånarna helst vill sköta "
         "digitalt och vilka som behöver ett personligt möte")


def w(text: str, size: float = 10, bold: bool = False) -> float:
    return CALIBRI.width(text, size, bold)


def test_width_is_the_fonts_advance_width_bold_only_when_asked():
    assert CALIBRI.width("Nämnd", 10) == pdfmetrics.stringWidth("Nämnd", "kit-carlito", 10)
    assert CALIBRI.width("Nämnd", 10, True) == pdfmetrics.stringWidth("Nämnd", "kit-carlito-bold",
                                                                      10)
    assert CALIBRI.width("Nämnd", 10, True) > CALIBRI.width("Nämnd", 10)


def test_an_unknown_font_is_measured_a_quarter_wider_than_calibri_with_more_leading():
    verdana = face("Verdana")
    assert (verdana.name, verdana.scale, verdana.line) == ("Verdana", UNKNOWN_SCALE, UNKNOWN_LINE)
    assert verdana.width("Nämnd", 10) == pytest.approx(w("Nämnd") * 1.26)
    assert (CALIBRI.scale, CALIBRI.line, face(None).name) == (1.0, 1.22, "Calibri")


@pytest.mark.parametrize("width", [100, 160, 240])
def test_lines_break_at_spaces_each_as_full_as_the_width_allows(width):
    lines = CALIBRI.wrap(PROSE, width, 10)
    assert " ".join(lines) == PROSE
    assert all(w(line) <= width for line in lines)
    for line, after in zip(lines, lines[1:], strict=False):
        assert w(f"{line} {after.split(' ')[0]}") > width   # the next word did not fit


def test_a_line_exactly_as_wide_as_the_box_fits():
    assert CALIBRI.wrap("digital nämnd", w("digital nämnd"), 10) == ["digital nämnd"]
    assert CALIBRI.wrap("nämnd", w("nämnd"), 10) == ["nämnd"]


def test_bold_text_is_measured_bold_and_regular_by_default():
    width = w("digital nämnd")
    assert CALIBRI.wrap("digital nämnd", width, 10, bold=True) == ["digital", "nämnd"]
    assert CALIBRI.wrap("digital nämnd", width, 10) == ["digital nämnd"]
    assert CALIBRI.wrap("digital nämnd", width * 2, 20) == ["digital nämnd"]
    assert CALIBRI.wrap("digital nämnd", width * 2 - 0.01, 20) == ["digital", "nämnd"]


def test_paragraphs_spaces_and_empty_text_kept_as_given():
    assert CALIBRI.wrap("Mål\nÅtgärd och ägare", 500, 10) == ["Mål", "Åtgärd och ägare"]
    assert CALIBRI.wrap("a  b", 500, 10) == ["a  b"]
    assert CALIBRI.wrap("", 500, 10) == [""]
    assert CALIBRI.wrap("a\n\nb", 500, 10) == ["a", "", "b"]


def test_a_word_wider_than_the_line_is_cut_where_the_most_of_it_fits():
    word = "Digitaliseringsstrategi"
    width = w("Digitaliserings")
    assert CALIBRI.wrap(f"en {word}", width, 10) == ["en", "Digitaliserings", "strategi"]
    assert CALIBRI.wrap(word, width - 0.01, 10) == ["Digitalisering", "sstrategi"]
    pieces = CALIBRI.wrap(word * 2, 60, 10)
    assert "".join(pieces) == word * 2 and len(pieces) > 2
    assert all(w(p) <= 60 < w(p + rest[0])
               for p, rest in zip(pieces, pieces[1:], strict=False))


def test_a_word_that_moves_to_a_new_line_is_cut_only_if_wider_than_it_in_its_own_weight():
    assert CALIBRI.wrap("en nämnd", w("nämnd"), 10) == ["en", "nämnd"]
    bold = CALIBRI.width("Digitaliseringsstrategi", 10, True)
    assert CALIBRI.wrap("en Digitaliseringsstrategi", bold, 10, True) == [
        "en", "Digitaliseringsstrategi"]
    cut = CALIBRI.width("Digitaliseringsstrateg", 10, True)    # set regular, one more fits
    assert CALIBRI.wrap("en Digitaliseringsstrategierna", cut, 10, True) == [
        "en", "Digitaliseringsstrateg", "ierna"]


def test_cutting_stops_at_one_character():
    assert CALIBRI.wrap("WWW", w("WW"), 10) == ["WW", "W"]
    assert CALIBRI.wrap("WWW", 1, 10) == ["W", "W", "W"]
    assert CALIBRI.wrap("W", 1, 10) == ["W"]


def test_block_height_adds_lines_and_the_space_between_paragraphs():
    paras = [Para("Mål"), Para("Åtgärd", size=2.0, space_after=0.9)]
    assert block_height(paras, CALIBRI, 500, 10) == pytest.approx(
        10 * 1.22 + 10 * 0.45 + 20 * 1.22)
    two_lines = [Para("digital nämnd", indent=5)]
    assert block_height(two_lines, CALIBRI, w("digital nämnd") + 4, 10) == pytest.approx(
        2 * 10 * 1.22)
    assert block_height([], CALIBRI, 500, 10) == 0


def test_a_word_breaks_when_wider_than_its_line_less_the_indent_at_its_own_size_and_weight():
    width = w("nämnd")
    assert not breaks_words([Para("en nämnd")], CALIBRI, width, 10)
    assert breaks_words([Para("en nämnd")], CALIBRI, width - 0.01, 10)
    assert breaks_words([Para("en nämnd", indent=1)], CALIBRI, width + 0.5, 10)
    assert breaks_words([Para("en nämnd", bold=True)], CALIBRI, width, 10)
    assert breaks_words([Para("en nämnd", size=1.5)], CALIBRI, width, 10)
    assert not breaks_words([Para("en nämnd", size=0.5)], CALIBRI, width / 2, 10)


def test_the_largest_whole_size_that_fits_the_height():
    paras = [Para("Mål för nämnden")]
    exactly = block_height(paras, CALIBRI, 1000, 12)
    assert fitting_size(paras, CALIBRI, 1000, exactly, 20, 8) == 12
    assert fitting_size(paras, CALIBRI, 1000, exactly - 0.01, 20, 8) == 11
    assert fitting_size(paras, CALIBRI, 1000, block_height(paras, CALIBRI, 1000, 19), 20, 8) == 19
    assert fitting_size(paras, CALIBRI, 1000, 1000, 20, 8) == 20
    at_least = block_height(paras, CALIBRI, 1000, 8)
    assert fitting_size(paras, CALIBRI, 1000, at_least, 20, 8) == 8
    assert fitting_size(paras, CALIBRI, 1000, at_least - 0.01, 20, 8) is None
    assert fitting_size(paras, CALIBRI, 1000, 1000, 7, 8) is None


def test_a_size_that_splits_a_word_is_passed_over_unless_it_is_the_smallest():
    paras = [Para("Digitaliseringsstrategi")]
    width = w("Digitaliseringsstrategi", 10)
    assert fitting_size(paras, CALIBRI, width, 1000, 14, 8) == 10
    assert fitting_size(paras, CALIBRI, width, 1000, 14, 9) == 10
    assert fitting_size(paras, CALIBRI, width, 1000, 14, 10) == 10
    assert fitting_size(paras, CALIBRI, width - 0.01, 1000, 14, 9) == 9
    assert fitting_size(paras, CALIBRI, width - 0.01, 1000, 14, 10) == 10   # split, smallest
    assert fitting_size(paras, CALIBRI, width / 2, 1000, 14, 12) == 12


def test_rows_over_as_few_pages_as_hold_them_spread_evenly():
    def at_most(n):
        return lambda chunk: len(chunk) <= n
    assert balanced_pages([], at_most(2)) == []
    assert balanced_pages([1, 2, 3, 4], at_most(2)) == [[1, 2], [3, 4]]
    assert balanced_pages([1, 2, 3, 4, 5], at_most(4)) == [[1, 2, 3], [4, 5]]
    assert balanced_pages(list(range(7)), at_most(3)) == [[0, 1, 2], [3, 4], [5, 6]]
    assert balanced_pages([1, 2, 3], at_most(5)) == [[1, 2, 3]]
    # 11 rows, 5 a slide: 4, 4 and 3 (not 5, 3 and 3, which also leaves 3 on the last)
    assert [len(p) for p in balanced_pages(range(11), at_most(5))] == [4, 4, 3]
    assert balanced_pages([1, 2, 3], at_most(0)) == [[1], [2], [3]]   # one a page, at worst
    assert balanced_pages(("a", "b", "c"), at_most(1)) == [["a"], ["b"], ["c"]]


def test_rows_of_unequal_height_keep_to_the_fewest_pages_the_smallest_as_full_as_it_can_be():
    heights = {"a": 1, "b": 1, "c": 1, "d": 3, "e": 1, "f": 1, "g": 2}

    def fits(chunk):
        return sum(heights[x] for x in chunk) <= 3
    assert balanced_pages(list("abcd"), fits) == [["a", "b", "c"], ["d"]]
    assert balanced_pages(list("abcdef"), fits) == [["a", "b", "c"], ["d"], ["e", "f"]]
    assert balanced_pages(list("abef"), fits) == [["a", "b"], ["e", "f"]]


def test_rows_of_unequal_height_cut_so_that_no_page_is_left_with_one_when_it_need_not_be():
    heights = [1, 3, 1, 1, 1, 1, 2]          # filled in turn: [0 1] [2 3 4 5] [6]

    def fits(chunk):
        return sum(heights[i] for i in chunk) <= 4
    assert balanced_pages(range(7), fits) == [[0, 1], [2, 3, 4], [5, 6]]
    heights = [1, 1, 1, 3, 2, 1, 1]          # by count [0 1 2] [3 4] [5 6]: 5 high
    assert balanced_pages(range(7), fits) == [[0, 1], [2, 3], [4, 5, 6]]


def test_an_item_too_big_for_any_page_gets_one_of_its_own():
    def fits(chunk):
        return sum(chunk) <= 3
    assert balanced_pages([1, 5, 1, 1], fits) == [[1], [5], [1, 1]]
