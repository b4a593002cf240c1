"""Loading inputs: image files (PNG, JPEG, TIFF, WebP, BMP, GIF) and PDFs, as grayscale pages.

Every failure becomes an :class:`InputError` with a one-line reason: a missing
file, a corrupt or truncated image, a file that is not an image, a
decompression bomb, a PDF that cannot be opened or a page range it does not have.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image

#: Largest image accepted, in pixels (a 600-dpi A3 scan is ~70 M).
MAX_PIXELS = 120_000_000
IMAGE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".webp",
    ".bmp",
    ".gif",
    ".pbm",
    ".pgm",
    ".ppm",
)


class InputError(ValueError):
    """An input file that cannot be read as an image or PDF."""


@dataclass
class Page:
    """One page of an input: grayscale pixels and where they came from."""

    gray: np.ndarray  # uint8 (H, W)
    source: str
    number: int = 1  # 1-based page number within the source


def is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(5) == b"%PDF-"
    except OSError:
        return False


def load_pages(
    path: str | os.PathLike, dpi: int = 200, pages: Sequence[int] | None = None
) -> Iterator[Page]:
    """Yield the pages of an image or PDF file as grayscale arrays.

    Args:
        path: the file.
        dpi: rasterisation resolution for PDFs.
        pages: 1-based page numbers to keep (PDFs and multi-page TIFFs); None for all.

    Raises:
        InputError: the file is missing, unreadable, corrupt, not an image or too large.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an image or PDF")
    if is_pdf(path):
        yield from _pdf_pages(path, dpi, pages)
    else:
        yield from _image_pages(path, pages)


def _image_pages(path: Path, pages: Sequence[int] | None) -> Iterator[Page]:
    gray = _plain_image(path)
    if gray is not None:
        _check_pages(pages, 1, path)
        yield Page(gray, str(path), 1)
        return
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path)
            n = getattr(img, "n_frames", 1)
            wanted = _check_pages(pages, n, path)
            for i in range(n):
                if i + 1 not in wanted:
                    continue
                img.seek(i)
                yield Page(to_gray(img), str(path), i + 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"{path}: image is larger than {MAX_PIXELS:,} pixels "
            "(refused as a possible decompression bomb)"
        ) from None
    except UnidentifiedImageError:
        if _has_image_signature(path):
            raise InputError(f"{path}: corrupt or truncated image") from None
        raise InputError(f"{path}: not an image or PDF file pageocr can read") from None
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(f"{path}: corrupt or truncated image ({err})") from None


_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM", b"RIFF")
#: JPEG start-of-frame markers, which hold the image's size.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _plain_image(path: Path) -> np.ndarray | None:
    """The grayscale pixels of a plain PNG or JPEG, decoded by OpenCV, else None.

    Plain: a complete file (PNG's IEND, JPEG's end marker), 8-bit gray or colour
    without transparency (PNG), grayscale without EXIF orientation to apply (JPEG),
    within ``MAX_PIXELS``.  Screenshots and scans are, and OpenCV reads
    them in a third of the time Pillow takes to import and decode them (~15 against
    ~60 ms per page here).  Anything else, broken files included, goes to Pillow,
    whose errors and conversions (transparency on white, 16-bit stretched, EXIF
    orientation) stay the reference.
    """
    try:
        with path.open("rb") as f:
            head = f.read(1 << 16)
            f.seek(max(path.stat().st_size - 16, 0))
            tail = f.read()
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        depth, kind = head[24], head[25]
        if depth != 8 or kind not in (0, 2) or b"tRNS" in head:
            return None
        colour = kind == 2
        if not tail.endswith(b"IEND\xaeB`\x82"):
            return None
    elif head.startswith(b"\xff\xd8\xff"):
        size, colour = _jpeg_gray_size(head), False
        if (
            size is None
            or b"Exif\x00\x00" in head
            or not tail.rstrip(b"\x00").endswith(b"\xff\xd9")
        ):
            return None
        width, height = size
    else:
        return None
    if not 0 < width * height <= MAX_PIXELS:
        return None
    import cv2

    from recognizer.runtime import quiet_stderr

    with quiet_stderr():  # libpng reports a broken file on fd 2; Pillow then explains it
        pixels = cv2.imread(str(path), cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE)
    if pixels is None or pixels.shape[:2] != (height, width):
        return None
    if not colour:
        return pixels
    # Pillow's RGB to L, rounding included, so both paths give the same pixels
    weights = np.array([7471, 38470, 19595], np.uint32)  # B, G, R in 1/65536
    return ((pixels @ weights + 0x8000) >> 16).astype(np.uint8)


def _jpeg_gray_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the start-of-frame segment of a grayscale JPEG's first
    bytes ``data``; None if it is not there or the JPEG has colour (its decoders
    differ in upsampling the chroma, so Pillow reads those)."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return (width, height) if data[i + 9] == 1 else None
        i += 2 + length
    return None


def _has_image_signature(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4).startswith(_SIGNATURES)


def to_gray(img: Image.Image) -> np.ndarray:
    """Grayscale uint8 (H, W) from any PIL mode; transparency is flattened on white."""
    from PIL import Image, ImageOps

    img.load()
    img = ImageOps.exif_transpose(img) or img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, np.float64)
        lo, hi = float(a.min()), float(a.max())
        return ((a - lo) * (255.0 / max(hi - lo, 1e-9))).astype(np.uint8)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    return np.asarray(img.convert("L"), np.uint8).copy()


def _check_pages(pages: Sequence[int] | None, n: int, path: Path) -> set[int]:
    if pages is None:
        return set(range(1, n + 1))
    bad = [p for p in pages if not 1 <= p <= n]
    if bad:
        raise InputError(f"{path}: has {n} page(s); no page {bad[0]}")
    return set(pages)


def _pdf_pages(path: Path, dpi: int, pages: Sequence[int] | None) -> Iterator[Page]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        raise InputError(f"{path}: cannot open PDF ({err})") from None
    try:
        wanted = _check_pages(pages, len(pdf), path)
        for i in range(len(pdf)):
            if i + 1 not in wanted:
                continue
            page = pdf[i]
            w, h = page.get_size()
            if w * h * (dpi / 72) ** 2 > MAX_PIXELS:
                raise InputError(f"{path}: page {i + 1} at {dpi} dpi exceeds {MAX_PIXELS:,} pixels")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            arr = np.asarray(bitmap.to_pil().convert("L"), np.uint8).copy()
            yield Page(arr, str(path), i + 1)
    except pdfium.PdfiumError as err:
        raise InputError(f"{path}: cannot render PDF ({err})") from None
    finally:
        pdf.close()


def parse_pages(spec: str | None) -> list[int] | None:
    """``"1,3-5"`` -> [1, 3, 4, 5]; None or empty -> None (all pages)."""
    if not spec:
        return None
    out: list[int] = []
    try:
        for part in spec.split(","):
            a, _, b = part.strip().partition("-")
            lo = int(a)
            hi = int(b) if b else lo
            if lo < 1 or hi < lo:
                raise ValueError
            out.extend(range(lo, hi + 1))
    except ValueError:
        raise InputError(f"bad page list {spec!r}; write e.g. 1,3-5") from None
    return out


def expand_inputs(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Files given, with folders replaced by their image/PDF files in natural name order."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = [
                f
                for f in p.iterdir()
                if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES + (".pdf",)
            ]
            out.extend(sorted(files, key=natural_key))
        else:
            out.append(p)
    return out


def natural_key(path: Path) -> list:
    """Sort key putting ``2.png`` before ``10.png``."""
    import re

    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]
