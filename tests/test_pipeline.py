"""The page reader end to end with the shipped model, its decoder, formats and inputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from ocr_pipeline.cli import app
from ocr_pipeline.corrections import (
    ellipsis_dots,
    fix_case,
    fix_dots,
    fix_lookalikes,
    fix_width_forms,
    fix_words,
    letters_in_words,
)
from ocr_pipeline.decode import (
    Candidate,
    alternatives,
    best_path,
    candidates,
)
from ocr_pipeline.images import InputError, load_pages, parse_pages

FIXTURES = Path(__file__).parent / "fixtures"
NOTO = str(FIXTURES / "NotoSansSC-subset.otf")
SERIF = str(FIXTURES / "NotoSerifSC-subset.otf")
KAI = str(FIXTURES / "LXGWWenKai-subset.ttf")
runner = CliRunner()

#: Lines made only of characters the subset fonts hold.
PAGE_LINES = ["我们识别中文字", "这个是大国和人", "在上不为了八行"]


def render_page(lines, size=30, font_path=NOTO, margin=40, gap=1.8) -> Image.Image:
    font = ImageFont.truetype(font_path, size)
    width = margin * 2 + int(max(font.getlength(t) for t in lines))
    img = Image.new("L", (width, margin * 2 + int(len(lines) * size * gap)), 255)
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text(
            (margin, margin + size + int(i * size * gap)), text, font=font, fill=0, anchor="ls"
        )
    return img


@pytest.fixture(scope="module")
def page_png(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "page.png"
    render_page(PAGE_LINES).save(path)
    return path


# --- decoder ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scores, want",
    [
        # three pieces; merging all three (candidate 5) is best
        ([-1, -1, -1, -3, -3, -0.5], [5]),
        # each piece alone is best
        ([-0.1, -0.1, -0.1, -3, -3, -3], [0, 1, 2]),
        # first two merged, then the third alone
        ([-2, -2, -0.2, -0.3, -3, -3], [3, 2]),
    ],
)
def test_best_path(scores, want):
    cands = [
        Candidate(0, 1, (0, 0, 1, 1)),
        Candidate(1, 2, (1, 0, 2, 1)),
        Candidate(2, 3, (2, 0, 3, 1)),
        Candidate(0, 2, (0, 0, 2, 1)),
        Candidate(1, 3, (1, 0, 3, 1)),
        Candidate(0, 3, (0, 0, 3, 1)),
    ]
    assert best_path(3, cands, np.array(scores, float)) == want


def test_candidates_cover_every_piece_and_respect_width():
    pieces = np.array([[0, 0, 5, 20], [7, 0, 12, 20], [14, 0, 40, 20], [42, 0, 60, 20]])
    cands = candidates(pieces, line_height=20)
    singles = {(c.start, c.end) for c in cands if c.end == c.start + 1}
    assert singles == {(0, 1), (1, 2), (2, 3), (3, 4)}
    assert all(c.box[2] - c.box[0] <= 1.35 * 20 for c in cands if c.end > c.start + 1)


def test_regroupings_span_overlapping_neighbourhoods():
    # five narrow pieces of a 20 px line, each its own group; the 2nd and 4th are doubtful:
    # the three in the middle (亻 and the two strokes of 门) may be one character
    pieces = np.array([[x, 0, x + 4, 20] for x in (0, 6, 12, 18, 24)], np.int32)
    groups = [Candidate(k, k + 1, tuple(int(v) for v in p)) for k, p in enumerate(pieces)]
    got = {(c.start, c.end) for c in alternatives(groups, pieces, 20, [1, 3])}
    assert (1, 4) in got and (0, 3) in got and (2, 5) in got
    assert not {(g.start, g.end) for g in groups} & got


@pytest.mark.parametrize("height, bridge, want", [(30, 90, 1), (30, 0, 2), (16, 90, 2)])
def test_pieces_touching_in_faint_ink_count_as_one_shape(height, bridge, want):
    """The stem and arch of a scanned h, apart in the mask but joined by fainter
    ink, are one shape for the geometry, but not in a line of screen size."""
    from types import SimpleNamespace

    from ocr_pipeline.pipeline import _Scorer
    from segmentation.segment import Line, Segmentation

    ink = np.zeros((height, 40), np.uint8)
    ink[2:-2, 5:8] = 255  # stem
    ink[10:-2, 10:14] = 255  # arch
    ink[10:12, 8:10] = bridge  # the thin joint, faint
    seg = Segmentation(gray=255 - ink, ink=ink, mask=(ink >= 128).astype(np.uint8) * 255)
    seg.joined_level = 80
    seg.lines = [Line(box=(0, 0, 40, height), block=0)]
    scorer = _Scorer(seg, SimpleNamespace(charset=SimpleNamespace(chars="h")), 1)
    assert scorer._shapes(0, Candidate(0, 2, (5, 2, 14, height - 2))) == want


@pytest.mark.parametrize(
    "reads, middle_prob, want",
    [
        ("的川的", 0.95, []),  # a sure hanzi of three pieces stands
        ("的川的", 0.4, [1]),  # unsure: Latin letters may be hiding in it
        ("a川b", 0.95, [1]),  # beside Latin letters ("ill")
        ("的:的", 0.95, [1]),  # three pieces read as one mark
    ],
)
def test_doubtful_groups(reads, middle_prob, want):
    from types import SimpleNamespace

    from ocr_pipeline.pipeline import _Scorer
    from segmentation.segment import Line, Segmentation

    blank = np.zeros((20, 80), np.uint8)
    seg = Segmentation(gray=blank, ink=blank, mask=blank)
    seg.lines = [Line(box=(0, 0, 80, 20), block=0)]
    chars = "".join(dict.fromkeys(reads))
    scorer = _Scorer(seg, SimpleNamespace(charset=SimpleNamespace(chars=chars)), 1)
    cands = [Candidate(0, 1, (0, 0, 18, 20)), Candidate(1, 4, (20, 0, 38, 20))]
    cands.append(Candidate(4, 5, (44, 0, 62, 20)))
    for c, ch, p in zip(cands, reads, (0.95, middle_prob, 0.95)):
        scorer.top[(0, c)] = ([chars.index(ch)], [p])
        scorer.scores[(0, c)] = 0.0
    assert scorer.doubtful(0, cands) == want


@pytest.mark.parametrize("prob, want", [(0.95, []), (0.4, [1])])
def test_a_sure_hanzi_of_two_pieces_beside_a_digit_stands(prob, want):
    """位 (亻 and 立) after 53: only its confidence decides (doubted, it was read "(立")."""
    cands = [Candidate(0, 1, (0, 0, 10, 20)), Candidate(1, 3, (12, 0, 30, 20))]
    scorer = _fragment_scorer({cands[0]: ("3", 0.95), cands[1]: ("位", prob)})
    assert scorer.doubtful(0, cands) == want


@pytest.mark.parametrize(
    "chars, want",
    [
        ("中,文", "中，文"),
        ("ab,cd", "ab,cd"),
        ("中(文)", "中（文）"),
        ("a（b）", "a(b)"),
        ("好!", "好！"),
        ("value，命令", "value，命令"),
        ("f(x, y)", "f(x, y)"),
        ("value,", "value,"),
    ],
)
def test_fix_width_forms(chars, want):
    assert "".join(fix_width_forms(list(chars))) == want


@pytest.mark.parametrize(
    "text, want",
    [
        ("是类UNlX的", "是类UNIX的"),  # a word of capitals
        ("GUl（图形", "GUI（图形"),
        ("使用I024跟", "使用1024跟"),  # a number
        ("1O24", "1024"),
        ("UNlX is", "UNIX is"),  # the space ends the word
        ("SQL l0", "SQL 10"),
        ("SHA1", "SHA1"),  # a digit ending a word of capitals stays
        ("CLl", "CLI"),
        ("getItem", "getItem"),  # mixed words are left as read
        ("X11", "X11"),
        ("Tcl", "Tcl"),
        ("I am", "I am"),
        ("在lP地址", "在IP地址"),  # one other capital is enough for a letter ...
        ("1G", "1G"),  # ... not for a digit
        ("lv", "lv"),
        ("lPv6", "IPv6"),  # an l starting a word before a capital
        ("NetBlOS名", "NetBIOS名"),  # ... or between two capitals
        ("MlN", "MIN"),
        ("从lnfo目录", "从Info目录"),  # no English word starts ln
        ("lmhosts", "lmhosts"),  # but some start lm
        ("ln -s", "ln -s"),  # ... but the command ln does
        ("lnk", "lnk"),
        ("AlgoRl", "AlgoRl"),  # not after a capital at the end of a mixed word
        ("htmlParser", "htmlParser"),
        ("见ls(l)和[l]", "见ls(1)和[1]"),  # alone in brackets: a section or list number
        ("(a)(I)", "(a)(I)"),
        ("snv1ook程序", "snvlook程序"),  # 1 between two small letters is an l
        ("i18n", "i18n"),
        ("平面l-7和", "平面1-7和"),  # a lone l beside a number is a 1 ...
        ("是l和-2^63-l。", "是1和-2^63-1。"),  # ... and between hanzi
        ("参数-l表示", "参数-l表示"),  # an option stays
        ("ls -l 2", "ls -l 2"),
        ("al1", "al1"),
        ("使用|FILE|从", "使用|FILE|从"),  # bars around a placeholder are bars
        ("：|A|请", "：|A|请"),
        ("|lP|", "|IP|"),  # ... and the word inside them is read as ever
        ("进行l/O操作", "进行I/O操作"),  # alone beside a slash and a capital: an I
        ("的 |/O 操作", "的 I/O 操作"),
        ("A/l", "A/I"),
        ("a/l", "a/l"),  # not beside a capital
        ("l/o", "l/o"),
        ("l /O", "l /O"),  # nor across a space
        ("al/O", "al/O"),  # nor inside a word
        ("lt is", "It is"),  # no word is "lt" or "lf"
        ("lf the", "If the"),
        ("lts", "lts"),  # longer words are left
        ("lft", "lft"),
        ("l. Installing", "1. Installing"),  # a list's number starting its line
        ("ls l.", "ls l."),  # not inside the line
        ("见附录A.l和", "见附录A.1和"),  # an appendix's section
        ("PA.l", "PA.l"),  # not after a word
        ("a.l", "a.l"),
    ],
)
def test_fix_words(text, want):
    chars = [c for c in text if c != " "]
    spaces = [i + 1 < len(text) and text[i + 1] == " " for i, c in enumerate(text) if c != " "]
    fixed = fix_words(chars, spaces)
    assert "".join(c + " " * s for c, s in zip(fixed, spaces)) == want


@pytest.mark.parametrize(
    "chars, heights, want",
    [
        ("Open", (20, 18, 14, 14), "Open"),  # O as tall as the p's body + ascender refs
        ("open", (14, 18, 14, 14), "open"),
        ("OpenCV", (20, 18, 14, 14, 20, 20), "OpenCV"),
        ("openc v", (20, 18, 14, 14, 14, 0, 14), "Openc v"),
        ("Tcl", (20, 14, 20), "Tcl"),  # tall references only
        ("TCl", (20, 14, 20), "Tcl"),
        ("是so", (28, 20, 13), "是So"),  # no Latin reference: the hanzi height
        ("xyz", (14, 14, 14), "xyz"),  # no reference at all: unchanged
    ],
)
def test_fix_case(chars, heights, want):
    boxes = np.array([(i * 20, 30 - h, i * 20 + 12, 30) for i, h in enumerate(heights)])
    assert "".join(fix_case(list(chars), boxes)) == want


@pytest.mark.parametrize(
    "text, next_x0, share, want",
    [
        ("值.命", 28, 0.1, "值。命"),  # the rest of a full-width cell after it: a blurred 。
        ("值.命", 28, 0.8, "值，命"),  # ... or a ， when a comma form is nearly as likely
        ("值.命", 21, 0.1, "值.命"),  # an ASCII dot's narrow advance
        ("ab.c", 43, 0.1, "ab.c"),  # no hanzi in the line: Latin text
        ("值命.", 28, 0.1, "值命."),  # line end: no gap known
    ],
)
def test_fix_full_stops(text, next_x0, share, want):
    from ocr_pipeline.corrections import fix_full_stops

    i = text.index(".")
    boxes = [[n * 15, 0, n * 15 + 13, 13] for n in range(len(text))]
    boxes[i] = [boxes[i][0], 10, boxes[i][0] + 3, 13]
    for n in range(i + 1, len(text)):
        boxes[n][0], boxes[n][2] = next_x0 + 15 * (n - i - 1), next_x0 + 15 * (n - i - 1) + 13
    shares = [share if c == "." else 0.0 for c in text]
    assert "".join(fix_full_stops(list(text), np.array(boxes), 15, shares)) == want


@pytest.mark.parametrize(
    "lines, bars, want",
    [
        # a closing bracket ending its line takes the form of the one it closes
        (["见（手册", "页)"], [], ["见（手册", "页）"]),
        (["ls(1", "值）"], [], ["ls(1", "值)"]),
        # an opening one starting its line, the form of the one closing it
        (["见", "(手册页）值"], [], ["见", "（手册页）值"]),
        # inside a line the gaps have decided: left alone
        (["见(手册)值）"], [], ["见(手册)值）"]),
        # worn brackets: a pair of strokes, a stroke closing, a stroke opening
        (["终端|在后台|并且"], [(0, 2), (0, 6)], ["终端（在后台）并且"]),
        (["见（手册页l值"], [(0, 5)], ["见（手册页）值"]),
        (["见|手册页", "值)"], [(0, 1)], ["见（手册页", "值）"]),
        # a stroke with no partner in the paragraph stays as read
        (["选项|值"], [(0, 2)], ["选项|值"]),
        # nested pairs
        (["（a（b）", "c)"], [], ["（a（b）", "c）"]),
        # after a full stop's blank half cell, as at a line's start
        (["碎片。（另见BUGS)."], [], ["碎片。(另见BUGS)."]),
        (["输出。(参见）值"], [], ["输出。（参见）值"]),
        # after a hanzi the gap has decided: left alone
        (["碎片（另见BUGS)."], [], ["碎片（另见BUGS)."]),
    ],
)
def test_pair_brackets(lines, bars, want):
    from ocr_pipeline.corrections import pair_brackets

    chars = [list(line) for line in lines]
    assert ["".join(line) for line in pair_brackets(chars, frozenset(bars))] == want


def _line(text: str, heights: dict[int, int], spaces: set[int] = frozenset()):
    from ocr_pipeline.pipeline import CharResult, LineResult

    line = LineResult((0, 0, 20 * len(text), 24), 0)
    for n, ch in enumerate(text):
        h = heights.get(n, 22)
        line.chars.append(CharResult(ch, (20 * n, 12 - h // 2, 20 * n + 4, 12 + h // 2), 0.5, []))
        line.spaces.append(n in spaces)
    return line


def test_worn_brackets_stand_in_chinese_text():
    from ocr_pipeline.corrections import worn_brackets

    def _worn_brackets(line):
        chars = [c.char for c in line.chars]
        boxes = np.array([c.box for c in line.chars])
        return worn_brackets(chars, boxes, line.spaces, line.box[3] - line.box[1])

    assert _worn_brackets(_line("终端|在后台|并", {2: 12, 6: 12})) == [2, 6]
    assert _worn_brackets(_line("的NFS|。", {4: 12})) == [4]  # one letter beside a |
    assert _worn_brackets(_line("文件I/O", {2: 12})) == []  # I/O: ASCII beside it
    assert _worn_brackets(_line("与-l同时", {2: 12})) == []  # an option
    assert _worn_brackets(_line("与l同时", {1: 12}, {0, 1})) == []  # spaced both sides
    # the blank half of a full-width bracket's cell reads as a space on its open side
    assert _worn_brackets(_line("终端|在后台|并", {2: 12, 6: 12}, {1, 6})) == [2, 6]
    assert _worn_brackets(_line("终端|在", {2: 22})) == []  # a full-height bar
    assert _worn_brackets(_line("ab|c", {2: 12})) == []  # Latin text


@pytest.mark.parametrize("line_height, want", [(15, "值,命"), (26, "值.命")])
def test_small_comma_is_a_2x3_blob(line_height, want):
    """In a 15 px screenshot line a comma is 2 x 3 pixels; in a 26 px line such a
    box is a full stop blurred a little."""
    boxes = np.array([(0, 0, 13, 13), (15, 10, 17, 13), (20, 0, 33, 13)], np.int32)
    assert "".join(fix_dots(list("值.命"), boxes, (0, 0, 40, line_height))) == want


@pytest.mark.parametrize(
    "chars, comma_box, want",
    [
        ("位置，如果", (26, 18, 29, 23), "位置。如果"),  # ends at 0.81 of the hanzi: a worn 。
        ("位置，如果", (26, 23, 29, 28), "位置，如果"),  # its tail at the hanzi's foot
        ("位置，如果", (26, 24, 29, 30), "位置，如果"),  # below it
        ("a，bc", (26, 18, 29, 23), "a，bc"),  # no hanzi to measure against
        ("ab,cd", (26, 18, 29, 23), "ab,cd"),
    ],
)
def test_comma_above_the_hanzi_foot_is_a_full_stop(chars, comma_box, want):
    """Hanzi boxes span y 2..28; a comma's tail reaches their foot."""
    boxes = np.array([(i * 12, 2, i * 12 + 10, 28) for i in range(len(chars))], np.int32)
    boxes[2] = comma_box
    assert "".join(fix_dots(list(chars), boxes, (0, 2, 100, 30))) == want


