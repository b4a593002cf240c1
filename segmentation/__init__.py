"""Page segmentation for pageocr: binarise, clean, deskew, find lines, cut characters.

Pure functions on numpy arrays; no dependency on the recogniser or the pipeline.
"""

from segmentation.binarize import binarize
from segmentation.characters import cut_pieces
from segmentation.crops import normalize_crop
from segmentation.lines import find_lines
from segmentation.segment import Segmentation, segment_page

__all__ = [
    "Segmentation",
    "binarize",
    "cut_pieces",
    "find_lines",
    "normalize_crop",
    "segment_page",
]
