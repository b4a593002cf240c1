"""Shapes at the joined ink level: what the mask's pieces make when the fainter ink
between them counts too (:attr:`segmentation.segment.Segmentation.joined_level`).

A scan breaks a letter at a thin stroke (the stem and arch of h), and at screen sizes
a light Song face's hairlines stay under the solid ink level, so a hanzi falls apart
into its solid strokes; at the joined level each is one shape again. These functions
count and measure those shapes for the reader, which decides what to do with them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from segmentation.geometry import Box


def stats_box(stats: np.ndarray, dx: int = 0, dy: int = 0) -> Box:
    """The box around components, moved by (dx, dy).

    Args:
        stats: int32 (N, 5), N >= 1, rows of ``cv2.connectedComponentsWithStats``'s stats.
        dx, dy: added to x and y (the offset of the image the stats are of).

    >>> stats_box(np.array([[2, 3, 4, 5, 9], [8, 1, 2, 2, 4]], np.int32), 10, 0)
    (12, 1, 20, 8)
    """
    x0, y0 = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    x1, y1 = x0 + stats[:, cv2.CC_STAT_WIDTH], y0 + stats[:, cv2.CC_STAT_HEIGHT]
    return dx + int(x0.min()), dy + int(y0.min()), dx + int(x1.max()), dy + int(y1.max())


def shape_count(ink: np.ndarray, box: Box, level: int, min_area: int = 3) -> int:
    """The shapes of ``min_area`` pixels or more that the ink at ``level`` or above
    makes inside ``box`` (8-connected).

    Args:
        ink: uint8 (H, W) ink intensity, white on black.
        box: (x0, y0, x1, y1) in ``ink``.
        level: the ink level (0..255) a pixel of a shape reaches.
        min_area: smaller shapes (specks) are not counted.
    """
    x0, y0, x1, y1 = box
    sub = (ink[y0:y1, x0:x1] >= level).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    return int((stats[1:, cv2.CC_STAT_AREA] >= min_area).sum())


def joined_shapes(
    ink: np.ndarray, mask: np.ndarray, level: int, window: Box, spans: Sequence[tuple[int, int]]
) -> list[tuple[int, Box] | None]:
    """For each span of columns in ``window``, the shapes the ink at ``level`` or above
    makes in the window that hold the mask's ink within the span's columns.

    Args:
        ink: uint8 (H, W) ink intensity, white on black.
        mask: uint8 (H, W) the solid ink, nonzero on ink.
        level: the joined ink level (0..255).
        window: (x0, y0, x1, y1) where the shapes are labelled; a shape is cut at its edge.
        spans: (x0, x1) column ranges within the window, in page coordinates.

    Returns:
        Per span, the number of shapes and the box around them (page coordinates), or
        None where the mask has no ink in the span's columns of the window.
    """
    lo, top, hi, bottom = window
    joined = (ink[top:bottom, lo:hi] >= level).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    out: list[tuple[int, Box] | None] = []
    for x0, x1 in spans:
        own = mask[top:bottom, x0:x1] > 0
        # the labels under the span's ink (np.unique would import numpy.ma: ~15 ms)
        ids = np.flatnonzero(np.bincount(labels[:, x0 - lo : x1 - lo][own]))
        ids = ids[ids > 0]
        out.append((int(ids.size), stats_box(stats[ids], lo, top)) if ids.size else None)
    return out
