"""Tests for the segmentation package, on pages rendered with the committed subset fonts."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from segmentation import binarize, cut_pieces, find_lines, segment_page
from segmentation.binarize import (
    INK_THRESHOLD,
    LOW_THRESHOLD,
    faint_threshold,
    ink_image,
    ink_mask,
    threshold_ink,
    to_gray,
)
from segmentation.characters import arch_splits, group_pieces, touching_split, word_gaps
from segmentation.clean import clean, find_rules
from segmentation.deskew import estimate_skew, rotate
from segmentation.geometry import median, percentile
from segmentation.segment import crops, draw_debug

FIXTURES = Path(__file__).parent / "fixtures"
FONTS = {
    "noto": FIXTURES / "NotoSansSC-subset.otf",
    "kai": FIXTURES / "LXGWWenKai-subset.ttf",
}
SPACE = 0.3  # width of a space, in em (the subset fonts have no space glyph)

Box = tuple[int, int, int, int]


# ---------------------------------------------------------------- rendering helper


@cache
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS[name]), size)


@cache
def _glyph_ink(name: str, size: int, ch: str) -> Box | None:
    """Ink box of one character drawn at (0, 0), pixels >= 50% coverage."""
    font = _font(name, size)
    pad = size
    img = Image.new("L", (3 * size, 3 * size), 0)
    ImageDraw.Draw(img).text((pad, pad), ch, font=font, fill=255)
    a = np.asarray(img) >= 128
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    if rows.size == 0:
        return None
    return cols[0] - pad, rows[0] - pad, cols[-1] + 1 - pad, rows[-1] + 1 - pad


@dataclass
class Page:
    """A rendered page: black text on white, and the truth per line."""

    image: np.ndarray
    chars: list[list[tuple[str, Box]]] = field(default_factory=list)

    @property
    def line_boxes(self) -> list[Box]:
        return [_union([b for _, b in line]) for line in self.chars]


def _union(boxes: list[Box]) -> Box:
    a = np.array(boxes)
    return int(a[:, 0].min()), int(a[:, 1].min()), int(a[:, 2].max()), int(a[:, 3].max())


def render(
    spec: list[tuple[int, int, str, int]], shape: tuple[int, int], font: str = "noto"
) -> Page:
    """Draw text lines (x, y, text, size) on a white page of ``shape`` (H, W).

    Characters are drawn one by one at integer positions, advancing by the
    font's advance width, so each character's ink box is known exactly.
    """
    img = Image.new("L", (shape[1], shape[0]), 255)
    draw = ImageDraw.Draw(img)
    page = Page(image=np.zeros(0))
    for x, y, text, size in spec:
        f = _font(font, size)
        line = []
        pos = float(x)
        for ch in text:
            if ch == " ":
                pos += SPACE * size
                continue
            px = round(pos)
            draw.text((px, y), ch, font=f, fill=0)
            ink = _glyph_ink(font, size, ch)
            if ink is not None:
                line.append((ch, (px + ink[0], y + ink[1], px + ink[2], y + ink[3])))
            pos += f.getlength(ch)
        page.chars.append(line)
    page.image = np.asarray(img).copy()
    return page


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area if area else 0.0


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a > 0, b > 0
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 1.0


PARAGRAPH = "中文字识别的是了人大国我们这个在有上不为和一二三永"


def paragraph_page(font: str = "noto", size: int = 28) -> tuple[Page, list[int]]:
    """A heading and three paragraphs; returns the page and the expected block per line."""
    spec, blocks = [], []
    y = 30
    spec.append((40, y, "中文字识别", round(size * 1.7)))
    blocks.append(0)
    y += round(size * 1.7 * 1.8)
    texts = [
        ["　　我们这个人在有上不为和，", "中文字识别的是了人大国。"],
        [
            "一二三永川儿小八行中文字识别的是了，",
            "大国我们这个在有上不为和一二三，",
            "人大国我们。",
        ],
        ["　　中文 abc 123 识别：", "（上）不为和“永”人大国。"],
    ]
    for p, lines in enumerate(texts, start=1):
        for text in lines:
            indent = size * 2 if text.startswith("　") else 0
            spec.append((40 + indent, y, text.lstrip("　"), size))
            blocks.append(p)
            y += round(size * 1.45)
        y += round(size * 0.9)
    return render(spec, (y + 30, 40 + size * 20 + 40), font), blocks


def two_column_page(size: int = 24, gap: float = 3, font: str = "noto") -> tuple[Page, list[int]]:
    """Header, a spanning title, two columns of 6 lines ``gap`` em apart, and a footer.

    Returns the page and the expected reading-order index of each spec line.
    """
    width = 2 * 12 * size + round(gap * size) + 80
    col2 = 40 + 12 * size + round(gap * size)
    spec = [(40, 20, "Page 12 abc", size)]
    spec.append((40 + 6 * size, 20 + 2 * size, "中文字识别的是了人", round(size * 1.5)))
    top = 20 + 5 * size
    left = [(PARAGRAPH * 4)[i * 7 : i * 7 + 12] for i in range(6)]
    right = [(PARAGRAPH * 4)[i * 5 + 3 : i * 5 + 15] for i in range(6)]
    right[-1] = right[-1][:5] + "。"
    for i, text in enumerate(left):
        spec.append((40, top + round(i * 1.5 * size), text, size))
    for i, text in enumerate(right):
        spec.append((col2, top + round(i * 1.5 * size), text, size))
    bottom = top + round(6 * 1.5 * size) + size
    spec.append((width // 2 - size, bottom, "- 12 -", size))
    page = render(spec, (bottom + 2 * size, width), font)
    return page, list(range(len(spec)))


# ---------------------------------------------------------------- to_gray / binarize


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: np.full((4, 5), 200, np.uint8), 200),
        (lambda: np.full((4, 5, 1), 200, np.uint8), 200),
        (lambda: np.full((4, 5, 3), 200, np.uint8), 200),
        (lambda: np.dstack([np.full((4, 5, 3), 10, np.uint8), np.zeros((4, 5), np.uint8)]), 255),
        (lambda: np.full((4, 5), 65535, np.uint16), 255),
        (lambda: np.full((4, 5), 0.5, np.float32), 128),
        (lambda: np.full((4, 5), 100.0, np.float64), 100),
    ],
)
def test_to_gray_accepts_formats(make, expected):
    gray = to_gray(make())
    assert gray.shape == (4, 5) and gray.dtype == np.uint8
    assert int(gray[0, 0]) == expected


@pytest.mark.parametrize(
    "bad", [np.zeros((0, 5), np.uint8), np.zeros(7, np.uint8), np.zeros((2, 2, 2, 2), np.uint8)]
)
def test_to_gray_rejects_bad_arrays(bad):
    with pytest.raises(ValueError):
        to_gray(bad)


@pytest.fixture(scope="module")
def para():
    return paragraph_page()


def test_binarize_polarity_invariant(para):
    page, _ = para
    img = page.image
    reference = binarize(img)
    assert reference.dtype == np.uint8 and set(np.unique(reference)) == {0, 255}
    inverted = binarize(255 - img)
    screen = binarize((30 + (255 - img.astype(np.float32)) * (190 / 255)).astype(np.uint8))
    assert mask_iou(reference, inverted) > 0.95
    assert mask_iou(reference, screen) > 0.95
    truth = img < 128
    assert mask_iou(reference, truth) > 0.9


def test_binarize_uneven_light_noise_jpeg(para):
    page, _ = para
    img = page.image.astype(np.float32)
    h, w = img.shape
    light = np.linspace(1.0, 0.35, w)[None, :] * np.linspace(1.0, 0.8, h)[:, None]
    rng = np.random.default_rng(0)
    lit = np.clip(img * light + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    ok, jpg = cv2.imencode(".jpg", lit, [cv2.IMWRITE_JPEG_QUALITY, 50])
    assert ok
    degraded = cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE)
    truth = page.image < 128
    assert mask_iou(clean(binarize(degraded)), truth) > 0.8
    lines = find_lines(clean(binarize(degraded)))
    assert len(lines) == len(page.chars)


@pytest.mark.parametrize("shade", [40, 110], ids=["code-block", "button"])
def test_light_text_on_a_dark_block_is_ink(para, shade):
    """A block of the other polarity in a page (a code block, a button): its text is
    ink and the block is not, in the ink image and in the segmentation."""
    page, _ = para
    x0, y0, x1, y1 = page.line_boxes[3]
    x0, y0, x1, y1 = x0 - 15, y0 - 12, x1 + 15, y1 + 12
    image = page.image.copy()
    paper = image[y0:y1, x0:x1].astype(np.float32) / 255  # 1 on paper, 0 on ink
    image[y0:y1, x0:x1] = np.rint(shade + (1 - paper) * (235 - shade)).astype(np.uint8)
    ink = binarize(image)
    truth = page.image < 128
    assert mask_iou(ink[y0:y1, x0:x1], truth[y0:y1, x0:x1]) > 0.8
    assert mask_iou(ink, truth) > 0.9
    seg = segment_page(image)
    assert _matched(seg, page) == sum(len(line) for line in page.chars)


@pytest.mark.parametrize("band", [200, 214])
def test_text_on_a_light_grey_band_is_ink(para, band):
    """A grey band across a page (a web page's navigation bar, a shaded box), darker
    than the paper but far lighter than the text: the band is paper, its text ink. The
    background's max filter, wider than the band, had made all of it a slab of ink."""
    page, _ = para
    h, w = page.image.shape
    image = np.full((h, 1600), 255, np.uint8)  # a wide page: the filter is 48 px wide
    image[:, :w] = page.image
    truth = image < 128
    _, y0, _, y1 = page.line_boxes[3]
    y0, y1 = y0 - 8, y1 + 8  # a band 43 px high
    paper = image[y0:y1].astype(np.float32) / 255  # 1 on paper, 0 on ink
    image[y0:y1] = np.rint(paper * band + (1 - paper) * 85).astype(np.uint8)
    assert mask_iou(binarize(image)[y0:y1], truth[y0:y1]) > 0.8
    seg = segment_page(image)
    assert _matched(seg, page) == sum(len(line) for line in page.chars)


def test_uneven_light_is_not_a_block(para):
    page, _ = para
    h, w = page.image.shape
    shade = np.ones((h, w), np.float32)
    shade[: h // 2] = 0.7  # the top half in shadow, as a scanner lid leaves it
    image = np.rint(page.image * shade).astype(np.uint8)
    assert np.array_equal(ink_image(image), ink_image(image, blocks=False))


@pytest.mark.parametrize(
    "image",
    [
        np.full((120, 200), 255, np.uint8),
        np.zeros((120, 200), np.uint8),
        np.full((120, 200, 3), 90, np.uint8),
        np.clip(np.random.default_rng(1).normal(200, 8, (120, 200)), 0, 255).astype(np.uint8),
    ],
    ids=["white", "black", "gray-bgr", "noise"],
)
def test_blank_images_have_no_ink(image):
    assert not binarize(image).any()
    assert not ink_image(image).any()


def test_ink_image_keeps_antialiasing(para):
    page, _ = para
    ink = ink_image(page.image)
    assert ink.dtype == np.uint8 and ink.shape == page.image.shape
    assert np.median(ink) < 5 and ink.max() > 240
    partial = np.count_nonzero((ink > 40) & (ink < 215))
    assert partial > 0.05 * np.count_nonzero(ink > 40)


# ---------------------------------------------------------------- clean


def test_clean_removes_specks_keeps_punctuation():
    page = render([(20, 20, "ij中文，。、：i.j;", 32)], (90, 520))
    mask = binarize(page.image)
    noisy = mask.copy()
    for y, x in [(5, 300), (80, 100), (70, 480), (4, 10)]:
        noisy[y : y + 2, x : x + 2] = 255
    cleaned = clean(noisy)
    for y, x in [(5, 300), (80, 100), (70, 480), (4, 10)]:
        assert not cleaned[y : y + 2, x : x + 2].any()
    lost = np.count_nonzero((mask > 0) & (cleaned == 0))
    assert lost == 0


def _ruled(page: Page, lines: list[tuple[int, int, int, int]], width: int = 1) -> np.ndarray:
    """The page with straight black lines (x0, y0, x1, y1) drawn on it."""
    img = Image.fromarray(page.image)
    draw = ImageDraw.Draw(img)
    for line in lines:
        draw.line(line, fill=0, width=width)
    return np.asarray(img).copy()


def _matched(seg, page: Page) -> int:
    """How many of the page's characters the segmentation boxes with IoU >= 0.6."""
    found = [c.box for line in seg.chars for c in line]
    truth = [b for line in page.chars for _, b in line]
    return sum(any(iou(t, f) >= 0.6 for f in found) for t in truth)


def test_table_grid_is_taken_out_and_its_cells_read_as_lines():
    size = 22
    cells = [
        ["中文", "识别", "人大国在有"],
        ["我们", "12", "这个在有上"],
        ["是了", "34", "不为和中文"],
        ["大国", "56", "的是了字识"],
    ]
    xs, pitch, top = [20, 120, 220, 400], 40, 20
    spec = [
        (xs[c] + 10, top + 8 + r * pitch, t, size)
        for r, row in enumerate(cells)
        for c, t in enumerate(row)
    ]
    bottom = top + len(cells) * pitch
    page = render(spec, (bottom + 20, 420))
    rules = [(20, top + r * pitch, 400, top + r * pitch) for r in range(len(cells) + 1)]
    rules += [(x, top, x, bottom) for x in xs]
    seg = segment_page(_ruled(page, rules))
    assert len(seg.lines) == len(cells)  # its rows read across, not column by column
    assert max(line.height for line in seg.lines) <= 1.3 * size
    assert _matched(seg, page) == sum(len(line) for line in page.chars)
    assert sum(len(line) for line in seg.chars) == sum(len(line) for line in page.chars)
    # no ink left on the rules (a pixel beside a 1-px line may hold its anti-aliasing)
    for x0, y0, x1, y1 in rules:
        assert not seg.mask[y0 : y1 + 1, x0 : x1 + 1].any()


def test_a_rule_between_two_columns_keeps_them_columns():
    """A lone vertical rule between a page's columns is no table: the columns are still
    read one after the other."""
    page, _ = two_column_page()
    mid = page.image.shape[1] // 2
    ys = [b[1] for b in page.line_boxes] + [b[3] for b in page.line_boxes]
    image = _ruled(page, [(mid, min(ys) + 40, mid, max(ys) - 40)], width=2)
    seg = segment_page(image)
    found = [line.box for line in seg.lines]
    plain = [line.box for line in segment_page(page.image).lines]
    assert [b[0] // 8 for b in found] == [b[0] // 8 for b in plain]


def test_underline_is_taken_out_of_the_line():
    size = 24
    page = render([(20, 16, "中文字识别的是了人大国", size)], (60, 330))
    bottom = max(b[3] for _, b in page.chars[0])
    seg = segment_page(_ruled(page, [(18, bottom, 300, bottom)]))
    assert len(seg.lines) == 1 and seg.lines[0].box[3] <= bottom
    assert not seg.ink[bottom, 18:301].any()
    assert _matched(seg, page) == len(page.chars[0])


def test_blanks_and_dashes_in_a_line_are_text_and_a_separator_is_not():
    size = 24
    spec = [
        (20, 16, "我们这个识别：", size),
        (20, 60, "中文", size),
        (220, 60, "人大国我们", size),
        (20, 104, "在有上不为和一二三永川", size),
    ]
    page = render(spec, (180, 400))
    blank = (195, 16 + size, 380, 16 + size)  # a fill-in blank after 识别：
    dash = (75, 60 + size // 2, 210, 60 + size // 2)  # a long dash after 中文
    separator = (10, 150, 390, 150)
    seg = segment_page(_ruled(page, [blank, dash, separator], width=2))
    for x0, y0, x1, _ in (blank, dash):
        assert seg.mask[y0 - 1 : y0 + 2, x0 + 5 : x1 - 5].any(axis=0).all()
    assert not seg.mask[147:154].any()
    assert len(seg.lines) == 3


def test_a_heading_character_is_not_a_rule():
    body = render([(20, 130, "中文字识别的是了人大国我们这个在有上不为和", 16)], (170, 420))
    heading = render([(20, 10, "中川", 100)], (170, 420))
    image = np.minimum(body.image, heading.image)
    mask = binarize(image)
    assert find_rules(mask) is None


# ---------------------------------------------------------------- deskew


@pytest.mark.parametrize("angle", [2.0, -2.0, 0.0, 3.5])
def test_estimate_skew(para, angle):
    page, _ = para
    rotated = rotate(page.image, angle)
    assert rotated.shape == page.image.shape
    assert rotated[0, 0] == 255  # corners filled with the background
    assert abs(estimate_skew(binarize(rotated)) - angle) < 0.5


def test_estimate_skew_on_a_full_page():
    # its speed is a benchmark figure: python -m benchmarks timings
    page = render(
        [(60, 60 + 40 * i, PARAGRAPH + PARAGRAPH[:10], 32) for i in range(40)], (1754, 1240)
    )
    angle = estimate_skew(binarize(rotate(page.image, 1.0)))
    assert abs(angle - 1.0) < 0.5


# ---------------------------------------------------------------- lines


def _check_lines(found, truth_boxes, tol):
    assert len(found) == len(truth_boxes)
    for line, truth in zip(found, truth_boxes, strict=True):
        assert max(abs(a - b) for a, b in zip(line.box, truth, strict=True)) <= tol, (line, truth)


@pytest.mark.parametrize("font", ["noto", "kai"])
def test_find_lines_paragraphs(font):
    size = 28
    page, blocks = paragraph_page(font, size)
    lines = find_lines(binarize(page.image))
    _check_lines(lines, page.line_boxes, tol=max(3, round(3 * size / 32)))
    assert [line.block for line in lines] == blocks
    assert lines[0].height > 1.4 * lines[1].height  # the heading
    assert {line.column for line in lines} == {0}


def test_find_lines_two_columns():
    page, order = two_column_page()
    lines = find_lines(binarize(page.image))
    truth = page.line_boxes
    _check_lines(lines, [truth[i] for i in order], tol=3)
    columns = [line.column for line in lines]
    assert columns == [0, 0] + [0] * 6 + [1] * 6 + [0]
    blocks = [line.block for line in lines]
    assert blocks == sorted(blocks) and blocks[2] != blocks[8]


def test_find_lines_two_columns_two_em_apart_in_a_thin_face():
    """The gutter's width is measured against the words' height, not the components'
    (which a face whose strokes come apart makes small): columns 2 em apart stay columns."""
    page, _ = two_column_page(size=16, gap=2, font="kai")
    columns = [line.column for line in find_lines(binarize(page.image))]
    assert columns == [0, 0] + [0] * 6 + [1] * 6 + [0]


@pytest.mark.parametrize(("font", "size"), [("noto", 16), ("noto", 18), ("kai", 14)])
def test_find_lines_option_list_reads_row_by_row(font, size):
    """Options and their descriptions, the descriptions two spaces after the longest
    option: a strip of blank as wide as a word space or two is not a gutter between
    columns, though it is wider than the components' height (Latin letters and
    strokes that come apart make that small) once dilated by it."""
    rows = [
        ("--context", "中文字识别的是"),
        ("--show-pgids", "大国我们"),
        ("-a, --all", "这个在有"),
        ("--no-color", "上不为和"),
    ]
    font_ = _font(font, size)
    col = 20 + max(font_.getlength(option) for option, _ in rows) + 2 * SPACE * size
    pitch = round(1.6 * size)
    spec = []
    for i, (option, text) in enumerate(rows):
        spec += [(20, 20 + i * pitch, option, size), (round(col), 20 + i * pitch, text, size)]
    last = "--interactive-mode"  # the description one space after it
    after = round(20 + font_.getlength(last) + SPACE * size)
    spec += [(20, 20 + 4 * pitch, last, size), (after, 20 + 4 * pitch, "一二三永川儿", size)]
    page = render(spec, (40 + 5 * pitch, 560), font)
    lines = find_lines(binarize(page.image))
    assert {line.column for line in lines} == {0}
    assert len(lines) == 5


@pytest.mark.parametrize(("rows", "across"), [(2, True), (3, False)])
def test_sections_of_fewer_than_three_lines_per_column_read_across(rows, across):
    """Text on both sides of a gutter for ``rows`` lines, then a line that crosses it:
    two lines beside each other are parts of two rows, three are columns."""
    from segmentation.lines import _sections

    mask = np.zeros((40 * (rows + 2), 400), bool)
    for i in range(rows):
        mask[10 + 40 * i : 30 + 40 * i, 20:150] = True  # left part of the row
        mask[10 + 40 * i : 30 + 40 * i, 200:380] = True  # right part
    crossing = 10 + 40 * rows
    mask[crossing : crossing + 20, 20:380] = True
    sections = _sections(mask, [(160, 190)], 20.0)
    first = next(s for s in sections if s[0] <= 10 < s[1])
    assert first[2] is across
    assert any(a <= crossing < b and spanning for a, b, spanning in sections)


@pytest.mark.parametrize("pitch", [31, 32, 34])
def test_find_lines_touching_lines(pitch):
    """Descenders reach into (and touch) the next line: no blank row separates the lines."""
    texts = ["中文gypg我们", "大国人大国人个", "ygyg永川儿"]
    page = render([(10, 10 + i * pitch, t, 32) for i, t in enumerate(texts)], (140, 300))
    mask = binarize(page.image)
    first, second = page.line_boxes[:2]
    assert mask[first[1] : second[3]].any(axis=1).all()  # no blank row between lines 1 and 2
    _check_lines(find_lines(mask), page.line_boxes, tol=3)


def test_find_lines_tiny_band_is_merged():
    page = render([(20, 20, "中文字识别", 32), (20, 62, "。、", 32)], (120, 260))
    mask = binarize(page.image)
    rows = np.flatnonzero(mask.any(axis=1))
    assert np.any(np.diff(rows) > 1)  # the dots really are a separate row band
    lines = find_lines(mask)
    assert len(lines) == 1
    assert lines[0].box[3] >= page.line_boxes[1][3] - 1


@pytest.mark.parametrize(
    "parts, want",
    [
        # the tails of p and g cut off under a Latin line (Liberation Serif, 22 px)
        ([(21, 26, 795, 40), (310, 37, 631, 44)], [(21, 26, 795, 44)]),
        ([(310, 37, 631, 44), (21, 26, 795, 40)], [(21, 26, 795, 44)]),
        # two lines of text
        ([(0, 0, 600, 20), (0, 22, 600, 41)], [(0, 0, 600, 20), (0, 22, 600, 41)]),
        # a short line (a row of dots) with a real gap above it
        ([(0, 0, 600, 20), (0, 26, 90, 32)], [(0, 0, 600, 20), (0, 26, 90, 32)]),
    ],
)
def test_descenders_cut_off_a_latin_line_rejoin_it(parts, want):
    from segmentation.lines import _rejoin_short

    assert _rejoin_short(parts, 20.0) == want


# ---------------------------------------------------------------- characters

CHAR_LINES = [
    "中文abc 123，我们。",
    "川儿小八行人大国",
    "识别的是了，这个在有上。",
    "一二三永 Hello 2024：（中）",
    "我们“川”、儿小！",
]


def _line_cases():
    for font in FONTS:
        for size in (24, 32, 40):
            spec = [(10, 10 + round(i * size * 1.6), t, size) for i, t in enumerate(CHAR_LINES)]
            shape = (20 + round(len(CHAR_LINES) * size * 1.6), 20 + 16 * size)
            yield font, size, render(spec, shape, font)


@pytest.fixture(scope="module")
def char_pages():
    return list(_line_cases())


def test_pieces_never_merge_separated_characters(char_pages):
    for font, size, page in char_pages:
        mask = binarize(page.image)
        for truth in page.chars:
            box = _union([b for _, b in truth])
            pieces = cut_pieces(mask, box)
            assert pieces.dtype == np.int32 and pieces.shape[1] == 4
            assert np.all(np.diff(pieces[:, 0]) > 0)
            edges = set(pieces[:, 0].tolist())
            for (_, a), (ch, b) in zip(truth[:-1], truth[1:], strict=True):
                if b[0] >= a[2]:  # the two characters do not overlap horizontally
                    near = any(a[2] <= e <= b[0] + 1 for e in edges)
                    assert near, (font, size, ch)


def test_the_lines_labelling_cuts_as_each_spans_own(char_pages):
    """cut_pieces labels a line's components once; each span between blank columns
    must be cut as if labelled on its own (the labelling _split_kerned falls back to)."""
    from segmentation.characters import _split_kerned, _split_wide
    from segmentation.geometry import runs

    checked = 0
    for _, _, page in char_pages:
        mask = binarize(page.image)
        for truth in page.chars:
            x0, y0, x1, y1 = _union([b for _, b in truth])
            sub = mask[y0:y1, x0:x1] > 0
            profile = sub.sum(axis=0)
            own = [
                (x0 + s + a, y0 + top, x0 + s + b, y0 + bottom)
                for rs, re in runs(profile > 0)
                for s, e in _split_wide(profile, rs, re, y1 - y0)
                for a, b, top, bottom in _split_kerned(sub[:, s:e], y1 - y0)
            ]
            np.testing.assert_array_equal(cut_pieces(mask, (x0, y0, x1, y1)), own)
            checked += len(own)
    assert checked > 300


def test_group_pieces_matches_truth(char_pages):
    total, good = 0, 0
    for _, _, page in char_pages:
        mask = binarize(page.image)
        for truth in page.chars:
            box = _union([b for _, b in truth])
            pieces = cut_pieces(mask, box)
            groups = group_pieces(pieces, box[3] - box[1])
            assert groups[0][0] == 0 and groups[-1][1] == len(pieces)
            assert all(a[1] == b[0] for a, b in zip(groups[:-1], groups[1:], strict=True))
            found = [_union([tuple(p) for p in pieces[s:e]]) for s, e in groups]
            for _, t in truth:
                total += 1
                good += max(iou(t, f) for f in found) >= 0.7
    assert good >= 0.9 * total, f"{good}/{total}"


def test_word_gaps():
    page = render([(10, 10, "中文 abc 123 中", 32)], (70, 420))
    truth = page.chars[0]
    boxes = np.array([b for _, b in truth], np.int32)
    gaps = word_gaps(boxes, 32)
    expected = [False] * (len(truth) - 1)
    for i in (1, 4, 7):  # after 文, c and 3
        expected[i] = True
    assert gaps.tolist() == expected


#: Ink columns of "pip install pageocr" in DejaVu Sans Mono at 14 px (a screenshot of a
#: terminal, segmented by pageocr): a cell is ~8.4 px, and s, narrower than n and t,
#: leaves a gap as wide as the line's word gaps' threshold by the ink alone.
MONO_LINE = [
    (21, 27), (29, 35), (38, 44),
    (55, 61), (63, 69), (73, 78), (80, 86), (88, 95), (97, 103), (105, 111),
    (122, 128), (130, 137), (139, 145), (147, 153), (156, 162), (164, 169), (174, 180),
]  # fmt: skip


def test_word_gaps_monospaced():
    """In a monospaced run, word spaces are the letters two cells apart, not the
    gaps that a narrow letter leaves in its cell."""
    boxes = np.array([(x0, 15, x1, 24) for x0, x1 in MONO_LINE], np.int32)
    assert np.flatnonzero(word_gaps(boxes, 14)).tolist() == [2, 9]


#: Ink columns of "DROP SCHEMA从数" on a 150-dpi development page (benchmarks pages
#: --seed 1, a proportional serif, line height 24 px): capitals nearly a cell apart
#: each, and the word space only ~1.15 cells.
CAPITALS_LINE = [
    (101, 117), (119, 134), (136, 152), (154, 166),
    (174, 184), (187, 201), (204, 220), (222, 235), (237, 257), (258, 276),
    (282, 305), (307, 330),
]  # fmt: skip


def test_word_gaps_evenly_spaced_capitals_are_not_monospaced():
    boxes = np.array([(x0, 190, x1, 212) for x0, x1 in CAPITALS_LINE], np.int32)
    assert np.flatnonzero(word_gaps(boxes, 24)).tolist() == [3]


# ---------------------------------------------------------------- segment_page


def test_a_picture_beside_a_line_gets_a_line_of_its_own():
    """An icon twice as tall as the text beside it made the line as tall, and every
    crop of the line was framed for a line of that height."""
    size = 24
    page = render([(80, 22, "我们这个中文识别", size)], (80, 360))
    image = page.image.copy()
    cv2.circle(image, (35, 37), 22, 0, 5)  # a smiling icon
    cv2.circle(image, (27, 30), 3, 0, -1)
    cv2.circle(image, (43, 30), 3, 0, -1)
    cv2.ellipse(image, (35, 40), (10, 8), 0, 20, 160, 0, 3)
    seg = segment_page(image)
    text = [line for line in seg.lines if line.box[0] >= 70]
    assert len(text) == 1 and text[0].height <= size + 2
    assert any(line.box[2] <= 62 and line.height >= 45 for line in seg.lines)
    assert _matched(seg, page) == len(page.chars[0])


def test_an_icon_beside_a_short_title_gets_a_line_of_its_own():
    """A web page's admonition: a warning sign 1.45 times as tall as the text before a
    two-hanzi title.  Too short to be a picture by its height, it joined the title's
    line and was read "•", and the title with it was dropped as no text."""
    size = 20
    body = [(20, 70 + 30 * n, "我们这个中文识别人大国在有上", size) for n in range(3)]
    page = render([(50, 22, "中文", size), *body], (170, 320))
    image = page.image.copy()
    triangle = np.array([(29, 18), (15, 47), (44, 47)], np.int32)  # 29 px tall
    cv2.fillPoly(image, [triangle], 0)
    cv2.line(image, (29, 27), (29, 39), 255, 3)  # its "!"
    seg = segment_page(image)
    assert any(line.box[2] <= 46 and line.box[3] - line.box[1] >= 27 for line in seg.lines)
    title = [line for line in seg.lines if line.box[0] >= 48 and line.box[1] < 60]
    assert len(title) == 1 and title[0].height <= size + 2
    assert _matched(seg, page) == sum(len(line) for line in page.chars)


def test_hanzi_taller_than_the_latin_around_them_are_no_icon():
    """A 96-dpi web print sets Latin smaller than hanzi: two hanzi a half taller than
    the letters around them and than the page's text (mostly Latin) are no icon while
    the other is as tall (debian-reference's "选择”Internet" lost its ” to a line
    of its own)."""
    words = ["mail for the user", "a smarthost of its own", "set up with exim", "or postfix"]
    spec = [(20, 20 + 20 * n, text, 11) for n, text in enumerate(words)]
    line = [(20, 99, "smarthost", 11), (88, 97, "中文", 15), (122, 99, "mail", 11)]
    page = render([*spec, *line], (130, 260))
    seg = segment_page(page.image)
    last = [line for line in seg.lines if line.box[1] >= 95]
    assert len(last) == 1 and last[0].box[0] <= 22 and last[0].box[2] >= 140


def test_segment_page_blank():
    seg = segment_page(np.full((300, 200, 3), 255, np.uint8))
    assert seg.lines == [] and seg.chars == [] and seg.pieces == []
    assert crops(seg).shape == (0, 32, 32)
    assert draw_debug(seg).shape == (300, 200, 3)


def test_segment_page_two_columns(tmp_path):
    page, _ = two_column_page()
    bgr = cv2.cvtColor(rotate(page.image, 1.5), cv2.COLOR_GRAY2BGR)
    seg = segment_page(bgr)
    assert abs(seg.angle - 1.5) < 0.5
    assert len(seg.lines) == len(page.chars)
    assert [line.column for line in seg.lines][2:14] == [0] * 6 + [1] * 6
    n_chars = sum(len(c) for c in seg.chars)
    n_truth = sum(len(c) for c in page.chars)
    assert abs(n_chars - n_truth) <= 0.1 * n_truth
    out = crops(seg, size=24)
    assert out.shape == (n_chars, 24, 24) and out.dtype == np.uint8
    assert all(c.max() > 128 for c in out)
    debug = draw_debug(seg)
    assert debug.shape == page.image.shape + (3,) and debug.dtype == np.uint8
    cv2.imwrite(str(tmp_path / "debug.png"), debug)


# ---------------------------------------------------------------- faint marks, kerning


def test_faint_mark_kept_without_joining_letters():
    """A thin 。 that never reaches half the ink level is kept whole, while two
    strokes whose anti-aliased gap is faint stay apart."""
    ink = np.zeros((40, 60), np.uint8)
    cv2.circle(ink, (10, 20), 3, 110, 1)  # faint ring: below INK_THRESHOLD everywhere
    ink[10:30, 30:33] = 255  # two solid strokes ...
    ink[10:30, 34:37] = 255
    ink[10:30, 33] = 90  # ... with a faint anti-aliased column between them
    strict = threshold_ink(ink)
    mask = ink_mask(ink)
    assert strict[13:28, 6:15].max() == 0
    assert (mask[13:28, 6:15] > 0).sum() >= 12
    assert mask[10:30, 33].max() == 0
    n, _ = cv2.connectedComponents((mask > 0).astype(np.uint8))
    assert n - 1 == 3
    np.testing.assert_array_equal(ink_mask(ink, faint_threshold(ink)), mask)
    assert ink_mask(ink, INK_THRESHOLD)[13:28, 6:15].max() == 0  # no faint level: none kept


def test_blurred_ring_with_solid_specks_is_kept_whole():
    """A blurred 。 reaches the solid level in a few separate specks of its ring:
    the whole ring is kept, while two solid strokes joined by faint ink, each a
    large part of their faint shape, stay apart."""
    ink = np.zeros((40, 60), np.uint8)
    cv2.circle(ink, (10, 20), 4, 110, 1)
    for x, y in ((6, 20), (14, 20), (10, 16)):  # three solid specks on the ring
        ink[y, x] = 200
    ink[10:30, 30:33] = 255
    ink[10:30, 34:37] = 255
    ink[10:30, 33] = 90
    mask = ink_mask(ink)
    assert (mask[14:27, 4:17] > 0).sum() >= 20  # the ring, not just its specks
    assert mask[10:30, 33].max() == 0


def test_faint_level_follows_noise():
    rng = np.random.default_rng(0)
    clean_ink = np.zeros((200, 200), np.uint8)
    noisy = np.clip(rng.normal(0, 12, (200, 200)), 0, 255).astype(np.uint8)
    assert faint_threshold(clean_ink) == LOW_THRESHOLD
    assert faint_threshold(noisy) > LOW_THRESHOLD + 20


def _two_shapes(overlap: int, bridge: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A "V" and an "o" side by side in a 30 px line, their x-ranges overlapping by
    ``overlap`` px without touching; ``bridge`` joins them with faint ink."""
    mask = np.zeros((30, 60), np.uint8)
    cv2.line(mask, (5, 5), (13, 25), 255, 2)
    cv2.line(mask, (13, 25), (21, 5), 255, 2)
    cx = 27 - overlap  # the V ends at x = 22, the o starts at cx - 5
    cv2.ellipse(mask, (cx, 21), (4, 4), 0, 0, 360, 255, 2)
    joined = mask > 0
    if bridge:
        joined = joined.copy()
        joined[8:20, 15:cx] = True
    return mask, joined


@pytest.mark.parametrize("overlap", [0, 2])
def test_kerned_letters_are_cut_apart(overlap):
    mask, joined = _two_shapes(overlap)
    assert not np.any(mask.any(axis=0)[5:30] == 0)  # no blank column between them
    pieces = cut_pieces(mask, (0, 0, 60, 30), joined)
    assert len(pieces) == 2
    assert pieces[0][0] == 4 and pieces[1][2] == 33 - overlap


def test_an_underscore_after_a_letter_is_its_own_glyph():
    """IP_HDR on a 96-dpi screen: the _ starts in the column after the P ends, below
    the baseline, so no blank column parts them; flat as it is, it is a glyph."""
    mask = np.zeros((16, 30), np.uint8)
    mask[2:12, 6] = 255  # the P's stem ...
    mask[2, 6:11] = mask[7, 6:11] = 255  # ... and its bowl
    mask[3:7, 11] = 255
    mask[13, 12:19] = 255  # the underscore
    pieces = cut_pieces(mask, (0, 0, 30, 16))
    assert len(pieces) == 2
    assert pieces[0][2] == 12 and pieces[1][0] == 12 and pieces[1][1] == 13


def test_shapes_joined_by_faint_ink_or_deeply_nested_stay_whole():
    mask, joined = _two_shapes(2, bridge=True)
    assert len(cut_pieces(mask, (0, 0, 60, 30), joined)) == 1
    nested = np.zeros((30, 40), np.uint8)  # 辶-like: one shape under another
    cv2.rectangle(nested, (8, 3), (30, 15), 255, 2)
    cv2.line(nested, (3, 26), (36, 26), 255, 2)
    cv2.line(nested, (3, 8), (3, 26), 255, 2)
    assert len(cut_pieces(nested, (0, 0, 40, 30))) == 1


# ---------------------------------------------------------------- touching letters


def test_touching_letters_are_split_at_their_thinnest_column():
    mask = np.zeros((20, 30), np.uint8)
    cv2.ellipse(mask, (7, 10), (5, 6), 0, 0, 360, 255, 2)  # an "o" ...
    cv2.ellipse(mask, (22, 10), (5, 6), 0, 0, 360, 255, 2)  # ... and another
    mask[9:11, 12:18] = 255  # touching through a 2-pixel bridge
    halves = touching_split(mask, (1, 3, 29, 18))
    assert halves is not None
    (a0, _, a1, _), (b0, _, b1, _) = halves
    assert a0 == 1 and 13 <= a1 <= 17 and a1 <= b0 <= 18 and b1 == 29


def test_letters_touching_by_an_arm_are_split():
    """An r whose arm runs into the next letter's stem ("rr"): the joint is as
    thin as the arm, but much thinner than the stems."""
    mask = np.zeros((20, 30), np.uint8)
    mask[6:18, 2:5] = 255  # stem of r
    mask[6:8, 5:13] = 255  # its arm, reaching ...
    mask[6:18, 13:16] = 255  # ... the stem of the next r
    mask[6:8, 16:24] = 255
    halves = touching_split(mask, (2, 6, 24, 18))
    assert halves is not None and 5 <= halves[0][2] <= 13


def _stems(xs: list[int]) -> np.ndarray:
    """A piece of 3-pixel stems at columns xs joined by a 2-pixel top bar: an m."""
    mask = np.zeros((20, 40), np.uint8)
    for x in xs:
        mask[6:18, x : x + 3] = 255
    mask[6:8, xs[0] : xs[-1] + 3] = 255
    return mask


def test_a_piece_of_three_stems_is_cut_between_each_pair():
    """An m, or rn joined by a scan: the arches are as thin as the joint, so
    both cuts are proposed and the recogniser chooses; after the first stem the
    left half is also offered with the arch up to the next stem (an r's arm)."""
    cuts = arch_splits(_stems([2, 10, 18]), (2, 6, 21, 18))
    assert len(cuts) == 3
    (left, right), (arm, right1), (left2, right2) = cuts
    assert left[0] == 2 and 5 <= left[2] <= 10 and right[0] >= left[2] and right[2] == 21
    assert arm[0] == 2 and arm[2] == 10 and right1 == right  # up to the second stem
    assert 13 <= left2[2] <= 18 and right2[2] == 21
    assert arch_splits(_stems([2, 10]), (2, 6, 13, 18)) == []  # an n: no cut


def test_solid_shapes_and_arms_are_not_split():
    blob = np.zeros((20, 30), np.uint8)
    blob[3:18, 1:27] = 255  # no thin column
    assert touching_split(blob, (1, 3, 27, 18)) is None
    tee = np.zeros((20, 30), np.uint8)
    tee[3:5, 1:27] = 255  # a T: its arms are thin, but hold no letter
    tee[3:18, 12:15] = 255
    assert touching_split(tee, (1, 3, 27, 18)) is None


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float32, np.float64])
def test_median_and_percentile_equal_numpys(dtype):
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 10, 11, 1000, 1001):
        values = (rng.random(n) * 255).astype(dtype)
        assert median(values) == np.median(values)
        assert median(values).dtype == np.median(values).dtype
        for q in (10, 50, 75, 90):
            assert percentile(values, q) == np.percentile(values, q)
            assert percentile(values, q).dtype == np.percentile(values, q).dtype
    assert median(values.reshape(7, 143)) == np.median(values)
    assert np.isnan(median([]))


def test_reading_a_page_does_not_import_numpy_ma(tmp_path):
    """np.median and np.percentile import numpy.ma (~15 ms of every run)."""
    page = tmp_path / "page.png"
    img = np.full((200, 300), 255, np.uint8)
    cv2.putText(img, "Hello 123", (10, 100), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 0, 3)
    cv2.imwrite(str(page), img)
    code = (
        "import sys, cv2\n"
        "from segmentation.segment import segment_page\n"
        f"segment_page(cv2.imread({str(page)!r}, 0))\n"
        "print('numpy.ma' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_clean_keeps_the_dots_of_a_colon_on_a_page_without_noise():
    """Single pixels are specks, but on a clean page two in one column, a few pixels
    apart and with little ink around them, are a colon; a pixel with anti-aliasing
    around it is a fragment of a stroke and goes."""
    mask = np.zeros((40, 60), np.uint8)
    mask[10:30, 5:20] = 255  # a glyph, so the text height is known
    mask[15, 30] = mask[20, 30] = 255  # a colon
    mask[15, 45] = mask[20, 45] = 255  # two fragments of a stroke
    ink = mask.copy()
    ink[14:17, 44:47] = np.maximum(ink[14:17, 44:47], 100)
    ink[19:22, 44:47] = np.maximum(ink[19:22, 44:47], 100)
    assert not clean(mask)[15, 30]  # no ink image: specks
    kept = clean(mask, ink=ink)
    assert kept[15, 30] and kept[20, 30]
    assert not kept[15, 45] and not kept[20, 45]


# ---------------------------------------------------------------- body span


def test_body_span_leaves_out_raised_characters():
    from segmentation.lines import body_span

    body = [(10 + 30 * i, 20, 36 + 30 * i, 48) for i in range(6)]
    mark = (190, 8, 200, 24)  # a superscript: its foot 24 px above the body's 48
    boxes = np.array([*body, mark])
    assert body_span(boxes, (10, 8, 200, 48)) == (20, 48)
    # a character only a little high (a comma's foot, a quote) is body
    assert body_span(np.array([*body, (190, 14, 200, 44)]), (10, 14, 200, 48)) == (14, 48)
    # too few characters to tell: the line's box
    assert body_span(np.array(body[:2] + [mark]), (10, 8, 200, 48)) == (8, 48)


def test_a_superscript_does_not_shrink_the_crops_of_its_line():
    """A footnote mark raised over a line: the line's characters are framed by their
    own height, not by the line box the mark stretches upwards."""
    size = 28
    page = render(
        [(30, 40, "中文字识别的是了人大国", size), (30 + 11 * size, 32, "12", 16)], (110, 420)
    )
    seg = segment_page(page.image)
    assert len(seg.lines) == 1
    line_top = seg.lines[0].box[1]
    body_top = min(b[1] for _, b in page.chars[0])
    top, bottom = seg.span(0)
    assert line_top < body_top - 4  # the mark does raise the line box
    assert abs(top - body_top) <= 2
    plain = segment_page(render([(30, 40, "中文字识别的是了人大国", size)], (110, 420)).image)
    # each body character's crop is the same with and without the mark
    with_mark, without = crops(seg), crops(plain)
    n = len(plain.chars[0])
    assert mask_iou(with_mark[:n], without) > 0.9


def test_lift_paper_takes_a_grainy_floor_out_of_a_line_and_leaves_clean_lines():
    from segmentation.binarize import lift_paper

    rng = np.random.default_rng(0)
    ink = np.zeros((60, 200), np.uint8)
    ink[:30] = rng.integers(0, 40, (30, 200))  # a grainy line: the paper's ink up to 39
    mask = np.zeros_like(ink, bool)
    for x in (20, 80, 140):
        ink[8:22, x : x + 10] = 255
        ink[38:52, x : x + 10] = 200
        mask[8:22, x : x + 10] = mask[38:52, x : x + 10] = True
    before = ink.copy()
    lift_paper(ink, mask, [(0, 0, 200, 30), (0, 30, 200, 60)])
    assert (ink[8:22, 20:30] == 255).all()  # full ink stays full
    far = ~(cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
    assert np.percentile(ink[:30][far[:30]], 95) < 3 < np.percentile(before[:30][far[:30]], 95)
    assert (ink[30:] == before[30:]).all()  # a clean line is left as it was


def test_a_table_row_whose_cell_wraps_is_read_cell_by_cell():
    """A ruled table's row whose last cell wraps onto two lines while the others are
    single lines centred beside them: one band without a valley, read across, cut its
    two lines' glyphs as one (Debian Reference's tables of files, 138 errors a page)."""
    size = 24
    top, bottom = 40, 40 + 3 * size
    mid = (top + bottom) // 2 - size // 2
    spec = [
        (40, mid, "中文字", size),
        (200, mid, "识别的", size),
        (360, top + size // 4, "是了人大国", size),
        (360, top + size // 4 + round(1.3 * size), "我们这个", size),
    ]
    page = render(spec, (bottom + 60, 520))
    img = page.image.copy()
    for y in (top - 12, bottom + 8, bottom + 40):  # the grid's rows
        img[y : y + 2, 20:500] = 0
    for x in (20, 180, 340, 498):  # and its columns
        img[top - 12 : bottom + 42, x : x + 2] = 0
    seg = segment_page(img)
    texts = [len(chars) for chars in seg.chars]
    # four lines, in the order of the cells, each with its own characters
    assert texts[:4] == [3, 3, 5, 4]
    boxes = [line.box for line in seg.lines[:4]]
    assert boxes[2][3] < boxes[3][1]  # the wrapped cell's lines are apart
    assert boxes[0][2] < 180 < boxes[1][0] and boxes[1][2] < 340 < boxes[2][0]


def _framed_cells(img: np.ndarray, xs: list[int], ys: list[int], gap: int = 3) -> None:
    """Draw, in place, a table whose every cell has a 1-px frame of its own, ``gap``
    pixels inside the column lines ``xs`` and row lines ``ys`` (CSS
    ``border-collapse: separate``, as Chromium prints Debian Reference's tables), inside
    the table's own frame."""
    img[ys[0] - gap, xs[0] - gap : xs[-1] + gap + 1] = 0
    img[ys[-1] + gap, xs[0] - gap : xs[-1] + gap + 1] = 0
    img[ys[0] - gap : ys[-1] + gap + 1, xs[0] - gap] = 0
    img[ys[0] - gap : ys[-1] + gap + 1, xs[-1] + gap] = 0
    for (x0, x1), (y0, y1) in itertools.product(itertools.pairwise(xs), itertools.pairwise(ys)):
        a, b, c, d = x0 + gap // 2, x1 - gap // 2, y0 + gap // 2, y1 - gap // 2
        img[c, a : b + 1] = img[d, a : b + 1] = 0
        img[c : d + 1, a] = img[c : d + 1, b] = 0


def test_a_table_of_cells_framed_apart_is_a_table():
    """Each cell framed apart: the frames' sides, as tall as a row of one line, are
    rules (they were read as '|' and the header row as no text), the table's columns
    are found across the frames (its rows were read across, the lines of a cell of
    three mixed with the line beside them), and a cell's lines apart from the others'
    are read in turn, cell after cell (Debian Reference's tables printed by Chromium)."""
    size = 20
    xs, ys = [20, 200, 380], [30, 30 + round(1.6 * size), 30 + round(1.6 * size) + 5 * size]
    r1 = ys[1] + round(0.5 * size)
    spec = [
        (30, ys[0] + 5, "中文字", size),
        (210, ys[0] + 5, "识别的", size),
        (30, r1 + round(1.3 * size), "是了人大国", size),  # beside the middle line
        (210, r1, "我们这个", size),
        (210, r1 + round(1.3 * size), "在有上不", size),
        (210, r1 + round(2.6 * size), "为和中", size),
    ]
    page = render(spec, (ys[-1] + 40, 420))
    img = page.image.copy()
    _framed_cells(img, xs, ys)
    rules = find_rules(binarize(img))
    assert rules is not None and rules.table_columns[195:206].any()
    for line in page.chars:  # no cut through a cell's text
        x0, x1 = min(b[0] for _, b in line), max(b[2] for _, b in line)
        assert not rules.table_columns[x0:x1].any()
    seg = segment_page(img)
    assert [len(chars) for chars in seg.chars] == [6, 5, 4, 4, 3]  # header across, then cells
    assert seg.lines[1].box[2] < 200 < seg.lines[2].box[0]
    # the frames' sides are out of the mask
    for x in (xs[0] - 3, xs[0] + 1, xs[1] - 1, xs[1] + 1, xs[2] - 1, xs[2] + 3):
        assert not seg.mask[ys[0] + 2 : ys[1] - 2, x].any()


def _rows_only_table(size: int = 16, debris: bool = True) -> tuple[np.ndarray, Page, list[int]]:
    """A table whose cells' sides a low-resolution print lost: only its horizontal rules
    are drawn, four rows of three cells, the last cell of the second row wrapping onto
    two lines, and a bit of a side and a speck left in the first gap. Returns the image,
    its page and the x of the two gaps between the columns."""
    xs = [20, 190, 360, 560]
    row = round(1.6 * size)
    ys = [30, 30 + row, 30 + 2 * row + round(1.3 * size), 30 + 3 * row + round(1.3 * size),
          30 + 4 * row + round(1.3 * size)]  # fmt: skip
    cells = [["中文字", "识别的", "是了人大国"], ["我们这", "在有上", "不为和中文"],
             ["人大国", "了是我", "们这个"], ["在上不", "为和中", "文字的"]]  # fmt: skip
    spec = []
    for r, texts in enumerate(cells):
        for c, text in enumerate(texts):
            spec.append((xs[c] + 8, ys[r] + round(0.3 * size), text, size))
    spec.append((xs[2] + 8, ys[1] + round(0.3 * size) + round(1.3 * size), "识别的字", size))
    page = render(spec, (ys[-1] + 30, 600))
    img = page.image.copy()
    for y in ys:
        img[y, xs[0] : xs[-1]] = 0
    if debris:
        img[ys[1] + 4 : ys[1] + 4 + size, xs[1] - 3] = 0  # a side's bit, beside the text
        img[ys[2] + 6 : ys[2] + 8, xs[1] + 2 : xs[1] + 4] = 0  # a speck
    return img, page, xs[1:3]


def test_a_table_of_rules_without_sides_is_read_cell_by_cell():
    """Horizontal rules over one another with a blank strip down all their rows between
    the cells' text are a table whose columns are those strips, however few of its sides
    are left (Debian Reference's tables printed at 96 dpi, photocopied or photographed:
    their rows were read across, 239 of 850 characters wrong on a dev page)."""
    img, page, gaps = _rows_only_table()
    rules = find_rules(binarize(img))
    assert rules is not None
    ends = [max(b[2] for line in page.chars for _, b in line if b[0] < g) for g in gaps]
    for end, g in zip(ends, gaps, strict=True):  # a cut between two columns' text
        assert rules.table_columns[end : g + 8].any()
    for line in page.chars:  # no cut through a cell's text
        x0, x1 = min(b[0] for _, b in line), max(b[2] for _, b in line)
        assert not rules.table_columns[x0:x1].any()
    seg = segment_page(_rows_only_table(debris=False)[0])
    # rows of one line each read across as before; the row with the wrapped cell, cell
    # by cell, the wrapped cell's two lines in turn
    boxes = [line.box for line in seg.lines]
    assert len(boxes) == 7
    assert [b[2] < gaps[0] for b in boxes[1:5]] == [True, False, False, False]
    assert [b[0] > gaps[1] for b in boxes[1:5]] == [False, False, True, True]
    assert boxes[3][3] < boxes[4][1]


def test_prose_between_rules_is_no_table():
    """Three rules of one width over prose (notes one under another): no strip is blank
    down the lines of a paragraph, so no column is cut into it."""
    size = 16
    spec = [(30, 40 + k * round(1.5 * size), text, size)
            for k, text in enumerate(["中文字识别的是了人大国我们", "这个在有上不为和中文字识",
                                      "别的是了人大国我们这个在有"])]  # fmt: skip
    spec += [(30, 140 + k * round(1.5 * size), text, size)
             for k, text in enumerate(["我们这个在有上不为和中文", "字识别的是了"])]  # fmt: skip
    page = render(spec, (220, 300 * 2))
    img = page.image.copy()
    for y in (30, 120, 200):
        img[y, 20:560] = 0
    rules = find_rules(binarize(img))
    assert rules is not None
    for line in page.chars:
        x0, x1 = min(b[0] for _, b in line), max(b[2] for _, b in line)
        assert not rules.table_columns[x0:x1].any()


def test_a_page_headers_rule_over_blank_space_is_no_tables():
    """Rules stacked within reach of one another are one table only where glyphs lie
    between them: a page header's rule over the blank space above a table stays out of
    it (a tilted photocopy's table took its page header in, +34 errors on a dev page)."""
    from segmentation.clean import _ruled_tables

    text_h = 10.0
    across = np.zeros((200, 300), bool)
    for y in (10, 60, 90, 120, 150):
        across[y, 20:280] = True
    glyphs = np.zeros_like(across)
    for y in (70, 100, 130):  # a glyph in each of the table's rows
        glyphs[y : y + 8, 40:48] = True
    assert [box for box, _ in _ruled_tables(across, glyphs, text_h)] == [(20, 60, 280, 151)]
    glyphs[30:38, 40:48] = True  # text between the first two rules: one table of five
    assert _ruled_tables(across, glyphs, text_h) == [((20, 10, 280, 151), 5)]


def test_a_narrow_first_columns_cell_frames_belong_to_the_table():
    """Debian Reference prints tables whose first column is a few hanzi wide, each cell
    in its own frame: that column's top and bottom edges are too short to be rules
    alone, and at 96 dpi its text touches the cell's sides. The table reaches over
    them (the frames' pieces in the rules' rows), and a side is no glyph even where the
    text touches it, so the blank strip between the columns is found (a dev page:
    124 -> 78 errors of 229)."""
    from segmentation.clean import _glyph_pixels, _ruled_tables

    text_h = 10.0
    across = np.zeros((200, 300), bool)
    pieces = np.zeros_like(across)
    for y in (10, 50, 90, 130):
        across[y, 70:280] = True  # the wide column's frame edges: rules
        pieces[y, 20:68] = True  # the narrow column's: 4.8 text heights, 2 px apart
    glyphs = np.zeros_like(across)
    for y in (20, 60, 100):
        glyphs[y : y + 8, 30:60] = True
        glyphs[y : y + 8, 100:130] = True
    assert [box for box, _ in _ruled_tables(across, glyphs, text_h)] == [(70, 10, 280, 131)]
    wider = _ruled_tables(across, glyphs, text_h, pieces)
    assert [box for box, _ in wider] == [(20, 10, 280, 131)]
    ink = np.zeros_like(across)
    ink[10:131, 64:66] = True  # the narrow cell's right side, two pixels wide
    ink[20:28, 50:64] = True  # a glyph touching it
    got = _glyph_pixels(ink, text_h)
    assert got[20:28, 50:64].all() and not got[10:131, 64:66].any()
