"""Binarisation: page image -> grayscale ink image -> ink mask.

Everything downstream works on white-on-black images: ink is bright (255),
background is 0.  The page's polarity (dark text on light paper or light text
on a dark screen) is decided by which class is the majority, so both give the
same result.  Uneven illumination is removed by dividing by a background
estimate (a large max filter on a downscaled copy, smoothed).
"""

from __future__ import annotations

import logging
from typing import cast

import cv2
import numpy as np
import numpy.typing as npt

from segmentation.geometry import median, percentile

log = logging.getLogger(__name__)

#: Threshold on the normalised ink image (0..255) that separates ink from background.
INK_THRESHOLD = 128
#: Level of faint ink on clean images (thin strokes of small screen text).
LOW_THRESHOLD = 48
#: A faint-level component is a faint mark when solid ink is under this share of it.
FAINT_SHARE = 0.5
#: ... and it may hold several solid specks (a blurred 。 whose ring is solid in a few
#: places) when none of them is more than this share of it.
SPECK_SHARE = 0.2
#: Faint level increase per unit of background noise (75th percentile of the ink image).
NOISE_FACTOR = 6.0
#: A shape of solid ink filling this share of its box is a block of the other polarity.
BLOCK_FILL = 0.72
#: ... and is darker than the paper around it by this share of the paper's level.
BLOCK_STEP = 0.35
#: A light block (a web page's grey navigation band, a shaded box) is darker than the
#: paper by at least this share of the paper's level ...
LIGHT_STEP = 0.06
#: ... and steps down at its outline: the paper just outside it has come this share of
#: the way back up already (a shade of uneven light fades out instead).
LIGHT_EDGE = 0.75
#: ... and covers at most this share of the page (a band, a box; not a shadow's half).
LIGHT_AREA = 0.25
#: Longest side of the copy used to estimate polarity and background.
_WORK_SIDE = 600
#: Up to this many pixels, the background's statistics use every pixel.
_STATS_FULL = 1_000_000
#: Minimum contrast (fraction of the background level) for anything to count as ink.
_MIN_CONTRAST = 0.12


def to_gray(image: np.ndarray) -> np.ndarray:
    """Convert an image to 8-bit grayscale.

    Args:
        image: array (H, W), (H, W, 1), (H, W, 3) BGR or (H, W, 4) BGRA; dtype uint8,
            uint16, bool or float (floats with max <= 1 are taken as 0..1, else 0..255).
            Transparent BGRA pixels are composited onto white.

    Returns:
        uint8 array (H, W).

    Raises:
        ValueError: for an empty array, a wrong rank or an unsupported channel count.
    """
    img = np.asarray(image)
    if img.size == 0:
        raise ValueError(f"empty image of shape {img.shape}")
    if img.ndim not in (2, 3):
        raise ValueError(f"expected an image of rank 2 or 3, got shape {img.shape}")
    if img.ndim == 3 and img.shape[2] not in (1, 3, 4):
        raise ValueError(f"expected 1, 3 or 4 channels, got shape {img.shape}")
    if img.dtype == np.uint8 and (img.ndim == 2 or img.shape[2] == 1):
        return img.reshape(img.shape[:2])  # already 8-bit gray: nothing to convert
    f = _to_unit_float(img)
    if f.ndim == 2:
        gray = f
    elif f.shape[2] == 1:
        gray = f[:, :, 0]
    else:
        b, g, r = f[:, :, 0], f[:, :, 1], f[:, :, 2]
        gray = 0.114 * b + 0.587 * g + 0.299 * r
        if f.shape[2] == 4:
            alpha = f[:, :, 3]
            gray = gray * alpha + (1.0 - alpha)
    return np.clip(np.rint(gray * 255.0), 0, 255).astype(np.uint8)


