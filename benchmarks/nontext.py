"""Fit the reader's non-text line filter (:mod:`ocr_pipeline.nontext`) on the development
split of the real-document corpus.

Every dev image is read with the filter off; each line read is labelled by how much of
it is on the page: the share of its characters inside character pairs (bigrams) that
the page's truth also holds. Under :data:`NOT_TEXT` it is a line of marks that are not
text (a picture, the rest of a rule), over :data:`TEXT` a line of text; lines between
are left out of the fit but count in the choice of the threshold, which maximises the
characters gained: the made-up characters of the lines dropped, less the right ones.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks import corpus

log = logging.getLogger(__name__)

NOT_TEXT, TEXT = 0.25, 0.6


def on_page(line: str, truth: str) -> float:
    """Share of a line's non-space characters inside a bigram the truth holds (a line of
    one character: whether the truth holds it).

    >>> on_page("中文abc", "这是中文，ab")
    0.8
    """
    s = "".join(line.split())
    t = "".join(truth.split())
    if len(s) < 2:
        return float(bool(s) and s in t)
    pairs = {t[i : i + 2] for i in range(len(t) - 1)}
    hit = np.zeros(len(s), bool)
    for i in range(len(s) - 1):
        if s[i : i + 2] in pairs:
            hit[i : i + 2] = True
    return float(hit.mean())


def collect(entries: Sequence[corpus.Entry], progress=None) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:  # fmt: skip
    """Features, on-page shares and lengths of every line read on the entries' images."""
    from ocr_pipeline.nontext import line_features
    from ocr_pipeline.reader import Reader

    reader = Reader(nontext=None)  # every line read, the filter's data
    xs, share, length = [], [], []
    for e in entries:
        truth = Path(e.truth).read_text(encoding="utf-8")
        for page in reader.pages(e.image):
            lines = page.lines
            for line, x in zip(lines, line_features(lines)):
                xs.append(x)
                share.append(on_page(line.text, truth))
                length.append(len("".join(line.text.split())))
        if progress is not None:
            progress()
    return np.array(xs), np.array(share), np.array(length, np.float64)


def best_threshold(p: np.ndarray, share: np.ndarray, length: np.ndarray) -> tuple[float, float]:
    """The probability threshold that gains the most characters, and that gain."""
    best = (1.0, 0.0)
    for thr in np.arange(0.3, 0.96, 0.025):
        drop = p > thr
        gain = float(((1 - 2 * share[drop]) * length[drop]).sum())
        if gain > best[1]:
            best = (float(thr), gain)
    return best


def train(folders: Sequence[Path], out: Path, progress=None) -> dict:
    """Fit on the dev split of the corpora in ``folders``; write ``out``; return its dict."""
    from ocr_pipeline import nontext

    entries = [e for f in folders for e in corpus.read_manifest(f) if e.split == "dev"]
    x, share, length = collect(entries, progress)
    keep = (share < NOT_TEXT) | (share >= TEXT)
    y = (share < NOT_TEXT).astype(np.float64)
    w = nontext.fit(x[keep], y[keep])
    p = 1.0 / (1.0 + np.exp(-(x @ w)))
    thr, gain = best_threshold(p, share, length)
    drop = p > thr
    meta = {
        "features": list(nontext.FEATURES),
        "weights": [round(float(v), 6) for v in w],
        "threshold": thr,
        "fit": {
            "split": "dev",
            "images": len(entries),
            "lines": int(len(x)),
            "not_text_lines": int((share < NOT_TEXT).sum()),
            "text_lines": int((share >= TEXT).sum()),
            "dropped_lines": int(drop.sum()),
            "dropped_not_text": int((drop & (share < NOT_TEXT)).sum()),
            "dropped_text": int((drop & (share >= TEXT)).sum()),
            "characters_gained": round(gain),
            "corpora": [str(f) for f in folders],
            "date": datetime.date.today().isoformat(),
        },
        "command": "python -m benchmarks docs train-nontext " + " ".join(map(str, folders)),
    }
    out.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return meta
