"""Character crops: the one normalisation shared by the renderer and the page reader.

The recogniser learns from rendered glyphs and is later shown crops cut from
pages.  Both go through :func:`normalize_crop`, so what it sees at training time
and at reading time is framed the same way.

Two framings exist:

* ``"tight"``: the ink's own box, centred in a square (the 2018 tutorial's
  white-on-black crops).  Size and vertical place are lost.
* ``"line"``: the character's horizontal extent and the *line's* vertical
  extent.  A comma stays small and low, an apostrophe small and high, ``o``
  smaller than ``O``; this is the framing used when reading pages.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Mode = Literal["tight", "line"]
MODES: tuple[str, ...] = ("tight", "line")

#: Blank border around the glyph, as a fraction of the square's side.
MARGIN = 0.08


def ink_bbox(ink: np.ndarray, threshold: int = 40) -> tuple[int, int, int, int] | None:
    """Bounding box of the ink.

    Args:
        ink: uint8 array (H, W), white ink on black.
        threshold: pixels above it count as ink.

    Returns:
        (x0, y0, x1, y1), exclusive ends, or None when there is no ink.
    """
    mask = ink > threshold
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def normalize_crop(
    ink: np.ndarray,
    box: tuple[int, int, int, int],
    line: tuple[int, int] | None = None,
    size: int = 32,
    mode: Mode = "line",
) -> np.ndarray:
    """Cut one character out of an ink image and frame it in a square.

    Args:
        ink: uint8 array (H, W), white ink on black (the whole line or page).
        box: (x0, y0, x1, y1) of the character, exclusive ends.
        line: (top, bottom) of the text line the character sits in; needed for
            ``mode="line"``, ignored for ``"tight"``.
        size: side of the output square in pixels.
        mode: ``"tight"`` or ``"line"`` (see the module docstring).

    Returns:
        uint8 array (size, size), white on black.

    >>> img = np.zeros((40, 40), np.uint8); img[10:30, 12:20] = 255
    >>> normalize_crop(img, (12, 10, 20, 30), size=16, mode="tight").shape
    (16, 16)
    """
    x0, y0, x1, y1 = (int(v) for v in box)
    if mode == "tight":
        sub = ink[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)]
        bb = ink_bbox(sub)
        if bb is not None:
            x0, y0, x1, y1 = x0 + bb[0], y0 + bb[1], x0 + bb[2], y0 + bb[3]
        top, bottom = y0, y1
    elif mode == "line":
        if line is None:
            raise ValueError("mode='line' needs the line's (top, bottom)")
        top, bottom = int(line[0]), int(line[1])
    else:
        raise ValueError(f"unknown crop mode {mode!r}; expected one of {MODES}")
    height = max(bottom - top, 1)
    width = max(x1 - x0, 1)
    side = max(height, width)
    side = max(int(round(side / (1 - 2 * MARGIN))), 1)
    cx = (x0 + x1) / 2
    cy = (top + bottom) / 2
    sx0 = int(round(cx - side / 2))
    sy0 = int(round(cy - side / 2))
    square = _paste(ink, sx0, sy0, side, clip=(x0, x1, min(top, y0), max(bottom, y1)))
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(square, (size, size), interpolation=interp)


def _paste(
    ink: np.ndarray, sx0: int, sy0: int, side: int, clip: tuple[int, int, int, int]
) -> np.ndarray:
    """Copy the square window at (sx0, sy0) onto black, keeping only the clip columns/rows.

    Columns outside the character's own extent are blanked, so neighbours that
    fall inside the square do not leak into the crop.
    """
    h, w = ink.shape[:2]
    out = np.zeros((side, side), np.uint8)
    cx0, cx1, cy0, cy1 = clip
    gx0, gx1 = max(sx0, cx0, 0), min(sx0 + side, cx1, w)
    gy0, gy1 = max(sy0, cy0, 0), min(sy0 + side, cy1, h)
    if gx1 > gx0 and gy1 > gy0:
        out[gy0 - sy0 : gy1 - sy0, gx0 - sx0 : gx1 - sx0] = ink[gy0:gy1, gx0:gx1]
    return out
