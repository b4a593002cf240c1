"""Loading inputs: image files (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM) and PDFs, as grayscale pages.

Every failure becomes an :class:`InputError` with a one-line reason: a missing
file, a FIFO, device or folder, a name too long, a folder that may not be
searched, a corrupt or truncated image, a file that is not an image in a format
read here, an image above the pixel limit, a PDF that cannot be opened or a page
range it does not have.

Only regular files are opened (a FIFO or ``/dev/zero`` would block or never
end), and images only by the Pillow plugins of :data:`PILLOW_FORMATS`: Pillow
would otherwise hand an EPS file, whatever its name, to Ghostscript.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import stat
import struct
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from PIL import Image

#: Largest page read, in pixels: an A4 page at 600 dpi is 4961 x 7016 = 34.8 M. Reading
#: takes ~21 bytes a pixel at its peak (a blank 6000 x 6000 page: 0.84 GB), so this
#: keeps one page under ~0.9 GB. Larger images are refused; a PDF page that would be
#: larger is rendered at the highest resolution that fits. ``--max-pixels`` changes it.
MAX_PIXELS = 36_000_000
#: Largest input file opened, in bytes.
MAX_FILE_BYTES = 1 << 30
#: Largest input read from a stream (standard input), in bytes: it is copied to a
#: temporary file before it is read.
MAX_STREAM_BYTES = 256 << 20
#: The Pillow plugins images are opened with, and no other (never EPS, whose plugin
#: runs Ghostscript). JPEG's also opens MPO, the JPEG variant some cameras write.
PILLOW_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP", "GIF", "PPM")
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
    """An input file that cannot be read as an image or PDF.

    Args:
        reason: what is wrong, in a few words.
        path: the file, if the error is about one; ``str(err)`` is then
            ``"PATH: reason"``.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None = None) -> None:
        self.reason = reason
        self.path = None if path is None else str(path)
        super().__init__(reason if path is None else f"{path}: {reason}")


@dataclass
class Page:
    """One page of an input: grayscale pixels and where they came from."""

    gray: np.ndarray  # uint8 (H, W)
    source: str
    number: int = 1  # 1-based page number within the source
    #: something the reader should be told about this page (e.g. a lowered resolution)
    note: str | None = None
    #: (x, y) pixels per inch: a PDF page's rendering resolution, an image's own
    #: if Pillow read it and it has one; None when not known
    dpi: tuple[float, float] | None = None


def check_file(path: Path) -> os.stat_result:
    """The ``stat`` of ``path`` if it is a regular file that may be read.

    Raises:
        InputError: missing, a folder, a FIFO, device or socket, larger than
            :data:`MAX_FILE_BYTES`, or not reachable (name too long, a folder on the
            way that may not be searched).
    """
    try:
        st = path.stat()
    except OSError as err:
        raise InputError(_os_reason(err), path) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a folder, not an image or PDF", path)
    if not stat.S_ISREG(st.st_mode):
        kind = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a device or socket"
        raise InputError(f"is {kind}, not a regular file; only files are read", path)
    if st.st_size > MAX_FILE_BYTES:
        raise InputError(f"is larger than {MAX_FILE_BYTES >> 20} MB", path)
    if not os.access(path, os.R_OK):
        raise InputError("permission denied", path)
    return st


def _os_reason(err: OSError) -> str:
    """A short reason for an ``OSError`` on a path: ``"no such file"``, ``"file name
    too long"``, ``"permission denied"``..."""
    if err.errno in (errno.ENOENT, errno.ENOTDIR):
        return "no such file"
    return (err.strerror or str(err)).lower()


def is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(5) == b"%PDF-"
    except OSError:
        return False


def load_pages(
    path: str | os.PathLike,
    dpi: int = 200,
    pages: Iterable[int] | None = None,
    max_pixels: int = MAX_PIXELS,
) -> Iterator[Page]:
    """Yield the pages of an image or PDF file as grayscale arrays, one at a time.

    Args:
        path: the file.
        dpi: rasterisation resolution for PDFs.
        pages: 1-based page numbers to keep (PDFs and multi-page TIFFs), a list or
            :class:`PageRanges`; None for all.
        max_pixels: the largest page; a larger image is refused, a larger PDF page
            rendered at the resolution that fits (``Page.note`` says so).

    Raises:
        InputError: the file is missing, not a regular file, unreadable, corrupt,
            not an image or too large; or a page asked for is not there.
    """
    path = Path(path)
    check_file(path)
    if is_pdf(path):
        yield from _pdf_pages(path, dpi, pages, max_pixels)
    else:
        yield from _image_pages(path, pages, max_pixels)