@pytest.mark.parametrize(
    "chars, dot_box, want",
    [
        ("值•命", (32, 22, 36, 26), "值。命"),  # low in the line: a blurred full stop
        ("值•命", (32, 13, 36, 17), "值•命"),  # at mid-height: a real middle dot
        ("值•命", (32, 14, 37, 20), "值。命"),  # a filled-in 。, centre a little above its foot
        ("ab•c", (32, 22, 36, 26), "ab.c"),
        ("值.命", (32, 19, 34, 26), "值,命"),  # taller than wide: a comma
        ("值.命", (32, 22, 35, 25), "值.命"),
    ],
)
def test_fix_dots(chars, dot_box, want):
    n = len(chars)
    boxes = np.array([(i * 12, 2, i * 12 + 10, 28) for i in range(n)], np.int32)
    boxes[chars.index(next(c for c in chars if c in "•."))] = dot_box
    assert "".join(fix_dots(list(chars), boxes, (0, 2, 100, 28))) == want


@pytest.mark.parametrize(
    "chars, want",
    [
        ("是—个", "是一个"),
        ("是——个", "是——个"),
        ("A—B", "A—B"),
        ("—个", "一个"),
        ("是－个", "是一个"),
        ("３－２", "３－２"),
    ],
)
def test_fix_lookalikes(chars, want):
    assert "".join(fix_lookalikes(list(chars))) == want