def _to_unit_float(img: np.ndarray) -> np.ndarray:
    """Scale any supported dtype to float32 in 0..1 (same shape)."""
    if img.dtype == np.bool_:
        return img.astype(np.float32)
    if img.dtype == np.uint8:
        return img.astype(np.float32) / 255.0
    if img.dtype == np.uint16:
        return img.astype(np.float32) / 65535.0
    if np.issubdtype(img.dtype, np.floating):
        f = np.nan_to_num(img.astype(np.float32))
        if float(f.max()) > 1.0:
            f = f / 255.0
        return np.clip(f, 0.0, 1.0)
    if np.issubdtype(img.dtype, np.integer):
        return np.clip(img.astype(np.float32), 0, 255) / 255.0
    raise ValueError(f"unsupported image dtype {img.dtype}")


def ink_image(gray: np.ndarray, blocks: bool = True) -> np.ndarray:
    """Grayscale ink intensity, white on black, anti-aliasing kept.

    Args:
        gray: uint8 array (H, W) (anything :func:`to_gray` accepts).
        blocks: also read the text of blocks drawn in the other polarity (light
            code on a dark code block, a button's label; :func:`_read_blocks`).

    Returns:
        uint8 array (H, W): background ~0, solid ink ~255.  All zeros when the
        image holds no ink (blank, uniform or noise only).
    """
    g = to_gray(gray)
    small: np.ndarray | None
    small = _downscale(g)
    if not _dark_text(small):
        g, small = 255 - g, None  # shrunk again: 255 - shrunk rounds differently
    level = g.astype(np.float32)
    bg = _background(g)
    np.maximum(bg, level, out=bg)
    # (bg - level) / max(bg, 1), clipped to 0..1, in two page-sized buffers
    contrast = np.subtract(bg, level, out=level)
    contrast /= np.maximum(bg, 1.0, out=bg)
    ink = _stretch(np.clip(contrast, 0.0, 1.0, out=contrast))
    if blocks:
        _read_blocks(g, ink, small)
    return ink


#: Share of a dark block's inside that its light text inks, at least, for the block to
#: hold text (a scanner's black margin holds none): the edge of a wide block with text
#: is erased with it.
TEXT_SHARE = 0.005


def _read_blocks(g: np.ndarray, ink: np.ndarray, small: np.ndarray | None = None) -> None:
    """Replace, in ``ink`` (uint8 (H, W), in place), each solid dark block with the ink
    of the text drawn on it in the other polarity.

    A screenshot of dark text on a light page may hold dark blocks with light text
    (a code block, a button, a banner), which the page's ink image shows as a rim of
    ink around the text.  A block is a shape of dark pixels (darker than the page's
    Otsu level, on a copy of at most ``_WORK_SIDE`` pixels) at least 40 x 16 pixels
    that fills ``BLOCK_FILL`` of its box, and at full resolution a (rounded) rectangle
    at least that big whose outline it fills as much (text never does), and darker
    than the paper around it by ``BLOCK_STEP`` of the paper's level (a shade of
    uneven light is not).  Inside the outline the block's own ink image is taken
    (its majority, the block, is the background there); its edge, a few pixels
    wide, is no ink.  A dark block without text (a scanner's black margin) is erased.

    Args:
        g: the page, uint8 (H, W), dark text on light (polarity already decided).
        ink: its ink image.
        small: ``_downscale(g)``, if the caller has it.
    """
    small = _downscale(g) if small is None else small
    scale = small.shape[0] / g.shape[0]
    level, dark = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    for box in _solid_boxes(dark, g.shape, scale):
        _read_block(g, ink, box, level)
    # light blocks: a grey band darker than the paper but lighter than Otsu's level,
    # which the background's wide max filter made a slab of ink with the text lost in it
    light = float(percentile(small, 90)) * (1.0 - LIGHT_STEP)
    if light > level:
        pale = ((small < light) & (small > level)).astype(np.uint8)
        for box in _solid_boxes(pale, g.shape, scale):
            x0, y0, x1, y1 = box
            if median(g[y0:y1, x0:x1]) > level:  # dark blocks were read above
                _read_block(g, ink, box, light)


