"""Segmentation stage entry point: page image -> lines -> pieces -> characters.

``segment_page`` runs to_gray -> flatten a photographed page -> ink_image/binarize ->
clean -> deskew -> find_lines -> cut_pieces -> group_pieces.  The result keeps the deskewed gray
and ink images, so crops can be cut from the same geometry the boxes refer to.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from segmentation.binarize import (
    INK_THRESHOLD,
    LOW_THRESHOLD,
    faint_threshold,
    ink_image,
    ink_mask,
    lift_paper,
    to_gray,
)
from segmentation.characters import cut_pieces, group_pieces
from segmentation.clean import (
    clean,
    component_stats,
    estimate_text_height,
    find_rules,
    scan_borders,
    text_height_of,
)
from segmentation.crops import Mode, normalize_crop
from segmentation.deskew import estimate_skew, rotate, rotation_matrix
from segmentation.geometry import Box, percentile
from segmentation.lines import Line, body_span, find_lines
from segmentation.page import find_page, flatten_page

log = logging.getLogger(__name__)

#: Skew below this many degrees is left alone.
MIN_ROTATION = 0.2

LINE_COLOUR = (255, 128, 0)  # BGR: blue-ish
CHAR_COLOUR = (0, 0, 255)  # BGR: red


@dataclass
class CharBox:
    """One character (a group of consecutive pieces).

    Attributes:
        box: (x0, y0, x1, y1) of the character's ink, exclusive ends (deskewed page).
        line_index: index into ``Segmentation.lines``.
        pieces: (start, end) range into ``Segmentation.pieces[line_index]``, end exclusive.
    """

    box: Box
    line_index: int
    pieces: tuple[int, int]


@dataclass
class Segmentation:
    """Result of :func:`segment_page`; every image is in deskewed page coordinates.

    Attributes:
        gray: uint8 (H, W) deskewed grayscale page (a photographed page flattened first).
        ink: uint8 (H, W) white-on-black ink intensity (anti-aliased).
        mask: uint8 (H, W) cleaned ink mask, 255 = ink.
        angle: skew of the input in degrees (counter-clockwise); the images were
            rotated by ``-angle`` when ``|angle| > MIN_ROTATION``.
        lines: lines in reading order.
        pieces: per line, int32 (N, 4) atomic pieces (x0, y0, x1, y1), left to right.
        chars: per line, the characters in reading order.
        joined_level: ink level (0..255) at which shapes of the mask that touch
            are one glyph broken at a thin stroke rather than two letters.
    """

    gray: np.ndarray
    ink: np.ndarray
    mask: np.ndarray
    angle: float = 0.0
    #: float32 (4, 2) corners of the photographed page that was flattened, or None
    page_corners: np.ndarray | None = None
    #: float64 (3, 3) homography from a point (x, y, 1) of these images (pixel edges:
    #: a box's corners) to the same point of the input image; the identity when the
    #: page was neither flattened nor turned
    to_input: np.ndarray = field(default_factory=lambda: np.eye(3))
    lines: list[Line] = field(default_factory=list)
    pieces: list[np.ndarray] = field(default_factory=list)
    chars: list[list[CharBox]] = field(default_factory=list)
    joined_level: int = INK_THRESHOLD
    #: per line, (top, bottom) of its body (:func:`segmentation.lines.body_span`):
    #: the height its characters are framed in
    spans: list[tuple[int, int]] = field(default_factory=list)

    def span(self, i: int) -> tuple[int, int]:
        """(top, bottom) of line ``i``'s body; its box's where none was measured."""
        if i < len(self.spans):
            return self.spans[i]
        return self.lines[i].box[1], self.lines[i].box[3]


def segment_page(image: np.ndarray) -> Segmentation:
    """Segment a page image into lines and characters.

    Args:
        image: page as accepted by :func:`segmentation.binarize.to_gray`
            (gray, BGR or BGRA; uint8, uint16 or float).

    Returns:
        The segmentation; lines, pieces and chars are empty for a page without ink.
    """
    gray, ink, edges, angle, to_page, corners = _straightened(to_gray(image))
    faint = faint_threshold(ink)
    raw = ink_mask(ink, faint)
    components: tuple[np.ndarray, np.ndarray] | None = component_stats(raw)
    # found along the image's edges before it was turned, and along the turned edges
    dark = scan_borders(raw) | edges
    if dark.any():  # a scanner's dark edge: neither text nor a rule
        raw[dark] = 0
        ink[dark] = 0
        components = None  # one labelling alive at a time
        components = component_stats(raw)
    del dark, edges
    rules = find_rules(raw, components)
    if rules is not None:  # out of the ink too, with their anti-aliased edges
        raw[rules.pixels] = 0
        ink[cv2.dilate(rules.pixels.view(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 0
        components = None
        table: tuple[np.ndarray | None, np.ndarray | None] = (rules.table_columns, rules.table_rows)
        del rules  # its pixels, 9 MB on a 300-dpi scan, are out of the mask now
    else:
        table = None, None
    mask = clean(raw, components, ink if faint <= LOW_THRESHOLD else None)
    seg = Segmentation(gray=gray, ink=ink, mask=mask, angle=angle, page_corners=corners,
                       to_input=_edges_to_input(to_page))  # fmt: skip
    seg.lines = find_lines(mask, *table)
    # halfway between the faint and the solid level: low enough to join the two halves
    # of a glyph broken at a thin stroke, high enough that anti-aliasing between two
    # kerned letters does not (chosen on development pages, `benchmarks pages --seed 1/2`)
    seg.joined_level = (faint + INK_THRESHOLD) // 2
    joined = ink >= seg.joined_level
    _cut_lines(seg, joined, components)
    if corners is not None:  # a photo: its paper is grainy (dev photos 26.7 -> 23.2% CER)
        lift_paper(seg.ink, seg.mask, [line.box for line in seg.lines])
    log.info(
        "segmented page %s: skew %.2f deg, %d lines, %d chars",
        gray.shape,
        angle,
        len(seg.lines),
        sum(len(c) for c in seg.chars),
    )
    return seg


def _straightened(gray: np.ndarray):
    """The page found in a photo and flattened, then turned upright.

    Args:
        gray: uint8 (H, W) the input page.

    Returns:
        (gray, ink, edges, angle, to_page, corners): the straightened page uint8
        (H', W'), its ink uint8 (H', W'), a scanner's dark edges bool (H', W'), the skew
        corrected (degrees), float (3, 3) input -> page in OpenCV's pixel-centre
        coordinates, and the page's corners in a photo (or None).
    """
    to_page = np.eye(3)
    corners = find_page(gray)
    if corners is not None:  # a photo of a page on a desk: the page alone, flat
        gray, to_page = flatten_page(gray, corners)
    ink = ink_image(gray)
    # the solid ink is enough to measure the skew (within 0.03 deg of the cleaned
    # mask's estimate on the development scans), so the mask is made once, upright
    # and without a scanner's dark edges: straight along the image, they outweigh the
    # tilted text (a photocopy tilted 1 degree was measured upright: 79-109% CER)
    solid = ink >= INK_THRESHOLD
    edges = scan_borders(solid)
    angle = estimate_skew(solid & ~edges)
    del solid  # one page-sized array less held through the rest
    if abs(angle) > MIN_ROTATION:
        gray = rotate(gray, -angle)
        ink = rotate(ink, -angle)  # as good as the ink of the turned page, and faster
        edges = rotate(edges, -angle)
        to_page = np.vstack([rotation_matrix(gray.shape, -angle), [0, 0, 1]]) @ to_page
    return gray, ink, edges, angle, to_page, corners


def _cut_lines(seg: Segmentation, joined: np.ndarray, components) -> None:
    """Cut each of ``seg.lines`` into pieces and characters, pictures split off (the
    lines replaced by the parts kept), into ``seg.chars``, ``pieces`` and ``spans``.

    Args:
        seg: the segmentation, its lines found.
        joined: bool (H, W) the ink at ``seg.joined_level``.
        components: the labelling of the mask before cleaning (see :func:`clean`), or
            None, to measure the text height.
    """
    mask = seg.mask
    lines, seg.lines = seg.lines, []
    if components is None:
        text_height = functools.cache(lambda: estimate_text_height(mask))
    else:  # the labelling clean used (of the mask before cleaning) measures it as well
        text_height = functools.cache(lambda: text_height_of(components[1], mask.shape[0]))
    for line in lines:
        for part in _without_pictures(line, cut_pieces(mask, line.box, joined), text_height):
            pieces = part[1] if part[1] is not None else cut_pieces(mask, part[0].box, joined)
            groups = group_pieces(pieces, part[0].height)
            boxes = [_char_box(pieces, g, len(seg.lines)) for g in groups]
            span = body_span(np.array([c.box for c in boxes], np.int64), part[0].box)
            if span[1] - span[0] < part[0].height:  # a superscript stretched the line box
                groups = group_pieces(pieces, span[1] - span[0])
                boxes = [_char_box(pieces, g, len(seg.lines)) for g in groups]
            seg.chars.append(boxes)
            seg.lines.append(part[0])
            seg.pieces.append(pieces)
            seg.spans.append(span)


def _edges_to_input(to_page: np.ndarray) -> np.ndarray:
    """The homography from pixel-edge coordinates of the page (a box's corners) to those
    of the input, given ``to_page`` (3, 3) in OpenCV's pixel-centre coordinates."""
    shift = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])  # edges -> centres
    back = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    return back @ np.linalg.inv(to_page) @ shift


