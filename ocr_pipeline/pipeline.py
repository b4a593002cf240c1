"""The page reader: image -> segmentation -> candidate crops -> recogniser -> text.

>>> from recognizer.runtime import Predictor                  # doctest: +SKIP
>>> page = read_image(gray, Predictor())                      # doctest: +SKIP
>>> print(page.text)                                          # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ocr_pipeline.decode import (
    CHAR_COST,
    best_path,
    candidates,
    fix_width_forms,
    geometry_score,
    is_hanzi,
)
from segmentation.characters import word_gaps
from segmentation.crops import normalize_crop
from segmentation.segment import Segmentation, segment_page


@dataclass
class CharResult:
    """One recognised character.

    Attributes:
        char: the character.
        box: (x0, y0, x1, y1) in the (deskewed) page, exclusive ends.
        confidence: the recogniser's probability of ``char``.
        alternatives: the top-k (character, probability), best first.
    """

    char: str
    box: tuple[int, int, int, int]
    confidence: float
    alternatives: list[tuple[str, float]]


@dataclass
class LineResult:
    box: tuple[int, int, int, int]
    block: int
    chars: list[CharResult] = field(default_factory=list)
    spaces: list[bool] = field(default_factory=list)  # space after char i

    @property
    def text(self) -> str:
        return "".join(c.char + (" " if s else "") for c, s in zip(self.chars, self.spaces))


@dataclass
class PageResult:
    """The lines of one page; ``angle`` is the skew that was corrected (degrees)."""

    width: int
    height: int
    angle: float
    lines: list[LineResult] = field(default_factory=list)
    source: str = ""
    number: int = 1
    #: the deskewed page the boxes refer to, uint8 (H, W)
    gray: np.ndarray | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """Lines joined by newlines, with a blank line between paragraphs."""
        parts: list[str] = []
        for i, line in enumerate(self.lines):
            if i and line.block != self.lines[i - 1].block:
                parts.append("")
            parts.append(line.text)
        return "\n".join(parts)


def read_image(gray: np.ndarray, predictor, k: int = 3) -> PageResult:
    """Read one page.

    Args:
        gray: uint8 (H, W) page, either polarity.
        predictor: a :class:`recognizer.runtime.Predictor`.
        k: alternatives kept per character.

    Returns:
        The page's lines and characters; no lines for a page without text.
    """
    seg = segment_page(gray)
    page = PageResult(width=gray.shape[1], height=gray.shape[0], angle=seg.angle, gray=seg.gray)
    per_line = [_line_candidates(seg, i, predictor.input_size) for i in range(len(seg.lines))]
    crops = [c for _, _, lc in per_line for c in lc]
    if not crops:
        page.lines = [LineResult(ln.box, ln.block) for ln in seg.lines]
        return page
    probs = predictor.predict(np.stack(crops))
    chars = predictor.charset.chars
    hanzi_mask = np.array([is_hanzi(c) for c in chars])
    offset = 0
    for i, (cands, height, lc) in enumerate(per_line):
        p = probs[offset : offset + len(lc)]
        offset += len(lc)
        page.lines.append(_decode_line(seg, i, cands, height, p, chars, hanzi_mask, k))
    return page


def _spaced(a: str, b: str) -> bool:
    """Whether a wide gap between ``a`` and ``b`` is a space: Chinese text has none,
    and full-width punctuation carries its own; Latin words and numbers do."""
    return (a.isascii() or b.isascii()) and not (_fullwidth(a) or _fullwidth(b))


def _fullwidth(ch: str) -> bool:
    return "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or ch in "“”‘’—…·"


def _line_candidates(seg: Segmentation, i: int, size: int):
    line = seg.lines[i]
    top, bottom = line.box[1], line.box[3]
    height = bottom - top
    cands = candidates(seg.pieces[i], height)
    crops = [
        normalize_crop(seg.ink, c.box, line=(top, bottom), size=size, mode="line") for c in cands
    ]
    return cands, height, crops


def _decode_line(
    seg: Segmentation,
    i: int,
    cands,
    height: int,
    probs: np.ndarray,
    chars: str,
    hanzi_mask: np.ndarray,
    k: int,
) -> LineResult:
    line = seg.lines[i]
    top = probs.argmax(axis=1)
    conf = probs[np.arange(len(top)), top]
    scores = np.log(np.maximum(conf, 1e-9)) - CHAR_COST
    for n, c in enumerate(cands):
        scores[n] += geometry_score(c.box[2] - c.box[0], height, bool(hanzi_mask[top[n]]))
    path = best_path(len(seg.pieces[i]), cands, scores)
    result = LineResult(line.box, line.block)
    for n in path:
        order = np.argsort(-probs[n])[:k]
        alts = [(chars[j], float(probs[n, j])) for j in order]
        result.chars.append(CharResult(chars[top[n]], cands[n].box, float(conf[n]), alts))
    fixed = fix_width_forms([c.char for c in result.chars])
    for c, f in zip(result.chars, fixed):
        c.char = f
    boxes = np.array([c.box for c in result.chars], np.int32).reshape(-1, 4)
    gaps = word_gaps(boxes, height) if len(boxes) > 1 else np.zeros(0, bool)
    result.spaces = [
        bool(g) and _spaced(a.char, b.char)
        for g, a, b in zip(gaps, result.chars, result.chars[1:])
    ] + [False]
    return result
