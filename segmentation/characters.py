"""Character segmentation inside one line: atomic pieces, geometric grouping, word gaps.

:func:`cut_pieces` over-segments: every blank column splits, and pieces much
wider than the line is tall are cut at projection valleys.  A hanzi such as 川
or 八 may come out as several pieces; deciding which consecutive pieces form a
character is left to the caller (by recognition), or to :func:`group_pieces`
when only geometry is available.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from segmentation.geometry import Box, median, runs

#: Pieces wider than this multiple of the line height are cut at projection valleys.
WIDE_FACTOR = 1.25
#: Separate glyphs in one span (kerned letters) may overlap by this fraction of the line height.
KERN_OVERLAP = 0.15
#: ... and must each be at least this fraction of the line height tall.
KERN_MIN_HEIGHT = 0.35
#: A merged character may be at most this multiple of the em (estimated character size) wide.
MAX_CHAR_WIDTH = 1.02
#: A merged hanzi must be at least this fraction of the em wide (keeps "ll" apart).
MIN_CHAR_WIDTH = 0.6
#: Gaps inside a merged character may be at most this fraction of the em.
MAX_INNER_GAP = 0.35
#: Marks (quotes, dots) at most this fraction of the body tall may pair with each other.
MARK_SIZE = 0.5
#: A merged character must be at least this fraction of the body height tall.
MIN_CHAR_HEIGHT = 0.86


def cut_pieces(mask: np.ndarray, line_box: Box, joined: np.ndarray | None = None) -> np.ndarray:
    """Over-segment one line into atomic pieces, left to right.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.
        line_box: (x0, y0, x1, y1) of the line, exclusive ends.
        joined: optional bool array (H, W), the ink at a fainter level: shapes
            of the mask that touch in it are one glyph broken by a thin stroke
            (the legs of a small "m"), not kerned letters, and stay together.

    Returns:
        int32 array (N, 4) as x0, y0, x1, y1 (exclusive ends, page coordinates);
        each piece's y-extent is the tight extent of its own ink.
    """
    x0, y0, x1, y1 = (int(v) for v in line_box)
    sub = np.asarray(mask)[y0:y1, x0:x1] > 0
    faint = None if joined is None else np.asarray(joined)[y0:y1, x0:x1] > 0
    if sub.size == 0:
        return np.zeros((0, 4), np.int32)
    profile = sub.sum(axis=0)
    height = max(y1 - y0, 1)
    # one labelling for the line: a span between blank columns holds whole components
    _, labels, stats, _ = cv2.connectedComponentsWithStats(sub.astype(np.uint8), connectivity=8)
    # each column's first and last ink row, for the rows of a span (all its columns inked)
    tops = np.argmax(sub, axis=0).tolist()
    bottoms = (sub.shape[0] - np.argmax(sub[::-1], axis=0)).tolist()
    boxes = []
    for run_s, run_e in runs(profile > 0):
        spans = _split_wide(profile, run_s, run_e, height)
        for s, e in spans:
            link = None if faint is None else faint[:, s:e]
            own = None
            if len(spans) == 1:  # not cut by _split_wide, so the line's labels hold
                own = functools.partial(_components_within, labels, stats, s, e)
            whole = (min(tops[s:e]), max(bottoms[s:e]))
            for a, b, top, bottom in _split_kerned(sub[:, s:e], height, link, own, whole):
                boxes.append((x0 + s + a, y0 + top, x0 + s + b, y0 + bottom))
    return np.array(boxes, np.int32).reshape(-1, 4)


def _components(span: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, stats of each component, its label) of a span, background left out."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(span.astype(np.uint8), connectivity=8)
    return labels, stats[1:], np.arange(1, n)


def _components_within(
    labels: np.ndarray, stats: np.ndarray, s: int, e: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_components` of columns s:e of a line, from the line's labelling
    (``labels``, ``stats``): the span lies between blank columns."""
    starts = stats[1:, cv2.CC_STAT_LEFT]
    ids = np.flatnonzero((starts >= s) & (starts < e)) + 1
    own = stats[ids]
    own[:, cv2.CC_STAT_LEFT] -= s
    return labels[:, s:e], own, ids