#: Alternatives per character for the letters_in_words cases: "X" marks a character
#: read with little confidence that has the letter "r" (or "o") among its top-3.
_UNSURE = {
    "「": [("「", 0.3), ("r", 0.2), ("厂", 0.1)],
    "口": [("口", 0.5), ("o", 0.3), ("日", 0.1)],
}


@pytest.mark.parametrize(
    "chars, gaps, want",
    [
        ("pageoc「", "", "pageocr"),  # an unpaired bracket at a word's end
        ("「ead", "", "read"),  # ... or start
        ("pageoc「 「ead", "6", "pageocr read"),
        ("g口od", "", "good"),  # a hanzi between letters
        ("「read」", "", "「read」"),  # paired: quotes
        ("是g口", "", "是g口"),  # a hanzi needs letters on both sides
        ("ab 口cd", "1", "ab 口cd"),
        ("相口下", "", "相口下"),
    ],
)
def test_letters_in_words(chars, gaps, want):
    chars = [c for c in chars if c != " "]
    gap = [False] * (len(chars) - 1)
    for g in gaps:
        gap[int(g)] = True
    alts = [_UNSURE.get(c, [(c, 0.95)]) for c in chars]
    spaced = "".join(
        c + (" " if n < len(gap) and gap[n] else "")
        for n, c in enumerate(letters_in_words(chars, gap, alts))
    )
    assert spaced == want


def test_letters_in_words_keeps_confident_reads():
    alts = [[(c, 0.95)] for c in "ab"] + [[("口", 0.95), ("o", 0.04)]] + [[("d", 0.95)]]
    assert letters_in_words(list("ab口d"), [False] * 3, alts) == list("ab口d")


@pytest.mark.parametrize(
    "next_x0, want",
    [
        (58, "值，命"),  # neighbours a full line height apart: a full-width cell
        (36, "值,命"),  # comma plus a space: about half a line height
    ],
)
def test_width_form_follows_the_advance(next_x0, want):
    # line height 30; 值 ends at 28, the comma's ink is small and low
    boxes = np.array([[0, 0, 28, 30], [31, 22, 35, 30], [next_x0, 0, next_x0 + 28, 30]])
    assert "".join(fix_width_forms(list("值,命"), boxes, 30)) == want


@pytest.mark.parametrize(
    "boxes, margin, want",
    [
        # ASCII ")" hugging 韩, then a space before 便: narrow gaps, span 0.8 line heights
        ([[0, 0, 28, 30], [30, 4, 36, 30], [48, 0, 76, 30]], 0.0, "韩)便"),
        # full-width "）" at the left of its em cell: a wide gap after it
        ([[0, 0, 28, 30], [31, 4, 36, 30], [60, 0, 88, 30]], 0.0, "韩）便"),
        # a mark centred in its cell: wide gaps on both sides
        ([[0, 0, 28, 30], [40, 10, 44, 24], [56, 0, 84, 30]], 0.0, "韩：便"),
    ],
)
def test_width_form_follows_the_cell(boxes, margin, want):
    chars = [want[0], "：" if "：" in want else ")", want[2]]
    got = fix_width_forms(chars, np.array(boxes), 30, [0.0, margin, 0.0])
    assert "".join(got) == want


@pytest.mark.parametrize(
    "text, want",
    [
        ("用AB,CD", "用AB，CD"),  # Chinese text: the cell decides, even between Latin words
        ("xAB,CD", "xAB,CD"),  # Latin text: ASCII however wide the space
    ],
)
def test_width_form_between_latin_words(text, want):
    # the comma hugs B and leaves most of a cell empty after it
    xs = [0, 30, 50, 70, 98, 118]
    boxes = np.array([[x, 0, x + (4 if c == "," else 18), 30] for x, c in zip(xs, text)])
    assert "".join(fix_width_forms(list(text), boxes, 30)) == want


def test_fullwidth_symbols_need_a_cell():
    boxes = np.array([[0, 0, 18, 30], [20, 10, 34, 20], [36, 0, 54, 30]])
    assert "".join(fix_width_forms(list("E＝n"), boxes, 30)) == "E=n"
    wide = np.array([[0, 0, 18, 30], [40, 10, 54, 20], [74, 0, 92, 30]])
    assert "".join(fix_width_forms(list("中＝文"), wide, 30)) == "中＝文"
    assert "".join(fix_width_forms(list("a＜b"))) == "a<b"


@pytest.mark.parametrize(
    "advance, want",
    [
        (39, "维护。(参看"),  # 1.3 cells from 。 to 参: an ASCII ( in the blank half of 。's
        (45, "维护。（参看"),  # 1.5 cells: a full-width （ tucked into it (xeCJK)
        (60, "维护。（参看"),  # 2 cells: a full-width （ in a cell of its own (Chromium)
    ],
)
def test_a_bracket_after_a_full_width_mark_follows_the_advance(advance, want):
    # hanzi every 30 px (line height 30); 。 at the left of its cell; the bracket's
    # gap to 。 is over half a line height in every case, so its own gaps cannot tell
    x = 60 + advance
    boxes = np.array([[0, 0, 28, 30], [30, 0, 58, 30], [60, 20, 68, 28],
                      [x - 8, 2, x - 2, 32], [x, 0, x + 28, 30],
                      [x + 30, 0, x + 58, 30]])  # fmt: skip
    got = "".join(fix_width_forms(list("维护。(参看"), boxes, 30))
    assert got == want
    from ocr_pipeline.corrections import pair_brackets

    assert pair_brackets([list(got)])[0] == list(want)  # no partner: left as read


