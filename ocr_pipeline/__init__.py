"""pageocr's reader: image -> segmentation -> recogniser -> text.

The Python API is :class:`Reader` (:mod:`ocr_pipeline.reader`) and the results it
returns, :class:`PageResult` -> :class:`LineResult` -> :class:`CharResult`:

>>> from ocr_pipeline import Reader                          # doctest: +SKIP
>>> page = Reader().read("samples/paragraph.png")[0]         # doctest: +SKIP
>>> print(page.text)                                         # doctest: +SKIP

They are imported when first asked for, so that ``pageocr --help`` and the commands
that do not read stay quick to start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocr_pipeline.reader import (
        CharResult,
        CropPredictor,
        LineResult,
        PageResult,
        Reader,
        Source,
    )

__all__ = ["CharResult", "CropPredictor", "LineResult", "PageResult", "Reader", "Source"]


def __getattr__(name: str) -> object:
    if name in __all__:
        from ocr_pipeline import reader

        return getattr(reader, name)
    raise AttributeError(f"module 'ocr_pipeline' has no attribute {name!r}")
