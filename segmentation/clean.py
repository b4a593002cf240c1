"""Mask cleaning: drop ruling lines, isolated specks; join vertically broken strokes.

Specks are judged against the text size (the area-weighted median height of the
connected components).  Small marks that sit near text (the dots of i, j and
the punctuation 、。.,:;) are kept; small marks far from any text are noise.
Ruling lines (table grids, frames, separators, long underlines) are longer than
any character and would join the text they touch into one shape; they are found
before the specks (:func:`find_rules`) and taken out of the ink.
"""

from __future__ import annotations

import itertools
import logging
from typing import NamedTuple

import cv2
import numpy as np

from segmentation.geometry import Box, median, runs, union, weighted_median

log = logging.getLogger(__name__)

#: Components whose larger side is below this fraction of the text height are "small".
SMALL_FRACTION = 0.25
#: Components with an area below (this fraction of the text height) squared are always noise.
NOISE_FRACTION = 0.07
#: A horizontal ink run at least this many text heights long is a rule, not a stroke.
RULE_LENGTH = 4.0
#: A piece this many text heights long, with less than this share of its box inked, is
#: no glyph, whatever its shape.
GLYPH_MAX, GRID_FILL = 8.0, 0.2
#: A vertical run this many text heights tall is a rule in a grid or a thin bar.
RULE_HEIGHT = 2.5
#: ... or this many, in a component with horizontal rules: the side of a table cell's
#: own frame, as tall as a row of one line (Debian Reference's HTML tables printed by
#: Chromium frame each cell apart: their sides were read as "|" beside the cells' text,
#: and the header rows as not text; web-print dev pages).
FRAME_SIDE = 1.2


def component_stats(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of a mask (8-connectivity).

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.

    Returns:
        labels: int32 array (H, W), 0 = background, 1..N components.
        stats: int32 array (N + 1, 5) as x, y, width, height, area (row 0 = background).
    """
    m = np.asarray(mask)
    # OpenCV takes any non-zero pixel as ink: a uint8 or bool mask needs no 0/1 copy
    # (36 MB at the pixel cap, held while the labels are made)
    if m.dtype != np.uint8:
        m = (m if m.dtype == bool else m > 0).view(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(m, connectivity=8)
    return labels, stats


def estimate_text_height(mask: np.ndarray) -> float:
    """Typical glyph height: the area-weighted median height of the connected components.

    Weighting by area makes the estimate robust to many tiny specks.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.

    Returns:
        Height in pixels, 0.0 when the mask is empty.
    """
    _, stats = component_stats(mask)
    return _weighted_median_height(stats[1:], np.asarray(mask).shape[0])


def text_height_of(stats: np.ndarray, image_height: int) -> float:
    """:func:`estimate_text_height` from a mask's :func:`component_stats` stats."""
    return _weighted_median_height(stats[1:], image_height)


def _weighted_median_height(stats: np.ndarray, image_height: int) -> float:
    """Area-weighted median of the heights in ``stats`` (int32 (N, 5)).

    Components taller than 30% of a page (borders, rules, figures) are ignored
    when there are others, and so are those over :data:`PICTURE_PIECE` times as tall as
    the median component of 3 pixels or more: the few large pieces of a picture outweigh
    a screen's small text (four pieces of a screenshot and photos in a web page made
    it 54 px for 12-px text, and its letters were cleaned away as specks).
    """
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    tall = heights > max(0.3 * image_height, 100)
    glyphs = heights[heights >= 3]
    if glyphs.size:
        tall |= heights > PICTURE_PIECE * float(median(glyphs))
    if not tall.all():
        stats = stats[~tall]
    return weighted_median(stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA])


#: See :func:`_weighted_median_height`.
PICTURE_PIECE = 5.0


def _text_like(stats: np.ndarray) -> np.ndarray:
    """Bool (N,): components (rows of int32 (N, 5) stats) shaped like glyphs rather than
    line art: not thin and long (sides within 1:6) and not a sparse frame (a quarter
    or more of the box inked, or small)."""
    w = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    h = stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    fill = stats[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1.0)
    return (np.maximum(w, h) <= 6 * np.minimum(w, h)) & ((fill >= 0.12) | (np.maximum(w, h) < 24))


class Rules(NamedTuple):
    """The ruling lines of a page (:func:`find_rules`)."""

    pixels: np.ndarray  # bool (H, W)
    #: bool (W,): the columns holding a table grid's vertical rules; the gaps they
    #: leave are between a table's cells, not between a page's columns
    table_columns: np.ndarray
    #: int32 (H,): in a table with such rules, the top row of the horizontal rule over
    #: each row of the page (where the table row it is in starts); -1 outside tables
    table_rows: np.ndarray | None = None


