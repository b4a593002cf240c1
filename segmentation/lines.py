"""Text line finding: columns, sections, line bands and paragraphs, in reading order.

1. A *gutter* is a vertical white strip through most of the text (found on the
   vertical projection of a horizontally dilated mask) with a sizeable text
   column on each side.
2. Rows whose ink crosses a gutter (titles, page headers and footers) form
   full-width *sections*; the rows between them are split into columns.
3. In each column, line bands are the runs of inked rows.  Bands far taller
   than usual are split at deep projection valleys (touching lines); tiny bands
   (a row of 、。 or stray dots) are merged into their nearest neighbour.
4. Reading order: sections top to bottom; within a section, columns left to
   right, each column top to bottom.  A new block (paragraph) starts at a
   column change or a vertical gap larger than ~0.8 line height.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass

import cv2
import numpy as np

from segmentation.clean import estimate_text_height
from segmentation.geometry import Box, median, runs, union, weighted_median

log = logging.getLogger(__name__)

#: Horizontal dilation used for gutter detection, as a fraction of the text height.
DILATE_FRACTION = 0.8
#: A gutter between columns is at least this many line heights (the words' height) of
#: blank: wider than a word space (~0.5), as narrow as LaTeX's two columns (~1).
GUTTER_WIDTH = 0.8
#: ... and of a gutter with no ink at all from the text's top to its bottom.
CLEAR_GUTTER_WIDTH = 0.5
#: Bands shorter than this fraction of the median line height are merged into a neighbour.
TINY_FRACTION = 0.35
#: Bands taller than this multiple of the median line height are checked for touching lines.
TALL_FACTOR = 1.5
#: A part of a split band under this share of the tallest part's height, touching
#: a neighbour, is not a line of its own (the descenders of a Latin line).
LINE_PART = 0.6
#: A paragraph break is a vertical gap larger than this fraction of the line height.
BLOCK_GAP = 0.8


@dataclass
class Line:
    """One text line.

    Attributes:
        box: (x0, y0, x1, y1) of the line's ink, exclusive ends.
        column: column index within its section (0 = leftmost; full-width lines are 0).
        block: paragraph index over the page, in reading order.
    """

    box: Box
    column: int = 0
    block: int = 0

    @property
    def height(self) -> int:
        """Height of the line's ink box in pixels."""
        return self.box[3] - self.box[1]


@dataclass
class _Band:
    """A line candidate during layout analysis."""

    box: Box
    section: int
    column: int
    #: where it reads within its section and column: (y, x, y) of its box, or for a
    #: line of one cell of a table row (:func:`_split_cells`) the row's top, the cell's
    #: left and the line's top
    key: tuple[int, int, int] | None = None

    def order(self) -> tuple[int, int, int]:
        return self.key or (self.box[1], self.box[0], self.box[1])


def find_lines(mask: np.ndarray, table_columns: np.ndarray | None = None,
               table_rows: np.ndarray | None = None) -> list[Line]:  # fmt: skip
    """Find the text lines of a (deskewed) page, in reading order.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero (white on black).
        table_columns: bool (W,), the columns of tables' vertical rules (taken out of
            the mask): a blank strip there is between a table's cells, so its rows
            read across.
        table_rows: int32 (H,), per row of a table the top of the rule over its table
            row (-1 outside tables; :class:`segmentation.clean.Rules`): a band in one
            table row is read cell by cell.

    Returns:
        Lines in reading order (left column before right column).
    """
    m = np.asarray(mask) > 0
    if not m.any():
        return []
    text_h = max(estimate_text_height(m), 1.0)
    gutters = find_gutters(m, text_h, table_columns)
    bands: list[_Band] = []
    for s_idx, (y0, y1, spanning) in enumerate(_sections(m, gutters, text_h)):
        regions = [(0, m.shape[1])] if spanning else _column_ranges(m.shape[1], gutters)
        for c_idx, (x0, x1) in enumerate(regions):
            bands += [_Band(b, s_idx, c_idx) for b in _row_bands(m, (x0, y0, x1, y1))]
    if not bands:
        return []
    line_h = _median_line_height(bands, text_h)
    bands = _split_tall(m, bands, min(line_h, 1.3 * text_h), table_columns, table_rows)
    line_h = _median_line_height(bands, text_h)
    bands = _merge_tiny(bands, line_h)
    lines = _assign_blocks(bands, line_h)
    log.debug(
        "find_lines: %d lines, %d gutters, text height %.1f", len(lines), len(gutters), text_h
    )
    return lines