def load_bytes(
    data: bytes,
    dpi: int = 200,
    pages: Iterable[int] | None = None,
    max_pixels: int = MAX_PIXELS,
    name: str = "<bytes>",
) -> Iterator[Page]:
    """Yield the pages of an image or PDF file's contents, as :func:`load_pages` does.

    The bytes go through the same loader as a file (same checks, decoders and
    errors): they are written to a temporary file, removed when the generator ends.

    Args:
        data: the whole file, e.g. an upload or ``path.read_bytes()``.
        dpi, pages, max_pixels: as for :func:`load_pages`.
        name: what ``Page.source`` and error messages call the input.

    Raises:
        InputError: as :func:`load_pages`, naming the input ``name``.
    """
    with _spool() as path:
        path.write_bytes(data)
        yield from _named(load_pages(path, dpi, pages, max_pixels), name)


def load_stream(
    stream: IO[bytes],
    dpi: int = 200,
    pages: Iterable[int] | None = None,
    max_pixels: int = MAX_PIXELS,
    name: str = "<stdin>",
    limit: int = MAX_STREAM_BYTES,
) -> Iterator[Page]:
    """Yield the pages of an image or PDF file read from ``stream`` (a pipe), as
    :func:`load_pages` does.

    The stream is copied to a temporary file a megabyte at a time (memory holds
    one chunk): refused after its first bytes unless they begin an image or PDF
    (``cat /dev/zero | pageocr read -`` stops at once), and once it passes
    ``limit`` bytes.

    Raises:
        InputError: as :func:`load_pages`, naming the input ``name``; or the stream
            does not start as an image or PDF, or is longer than ``limit``.
    """
    head = _read_upto(stream, 8)
    if not _looks_loadable(head):
        raise InputError(
            "not an image or PDF pageocr reads (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM, PDF)"
            + ("; it is empty" if not head else ""),
            name,
        )
    with _spool() as path:
        with path.open("wb") as f:
            f.write(head)
            size = len(head)
            while chunk := stream.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    raise InputError(
                        f"is larger than {limit >> 20} MB, the most read from standard input; "
                        "give the file's path instead",
                        name,
                    )
                f.write(chunk)
        yield from _named(load_pages(path, dpi, pages, max_pixels), name)


def _read_upto(stream: IO[bytes], n: int) -> bytes:
    """Up to ``n`` bytes of ``stream``: fewer only at its end (a pipe gives what it has)."""
    data = b""
    while len(data) < n and (chunk := stream.read(n - len(data))):
        data += chunk
    return data


def _looks_loadable(head: bytes) -> bool:
    """Whether a file's first bytes begin a PDF or an image in a format read here."""
    pnm = len(head) > 2 and head[:1] == b"P" and head[1:2] in b"123456" and head[2:3].isspace()
    return head.startswith((b"%PDF-", *_SIGNATURES)) or pnm