#: A piece this many times as tall as the tall glyphs of the rest of its line (their
#: 90th percentile) and as the page's text is a picture.
PICTURE_HEIGHT = 1.7
#: A piece this many times as tall and as wide as those is an icon (a picture too).
ICON_SIZE = 1.35


def _without_pictures(
    line: Line, pieces: np.ndarray, text_height: Callable[[], float]
) -> list[tuple[Line, np.ndarray | None]]:
    """A line, and its pieces, or the line split into its text and the pictures beside it.

    An avatar, icon or photo at the height of a text line joins its band, and the line
    as tall as the picture frames every character's crop wrongly.  A piece at least
    ``PICTURE_HEIGHT`` times as tall as the 90th percentile of the other pieces of
    the line (those not under its columns), with three or more of those, and as
    the page's text (``text_height()``: a hanzi beside "ss" is twice as tall as
    they are, not as the page's text), is a picture; so is one ``ICON_SIZE`` times as
    tall and as wide as those, with two or more of those (the warning sign before a web
    page's 警告, which was read as ``•`` and took its title with it). It and the pieces
    under its columns (or within a tenth of its height of them) become a line of their
    own, and the rest a line whose box fits them (their pieces cut again: None).
    """
    if len(pieces) < 3:
        return [(line, pieces)]
    heights = pieces[:, 3] - pieces[:, 1]
    sides = np.minimum(heights, pieces[:, 2] - pieces[:, 0])
    picture = np.zeros(len(pieces), bool)

    def columns(k: int, margin: int = 0) -> np.ndarray:
        """bool (N,): the pieces under piece ``k``'s columns, widened by ``margin``."""
        return (pieces[:, 0] < pieces[k, 2] + margin) & (pieces[:, 2] > pieces[k, 0] - margin)

    for k in np.argsort(-heights):
        if picture[k]:
            continue
        under = columns(k)
        rest = heights[~under & ~picture]
        if len(rest) < 2:
            break
        text = max(float(percentile(rest, 90)), text_height())
        if len(rest) < 3 or heights[k] < PICTURE_HEIGHT * text:  # not tall: an icon?
            # its pieces: under its columns or within a tenth of its height of them
            # (the slivers of a round icon's sides that were cut apart from it)
            under = columns(k, heights[k] // 10)
            rest = heights[~under & ~picture]
            if len(rest) < 2 or sides[k] < ICON_SIZE * max(text, float(rest.max())):
                break
        picture |= under
    if not picture.any():
        return [(line, pieces)]
    parts = [
        (Line(_box_of(pieces[sel]), line.column, line.block), None) for sel in (picture, ~picture)
    ]
    return sorted(parts, key=lambda part: part[0].box[0])


def _char_box(pieces: np.ndarray, group: tuple[int, int], line_index: int) -> CharBox:
    """CharBox for the union of ``pieces[start:end]`` (int32 (N, 4))."""
    start, end = group
    return CharBox(box=_box_of(pieces[start:end]), line_index=line_index, pieces=(start, end))


def _box_of(pieces: np.ndarray) -> Box:
    """The box around pieces (int32 (N, 4), N >= 1)."""
    x0, y0, x1, y1 = zip(*pieces.tolist())  # a few pieces: faster than numpy's reductions
    return min(x0), min(y0), max(x1), max(y1)


def crops(seg: Segmentation, size: int = 32, mode: Mode = "line") -> np.ndarray:
    """Normalised crops of all characters, in reading order.

    Args:
        seg: result of :func:`segment_page`.
        size: side of each square crop in pixels.
        mode: ``"line"`` or ``"tight"`` framing (see :mod:`segmentation.crops`).

    Returns:
        uint8 array (N, size, size), white on black; N = total number of characters.
    """
    out = []
    for line_chars in seg.chars:
        for ch in line_chars:
            span = seg.span(ch.line_index)
            out.append(normalize_crop(seg.ink, ch.box, line=span, size=size, mode=mode))
    if not out:
        return np.zeros((0, size, size), np.uint8)
    return np.stack(out)


def draw_debug(seg: Segmentation) -> np.ndarray:
    """Draw line boxes (blue) and character boxes (red) over the deskewed page.

    Args:
        seg: result of :func:`segment_page`.

    Returns:
        uint8 BGR array (H, W, 3).
    """
    canvas = cv2.cvtColor(seg.gray, cv2.COLOR_GRAY2BGR)
    for line in seg.lines:
        _rect(canvas, line.box, LINE_COLOUR)
    for line_chars in seg.chars:
        for ch in line_chars:
            _rect(canvas, ch.box, CHAR_COLOUR)
    return canvas


def _rect(canvas: np.ndarray, box: Box, colour: tuple[int, int, int]) -> None:
    """Draw a 1 px rectangle around ``box`` (exclusive ends) in place."""
    x0, y0, x1, y1 = box
    cv2.rectangle(canvas, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), colour, 1)
