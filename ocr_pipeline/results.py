"""What reading a page gives: pages of lines of characters, each with its box,
confidence and top-k alternatives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np


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
    #: float64 (3, 3) homography from a point of ``gray`` (box corners, pixel edges)
    #: to the input image (the identity when the page was neither turned nor flattened)
    to_input: np.ndarray = field(default_factory=lambda: np.eye(3), repr=False)

    @property
    def text(self) -> str:
        """Lines joined by newlines, with a blank line between paragraphs."""
        parts: list[str] = []
        for i, line in enumerate(self.lines):
            if i and line.block != self.lines[i - 1].block:
                parts.append("")
            parts.append(line.text)
        return "\n".join(parts)

    def on_input(self) -> PageResult:
        """This page with every box in the input image's pixels, as the hOCR, TSV and
        JSON give them: each box is the box around its four corners mapped by
        :attr:`to_input`, clipped to the image (a box of the turned or flattened page
        grows a little by the turn), without the deskewed page's pixels, which its boxes
        no longer refer to. The page itself when nothing was turned."""
        if np.array_equal(self.to_input, np.eye(3)):
            return self
        boxes = [ln.box for ln in self.lines] + [c.box for ln in self.lines for c in ln.chars]
        mapped = iter(map_boxes(np.array(boxes), self.to_input, self.width, self.height))
        lines = [replace(ln, box=next(mapped)) for ln in self.lines]
        for ln in lines:
            ln.chars = [replace(c, box=next(mapped)) for c in ln.chars]
        return replace(self, lines=lines, to_input=np.eye(3), gray=None)


def map_boxes(
    boxes: np.ndarray, hom: np.ndarray, width: int, height: int
) -> list[tuple[int, int, int, int]]:
    """Boxes mapped by a homography: the integer box around each box's mapped corners.

    Args:
        boxes: float (N, 4) x0, y0, x1, y1 (exclusive ends, so corners at pixel edges).
        hom: float (3, 3).
        width, height: the target image's size; boxes are clipped to it.

    Returns:
        N boxes (x0, y0, x1, y1), x0 <= x1, y0 <= y1.

    >>> turn = np.array([[0.0, -1, 10], [1, 0, 0], [0, 0, 1]])  # 90 degrees
    >>> map_boxes(np.array([[1.0, 2, 4, 3]]), turn, 20, 20)
    [(7, 1, 8, 4)]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not len(b):
        return []
    xs, ys = b[:, [0, 2, 0, 2]], b[:, [1, 1, 3, 3]]
    pts = np.stack([xs, ys, np.ones_like(xs)], axis=-1) @ np.asarray(hom, np.float64).T
    px, py = pts[..., 0] / pts[..., 2], pts[..., 1] / pts[..., 2]
    x0 = np.clip(np.floor(px.min(axis=1) + 1e-6), 0, width).astype(int)
    y0 = np.clip(np.floor(py.min(axis=1) + 1e-6), 0, height).astype(int)
    x1 = np.clip(np.ceil(px.max(axis=1) - 1e-6), 0, width).astype(int)
    y1 = np.clip(np.ceil(py.max(axis=1) - 1e-6), 0, height).astype(int)
    return [(int(a), int(b), int(c), int(d))
            for a, b, c, d in zip(x0, y0, np.maximum(x1, x0), np.maximum(y1, y0))]  # fmt: skip
