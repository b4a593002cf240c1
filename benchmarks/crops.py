"""The crops pageocr's own segmenter cuts from real pages, aligned to the truth.

Every corpus image made from a PDF page carries its text layer's character boxes (in
points) and the homography that puts them on the image. Segmenting the image as the
reader does and mapping each cut back to the input image
(:attr:`segmentation.segment.Segmentation.to_input`), a cut is:

- ``one``: holds the centre of exactly one truth character (its label);
- ``merged``: holds the centres of several (a segmentation error: two or more
  characters read as one);
- ``none``: holds no truth character's centre (a picture's piece, a rule, noise);

and a truth character whose centre no cut holds is ``missed``; one whose box is
shared by several cuts' centres is ``split``.

A ``none`` cut is not always a cut of nothing: a hanzi cut into strokes leaves pieces
that hold no truth centre but lie inside its box. :attr:`Alignment.cover` says how
much of each cut the truth boxes cover; only ``none`` cuts covered at most
:data:`REJECT_COVER` are kept as examples of the recogniser's reject class
(:data:`recognizer.charset.REJECT`).

Two uses: a diagnosis that separates segmentation errors from recognition errors (the
recogniser's top-1 on ``one`` cuts), and training data cut as the reader cuts (issue
18, item 3), written as an ``.npz`` of crops and labels.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from benchmarks import corpus
from recognizer.charset import REJECT
from segmentation.geometry import map_boxes

KINDS = ("one", "merged", "none")

#: A ``none`` cut is a reject example only if truth character boxes cover at most this
#: share of its area (a stroke of a split hanzi lies inside the hanzi's box).
REJECT_COVER = 0.1


@dataclass
class Alignment:
    """The cuts of one image against its truth characters.

    ``labels[i]`` is cut ``i``'s truth character where ``kinds[i] == "one"``, else "";
    ``cover[i]`` the share of cut ``i``'s area that truth boxes cover (their overlaps
    with it summed, at most 1).
    """

    kinds: list[str]
    labels: list[str]
    missed: list[str]
    split: int
    truth: int
    cover: list[float] = field(default_factory=list)


def coverage(cuts: np.ndarray, truth_boxes: np.ndarray) -> np.ndarray:
    """Share of each cut's area that the truth boxes cover.

    Args:
        cuts: float (N, 4) x0, y0, x1, y1.
        truth_boxes: float (M, 4), same coordinates.

    Returns:
        float64 (N,) in 0..1: the overlaps with every truth box summed, clipped at 1
        (truth boxes of one text layer hardly overlap each other).
    """
    c = np.asarray(cuts, np.float64).reshape(-1, 1, 4)
    t = np.asarray(truth_boxes, np.float64).reshape(1, -1, 4)
    w = np.clip(np.minimum(c[..., 2], t[..., 2]) - np.maximum(c[..., 0], t[..., 0]), 0, None)
    h = np.clip(np.minimum(c[..., 3], t[..., 3]) - np.maximum(c[..., 1], t[..., 1]), 0, None)
    area = np.maximum((c[:, 0, 2] - c[:, 0, 0]) * (c[:, 0, 3] - c[:, 0, 1]), 1e-9)
    return np.minimum((w * h).sum(axis=1) / area, 1.0)


def align(cuts: np.ndarray, truth_boxes: np.ndarray, truth_chars: Sequence[str]) -> Alignment:
    """Align cut boxes with truth character boxes by their centres.

    Args:
        cuts: float (N, 4) the segmenter's character boxes, in input-image pixels.
        truth_boxes: float (M, 4) the truth characters' boxes, same coordinates.
        truth_chars: the M truth characters.
    """
    cuts = np.asarray(cuts, np.float64).reshape(-1, 4)
    tb = np.asarray(truth_boxes, np.float64).reshape(-1, 4)
    tc = np.stack([(tb[:, 0] + tb[:, 2]) / 2, (tb[:, 1] + tb[:, 3]) / 2], axis=1)
    cc = np.stack([(cuts[:, 0] + cuts[:, 2]) / 2, (cuts[:, 1] + cuts[:, 3]) / 2], axis=1)
    # (N, M): truth centre j inside cut i
    inside = (
        (tc[None, :, 0] >= cuts[:, None, 0])
        & (tc[None, :, 0] < cuts[:, None, 2])
        & (tc[None, :, 1] >= cuts[:, None, 1])
        & (tc[None, :, 1] < cuts[:, None, 3])
    )
    # (N, M): cut centre i inside truth box j
    holds = (
        (cc[:, None, 0] >= tb[None, :, 0])
        & (cc[:, None, 0] < tb[None, :, 2])
        & (cc[:, None, 1] >= tb[None, :, 1])
        & (cc[:, None, 1] < tb[None, :, 3])
    )
    kinds, labels = [], []
    for row in inside:
        n = int(row.sum())
        if n == 1:
            kinds.append("one")
            labels.append(truth_chars[int(np.flatnonzero(row)[0])])
        else:
            kinds.append("merged" if n > 1 else "none")
            labels.append("")
    covered = inside.any(axis=0)
    missed = [truth_chars[int(j)] for j in np.flatnonzero(~covered)]
    split = int((holds.sum(axis=0) > 1).sum())
    cover = coverage(cuts, tb).tolist()
    return Alignment(kinds, labels, missed, split, len(tb), cover)


@dataclass
class Harvest:
    """Crops and labels of many images, and counts for the diagnosis."""

    crops: list[np.ndarray] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    #: per crop: its image's document (``source/doc``)
    docs: list[str] = field(default_factory=list)
    #: ``none`` cuts kept as reject examples, and those left out (inside truth boxes)
    rejects: Counter = field(default_factory=Counter)
    pieces: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    missed: Counter = field(default_factory=Counter)
    split: Counter = field(default_factory=Counter)
    truth: Counter = field(default_factory=Counter)
    images: int = 0


def harvest(
    entries: Iterable[corpus.Entry], size: int, progress=None, reject_docs: set[str] | None = None
) -> Harvest:
    """Segment each image with pageocr's segmenter and keep its aligned crops.

    Images without character boxes (screenshots) are skipped.

    Args:
        entries: corpus images.
        size: crop side.
        progress: called once per image.
        reject_docs: documents (``source/doc``) whose ``none`` cuts covered at most
            :data:`REJECT_COVER` by truth boxes are kept too, labelled
            :data:`recognizer.charset.REJECT`; None: no document's.
    """
    from segmentation import segment_page
    from segmentation.segment import crops as cut_crops

    out = Harvest()
    for e in entries:
        if progress is not None:
            progress()
        if not e.chars or e.hom is None:
            continue
        gray = cv2.imread(str(e.image), cv2.IMREAD_GRAYSCALE)
        if gray is None:
            continue
        truth = json.loads(Path(e.chars).read_text(encoding="utf-8"))
        tchars = [t[0] for t in truth]
        tboxes = map_boxes(np.array([t[1:] for t in truth], np.float64), np.array(e.hom))
        seg = segment_page(gray)
        boxes = [c.box for line in seg.chars for c in line]
        cuts = map_boxes(np.array(boxes, np.float64), seg.to_input)
        a = align(cuts, tboxes, tchars)
        images = cut_crops(seg, size=size)
        doc = f"{e.source}/{e.doc}"
        rejecting = reject_docs is not None and doc in reject_docs
        for crop, kind, label, cover in zip(images, a.kinds, a.labels, a.cover, strict=True):
            out.kinds[(e.variant, kind)] += 1
            if kind == "none" and rejecting:
                keep = cover <= REJECT_COVER
                (out.rejects if keep else out.pieces)[e.variant] += 1
                label = REJECT if keep else ""
            if label:
                out.crops.append(crop)
                out.labels.append(label)
                out.variants.append(e.variant)
                out.docs.append(doc)
        out.missed[e.variant] += len(a.missed)
        out.split[e.variant] += a.split
        out.truth[e.variant] += a.truth
        out.images += 1
    return out


def halves(docs: Iterable[str]) -> tuple[list[str], list[str]]:
    """The documents split in two: every other one in sorted order (``source/doc``).

    Reject examples come from the first half, whose cuts then train the model; the
    second half measures it.

    >>> halves(["b/x", "a/y", "a/x"])
    (['a/x', 'b/x'], ['a/y'])
    """
    s = sorted(set(docs))
    return s[0::2], s[1::2]


def script_of(ch: str) -> str:
    """hanzi, latin (ASCII letters and digits) or punct."""
    if corpus.is_hanzi(ch):
        return "hanzi"
    if ch.isascii() and ch.isalnum():
        return "latin"
    return "punct"


def diagnosis(h: Harvest, predicted: Sequence[str], known: set[str]) -> list[list[str]]:
    """Rows per variant: truth characters; share cut one-to-one, merged, missed, split;
    cuts of nothing; the recogniser's top-1 on one-to-one cuts whose label it knows, per
    script."""
    rows = []
    for v in sorted(h.truth):
        n = h.truth[v]
        idx = [
            i
            for i, x in enumerate(h.variants)
            if x == v and h.labels[i] in known and h.labels[i] != REJECT
        ]
        acc = {}
        for s in ("hanzi", "latin", "punct"):
            sel = [i for i in idx if script_of(h.labels[i]) == s]
            ok = sum(predicted[i] == h.labels[i] for i in sel)
            acc[s] = f"{ok / len(sel):.2%} ({len(sel)})" if sel else "-"
        rows.append([
            v, str(n),
            f"{h.kinds[(v, 'one')] / n:.1%}", f"{h.kinds[(v, 'merged')] / n:.1%}",
            f"{h.missed[v] / n:.1%}", f"{h.split[v] / n:.1%}", str(h.kinds[(v, "none")]),
            f"{h.rejects[v]} / {h.pieces[v]}", acc["hanzi"], acc["latin"], acc["punct"],
        ])  # fmt: skip
    return rows


HEADER = ["variant", "truth chars", "cut 1:1", "merged", "missed", "split", "cuts of nothing",
          "rejects kept / in boxes", "top-1 hanzi (n)", "top-1 latin (n)",
          "top-1 punct (n)"]  # fmt: skip
