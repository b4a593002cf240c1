"""Classify single-character images (the 2018 tutorial's inference mode).

Each image, of any size, format and polarity, is turned into the model's crop
(ink white on black, framed tightly or as it is) and classified in batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from ocr_pipeline.images import MAX_PIXELS, InputError, load_pages
from recognizer.runtime import top_ids
from segmentation.binarize import ink_image
from segmentation.crops import normalize_crop

if TYPE_CHECKING:
    from ocr_pipeline.reader import CropPredictor

FRAMINGS = ("tight", "asis")


@dataclass
class Classified:
    """Top-k characters of one image, or why it failed."""

    path: str
    chars: list[str] = field(default_factory=list)
    probs: list[float] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict:
        if self.error:
            return {"file": self.path, "error": self.error}
        return {
            "file": self.path,
            "top": [{"char": c, "prob": round(p, 6)} for c, p in zip(self.chars, self.probs)],
        }


def crop_image(gray: np.ndarray, size: int, framing: str = "tight") -> np.ndarray | None:
    """The model's crop of a one-character image, or None when it holds no ink.

    Args:
        gray: uint8 (H, W), either polarity.
        size: the model's input side.
        framing: ``"tight"`` frames the ink's box; ``"asis"`` keeps the image's
            own framing (for crops written by ``pageocr segment``).

    Returns:
        uint8 (size, size), white on black.
    """
    ink = ink_image(gray)
    if not ink.any():
        return None
    h, w = ink.shape
    if framing == "asis":
        side = max(h, w)
        square = np.zeros((side, side), np.uint8)
        y0, x0 = (side - h) // 2, (side - w) // 2
        square[y0 : y0 + h, x0 : x0 + w] = ink
        interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
        return cv2.resize(square, (size, size), interpolation=interp)
    return normalize_crop(ink, (0, 0, w, h), size=size, mode="tight")


def classify_files(
    paths: Sequence[Path],
    predictor: CropPredictor,
    k: int = 3,
    framing: str = "tight",
    max_pixels: int = MAX_PIXELS,
) -> list[Classified]:
    """Classify every image; unreadable ones come back with ``error`` set.

    Args:
        paths: image files, in the order wanted.
        predictor: the crop predictor, e.g. a :class:`recognizer.runtime.Predictor`
            or a :class:`ocr_pipeline.reader.Reader`'s ``predictor``.
        k: how many candidates per image.
        framing: see :func:`crop_image`.
        max_pixels: a larger image is refused (see :func:`ocr_pipeline.images.load_pages`).
    """
    results: list[Classified] = []
    crops, slots = [], []
    for p in paths:
        try:
            page = next(iter(load_pages(p, pages=[1], max_pixels=max_pixels)))
        except (InputError, StopIteration) as err:
            results.append(Classified(str(p), error=str(err) or f"{p}: empty"))
            continue
        crop = crop_image(page.gray, predictor.input_size, framing)
        if crop is None:
            results.append(Classified(str(p), error=f"{p}: no ink found (blank image)"))
            continue
        crops.append(crop)
        slots.append(len(results))
        results.append(Classified(str(p)))
    chars = predictor.charset.chars
    for start in range(0, len(crops), CHUNK):  # bounds the (N, classes) probabilities
        probs = predictor.predict(np.stack(crops[start : start + CHUNK]))
        ids = top_ids(probs, k)
        probs = np.take_along_axis(probs, ids, axis=1)
        for slot, row_ids, row_p in zip(slots[start : start + CHUNK], ids, probs):
            results[slot].chars = [chars[i] for i in row_ids]
            results[slot].probs = [float(x) for x in row_p]
    return results


#: Crops classified per call: their probabilities take ~16 KB each over 3,907 classes.
CHUNK = 4096