def _split_kerned(
    span: np.ndarray,
    height: int,
    joined: np.ndarray | None = None,
    components: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
    whole: tuple[int, int] | None = None,
) -> list[tuple[int, int, int, int]]:
    """Split a span (bool (h, w) with no blank column) into glyphs that only
    overlap horizontally, as kerned letters do ("Va", "Tc", "ry"): separate
    components, each at least ``KERN_MIN_HEIGHT`` of the line tall or wide (the
    underscore of "P_" on a screen, in the column after the P's), whose
    x-ranges overlap by at most ``KERN_OVERLAP`` of the line height and which
    do not touch in ``joined`` (bool (h, w), fainter ink).  Marks (the dot of i)
    and deeply interleaved parts (辶 under 文) stay together.

    Returns:
        (start, end, top, bottom) per glyph, left to right: column range within
        the span (ranges may overlap) and the rows of the glyph's own ink (a
        kerned T's bar over the c beside it is not the c's); none for a blank span.

    ``components`` gives the span's :func:`_components` when the caller has them (the
    line's labelling, sliced to the span), and ``whole`` the rows of its ink.
    """
    w = span.shape[1]
    whole = _rows_of(span, 0, w) if whole is None else whole
    if whole is None:
        return []
    if w < 0.4 * height:
        return [(0, w, *whole)]
    labels, stats, ids = components() if components is not None else _components(span)
    n = len(ids)
    if n <= 1:
        return [(0, w, *whole)]
    size = np.maximum(stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH])
    tall = [k for k in range(n) if size[k] >= KERN_MIN_HEIGHT * height]
    if len(tall) < 2:
        return [(0, w, *whole)]
    link = {k: k for k in tall}
    if joined is not None:
        _, faint_labels = cv2.connectedComponents((joined | span).astype(np.uint8), connectivity=8)
        for k in tall:
            link[k] = int(faint_labels[labels == ids[k]][0])
    groups = _kern_groups(stats, tall, link, height)
    if len(groups) < 2:
        return [(0, w, *whole)]
    return _glyph_ranges(groups, stats, w, whole)


def _kern_groups(
    stats: np.ndarray, tall: list[int], link: dict[int, int], height: int
) -> list[list[Any]]:
    """The tall components of a span gathered into glyphs, left to right: a component
    joins the glyph before it when their x-ranges overlap by more than ``KERN_OVERLAP``
    of the line height or when they are linked (touch in fainter ink).

    Args:
        stats: int32 (n, 5), the span's component stats (background left out).
        tall: indices into ``stats`` of the components tall or wide enough to split at.
        link: per component of ``tall``, its label in the fainter ink (or itself).
        height: the line height, pixels.

    Returns:
        [x0, x1, links] per glyph: its column range and the links of its components.
    """
    comps = sorted((int(stats[k, 0]), int(stats[k, 0] + stats[k, 2]), link[k]) for k in tall)
    groups: list[list[Any]] = [[comps[0][0], comps[0][1], {comps[0][2]}]]  # [x0, x1, links]
    for a, b, k in comps[1:]:
        last = groups[-1]
        if last[1] - a > KERN_OVERLAP * height or k in last[2]:
            last[1] = max(last[1], b)
            last[2].add(k)
        else:
            groups.append([a, b, {k}])
    return groups