def _median_line_height(bands: list[_Band], text_h: float) -> float:
    """Median height of the bands that are not tiny compared with the glyph height."""
    heights = np.array([b.box[3] - b.box[1] for b in bands], np.float64)
    usual = heights[heights >= 0.5 * text_h]
    return float(median(usual if usual.size else heights))


def find_gutters(
    mask: np.ndarray, text_h: float, table_columns: np.ndarray | None = None
) -> list[tuple[int, int]]:
    """Vertical white gutters between text columns.

    Args:
        mask: bool array (H, W), ink True.
        text_h: typical glyph height in pixels.
        table_columns: bool (W,), columns where a low strip is a gap between table cells.

    Returns:
        (x0, x1) ranges of the gutters, left to right, exclusive ends; empty for one column.
    """
    dil = _dilate_h(mask, text_h)
    count = dil.sum(axis=0)
    inked = np.flatnonzero(count)
    ink_x0, ink_x1 = int(inked[0]), int(inked[-1]) + 1
    ref = float(median(count[ink_x0:ink_x1]))
    low = count <= 0.5 * ref
    low[:ink_x0] = False
    low[ink_x1:] = False
    gutters = []
    scale = None
    for g0, g1 in runs(low):
        if table_columns is not None and table_columns[g0:g1].any():
            continue
        core = _gutter_core(count, g0, g1)
        clear = not count[core[0] : core[1]].any()
        narrow = core[1] - core[0] < 0.2 * text_h and not clear
        if narrow or not _is_gutter(dil, core, (ink_x0, ink_x1), text_h):
            continue
        if scale is None:  # only pages with a gutter so far label their words
            scale = max(text_h, _word_height(dil))
        blank = core[1] - core[0] + _dilation_width(text_h) - 1  # before the dilation
        # a strip blank from the top of the text to its bottom is a gutter when narrower
        # too: a two-column page set by XeLaTeX leaves ~0.9 em between its columns
        width = CLEAR_GUTTER_WIDTH if clear else GUTTER_WIDTH
        if blank >= width * scale:
            gutters.append(core)
    return gutters


