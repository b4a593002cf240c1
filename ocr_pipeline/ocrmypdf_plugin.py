"""pageocr as an OCRmyPDF (16, 17) OCR engine.

Installed (``pip install 'pageocr[ocrmypdf]'``), OCRmyPDF loads it through the
``ocrmypdf`` entry point and it reads for ``--ocr-engine auto`` (the default;
``--ocr-engine tesseract`` gives Tesseract back); from a checkout that is not
installed, ``ocrmypdf --plugin ocr_pipeline.ocrmypdf_plugin`` (not both: pluggy
refuses a plugin registered twice). OCRmyPDF 17 still wants the ``tesseract``
program on the PATH: its Tesseract plugin checks for it at start-up, and blocking
that plugin breaks OCRmyPDF's option checks.

OCRmyPDF rasterises each page, hands the image to this engine and lays the text
it gets back, invisible, over the original page. It asks through whichever of
these its renderer uses, all implemented here on one reading of the page:

- ``generate_ocr`` (OCRmyPDF 17's default fpdf2 renderer): an OcrElement tree,
  page -> paragraphs -> lines -> words, a hanzi or a punctuation mark being a word
  of its own and letters and digits grouped between the spaces read;
- ``generate_hocr`` (fpdf2 in OCRmyPDF 16): the same tree as hOCR;
- ``generate_pdf`` (``--pdf-renderer sandwich``): a text-only page made by
  :func:`ocr_pipeline.pdfout.text_only_page`, each character on its own box.

Boxes are mapped from the deskewed page pageocr reads to the image OCRmyPDF gave
(``PageResult.on_input``), as axis-aligned boxes around the mapped corners.
The engine loads the model once per worker process, on the first page that worker
reads. ``--pageocr-model`` picks a model as
``pageocr read --model`` does, ``--pageocr-rules`` the corrections as ``--rules``.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ocrmypdf import hookimpl
from ocrmypdf.exceptions import BadArgsError, InputFileError
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence

from ocr_pipeline.formats import blocks, line_words, to_hocr, union_box
from ocr_pipeline.pipeline import PageResult
from ocr_pipeline.rules import PROFILES

if TYPE_CHECKING:
    from ocr_pipeline.reader import Reader

log = logging.getLogger(__name__)

#: What OCRmyPDF's ``-l`` may ask for (Tesseract's names): the model reads both.
LANGUAGES = frozenset({"chi_sim", "eng"})


@cache
def _reader(model: str | None, rules: str = "default") -> Reader:
    """The reader, its model loaded once per process (OCRmyPDF's workers are processes)."""
    from ocr_pipeline.reader import Reader
    from recognizer.runtime import ModelError

    reader = Reader(Path(model) if model else None, runtime="litert", rules=rules)
    try:
        _ = reader.predictor  # loaded now: a model that cannot be used is a bad argument
    except ModelError as err:
        raise BadArgsError(f"pageocr: {err}") from None
    return reader


@cache
def _read_cached(
    path: str, mtime_ns: int, model: str | None, rules: str = "default"
) -> tuple[PageResult, float]:
    """The page read and the image's dpi; cached so that get_deskew and generate_*
    on the same image (OCRmyPDF asks both) read it once."""
    from PIL import Image

    from ocr_pipeline.images import InputError, load_pages, plausible_dpi

    try:
        (page,) = list(load_pages(path))
        with Image.open(path) as img:
            dpi = plausible_dpi(img.info.get("dpi"))
    except (InputError, ValueError) as err:
        raise InputFileError(f"pageocr: {err}") from None
    res = _reader(model, rules).read_image(page.gray)
    res.gray = None  # the cache keeps the boxes, not the page's pixels
    return res, (dpi or (300.0, 300.0))[0]


def _read(input_file: Path, options) -> tuple[PageResult, float]:
    if _read_cached.cache_info().currsize > 2:  # a worker reads page after page
        _read_cached.cache_clear()
    model = getattr(options, "pageocr_model", None)
    rules = getattr(options, "pageocr_rules", None) or "default"
    return _read_cached(str(input_file), input_file.stat().st_mtime_ns, model, rules)


def ocr_tree(page: PageResult, dpi: float, page_number: int = 0):
    """The page read as OCRmyPDF's OcrElement tree, boxes in input image pixels."""
    from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement

    page = page.on_input()

    def bbox(box) -> BoundingBox:
        x0, y0, x1, y1 = box
        return BoundingBox(left=x0, top=y0, right=x1, bottom=y1)

    root = OcrElement(ocr_class=OcrClass.PAGE, bbox=BoundingBox(0, 0, page.width, page.height),
                      dpi=dpi, page_number=page_number, language="chi_sim")  # fmt: skip
    for block in blocks(page):
        par = OcrElement(ocr_class=OcrClass.PARAGRAPH, bbox=bbox(union_box(ln.box for ln in block)))
        for ln in block:
            words = [
                OcrElement(ocr_class=OcrClass.WORD, text=w, bbox=bbox(b), confidence=conf)
                for w, b, conf in line_words(ln)
            ]
            par.children.append(
                OcrElement(ocr_class=OcrClass.LINE, bbox=bbox(ln.box), children=words)
            )
        root.children.append(par)
    return root


def hocr(page: PageResult) -> str:
    """The page read as hOCR, Tesseract's (:func:`ocr_pipeline.formats.to_hocr`, which
    OCRmyPDF's hOCR reader is tested on): words (``ocrx_word``) with their characters,
    boxes in input image pixels."""
    return to_hocr([page])


class PageocrEngine(OcrEngine):
    """pageocr's reader behind OCRmyPDF's OcrEngine interface."""

    @staticmethod
    def version() -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("pageocr")
        except PackageNotFoundError:
            return "unknown"

    @staticmethod
    def creator_tag(options) -> str:
        return f"pageocr {PageocrEngine.version()}"

    def __str__(self) -> str:
        return f"pageocr {self.version()}"

    @staticmethod
    def languages(options) -> set[str]:
        return set(LANGUAGES)

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        """pageocr reads upright pages only: no rotation, with no confidence."""
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        """The skew pageocr measured and corrected (degrees, counter-clockwise)."""
        return float(_read(input_file, options)[0].angle)

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options, page_number: int = 0):
        page, dpi = _read(input_file, options)
        return ocr_tree(page, dpi, page_number), page.text + "\n"

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        page, _ = _read(input_file, options)
        output_hocr.write_text(hocr(page), encoding="utf-8")
        output_text.write_text(page.text + "\n", encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        from ocr_pipeline.pdfout import text_only_page

        page, dpi = _read(input_file, options)
        output_pdf.write_bytes(text_only_page(page, (dpi, dpi), (page.width, page.height)))
        output_text.write_text(page.text + "\n", encoding="utf-8")


@hookimpl
def add_options(parser) -> None:
    group = parser.add_argument_group("pageocr", "Options of the pageocr OCR engine")
    group.add_argument(
        "--pageocr-model",
        metavar="MODEL",
        help="A shipped model by name (default, fast, real) or a .tflite model file; "
        "default: the shipped default model.",
    )
    group.add_argument(
        "--pageocr-rules",
        choices=sorted(PROFILES),
        default="default",
        help="The corrections made after decoding, as pageocr read --rules: default, "
        "manpage (also those written for manual pages' text) or none.",
    )


@hookimpl
def get_ocr_engine(options) -> OcrEngine | None:
    """pageocr, unless another engine than ``auto`` or ``pageocr`` is asked for."""
    if options is not None and getattr(options, "ocr_engine", "auto") not in ("auto", "pageocr"):
        return None
    return PageocrEngine()
