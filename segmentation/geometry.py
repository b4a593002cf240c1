"""Small generic helpers on numbers and boxes that every stage uses: medians and
percentiles without ``numpy.ma``, runs of a flag, the box around boxes, boxes mapped by a
homography.

A box is ``(x0, y0, x1, y1)``, exclusive ends, in Python ints (:data:`Box`).
"""

from __future__ import annotations

import numpy as np

Box = tuple[int, int, int, int]


def union(*boxes: Box) -> Box:
    """Smallest box containing all ``boxes`` (tuples or int rows), in Python ints.

    >>> union((0, 5, 4, 9), (2, 1, 6, 3))
    (0, 1, 6, 9)
    """
    return (
        int(min(b[0] for b in boxes)),
        int(min(b[1] for b in boxes)),
        int(max(b[2] for b in boxes)),
        int(max(b[3] for b in boxes)),
    )


def runs(flags: np.ndarray | np.bool_) -> list[tuple[int, int]]:  # bool_: stubs of .any()
    """(start, end) of the runs of True in a 1-D bool array (N,), exclusive ends.

    >>> runs(np.array([0, 1, 1, 0, 1], bool))
    [(1, 3), (4, 5)]
    """
    padded = np.concatenate([[False], flags.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


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


def map_boxes(boxes: np.ndarray, hom: np.ndarray) -> np.ndarray:
    """Boxes mapped by a homography, as the boxes around their mapped corners.

    Args:
        boxes: float (N, 4) x0, y0, x1, y1.
        hom: float (3, 3).

    Returns:
        float64 (N, 4).

    >>> turn = np.array([[0.0, -1, 10], [1, 0, 0], [0, 0, 1]])  # 90 degrees
    >>> map_boxes(np.array([[1.0, 2, 4, 3]]), turn).tolist()
    [[7.0, 1.0, 8.0, 4.0]]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(b):
        return b
    xs, ys = b[:, [0, 2, 0, 2]], b[:, [1, 1, 3, 3]]
    pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ np.asarray(hom, np.float64).T
    px, py = pts[..., 0] / pts[..., 2], pts[..., 1] / pts[..., 2]
    return np.stack([px.min(axis=1), py.min(axis=1), px.max(axis=1), py.max(axis=1)], axis=1)


def pixel_boxes(boxes: np.ndarray, width: int, height: int) -> list[Box]:
    """The integer boxes holding float boxes, clipped to an image of this size.

    Args:
        boxes: float (N, 4) x0, y0, x1, y1 (exclusive ends: corners at pixel edges).
        width, height: the image's size.

    Returns:
        N boxes, x0 <= x1, y0 <= y1, in Python ints.

    >>> pixel_boxes(np.array([[6.5, -2, 8.0, 4.2]]), 20, 20)
    [(6, 0, 8, 5)]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    lo = np.clip(np.floor(b[:, :2] + 1e-6), 0, [width, height]).astype(int)
    hi = np.maximum(np.clip(np.ceil(b[:, 2:] - 1e-6), 0, [width, height]).astype(int), lo)
    return [(int(a), int(b), int(c), int(d)) for (a, b), (c, d) in zip(lo, hi)]