def find_rules(mask: np.ndarray, components: tuple | None = None) -> Rules | None:
    """Ruling lines of a page: table grids, frames, separators, long underlines.

    The text height is measured on the glyph-shaped components only (a table grid is
    one big sparse component that would otherwise pass for the text).  Components
    longer than :data:`RULE_LENGTH` text heights hold rules: their horizontal runs of
    that length are rules, and so are their vertical runs of :data:`RULE_HEIGHT`
    heights when the component had horizontal rules too (a grid) or is itself a thin
    bar, so that the long stroke of a big heading character is left alone.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero, deskewed.
        components: the mask's :func:`component_stats`, if the caller has them.

    Returns:
        The rules' pixels and the columns of tables' vertical rules, or None for a
        page without rules.
    """
    labels, stats = components or component_stats(mask)
    comps = stats[1:]
    text = _text_like(comps)
    if not text.any():
        return None
    text_h = max(_weighted_median_height(comps[text], mask.shape[0]), 4.0)
    text, long = _long_components(comps, text, text_h)
    w, h = comps[:, cv2.CC_STAT_WIDTH], comps[:, cv2.CC_STAT_HEIGHT]
    glyph = np.concatenate([[False], text & (np.maximum(w, h) >= 0.5 * text_h)])
    glyph_px = glyph[labels]
    if not long.any():
        wide = _wide_rules(mask, text_h, glyph_px, np.zeros(mask.shape, bool))
        return Rules(wide, np.zeros(mask.shape[1], bool)) if wide.any() else None
    across_u8, down_u8, grid = _rule_runs(labels, comps, long, text_h)
    across, down = across_u8 > 0, down_u8 > 0
    del across_u8, down_u8  # a 300-dpi scan's page is 9 MB in each bool or uint8 copy
    rules = across | down
    wide = _wide_rules(mask, text_h, glyph_px, rules)
    # a rule's blurred edges are no glyph's either (a scan's header rule left "''''")
    rules = cv2.dilate(rules.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    ink = np.asarray(mask) > 0
    rules &= ink & ~glyph_px
    rules |= wide
    del wide, glyph_px
    if not rules.any():
        return None
    log.debug("rules: text height %.1f, %d pixels of ruling lines", text_h, rules.sum())
    grid_down = down & grid[labels]
    joined = _joined(across, grid_down, text_h)
    columns, tables = _inner_columns(joined, across, grid_down, text_h)
    rows = table_rows(joined, across, tables)
    del joined, grid_down  # int32 and bool (H, W): 44 MB on a 300-dpi scan
    # a table whose cells' sides a print, a scan or a photo lost: its rules alone
    more, more_rows = _gutter_columns(ink, rules, across, text_h, down)
    return Rules(rules, columns | more, np.where(rows >= 0, rows, more_rows))


#: A ruled table has at least this many horizontal rules, each overlapping the last by
#: this share of the longer of the two and at most this many text heights below it.
TABLE_RULES, TABLE_EDGE, TABLE_ROW = 3, 0.8, 12.0
#: A blank strip this many text heights wide down a ruled table is a gap between cells.
CELL_GAP = 0.3
#: A table of this many rules or more has a rule under each of its rows, and a row's
#: lines are read cell after cell, as HTML has them; with fewer, its rules set off a
#: head and a body of several rows each (LaTeX's booktabs), whose lines are read across
#: as before (dev pages of a ctex manual and a thesis template: 114 -> 152 and 59 -> 83
#: errors when their cells were cut apart).
ROW_RULES = 4


def _ruled_tables(across: np.ndarray, ink: np.ndarray, text_h: float,
                  pieces: np.ndarray | None = None) -> list[tuple[Box, int]]:  # fmt: skip
    """(x0, y0, x1, y1) boxes of the stacks of :data:`TABLE_RULES` or more horizontal
    rules (``across``, bool (H, W)) over one another, each at most :data:`TABLE_ROW` text
    heights below the last with glyphs (``ink``, bool (H, W), :func:`_glyph_pixels`)
    between them when they are a text height apart or more, with the number of their rules; a
    rule is all of its row's pieces (a photo breaks them), and reaches as far as the
    rule pixels (``pieces``, bool (H, W)) in its rows run on from it with gaps under
    :data:`CELL_GAP` text heights: a narrow first column's own cell frames, too short to
    be rules alone, are the table's too. A page header's rule over blank space is no
    table's (a tilted photocopy's table took its page header in)."""
    found = []
    for y0, y1 in runs(across.any(axis=1)):
        cols = across[y0:y1].any(axis=0)
        xs = np.flatnonzero(cols)
        if xs.size >= RULE_LENGTH * text_h:
            x0, x1 = int(xs[0]), int(xs[-1]) + 1
            if pieces is not None:
                row = np.asarray(pieces[y0:y1].any(axis=0) | cols)
                x0, x1 = _reach(row, x0, x1, CELL_GAP * text_h)
            found.append((y0, y1, x0, x1))
    tables: list[list[tuple[int, int, int, int]]] = []
    for rule in found:
        for t in sorted(tables, key=lambda t: -t[-1][1]):  # the nearest rule above first
            last = t[-1]
            a, b = max(rule[2], last[2]), min(rule[3], last[3])
            gap = rule[0] - last[1]
            if (b - a >= TABLE_EDGE * max(rule[3] - rule[2], last[3] - last[2])
                    and gap <= TABLE_ROW * text_h
                    and (gap < text_h or ink[last[1] : rule[0], a:b].any())):  # fmt: skip
                t.append(rule)
                break
        else:
            tables.append([rule])
    return [((min(r[2] for r in t), t[0][0], max(r[3] for r in t), t[-1][1]), len(t))
            for t in tables if len(t) >= TABLE_RULES]  # fmt: skip


def _reach(row: np.ndarray, x0: int, x1: int, gap: float) -> tuple[int, int]:
    """[x0, x1) widened over ``row`` (bool (W,)) while its set pixels follow on with
    blank gaps under ``gap`` pixels."""
    for a, b in runs(row)[::-1]:
        if a < x0 and x0 - b < gap:
            x0 = a
    for a, b in runs(row):
        if b > x1 and a - x1 < gap:
            x1 = b
    return x0, x1


def _gutter_columns(mask: np.ndarray, rules: np.ndarray, across: np.ndarray, text_h: float,
                    down: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The gaps between the cells of ruled tables, found as blank strips down the
    tables (:func:`_ruled_tables`, :func:`_cell_gaps`) rather than as vertical rules:
    bool (W,) their middle columns, and :func:`table_rows` of those tables (int32 (H,)).

    Args:
        mask: bool (H, W) the page's ink; rules: bool (H, W) its rules' pixels;
        across: bool (H, W) its horizontal rules; text_h: the text height;
        down: bool (H, W) its vertical rules: a table with one running on through its
            horizontal rules is a grid whose rules already give its columns, and is left
            to them (:func:`_spanned`).
    """
    out = np.zeros(mask.shape[1], bool)
    if len(runs(across.any(axis=1))) < ROW_RULES:  # no table to cut: spare the labelling
        return out, np.full(mask.shape[0], -1, np.int32)
    boxes: list[tuple[Box, int]] = []
    glyphs = _glyph_pixels(mask & ~rules, text_h)
    for box, n in _ruled_tables(across, glyphs, text_h, rules):  # boxes that overlap are one
        over = [b for b in boxes if _overlap(b[0], box)]
        boxes = [b for b in boxes if b not in over]
        boxes.append((union(box, *(b[0] for b in over)), n + sum(b[1] for b in over)))
    cut = []
    for x0, top, x1, bottom in (box for box, n in boxes if n >= ROW_RULES):
        if _spanned(down[top:bottom, x0:x1], across[top:bottom, x0:x1], text_h):
            continue
        cuts = _cell_gaps(glyphs[top:bottom, x0:x1], across[top:bottom, x0:x1], text_h)
        out[x0 + cuts] = True
        if cuts.size:
            cut.append((x0, top, x1, bottom))
    del glyphs
    paint = np.zeros(mask.shape, np.uint16)  # each cut table's number; a page has few
    for k, (x0, top, x1, bottom) in enumerate(cut, start=1):
        paint[top:bottom, x0:x1] = k
    return out, table_rows(paint, across, np.arange(1, len(cut) + 1))


def _spanned(down: np.ndarray, across: np.ndarray, text_h: float) -> bool:
    """Whether a vertical rule inside a table (``down``, bool (H, W); not at its sides)
    runs on through one of its horizontal rules (``across``, bool (H, W)): a grid whose
    rules already give its columns (a LaTeX table), where a frame per cell, as Chromium
    prints them, has sides one row tall."""
    h, w = down.shape
    side = round(text_h)
    ys = np.flatnonzero(across.any(axis=1))
    for x in side + np.flatnonzero(down[:, side : w - side].sum(axis=0) >= 2 * text_h):
        for a, b in runs(down[:, x]):
            if b - a >= 2 * text_h and ((ys > a + 2) & (ys < b - 3)).any():
                return True
    return False


def _overlap(a: Box, b: Box) -> bool:
    """Whether two boxes share pixels."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


#: A gap between a table's cells has cells' text on both sides in this many of its rows.
CELL_ROWS = 2


def _glyph_pixels(ink: np.ndarray, text_h: float) -> np.ndarray:
    """bool (H, W): the pixels of ``ink`` (bool (H, W)) that belong to glyphs, not to a
    scan's specks or to the bits of a cell's frame left beside its text (thin upright or
    flat pieces). Upright runs 1.5 text heights tall or more are no glyph's strokes: they
    are taken out first, so that a cell's side that its text touches (a narrow column's
    double frame at 96 dpi) does not make one glyph of the cell."""
    tall = cv2.morphologyEx(ink.view(np.uint8), cv2.MORPH_OPEN,
                            np.ones((max(3, round(1.5 * text_h)), 1), np.uint8)) > 0  # fmt: skip
    ink = ink & ~tall
    del tall
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    speck = stats[:, cv2.CC_STAT_AREA] < (0.15 * text_h) ** 2
    side = ((w <= 3) & (h >= 0.5 * text_h)) | ((h <= 3) & (w >= 0.5 * text_h))
    glyph = ~(speck | side)
    glyph[0] = False
    return glyph[labels]


def _cell_gaps(glyphs: np.ndarray, across: np.ndarray, text_h: float) -> np.ndarray:
    """int (K,): the middle columns of the strips down a table (``glyphs``, bool (H, W),
    :func:`_glyph_pixels`; ``across``, bool (H, W), its horizontal rules) at least
    :data:`CELL_GAP` text heights wide and away from its sides where no glyph is, with
    glyphs on both sides in :data:`CELL_ROWS` of its rows or more: the word spaces of a
    single line between rules (a code block, a caption) are no gaps."""
    blank = ~glyphs.any(axis=0)
    rules = runs(across.any(axis=1))
    rows = [glyphs[a[1] : b[0]] for a, b in itertools.pairwise(rules)]
    margin = round(0.5 * text_h)
    width = glyphs.shape[1]
    cuts = []
    for a, b in runs(blank):
        if a < margin or b > width - margin or b - a < CELL_GAP * text_h:
            continue
        if sum(bool(r[:, :a].any() and r[:, b:].any()) for r in rows) >= CELL_ROWS:
            cuts.append((a + b) // 2)
    return np.asarray(cuts, int)


def _long_components(
    comps: np.ndarray, text: np.ndarray, text_h: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which components are text and which are long enough to hold rules.

    Args:
        comps: int32 (N, 5) component stats (background row left out).
        text: bool (N,), the glyph-shaped components (:func:`_text_like`).
        text_h: the text height, pixels.

    Returns:
        ``text`` without the long sparse ones no glyph is, and bool (N,) the components
        that hold rules.
    """
    w, h = comps[:, cv2.CC_STAT_WIDTH], comps[:, cv2.CC_STAT_HEIGHT]
    # no glyph is this long and sparse: a tight table whose rules touch its text is one
    # piece of glyph-like shape and fill (a 96-dpi table was read as rows of 厂: 34%
    # CER); a picture is as long but denser, and stays whole
    fill = comps[:, cv2.CC_STAT_AREA] / np.maximum(w * h, 1)
    text = text & ((np.maximum(w, h) < GLYPH_MAX * text_h) | (fill >= GRID_FILL))
    long = ~text & (np.maximum(w, h) >= RULE_LENGTH * text_h)
    # specks of a scan's noise are glyph-shaped too, but no glyph beside a rule makes it
    # a dash: a header's rule on a photocopy stayed text ("一一一厂一一")
    glyphs = comps[text & (np.maximum(w, h) >= 0.3 * text_h)]
    for i in np.flatnonzero(long & (h <= np.maximum(3, 0.25 * text_h))):
        long[i] = not _in_text_line(comps[i], glyphs, text_h)
    return text, long


def _rule_runs(
    labels: np.ndarray, comps: np.ndarray, long: np.ndarray, text_h: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The horizontal and vertical rule runs in the long components.

    Args:
        labels: int32 (H, W) component labels, 0 for the background.
        comps: int32 (N, 5) their stats (background row left out).
        long: bool (N,), the components that hold rules (:func:`_long_components`).
        text_h: the text height, pixels.

    Returns:
        ``across`` and ``down``, uint8 (H, W), non-zero on horizontal and vertical
        rules; ``grid``, bool (N + 1,) by label, the components with horizontal rules.
    """
    w = comps[:, cv2.CC_STAT_WIDTH]
    lut = np.concatenate([[0], long]).astype(np.uint8)
    art = lut[labels]
    across = _opened(art, (round(RULE_LENGTH * text_h), 1))
    grid = np.bincount(labels[across > 0], minlength=len(comps) + 1) > 0
    bar = np.concatenate([[False], long & (w <= np.maximum(3, 0.25 * text_h))])
    art = (grid | bar).astype(np.uint8)[labels]
    down = _opened(art, (1, round(RULE_HEIGHT * text_h)))
    # the sides of a cell's own frame are only as tall as its row
    frames = grid.astype(np.uint8)[labels]
    down |= _frame_sides(_opened(frames, (1, round(FRAME_SIDE * text_h))), across, text_h)
    # a vertical rule is thin: a band as tall as a rule is long (a navigation bar's
    # edge with its text) is no grid's rule in every one of its columns
    down &= ~_opened(down, (max(3, round(0.5 * text_h)), 1))
    return across, down, grid


def _frame_sides(runs: np.ndarray, across: np.ndarray, text_h: float) -> np.ndarray:
    """uint8 (H, W): the vertical runs (``runs``, uint8 (H, W)) that go from a
    horizontal rule (``across``, (H, W), non-zero on it) to another, as a cell's sides
    do, or hang from an end of one beside another such run as long, two text heights or
    more away, as a cell's two sides do whose rule below a print left too faint to be
    one (a header row). The stroke of a glyph standing on an underline ends in the air;
    one hanging from a table's rule is not at its end (a Debian Reference PDF table's
    消 lost its left strokes)."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    h, w = runs.shape
    x, y, cw, ch = (stats[:, i] for i in range(4))
    top = np.zeros(n, bool)
    bottom = np.zeros(n, bool)
    for k in range(1, n):
        a, b = max(x[k] - 2, 0), min(x[k] + cw[k] + 2, w)
        top[k] = across[max(y[k] - 2, 0) : y[k] + 3, a:b].any()
        bottom[k] = across[max(y[k] + ch[k] - 3, 0) : min(y[k] + ch[k] + 2, h), a:b].any()
    keep = top & bottom
    hanging = top & ~bottom
    for j in np.flatnonzero(hanging):  # ... and only at an end of the rule it hangs from
        rule = np.asarray(across[y[j] : y[j] + 2].any(axis=0))
        # a pixel apart: the rule's anti-aliased corner
        before = bool(rule[max(x[j] - 3, 0) : max(x[j] - 1, 0)].any())
        after = bool(rule[x[j] + cw[j] + 1 : x[j] + cw[j] + 3].any())
        hanging[j] = before != after
    for i in np.flatnonzero(hanging):
        pair = (hanging & (np.abs(y - y[i]) <= 2) & (np.abs(ch - ch[i]) <= 3)
                & (np.abs(x - x[i]) >= 2 * text_h))  # fmt: skip
        keep[i] = pair[1:].any()
    keep[0] = False
    return keep[lab].view(np.uint8)


#: Rules this many text heights apart or closer are one table's (a table whose cells are
#: framed apart, CSS ``border-collapse: separate``, is a frame per cell, 2-4 px apart).
FRAME_GAP = 0.3


def _joined(across: np.ndarray, down: np.ndarray, text_h: float) -> np.ndarray:
    """int32 (H, W) labels of the rules (``across``, ``down``: (H, W), non-zero on
    them), those within :data:`FRAME_GAP` text heights of each other one component.

    Debian Reference's HTML tables printed by Chromium frame each cell apart, inside the
    table's own frame: taken apart, no cell's side had its own rules on both sides and
    the table was read across, the lines of its cells mixed (web-print dev pages).
    """
    k = max(3, round(FRAME_GAP * text_h)) | 1
    rules = ((across > 0) | (down > 0)).view(np.uint8)
    _, labels = cv2.connectedComponents(cv2.dilate(rules, np.ones((k, k), np.uint8)))
    return labels


def _inner_columns(labels: np.ndarray, across: np.ndarray, down: np.ndarray,
                   text_h: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """bool (W,): the columns of the vertical rules (``down``, bool (H, W)) that have the
    horizontal rules (``across``) of their component on both sides, more than a text
    height away: the rules between a table's cells; and the labels of the components
    that have such rules (int (K,)), the tables. A frame's side has its component's
    rules on one side only (a web page's side bar, edged by the line under the
    navigation bar, was taken for a table: its rows were read across into the page).
    """
    n = int(labels.max()) + 1
    ys, xs = np.nonzero(across)
    left = np.full(n, np.iinfo(np.int64).max)
    right = np.full(n, -1)
    np.minimum.at(left, labels[ys, xs], xs)
    np.maximum.at(right, labels[ys, xs], xs)
    vy, vx = np.nonzero(down)
    lab = labels[vy, vx]
    inner = (left[lab] < vx - text_h) & (right[lab] > vx + text_h)
    out = np.zeros(labels.shape[1], bool)
    out[vx[inner]] = True
    return out, np.unique(lab[inner])


def table_rows(labels: np.ndarray, across: np.ndarray, tables: np.ndarray) -> np.ndarray:
    """int32 (H,): for each row of the page within a table (the components ``tables`` of
    ``labels``, int (H, W)), the first row of the nearest horizontal rule (``across``,
    bool (H, W)) within the table's box at or above it; -1 elsewhere. Its box, not its
    component: where a print or a photo left the cells' sides too faint to be rules,
    the rules of its rows are not joined to its frame (96-dpi web prints).

    >>> lab = np.zeros((9, 4), np.int32); lab[1:8] = 1
    >>> rule = np.zeros((9, 4), bool); rule[[1, 4, 5, 7]] = True
    >>> table_rows(lab, rule, np.array([1])).tolist()
    [-1, 1, 1, 1, 4, 4, 4, 7, -1]
    """
    out = np.full(labels.shape[0], -1, np.int32)
    for t in tables:
        ty, tx = np.nonzero(across & (labels == t))
        if ty.size == 0:
            continue
        top, x0, x1 = int(ty.min()), int(tx.min()), int(tx.max()) + 1
        ys = top + np.flatnonzero(across[top : int(ty.max()) + 1, x0:x1].any(axis=1))
        if ys.size < 2:
            continue
        starts = ys[np.concatenate([[True], np.diff(ys) > 1])]  # a rule's first row
        rows = np.arange(ys[0], ys[-1] + 1)
        out[rows] = starts[np.searchsorted(starts, rows, side="right") - 1]
    return out


#: A horizontal rule this many text heights long is found however a scan broke it up
#: and however many glyphs touch it (no line of text has an aligned stroke this long).
WIDE_RULE = 12.0


def _wide_rules(mask: np.ndarray, text_h: float, glyph_px: np.ndarray, known: np.ndarray
                ) -> np.ndarray:  # fmt: skip
    """The pixels of long horizontal rules, as a photocopy leaves them; bool (H, W).

    A scan breaks a thin rule into dashes, a residual skew steps it from row to row, and
    in a table the text of the rows touches it, so its pieces are short and many are
    glyph-shaped: :func:`find_rules` left them as text ("厂厂厂", "''''"). Here the
    mask is thickened by a row each way and bridged over gaps of a few pixels, runs of
    :data:`WIDE_RULE` text heights are rules, and the band within two rows of them is
    theirs, but for the glyph strokes that cross it (tall runs of ink) and whole glyphs
    that come near it without touching it (small table text at 96 dpi lost its feet).

    Args:
        mask: uint8 or bool (H, W), ink non-zero, deskewed.
        text_h: the page's text height in pixels.
        glyph_px: bool (H, W), the pixels of glyph-shaped components: a run made mostly
            of them is the feet of a line of hanzi (其星监令 end in a stroke on one row),
            not a rule.
        known: bool (H, W), the rules found whole; a run nine tenths along them is left
            to them.
    """
    m = (np.asarray(mask) > 0).view(np.uint8) if mask.dtype == bool else (mask > 0).astype(np.uint8)
    length = round(WIDE_RULE * text_h)
    if m.shape[1] < length:
        return np.zeros(m.shape, bool)
    thick = cv2.dilate(m, np.ones((3, 1), np.uint8))
    gap = max(3, round(0.3 * text_h))
    runs = _opened(_closed(thick, (gap, 1)), (length, 1))
    del thick
    if not runs.any():
        return np.zeros(m.shape, bool)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    ink = (m > 0) & (labels > 0)
    inked = np.bincount(labels[ink], minlength=n)
    ink &= glyph_px
    glyphs = np.bincount(labels[ink], minlength=n)
    # a rule found whole already needs no band: on a clean page the band would take the
    # feet of small table text that touches it (96 dpi)
    near = cv2.dilate(known.view(np.uint8), np.ones((3, 3), np.uint8)) > 0
    near &= runs > 0
    covered = np.bincount(labels[near], minlength=n)
    del ink, near
    new = (glyphs < 0.5 * np.maximum(inked, 1)) & (covered < 0.9 * stats[:, cv2.CC_STAT_AREA])
    new[0] = False
    if not new[1:].any():
        return np.zeros(m.shape, bool)
    runs = new[labels].view(np.uint8)
    del labels
    band = cv2.dilate(runs, np.ones((5, 2 * gap + 1), np.uint8)) > 0
    crossing = _opened(m, (1, max(4, round(0.3 * text_h)))) > 0
    # the band whole, not only its inked pixels: the rule's faint edges stay in the ink
    # image that pieces are cut from
    return band & ~crossing & ~glyph_px


def _closed(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Closing of a 0/1 uint8 mask by a w x h rectangle (sides made odd)."""
    kernel = np.ones((size[1] | 1, size[0] | 1), np.uint8)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel)


#: A column (row) at the image's edge this densely inked is the scanner's dark border.
BORDER_DENSITY = 0.15
#: ... and inked along this share of the edge (text there leaves gaps between lines).
BORDER_COVER = 0.9


def scan_borders(mask: np.ndarray) -> np.ndarray:
    """The dark bands a scanner leaves along the edges of a page (its lid's shadow, the
    page's edge): bool (H, W).

    From each edge inwards, the columns (rows) inked over :data:`BORDER_DENSITY` of their
    length, up to a tenth of the image, when together they are inked along
    :data:`BORDER_COVER` of the edge, and a margin as wide again for their ragged edge.
    Left in, a band is a line as tall as the page and every text line beside it merges
    into one (a photocopied page read nothing at all).

    Args:
        mask: uint8 or bool (H, W), ink non-zero.
    """
    m = np.asarray(mask) > 0
    h, w = m.shape
    out = np.zeros((h, w), bool)
    # averaged over five columns (rows): a band's noise leaves some nearly empty
    cols = np.convolve(m.mean(axis=0), np.ones(5) / 5, mode="same")
    rows = np.convolve(m.mean(axis=1), np.ones(5) / 5, mode="same")
    for dens, size, along in ((cols, w, False), (rows, h, True)):
        depth = max(1, size // 10)
        for start in (True, False):
            edge = dens[:depth] if start else dens[::-1][:depth]
            dense = edge > BORDER_DENSITY
            # the band may begin a little inside: deskewing slants it off the edge
            first = int(np.argmax(dense))
            if not dense[first] or first > depth // 4:
                continue
            rest = dense[first:]
            n = first + (len(rest) if rest.all() else int(np.argmin(rest)))
            core = slice(first, n) if start else slice(size - n, size - first)
            # a band runs unbroken along the edge; text there has gaps between its lines
            inked = m[:, core].any(axis=1) if not along else m[core, :].any(axis=0)
            if inked.mean() < BORDER_COVER:
                continue
            n = min(2 * n + 2, depth)
            span = slice(0, n) if start else slice(size - n, size)
            if along:
                out[span, :] = True
            else:
                out[:, span] = True
    return out


def _in_text_line(bar: np.ndarray, glyphs: np.ndarray, text_h: float) -> bool:
    """Whether a lone horizontal line (stats row) sits in a line of text, as a fill-in
    blank ____ or a dash ———— does: a glyph (rows of stats) ends within two text
    heights to its left or starts within two to its right, at its height, and
    glyphs just above it cover less than half its length (else it underlines them)."""
    x0, y0 = bar[cv2.CC_STAT_LEFT], bar[cv2.CC_STAT_TOP]
    x1, y1 = x0 + bar[cv2.CC_STAT_WIDTH], y0 + bar[cv2.CC_STAT_HEIGHT]
    gx0, gy0 = glyphs[:, cv2.CC_STAT_LEFT], glyphs[:, cv2.CC_STAT_TOP]
    gx1, gy1 = gx0 + glyphs[:, cv2.CC_STAT_WIDTH], gy0 + glyphs[:, cv2.CC_STAT_HEIGHT]
    level = (gy0 < y1) & (gy1 > y0 - 0.5 * text_h) & (gy0 > y0 - 1.5 * text_h)
    left = (gx1 <= x0 + 1) & (gx1 >= x0 - 2 * text_h)
    right = (gx0 >= x1 - 1) & (gx0 <= x1 + 2 * text_h)
    if not (level & (left | right)).any():
        return False
    # an underline has the text it underlines just above it
    above = level & (gx0 < x1) & (gx1 > x0) & (gy1 <= y0 + 1)
    covered = np.zeros(x1 - x0, bool)
    for a, b in zip(gx0[above], gx1[above]):
        covered[max(a - x0, 0) : b - x0] = True
    return covered.mean() < 0.5


def _opened(m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Opening of a 0/1 uint8 mask by a w x h rectangle, made odd: an even side
    anchors off centre and shifts the result by a pixel off the shapes."""
    kernel = np.ones((size[1] | 1, size[0] | 1), np.uint8)
    return cv2.morphologyEx(m, cv2.MORPH_OPEN, kernel)


def clean(
    mask: np.ndarray, components: tuple | None = None, ink: np.ndarray | None = None
) -> np.ndarray:
    """Remove specks and join small vertical breaks in strokes.

    Args:
        mask: uint8 array (H, W), ink = 255 (any non-zero) on 0.
        components: the mask's :func:`component_stats`, if the caller has them.
        ink: the ink image of a page without background noise (a rendered screenshot),
            where single pixels may be the dots of a colon (:func:`_colon_dots`).

    Returns:
        uint8 array (H, W), ink = 255 on 0.
    """
    mask = np.asarray(mask)
    labels, stats = components or component_stats(mask)  # no 0/1 copy: 9 MB at 300 dpi
    comps = stats[1:]
    if len(comps) == 0:
        return (mask > 0).astype(np.uint8) * 255
    text_h = _weighted_median_height(comps, mask.shape[0])
    keep = _components_to_keep(labels, comps, text_h)
    if ink is not None:
        keep |= _colon_dots(comps, text_h, ink)
    lut = np.concatenate([np.zeros(1, np.uint8), keep.astype(np.uint8)])
    out = lut[labels]  # np.take would copy labels as int64: 70 MB on a 300-dpi scan
    log.debug("clean: text height %.1f, kept %d of %d components", text_h, keep.sum(), len(keep))
    return _close_vertical(out, text_h) * 255


def _components_to_keep(labels: np.ndarray, comps: np.ndarray, text_h: float) -> np.ndarray:
    """Decide per component (rows of ``comps``, int32 (N, 5)) whether it is ink; bool (N,)."""
    side = np.maximum(comps[:, cv2.CC_STAT_WIDTH], comps[:, cv2.CC_STAT_HEIGHT])
    area = comps[:, cv2.CC_STAT_AREA]
    noise = area < max(2.0, (NOISE_FRACTION * text_h) ** 2)
    small = side < SMALL_FRACTION * text_h
    big = ~small & ~noise
    keep = big.copy()
    candidates = small & ~noise
    if candidates.any() and big.any():
        keep |= candidates & _near_big(labels, big, text_h)
    return keep


#: Most single pixels on a page considered as the dots of colons (the pairing compares
#: each with every speck of up to four pixels: ~8 MB at this many).
MAX_DOTS = 1000
#: Most ink (0-255 each) in the eight pixels around a dot.
DOT_HALO = 160


def _colon_dots(comps: np.ndarray, text_h: float, ink: np.ndarray) -> np.ndarray:
    """Bool (N,): single pixels with little ink around them (``DOT_HALO`` in the eight
    beside them: not a fragment of a thin stroke, whose anti-aliasing goes on) and a
    partner a pixel or two wide in the same column (within one) 2 to ``text_h`` pixels
    above or below: the dots of a colon or semicolon in 12-13 px text, which would
    otherwise go as specks."""
    out = np.zeros(len(comps), bool)
    area = comps[:, cv2.CC_STAT_AREA]
    single = np.flatnonzero(area == 1)
    tiny = np.flatnonzero(area <= 4)
    if not single.size or len(single) > MAX_DOTS or len(tiny) > 2 * MAX_DOTS:
        return out
    x = comps[:, cv2.CC_STAT_LEFT] + comps[:, cv2.CC_STAT_WIDTH] // 2
    y = comps[:, cv2.CC_STAT_TOP] + comps[:, cv2.CC_STAT_HEIGHT] // 2
    dx = np.abs(x[single, None] - x[None, tiny])
    dy = np.abs(y[single, None] - y[None, tiny])
    paired = single[((dx <= 1) & (dy >= 2) & (dy <= text_h)).any(axis=1)]
    padded = np.pad(ink.astype(np.int32), 1)
    xs, ys = comps[paired, cv2.CC_STAT_LEFT] + 1, comps[paired, cv2.CC_STAT_TOP] + 1
    halo = sum(padded[ys + a, xs + b] for a in (-1, 0, 1) for b in (-1, 0, 1)) - padded[ys, xs]
    out[paired[halo < DOT_HALO]] = True
    return out


def _near_big(labels: np.ndarray, big: np.ndarray, text_h: float) -> np.ndarray:
    """Bool (N,): components within ~1.5 text heights (x) / 0.5 (y) of big ones."""
    big_lut = np.concatenate([np.zeros(1, np.uint8), big.astype(np.uint8)])
    big_mask = big_lut[labels]
    kx = 2 * max(1, round(1.5 * text_h)) + 1
    ky = max(1, round(text_h)) | 1
    near = cv2.dilate(big_mask, cv2.getStructuringElement(cv2.MORPH_RECT, (kx, ky)))
    hits = np.bincount(labels[near > 0], minlength=len(big) + 1)
    return hits[1:] > 0


def _close_vertical(m: np.ndarray, text_h: float) -> np.ndarray:
    """Close small gaps in the vertical direction only (uint8 (H, W) 0/1 in and out).

    The kernel is 3 px tall (closing 1-2 px breaks), taller for large text, and
    skipped for text under 16 px.  Only vertical gaps are closed so that
    characters separated by a thin blank column are never joined; the kernel
    has an odd height because an even one shifts the result by a pixel.
    """
    if text_h < 16:
        return m
    k = 3 + 2 * int(text_h // 60)
    kernel = np.ones((k, 1), np.uint8)
    return cv2.morphologyEx(m, cv2.MORPH_CLOSE, kernel)