def _solid_boxes(dark: np.ndarray, shape: tuple[int, ...], scale: float) -> list[tuple]:
    """Boxes (x0, y0, x1, y1) at full resolution (``shape``) of the components of
    ``dark`` (uint8 (h, w), a copy shrunk by ``scale``) that fill ``BLOCK_FILL`` of their
    box and are at least 40 x 16 pixels at full resolution."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    solid = (area >= BLOCK_FILL * w * h) & (w >= 40 * scale) & (h >= 16 * scale)
    boxes = []
    for i in np.flatnonzero(solid):
        x0, y0 = max(int(x[i] / scale) - 2, 0), max(int(y[i] / scale) - 2, 0)
        x1 = min(int(np.ceil((x[i] + w[i]) / scale)) + 2, shape[1])
        y1 = min(int(np.ceil((y[i] + h[i]) / scale)) + 2, shape[0])
        boxes.append((x0, y0, x1, y1))
    return boxes


def _read_block(page: np.ndarray, page_ink: np.ndarray, box: tuple, level: float) -> None:
    """:func:`_read_blocks` for one block's box (x0, y0, x1, y1) of the page, darker
    than ``level``."""
    x0, y0, x1, y1 = box
    g, ink = page[y0:y1, x0:x1], page_ink[y0:y1, x0:x1]
    dark = (g <= level).astype(np.uint8)
    contours, _ = cv2.findContours(dark, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return
    contour = max(contours, key=cv2.contourArea)
    _, _, w, h = cv2.boundingRect(contour)
    if w < 40 or h < 16 or cv2.contourArea(contour) < 0.85 * w * h:
        return  # not a (rounded) rectangle: text or a drawing
    outline = np.zeros_like(dark)
    cv2.drawContours(outline, [contour], -1, 1, cv2.FILLED)
    inside = outline > 0
    if np.count_nonzero(dark[inside]) < BLOCK_FILL * np.count_nonzero(inside):
        return  # a frame or a glyph's box, not a filled block
    edge = max(2, round(0.02 * min(g.shape)))
    # a step down from the paper around it, not a shade of uneven light
    rx, ry = max(x0 - 2 * edge, 0), max(y0 - 2 * edge, 0)
    surround = page[ry : y1 + 2 * edge, rx : x1 + 2 * edge]
    ring = surround > level
    ring[y0 - ry : y1 - ry, x0 - rx : x1 - rx] = False
    around = float(median(surround[ring])) if ring.any() else 255.0
    shade = float(median(g[inside & (dark > 0)]))
    if around - shade < LIGHT_STEP * around:
        return
    pale = around - shade < BLOCK_STEP * around
    if pale:  # a light block: small, a sharp step at its outline
        rim = (cv2.dilate(outline, np.ones((5, 5), np.uint8)) > 0) & ~inside
        if w * h > LIGHT_AREA * page.size or not rim.any():
            return  # a lid's shadow over half a scan
        if median(g[rim]) - shade < LIGHT_EDGE * (around - shade):
            return  # a shade of uneven light, fading out
    square = np.ones((2 * edge + 1, 2 * edge + 1), np.uint8)
    inner = cv2.erode(outline, square) > 0
    local = g.copy()
    local[~inner] = int(shade)
    text = ink_image(local, blocks=False)
    wide = w >= 2 * h  # a code block, a button; not a photo's blurred dense hanzi
    has_text = np.count_nonzero(text[inner] >= INK_THRESHOLD) >= TEXT_SHARE * inner.sum()
    if pale and not has_text:
        return  # a grey margin beside a web page's column: left as it was
    if wide and has_text:
        # a block with text: its edge, blurred out past the outline by a scan, is no ink
        # either (a scanned code block's rim, turned with the page, left dashes over and
        # under its lines, which were read with them)
        ink[cv2.dilate(outline, square) > 0] = 0
    ink[inside] = 0
    ink[inner] = text[inner]


def _dark_text(small: np.ndarray) -> bool:
    """Decide the polarity: True when the text is darker than the background.

    The background is the majority class, judged locally so that uneven lighting
    does not matter: with a max filter (wider than strokes) as the background
    estimate, dark text leaves a residual only on its own (few) pixels, while
    with a min filter, the wrong guess, the residual covers the many background
    pixels around the text.

    Args:
        small: uint8 array (H, W), the page shrunk by :func:`_downscale`.

    Returns:
        True for dark text on a light background.
    """
    k = max(5, round(0.03 * max(small.shape))) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    dark_residual = cv2.subtract(cv2.dilate(small, kernel), small)
    light_residual = cv2.subtract(small, cv2.erode(small, kernel))
    return int(dark_residual.sum(dtype=np.int64)) <= int(light_residual.sum(dtype=np.int64))


def _downscale(gray: np.ndarray) -> np.ndarray:
    """Shrink so that the longest side is at most ``_WORK_SIDE`` (area interpolation)."""
    h, w = gray.shape
    scale = _WORK_SIDE / max(h, w)
    if scale >= 1.0:
        return gray
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _background(g: np.ndarray) -> np.ndarray:
    """Estimate the paper level of dark-text image ``g`` (uint8 (H, W)) as float32 (H, W),
    before the page's own level is taken where it is brighter.

    A max filter wider than the strokes removes the text; a median then smooths it.
    The work is done on a downscaled copy (a kernel of 3% of the longest side,
    at least 15 px at full resolution).
    """
    h, w = g.shape
    kernel_full = max(15, round(0.03 * max(h, w)))
    scale = min(1.0, 15.0 / kernel_full)
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(g, size, interpolation=cv2.INTER_AREA)
    else:
        small = g
    k = max(3, round(kernel_full * scale)) | 1
    bg = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.medianBlur(bg, 5)
    bg = cv2.blur(bg, (k, k))
    if bg.shape != g.shape:
        bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    return bg.astype(np.float32)


def _stretch(contrast: np.ndarray) -> np.ndarray:
    """Map contrast (float32 (H, W), 0..1; overwritten) to uint8: background -> 0, solid
    ink -> 255.

    Returns all zeros when the two Otsu classes are not clearly separated
    (a blank or noise-only image).
    """
    c8 = cv2.convertScaleAbs(contrast, alpha=255.0)  # np.rint(contrast * 255) as uint8
    if int(c8.max()) == 0:
        return np.zeros_like(c8)
    thr, _ = cv2.threshold(c8, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    fg = c8 > thr
    if not fg.any() or fg.all():
        return np.zeros_like(c8)
    # every other row and column of a large page is plenty for the background's level
    step = 2 if contrast.size > _STATS_FULL else 1
    bg_vals = contrast[::step, ::step][~fg[::step, ::step]]
    if bg_vals.size == 0:
        bg_vals = contrast[~fg]
    bg_level, bg_std = float(median(bg_vals)), float(bg_vals.std())
    ink_level = float(percentile(contrast[fg], 90))
    sep = ink_level - bg_level
    if sep < _MIN_CONTRAST or sep < 6.0 * bg_std:
        log.debug("no ink: separation %.3f, background std %.3f", sep, bg_std)
        return np.zeros_like(c8)
    out = np.subtract(contrast, bg_level, out=contrast)  # the caller's buffer, done with
    out *= 255.0 / sep
    return np.clip(np.rint(out, out=out), 0, 255, out=out).astype(np.uint8)


def threshold_ink(ink: np.ndarray, threshold: int = INK_THRESHOLD) -> np.ndarray:
    """Binarise an ink image from :func:`ink_image` at one level.

    Args:
        ink: uint8 array (H, W), white ink on black.
        threshold: ink level counted as ink.

    Returns:
        uint8 array (H, W), ink = 255, background = 0.
    """
    return np.where(ink >= threshold, 255, 0).astype(np.uint8)


def ink_mask(ink: np.ndarray, low: int | None = None) -> np.ndarray:
    """Binarise an ink image, keeping faint marks.

    Ink is what reaches half the solid-ink level (``INK_THRESHOLD``): lower, the
    anti-aliased gaps between letters fill in and "rn" becomes "m".  But a mark
    drawn with thin strokes (a 13 px 。 or ， on screen) may not reach that level
    at all, or only in a pixel or two.  So each connected component at the faint
    level (:func:`faint_threshold`) that is mostly faint (solid ink is under
    ``FAINT_SHARE`` of it) and holds at most one piece of solid ink, or only
    specks of it (none over ``SPECK_SHARE`` of the component: the ring of a
    blurred 。), is added whole; no letter found at the solid level grows or
    joins another.

    Args:
        ink: uint8 array (H, W), white ink on black.
        low: the faint level, if the caller has it; default :func:`faint_threshold`.

    Returns:
        uint8 array (H, W), ink = 255, background = 0.
    """
    strong = (ink >= INK_THRESHOLD).astype(np.uint8)
    low = faint_threshold(ink) if low is None else low
    if low >= INK_THRESHOLD:
        return strong * 255
    # one int32 (H, W) labelling alive at a time: 35 MB each on a 300-dpi scan
    n_strong, strong_labels = cv2.connectedComponents(strong, connectivity=8)
    on = strong.view(bool)
    strong_on = strong_labels[on]
    del strong_labels
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (ink >= low).view(np.uint8), connectivity=8
    )
    labels = cast("npt.NDArray[np.int32]", labels)  # OpenCV's stubs allow any numeric Mat
    area = stats[:, cv2.CC_STAT_AREA]
    labels_on = labels[on]
    strong_area = np.bincount(labels_on, minlength=count)
    # each solid piece lies inside one faint component: count the pieces per component
    home = np.zeros(n_strong, np.int64)
    home[strong_on] = labels_on
    pieces = np.bincount(home[1:], minlength=count)
    largest = np.zeros(count, np.int64)
    np.maximum.at(largest, home[1:], np.bincount(strong_on, minlength=n_strong)[1:])
    specks = largest <= SPECK_SHARE * area
    faint = ((pieces <= 1) | specks) & (strong_area < FAINT_SHARE * area)
    faint[0] = False
    out = (faint.astype(np.uint8) * 255)[labels]  # np.take would copy labels as int64
    del labels
    out[on] = 255
    return out


def faint_threshold(ink: np.ndarray) -> int:
    """The lowest ink level that is not background noise on this image.

    ``LOW_THRESHOLD`` on a clean image; raised by the background's spread: the
    background is most of any page, so the 75th percentile of the whole image
    measures its noise (0 on a clean image).

    Args:
        ink: uint8 array (H, W) from :func:`ink_image`.

    Returns:
        A level between ``LOW_THRESHOLD`` and ``INK_THRESHOLD``.
    """
    noise = float(percentile(_downscale(ink), 75))
    return int(np.clip(LOW_THRESHOLD + NOISE_FACTOR * noise, LOW_THRESHOLD, INK_THRESHOLD))


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink mask of a page, robust to polarity, uneven lighting and noise.

    Args:
        gray: uint8 array (H, W) (anything :func:`to_gray` accepts).

    Returns:
        uint8 array (H, W), ink = 255 on a 0 background; all zeros when there is no ink.
    """
    return ink_mask(ink_image(gray))