@pytest.mark.parametrize(
    "gap, margin, want",
    [
        (1, 0.3, "如下:"),  # read as ASCII, hugging its neighbour
        (1, 0.0, "如下："),  # no preference: full width in Chinese text
        (8, 0.3, "如下："),  # a gap after 下: the left part of a full-width cell
    ],
)
def test_width_form_at_line_end(gap, margin, want):
    x = 58 + gap
    boxes = np.array([[0, 0, 28, 30], [30, 0, 58, 30], [x, 10, x + 4, 28]])
    got = fix_width_forms(list("如下:"), boxes, 30, [0.0, 0.0, margin])
    assert "".join(got) == want


def test_low_ellipsis_is_ascii_dots():
    line = (0, 0, 200, 30)
    mid = (10, 13, 40, 17)  # a Chinese face's … at mid-height
    assert ellipsis_dots(mid, np.array([mid]), line) is None
    dots = np.array([[10, 24, 13, 27], [18, 24, 21, 27], [26, 24, 29, 27]])
    assert ellipsis_dots((10, 24, 29, 27), dots, line) == [tuple(d) for d in dots.tolist()]
    assert len(ellipsis_dots((10, 24, 29, 27), dots[:1], line)) == 3  # one blob, wide
    assert len(ellipsis_dots((10, 24, 20, 27), dots[:1], line)) == 2  # one blob, narrow


# --- inputs -----------------------------------------------------------------------------


def test_parse_pages():
    assert list(parse_pages("1,3-5")) == [1, 3, 4, 5]
    assert parse_pages(None) is None
    with pytest.raises(InputError):
        parse_pages("3-1")


@pytest.mark.parametrize(
    "content, message",
    [
        (b"this is not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, "corrupt"),
    ],
)
def test_bad_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(load_pages(path))


def test_truncated_png_is_refused(tmp_path, page_png):
    data = page_png.read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError):
        list(load_pages(path))


def _pillow_gray(path: Path) -> np.ndarray:
    from ocr_pipeline.images import to_gray

    return to_gray(Image.open(path))


@pytest.mark.parametrize(
    "mode, suffix, plain",
    [
        ("L", ".png", True),
        ("RGB", ".png", True),
        ("L", ".jpg", True),
        ("RGBA", ".png", False),  # transparency: flattened on white by Pillow
        ("I;16", ".png", False),  # 16 bits: stretched by Pillow
        ("RGB", ".jpg", False),  # decoders upsample chroma differently
        ("P", ".png", False),
    ],
)
def test_plain_images_are_read_by_opencv_as_pillow_reads_them(tmp_path, mode, suffix, plain):
    """Plain PNGs and grayscale JPEGs skip Pillow (~45 ms of its import and decoding
    per page); the pixels are the same, and the others still go through Pillow."""
    from ocr_pipeline.images import _plain_image

    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (40, 60, 3), np.uint8))
    img = {
        "L": rgb.convert("L"),
        "RGB": rgb,
        "RGBA": Image.fromarray(rng.integers(0, 256, (40, 60, 4), np.uint8)),
        "I;16": Image.fromarray(rng.integers(0, 65536, (40, 60), np.uint16)),
        "P": rgb.convert("P"),
    }[mode]
    path = tmp_path / f"img{suffix}"
    img.save(path)
    fast = _plain_image(path)
    assert (fast is not None) == plain
    if plain:
        assert np.array_equal(fast, _pillow_gray(path))
    assert np.array_equal(next(load_pages(path)).gray, _pillow_gray(path))


def test_exif_and_truncated_jpegs_go_to_pillow(tmp_path):
    from ocr_pipeline.images import _plain_image

    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60), np.uint8))
    turned = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to show
    img.save(turned, exif=exif)
    assert _plain_image(turned) is None
    assert next(load_pages(turned)).gray.shape == (60, 40)
    whole = tmp_path / "whole.jpg"
    img.save(whole)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[:-200])
    assert _plain_image(cut) is None
    with pytest.raises(InputError):
        list(load_pages(cut))


def test_png_broken_inside_gives_one_clear_error(tmp_path, page_png):
    """Header and end intact, data broken: OpenCV fails (libpng's own message kept off
    stderr), and Pillow's error is the one shown."""
    data = page_png.read_bytes()
    mid = len(data) // 2
    path = tmp_path / "broken.png"
    path.write_bytes(data[:mid] + bytes(64) + data[mid + 64 :])
    res = subprocess.run(
        [sys.executable, "-m", "ocr_pipeline.cli", "read", str(path)],
        capture_output=True,
        text=True,
    )
    assert res.returncode != 0
    assert res.stderr.startswith("pageocr: error:") and "libpng" not in res.stderr
    assert "Traceback" not in res.stderr


def test_reading_a_plain_png_does_not_import_pillow(page_png):
    code = (
        "import sys; from ocr_pipeline.images import load_pages; "
        f"next(load_pages({str(page_png)!r})); print('PIL' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_decompression_bomb_is_refused(tmp_path):
    # A 1-bit PNG of 20000 x 20000 pixels is tiny on disk and huge in memory.
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000), 1).save(path, optimize=True)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(InputError, match="decompression bomb"):
        list(load_pages(path))


# --- read end to end (shipped model) ----------------------------------------------------


@pytest.mark.model_snapshot
@pytest.mark.parametrize("size", [22, 26])
def test_read_splits_touching_letters(size):
    """Bold, blurred Latin letters touch ("rr", "oo"); the decoder reads them as
    the two letters the segmenter's touching point proposes, not as one m."""
    import cv2

    from ocr_pipeline import Reader

    img = Image.new("L", (600, 60), 255)
    ImageDraw.Draw(img).text((10, 15), "我们的error在root中", font=ImageFont.truetype(NOTO, size))
    gray = cv2.GaussianBlur(cv2.erode(np.array(img), np.ones((1, 2), np.uint8)), (3, 3), 0)
    assert Reader().read_image(gray).text == "我们的error在root中"