def _glyph_ranges(
    groups: list[list[Any]], stats: np.ndarray, w: int, whole: tuple[int, int]
) -> list[tuple[int, int, int, int]]:
    """(start, end, top, bottom) per glyph of :func:`_kern_groups` (changed in place):
    the ranges widened to cover the span's ``w`` columns, each with the rows of the
    components (``stats``, int32 (n, 5)) that lie mostly inside it, else ``whole``."""
    # every column belongs to some range: small marks join the range they fall in
    groups[0][0], groups[-1][1] = 0, w
    for left, right in zip(groups[:-1], groups[1:]):
        if right[0] > left[1]:  # a gap filled only by small components
            left[1] = right[0]
    out = []
    for a, b, _ in groups:
        # rows of the components that lie mostly inside this range
        inside = [k for k in range(len(stats)) if a <= stats[k, 0] + stats[k, 2] / 2 < b]
        top = min(int(stats[k, 1]) for k in inside) if inside else whole[0]
        bottom = max(int(stats[k, 1] + stats[k, 3]) for k in inside) if inside else whole[1]
        out.append((a, b, top, bottom))
    return out


def _rows_of(span: np.ndarray, a: int, b: int) -> tuple[int, int] | None:
    """(top, bottom) rows of the ink in columns a:b of a span, exclusive end; None if blank."""
    rows = np.flatnonzero(span[:, a:b].any(axis=1))
    return (int(rows[0]), int(rows[-1]) + 1) if rows.size else None


def _split_wide(profile: np.ndarray, s: int, e: int, height: int) -> list[tuple[int, int]]:
    """Cut span [s, e) into pieces about one line height wide at the lowest profile columns.

    Each cut is the lowest column between 0.6 and 1.2 line heights after the
    previous cut (the nearest to 1.0 on ties).
    """
    out = []
    while e - s > WIDE_FACTOR * height:
        lo = s + max(1, round(0.6 * height))
        hi = min(s + round(1.2 * height), e - max(1, round(0.3 * height)))
        if hi <= lo:
            break
        window = profile[lo:hi].astype(np.float64)
        offsets = np.abs(np.arange(lo, hi) - (s + height)) / height
        cut = lo + int(np.argmin(window + 0.1 * offsets * max(window.max(), 1.0)))
        out.append((s, cut))
        s = cut
    out.append((s, e))
    return out


#: Part of a piece's width, from each side, in which a touching point is looked for.
TOUCH_MARGIN = 0.25
#: A touching point has at most this share of the piece's median column of ink,
#: or of its fullest column (the arm of an r touching the next letter's stem).
TOUCH_DEPTH = 0.5
TOUCH_THIN = 0.25
#: A half whose ink ends above this share of the piece's height is an arm (of T).
TOUCH_ARM = 0.5


def touching_split(mask: np.ndarray, box: Box) -> tuple[Box, Box] | None:
    """Where two letters touch (a blurred "re", "oo", "TE"), the two halves of a piece.

    The lowest column of ink in the middle half of the piece is the touching
    point if it is much thinner than the piece's typical column or its fullest
    one, and each half reaches below the middle of the piece (a T's arms hold
    no letter); the segmenter only proposes the split, the recogniser decides
    whether the halves are letters.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.
        box: (x0, y0, x1, y1) of one piece, exclusive ends.

    Returns:
        The halves' boxes (each the tight box of its own ink), left first; None
        where the piece has no such point.
    """
    x0, y0, x1, y1 = (int(v) for v in box)
    sub = np.asarray(mask)[y0:y1, x0:x1] > 0
    w = sub.shape[1]
    lo, hi = round(TOUCH_MARGIN * w), w - round(TOUCH_MARGIN * w)
    if sub.size == 0 or hi - lo < 1 or lo < 2:
        return None
    profile = sub.sum(axis=0)
    inner = profile[lo:hi].astype(np.float64)
    centre = np.abs(np.arange(lo, hi) - (w - 1) / 2) / w
    cut = lo + int(np.argmin(inner + 0.01 * centre))
    if (
        profile[cut] > TOUCH_DEPTH * median(profile[profile > 0])
        and profile[cut] > TOUCH_THIN * profile.max()
    ):
        return None
    halves = []
    for a, b in ((0, cut), (cut + 1, w)):
        rows = _rows_of(sub, a, b)
        if rows is None or rows[1] <= TOUCH_ARM * sub.shape[0]:
            return None  # the arm of a T, not a letter (an underscore after g is one)
        halves.append((x0 + a, y0 + rows[0], x0 + b, y0 + rows[1]))
    return halves[0], halves[1]


