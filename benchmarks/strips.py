"""Strips of Latin words cut from real pages as the reader cuts them, with their truth.

The word reader (:mod:`ocr_pipeline.latin`) reads a run of Latin characters whole, from
the ink of its line; it is trained on such runs taken from the development split of
the real-document corpus. For each image with a text layer, the page is segmented as
the reader does; the truth characters are mapped onto the straightened page
(:attr:`segmentation.segment.Segmentation.to_input` inverted); each run of ASCII
characters that the truth text writes without a space between them, whose centres all
fall in one of the segmenter's lines, is one example: the line's ink between the run's
left and right edges (with a margin on each side, for the trainer to crop at random),
scaled to :data:`recognizer.words.HEIGHT` pixels.

    python -m benchmarks.strips runs/docs runs/docs-webdev -o runs/strips-dev.npz
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from benchmarks import corpus
from ocr_pipeline.latin import strip_of
from recognizer.words import BUCKETS, HEIGHT
from segmentation.geometry import map_boxes

#: Margin kept on each side of a run, in line heights.
MARGIN = 0.35

_ASCII_RUN = re.compile(r"[!-~]+")


def runs_of(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of printable ASCII in ``text``, in the positions of the
    text with its white space removed (the text layer's characters).

    >>> runs_of("ab 中c,d  e")
    [(0, 2), (3, 6), (6, 7)]
    """
    out, skipped, last = [], 0, 0
    for m in _ASCII_RUN.finditer(text):
        skipped += len(re.findall(r"\s", text[last : m.start()]))
        last = m.start()
        out.append((m.start() - skipped, m.end() - skipped))
    return out


def harvest_one(e: corpus.Entry) -> list[tuple[np.ndarray, str, int, int]]:
    """The examples of one image: (strip, label, left, right) with the run's edges in
    strip pixels, inside the margins."""
    from segmentation import segment_page

    gray = cv2.imread(str(e.image), cv2.IMREAD_GRAYSCALE)
    if gray is None or not e.chars or e.hom is None:
        return []
    truth = json.loads(Path(e.chars).read_text(encoding="utf-8"))
    text = Path(e.truth).read_text(encoding="utf-8")
    chars = "".join(t[0] for t in truth)
    if chars != re.sub(r"\s", "", text):
        return []  # the text and its boxes disagree: no labels to trust
    seg = segment_page(gray)
    to_page = np.linalg.inv(seg.to_input) @ np.asarray(e.hom, np.float64)
    boxes = map_boxes(np.array([t[1:] for t in truth], np.float64), to_page)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    out = []
    for s, t in runs_of(text):
        b = boxes[s:t]
        found = [
            i for i, line in enumerate(seg.lines)
            if all(line.box[1] <= y < line.box[3] for y in cy[s:t])
            and line.box[0] - 2 <= cx[s] and cx[t - 1] < line.box[2] + 2
        ]  # fmt: skip
        if len(found) != 1:
            continue
        top, bottom = seg.lines[found[0]].box[1], seg.lines[found[0]].box[3]
        height = bottom - top
        x0, x1 = float(b[:, 0].min()), float(b[:, 2].max())
        m = MARGIN * height
        scale = HEIGHT / height
        if (x1 - x0 + 2 * m) * scale > BUCKETS[-1]:
            continue
        lo, hi = int(np.floor(x0 - m)), int(np.ceil(x1 + m))
        strip = strip_of(seg.ink, lo, hi, top, bottom)
        left = int(round((x0 - lo) * strip.shape[1] / (hi - lo)))
        right = int(round((x1 - lo) * strip.shape[1] / (hi - lo)))
        out.append((strip, chars[s:t], left, right))
    return out


def harvest(entries: Iterable[corpus.Entry], workers: int = 2, progress=None) -> dict:
    """All examples of ``entries``, as arrays for an ``.npz``: ``strips`` (object array of
    uint8 (HEIGHT, W)), ``labels``, ``left``, ``right``, ``variant``, ``doc``."""
    entries = [e for e in entries if e.chars and e.hom is not None]
    strips, labels, left, right, variant, doc = [], [], [], [], [], []
    with ProcessPoolExecutor(workers) as pool:
        for e, rows in zip(entries, pool.map(harvest_one, entries)):
            if progress is not None:
                progress()
            for strip, label, a, b in rows:
                strips.append(strip)
                labels.append(label)
                left.append(a)
                right.append(b)
                variant.append(e.variant)
                doc.append(f"{e.source}/{e.doc}")
    arr = np.empty(len(strips), object)
    arr[:] = strips
    return {
        "strips": arr, "labels": np.array(labels), "left": np.array(left, np.int32),
        "right": np.array(right, np.int32), "variant": np.array(variant), "doc": np.array(doc),
    }  # fmt: skip


def main() -> None:
    import typer
    from rich.progress import track

    def run(
        folders: list[Path] = typer.Argument(..., help="Corpus folders (docs build)."),
        out: Path = typer.Option(..., "--out", "-o", help="The .npz to write."),
        split: str = typer.Option("dev", help="Only dev: the test split is never trained on."),
        workers: int = typer.Option(2, min=1),
    ) -> None:
        """Cut the Latin runs of a corpus's pages, as the word reader will see them."""
        if split != "dev":
            raise typer.BadParameter("strips are for training: use dev")
        entries = [e for f in folders for e in corpus.read_manifest(f) if e.split == split]
        for e in entries:
            corpus.check_not_reserved(e.image)
        todo = [e for e in entries if e.chars and e.hom is not None]
        it = iter(track(range(len(todo)), description="cutting strips"))
        data = harvest(todo, workers, progress=lambda: next(it, None))
        np.savez_compressed(out, **data)
        typer.echo(f"{len(data['labels'])} strips from {len(todo)} images -> {out}")

    typer.run(run)


if __name__ == "__main__":
    main()