@pytest.mark.model_snapshot
def test_pictures_beside_text_are_not_read():
    """Avatars beside chat bubbles (here random-noise squares, taller than the text)
    were read as one rare hanzi each, with almost no confidence."""
    import cv2

    from ocr_pipeline import Reader

    rng = np.random.default_rng(0)
    img = Image.new("L", (520, 200), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(NOTO, 24)
    lines = ["我们这个中文识别", "人大国在有上不为和", "中文字识别的是了"]
    for n, text in enumerate(lines):
        blobs = cv2.GaussianBlur(rng.random((50, 50)), (0, 0), 3)  # a photo's shapes
        photo = cv2.normalize(blobs, None, 20, 200, cv2.NORM_MINMAX).astype(np.uint8)
        img.paste(Image.fromarray(photo), (10, 10 + 62 * n))
        draw.text((80, 22 + 62 * n), text, font=font, fill=0)
    page = Reader().read_image(np.array(img))
    assert page.text.split() == lines


@pytest.mark.model_snapshot
@pytest.mark.parametrize("size", [13, 14, 15, 16])
def test_hanzi_with_faint_hairlines_are_read_whole(size):
    """A light Song face at screen sizes: the hairlines of 上 目 书 stay under the solid
    ink level, and the solid strokes alone read "l:", "| |", "|$"."""
    from ocr_pipeline import Reader

    text = "按照目录顺序列出项目文件上游书"
    img = Image.new("L", (300, 40), 245)
    ImageDraw.Draw(img).text((10, 10), text, font=ImageFont.truetype(SERIF, size), fill=51)
    assert Reader().read_image(np.array(img)).text == text


@pytest.mark.model_snapshot
def test_read_a_screenshot_with_a_table_a_dark_block_and_an_underline():
    """Ruling lines and a block of light text on dark, each of which alone turned its
    part of the page into a few garbage characters before rules and blocks were handled."""
    import cv2

    from ocr_pipeline import Reader

    font = ImageFont.truetype(NOTO, 26)
    img = Image.new("RGB", (560, 330), "white")
    draw = ImageDraw.Draw(img)
    draw.text((20, 10), "我们这个中文识别", font=font, fill="black")
    underline = 10 + 26 + 6
    draw.line(
        (20, underline, 20 + draw.textlength("我们这个中文识别", font=font), underline),
        fill="black",
    )
    draw.rounded_rectangle((20, 60, 540, 150), radius=8, fill=(40, 44, 52))
    draw.text((40, 72), "abc 123 run", font=font, fill=(220, 220, 220))
    draw.text((40, 110), "人大国在有上", font=font, fill=(150, 200, 120))
    cells = [["中文", "一二三"], ["识别", "人大国"]]
    for r, row in enumerate(cells):
        y = 180 + 60 * r
        draw.line((20, y, 420, y), fill="black")
        for c, text in enumerate(row):
            draw.text((40 + 200 * c, y + 15), text, font=font, fill="black")
    draw.line((20, 300, 420, 300), fill="black")
    for x in (20, 220, 420):
        draw.line((x, 180, x, 300), fill="black")
    gray = cv2.cvtColor(np.array(img), cv2.COLOR_RGB2GRAY)
    text = Reader().read_image(gray).text
    # the table's rows read across, cell after cell
    for want in ("我们这个中文识别", "abc 123 run", "人大国在有上", "中文一二三", "识别人大国"):
        assert want in text.splitlines(), text


@pytest.mark.model_snapshot
def test_read_the_webpage_sample():
    """samples/webpage.png (samples/make_webpage.py): an underlined link, code on a
    dark block, a ruled table, a button and an icon.  Its lines, whitespace aside,
    are its expected text's."""
    samples = Path(__file__).resolve().parents[1] / "samples"
    res = runner.invoke(app, ["read", str(samples / "webpage.png")])
    assert res.exit_code == 0, res.output
    want = (samples / "webpage.txt").read_text(encoding="utf-8").splitlines()
    got = [line for line in res.stdout.splitlines() if line.strip()]
    assert ["".join(line.split()) for line in got] == ["".join(line.split()) for line in want]


@pytest.mark.model_snapshot
def test_read_reproduces_a_rendered_page(page_png):
    res = runner.invoke(app, ["read", str(page_png)])
    assert res.exit_code == 0, res.output
    assert res.stdout.split() == PAGE_LINES


@pytest.mark.model_snapshot
def test_read_formats(page_png, tmp_path):
    res = runner.invoke(app, ["read", str(page_png), "--format", "json"])
    doc = json.loads(res.stdout)
    lines = doc["pages"][0]["lines"]
    assert [ln["text"] for ln in lines] == PAGE_LINES
    first = lines[0]["chars"][0]
    assert set(first) >= {"char", "box", "confidence", "top"} and len(first["top"]) == 3
    assert 0 < first["confidence"] <= 1
    tsv = runner.invoke(app, ["read", str(page_png), "--format", "tsv"]).stdout.splitlines()
    words = [r.split("\t") for r in tsv if r.startswith("5\t")]
    assert "".join(w[11] for w in words) == "".join(PAGE_LINES)
    hocr = runner.invoke(app, ["read", str(page_png), "--format", "hocr"]).stdout
    assert hocr.count("ocrx_cinfo'") == sum(len(t) for t in PAGE_LINES)
    overlay = tmp_path / "overlay.png"
    res = runner.invoke(app, ["read", str(page_png), "--overlay", str(overlay)])
    assert res.exit_code == 0 and Image.open(overlay).size == Image.open(page_png).size


@pytest.mark.model_snapshot
def test_read_two_page_pdf(tmp_path):
    pdf = tmp_path / "two.pdf"
    pages = [render_page(PAGE_LINES[:1]), render_page(PAGE_LINES[1:2])]
    pages[0].convert("RGB").save(
        pdf, save_all=True, append_images=[pages[1].convert("RGB")], resolution=150
    )
    res = runner.invoke(app, ["read", str(pdf), "--dpi", "150"])
    assert res.exit_code == 0, res.output
    assert [p.split() for p in res.stdout.split("\f")] == [PAGE_LINES[:1], PAGE_LINES[1:2]]
    res = runner.invoke(app, ["read", str(pdf), "--dpi", "150", "--pages", "2"])
    assert res.stdout.split() == PAGE_LINES[1:2]
    res = runner.invoke(app, ["read", str(pdf), "--pages", "3"])
    assert res.exit_code != 0 and "no page 3" in res.stderr


def _overlay_names(tmp_path, *args) -> list[str]:
    out = tmp_path / "ov"
    out.mkdir()
    res = runner.invoke(app, ["read", *map(str, args), "--overlay", str(out / "ov.png")])
    assert res.exit_code == 0, res.output
    return sorted(p.name for p in out.iterdir())


def test_overlay_of_one_page_is_the_name_given(tmp_path, page_png):
    assert _overlay_names(tmp_path, page_png) == ["ov.png"]


def test_overlay_of_a_pdf_names_every_page(tmp_path):
    """Page 1 of a two-page PDF too goes to NAME-SRC-1 (it went to NAME itself); one
    page picked with --pages is the run's only page: NAME."""
    pdf = tmp_path / "scan.pdf"
    page = render_page(PAGE_LINES[:1]).convert("RGB")
    page.save(pdf, save_all=True, append_images=[page], resolution=150)
    assert _overlay_names(tmp_path, pdf) == ["ov-scan-1.png", "ov-scan-2.png"]
    (tmp_path / "ov").rename(tmp_path / "first")
    assert _overlay_names(tmp_path, pdf, "--pages", "2") == ["ov.png"]


def test_overlay_of_several_inputs_tells_twins_apart(tmp_path, page_png):
    """a.png and a.jpg do not draw over each other; b.png is named by its stem."""
    for name in ("a.png", "a.jpg", "b.png"):
        Image.open(page_png).convert("L").save(tmp_path / name)
    names = _overlay_names(tmp_path, *(tmp_path / n for n in ("a.png", "a.jpg", "b.png")))
    assert names == ["ov-a.jpg-1.png", "ov-a.png-1.png", "ov-b-1.png"]
    with Image.open(tmp_path / "ov" / "ov-b-1.png") as img:
        assert img.size == Image.open(page_png).size


def test_blank_page_gives_empty_text(tmp_path):
    path = tmp_path / "white.png"
    Image.new("L", (400, 300), 255).save(path)
    res = runner.invoke(app, ["read", str(path)])
    assert res.exit_code == 0
    assert res.stdout.strip() == ""


@pytest.mark.model_snapshot
def test_bad_input_in_a_batch(tmp_path, page_png):
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    res = runner.invoke(
        app, ["read", "--quiet-names", str(bad), str(page_png), str(tmp_path / "missing.png")]
    )
    assert res.exit_code == 1
    assert res.stdout.split() == PAGE_LINES
    assert "notes.txt: not an image" in res.stderr and "missing.png: no such file" in res.stderr
    assert "Traceback" not in res.output


@pytest.mark.model_snapshot
def test_segment_then_classify_round_trip(tmp_path, page_png):
    out = tmp_path / "crops"
    debug = tmp_path / "cuts.png"
    res = runner.invoke(app, ["segment", str(page_png), "-o", str(out), "--debug", str(debug)])
    assert res.exit_code == 0, res.output
    boxes = json.loads((out / "boxes.json").read_text())
    assert len(boxes["chars"]) == sum(len(t) for t in PAGE_LINES)
    assert Image.open(debug).size == Image.open(page_png).size
    res = runner.invoke(app, ["classify", str(out), "--framing", "asis"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[-1] == "".join(PAGE_LINES)


@pytest.mark.model_snapshot
def test_read_without_tensorflow(page_png):
    """The base install reads with LiteRT alone: importing tensorflow must not be needed."""
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "from typer.testing import CliRunner\n"
        "from ocr_pipeline.cli import app\n"
        f"r = CliRunner().invoke(app, ['read', {str(page_png)!r}])\n"
        "print(r.stdout, end='')\n"
        "sys.exit(r.exit_code)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == PAGE_LINES


def test_base_dependencies_have_no_tensorflow():
    import tomllib

    meta = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert not [d for d in meta["project"]["dependencies"] if "tensorflow" in d]


def test_a_hanzi_much_wider_than_its_neighbours_is_doubted():
    """A comma grouped with the hanzi before it makes a box 1.4 times as wide as the
    line's other hanzi: that reading is doubted and pays for its width."""
    from ocr_pipeline.decode import Candidate
    from ocr_pipeline.pipeline import _hanzi_width, _too_wide

    cands = [Candidate(n, n + 1, (n * 15, 0, n * 15 + 13, 13)) for n in range(4)]
    cands.append(Candidate(4, 6, (60, 0, 78, 13)))  # 数 with its comma: 18 px
    reads = list("参数声明数")
    typical = _hanzi_width(cands, reads)
    assert typical == 13
    assert _too_wide(cands[-1], "数", typical) > 0.1
    assert _too_wide(cands[0], "参", typical) == 0.0
    assert _too_wide(cands[-1], "m", typical) == 0.0  # Latin letters have their own widths
    assert _hanzi_width(cands[:2], reads[:2]) == 0.0  # too few hanzi to tell


def _fragment_scorer(reads: dict):
    """A scorer whose candidates read as given (char, probability)."""
    from types import SimpleNamespace

    from ocr_pipeline.pipeline import _Scorer
    from segmentation.segment import Line, Segmentation

    blank = np.zeros((20, 100), np.uint8)
    seg = Segmentation(gray=blank, ink=blank, mask=blank)
    seg.lines = [Line(box=(0, 0, 100, 20), block=0)]
    chars = "".join(dict.fromkeys(ch for ch, _ in reads.values()))
    scorer = _Scorer(seg, SimpleNamespace(charset=SimpleNamespace(chars=chars)), 1)
    for c, (ch, p) in reads.items():
        scorer.top[(0, c)] = ([chars.index(ch)], [p])
        scorer.scores[(0, c)] = float(np.log(p))
    return scorer


@pytest.mark.parametrize(
    "bit, bit_box, merged_read, want",
    [
        ("i", (20, 6, 21, 15), None, "简"),  # within the hanzi's box: its own stroke
        ("·", (18, 7, 19, 9), ("简", 0.9), "简"),  # hugging, and together the same hanzi
        ("·", (18, 7, 19, 9), ("筒", 0.9), "·简"),  # together something else
        ("·", (18, 7, 19, 9), ("简", 0.5), "·简"),  # together less sure
        ("·", (12, 7, 13, 9), ("简", 0.9), "·简"),  # a real gap before the hanzi
        ("，", (18, 12, 19, 15), ("简", 0.9), "，简"),  # punctuation is not a fragment
    ],
)
def test_cut_off_fragments_of_a_hanzi_are_taken_back(bit, bit_box, merged_read, want):
    from ocr_pipeline.pipeline import _absorb_fragments

    hanzi = Candidate(1, 2, (20, 2, 32, 16))
    frag = Candidate(0, 1, bit_box)
    reads = {frag: (bit, 0.8), hanzi: ("简", 0.8)}
    box = (min(bit_box[0], 20), 2, 32, 16)
    if merged_read:
        reads[Candidate(0, 2, box)] = merged_read
    scorer = _fragment_scorer(reads)
    cands = list(reads)
    path = _absorb_fragments([0, 1], cands, [(c,) for c in cands], scorer, 0, 20.0)
    assert "".join(scorer.char(0, cands[n]) for n in path) == want


@pytest.mark.parametrize(
    "lines, want",
    [
        (['见“在线帮助"一节'], ["见“在线帮助”一节"]),  # closes the “ before it
        (['为"文件”，'], ["为“文件”，"]),  # opens the ” after it
        (["“帮助", '"一节'], ["“帮助", "”一节"]),  # across the lines of a paragraph
        (['用"a"和"b"'], ['用"a"和"b"']),  # ASCII pairs stay ASCII
        (['“a" "b"'], ['“a" "b"']),  # its partner is another "
        (["无引号"], ["无引号"]),
    ],
)
def test_pair_quotes(lines, want):
    from ocr_pipeline.corrections import pair_quotes

    assert ["".join(line) for line in pair_quotes([list(x) for x in lines])] == want


@pytest.mark.parametrize(
    "lines, want",
    [
        # a page of ASCII commas between hanzi: a comma ending a line is one too
        (["甲,乙,丙,丁，", "戊"], ["甲,乙,丙,丁,", "戊"]),
        # and a page of full-width ones
        (["甲，乙，丙，丁,", "戊"], ["甲，乙，丙，丁，", "戊"]),
        # at the start of a line too
        (["甲,乙,丙,丁", "，戊"], ["甲,乙,丙,丁", ",戊"]),
        # too few settled marks, or no clear style: left as read
        (["甲,乙,丙，", "戊"], ["甲,乙,丙，", "戊"]),
        (["甲,乙,丙,丁，戊，己，", "庚"], ["甲,乙,丙,丁，戊，己，", "庚"]),
        # each kind of mark keeps its own count; brackets are left to pair_brackets
        (["甲,乙,丙,丁：", "戊(己"], ["甲,乙,丙,丁：", "戊(己"]),
        # a mark with no hanzi beside it is not Chinese text's
        (["甲,乙,丙,丁 a，", "戊"], ["甲,乙,丙,丁 a，", "戊"]),
    ],
)
def test_page_style(lines, want):
    from ocr_pipeline.corrections import page_style

    assert ["".join(line) for line in page_style([list(x) for x in lines])] == want


@pytest.mark.parametrize(
    "n_top, want",
    [
        (8, [0, 0, 0, 1]),  # rises 3 px over the x-height of 11: "rt" read as n
        (9, [0, 0, 0, 1]),  # 2 px: the t's top
        (10, [0, 0, 0, 0]),  # 1 px is anti-aliasing, not an ascender
        (11, [0, 0, 0, 0]),  # level with the others: an n
    ],
)
def test_an_n_that_rises_over_the_x_height_is_marked(n_top, want):
    from ocr_pipeline.pipeline import _risen

    cands = [Candidate(k, k + 1, (12 * k, 11, 12 * k + 10, 22)) for k in range(3)]
    cands.append(Candidate(3, 4, (36, n_top, 49, 22)))
    reads = dict(zip(cands, [("s", 0.9), ("o", 0.9), ("e", 0.9), ("n", 0.7)]))
    scorer = _fragment_scorer(reads)
    assert _risen([(c,) for c in cands], scorer, 0).tolist() == want


def test_no_x_height_to_measure_without_three_sure_letters():
    from ocr_pipeline.pipeline import _risen

    cands = [Candidate(0, 1, (0, 11, 10, 22)), Candidate(1, 2, (12, 11, 22, 22))]
    cands.append(Candidate(2, 3, (24, 2, 37, 22)))
    scorer = _fragment_scorer(dict(zip(cands, [("o", 0.9), ("e", 0.4), ("n", 0.7)])))
    assert _risen([(c,) for c in cands], scorer, 0).tolist() == [0, 0, 0]


def test_an_m_too_wide_for_the_line_is_also_tried_as_two_letters():
    """rn joined by a scan reads m; in a line whose letters are 10 px wide an m
    of 19 px is tried cut between its stems (a narrower one is not)."""
    from ocr_pipeline.pipeline import _arch_pairs
    from segmentation.segment import Line, Segmentation

    mask = np.zeros((20, 100), np.uint8)
    for x in (60, 68, 76):
        mask[6:18, x : x + 3] = 255
    mask[6:8, 60:79] = 255
    seg = Segmentation(gray=mask, ink=mask, mask=mask)
    seg.lines = [Line(box=(0, 0, 100, 20), block=0)]
    cands = [Candidate(k, k + 1, (12 * k, 6, 12 * k + 10, 18)) for k in range(4)]
    wide = Candidate(4, 5, (60, 6, 79, 18))
    seg.pieces = [np.array([c.box for c in cands] + [wide.box], np.int32)]
    reads = dict(zip(cands, [("o", 0.9), ("e", 0.9), ("n", 0.9), ("a", 0.9)]))
    reads[wide] = ("m", 0.95)
    scorer = _fragment_scorer(reads)
    pairs = _arch_pairs(seg, 0, [*cands, wide], scorer)
    assert len(pairs) == 3 and all(p.start == 4 and len(p.parts) == 2 for p in pairs)
    narrow = Candidate(4, 5, (60, 6, 76, 18))
    scorer = _fragment_scorer({**dict(zip(cands, reads.values())), narrow: ("m", 0.95)})
    assert _arch_pairs(seg, 0, [*cands, narrow], scorer) == []


def test_a_line_with_few_letters_measures_an_m_by_the_pages_letters():
    """A Chinese line with one English word has no three letters of its own to
    measure an m by: the page's letters (in line heights) stand in for them, so
    "format" read "fomat" (rm joined) is tried as two letters there too."""
    from ocr_pipeline.pipeline import _arch_pairs, _letter_width
    from segmentation.segment import Line, Segmentation

    mask = np.zeros((40, 100), np.uint8)
    for x in (60, 68, 76):
        mask[26:38, x : x + 3] = 255
    mask[26:28, 60:79] = 255
    seg = Segmentation(gray=mask, ink=mask, mask=mask)
    seg.lines = [Line(box=(0, 0, 100, 20), block=0), Line(box=(0, 20, 100, 40), block=0)]
    letters = [Candidate(k, k + 1, (12 * k, 6, 12 * k + 10, 18)) for k in range(4)]
    hanzi = Candidate(0, 1, (20, 21, 39, 39))
    wide = Candidate(1, 2, (60, 26, 79, 38))
    seg.pieces = [
        np.array([c.box for c in letters], np.int32),
        np.array([hanzi.box, wide.box], np.int32),
    ]
    reads = dict(zip(letters, [("o", 0.9), ("e", 0.9), ("n", 0.9), ("a", 0.9)]))
    scorer = _fragment_scorer({**reads, hanzi: ("的", 0.9), wide: ("m", 0.95)})
    line = [hanzi, wide]
    for c in line:  # the second line's reads
        scorer.top[(1, c)] = scorer.top.pop((0, c))
        scorer.scores[(1, c)] = scorer.scores.pop((0, c))
    assert _arch_pairs(seg, 1, line, scorer) == []  # nothing to measure by
    letter = _letter_width(seg, [letters, line], scorer)
    assert letter == pytest.approx(10 / 20)
    pairs = _arch_pairs(seg, 1, line, scorer, letter)
    assert len(pairs) == 3 and all(p.start == 1 and len(p.parts) == 2 for p in pairs)
    assert _letter_width(seg, [letters[:2], line], scorer) == 0.0  # too few on the page


@pytest.mark.parametrize(
    "read, other, doubted",
    [
        ((",", 0.35), ("，", 0.33), False),  # a comma either way: fix_width_forms decides
        ((",", 0.35), (".", 0.33), True),  # a comma or a full stop: the neighbours may tell
        (("x", 0.35), ("X", 0.33), True),
    ],
)
def test_a_comma_split_between_its_width_forms_is_not_doubted(read, other, doubted):
    from types import SimpleNamespace

    from ocr_pipeline.pipeline import _Scorer
    from segmentation.segment import Line, Segmentation

    blank = np.zeros((20, 100), np.uint8)
    seg = Segmentation(gray=blank, ink=blank, mask=blank)
    seg.lines = [Line(box=(0, 0, 100, 20), block=0)]
    chars = read[0] + other[0]
    scorer = _Scorer(seg, SimpleNamespace(charset=SimpleNamespace(chars=chars)), 2)
    c = Candidate(0, 1, (10, 12, 13, 18))
    scorer.top[(0, c)] = ([0, 1], [read[1], other[1]])
    scorer.scores[(0, c)] = float(np.log(read[1] + other[1]))
    assert (scorer.doubtful(0, [c]) == [0]) is doubted


def test_letter_runs_take_in_worn_letters_but_not_numbers():
    from ocr_pipeline.pipeline import _letter_runs

    chars = list("DA1ABASE用1024和ab|c")
    spaced = [False] * len(chars)
    spaced[-1] = True
    runs = [("".join(chars[a:b])) for a, b in _letter_runs(chars, spaced)]
    assert runs == ["DA1ABASE", "ab|c"]
    spaced[3] = True  # a space after DA1A
    assert [("".join(chars[a:b])) for a, b in _letter_runs(chars, spaced)][:2] == ["DA1A", "BASE"]


@pytest.mark.parametrize(
    "before, doubted",
    [
        ("错", [1, 2]),  # 讠 cut off 误 and read i: tried together with 吴
        ("P", []),  # API接口: an I after a Latin letter is a letter
    ],
)
def test_a_stroke_read_i_hugging_a_hanzi_is_tried_with_it(before, doubted):
    cands = [
        Candidate(0, 1, (0, 0, 20, 22)),
        Candidate(1, 2, (22, 2, 25, 22)),
        Candidate(2, 3, (26, 0, 44, 22)),
    ]
    scorer = _fragment_scorer(dict(zip(cands, [(before, 0.9), ("i", 0.9), ("吴", 0.9)])))
    assert scorer.doubtful(0, cands) == doubted


def _hanzi_line(reads: list[tuple[str, tuple[int, int]]]):
    """A segmentation of one 20 px line whose pieces are solid blocks at the given
    x-ranges, each joined to the next only where it touches, and their readings."""
    from segmentation.segment import Line, Segmentation

    mask = np.zeros((20, 120), np.uint8)
    for _, (a, b) in reads:
        mask[2:18, a:b] = 255
    mask[2:18, 34] = 0  # the thin joint inside the wide piece: a column with a
    mask[9:11, 34] = 255  # 2-pixel bridge, as touching strokes leave
    seg = Segmentation(gray=mask, ink=mask, mask=mask)
    seg.lines = [Line(box=(0, 0, 120, 20), block=0)]
    cands = [Candidate(k, k + 1, (a, 2, b, 18)) for k, (_, (a, b)) in enumerate(reads)]
    seg.pieces = [np.array([c.box for c in cands], np.int32)]
    scorer = _fragment_scorer(dict(zip(cands, [(ch, 0.9) for ch, _ in reads])))
    return seg, cands, scorer


def test_hanzi_touching_on_a_small_screen_are_tried_as_two():
    """配置 at 13 px: 酉 stands apart, its 己 touches 置 and the two read 遭."""
    from ocr_pipeline.pipeline import _hanzi_pairs

    seg, cands, scorer = _hanzi_line([("的", (0, 16)), ("酉", (18, 26)), ("遭", (27, 60))])
    pairs = _hanzi_pairs(seg, 0, cands, scorer, 16.0)
    assert len(pairs) == 1 and (pairs[0].start, pairs[0].end) == (1, 3)
    left, right = (p.box for p in pairs[0].parts)
    assert left[0] == 18 and left[2] == 34 and right[0] == 35 and right[2] == 60


def test_latin_capitals_read_as_one_wide_hanzi_are_not_cut_as_two():
    from ocr_pipeline.pipeline import _hanzi_pairs

    seg, cands, scorer = _hanzi_line([("似", (0, 16)), ("曰", (18, 60)), ("P", (62, 70))])
    assert _hanzi_pairs(seg, 0, cands, scorer, 16.0) == []
    seg, cands, scorer = _hanzi_line([("似", (0, 16)), ("曰", (18, 60)), ("的", (62, 78))])
    assert len(_hanzi_pairs(seg, 0, cands, scorer, 16.0)) == 1


@pytest.mark.parametrize("foot, want", [(23, "1234;#"), (21, "1234:#"), (22, "1234:#")])
def test_a_colon_hanging_below_the_baseline_is_a_semicolon(foot, want):
    """$n=1234;# on a scan: the ; lost most of its tail, but still reaches 2 px below
    the digits' foot; a colon's dot sits on it (1 px is blur)."""
    from ocr_pipeline.corrections import fix_semicolons

    boxes = [(12 * k, 5, 12 * k + 10, 21) for k in range(4)]
    boxes += [(50, 10, 53, foot), (62, 5, 72, 21)]
    assert "".join(fix_semicolons(list("1234:#"), np.array(boxes))) == want


def test_preload_loads_the_readers_word_lists_in_a_daemon_thread():
    from ocr_pipeline import Reader, language, lexicon

    language.shipped.cache_clear()
    lexicon.words.cache_clear()
    reader = Reader()
    thread = reader.preload()
    assert thread.daemon
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert language.shipped.cache_info().currsize == 1
    assert lexicon.words.cache_info().currsize == 1
    assert reader.lexicon is lexicon.words() and "database" in reader.lexicon
    assert reader.language is language.shipped()


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("—force", "--force"),  # at the start of the line
        ("-v,—verbose", "-v,--verbose"),  # after a comma
        ("和 一gid 选项", "和 --gid 选项"),  # after a space, read as the hanzi for one
        ("[—no-]", "[--no-]"),
        ("——Linux", "——Linux"),  # a Chinese dash is two
        ("中文—abc", "中文—abc"),  # not where a word starts
        ("一个", "一个"),
        ("— abc", "— abc"),  # a space after it
    ],
)
def test_a_dash_before_an_option_name_is_two_hyphens(text, want):
    line = _rule("option_dashes", _line_of(text))[0]
    assert line.text == want
    assert len(line.chars) == len(line.spaces)
    assert all(c.box[2] > c.box[0] for c in line.chars)


def _rule(name: str, *lines):
    """The lines after the reading rule ``name`` alone."""
    from ocr_pipeline import rules

    return rules.run(rules.by_name(name), lines)


def _line_of(text: str):
    """A LineResult of ``text``'s characters, 10 px each, spaces after those before one."""
    from ocr_pipeline.pipeline import CharResult, LineResult

    line = LineResult((0, 0, 10 * len(text), 10), 0)
    for n, ch in enumerate(text):
        if ch == " ":
            line.spaces[-1] = True
            continue
        line.chars.append(CharResult(ch, (10 * n, 0, 10 * n + 10, 10), 0.9, [(ch, 0.9)]))
        line.spaces.append(False)
    return line


def test_a_quote_closing_two_grave_accents_is_two_apostrophes():
    """roff's ``word'': the two apostrophes side by side read as one double quote."""
    first, second = _line_of("参阅 ``Routine"), _line_of('Indexing" 获取')
    other = _line_of('他说"好"')
    other.block = 1  # another paragraph: no `` to close
    first, second, other = _rule("closing_apostrophes", first, second, other)
    assert (first.text, second.text) == ("参阅 ``Routine", "Indexing'' 获取")
    assert other.text == '他说"好"'
    assert len(second.chars) == len(second.spaces)
    a, b = (c for c in second.chars if c.char == "'")
    assert a.box[2] == b.box[0] and a.box[0] < a.box[2] < b.box[2]  # the quote's halves


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("单独的 '•' 来代替", "单独的 '*' 来代替"),  # touching a neighbour: an asterisk
        ("宽度为•而不是", "宽度为*而不是"),
        ("等待 •filehandle", "等待 *filehandle"),
        ("• 列表项", "• 列表项"),  # a bullet starting a line stays
        ("首页 • 关于", "首页 • 关于"),  # so does one between spaced words
        ("a •", "a •"),  # ... and one ending a line
    ],
)
def test_a_bullet_inside_a_word_is_an_asterisk(text, want):
    line = _line_of(text)
    for c in line.chars:
        if c.char == "•":
            c.alternatives = [("•", 0.6), ("*", 0.3)]
    assert _rule("asterisks", line)[0].text == want
    line = _line_of("宽度为•而")  # not if the recogniser did not see an asterisk too
    assert _rule("asterisks", line)[0].text == "宽度为•而"
    line = _line_of("迈克尔·杰克逊")  # an interpunct joins the parts of a name
    line.chars[3].alternatives = [("·", 0.6), ("*", 0.3)]
    assert _rule("asterisks", line)[0].text == "迈克尔·杰克逊"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("CREATE D()MAIN 创建", "CREATE DOMAIN 创建"),  # an O whose top and bottom went
        ("可以从()'Reilly订购", "可以从O'Reilly订购"),
        ("(包括()S/2和", "(包括OS/2和"),
        ("调用 getc() 和", "调用 getc() 和"),  # a call stays
        ("putc()。", "putc()。"),
        ("f()G", "f()G"),  # after a name
        ("() A", "() A"),  # a space before the capital
    ],
)
def test_brackets_before_a_capital_are_an_o(text, want):
    line = _rule("broken_o", _line_of(text))[0]
    assert line.text == want
    assert len(line.chars) == len(line.spaces)
    o = [c for c in line.chars if c.char == "O" and "O" not in text]
    assert all(c.box[2] - c.box[0] == 20 for c in o)  # both brackets' boxes


