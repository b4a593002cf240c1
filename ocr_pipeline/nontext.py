"""Lines that are not text: what the reader made of a picture, an icon, a screenshot
inside a page, or what is left of a rule or a scanner's edge.

A logistic regression over a few features of a decoded line (how sure the recogniser
was, what kind of characters it read, how regular their boxes are), fitted on the
development split of the real-document corpus (``python -m benchmarks docs
train-nontext``): a line of the reader's output whose text is not on the page is a
positive, a line found in the page's text layer a negative. Its weights ship in
``data/nontext.json`` with the figures of its fit.

>>> from ocr_pipeline.nontext import shipped              # doctest: +SKIP
>>> shipped().is_not_text(line, page_line_height)        # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ocr_pipeline.results import LineResult

DATA = Path(__file__).resolve().parent / "data" / "nontext.json"

FEATURES = (
    "mean_confidence",
    "low_confidence_share",
    "hanzi_share",
    "mark_share",
    "log_chars",
    "height_ratio",
    "height_spread",
    "bias",
)


def _is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def features(chars: list[tuple[str, float, tuple[int, int, int, int]]],
             line_height: float) -> np.ndarray:  # fmt: skip
    """The features of one line, float64 (len(FEATURES),).

    Args:
        chars: (character, confidence, box x0 y0 x1 y1) of each character read.
        line_height: the page's median line height in pixels.
    """
    n = len(chars)
    conf = np.array([c[1] for c in chars], np.float64)
    heights = np.array([c[2][3] - c[2][1] for c in chars], np.float64)
    text = [c[0] for c in chars]
    marks = sum(1 for t in text if not (_is_hanzi(t) or t.isalnum()))
    mean_h = float(heights.mean()) if n else 0.0
    return np.array([
        float(conf.mean()) if n else 0.0,
        float((conf < 0.5).mean()) if n else 1.0,
        sum(map(_is_hanzi, text)) / max(n, 1),
        marks / max(n, 1),
        math.log1p(n),
        mean_h / max(line_height, 1.0),
        float(heights.std()) / max(mean_h, 1.0),
        1.0,
    ])  # fmt: skip


@dataclass(frozen=True)
class NonText:
    """A fitted filter: weights over :data:`FEATURES` and the probability above which a
    line is dropped."""

    weights: np.ndarray
    threshold: float

    def probability(self, x: np.ndarray) -> float:
        """Probability that a line with features ``x`` is not text."""
        return float(1.0 / (1.0 + np.exp(-float(x @ self.weights))))

    def is_not_text(self, x: np.ndarray) -> bool:
        return self.probability(x) > self.threshold


def load(path: Path = DATA) -> NonText | None:
    """The filter in ``path``; None when there is none (the reader then keeps every line)."""
    if not path.is_file():
        return None
    meta = json.loads(path.read_text(encoding="utf-8"))
    if tuple(meta["features"]) != FEATURES:
        raise ValueError(f"{path}: features {meta['features']} are not {FEATURES}")
    return NonText(np.array(meta["weights"], np.float64), float(meta["threshold"]))


@functools.cache
def shipped() -> NonText | None:
    """The filter that ships with pageocr (loaded once)."""
    return load()


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method, features standardised inside.

    Args:
        x: float64 (N, F), the last column the constant 1.
        y: (N,) 0 / 1.
        l2: ridge penalty on the (standardised) weights but the bias.
        steps: Newton iterations.

    Returns:
        float64 (F,) weights on the raw features.
    """
    mu = x[:, :-1].mean(axis=0)
    sd = x[:, :-1].std(axis=0) + 1e-9
    z = np.hstack([(x[:, :-1] - mu) / sd, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        grad = z.T @ (p - y) / len(z) + penalty * w
        hess = (z.T * (p * (1 - p))) @ z / len(z) + np.diag(penalty)
        w -= np.linalg.solve(hess + 1e-9 * np.eye(len(w)), grad)
    raw = w[:-1] / sd
    return np.concatenate([raw, [w[-1] - float(raw @ mu)]])


def line_features(lines: list[LineResult]) -> list[np.ndarray]:
    """:func:`ocr_pipeline.nontext.features` of each line, against the page's median
    line height."""
    if not lines:
        return []
    height = float(np.median([line.box[3] - line.box[1] for line in lines]))
    return [features([(c.char, c.confidence, c.box) for c in line.chars], height)
            for line in lines]  # fmt: skip
