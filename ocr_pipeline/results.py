"""What reading a page gives: pages of lines of characters, each with its box,
confidence and top-k alternatives."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from segmentation.geometry import map_boxes, pixel_boxes


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
        mapped = iter(pixel_boxes(map_boxes(np.array(boxes), self.to_input), self.width,
                                  self.height))  # fmt: skip
        lines = [replace(ln, box=next(mapped)) for ln in self.lines]
        for ln in lines:
            ln.chars = [replace(c, box=next(mapped)) for c in ln.chars]
        return replace(self, lines=lines, to_input=np.eye(3), gray=None)
