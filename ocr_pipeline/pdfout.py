"""Searchable PDF: each page's image under an invisible layer of the text read.

The text layer is drawn as Tesseract's PDF renderer draws it: text render mode 3
(invisible), in a Type0 font (Identity-H) whose CIDFontType2 embeds a one-glyph
TrueType font, ``GlyphLessFont`` (``data/glyphless.ttf``, 636 bytes: one square
glyph 1000 units a side, 1000 units wide), with a CIDToGIDMap that sends every
code to that glyph. A character is written as its UTF-16 code units (two codes for
a character outside the BMP, each half its box), and the ToUnicode CMap maps every
code to itself, so copying or searching gives the text read. Each character is
placed on its own box: its left and right edges, the top and bottom of its line
(so the characters of a line share a baseline and a size, which is how PDF readers
tell lines apart), turned and warped back from the deskewed (flattened) page to the
input image (a line turned by at most :data:`LEVEL_ANGLE` degrees is written level, on
one baseline, which poppler needs to keep it whole); the font size is the line's
height and the horizontal scaling (Tz) stretches the square glyph to the character's
width. A space read between two
words is a space glyph across the gap.

Units: boxes are in image pixels (pixel edges, exclusive ends), the PDF in points
(1/72 inch) with the origin at the bottom left. A page is ``width_px * 72 / dpi``
points wide: a PDF input's pages keep their size (the rendering resolution is
known), an image is placed at its own resolution, or at :data:`DEFAULT_DPI`
without one.

:class:`PdfWriter` writes each page (image, content, page object) as soon as it is
given, and the page tree, cross-reference table and trailer at :meth:`PdfWriter.close`,
so memory holds one page whatever the document's length.
"""

from __future__ import annotations

import dataclasses
import io
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import IO

import numpy as np

from ocr_pipeline.images import Page
from ocr_pipeline.pipeline import LineResult, PageResult

#: The resolution of an image that does not say its own (Tesseract's and OCRmyPDF's).
DEFAULT_DPI = 300.0
#: A page image is stored without loss (PNG's filters and Flate) unless that takes more
#: than this many times the bytes of a JPEG of it (a scan or a photo), when it is a JPEG.
LOSSLESS_MAX_RATIO = 1.5
JPEG_QUALITY = 85
PRODUCER = "pageocr"

# Objects written first, whatever the pages: their numbers are fixed.
_CATALOG, _PAGES, _FONT, _CIDFONT, _DESCRIPTOR, _FONTFILE, _CIDTOGID, _TOUNICODE = range(1, 9)
_FIRST_FREE = 9


def glyphless_font() -> bytes:
    """The embedded TrueType font: ``.notdef`` and one square glyph (0, 0)-(1000, 1000),
    advance 1000 on a 1000-unit em (made with fontTools; see tests/test_pdfout.py)."""
    return resources.files("ocr_pipeline").joinpath("data/glyphless.ttf").read_bytes()


def to_codes(text: str) -> bytes:
    """The Identity-H codes of ``text``: its UTF-16BE code units, two bytes each.

    >>> to_codes("中a").hex()
    '4e2d0061'
    """
    return text.encode("utf-16-be")


# --- geometry ----------------------------------------------------------------------------


def pixels_to_points(dpi: tuple[float, float], height_px: int) -> np.ndarray:
    """float64 (3, 3): a point (x, y, 1) of an image in pixels (y down) to PDF points
    (y up) on a page ``height_px * 72 / dpi[1]`` points tall."""
    sx, sy = 72.0 / dpi[0], 72.0 / dpi[1]
    return np.array([[sx, 0, 0], [0, -sy, height_px * sy], [0, 0, 1]])


