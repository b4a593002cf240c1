"""Mask cleaning: drop isolated specks, join vertically broken strokes.

Specks are judged against the text size (the area-weighted median height of the
connected components).  Small marks that sit near text (the dots of i, j and
the punctuation 、。.,:;) are kept; small marks far from any text are noise.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np

log = logging.getLogger(__name__)

#: Components whose larger side is below this fraction of the text height are "small".
SMALL_FRACTION = 0.25
#: Components with an area below (this fraction of the text height) squared are always noise.
NOISE_FRACTION = 0.07


def component_stats(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of a mask (8-connectivity).

    Args:
        mask: uint8 or bool array (H, W), ink non-zero.

    Returns:
        labels: int32 array (H, W), 0 = background, 1..N components.
        stats: int32 array (N + 1, 5) as x, y, width, height, area (row 0 = background).
    """
    m = (np.asarray(mask) > 0).astype(np.uint8)
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


def _weighted_median_height(stats: np.ndarray, image_height: int) -> float:
    """Area-weighted median of the heights in ``stats`` (int32 (N, 5)).

    Components taller than 30% of a page (borders, rules, figures) are ignored
    when there are others.
    """
    tall = stats[:, cv2.CC_STAT_HEIGHT] > max(0.3 * image_height, 100)
    if not tall.all():
        stats = stats[~tall]
    return weighted_median(stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_AREA])


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Weighted median.

    Args:
        values: numeric array (N,).
        weights: non-negative array (N,).

    Returns:
        The value at which the cumulative weight reaches half; 0.0 when empty.
    """
    if len(values) == 0:
        return 0.0
    order = np.argsort(values)
    cum = np.cumsum(np.asarray(weights, np.float64)[order])
    idx = int(np.searchsorted(cum, cum[-1] / 2.0))
    return float(np.asarray(values)[order][min(idx, len(order) - 1)])


def median(values) -> np.floating:
    """``np.median`` of values without NaN (any shape; NaN for none), computed as it
    does (a partition, then the mean of the middle one or two) but without its NaN
    check for floats, whose import of ``numpy.ma`` costs ~15 ms of every run."""
    a = np.asarray(values).ravel()
    k = a.size // 2
    if a.size == 0:
        return np.float64("nan")
    if a.size % 2:
        return np.mean(np.partition(a, k)[k : k + 1])
    return np.mean(np.partition(a, [k - 1, k])[k - 1 : k + 1])


def percentile(values, q: float) -> np.floating:
    """``np.percentile(values, q)`` (linear interpolation, the same value and dtype) of
    one or more values without NaN, without the ``numpy.ma`` import (see
    :func:`median`)."""
    a = np.asarray(values).ravel()
    idx = (a.size - 1) * (q / 100)
    lo = int(np.floor(idx))
    hi = min(lo + 1, a.size - 1)
    part = np.partition(a, [lo, hi]) if hi != lo else np.partition(a, lo)
    below, above = part[lo], part[hi]
    t = idx - lo
    diff = above - below
    return above - diff * (1 - t) if t >= 0.5 else below + diff * t


def clean(mask: np.ndarray) -> np.ndarray:
    """Remove specks and join small vertical breaks in strokes.

    Args:
        mask: uint8 array (H, W), ink = 255 (any non-zero) on 0.

    Returns:
        uint8 array (H, W), ink = 255 on 0.
    """
    m = (np.asarray(mask) > 0).astype(np.uint8)
    labels, stats = component_stats(m)
    comps = stats[1:]
    if len(comps) == 0:
        return m * 255
    text_h = _weighted_median_height(comps, m.shape[0])
    keep = _components_to_keep(labels, comps, text_h)
    lut = np.concatenate([np.zeros(1, np.uint8), keep.astype(np.uint8)])
    out = lut[labels]
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
