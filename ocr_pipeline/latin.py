"""Latin runs read again whole, by the word reader (issue 18).

A run of Latin characters that the decoder read from single cuts (consecutive
printable-ASCII characters with no word gap between them) is cut from the line's ink as
one strip and read by the word reader (:mod:`recognizer.words`, a CTC network trained
on such strips cut from real pages), which needs no cut between letters: touching,
blurred serif letters that the segmenter cut wrongly ("the" as one blob, "Policy" as
"Pc ol ic y") are read from their ink. Its reading replaces the decoder's where they
differ and the word reader is surer (:func:`better`); the new characters divide the
run's columns between them at the steps where CTC put them.

>>> reader = WordReader()                                  # doctest: +SKIP
>>> lines = reread(lines, seg.ink, reader)                 # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from ocr_pipeline.corrections import SAME_SHAPE_CASE
from ocr_pipeline.results import CharResult
from ocr_pipeline.rules import DecodedLine
from recognizer.words import ALPHABET, BUCKETS, HEIGHT, STRIDE, read_strips
from segmentation.binarize import INK_THRESHOLD
from segmentation.characters import word_gaps

#: Beside, not among, the crop recognisers of recognizer/models (no ``--model words``).
MODEL = Path(__file__).resolve().parent.parent / "recognizer" / "models" / "words" / "words.tflite"
#: Columns of the line kept on each side of a run, in line heights.
PAD = 0.06


class WordReader:
    """The word reader's LiteRT model: strips in, per strip (text, per-character
    probability, CTC step of each character) out.

    Raises:
        recognizer.runtime.ModelError: a missing or corrupt model.
    """

    def __init__(self, path: Path = MODEL, threads: int | None = None) -> None:
        from recognizer.runtime import ModelError, _LiteRT, file_sha256

        side = path.with_suffix(".json")
        try:
            meta = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot read the word reader's sidecar {side}: {err}") from None
        if meta.get("sha256") and file_sha256(path) != meta["sha256"]:
            raise ModelError(f"{path} does not match its sidecar's sha256")
        if meta.get("alphabet") != ALPHABET or meta.get("height") != HEIGHT:
            raise ModelError(f"{side} is not a word reader of this version's alphabet")
        self.model = _LiteRT(path, threads)

    def __call__(self, strips: Sequence[np.ndarray]) -> list[tuple[str, list[float], list[int]]]:
        return read_strips(self.model, strips)


def shipped(threads: int | None = None) -> WordReader | None:
    """The word reader that ships with pageocr, or None if none does: a new one each
    call (a LiteRT interpreter is one reader's own, never shared between readers)."""
    return WordReader(MODEL, threads) if MODEL.exists() else None


def latin_runs(chars: Sequence[CharResult], line_height: float) -> list[tuple[int, int]]:
    """(start, end) of each run of printable-ASCII characters without a word gap.

    >>> c = [CharResult(ch, (10 * i, 0, 10 * i + 8, 10), 1.0, []) for i, ch in enumerate("ab中c")]
    >>> latin_runs(c, 10)
    [(0, 2), (3, 4)]
    """
    if not chars:
        return []
    gaps = list(word_gaps(np.array([c.box for c in chars]), line_height)) + [True]
    out, start = [], None
    for n, c in enumerate(chars):
        latin = len(c.char) == 1 and "!" <= c.char <= "~"
        if latin and start is None:
            start = n
        if start is not None and (not latin or gaps[n]):
            out.append((start, n + 1 if latin else n))
            start = None
    return out


def strip_of(ink: np.ndarray, x0: int, x1: int, top: int, bottom: int) -> np.ndarray:
    """Columns ``x0:x1`` of rows ``top:bottom`` of ``ink``, scaled to :data:`HEIGHT` rows
    (black beyond the image): uint8 (HEIGHT, W)."""
    h, w = ink.shape
    out = np.zeros((max(bottom - top, 1), max(x1 - x0, 1)), np.uint8)
    ga, gb, gt, gbm = max(x0, 0), min(x1, w), max(top, 0), min(bottom, h)
    if gb > ga and gbm > gt:
        out[gt - top : gbm - top, ga - x0 : gb - x0] = ink[gt:gbm, ga:gb]
    scale = HEIGHT / out.shape[0]
    width = min(max(int(round(out.shape[1] * scale)), 1), BUCKETS[-1])
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(out, (width, HEIGHT), interpolation=interp)


def reread(lines: Sequence[DecodedLine], ink: np.ndarray, reader: WordReader) -> list[DecodedLine]:
    """The lines with their Latin runs read by ``reader`` (see the module docstring).

    Args:
        lines: a page's lines as decoded.
        ink: uint8 (H, W) the page's ink, white on black, the lines' frame.
        reader: the word reader.
    """
    jobs = []  # (line, start, end, x0, x1)
    strips = []
    for li, line in enumerate(lines):
        top, bottom = line.box[1], line.box[3]
        height = bottom - top
        pad = int(round(PAD * height))
        for s, e in latin_runs(line.chars, height):
            x0 = min(c.box[0] for c in line.chars[s:e]) - pad
            x1 = max(c.box[2] for c in line.chars[s:e]) + pad
            jobs.append((li, s, e, x0, x1))
            strips.append(strip_of(ink, x0, x1, top, bottom))
    if not strips:
        return list(lines)
    reads = reader(strips)
    edits: dict[int, list] = {}
    for (li, s, e, x0, x1), strip, (text, conf, where) in zip(jobs, strips, reads, strict=True):
        if not better(lines[li].chars[s:e], text, conf):
            continue
        new = _chars(lines[li], s, e, x0, x1, ink, strip, text, conf, where)
        edits.setdefault(li, []).append((s, e, new))
    out = list(lines)
    for li, todo in edits.items():
        line = lines[li]
        chars, pieces = list(line.chars), list(line.pieces)
        for s, e, new in sorted(todo, reverse=True):
            chars[s:e] = new
            pieces[s:e] = _share(np.concatenate(pieces[s:e]).reshape(-1, 4), new)
        out[li] = replace(line, chars=tuple(chars), pieces=tuple(pieces))
    return out


def better(old: Sequence[CharResult], text: str, conf: Sequence[float]) -> bool:
    """Whether the word reader's ``text`` (its characters' probabilities ``conf``) is to
    replace the decoder's characters ``old``: it reads them otherwise, the run or its
    reading has two characters or more (a lone mark has no word around it to be read
    from), and its least sure character is surer than the decoder's least sure one.
    (Chosen on the development pages of documents the word reader was not trained on:
    recognizer/models/MODEL_CARD.md, section ``words``.)"""
    if not text or text == "".join(c.char for c in old):
        return False
    if len(old) < 2 and len(text) < 2:
        return False
    return min(conf) > min(c.confidence for c in old)


def _share(pieces: np.ndarray, chars: Sequence[CharResult]) -> list[np.ndarray]:
    """``pieces`` int (P, 4) given to the characters whose columns hold their centres
    (each a (p, 4) array, maybe empty).

    >>> c = [CharResult(ch, (a, 0, a + 5, 9), 1.0, []) for ch, a in (("r", 0), ("n", 5))]
    >>> [len(p) for p in _share(np.array([[0, 0, 3, 9], [1, 0, 4, 9], [6, 0, 9, 9]]), c)]
    [2, 1]
    """
    mid = (pieces[:, 0] + pieces[:, 2]) / 2
    edges = [c.box[0] for c in chars[1:]]
    owner = np.searchsorted(np.array(edges), mid, side="right")
    return [pieces[owner == k] for k in range(len(chars))]


def _chars(line: DecodedLine, s: int, e: int, x0: int, x1: int, ink: np.ndarray,
           strip: np.ndarray, text: str, conf: list[float],
           where: list[int]) -> list[CharResult]:  # fmt: skip
    """The run's new characters: its columns divided at the midpoints between their CTC
    steps, each character's rows those of the solid ink in the middle half of its
    columns (no neighbour's edge), in the middle three quarters for the capitals C, O,
    S, V, W, X, Z: the rules tell o from O, v from V by their boxes' heights
    (:func:`ocr_pipeline.corrections.fix_case`), and the middle half of a V is its foot
    (a PDF page's "OpenCV" was read "OpenCv")."""
    old = line.chars[s:e]
    left, right = min(c.box[0] for c in old), max(c.box[2] for c in old)
    top, bottom = min(c.box[1] for c in old), max(c.box[3] for c in old)
    per = (x1 - x0) / strip.shape[1]  # page columns per strip column
    centres = [x0 + (t + 0.5) * STRIDE * per for t in where]
    cuts = [left] + [int(round((a + b) / 2)) for a, b in zip(centres, centres[1:])] + [right]
    out = []
    for k, ch in enumerate(text):
        a, b = cuts[k], max(cuts[k + 1], cuts[k] + 1)
        inset = (b - a) // (8 if ch in SAME_SHAPE_CASE and ch.isupper() else 4)
        ca, cb = a + inset, b - inset
        core = ink[top:bottom, max(ca, 0) : max(cb, ca + 1, 0)]
        rows = np.flatnonzero((core >= INK_THRESHOLD).any(axis=1))
        y0, y1 = (top + int(rows[0]), top + int(rows[-1]) + 1) if len(rows) else (top, bottom)
        out.append(CharResult(ch, (a, y0, b, y1), conf[k], [(ch, conf[k])]))
    return out