def line_runs(line: LineResult) -> list[tuple[str, float, float]]:
    """The text of a line as (text, x0, x1) runs along it, in page pixels.

    A character spans from its box's left edge to the next character's left edge
    within a word (PDF readers take a gap between two glyphs for a space), to its own
    right edge at the end of a word; a space read after a character spans the gap to
    the next word (at least a tenth of the line's height, for words whose boxes
    touch). A character outside the BMP is two runs, one for each UTF-16 code unit,
    each half its span.

    >>> from ocr_pipeline.pipeline import CharResult
    >>> c = lambda ch, x0, x1: CharResult(ch, (x0, 0, x1, 10), 1.0, [])
    >>> chars = [c("a", 0, 8), c("b", 10, 18), c("c", 30, 38)]
    >>> line_runs(LineResult((0, 0, 50, 10), 0, chars, [False, True, False]))
    [('a', 0.0, 10.0), ('b', 10.0, 18.0), (' ', 18.0, 30.0), ('c', 30.0, 38.0)]
    """
    runs: list[tuple[str, float, float]] = []
    height = line.box[3] - line.box[1]
    n = len(line.chars)
    for i, (c, space) in enumerate(zip(line.chars, line.spaces)):
        x0, x1 = float(c.box[0]), float(max(c.box[2], c.box[0] + 1))
        nxt = float(line.chars[i + 1].box[0]) if i + 1 < n else None
        if not space and nxt is not None and nxt > x0:
            x1 = nxt
        units = list(to_codes(c.char).decode("utf-16-be", "surrogatepass"))
        step = (x1 - x0) / len(units)
        runs.extend((u, x0 + k * step, x0 + (k + 1) * step) for k, u in enumerate(units))
        if space:
            runs.append((" ", x1, max(nxt if nxt is not None else x1, x1 + 0.1 * height)))
    return runs


def run_matrix(
    to_points: np.ndarray, x0: float, x1: float, top: float, bottom: float
) -> tuple[float, float, float, float, float, float]:
    """Where a glyph goes: the text matrix, font size and horizontal scaling.

    Args:
        to_points: float64 (3, 3) homography from page pixels to PDF points.
        x0, x1: the run's left and right edges in page pixels.
        top, bottom: its line's top and bottom edges in page pixels.

    Returns:
        (cos, sin, e, f, size, tz): the baseline's direction, its start (e, f) in
        points, the font size (the line's height in points) and Tz (percent), such
        that the square glyph covers the run's box.
    """
    corners = np.array([[x0, bottom, 1.0], [x1, bottom, 1.0], [x0, top, 1.0]]) @ to_points.T
    bl, br, tl = corners[:, :2] / corners[:, 2:]
    u, v = br - bl, tl - bl
    width = float(np.hypot(*u))
    size = max(float(np.hypot(*v)), 0.01)
    cos, sin = (u / width) if width > 0 else (1.0, 0.0)
    return float(cos), float(sin), float(bl[0]), float(bl[1]), size, 100.0 * width / size


def text_layer(page: PageResult, to_points: np.ndarray) -> bytes:
    """The content stream operators of a page's invisible text: one BT/ET per line.

    Args:
        page: the page read (boxes in its deskewed page, ``page.to_input`` to the input).
        to_points: float64 (3, 3) from input image pixels to PDF points.
    """
    m = to_points @ page.to_input
    out: list[str] = []
    for line in page.lines:
        line_m = m
        if is_column(line):  # written down the column: laid along a turned line
            line, line_m = turned_line(line), m @ TURN_BACK
        runs = line_runs(line)
        if not runs:
            continue
        out.append("BT\n3 Tr")
        placed = [run_matrix(line_m, x0, x1, line.box[1], line.box[3]) for _, x0, x1 in runs]
        level = _level(placed)
        for (text, _, _), (cos, sin, e, f, size, tz) in zip(runs, placed, strict=True):
            if level is not None:  # on one level baseline: see LEVEL_ANGLE
                cos, sin, f = 1.0, 0.0, level
            out.append(
                f"/F1 {_num(size)} Tf {_num(tz)} Tz "
                f"{_num(cos, 6)} {_num(sin, 6)} {_num(-sin, 6)} {_num(cos, 6)} "
                f"{_num(e)} {_num(f)} Tm <{to_codes(text).hex()}> Tj"
            )
        out.append("ET")
    return ("\n".join(out) + "\n").encode("ascii") if out else b""