@contextlib.contextmanager
def _spool() -> Iterator[Path]:
    """A path in a new temporary folder, removed with all in it at the end."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pageocr-") as tmp:
        yield Path(tmp) / "input"


def _named(pages: Iterator[Page], name: str) -> Iterator[Page]:
    """``pages`` with ``name`` as their source, and in their errors."""
    try:
        for page in pages:
            page.source = name
            yield page
    except InputError as err:
        raise InputError(err.reason, name) from None


def array_gray(image: np.ndarray, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A page held in memory as uint8 (H, W) gray.

    Args:
        image: uint8 (H, W) gray, (H, W, 1), (H, W, 3) BGR or (H, W, 4) BGRA (OpenCV's
            channel order); colour becomes gray as it does for an image file (Pillow's
            weights), transparency is flattened on white.
        max_pixels: the largest page, as for :func:`load_pages`.

    Raises:
        ValueError: an array of another dtype or shape, or larger than ``max_pixels``.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        kind = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"a page array must be uint8, not {kind}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if not (image.ndim == 2 or image.ndim == 3 and image.shape[2] in (3, 4)) or not image.size:
        raise ValueError(
            f"a page array must be (H, W) gray, (H, W, 3) BGR or (H, W, 4) BGRA; got {image.shape}"
        )
    if image.shape[0] * image.shape[1] > max_pixels:
        raise ValueError(
            f"a page of {image.shape[0] * image.shape[1]:,} pixels is larger than the limit "
            f"of {max_pixels:,} pixels"
        )
    if image.ndim == 2:
        return np.ascontiguousarray(image)
    from PIL import Image

    rgb = image[..., [2, 1, 0, 3] if image.shape[2] == 4 else [2, 1, 0]]
    return to_gray(
        Image.fromarray(np.ascontiguousarray(rgb), "RGBA" if rgb.shape[2] == 4 else "RGB")
    )


def _image_pages(path: Path, pages: Iterable[int] | None, max_pixels: int) -> Iterator[Page]:
    gray = _plain_image(path, max_pixels)
    if gray is not None:
        check_page_numbers(pages, 1, path)
        yield Page(gray, str(path), 1)
        return
    from PIL import Image

    img = _pillow_call(path, max_pixels, Image.open, path, formats=PILLOW_FORMATS)
    try:
        n = _pillow_call(path, max_pixels, lambda: getattr(img, "n_frames", 1))
        wanted = check_page_numbers(pages, n, path)
        for i in range(n):
            if i + 1 not in wanted:
                continue
            gray = _pillow_call(path, max_pixels, _frame, img, i, max_pixels)
            dpi = plausible_dpi(img.info.get("dpi"))
            if n == 1:
                img.close()  # the decoded image goes before the page is read
            yield Page(gray, str(path), i + 1, dpi=dpi)
            del gray
    finally:
        img.close()


def _frame(img: Image.Image, i: int, max_pixels: int) -> np.ndarray:
    from PIL import Image

    img.seek(i)
    if img.width * img.height > max_pixels:  # a later frame may be larger than the first
        raise Image.DecompressionBombError(f"({img.width * img.height} pixels)")
    return to_gray(img)


def _pillow_call(path: Path, max_pixels: int, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, with whatever Pillow's plugins raise on a bad file
    (OSError, SyntaxError, struct.error, IndexError, ...) turned into an InputError."""
    from PIL import Image, UnidentifiedImageError

    saved = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = max_pixels
        with warnings.catch_warnings(), _c_stderr_dropped():
            # a damaged file's warnings (corrupt EXIF, a tag past the end; libtiff's own
            # lines): the file either reads or fails with one error line
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return fn(*args, **kwargs)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        size = re.search(r"\((\d+) pixels\)", str(err))
        raise InputError(
            f"image{f' of {int(size[1]):,} pixels' if size else ''} is larger than the limit of "
            f"{max_pixels:,} pixels (refused as a possible decompression bomb; "
            "--max-pixels raises the limit)",
            path,
        ) from None
    except UnidentifiedImageError:
        if _has_image_signature(path):
            raise InputError("corrupt or truncated image", path) from None
        raise InputError(
            "not an image or PDF pageocr reads (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM, PDF)",
            path,
        ) from None
    except MemoryError:
        raise InputError("not enough memory to decode the image", path) from None
    except InputError:
        raise
    except Exception as err:  # noqa: BLE001 - a decoder's error, whatever its type
        raise InputError(
            f"corrupt or truncated image ({type(err).__name__}: {err})", path
        ) from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


@contextlib.contextmanager
def _c_stderr_dropped() -> Iterator[None]:
    """Within: what C libraries print on file descriptor 2 is dropped (libtiff prints
    "TIFFReadDirectory: Failed to read directory ..." on a damaged TIFF, whatever
    Pillow then raises). Python's stderr is flushed first; another thread's output in
    the meantime would be dropped too, so the calls within are kept short (one decode)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no descriptor 2
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM", b"RIFF")
#: JPEG start-of-frame markers, which hold the image's size.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _plain_image(path: Path, max_pixels: int = MAX_PIXELS) -> np.ndarray | None:
    """The grayscale pixels of a plain PNG or JPEG, decoded by OpenCV, else None.

    Plain: a complete file (PNG's IEND, JPEG's end marker), 8-bit gray or colour
    without transparency (PNG), grayscale without EXIF orientation to apply (JPEG),
    within ``max_pixels``.  Screenshots and scans are, and OpenCV reads
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
    if len(head) < 33:  # shorter than a PNG's signature and header: Pillow says why
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
    if not 0 < width * height <= max_pixels:
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
    bgr = cast("npt.NDArray[np.uint8]", pixels)  # OpenCV's stubs allow any numeric Mat
    return ((bgr @ weights + 0x8000) >> 16).astype(np.uint8)


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
    try:
        with path.open("rb") as f:
            return f.read(4).startswith(_SIGNATURES)
    except OSError:
        return False


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


def plausible_dpi(value) -> tuple[float, float] | None:
    """An image's (x, y) resolution from Pillow's ``info["dpi"]``, if it is a plausible
    one (36 to 4800 dpi: some files hold 0 or 1, meaning "not known")."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (x, y) if 36 <= x <= 4800 and 36 <= y <= 4800 else None


def check_page_numbers(
    pages: Iterable[int] | None, n: int, path: str | os.PathLike
) -> Iterable[int]:
    """The pages wanted of a document of ``n`` pages, all of them there.

    Raises:
        InputError: a page asked for that the document does not have.
    """
    if pages is None:
        return range(1, n + 1)
    if not isinstance(pages, PageRanges):
        pages = PageRanges(tuple((p, p) for p in pages))
    missing = pages.first_above(n)
    if missing is not None:
        raise InputError(f"has {n} page(s); no page {missing}", path)
    return pages


def _pdf_pages(
    path: Path, dpi: int, pages: Iterable[int] | None, max_pixels: int
) -> Iterator[Page]:
    """The pages of a PDF, each rendered when it is asked for and released after."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as err:
        if getattr(err, "err_code", None) == pdfium.raw.FPDF_ERR_PASSWORD:
            raise InputError(
                "is password-protected: cannot open it without the password", path
            ) from None
        raise InputError(f"cannot open PDF ({err})", path) from None
    try:
        wanted = check_page_numbers(pages, len(pdf), path)
        for i in range(len(pdf)):
            if i + 1 not in wanted:
                continue
            arr, note, scale = _render_pdf_page(pdf, i, dpi, max_pixels, path)
            yield Page(arr, str(path), i + 1, note, (72 * scale, 72 * scale))
            del arr
    except pdfium.PdfiumError as err:
        raise InputError(f"cannot render PDF ({err})", path) from None
    finally:
        pdf.close()


