"""Vertical text (issue 22 item 5): columns read top to bottom, right to left.

A page set in vertical columns is read by turning it a quarter to the left: its columns
become lines read left to right, the rightmost first, and the horizontal reader does the
rest. Each character crop is turned back upright before it is classified, except where
the crop as turned reads better as one of the marks a vertical layout draws turned
(「 drawn as ﹁, （ as ︵, — as ︱): turned back, that shape is no class of the model,
while the turned crop is the horizontal mark itself. Code points of the vertical
presentation forms (U+FE10-FE19, U+FE30-FE4F) are mapped to their horizontal marks.

Boxes come back in the page's own orientation: a column is a tall line box, its
characters top to bottom.

>>> vertical_to_horizontal("﹁這是︙﹂")
'「這是…」'
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from ocr_pipeline.results import LineResult, PageResult
from recognizer.runtime import PredictorWrapper

#: The vertical presentation forms and the horizontal marks they stand for.
VERTICAL_FORMS = {
    "︐": "，", "︑": "、", "︒": "。", "︓": "：", "︔": "；", "︕": "！", "︖": "？",
    "︗": "〖", "︘": "〗", "︙": "…", "︰": "‥", "︱": "—", "︲": "–", "︳": "_", "︴": "_",
    "︵": "（", "︶": "）", "︷": "｛", "︸": "｝", "︹": "〔", "︺": "〕", "︻": "【", "︼": "】",
    "︽": "《", "︾": "》", "︿": "〈", "﹀": "〉", "﹁": "「", "﹂": "」", "﹃": "『", "﹄": "』",
    "﹇": "［", "﹈": "］",
}  # fmt: skip

#: Marks a vertical layout draws turned a quarter to the right: read from the crop as the
#: turned page holds it.
TURNED_MARKS = frozenset("「」『』（）《》〈〉【】〔〕〖〗［］｛｝—…～：；")

#: Marks a vertical layout draws upright in the top right corner of their cell, where a
#: horizontal line has them at the bottom left (。，、) or at the left (：；！？): read from
#: the upright crop with its ink moved there (or from the upright crop as it is).
CORNER_MARKS = {
    "bottom-left": frozenset("。，、.,"),
    "left": frozenset("：；！？:;!?"),
    "upright": frozenset("。，、：；！？·“”‘’"),
}


def vertical_to_horizontal(text: str) -> str:
    """``text`` with each vertical presentation form replaced by its horizontal mark."""
    return "".join(VERTICAL_FORMS.get(c, c) for c in text)


def _ink(gray: np.ndarray) -> np.ndarray:
    """uint8 0/1 (H, W): 1 where the page has ink, either polarity."""
    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return 1 - ink if ink.mean() > 0.5 else ink  # light text on a dark page


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D bool array, end exclusive."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def ink_profile(gray: np.ndarray) -> tuple[float, float]:
    """Share of blank rows and of blank columns inside the ink's bounding box.

    Args:
        gray: uint8 (H, W) page, dark text on a light background or the reverse.

    Returns:
        (blank rows, blank columns), each in [0, 1]; (0, 0) for a page without ink.
    """
    ink = _ink(gray)
    rows, cols = ink.sum(axis=1), ink.sum(axis=0)
    if not rows.any():
        return 0.0, 0.0
    ys, xs = np.flatnonzero(rows), np.flatnonzero(cols)
    rows, cols = rows[ys[0] : ys[-1] + 1], cols[xs[0] : xs[-1] + 1]
    return float(np.mean(rows == 0)), float(np.mean(cols == 0))


def is_vertical(gray: np.ndarray) -> bool:
    """Whether a page looks set in vertical columns.

    Its blank columns (the gaps between columns) must be a fifth of the ink's width or
    more and two and a half times as common as blank rows (horizontal text has the
    reverse: gaps between lines); and its ink must stand in at least two runs of columns,
    most of them three times as tall as wide (letters of one line, also separated by
    blank columns, are not). Anything else, a picture, one column or one line, is taken
    as horizontal.

    >>> page = np.full((200, 200), 255, np.uint8)
    >>> page[10:190, 20:50] = page[10:190, 80:110] = page[10:190, 140:170] = 0
    >>> is_vertical(page), is_vertical(page.T.copy()), is_vertical(page[:40].copy())
    (True, False, False)
    """
    blank_rows, blank_cols = ink_profile(gray)
    if not (blank_cols >= 0.2 and blank_cols >= 2.5 * blank_rows):
        return False
    ink = _ink(gray)
    runs = _runs(np.asarray(ink.any(axis=0), bool))
    if len(runs) < 2:
        return False
    tall = []
    for x0, x1 in runs:
        ys = np.flatnonzero(ink[:, x0:x1].any(axis=1))
        tall.append(ys[-1] - ys[0] + 1 >= 3 * (x1 - x0))
    return bool(np.mean(tall) > 0.5)


class UprightPredictor(PredictorWrapper):
    """Classifies the crops of a page turned a quarter left: each crop turned back
    upright, or as it is where that reads as one of :data:`TURNED_MARKS` with more
    confidence.

    Args:
        predictor: any :class:`ocr_pipeline.reader.CropPredictor`.
    """

    def __init__(self, predictor) -> None:
        super().__init__(predictor)
        self.turned = np.array([c in TURNED_MARKS for c in predictor.charset.chars], bool)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        upright = np.ascontiguousarray(np.rot90(crops, -1, axes=(1, 2)))
        probs = self.inner.predict(upright)
        as_is = self.inner.predict(crops)
        use = self.turned[as_is.argmax(axis=1)] & (as_is.max(axis=1) > probs.max(axis=1))
        probs[use] = as_is[use]
        small = np.flatnonzero([_small_ink(c) for c in upright])
        if small.size:
            probs[small] = self._mark(upright[small], probs[small], as_is[small])
        return probs

    def _mark(self, upright: np.ndarray, probs: np.ndarray, as_is: np.ndarray) -> np.ndarray:
        """Crops whose ink is small are marks in vertical text: each is read as the mark
        that one of its views (upright, as turned, ink moved where a horizontal line has
        it) gives the highest probability; the other classes get 0."""
        chars = self.charset.chars
        views = [(probs, CORNER_MARKS["upright"]), (as_is, TURNED_MARKS)]
        for where in ("bottom-left", "left"):
            moved = np.stack([move_ink(c, where) for c in upright])
            views.append((self.inner.predict(moved), CORNER_MARKS[where]))
        masked = [p * np.array([c in marks for c in chars], np.float32) for p, marks in views]
        best = np.argmax([m.max(axis=1) for m in masked], axis=0)
        return np.stack([masked[v][i] for i, v in enumerate(best)])


def _small_ink(crop: np.ndarray) -> bool:
    """Ink (bright, as crops are white on black) within less than half the crop each way."""
    ys, xs = np.nonzero(crop.reshape(crop.shape[:2]) > 127)  # (S, S) or (S, S, 1)
    if not ys.size:
        return False
    n = crop.shape[0]
    return bool(np.ptp(ys) < n / 2 and np.ptp(xs) < n / 2)


def move_ink(crop: np.ndarray, where: str) -> np.ndarray:
    """The crop with its ink's bounding box moved to ``where`` ("bottom-left" or "left"),
    a sixth of the crop from its edges: uint8 (S, S) or (S, S, 1), the same shape out.

    >>> c = np.zeros((12, 12), np.uint8); c[2:4, 8:10] = 255
    >>> np.argwhere(move_ink(c, "bottom-left") > 0).min(axis=0).tolist()
    [8, 2]
    """
    n = crop.shape[0]
    ys, xs = np.nonzero(crop.reshape(crop.shape[:2]) > 127)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    margin = n // 6
    top = n - margin - (y1 - y0) if where == "bottom-left" else (n - (y1 - y0)) // 2
    out = np.zeros_like(crop)
    out[top : top + y1 - y0, margin : margin + x1 - x0] = crop[y0:y1, x0:x1]
    return out


def read_columns(reader, gray: np.ndarray) -> PageResult:
    """Read a page of vertical columns with ``reader`` (an :class:`ocr_pipeline.Reader`).

    Args:
        gray: uint8 (H, W) page.

    Returns:
        The page: lines are columns, right to left, characters top to bottom, boxes in
        ``gray``'s orientation (``page.gray`` is the deskewed page turned back upright,
        ``page.to_input`` maps to ``gray``).
    """
    from ocr_pipeline.pipeline import decode_page
    from ocr_pipeline.rules import apply_rules

    turned = np.ascontiguousarray(np.rot90(gray, 1))
    page, decoded = decode_page(turned, UprightPredictor(reader.predictor), reader.top_k,
                                bigram=reader.language, words=reader.lexicon)  # fmt: skip
    # the non-text filter judges lines by their look, and a turned column looks like none
    page.lines = apply_rules(decoded, reader.rules, bigram=reader.language, nontext=None)
    return turn_back(page, width=gray.shape[1], height=gray.shape[0])


def turn_back(page: PageResult, width: int, height: int) -> PageResult:
    """A page read turned a quarter left, in its own orientation again (``width`` x
    ``height`` being the input's size); vertical forms mapped to horizontal marks."""
    assert page.gray is not None
    h_turned = page.gray.shape[0]

    def box(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = b
        return (h_turned - y1, x0, h_turned - y0, x1)

    lines = [
        LineResult(box(ln.box), ln.block,
                   [dataclasses.replace(c, box=box(c.box), char=vertical_to_horizontal(c.char))
                    for c in ln.chars],
                   list(ln.spaces))
        for ln in page.lines
    ]  # fmt: skip
    back = np.array([[0, 1, 0], [-1, 0, h_turned], [0, 0, 1]], float)  # upright -> turned
    to_own = np.array([[0, -1, width], [1, 0, 0], [0, 0, 1]], float)  # turned input -> input
    return dataclasses.replace(
        page,
        width=width,
        height=height,
        lines=lines,
        gray=np.ascontiguousarray(np.rot90(page.gray, -1)),
        to_input=to_own @ page.to_input @ back,
    )