#: Columns holding this share of a piece's fullest column are a letter's stem.
STEM = 0.6


def arch_splits(mask: np.ndarray, box: Box) -> list[tuple[Box, Box]]:
    """The ways to cut a piece of three or more stems (an m, or the "rn", "rr" or
    "oo" that a scan joins into one) between two of its stems.

    An m's arches are as thin as the joint of two touching letters, so
    :func:`touching_split` finds no point much thinner than the rest; here the
    piece is cut at the thinnest column between each pair of neighbouring stems
    (runs of columns with ``STEM`` of the fullest one's ink), and the recogniser
    decides which cut, if any, gives letters.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.
        box: (x0, y0, x1, y1) of one piece, exclusive ends.

    Returns:
        (left, right) halves' boxes, each the tight box of its own ink, per cut
        (the cut after the first stem twice: the left half also with the arch up to
        the second stem, which may be an r's arm); empty for a piece of fewer than
        three stems.
    """
    x0, y0, x1, y1 = (int(v) for v in box)
    sub = np.asarray(mask)[y0:y1, x0:x1] > 0
    if sub.size == 0:
        return []
    profile = sub.sum(axis=0)
    stems = runs(profile >= STEM * profile.max())
    if len(stems) < 3:
        return []
    out = []
    for n, ((_, a), (b, _)) in enumerate(zip(stems[:-1], stems[1:])):
        cut = a + int(np.argmin(profile[a:b]))
        # after the first stem the left letter may also keep the arch up to the next
        # stem: the arm of an r joined to the m or n after it reaches past the cut
        for end in (cut, b) if n == 0 and b > cut else (cut,):
            left, right = _rows_of(sub, 0, end), _rows_of(sub, cut + 1, sub.shape[1])
            if left is not None and right is not None:
                out.append(
                    (
                        (x0, y0 + left[0], x0 + end, y0 + left[1]),
                        (x0 + cut + 1, y0 + right[0], x1, y0 + right[1]),
                    )
                )
    return out


def cell_split(mask: np.ndarray, box: Box, at: float, slack: float) -> tuple[Box, Box] | None:
    """Two hanzi that touch (one piece over parts of both), cut at the column of
    least ink within ``slack`` of page column ``at``, where a cell should end.

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.
        box: (x0, y0, x1, y1) of one piece, exclusive ends.
        at: the page column where the first cell should end.
        slack: how far from ``at`` the cut may lie, in pixels.

    Returns:
        The halves' tight boxes, left first (the cut column in neither); None where
        the window leaves the piece or a half holds no ink.
    """
    x0, y0, x1, y1 = box
    lo, hi = max(int(round(at - slack)), x0 + 1), min(int(round(at + slack)) + 1, x1 - 1)
    if hi <= lo:
        return None
    sub = np.asarray(mask)[y0:y1, x0:x1] > 0
    cut = lo - x0 + int(np.argmin(sub[:, lo - x0 : hi - x0].sum(axis=0)))
    lhalf, rhalf = _ink_box(sub, 0, cut), _ink_box(sub, cut + 1, sub.shape[1])
    if lhalf is None or rhalf is None:
        return None
    left, right = ((x0 + a, y0 + t, x0 + b, y0 + u) for a, t, b, u in (lhalf, rhalf))
    return left, right


def _ink_box(sub: np.ndarray, a: int, b: int) -> Box | None:
    """The tight box of the ink in columns a:b of ``sub`` (bool (h, w)); None if blank."""
    ys, xs = np.flatnonzero(sub[:, a:b].any(axis=1)), np.flatnonzero(sub[:, a:b].any(axis=0))
    if not ys.size:
        return None
    return a + int(xs[0]), int(ys[0]), a + int(xs[-1]) + 1, int(ys[-1]) + 1