def _word_height(dil: np.ndarray) -> float:
    """Typical height of the words and runs of characters of a horizontally dilated
    mask (their median, weighted by width): the height of a line's glyphs, which the
    median height of single components underrates where thin strokes of a Song face
    or Latin letters come apart (half of it for 12-18 px Song text)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(dil.view(np.uint8), connectivity=8)
    return weighted_median(stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH])


def _dilation_width(text_h: float) -> int:
    return max(3, round(DILATE_FRACTION * text_h))


def _dilate_h(mask: np.ndarray, text_h: float) -> np.ndarray:
    """Dilate bool (H, W) horizontally by ~0.8 text height, joining characters and words."""
    kw = _dilation_width(text_h)
    out = cv2.dilate(mask.astype(np.uint8), np.ones((1, kw), np.uint8))
    return out > 0


def _gutter_core(count: np.ndarray, g0: int, g1: int) -> tuple[int, int]:
    """The widest sub-run of [g0, g1) where ``count`` is at its minimum."""
    seg = count[g0:g1]
    flat = runs(seg == seg.min())
    a, b = max(flat, key=lambda r: r[1] - r[0])
    return g0 + a, g0 + b


def _is_gutter(dil: np.ndarray, core: tuple[int, int], ink: tuple[int, int], text_h: float) -> bool:
    """Check that a low strip separates two real columns.

    Each side must be at least 3 text heights wide and hold at least 2.5 text
    heights of inked rows, and few rows (< half of either side's) may cross the strip.
    """
    g0, g1 = core
    if g0 - ink[0] < 3 * text_h or ink[1] - g1 < 3 * text_h:
        return False
    crossing = dil[:, g0:g1].any(axis=1)
    left = dil[:, ink[0] : g0].any(axis=1) & ~crossing
    right = dil[:, g1 : ink[1]].any(axis=1) & ~crossing
    side = min(int(left.sum()), int(right.sum()))
    return side >= 2.5 * text_h and int(crossing.sum()) < 0.5 * side


#: Each column of a section holds at least this many lines; fewer, and the section
#: is read across.
MIN_COLUMN_LINES = 3


def _column_ranges(width: int, gutters: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """x-ranges of the columns left and right of the gutters, covering [0, width)."""
    edges = [0]
    for g0, g1 in gutters:
        edges += [g0, g1]
    edges.append(width)
    return [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]


def _sections(
    mask: np.ndarray, gutters: list[tuple[int, int]], text_h: float
) -> list[tuple[int, int, bool]]:
    """Split the page into horizontal sections, top to bottom.

    Returns:
        (y0, y1, spanning) per section; spanning sections hold ink that crosses a
        gutter (read full width), the others are read column by column.
    """
    height = mask.shape[0]
    if not gutters:
        return [(0, height, True)]
    dil = _dilate_h(mask, text_h).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(dil, connectivity=8)
    comps = stats[1:]
    x0, x1 = comps[:, 0], comps[:, 0] + comps[:, 2]
    y0, y1 = comps[:, 1], comps[:, 1] + comps[:, 3]
    spanning = np.zeros(height, bool)
    for g0, g1 in gutters:
        for i in np.flatnonzero((x0 < g1) & (x1 > g0)):
            spanning[y0[i] : y1[i]] = True
    for _ in range(2):  # grow to whole components that share rows with spanning ink
        for i in np.flatnonzero([spanning[a:b].any() for a, b in zip(y0, y1, strict=True)]):
            spanning[y0[i] : y1[i]] = True
    sections = []
    for a, b in runs(spanning):
        sections.append((a, b, True))
    columns = _column_ranges(mask.shape[1], gutters)
    for a, b in runs(~spanning):
        # a column of fewer lines than MIN_COLUMN_LINES holds the parts of rows (an
        # option's description, between lines that cross the strip)
        lines = min(len(runs(mask[a:b, x0:x1].any(axis=1))) for x0, x1 in columns)
        sections.append((a, b, lines < MIN_COLUMN_LINES))
    return sorted(sections)


def _row_bands(mask: np.ndarray, region: Box) -> list[Box]:
    """Ink boxes of the runs of inked rows inside a region (x0, y0, x1, y1), page coordinates."""
    x0, y0, x1, y1 = region
    sub = mask[y0:y1, x0:x1]
    boxes = []
    for a, b in runs(sub.any(axis=1)):
        cols = np.flatnonzero(sub[a:b].any(axis=0))
        boxes.append((x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b))
    return boxes


def _ink_box(mask: np.ndarray, box: Box) -> Box | None:
    """Tight ink box inside ``box`` (page coordinates), or None when it holds no ink."""
    x0, y0, x1, y1 = box
    sub = mask[y0:y1, x0:x1]
    rows = np.flatnonzero(sub.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(sub.any(axis=0))
    return x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1


def _split_tall(
    mask: np.ndarray,
    bands: list[_Band],
    line_h: float,
    table_columns: np.ndarray | None = None,
    table_rows: np.ndarray | None = None,
) -> list[_Band]:
    """Split bands much taller than ``line_h`` at deep valleys of their row profile; a
    table row whose cells hold different numbers of lines, cell by cell (with
    ``table_rows``, a row of several bands too: a row of one band, a line in each
    cell, reads across as before)."""
    tops = [-1 if table_rows is None else int(table_rows[b.box[1]]) for b in bands]
    out: list[_Band] = []
    for band, top in zip(bands, tops, strict=True):
        rows = table_rows if top >= 0 and tops.count(top) > 1 else None
        cells = _split_cells(mask, band, line_h, table_columns, rows)
        if cells is not None:
            out += cells
            continue
        parts = _rejoin_short(_split_box(mask, band.box, line_h), line_h)
        out += [_Band(b, band.section, band.column) for b in parts]
    return out


def _split_cells(
    mask: np.ndarray,
    band: _Band,
    line_h: float,
    table_columns: np.ndarray | None,
    table_rows: np.ndarray | None = None,
) -> list[_Band] | None:
    """The lines of a tall table row read cell by cell, or None for any other band.

    A row of a ruled table whose one cell wraps onto a second line, while its other
    cells are single lines centred beside the two, is one band whose row profile has
    no valley; read across, its two lines' glyphs were cut as one (Debian Reference's
    tables of files: 'exim(8) 专用的，' over 'exim4-config_files(5)'). Each cell between
    the table's vertical rules (where the band has no ink) is split on its own, and its
    lines read in turn, cell after cell, as a text layer has them.

    A band within one row of a table whose rules are known (``table_rows``) is split
    into its cells whatever its height, and read as part of that row: a cell's lines
    apart from the others' are each a band of their own (Debian Reference's HTML tables
    printed by Chromium: a URL beside a cell of three lines was read into the second).
    """
    x0, y0, x1, y1 = band.box
    top = int(table_rows[y0]) if table_rows is not None else -1
    in_row = table_rows is not None and top >= 0 and int(table_rows[y1 - 1]) == top
    if table_columns is None or (y1 - y0 <= TALL_FACTOR * line_h and not in_row):
        return None
    sub = mask[y0:y1]
    cuts = [int(x) for x in np.flatnonzero(table_columns[x0:x1]) + x0 if not sub[:, x].any()]
    if not cuts and not in_row:
        return None
    edges = [x0, *cuts, x1]
    cells: list[list[Box]] = []
    for a, b in itertools.pairwise(edges):
        box = _ink_box(mask, (a, y0, b, y1))
        if box is not None:
            cells.append(_rejoin_short(_split_box(mask, box, line_h), line_h))
    if not in_row and (len(cells) < 2 or max(map(len, cells)) < 2):
        return None
    return [
        _Band(part, band.section, band.column, (top if in_row else y0, cell[0][0], part[1]))
        for cell in cells
        for part in cell
    ]


def _rejoin_short(parts: list[Box], line_h: float) -> list[Box]:
    """Parts of one band under ``LINE_PART`` of the tallest part's height that
    touch or overlap a neighbour (within ``0.2 * line_h``) rejoin it: the
    descenders of a Latin line with few of them, cut off below its baseline."""
    parts = sorted(parts, key=lambda b: b[1])
    while len(parts) > 1:
        tallest = max(b[3] - b[1] for b in parts)
        short = [n for n, b in enumerate(parts) if b[3] - b[1] < LINE_PART * tallest]
        pair = next(
            (
                (n, m)
                for n in short
                for m in (n - 1, n + 1)
                if 0 <= m < len(parts)
                and max(parts[m][1] - parts[n][3], parts[n][1] - parts[m][3]) < 0.2 * line_h
            ),
            None,
        )
        if pair is None:
            break
        n, m = pair
        merged = union(parts[n], parts[m])
        parts = [b for k, b in enumerate(parts) if k not in pair] + [merged]
        parts.sort(key=lambda b: b[1])
    return parts


def _split_box(mask: np.ndarray, box: Box, line_h: float) -> list[Box]:
    """Split a box taller than ``TALL_FACTOR * line_h`` into lines.

    First at its deepest row valley (<= 10% of the peak, recursively); failing
    that (lines whose descenders and ascenders overlap), by clustering its
    components' vertical centres.
    """
    x0, y0, x1, y1 = box
    if y1 - y0 <= TALL_FACTOR * line_h:
        return [box]
    prof = mask[y0:y1, x0:x1].sum(axis=1).astype(np.float64)
    margin = max(1, round(0.5 * line_h))
    if y1 - y0 <= 2 * margin:
        return [box]
    window = prof[margin : len(prof) - margin]
    cut = margin + int(np.argmin(window))
    if prof[cut] > 0.1 * prof.max():
        return _split_by_components(mask, box)
    parts = []
    for part in ((x0, y0, x1, y0 + cut), (x0, y0 + cut + 1, x1, y1)):
        tight = _ink_box(mask, part)
        if tight is not None:
            parts += _split_box(mask, tight, line_h)
    return parts


def _split_by_components(mask: np.ndarray, box: Box) -> list[Box]:
    """Split a band into lines by gaps between the vertical centres of its glyphs.

    Glyphs (components of 0.5 to 1.4 times the typical component height) whose
    centres are more than half that height apart start a new line.  The other
    components (marks, glyphs joined across lines) go to the nearest line;
    joined glyphs widen a line but do not make it taller.  A band whose glyphs
    are about as tall as the band itself (a heading) is returned whole.
    """
    x0, y0, x1, y1 = box
    _, _, stats, centroids = cv2.connectedComponentsWithStats(
        mask[y0:y1, x0:x1].astype(np.uint8), connectivity=8
    )
    stats, cy = stats[1:], centroids[1:, 1]
    comp_h = weighted_median(stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA])
    if len(stats) < 2 or y1 - y0 <= TALL_FACTOR * comp_h:
        return [box]
    heights = stats[:, cv2.CC_STAT_HEIGHT]
    glyph = (heights >= 0.5 * comp_h) & (heights <= 1.4 * comp_h)
    centres = np.sort(cy[glyph])
    breaks = np.flatnonzero(np.diff(centres) > 0.5 * comp_h)
    if breaks.size == 0:
        return [box]
    bounds = (centres[breaks] + centres[breaks + 1]) / 2
    line_of = np.searchsorted(bounds, cy)
    bridge = heights > 1.4 * comp_h
    parts = []
    for k in range(len(bounds) + 1):
        own = stats[(line_of == k) & ~bridge]
        if len(own) == 0:
            continue
        left = own[:, 0].min()
        right = (own[:, 0] + own[:, 2]).max()
        joined = stats[(line_of == k) & bridge]
        if len(joined):
            left = min(left, joined[:, 0].min())
            right = max(right, (joined[:, 0] + joined[:, 2]).max())
        top, bottom = own[:, 1].min(), (own[:, 1] + own[:, 3]).max()
        parts.append((x0 + int(left), y0 + int(top), x0 + int(right), y0 + int(bottom)))
    return parts


def _merge_tiny(bands: list[_Band], line_h: float) -> list[_Band]:
    """Merge bands shorter than ``TINY_FRACTION * line_h`` into the nearest overlapping band.

    Only bands of the same section and column that overlap horizontally and lie
    within 1.5 line heights are candidates.
    """
    bands = list(bands)
    changed = True
    while changed:
        changed = False
        for i, band in enumerate(bands):
            if band.box[3] - band.box[1] >= TINY_FRACTION * line_h:
                continue
            j = _nearest_band(bands, i, line_h)
            if j is not None:
                other = bands[j]
                merged = _Band(union(band.box, other.box), other.section, other.column, other.key)
                bands = [b for k, b in enumerate(bands) if k not in (i, j)] + [merged]
                changed = True
                break
    return bands


def _nearest_band(bands: list[_Band], i: int, line_h: float) -> int | None:
    """Index of the band closest vertically to band ``i`` that may absorb it, or None."""
    x0, y0, x1, y1 = bands[i].box
    best, best_d = None, 1.5 * line_h
    for j, other in enumerate(bands):
        ox0, oy0, ox1, oy1 = other.box
        same_place = (other.section, other.column) == (bands[i].section, bands[i].column)
        if j == i or not same_place or ox1 <= x0 or ox0 >= x1:
            continue
        d = max(oy0 - y1, y0 - oy1, 0)
        if d <= best_d:
            best, best_d = j, d
    return best


def _assign_blocks(bands: list[_Band], line_h: float) -> list[Line]:
    """Sort bands into reading order and number the paragraphs."""
    bands = sorted(bands, key=lambda b: (b.section, b.column, *b.order()))
    gap_limit = _block_gap(bands, line_h)
    lines: list[Line] = []
    block = 0
    for k, band in enumerate(bands):
        if k > 0:
            prev = bands[k - 1]
            moved = (prev.section, prev.column) != (band.section, band.column)
            if moved or band.box[1] - prev.box[3] > gap_limit:
                block += 1
        lines.append(Line(box=band.box, column=band.column, block=block))
    return lines


def _block_gap(bands: list[_Band], line_h: float) -> float:
    """Vertical gap above which a new paragraph starts.

    ~0.8 line height, raised for loosely spaced text (1.4 x the median line gap).
    """
    gaps = [
        b.box[1] - a.box[3]
        for a, b in zip(bands[:-1], bands[1:], strict=True)
        if (a.section, a.column) == (b.section, b.column)
    ]
    limit = BLOCK_GAP * line_h
    if gaps:
        limit = max(limit, 1.4 * float(median(gaps)))
    return limit


#: A character whose foot is this many median character heights above the line's
#: median foot is raised: a superscript (a footnote's [66]), not the line's body.
RAISED = 0.4


def body_span(boxes: np.ndarray, line_box: Box) -> tuple[int, int]:
    """(top, bottom) of a line's body: its characters' extent without the raised ones.

    A footnote mark set as a superscript lifts a line's top by half a line, and every
    character cut with the line's height was framed too small and low (a dark-theme
    paragraph's lines with [66] and [67] read 40-50% wrong).

    Args:
        boxes: int (N, 4) the line's character boxes (x0, y0, x1, y1).
        line_box: the line's box, returned as it is for fewer than three characters.
    """
    b = np.asarray(boxes).reshape(-1, 4)
    if len(b) < 3:
        return line_box[1], line_box[3]
    heights = b[:, 3] - b[:, 1]
    foot = float(median(b[:, 3]))
    body = b[b[:, 3] >= foot - RAISED * float(median(heights))]
    if len(body) < 3:
        return line_box[1], line_box[3]
    return max(int(body[:, 1].min()), line_box[1]), min(int(body[:, 3].max()), line_box[3])