#: From a column's turned frame (:func:`turned_line`) back to the page: (x, y) -> (-y, x).
TURN_BACK = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def is_column(line: LineResult) -> bool:
    """A line of a vertical page (:mod:`ocr_pipeline.vertical`): several characters
    stacked top to bottom in a box at least twice as tall as wide."""
    x0, y0, x1, y1 = line.box
    tops = [c.box[1] for c in line.chars]
    return len(tops) > 1 and y1 - y0 >= 2 * (x1 - x0) and tops == sorted(tops)


def turned_line(line: LineResult) -> LineResult:
    """A column as a line of the page turned a quarter left about the origin, boxes
    (x0, y0, x1, y1) -> (y0, -x1, y1, -x0): the inverse of :data:`TURN_BACK`."""

    def turn(b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return (b[1], -b[2], b[3], -b[0])

    chars = [dataclasses.replace(c, box=turn(c.box)) for c in line.chars]
    return dataclasses.replace(line, box=turn(line.box), chars=chars)


#: A line turned by at most this many degrees is written level, its characters at their
#: own x on one baseline (its runs' mean): poppler (pdftotext, Evince, Okular) puts the
#: glyphs of a line turned 1 degree on baselines that drift apart and cuts the line in
#: two, sorting the halves by height (a scanned page's pdftotext 0.79 similar to the text
#: read, pypdfium2's 1.00); OCRmyPDF's own renderer writes lines level too. A page
#: turned further keeps its text turned with it.
LEVEL_ANGLE = 2.0


def _level(placed: list[tuple[float, float, float, float, float, float]]) -> float | None:
    """The baseline (PDF y) for a line's runs ``(cos, sin, e, f, size, tz)`` when it is
    turned by at most :data:`LEVEL_ANGLE` degrees, else None."""
    cos, sin = placed[0][0], placed[0][1]
    if abs(math.degrees(math.atan2(sin, cos))) > LEVEL_ANGLE:
        return None
    return sum(p[3] for p in placed) / len(placed)


def _num(value: float, digits: int = 3) -> str:
    """A PDF number: fixed point, no trailing zeros, never ``-0``."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- page images -------------------------------------------------------------------------


@dataclass
class ImageStream:
    """A page image as an image XObject: its dictionary entries and encoded bytes."""

    entries: str
    data: bytes


def encode_page_image(pixels: np.ndarray) -> ImageStream:
    """Encode a page image for the PDF: lossless (PNG's predictors in a Flate stream)
    unless a JPEG is more than :data:`LOSSLESS_MAX_RATIO` times smaller.

    Args:
        pixels: uint8 (H, W) gray or (H, W, 3) RGB.
    """
    from PIL import Image

    img = Image.fromarray(pixels)
    colours = 1 if pixels.ndim == 2 else 3
    space = "/DeviceGray" if colours == 1 else "/DeviceRGB"
    h, w = pixels.shape[:2]
    head = f"/Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace {space} "
    head += "/BitsPerComponent 8"
    png, jpeg = io.BytesIO(), io.BytesIO()
    img.save(png, format="PNG", compress_level=6)
    img.save(jpeg, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    idat = b"".join(_png_idat(png.getvalue()))
    if len(idat) <= LOSSLESS_MAX_RATIO * jpeg.tell():
        parms = f"/Predictor 15 /Colors {colours} /BitsPerComponent 8 /Columns {w}"
        parms = f"/DecodeParms << {parms} >>"
        return ImageStream(f"{head} /Filter /FlateDecode {parms}", idat)
    return ImageStream(f"{head} /Filter /DCTDecode", jpeg.getvalue())


def _png_idat(png: bytes) -> Iterator[bytes]:
    """The IDAT chunks' data of a PNG: a zlib stream of filtered rows, which PDF's
    FlateDecode with /Predictor 15 reads as it is."""
    i = 8
    while i + 8 <= len(png):
        length = int.from_bytes(png[i : i + 4], "big")
        kind = png[i + 4 : i + 8]
        if kind == b"IDAT":
            yield png[i + 8 : i + 8 + length]
        i += 12 + length


# --- the document ------------------------------------------------------------------------


class PdfWriter:
    """Writes a PDF page by page to a binary stream.

    >>> out = io.BytesIO()
    >>> w = PdfWriter(out)
    >>> w.close(); out.getvalue().startswith(b"%PDF-1.5")   # no page: an empty document
    True

    Args:
        stream: binary, written in order (never sought).
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.offsets: dict[int, int] = {}
        self.page_ids: list[int] = []
        self.next_id = _FIRST_FREE
        self.written = 0
        self._write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        self._object(_CATALOG, f"<< /Type /Catalog /Pages {_PAGES} 0 R >>")
        self._fonts()

    @property
    def pages(self) -> int:
        """Pages written so far."""
        return len(self.page_ids)

    def page(
        self,
        page: PageResult,
        dpi: tuple[float, float],
        image: np.ndarray | None,
        size_px: tuple[int, int] | None = None,
    ) -> None:
        """Write one page and flush: the image (if any) filling it, the text over it.

        Args:
            page: the page read.
            dpi: (x, y) pixels per inch of the input image; the page is its size at it.
            image: uint8 (H, W) or (H, W, 3) input image, or None for a text-only page
                (OCRmyPDF's sandwich renderer lays it over the original).
            size_px: (W, H) of the input image when ``image`` is None; default the
                page's own.
        """
        w_px, h_px = (
            (image.shape[1], image.shape[0])
            if image is not None
            else (size_px or (page.width, page.height))
        )
        to_points = pixels_to_points(dpi, h_px)
        w_pt, h_pt = w_px * 72.0 / dpi[0], h_px * 72.0 / dpi[1]
        content = text_layer(page, to_points)
        resources = f"/Font << /F1 {_FONT} 0 R >>"
        if image is not None:
            img = encode_page_image(image)
            img_id = self._new_id()
            self._stream(img_id, img.entries, img.data)
            resources += f" /XObject << /Im1 {img_id} 0 R >>"
            content = f"q {_num(w_pt)} 0 0 {_num(h_pt)} 0 0 cm /Im1 Do Q\n".encode() + content
        content_id, page_id = self._new_id(), self._new_id()
        self._stream(content_id, "/Filter /FlateDecode", zlib.compress(content, 6))
        self._object(
            page_id,
            f"<< /Type /Page /Parent {_PAGES} 0 R /MediaBox [0 0 {_num(w_pt)} {_num(h_pt)}] "
            f"/Resources << {resources} >> /Contents {content_id} 0 R >>",
        )
        self.page_ids.append(page_id)
        self.stream.flush()

    def close(self) -> None:
        """Write the page tree, the cross-reference table and the trailer."""
        kids = " ".join(f"{i} 0 R" for i in self.page_ids)
        self._object(_PAGES, f"<< /Type /Pages /Kids [{kids}] /Count {len(self.page_ids)} >>")
        info = self._new_id()
        self._object(info, f"<< /Producer ({PRODUCER}) >>")
        xref = self.written
        n = self.next_id
        rows = [f"xref\n0 {n}\n0000000000 65535 f \n"]
        rows += [f"{self.offsets[i]:010d} 00000 n \n" for i in range(1, n)]
        rows.append(f"trailer\n<< /Size {n} /Root {_CATALOG} 0 R /Info {info} 0 R >>\n")
        rows.append(f"startxref\n{xref}\n%%EOF\n")
        self._write("".join(rows).encode("ascii"))
        self.stream.flush()

    def _fonts(self) -> None:
        """The Type0 font, shared by every page; the same objects Tesseract writes."""
        self._object(
            _FONT,
            f"<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H "
            f"/DescendantFonts [{_CIDFONT} 0 R] /ToUnicode {_TOUNICODE} 0 R >>",
        )
        self._object(
            _CIDFONT,
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {_DESCRIPTOR} 0 R /CIDToGIDMap {_CIDTOGID} 0 R /DW 1000 >>",
        )
        self._object(
            _DESCRIPTOR,
            "<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 "
            "/FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 1000 /Descent -1 "
            f"/CapHeight 1000 /StemV 80 /FontFile2 {_FONTFILE} 0 R >>",
        )
        font = glyphless_font()
        self._stream(
            _FONTFILE, f"/Filter /FlateDecode /Length1 {len(font)}", zlib.compress(font, 9)
        )
        self._stream(_CIDTOGID, "/Filter /FlateDecode", zlib.compress(b"\x00\x01" * 65536, 9))
        self._stream(_TOUNICODE, "", to_unicode_cmap())

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def _object(self, obj_id: int, body: str) -> None:
        self.offsets[obj_id] = self.written
        self._write(f"{obj_id} 0 obj\n{body}\nendobj\n".encode("latin-1"))

    def _stream(self, obj_id: int, entries: str, data: bytes) -> None:
        self.offsets[obj_id] = self.written
        head = f"{obj_id} 0 obj\n<< {entries} /Length {len(data)} >>\nstream\n"
        self._write(head.encode("latin-1") + data + b"\nendstream\nendobj\n")

    def _write(self, data: bytes) -> None:
        self.stream.write(data)
        self.written += len(data)


def to_unicode_cmap() -> bytes:
    """The ToUnicode CMap: every 2-byte code to the same UTF-16 code unit.

    Ranges vary only in their last byte, as the CMap format asks, 100 to a block;
    the surrogates map to themselves, so a character outside the BMP, written as its
    two code units, is extracted whole.
    """
    ranges = [f"<{hi:02X}00> <{hi:02X}FF> <{hi:02X}00>" for hi in range(256)]
    blocks = []
    for k in range(0, len(ranges), 100):
        part = ranges[k : k + 100]
        blocks.append(f"{len(part)} beginbfrange\n" + "\n".join(part) + "\nendbfrange")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CIDInit /ProcSet findresource pop end\nend\n"
    ).encode("ascii")


def text_only_page(page: PageResult, dpi: tuple[float, float], size_px: tuple[int, int]) -> bytes:
    """A one-page PDF of the invisible text alone, the size of the input image at ``dpi``
    (what OCRmyPDF's sandwich renderer grafts onto the original page).

    Args:
        page: the page read.
        dpi: (x, y) pixels per inch of the input image.
        size_px: (W, H) of the input image.
    """
    out = io.BytesIO()
    writer = PdfWriter(out)
    writer.page(page, dpi, None, size_px)
    writer.close()
    return out.getvalue()


def image_dpi(page: Page) -> tuple[float, float]:
    """The (x, y) resolution of an input page: its own (a PDF page's rendering
    resolution, an image's metadata, read here by Pillow when the fast decoder did
    not), else :data:`DEFAULT_DPI`."""
    if page.dpi is not None:
        return page.dpi
    from PIL import Image

    from ocr_pipeline.images import plausible_dpi

    try:
        with Image.open(page.source) as img:
            img.seek(page.number - 1)
            dpi = plausible_dpi(img.info.get("dpi"))
    except Exception:  # noqa: BLE001 - the page was read; its resolution is a nicety
        dpi = None
    return dpi or (DEFAULT_DPI, DEFAULT_DPI)


class PdfPageWriter:
    """``pageocr read --format pdf``: the pages read, written as they come, with
    :class:`ocr_pipeline.formats.PageWriter`'s interface (``page``, ``error``, ``close``).

    Args:
        stream: binary; flushed after every page.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.pdf = PdfWriter(stream)
        self.errors: list[dict] = []

    @property
    def pages(self) -> int:
        return self.pdf.pages

    def page(self, p: PageResult, source: Page | None = None, name: str | None = None) -> None:
        """Write the page ``p`` read from the input page ``source`` (its image and dpi);
        ``name`` (the text format's page header) has no place in a PDF."""
        if source is None:
            raise ValueError("the pdf format needs the input page")
        self.pdf.page(p, image_dpi(source), source.gray)

    def error(self, source: str, message: str) -> None:
        """Note an input that could not be read (the PDF has no place for it)."""
        self.errors.append({"source": source, "error": message})

    def close(self) -> None:
        self.pdf.close()