def group_pieces(pieces: np.ndarray, line_height: float) -> list[tuple[int, int]]:
    """Group consecutive pieces into characters using geometry only.

    The line's hanzi body (top, bottom and em) is estimated from its whole,
    square-ish pieces.  A run of pieces may form one character when it is at
    most ~1 em wide, its internal gaps are small, every piece is either tall or
    a small mark in the middle of the body (the dots of 小; punctuation sits
    high or low), and the union is about as tall as the body (or the pieces
    nearly touch).  Among the possible groupings the one with the fewest
    characters wins (dynamic programming), ties going to near-square
    characters.  Lines without whole hanzi are only joined where pieces nearly
    touch, so Latin letters stay apart while 川 儿 小 八 are joined.

    Args:
        pieces: int32 array (N, 4) as x0, y0, x1, y1, left to right (from :func:`cut_pieces`).
        line_height: height of the line in pixels.

    Returns:
        (start, end) piece index ranges, end exclusive, covering 0..N in order.
    """
    p = np.asarray(pieces).reshape(-1, 4)
    n = len(p)
    if n == 0:
        return []
    body = _body(p, float(line_height))
    rows = [tuple(r) for r in p.tolist()]  # plain ints: numpy's overhead dominates so few
    cost = [math.inf] * (n + 1)
    cost[0] = 0.0
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            if j - i > 1 and not _can_merge(rows[i:j], body):
                if rows[j - 1][2] - rows[i][0] > MAX_CHAR_WIDTH * body.em:
                    break
                continue
            c = cost[i] + 1.0 + 0.1 * _shape_penalty(rows[i:j], body.em)
            if c < cost[j]:
                cost[j], back[j] = c, i
    groups = []
    j = n
    while j > 0:
        groups.append((back[j], j))
        j = back[j]
    return groups[::-1]


@dataclass
class _Body:
    """The hanzi body of a line: vertical extent, em, and whether hanzi were seen."""

    top: float
    bottom: float
    em: float
    hanzi: bool

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def centre(self) -> float:
        return (self.top + self.bottom) / 2


def _body(p: np.ndarray, line_height: float) -> _Body:
    """Estimate the hanzi body of a line from its pieces (int32 (N, 4)).

    Pieces at least 0.7 line heights wide and 0.85 tall are taken as whole hanzi;
    the em is their median height / 0.92.  Without such pieces the line height
    is used and ``hanzi`` is False.
    """
    w = p[:, 2] - p[:, 0]
    h = p[:, 3] - p[:, 1]
    full = (w >= 0.7 * line_height) & (h >= 0.85 * line_height)
    if full.any():
        top, bottom = float(median(p[full, 1])), float(median(p[full, 3]))
        return _Body(top, bottom, (bottom - top) / 0.92, True)
    top = float(p[:, 1].min())
    return _Body(top, top + line_height, line_height, False)


Pieces = Sequence[tuple[int, int, int, int]]


def _can_merge(group: Pieces, body: _Body) -> bool:
    """Whether pieces ((x0, y0, x1, y1) each, K >= 2) may form one character."""
    width = group[-1][2] - group[0][0]
    if width > MAX_CHAR_WIDTH * body.em:
        return False
    gaps = [b[0] - a[2] for a, b in itertools.pairwise(group)]
    if max(gaps) > MAX_INNER_GAP * body.em:
        return False
    if _is_mark_pair(group, gaps, body):
        return True
    if not body.hanzi or not all(_is_part(piece, body) for piece in group):
        return False
    height = max(q[3] for q in group) - min(q[1] for q in group)
    return height >= MIN_CHAR_HEIGHT * body.height and width >= MIN_CHAR_WIDTH * body.em


