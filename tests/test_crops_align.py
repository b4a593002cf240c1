"""benchmarks.crops: the segmenter's cuts aligned with a text layer's character boxes."""

from __future__ import annotations

import json

import numpy as np
from test_segmentation import render

from benchmarks import corpus
from benchmarks.crops import REJECT_COVER, align, coverage, halves, harvest
from recognizer.charset import REJECT
from segmentation.geometry import map_boxes


def test_align_tells_one_to_one_merged_missed_and_nothing():
    truth = np.array([[0, 0, 10, 10], [12, 0, 22, 10], [24, 0, 34, 10], [40, 0, 50, 10]], float)
    chars = list("中文字识")
    cuts = np.array([
        [0, 0, 10, 10],     # 中 alone
        [11, 0, 35, 10],    # 文 and 字 as one cut
        [60, 0, 70, 10],    # nothing there
    ], float)  # fmt: skip
    a = align(cuts, truth, chars)
    assert a.kinds == ["one", "merged", "none"]
    assert a.labels == ["中", "", ""]
    assert a.missed == ["识"] and a.truth == 4 and a.split == 0
    # 识 cut in two: both halves' centres on it
    b = align(np.array([[40, 0, 44, 10], [45, 0, 50, 10]], float), truth, chars)
    assert b.split == 1 and b.kinds == ["none", "one"]


def test_map_boxes_maps_boxes_through_a_homography():
    hom = np.array([[2.0, 0, 5], [0, 2.0, 1], [0, 0, 1]])
    assert map_boxes(np.array([[1, 2, 3, 4]], float), hom).tolist() == [[7, 5, 11, 9]]


def _entry(tmp_path, page, variant: str) -> corpus.Entry:
    """A corpus entry of a rendered page, its text layer the characters drawn."""
    import cv2

    cv2.imwrite(str(tmp_path / "p.png"), page.image)
    chars = [[ch, *map(float, box)] for line in page.chars for ch, box in line]
    (tmp_path / "p.chars.json").write_text(json.dumps(chars, ensure_ascii=False))
    return corpus.Entry("x/p", "x", "p", 1, variant, "dev", str(tmp_path / "p.png"), "",
                        str(tmp_path / "p.chars.json"), 150.0, np.eye(3).tolist())  # fmt: skip


def test_harvest_labels_the_crops_of_a_rendered_page(tmp_path):
    page = render([(30, 30, "中文字识别的是了人大国", 28), (30, 80, "我们这个在有上不为和", 28)],
                  (130, 400))  # fmt: skip
    h = harvest([_entry(tmp_path, page, "pdf150")], 32)
    assert h.images == 1 and h.truth["pdf150"] == 21
    assert h.kinds[("pdf150", "one")] >= 19  # a clean page is cut one to one
    assert len(h.crops) == len(h.labels) and h.crops[0].shape == (32, 32)
    assert set(h.labels) <= set("中文字识别的是了人大国我们这个在有上不为和")
    # a crop is the character it is labelled with: its ink sits where the page's is
    assert all(c.max() > 128 for c in h.crops)


def test_coverage_is_the_share_of_a_cut_inside_truth_boxes():
    truth = np.array([[0, 0, 10, 10], [10, 0, 20, 10]], float)
    cuts = np.array([
        [2, 2, 6, 8],       # a stroke inside 中's box
        [5, 0, 15, 10],     # half in each of two boxes
        [30, 0, 40, 10],    # a rule beside the text
        [15, 5, 25, 15],    # a quarter in a box
    ], float)  # fmt: skip
    assert coverage(cuts, truth).tolist() == [1.0, 1.0, 0.0, 0.25]
    assert align(cuts, truth, list("中文")).cover == [1.0, 1.0, 0.0, 0.25]


def test_halves_alternate_sorted_documents():
    assert halves(["b/1", "a/2", "a/1", "b/1"]) == (["a/1", "b/1"], ["a/2"])


def test_harvest_keeps_cuts_of_nothing_outside_truth_boxes_as_rejects(tmp_path):
    """Dots drawn under the text hold no truth character: reject examples."""
    import cv2

    page = render([(30, 30, "中文字识别的是了人大国", 28)], (120, 420))
    for k in range(5):  # a picture's dots, no character
        cv2.circle(page.image, (40 + 40 * k, 100), 6, 0, -1)
    e = _entry(tmp_path, page, "scan")
    plain = harvest([e], 32)
    assert REJECT not in plain.labels  # no reject examples unless asked for
    h = harvest([e], 32, reject_docs={"x/p"})
    assert h.rejects["scan"] == 5 and h.labels.count(REJECT) == 5
    assert len(h.labels) == len(plain.labels) + h.rejects["scan"] == len(h.docs)
    assert set(h.labels) - {REJECT} <= set("中文字识别的是了人大国")
    assert 0 < REJECT_COVER < 0.5
