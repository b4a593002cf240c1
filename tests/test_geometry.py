"""segmentation.geometry and segmentation.shapes: small hand-made cases."""

from __future__ import annotations

import numpy as np
import pytest

from segmentation.geometry import median, percentile, runs, union, weighted_median
from segmentation.shapes import joined_shapes, shape_count, stats_box


@pytest.mark.parametrize(
    "flags, want",
    [
        ([], []),
        ([0, 0], []),
        ([1, 1, 1], [(0, 3)]),
        ([0, 1, 1, 0, 1], [(1, 3), (4, 5)]),
        ([1, 0, 1], [(0, 1), (2, 3)]),
    ],
)
def test_runs(flags, want):
    assert runs(np.array(flags, bool)) == want


def test_union_gives_python_ints():
    got = union(np.array([3, 4, 9, 8], np.int32), (1, 6, 5, 12))
    assert got == (1, 4, 9, 12)
    assert all(type(v) is int for v in got)


@pytest.mark.parametrize("values", [[3], [5, 1], [4, 1, 9], [2.5, 7.0, 1.0, 4.0], [[1, 8], [3, 2]]])
def test_median_and_percentile_are_numpys(values):
    assert median(values) == np.median(values)
    for q in (0, 10, 50, 75, 100):
        assert percentile(values, q) == np.percentile(values, q)


def test_median_of_nothing_is_nan():
    assert np.isnan(median([]))


def test_weighted_median_follows_the_weights():
    assert weighted_median(np.array([1, 2, 3]), np.array([1, 1, 10])) == 3
    assert weighted_median(np.array([1, 2, 3]), np.array([10, 1, 1])) == 1
    assert weighted_median(np.array([]), np.array([])) == 0.0


def test_stats_box_moves_the_box():
    stats = np.array([[2, 3, 4, 5, 20], [8, 1, 2, 2, 4]], np.int32)  # x, y, w, h, area
    assert stats_box(stats) == (2, 1, 10, 8)
    assert stats_box(stats[:1], 10, 100) == (12, 103, 16, 108)


def _strokes(bridge: int) -> tuple[np.ndarray, np.ndarray]:
    """Ink (20, 40) with two solid strokes at x 5-8 and 12-15, joined at ``bridge``
    (0: not at all), and a speck of 2 pixels at x 30; the mask holds the solid ink."""
    ink = np.zeros((20, 40), np.uint8)
    ink[2:18, 5:8] = 255
    ink[2:18, 12:15] = 255
    ink[9:11, 8:12] = bridge
    ink[5, 30:32] = 255
    return ink, (ink >= 128).astype(np.uint8) * 255


@pytest.mark.parametrize("bridge, level, want", [(90, 80, 1), (90, 128, 2), (0, 80, 2)])
def test_shape_count_joins_strokes_at_the_level(bridge, level, want):
    ink, _ = _strokes(bridge)
    assert shape_count(ink, (0, 0, 40, 20), level) == want  # the speck is not counted
    assert shape_count(ink, (0, 0, 40, 20), level, min_area=1) == want + 1


def test_joined_shapes_per_span():
    ink, mask = _strokes(90)
    window = (0, 0, 40, 20)
    got = joined_shapes(ink, mask, 80, window, [(5, 8), (12, 15), (20, 25), (28, 33)])
    # each stroke's span finds the one shape both make; a blank span finds none
    assert got == [(1, (5, 2, 15, 18)), (1, (5, 2, 15, 18)), None, (1, (30, 5, 32, 6))]
    apart = joined_shapes(ink, mask, 200, window, [(4, 16)])
    assert apart == [(2, (5, 2, 15, 18))]
    # a window cut through the shapes: page coordinates still
    assert joined_shapes(ink, mask, 80, (6, 4, 40, 16), [(6, 8)]) == [(1, (6, 4, 15, 16))]