def _render_pdf_page(pdf, i: int, dpi: int, max_pixels: int, path: Path):
    """Page ``i`` (0-based) as uint8 (H, W), at ``dpi`` or, if that would exceed
    ``max_pixels``, at the highest resolution that fits; a note if lowered; and the
    scale from points to pixels it was rendered at."""
    page = pdf[i]
    try:
        w, h = page.get_size()
        if not (w > 0 and h > 0):
            raise InputError(f"page {i + 1} has no size ({w} x {h} pt)", path)
        scale, note = dpi / 72, None
        if w * h * scale**2 > max_pixels:
            scale = math.sqrt(max_pixels / (w * h)) * 0.999
            if scale * 72 < 36:
                raise InputError(
                    f"page {i + 1} ({w:.0f} x {h:.0f} pt) is too large to read "
                    f"within {max_pixels:,} pixels (--max-pixels)",
                    path,
                )
            note = (
                f"page {i + 1} at {dpi} dpi would exceed {max_pixels:,} pixels; "
                f"read at {scale * 72:.0f} dpi"
            )
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            with warnings.catch_warnings():  # its size is checked above, whatever Pillow's cap
                warnings.simplefilter("ignore")
                arr = np.asarray(bitmap.to_pil().convert("L"), np.uint8).copy()
        finally:
            bitmap.close()
    finally:
        page.close()
    return arr, note, scale


@dataclass(frozen=True)
class PageRanges:
    """Page numbers as inclusive ranges ``((lo, hi), ...)``, never expanded into a list,
    so ``1-99999999999`` costs nothing until it is checked against a document."""

    ranges: tuple[tuple[int, int], ...]

    def __contains__(self, page: object) -> bool:
        return any(lo <= page <= hi for lo, hi in self.ranges)  # type: ignore[operator]

    def __iter__(self) -> Iterator[int]:
        """The pages in document order, each once."""
        for p in range(min(lo for lo, _ in self.ranges), max(hi for _, hi in self.ranges) + 1):
            if p in self:
                yield p

    def first_above(self, n: int) -> int | None:
        """The first page asked for that a document of ``n`` pages does not have."""
        missing = [max(lo, n + 1) for lo, hi in self.ranges if hi > n]
        return min(missing) if missing else None


def parse_pages(spec: str | None) -> PageRanges | None:
    """``"1,3-5"`` -> the ranges 1 and 3-5 (``list()`` gives [1, 3, 4, 5]); None or
    empty -> None (all pages)."""
    if not spec:
        return None
    out: list[tuple[int, int]] = []
    try:
        for part in spec.split(","):
            a, _, b = part.strip().partition("-")
            lo = int(a)
            hi = int(b) if b else lo
            if lo < 1 or hi < lo:
                raise ValueError
            out.append((lo, hi))
    except ValueError:
        raise InputError(f"bad page list {spec!r}; write e.g. 1,3-5") from None
    return PageRanges(tuple(out))


def expand_inputs(paths: Sequence[str | os.PathLike]) -> tuple[list[Path], list[InputError]]:
    """Files given, with folders replaced by their image/PDF files in natural name order.

    Only regular files inside a folder are taken. Returns the files and the errors
    of folders that could not be listed; a path that is not a folder is kept as
    given, for the loader to check.
    """
    out: list[Path] = []
    errors: list[InputError] = []
    for p in map(Path, paths):
        try:
            is_dir = stat.S_ISDIR(p.stat().st_mode)
        except OSError:
            is_dir = False  # the loader reports it
        if not is_dir:
            out.append(p)
            continue
        try:
            files = [f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES + (".pdf",)]
        except OSError as err:
            errors.append(InputError(f"cannot list folder: {_os_reason(err)}", p))
            continue
        out.extend(sorted((f for f in files if _is_regular(f)), key=natural_key))
    return out, errors


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def natural_key(path: Path) -> list:
    """Sort key putting ``2.png`` before ``10.png``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]