def _is_part(piece: tuple[int, int, int, int], body: _Body) -> bool:
    """A piece may be part of a hanzi: tall, or a shorter mark centred in the body (小, 和)."""
    height = piece[3] - piece[1]
    centre = (piece[1] + piece[3]) / 2
    if height >= 0.7 * body.height:
        return True
    offset = abs(centre - body.centre) / body.height
    return offset <= (0.12 if height <= 0.55 * body.height else 0.06)


def _is_mark_pair(group: Pieces, gaps: list[int], body: _Body) -> bool:
    """Small marks side by side at the same height (the two commas of “ or ”, an
    ellipsis); ``gaps`` are the blank columns between the pieces."""
    for a, b in itertools.pairwise(group):
        overlap = min(a[3], b[3]) - max(a[1], b[1])
        if overlap < 0.5 * min(a[3] - a[1], b[3] - b[1]):
            return False
    small = MARK_SIZE * body.height
    if any(q[3] - q[1] > small or q[2] - q[0] > small for q in group):
        return False
    return group[-1][2] - group[0][0] <= 0.5 * body.em and max(gaps) <= 0.15 * body.em


def _shape_penalty(group: Pieces, em: float) -> float:
    """How far a group's width is from a square em (0 = one em wide), for tie-breaking."""
    if len(group) == 1:
        return 0.0
    width = group[-1][2] - group[0][0]
    return abs(1.0 - width / em)


def word_gaps(boxes: np.ndarray, line_height: float) -> np.ndarray:
    """Which gaps between consecutive characters are word spaces.

    Args:
        boxes: int32 array (N, 4) as x0, y0, x1, y1 of the characters, left to right.
        line_height: height of the line in pixels.

    Returns:
        bool array (N - 1,): True where the gap between characters i and i + 1
        exceeds 0.25 line height and 1.8 x the line's median gap; between two
        letters of a monospaced run (:func:`_mono_pitch`), where their centres are
        1.5 cells apart or more instead (an i or l leaves a gap in its cell).
    """
    b = np.asarray(boxes).reshape(-1, 4)
    if len(b) < 2:
        return np.zeros(0, bool)
    gaps = (b[1:, 0] - b[:-1, 2]).astype(np.float64)
    typical = float(median(np.maximum(gaps, 0)))
    out = (gaps > 0.25 * line_height) & (gaps > 1.8 * typical)
    widths = b[:, 2] - b[:, 0]
    letters = widths < 0.75 * line_height  # not hanzi
    pairs = letters[1:] & letters[:-1]
    centres = (b[1:, 0] + b[1:, 2] - b[:-1, 0] - b[:-1, 2]) / 2.0
    pitch = _mono_pitch(centres[pairs])
    if pitch:
        out[pairs] = centres[pairs] >= 1.5 * pitch
    return out


#: Consecutive letters at least this many, this share of them one cell apart: monospaced.
MONO_PAIRS, MONO_SHARE = 6, 0.75


def _mono_pitch(distances: np.ndarray) -> float | None:
    """The cell width of a monospaced run of letters, from the distances between
    consecutive letters' centres, or None.

    A monospaced face draws even i and l across most of their cell, so the ink
    widths say little; its word space is a whole cell, though.  So the run is
    monospaced when ``MONO_SHARE`` of the distances lie within 12% of their median
    (a proportional face spreads them from i to m), one lies two cells apart (a word
    space) and none between 1.3 and 1.75 cells (where a proportional face's narrower
    space puts evenly spaced capitals or digits: DROP SCHEMA, 1000 1024).
    """
    if len(distances) < MONO_PAIRS:
        return None
    pitch = float(median(distances))
    if pitch <= 0 or np.mean(np.abs(distances - pitch) <= 0.12 * pitch) < MONO_SHARE:
        return None
    if not (np.abs(distances - 2 * pitch) <= 0.2 * pitch).any():
        return None
    if ((distances > 1.3 * pitch) & (distances < 1.75 * pitch)).any():
        return None
    return pitch