@pytest.mark.model_snapshot
def test_the_colon_of_a_small_light_face_is_read():
    """At 13 px LXGW WenKai's colon is two single pixels, which went as specks."""
    from ocr_pipeline import Reader

    img = Image.new("L", (260, 30), 255)
    font = ImageFont.truetype(KAI, 13)
    ImageDraw.Draw(img).text((10, 8), "中文字识别: 我们这个", font=font, fill=30)
    text = Reader().read_image(np.array(img)).text.replace(" ", "")
    assert text in ("中文字识别:我们这个", "中文字识别：我们这个")


class _Rejecting:
    """The shipped model with a reject class appended: crops it reads as one of
    ``marks`` are "not a character" with probability ``sure``, others with ``other``."""

    def __init__(self, inner, marks: str, sure: float, other: float = 0.3) -> None:
        from recognizer.charset import REJECT, Charset

        self.inner, self.marks, self.sure, self.other = inner, marks, sure, other
        self.charset = Charset(inner.charset.chars + REJECT, "shipped+reject")
        self.input_size = inner.input_size

    def predict(self, crops: np.ndarray) -> np.ndarray:
        p = self.inner.predict(crops)
        hit = np.array([self.inner.charset.chars[j] in self.marks for j in p.argmax(1)])
        r = np.where(hit, self.sure, self.other)[:, None]
        return np.concatenate([p * (1 - r), r], axis=1).astype(np.float32)


@pytest.mark.model_snapshot
def test_the_reject_class_drops_what_is_no_character_and_steers_nothing():
    """Four black squares after a line were read as dots; a model that calls them no
    character drops them. A reject probability under the threshold changes nothing:
    paths are scored without it."""
    from ocr_pipeline import Reader
    from recognizer.runtime import Predictor

    img = Image.new("L", (420, 140), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(NOTO, 26)
    draw.text((20, 20), "我们识别中文字", font=font, fill=0)
    for k in range(4):
        draw.rectangle((250 + 30 * k, 22, 270 + 30 * k, 48), fill=0)
    draw.text((20, 80), "这个是大国和人", font=font, fill=0)
    gray = np.array(img)
    base = Predictor()
    raw = {"nontext": None, "rules": ()}
    plain = Reader(base, **raw).read_image(gray).text
    marks = "'.·•-_"
    assert sum(ch in marks for ch in plain) == 4  # the squares, read without the class
    unsure = Reader(_Rejecting(base, marks, 0.3), **raw).read_image(gray).text
    assert unsure == plain
    sure = _Rejecting(base, marks, 0.95)
    kept = "".join(ch for ch in plain if ch not in marks)
    assert Reader(sure, **raw).read_image(gray).text.split() == kept.split()