#: A line's paper this inked or more (95th percentile, away from its glyphs) is noise
#: that its crops leave out; see :func:`lift_paper`.
PAPER_NOISE = 20


def lift_paper(ink: np.ndarray, mask: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> None:
    """Take the paper's noise out of the ink of each line box, in place.

    The ink of a photographed page's paper is not 0: noise, and a code block's shade,
    leave a grainy floor around every glyph, and the recogniser, which saw clean
    crops, read the grain as strokes. Per box, the 95th percentile of the ink more
    than 2 px from the mask is the floor; above :data:`PAPER_NOISE`, the box's ink is
    mapped so that the floor becomes 0 and full ink stays 255.

    Args:
        ink: uint8 (H, W), modified in place.
        mask: bool or uint8 (H, W), the glyphs' pixels.
        boxes: (x0, y0, x1, y1) line boxes.
    """
    near = cv2.dilate((np.asarray(mask) > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    for x0, y0, x1, y1 in boxes:
        box = ink[y0:y1, x0:x1]
        paper = box[~near[y0:y1, x0:x1]]
        if paper.size < 50:
            continue
        floor = float(percentile(paper, 95))
        if floor < PAPER_NOISE:
            continue
        lifted = (box.astype(np.float32) - floor) * (255.0 / (255.0 - floor))
        ink[y0:y1, x0:x1] = np.clip(lifted, 0, 255).astype(np.uint8)
