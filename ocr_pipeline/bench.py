"""Benchmarks: page accuracy against Tesseract (``bench pages``) and speed (``bench speed``).

``bench pages`` renders pages of real Chinese prose and measures the character error
rate (CER) and seconds per page of ``pageocr read`` and of Tesseract 5 (``chi_sim``)
on the very same images.

* Text: paragraphs of Debian's manpages-zh (``/usr/share/man/zh_CN``), roff markup
  stripped, kept only when mostly hanzi and entirely inside the default charset
  (``gb2312-1+ascii+punct``) and the page fonts.  This text is for evaluation only:
  training never sees it (training renders single characters from fonts, see
  :mod:`recognizer.render`), so page CER measures reading of unseen prose.
* Fonts: the held-out families only (LXGW WenKai, AR PL SungtiL GB, WenQuanYi Zen Hei
  for hanzi, rotating per page; Liberation Serif for ASCII runs).
* Variants of each page: ``page150`` (clean A4 at 150 dpi, 12 pt body), ``screen96``
  (the same text at 96-dpi screenshot scale, 15 px) and ``scan`` (``page150`` rotated,
  blurred, noisy, unevenly lit and saved as JPEG).

``bench speed`` measures crops/s of each model artefact and runtime, wall time and peak
RSS of a ``pageocr read`` process, and the disk size of a base install.

The module imports only the standard library and typer at load time, because the
command line imports it on every start; numpy and PIL are imported where needed.
"""

from __future__ import annotations

import compileall
import functools
import gzip
import json
import logging
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ocr_pipeline.screens import LOCALE_DIR

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from PIL import Image, ImageFont

log = logging.getLogger(__name__)

bench_app = typer.Typer(no_args_is_help=True)

MAN_DIR = Path("/usr/share/man/zh_CN")
CHARSET_SPEC = "gb2312-1+ascii+punct"

#: Hanzi faces of the pages (held out from training), rotated page by page.
CJK_FACES = (
    ("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
LATIN_FACE = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"

VARIANTS = ("page150", "screen96", "scan")
#: JPEG quality of the scan variant.
JPEG_QUALITY = 60
#: Longest first paragraph of a page set as a heading.
MAX_HEADING = 40
ENGINES = ("pageocr", "tesseract")

# --------------------------------------------------------------------------- roff


#: Special characters ``\(xx`` / ``\[xx]`` given their plain form; others are dropped.
SPECIAL_CHARS = {
    "lq": "“", "rq": "”", "oq": "‘", "cq": "’", "dq": '"', "aq": "'", "em": "—",
    "en": "-", "hy": "-", "mi": "-", "bu": "•", "ul": "_", "bv": "|", "ti": "~",
    "rs": "\\", "sl": "/", "+-": "±", "mu": "×", "di": "÷", "->": "→", "<-": "←",
    "co": "©", "de": "°", "ha": "^",
}  # fmt: skip

#: Predefined strings ``\*(xx`` (man and pod2man); others are dropped.
STRINGS = {'L"': "“", 'R"': "”", "lq": "“", "rq": "”", "Aq": "'", "--": "-",
           "C`": '"', "C'": '"', "Tm": "™"}  # fmt: skip

#: One-character escapes with a visible form; every other ``\X`` is dropped
#: (``\&``, ``\|``, ``\^``, ``\,``, ``\/``, ``\%``, ``\c``, ``\\`` ...).
SIMPLE_ESCAPES = {"-": "-", "e": "\\", " ": " ", "~": " ", "0": " ", "'": "'", "`": "`",
                  ".": "."}  # fmt: skip

_ESCAPE = re.compile(
    r"""\\(?:
      ["\#].*$                              # comment to end of line
    | f(?:\(..|\[[^\]]*\]|.)                # font change: \fB \fI \fR \fP \f(CW \f[B]
    | s(?:[-+]?\d|\(\d\d|\[[^\]]*\])        # size change
    | [hHvVlLwoxDbNZSXC]'[^']*'             # escapes with a quoted argument
    | \*(?:\((?P<str2>..)|\[(?P<strn>[^\]]*)\]|(?P<str1>.))  # predefined string
    | \((?P<sp2>..)                         # special character \(xx
    | \[(?P<spn>[^\]]*)\]                   # special character \[name]
    | [nkg$](?:\(..|\[[^\]]*\]|.)           # registers, macro arguments
    | (?P<one>.)                            # anything else: \- \& \\ \e ...
    | $                                     # trailing backslash: line continuation
    )""",
    re.X,
)

#: Blocks skipped whole: start request -> end request.
_SKIP_BLOCKS = {"de": "..", "ig": "..", "TS": ".TE", "EQ": ".EN", "am": ".."}


def _escape(m: re.Match) -> str:
    """Plain text of one roff escape."""
    string = m.group("str2") or m.group("strn") or m.group("str1")
    if string is not None:
        return STRINGS.get(string, "")
    special = m.group("sp2") or m.group("spn")
    if special is not None:
        if re.fullmatch(r"u[0-9A-Fa-f]{4,6}", special):
            return chr(int(special[1:], 16))
        return SPECIAL_CHARS.get(special, "")
    if m.group("one") is not None:
        return SIMPLE_ESCAPES.get(m.group("one"), "")
    return ""


def strip_escapes(line: str) -> str:
    """Remove roff escapes from one text line, keeping what they print.

    ``\\fB``-style font changes, sizes, ``\\&``, ``\\|``, ``\\\\`` and the like vanish;
    ``\\-`` becomes ``-``, ``\\(lq`` ``“``, ``\\e`` a backslash, ``\\ `` a space.

    >>> strip_escapes(r"\\fB\\-\\-all\\fP 列出\\(lq全部\\(rq\\&")
    '--all 列出“全部”'
    """
    return _ESCAPE.sub(_escape, line)


def _is_wide(ch: str) -> bool:
    return ord(ch) > 0x2E7F


def join_lines(parts: Sequence[str]) -> str:
    """Join the input lines of one paragraph, as a Chinese reader would see them.

    Two lines meeting between wide (CJK) characters join without a space, any other
    junction with one; runs of whitespace become one space.
    """
    out = ""
    for part in (" ".join(p.split()) for p in parts):
        if not part:
            continue
        if out and not (_is_wide(out[-1]) and _is_wide(part[0])):
            out += " "
        out += part
    return out


def _request(line: str) -> str:
    """Name of the request or macro of a control line (``.TP`` -> ``TP``)."""
    body = line[1:].lstrip()
    return body.split(maxsplit=1)[0] if body else ""


def roff_paragraphs(source: str) -> list[str]:
    """Plain-text paragraphs of a man page source.

    Control lines (starting with ``.`` or ``'``) are dropped and end the current
    paragraph (comments excepted); the tag line after ``.TP`` is a paragraph of its
    own; each line of a no-fill block (``.nf``, ``.EX``) is a paragraph; macro
    definitions, tables and equations are skipped whole.

    Args:
        source: the roff text of a man page.

    Returns:
        Paragraphs with escapes removed and whitespace normalised, in page order.
    """
    paras: list[str] = []
    cur: list[str] = []
    skip_until, nofill, tag = "", False, False

    def flush() -> None:
        text = join_lines(cur)
        if text:
            paras.append(text)
        cur.clear()

    for raw in source.splitlines():
        if skip_until:
            skip_until = "" if raw.strip().startswith(skip_until) else skip_until
            continue
        if raw.startswith((".", "'")):
            name = _request(raw)
            if name.startswith(('\\"', "\\#")) or name == "":
                continue
            flush()
            skip_until = _SKIP_BLOCKS.get(name, "")
            nofill = name in ("nf", "EX") or (nofill and name not in ("fi", "EE"))
            tag = name in ("TP", "TQ")
            continue
        text = strip_escapes(raw)
        if not text.strip():
            flush()
            continue
        cur.append(text)
        if nofill or tag:
            flush()
            tag = False
    flush()
    return paras


_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def hanzi_only(text: str) -> str:
    """The CJK ideographs of ``text``, in order."""
    return "".join(_HANZI.findall(text))


def keep_paragraph(text: str, allowed: Callable[[str], bool], min_hanzi: float = 0.3,
                   min_chars: int = 6) -> bool:  # fmt: skip
    """Whether a paragraph goes into the benchmark text.

    Args:
        text: one paragraph.
        allowed: predicate on a character (charset and font coverage).
        min_hanzi: least share of CJK ideographs among the non-space characters.
        min_chars: least number of non-space characters.

    Returns:
        True when it is long enough, mostly hanzi, and every character is allowed
        (a paragraph with any other character is skipped, never altered).
    """
    chars = "".join(text.split())
    if len(chars) < min_chars:
        return False
    if len(hanzi_only(chars)) < min_hanzi * len(chars):
        return False
    return all(allowed(c) for c in chars)


def manpage_files(man_dir: Path = MAN_DIR) -> list[Path]:
    """The compressed man pages below ``man_dir`` (``man*/*.gz``), sorted."""
    return sorted(man_dir.glob("man*/*.gz"))


def read_manpage(path: Path) -> str:
    """The roff source of a gzip-compressed man page ('' when unreadable)."""
    try:
        return gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError) as err:
        log.warning("skipping %s: %s", path, err)
        return ""


def documents(files: Sequence[Path], seed: int,
              allowed: Callable[[str], bool]) -> Iterator[tuple[str, list[str]]]:  # fmt: skip
    """Kept paragraphs of each man page, pages in a seeded shuffle of sorted order.

    Yields:
        (file name, kept paragraphs) for man pages with at least one.
    """
    order = sorted(files)
    random.Random(seed).shuffle(order)
    for path in order:
        paras = [p for p in roff_paragraphs(read_manpage(path)) if keep_paragraph(p, allowed)]
        if paras:
            yield path.name, paras


# ------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class PageSpec:
    """Geometry of a rendered page, in pixels.

    Attributes:
        width: canvas width.
        height: canvas height; None to fit the text.
        margin: blank border on every side.
        size: body text size (pixels per em).
        heading_size: size of a heading line.
        leading: line pitch as a multiple of the size.
        para_gap: extra space after a paragraph, as a multiple of its size.
    """

    width: int
    height: int | None
    margin: int
    size: int
    heading_size: int
    leading: float = 1.6
    para_gap: float = 0.6

    @property
    def text_width(self) -> int:
        return self.width - 2 * self.margin


#: A4 at 150 dpi, 12 pt body (25 px), ~17 pt heading.
PAGE150 = PageSpec(1240, 1754, 100, 25, 36)
#: A 96-dpi screenshot of the same text: 15 px characters, ~900 px wide window.
SCREEN96 = PageSpec(900, None, 20, 15, 20, leading=1.5, para_gap=0.5)


@dataclass(frozen=True)
class PageFonts:
    """Font files of a page: hanzi and other wide characters, and ASCII runs."""

    cjk_path: str
    cjk_index: int = 0
    latin_path: str = LATIN_FACE

    def at(self, size: int) -> tuple[ImageFont.FreeTypeFont, ImageFont.FreeTypeFont]:
        """(wide, ASCII) fonts at ``size`` pixels per em."""
        return _truetype(self.cjk_path, self.cjk_index, size), _truetype(self.latin_path, 0, size)

    @property
    def name(self) -> str:
        return Path(self.cjk_path).name + (f"#{self.cjk_index}" if self.cjk_index else "")


@functools.lru_cache(maxsize=64)
def _truetype(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size, index=index)


_RUN = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


def script_runs(text: str) -> list[tuple[str, bool]]:
    """Maximal runs of ASCII / non-ASCII characters, as (run, is_ascii)."""
    return [(r, r[0] < "\x80") for r in _RUN.findall(text)]


def measure_fn(fonts: tuple[ImageFont.FreeTypeFont, ImageFont.FreeTypeFont]
               ) -> Callable[[str], float]:  # fmt: skip
    """Width in pixels of a string drawn with (wide, ASCII) fonts, as :func:`draw_lines` does."""
    wide, latin = fonts

    def measure(text: str) -> float:
        return sum((latin if a else wide).getlength(run) for run, a in script_runs(text))

    return measure


_TOKEN = re.compile(r"[!-~]+|\s+|.", re.S)
#: Punctuation that must not start a line / end a line.
_CLOSING = set("，。、；：？！）》」』】〕〉”’…—%·")
_OPENING = set("（《「『【〔〈“‘")


def tokens(text: str) -> list[str]:
    """Unbreakable pieces of text: ASCII words, single wide characters, spaces.

    Closing punctuation sticks to the token before it and opening punctuation to the
    token after it, so neither lands on the wrong side of a line break.
    """
    out: list[str] = []
    for t in _TOKEN.findall(text):
        if out and not t.isspace() and not out[-1].isspace():
            if t in _CLOSING or out[-1][-1] in _OPENING:
                out[-1] += t
                continue
        out.append(t)
    return out


def _hard_split(token: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Cut a token too wide for a line into pieces that fit (at least one char each)."""
    pieces, cur = [], ""
    for ch in token:
        if cur and measure(cur + ch) > width:
            pieces.append(cur)
            cur = ""
        cur += ch
    return pieces + [cur]


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy line breaking: anywhere between hanzi, between ASCII words, never inside one.

    Args:
        text: one paragraph, whitespace normalised.
        width: the line width.
        measure: width of a string.

    Returns:
        Lines without leading or trailing spaces; a space at a break is dropped, so
        the lines joined (with the dropped spaces) give back ``text``.  A word wider
        than a line is cut.
    """
    lines: list[str] = []
    cur, space = "", False
    for tok in tokens(text):
        if tok.isspace():
            space = bool(cur)
            continue
        sep = " " if space else ""
        space = False
        if cur and measure(cur + sep + tok) <= width:
            cur += sep + tok
            continue
        if cur:
            lines.append(cur)
        pieces = _hard_split(tok, width, measure)
        lines.extend(pieces[:-1])
        cur = pieces[-1]
    if cur:
        lines.append(cur)
    return lines


@dataclass(frozen=True)
class Line:
    """One laid-out line: its text, left x, baseline y and size in pixels per em."""

    text: str
    x: int
    baseline: int
    size: int


def _block_lines(text: str, heading: bool, spec: PageSpec, fonts: PageFonts
                 ) -> tuple[list[str], int]:  # fmt: skip
    """Wrapped lines of a paragraph and its size in pixels per em."""
    size = spec.heading_size if heading else spec.size
    return wrap(text, spec.text_width, measure_fn(fonts.at(size))), size


def layout(blocks: Sequence[tuple[str, bool]], spec: PageSpec, fonts: PageFonts
           ) -> tuple[list[Line], int]:  # fmt: skip
    """Place paragraphs (text, is_heading) on a page, top to bottom, left-aligned.

    Returns:
        The lines, and the y just below the last one plus the bottom margin (the
        height a page must have to hold them).
    """
    lines: list[Line] = []
    y = spec.margin
    for text, heading in blocks:
        wrapped, size = _block_lines(text, heading, spec, fonts)
        pitch, ascent = round(size * spec.leading), round(size * ((spec.leading - 1) / 2 + 0.88))
        for t in wrapped:
            lines.append(Line(t, spec.margin, y + ascent, size))
            y += pitch
        y += round(size * spec.para_gap)
    return lines, y + spec.margin


def prefix_of_lines(text: str, lines: Sequence[str]) -> str:
    """The start of ``text`` that :func:`wrap` laid out as ``lines`` (a cut, never an edit)."""
    pos = 0
    for line in lines:
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if text[pos : pos + len(line)] != line:
            raise ValueError(f"{line!r} is not the next line of the paragraph")
        pos += len(line)
    return text[:pos]


def fill_page(docs: Iterator[tuple[str, list[str]]], spec: PageSpec, fonts: PageFonts
              ) -> tuple[list[tuple[str, bool]], list[str]]:  # fmt: skip
    """Take consecutive paragraphs from the documents until the page is full.

    The first paragraph of the page, when short, is set as a heading.  The paragraph
    that does not fit is cut after its last line that does.  The document the page
    stops in is left (its remaining paragraphs are not used by the next page).

    Returns:
        The blocks (text, is_heading) and the names of the documents used.
    """
    assert spec.height is not None
    bottom = spec.height - spec.margin
    blocks: list[tuple[str, bool]] = []
    names: list[str] = []
    y = spec.margin
    for name, paras in docs:
        names.append(name)
        for i, text in enumerate(paras):
            heading = not blocks and i == 0 and len(text) <= MAX_HEADING
            wrapped, size = _block_lines(text, heading, spec, fonts)
            pitch = round(size * spec.leading)
            fit = min(len(wrapped), (bottom - y) // pitch)
            if fit > 0:
                blocks.append((prefix_of_lines(text, wrapped[:fit]), heading))
            if fit < len(wrapped):
                return blocks, names
            y += fit * pitch + round(size * spec.para_gap)
    return blocks, names


def draw_lines(lines: Sequence[Line], width: int, height: int, fonts: PageFonts) -> Image.Image:
    """Black text on a white grayscale canvas; ASCII runs in the Latin face."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    for line in lines:
        wide, latin = fonts.at(line.size)
        x = float(line.x)
        for run, is_ascii in script_runs(line.text):
            font = latin if is_ascii else wide
            draw.text((x, line.baseline), run, font=font, fill=0, anchor="ls")
            x += font.getlength(run)
    return img


def truth_of(lines: Sequence[Line]) -> str:
    """Ground truth of a layout: the lines as laid out, joined by newlines."""
    return "\n".join(line.text for line in lines)


def degrade_scan(img: Image.Image, seed: int) -> Image.Image:
    """Make a clean page look scanned (seeded).

    Rotation by 0.5-1.5 degrees either way, a slight Gaussian blur, an illumination
    gradient darkening one side by 10-30 %, and Gaussian noise.  Save the result as
    JPEG (quality ~60) for the last step of the degradation.
    """
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    angle = float(rng.uniform(0.5, 1.5) * rng.choice([-1.0, 1.0]))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.5, 0.9))))
    a = np.asarray(img, np.float32)
    h, w = a.shape
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    proj = np.cos(theta) * xx / w + np.sin(theta) * yy / h
    proj = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
    a = a * (1.0 - rng.uniform(0.1, 0.3) * proj) + rng.normal(0, rng.uniform(4, 8), a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


# -------------------------------------------------------------------------- pages


@dataclass
class BenchPage:
    """One benchmark page: its text blocks, fonts, and where its images went."""

    index: int
    fonts: PageFonts
    blocks: list[tuple[str, bool]]
    sources: list[str]
    images: dict[str, str] = field(default_factory=dict)


def available_faces(faces: Sequence[tuple[str, int]] = CJK_FACES) -> list[PageFonts]:
    """The page fonts whose files exist (Liberation Serif is required)."""
    if not Path(LATIN_FACE).is_file():
        return []
    return [PageFonts(p, i) for p, i in faces if Path(p).is_file()]


def allowed_chars(fonts: Sequence[PageFonts], spec: str = CHARSET_SPEC) -> set[str]:
    """Characters of the charset that every page face draws (ASCII: Liberation Serif)."""
    from recognizer.charset import Charset

    cs = Charset.from_spec(spec)
    allowed = set(cs.chars)
    try:
        from recognizer.fonts import coverage, read_faces

        for f in fonts:
            face = read_faces(f.cjk_path)[f.cjk_index]
            wide = set(coverage(face, cs))
            allowed &= wide | {c for c in cs.chars if c < "\x80"}
    except ImportError:
        log.warning("fontTools is missing: font coverage not checked")
    return allowed


def choose_pages(n: int, seed: int, fonts: Sequence[PageFonts], allowed: set[str],
                 man_dir: Path = MAN_DIR, spec: PageSpec = PAGE150) -> list[BenchPage]:  # fmt: skip
    """Fill ``n`` pages with man page text, fonts rotating page by page.

    Each page starts at the next man page of the seeded order; the text of one page
    is never reused on another.
    """
    docs = documents(manpage_files(man_dir), seed, allowed.__contains__)
    pages = []
    for i in range(n):
        blocks, names = fill_page(docs, spec, fonts[i % len(fonts)])
        if not blocks:
            log.warning("man pages ran out after %d pages", i)
            break
        pages.append(BenchPage(i, fonts[i % len(fonts)], blocks, names))
    return pages


def write_page(page: BenchPage, out: Path, seed: int) -> None:
    """Render the three variants of a page, each image with its truth ``.txt`` beside it."""
    stem = f"page-{page.index:03d}"
    lines, _ = layout(page.blocks, PAGE150, page.fonts)
    clean = draw_lines(lines, PAGE150.width, PAGE150.height or 0, page.fonts)
    shots, height = layout(page.blocks, SCREEN96, page.fonts)
    screen = draw_lines(shots, SCREEN96.width, height, page.fonts)
    scan = degrade_scan(clean, seed * 100_003 + page.index)
    for variant, img, ls, ext in (("page150", clean, lines, ".png"),
                                  ("screen96", screen, shots, ".png"),
                                  ("scan", scan, lines, ".jpg")):  # fmt: skip
        folder = out / variant
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (stem + ext)
        options: dict[str, Any] = {"quality": JPEG_QUALITY} if ext == ".jpg" else {}
        img.save(path, **options)
        path.with_suffix(".txt").write_text(truth_of(ls) + "\n", encoding="utf-8")
        page.images[variant] = str(path)


# ------------------------------------------------------------------------ metrics


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (unit costs), row by row with numpy.

    Each row of the classic O(n·m) table is computed in a few vector operations:
    substitutions and deletions from the previous row, then insertions along the
    row as a running minimum of ``row[k] + (j - k)``.  Two 1500-character strings
    take a few milliseconds.
    """
    import numpy as np

    if len(a) > len(b):
        a, b = b, a
    if not a:
        return len(b)
    bv = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1)
    prev = idx.copy()
    row = np.empty_like(prev)
    for i, ch in enumerate(a, 1):
        cost = bv != ord(ch)
        row[0] = i
        np.minimum(prev[1:] + 1, prev[:-1] + cost, out=row[1:])
        prev = np.minimum.accumulate(row - idx) + idx
    return int(prev[-1])


def _no_space(text: str) -> str:
    return "".join(text.split())


@dataclass(frozen=True)
class Score:
    """Edit distances and truth lengths of one hypothesis (all characters / hanzi only)."""

    dist_all: int
    len_all: int
    dist_hanzi: int
    len_hanzi: int

    @property
    def cer_all(self) -> float:
        return cer_from(self.dist_all, self.len_all)

    @property
    def cer_hanzi(self) -> float:
        return cer_from(self.dist_hanzi, self.len_hanzi)


def cer_from(dist: int, length: int) -> float:
    """Distance over truth length; an empty truth scores 0 if matched, else 1."""
    return dist / length if length else float(dist > 0)


def score(truth: str, hypothesis: str) -> Score:
    """CER counts of a hypothesis: whitespace ignored; and over CJK ideographs only."""
    t, h = _no_space(truth), _no_space(hypothesis)
    th, hh = hanzi_only(t), hanzi_only(h)
    return Score(edit_distance(t, h), len(t), edit_distance(th, hh), len(th))


def cer(truth: str, hypothesis: str, hanzi: bool = False) -> float:
    """Character error rate, whitespace ignored (``hanzi``: CJK ideographs only)."""
    s = score(truth, hypothesis)
    return s.cer_hanzi if hanzi else s.cer_all


# ------------------------------------------------------------------------ engines


@dataclass(frozen=True)
class Engine:
    """An OCR program run once per image; ``{image}`` in argv is the image path.

    ``env`` holds variables added to the environment of the process.  With
    ``reader`` (image path -> text) the engine runs in this process instead.
    """

    name: str
    argv: tuple[str, ...]
    timeout: float = 600.0
    env: tuple[tuple[str, str], ...] = ()
    reader: Callable[[Path], str] | None = None

    def command(self, image: Path) -> list[str]:
        return [a.replace("{image}", str(image)) for a in self.argv]


@dataclass(frozen=True)
class RunResult:
    """Output of one engine run: text, wall seconds, and an error message or ''."""

    text: str
    seconds: float
    error: str = ""


def run_engine(engine: Engine, image: Path) -> RunResult:
    """Run an engine on one image in its own process (or, with a ``reader``, in this
    one) and time it (wall clock)."""
    t0 = time.perf_counter()
    if engine.reader is not None:
        try:
            text = engine.reader(image)
        except Exception as err:  # noqa: BLE001 - one page's failure is scored, not raised
            return RunResult("", time.perf_counter() - t0, f"{type(err).__name__}: {err}")
        return RunResult(text, time.perf_counter() - t0)
    try:
        res = subprocess.run(engine.command(image), capture_output=True, timeout=engine.timeout,
                             env={**os.environ, **dict(engine.env)})  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as err:
        return RunResult("", time.perf_counter() - t0, str(err))
    seconds = time.perf_counter() - t0
    text = res.stdout.decode("utf-8", errors="replace")
    if res.returncode != 0:
        last = res.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        return RunResult(text, seconds, f"exit {res.returncode}: {last[0]}")
    return RunResult(text, seconds)


#: pageocr's packages, compiled to bytecode before pages are timed (:func:`warm_up`).
PACKAGES = ("ocr_pipeline", "segmentation", "recognizer")


def warm_up(engines: Sequence[Engine], image: Path) -> None:
    """Bring the machine to the state of an installed tool that has run once, before
    timing: pageocr's modules compiled to bytecode (pip compiles an installed wheel;
    an editable install run under PYTHONDONTWRITEBYTECODE would compile them again in
    every timed process, ~50 ms here), then one untimed run of each engine on
    ``image`` so that both find their model files in the page cache."""
    root = Path(__file__).resolve().parents[1]
    for pkg in PACKAGES:
        compileall.compile_dir(root / pkg, quiet=2)
    for eng in engines:
        run_engine(eng, image)


def pageocr_engine(model: Path | None = None) -> Engine:
    """``python -m ocr_pipeline.cli read IMAGE`` (model loading included in the time)."""
    argv = (sys.executable, "-m", "ocr_pipeline.cli", "read", "{image}")
    return Engine("pageocr", argv + (("--model", str(model)) if model else ()))


def pageocr_in_process(model: Path | None = None) -> Engine:
    """pageocr reading in this process, as ``pageocr read`` does, with one model loaded
    once: no start-up or model loading per page, so its times are not the bars'. For
    development pages, where only the text counts."""
    from ocr_pipeline.formats import render
    from ocr_pipeline.reader import Reader

    reader = Reader(model)

    def read(image: Path) -> str:
        return render(reader.read(image), "text")

    return Engine("pageocr", ("in-process",), reader=read)


def tesseract_engine(threads: int = 0) -> tuple[Engine | None, str]:
    """Tesseract 5 with ``chi_sim``, or None and the reason it cannot run.

    Args:
        threads: OMP_THREAD_LIMIT for Tesseract; 0 keeps its default (all cores).
    """
    exe = shutil.which("tesseract")
    if exe is None:
        return None, "tesseract is not installed (apt-get install tesseract-ocr-chi-sim)"
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"tesseract does not run: {err}"
    if "chi_sim" not in (langs.stdout + langs.stderr).split():
        return None, "tesseract has no chi_sim data (apt-get install tesseract-ocr-chi-sim)"
    env = (("OMP_THREAD_LIMIT", str(threads)),) if threads > 0 else ()
    return Engine("tesseract", (exe, "{image}", "stdout", "-l", "chi_sim"), env=env), ""


def tesseract_version() -> str:
    """First line of ``tesseract --version`` ('' if unavailable)."""
    try:
        res = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=60)
        return (res.stdout or res.stderr).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return ""


@dataclass(frozen=True)
class Item:
    """One image of the benchmark and its ground truth file."""

    variant: str
    image: Path
    truth: Path


@dataclass(frozen=True)
class PageResult:
    """One engine on one image."""

    variant: str
    engine: str
    image: str
    cer_all: float
    cer_hanzi: float
    dist_all: int
    len_all: int
    dist_hanzi: int
    len_hanzi: int
    seconds: float
    output: str = ""
    error: str = ""


def evaluate(items: Sequence[Item], engines: Sequence[Engine],
             on_result: Callable[[PageResult], None] | None = None
             ) -> tuple[list[PageResult], dict[str, str]]:  # fmt: skip
    """Run every engine on every image and score it against the truth.

    Each output is saved beside its image as ``STEM.ENGINE.txt``.

    An engine failing on its first image is dropped (reported in the returned
    dict, e.g. "no shipped model"); a later failure scores an empty output.

    Returns:
        The per-image results, and {engine name: reason} of the dropped engines.
    """
    results: list[PageResult] = []
    dropped: dict[str, str] = {}
    for k, item in enumerate(items):
        truth = item.truth.read_text(encoding="utf-8")
        for eng in engines:
            if eng.name in dropped:
                continue
            run = run_engine(eng, item.image)
            if run.error and k == 0:
                dropped[eng.name] = run.error
                log.info("%s fails on %s (%s); dropped", eng.name, item.image, run.error)
                continue
            hyp = "" if run.error else run.text
            out = item.image.with_name(f"{item.image.stem}.{eng.name}.txt")
            out.write_text(hyp, encoding="utf-8")
            s = score(truth, hyp)
            res = PageResult(item.variant, eng.name, str(item.image), s.cer_all, s.cer_hanzi,
                             s.dist_all, s.len_all, s.dist_hanzi, s.len_hanzi, run.seconds,
                             str(out), run.error)  # fmt: skip
            results.append(res)
            if on_result is not None:
                on_result(res)
    return results, dropped


@dataclass(frozen=True)
class Summary:
    """Results of one engine on one variant: CER pooled over pages, mean s/page."""

    variant: str
    engine: str
    pages: int
    failed: int
    cer_all: float
    cer_hanzi: float
    seconds: float


def summarize(results: Iterable[PageResult]) -> list[Summary]:
    """Pool per-page results by (variant, engine): sum of distances over sum of lengths."""
    groups: dict[tuple[str, str], list[PageResult]] = {}
    for r in results:
        groups.setdefault((r.variant, r.engine), []).append(r)
    order = {v: i for i, v in enumerate(VARIANTS)}
    out = []
    for (variant, engine), rs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99),
                                                                          kv[0])):  # fmt: skip
        out.append(Summary(
            variant, engine, len(rs), sum(bool(r.error) for r in rs),
            cer_from(sum(r.dist_all for r in rs), sum(r.len_all for r in rs)),
            cer_from(sum(r.dist_hanzi for r in rs), sum(r.len_hanzi for r in rs)),
            statistics.fmean(r.seconds for r in rs),
        ))  # fmt: skip
    return out


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def ratio_lines(summaries: Sequence[Summary], a: str = "pageocr",
                b: str = "tesseract") -> list[str]:  # fmt: skip
    """One line per variant comparing engine ``a`` with ``b`` (CER and time ratios)."""
    by = {(s.variant, s.engine): s for s in summaries}
    lines = []
    for v in dict.fromkeys(s.variant for s in summaries):
        if (v, a) in by and (v, b) in by:
            x, y = by[v, a], by[v, b]
            lines.append(f"{v}: {a} / {b}: CER all {_ratio(x.cer_all, y.cer_all)}, "
                         f"CER hanzi {_ratio(x.cer_hanzi, y.cer_hanzi)}, "
                         f"time {_ratio(x.seconds, y.seconds)}")  # fmt: skip
    return lines


def _pages_cell(s: Summary) -> str:
    return f"{s.pages}" + (f" ({s.failed} failed)" if s.failed else "")


def markdown_table(summaries: Sequence[Summary]) -> str:
    """Markdown table: variant, engine, pages, CER all, CER hanzi, s/page."""
    rows = ["| variant | engine | pages | CER all | CER hanzi | s/page |",
            "|---|---|---:|---:|---:|---:|"]  # fmt: skip
    for s in summaries:
        rows.append(f"| {s.variant} | {s.engine} | {_pages_cell(s)} | {s.cer_all:.2%} | "
                    f"{s.cer_hanzi:.2%} | {s.seconds:.2f} |")  # fmt: skip
    return "\n".join(rows) + "\n"


# --------------------------------------------------------------------- commands


def _console():
    from rich.console import Console

    return Console()


def _rich_table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]):
    from rich.table import Table

    table = Table(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i < 2 else "right")
    for r in rows:
        table.add_row(*r)
    return table


def _parse_engines(spec: str) -> list[str]:
    names = [e.strip() for e in spec.split(",") if e.strip()]
    bad = [n for n in names if n not in ENGINES]
    if bad or not names:
        raise typer.BadParameter(f"unknown engine(s) {', '.join(bad)}; use {','.join(ENGINES)}")
    return names


def _engines(names: Sequence[str], model: Path | None, threads: int, in_process: bool = False
             ) -> list[Engine]:  # fmt: skip
    out = []
    for name in names:
        if name == "pageocr":
            out.append(pageocr_in_process(model) if in_process else pageocr_engine(model))
        else:
            eng, why = tesseract_engine(threads)
            if eng is None:
                typer.echo(f"skipping tesseract: {why}", err=True)
            else:
                out.append(eng)
    return out


def _render_pages(n: int, seed: int, out: Path, man_dir: Path) -> list[BenchPage]:
    fonts = available_faces()
    if not fonts:
        raise typer.BadParameter(
            "no page fonts: install fonts-lxgw-wenkai, "
            "fonts-arphic-gbsn00lp or fonts-wqy-zenhei, and fonts-liberation2"
        )
    if not manpage_files(man_dir):
        raise typer.BadParameter(f"no man pages in {man_dir}: apt-get install manpages-zh")
    pages = choose_pages(n, seed, fonts, allowed_chars(fonts), man_dir)
    for p in pages:
        write_page(p, out, seed)
    return pages


def _items(pages: Sequence[BenchPage]) -> list[Item]:
    return [Item(v, Path(p.images[v]), Path(p.images[v]).with_suffix(".txt"))
            for v in VARIANTS for p in pages]  # fmt: skip


@bench_app.command("pages")
def pages_cmd(
    pages: int = typer.Option(10, "--pages", min=1, help="Pages to render (x3 variants)."),
    seed: int = typer.Option(0, help="Seeds the choice of man pages and the scan degradation."),
    out: Path = typer.Option(Path("runs/bench-pages"), "--out", "-o", help="Output folder."),
    engines: str = typer.Option("pageocr,tesseract", help="Comma-separated: pageocr, tesseract."),
    model: Path | None = typer.Option(None, "--model", "-m", help="Passed to `pageocr read`."),
    man_dir: Path = typer.Option(MAN_DIR, help="Root of the Chinese man pages."),
    tesseract_threads: int = typer.Option(
        0, min=0, help="OMP_THREAD_LIMIT for Tesseract (0: its default, all cores)."
    ),
    in_process: bool = typer.Option(
        False,
        help="pageocr reads in this process with its model loaded once: faster, for "
        "development pages (its times are not per-process reads).",
    ),
) -> None:
    """CER and s/page of pageocr and Tesseract on rendered pages of manpages-zh text.

    Example: pageocr bench pages --pages 10 -o runs/bench-pages
    """
    names = _parse_engines(engines)
    con = _console()
    with con.status("rendering pages"):
        bench = _render_pages(pages, seed, out, man_dir)
    con.print(f"{len(bench)} pages x {len(VARIANTS)} variants written to {out}")
    results = _run_engines(_items(bench), _engines_or_exit(names, model, tesseract_threads,
                                                           in_process, con), con)  # fmt: skip
    how = ", pageocr in process (model loaded once)" if in_process else ""
    _report_pages(results, bench, out, f"seed {seed}, tesseract threads "
                  f"{tesseract_threads or 'default'}{how}", con)  # fmt: skip


def _engines_or_exit(names: Sequence[str], model: Path | None, threads: int, in_process: bool,
                     con) -> list[Engine]:  # fmt: skip
    """The engines to run; exit 2 if pageocr's model cannot load, 1 if none is left."""
    from recognizer.runtime import ModelError

    try:
        engs = _engines(names, model, threads, in_process)
    except ModelError as err:
        con.print(f"[red]pageocr: {err}[/red]")
        raise typer.Exit(2) from None
    if not engs:
        raise typer.Exit(1)
    return engs


def _run_engines(items: Sequence[Item], engs: Sequence[Engine], con) -> list[PageResult]:
    """Warm the engines up, then :func:`evaluate` with progress; exit 1 if nothing ran."""
    with con.status("warming up: bytecode, one untimed run per engine"):
        warm_up(engs, items[0].image)
    with con.status("") as status:

        def tick(r: PageResult) -> None:
            status.update(f"{r.engine} {Path(r.image).parent.name}/{Path(r.image).name}: "
                          f"CER {r.cer_all:.2%} in {r.seconds:.1f} s")  # fmt: skip

        results, dropped = evaluate(items, engs, tick)
    for name, why in dropped.items():
        con.print(f"[red]{name} dropped: {why}[/red]")
    if not results:
        raise typer.Exit(1)
    return results


def _summary_table(title: str, sums: Sequence[Summary]):
    """The rich table of per-variant, per-engine summaries (as :func:`markdown_table`)."""
    return _rich_table(title, ["variant", "engine", "pages", "CER all", "CER hanzi", "s/page"],
                       [[s.variant, s.engine, _pages_cell(s), f"{s.cer_all:.2%}",
                         f"{s.cer_hanzi:.2%}", f"{s.seconds:.2f}"] for s in sums])  # fmt: skip


def _report_pages(results: list[PageResult], bench: list[BenchPage], out: Path, note: str,
                  con) -> None:  # fmt: skip
    sums = summarize(results)
    con.print(_summary_table("pages: CER (whitespace ignored) and wall seconds per page", sums))
    ratios = ratio_lines(sums) or ["no pageocr / tesseract ratio: both engines are needed"]
    for line in ratios:
        con.print(line)
    head = (f"# pageocr bench pages\n\n{len(bench)} pages of manpages-zh text, {note}; "
            f"{tesseract_version() or 'tesseract not found'}.\n\n")  # fmt: skip
    md = head + markdown_table(sums) + "".join(f"\n{line}  " for line in ratios) + "\n"
    (out / "results.md").write_text(md, encoding="utf-8")
    pages = [{"index": p.index, "font": p.fonts.name, "sources": p.sources, "images": p.images}
             for p in bench]  # fmt: skip
    meta = {"run": note, "pages": pages, "summary": [asdict(s) for s in sums],
            "results": [asdict(r) for r in results]}  # fmt: skip
    (out / "results.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    con.print(f"wrote {out}/results.md and {out}/results.json")


# ------------------------------------------------------------------------ screens


@bench_app.command("screens")
def screens_cmd(
    images: int = typer.Option(40, "--images", min=1, help="Screens to render."),
    seed: int = typer.Option(0, help="Seeds the choice of messages, sizes and themes."),
    out: Path = typer.Option(Path("runs/bench-screens"), "--out", "-o", help="Output folder."),
    engines: str = typer.Option("pageocr,tesseract", help="Comma-separated: pageocr, tesseract."),
    model: Path | None = typer.Option(None, "--model", "-m", help="Passed to `pageocr read`."),
    locale_dir: Path = typer.Option(LOCALE_DIR, help="Where the zh_CN catalogues are."),
    tesseract_threads: int = typer.Option(
        0, min=0, help="OMP_THREAD_LIMIT for Tesseract (0: its default, all cores)."
    ),
    in_process: bool = typer.Option(
        False, help="pageocr reads in this process with its model loaded once."
    ),
) -> None:
    """CER of pageocr and Tesseract on screenshot-like images of program messages.

    Interface text (the zh_CN translations of the programs installed here) in every
    installed Chinese face, 12-24 px, light and dark themes; CER per face and per size.

    Example: pageocr bench screens --images 40 -o runs/bench-screens
    """
    from ocr_pipeline import screens
    from recognizer.charset import Charset

    names = _parse_engines(engines)
    faces = [f for f in screens.FACES if Path(f[1]).is_file()]
    if not faces or not Path(screens.FALLBACK_FACE).is_file():
        raise typer.BadParameter("no Chinese faces or no DejaVu Sans: install fonts-noto-cjk, "
                                 "fonts-wqy-zenhei, fonts-dejavu-core")  # fmt: skip
    allowed = set(Charset.from_spec(CHARSET_SPEC).chars)
    lines = screens.candidate_lines(screens.messages(locale_dir), allowed)
    if not lines:
        raise typer.BadParameter(f"no zh_CN messages in {locale_dir}")
    con = _console()
    chosen = screens.choose_screens(images, seed, lines, faces)
    with con.status("rendering screens"):
        paths = [screens.write_screen(s, out / re.sub(r"\W+", "-", s.label).lower())
                 for s in chosen]  # fmt: skip
    con.print(f"{len(chosen)} screens from {len(lines)} messages written to {out}")
    items = [Item(s.label, p, p.with_suffix(".txt")) for s, p in zip(chosen, paths, strict=True)]
    results = _run_engines(items, _engines_or_exit(names, model, tesseract_threads, in_process,
                                                   con), con)  # fmt: skip
    size_of = {str(p): s.size for s, p in zip(chosen, paths, strict=True)}
    by_face = summarize(results)
    by_size = summarize(sorted((replace(r, variant=f"{size_of[r.image]:02d} px") for r in results),
                               key=lambda r: r.variant))  # fmt: skip
    overall = summarize(replace(r, variant="all") for r in results)
    for title, sums in (("by face", by_face), ("by size", by_size), ("all screens", overall)):
        con.print(_summary_table(f"screens {title}: CER (whitespace ignored), s/image", sums))
    note = (f"{len(chosen)} screens of zh_CN program messages, seed {seed}"
            f"{', pageocr in process' if in_process else ''}; "
            f"{tesseract_version() or 'tesseract not found'}")  # fmt: skip
    md = f"# pageocr bench screens\n\n{note}.\n" + "".join(
        f"\n## {title}\n\n{markdown_table(sums)}"
        for title, sums in (("By face", by_face), ("By size", by_size), ("All", overall))
    )
    (out / "results.md").write_text(md, encoding="utf-8")
    meta = {"run": note, "screens": [{"image": str(p), "size": s.size, "face": s.face[1],
                                      "theme": s.theme, "leading": s.leading}
                                     for s, p in zip(chosen, paths, strict=True)],
            "summary": [asdict(s) for s in by_face + by_size + overall],
            "results": [asdict(r) for r in results]}  # fmt: skip
    (out / "results.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    con.print(f"wrote {out}/results.md and {out}/results.json")


# -------------------------------------------------------------------------- speed


def sample_crops(n: int, size: int, chars: str, seed: int = 0,
                 faces: Sequence | None = None) -> np.ndarray:  # fmt: skip
    """``n`` crops of random characters, rendered as training renders them (augmented).

    Args:
        n: number of crops.
        size: side of a crop.
        chars: characters to draw from (the faces must cover them).
        seed: seeds the choice and the rendering.
        faces: :class:`recognizer.fonts.Face` list; None for the held-out system
            faces; without any, the crops are random noise.

    Returns:
        uint8 array (n, size, size), white ink on black.
    """
    import numpy as np

    from recognizer.render import render

    rng = np.random.default_rng(seed)
    faces = _held_out_faces() if faces is None else list(faces)
    if not faces:
        log.warning("no held-out fonts: timing random crops")
        return rng.integers(0, 256, (n, size, size), dtype=np.uint8)
    picks = rng.choice(list(chars), n)
    return np.stack([render(faces[i % len(faces)], str(c), seed=seed + i, size=size)
                     for i, c in enumerate(picks)])  # fmt: skip


def _held_out_faces() -> list:
    from recognizer.fonts import FontError, read_faces

    faces = []
    for path, index in CJK_FACES:
        try:
            faces.append(read_faces(path)[index])
        except (FontError, IndexError):
            continue
    return faces


def crops_per_second(predict: Callable[[np.ndarray], object], crops: np.ndarray,
                     min_seconds: float = 1.0) -> float:  # fmt: skip
    """Throughput of ``predict`` over ``crops`` (after one warm-up call), repeated for at
    least ``min_seconds``."""
    predict(crops[: min(len(crops), 256)])
    done, t0 = 0, time.perf_counter()
    while done == 0 or time.perf_counter() - t0 < min_seconds:
        predict(crops)
        done += len(crops)
    return done / (time.perf_counter() - t0)


@dataclass(frozen=True)
class ProcessStats:
    """Wall seconds and peak resident memory (MB) of one process, and its error."""

    seconds: float
    peak_rss_mb: float
    error: str = ""


#: GNU time, used for the peak RSS of a process when present.
GNU_TIME = Path("/usr/bin/time")


def measure_process(argv: Sequence[str], timeout: float = 600.0) -> ProcessStats:
    """Wall time and peak RSS of a command, via ``/usr/bin/time -v`` when present.

    Without GNU time, the child's own rusage (``os.wait4``) gives the peak RSS.
    """
    use_time = GNU_TIME.is_file() and os.access(GNU_TIME, os.X_OK)
    cmd = [str(GNU_TIME), "-v", *argv] if use_time else list(argv)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if use_time:
        try:
            err = proc.communicate(timeout=timeout)[1].decode("utf-8", errors="replace")
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return ProcessStats(time.perf_counter() - t0, 0.0, "timeout")
        rss_kb, code = _gnu_time_rss(err), proc.returncode
    else:
        assert proc.stderr is not None  # stderr=PIPE
        with proc.stderr:
            err = proc.stderr.read().decode("utf-8", errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        rss_kb = usage.ru_maxrss
    error = "" if code == 0 else f"exit {code}: {_last_error(err)}"
    return ProcessStats(time.perf_counter() - t0, rss_kb / 1024, error)


def _last_error(stderr: str) -> str:
    """Last line a program wrote on stderr, before GNU time's report."""
    lines = stderr.split("Command exited with non-zero status")[0].split("\tCommand being timed")[0]
    return (lines.strip().splitlines() or [""])[-1]


def _gnu_time_rss(report: str) -> float:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    return float(m.group(1)) if m else 0.0


def tree_size_mb(path: Path) -> float:
    """Disk usage of a folder in MB (allocated blocks, like ``du``)."""
    return sum(file_size_mb(Path(root) / f) for root, _, files in os.walk(path)
               for f in files)  # fmt: skip


def _copy_sources(repo: Path, dest: Path) -> None:
    """Copy what a build needs (pyproject, readme, the packages) so the repo stays clean."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md", "LICENSE", "setup.py", "setup.cfg"):
        if (repo / name).is_file():
            shutil.copy2(repo / name, dest / name)
    for pkg in ("ocr_pipeline", "segmentation", "recognizer"):
        shutil.copytree(repo / pkg, dest / pkg, ignore=ignore)


#: What ``python -m venv`` puts in site-packages by itself (not counted).
_VENV_OWN = re.compile(r"(pip|setuptools|_distutils_hack|pkg_resources|distutils-precedence)"
                       r"([-.]|$)")  # fmt: skip


def site_sizes(site: Path) -> dict[str, float]:
    """MB per top-level entry of a site-packages folder, pip and setuptools left out."""
    sizes: dict[str, float] = {}
    for entry in site.iterdir():
        if _VENV_OWN.match(entry.name):
            continue
        mb = tree_size_mb(entry) if entry.is_dir() else file_size_mb(entry)
        sizes[entry.name] = mb
    return sizes


def file_size_mb(path: Path) -> float:
    """Disk usage of one file in MB."""
    st = path.lstat()
    return (getattr(st, "st_blocks", 0) * 512 or st.st_size) / 1e6


def install_size_mb(repo: Path, timeout: float = 900.0) -> tuple[dict[str, float], str]:
    """Sizes in ``site-packages`` after ``pip install REPO`` (no extras) in a fresh venv.

    The sources are copied to a temporary folder first, so the build leaves nothing
    in the repository.

    Returns:
        ({top-level entry: MB}, '') or ({}, the reason it failed).
    """
    with tempfile.TemporaryDirectory(prefix="pageocr-size-") as tmp:
        src, venv = Path(tmp) / "src", Path(tmp) / "venv"
        src.mkdir()
        _copy_sources(repo, src)
        steps = ([sys.executable, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                  "--disable-pip-version-check", str(src)])  # fmt: skip
        for cmd in steps:
            try:
                res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except (OSError, subprocess.TimeoutExpired) as err:
                return {}, str(err)
            if res.returncode != 0:
                return {}, (res.stderr.strip().splitlines() or ["failed"])[-1]
        site = next(venv.glob("lib/python*/site-packages"), None)
        return (site_sizes(site), "") if site else ({}, "no site-packages in the venv")


def _size_facts(sizes: dict[str, float], why: str) -> list[list[str]]:
    if why:
        return [["base install: site-packages MB", f"error: {why}"]]
    top = sorted(((mb, n) for n, mb in sizes.items() if not n.endswith("-info")), reverse=True)
    return [["base install: site-packages MB (pip, setuptools excluded)",
             f"{sum(sizes.values()):.0f}"],
            ["base install: largest", ", ".join(f"{n} {mb:.0f}" for mb, n in top[:5])]]  # fmt: skip


def _artefacts(keras: Path | None, fp32: Path | None, int8: Path | None
               ) -> list[tuple[str, Path, str]]:  # fmt: skip
    """(label, path, runtime) of the artefacts to time; default: the shipped model."""
    from recognizer.runtime import DEFAULT_MODEL

    arts = []
    if keras is not None:
        arts.append(("TensorFlow", keras, "tf"))
    if fp32 is not None:
        arts.append(("LiteRT fp32", fp32, "litert"))
    if int8 is not None:
        arts.append(("LiteRT int8", int8, "litert"))
    if fp32 is None and int8 is None and DEFAULT_MODEL.is_file():
        arts.append((f"LiteRT {_precision(DEFAULT_MODEL)} (shipped)", DEFAULT_MODEL, "litert"))
    return arts


def _precision(model: Path) -> str:
    try:
        return json.loads(model.with_suffix(".json").read_text()).get("precision", "fp32")
    except (OSError, ValueError):
        return "fp32"


def _time_artefacts(arts: Sequence[tuple[str, Path, str]], n: int, min_seconds: float,
                    con) -> list[list[str]]:  # fmt: skip
    from recognizer.runtime import ModelError, Predictor

    rows, samples = [], {}
    for label, path, runtime in arts:
        try:
            pred = Predictor(path, runtime=runtime, batch_size=1)
        except ModelError as err:
            rows.append([label, str(path), "-", f"error: {err}"])
            continue
        except Exception as err:  # a runtime bug with one artefact must not stop the others
            log.warning("%s (%s) failed: %r", label, path, err)
            rows.append([label, str(path), "-", f"error: {type(err).__name__}: {err}"[:200]])
            continue
        key = (pred.input_size, pred.charset.chars)
        if key not in samples:
            with con.status(f"rendering {n} crops"):
                samples[key] = sample_crops(n, pred.input_size, pred.charset.chars)
        crops = samples[key]
        for bs in (1, 32, 256):
            pred.batch_size = bs
            with con.status(f"{label} batch {bs}"):
                rate = crops_per_second(pred.predict, crops, min_seconds)
            rows.append([label, str(path), str(bs), f"{rate:,.0f}"])
    return rows


def _default_page(tmp: Path) -> Path:
    fonts = available_faces()
    if not fonts or not manpage_files():
        raise typer.BadParameter("cannot render a page (fonts or manpages-zh missing); give --page")
    page = choose_pages(1, 0, fonts, allowed_chars(fonts))[0]
    write_page(page, tmp, 0)
    return Path(page.images["page150"])


@bench_app.command("speed")
def speed_cmd(
    keras: Path | None = typer.Option(None, help="A .keras / SavedModel to time with TensorFlow."),
    tflite_fp32: Path | None = typer.Option(None, help="A fp32 .tflite (default: shipped)."),
    tflite_int8: Path | None = typer.Option(None, help="An int8 .tflite."),
    page: Path | None = typer.Option(None, help="Page for `pageocr read` (default: rendered)."),
    model: Path | None = typer.Option(None, "--model", "-m", help="Passed to pageocr read."),
    crops: int = typer.Option(1024, min=1, help="Crops per throughput measurement."),
    repeat: int = typer.Option(3, min=1, help="Runs of `pageocr read` (median wall time)."),
    min_seconds: float = typer.Option(2.0, help="Least time per throughput measurement."),
    install_size: bool = typer.Option(
        True, "--install-size/--no-install-size", help="Measure a base install in a temporary venv."
    ),
    out: Path = typer.Option(Path("runs/bench-speed"), "--out", "-o", help="Output folder."),
) -> None:
    """Crops/s per artefact and batch size, `pageocr read` wall time and RSS, install size.

    Example: pageocr bench speed --tflite-int8 runs/x/export/model-int8.tflite
    """
    con = _console()
    out.mkdir(parents=True, exist_ok=True)
    arts = _artefacts(keras, tflite_fp32, tflite_int8)
    if not arts:
        con.print("[yellow]no model artefact (no shipped model and none given): "
                  "skipping crops/s[/yellow]")  # fmt: skip
    rows = _time_artefacts(arts, crops, min_seconds, con)
    con.print(_rich_table("classification throughput", ["artefact", "path", "batch", "crops/s"],
                          rows))  # fmt: skip
    facts = _process_facts(page, model, repeat, install_size, con)
    con.print(_rich_table("pageocr read and install", ["measure", "value"], facts))
    md = "# pageocr bench speed\n\n| artefact | path | batch | crops/s |\n|---|---|---:|---:|\n"
    md += "".join(f"| {' | '.join(r)} |\n" for r in rows) or "| none: no model artefact | | | |\n"
    md += "\n| measure | value |\n|---|---:|\n" + "".join(f"| {a} | {b} |\n" for a, b in facts)
    (out / "results.md").write_text(md, encoding="utf-8")
    con.print(f"wrote {out}/results.md")


def _process_facts(page: Path | None, model: Path | None, repeat: int, install_size: bool,
                   con) -> list[list[str]]:  # fmt: skip
    facts = []
    with tempfile.TemporaryDirectory(prefix="pageocr-speed-") as tmp:
        if page is None:
            with con.status("rendering a page"):
                page = _default_page(Path(tmp))
        engine = pageocr_engine(model)
        argv = engine.command(page)
        with con.status("warming up: bytecode, one untimed run"):
            warm_up([engine], page)
        with con.status(f"pageocr read {page.name} x{repeat}"):
            runs = [measure_process(argv) for _ in range(repeat)]
        err = next((r.error for r in runs if r.error), "")
        facts.append([f"pageocr read {page.name}: wall s (median of {repeat})",
                      f"{statistics.median(r.seconds for r in runs):.2f}"])  # fmt: skip
        facts.append(["pageocr read: peak RSS MB", f"{max(r.peak_rss_mb for r in runs):.0f}"])
        if err:
            facts.append(["pageocr read: error", err])
    if install_size:
        with con.status("pip install into a fresh venv"):
            sizes, why = install_size_mb(Path(__file__).resolve().parents[1])
        facts += _size_facts(sizes, why)
    return facts


def load_results(folder: Path) -> list[PageResult]:
    """The per-page results a ``bench pages`` run wrote to ``folder/results.json``."""
    path = folder / "results.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["results"]
        return [PageResult(**row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a bench pages result ({err})") from None


@bench_app.command("pool")
def pool_cmd(
    folders: list[Path] = typer.Argument(..., help="Output folders of `bench pages` runs."),
) -> None:
    """CER over several `bench pages` runs pooled (the sum of distances over the sum of
    lengths), e.g. the development pages of seeds 1-5.

    Example: pageocr bench pool runs/dev/seed1 runs/dev/seed2 runs/dev/seed3
    """
    con = _console()
    results = []
    for folder in folders:
        try:
            results += load_results(folder)
        except ValueError as err:
            con.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from None
    sums = summarize(results)
    con.print(_summary_table(f"{len(folders)} runs pooled: CER (whitespace ignored)", sums))
    typer.echo(markdown_table(sums))


@bench_app.command("render")
def render_cmd(
    images: int = typer.Option(4000, help="Images rendered per measurement."),
    processes: list[int] = typer.Option([1, 2], help="Worker counts to measure (repeatable)."),
) -> None:
    """Images/s of the dataset renderer (all system faces, default charset, augmented).

    Example: pageocr bench render --images 4000 --processes 1 --processes 2
    """
    from recognizer.charset import DEFAULT_SPEC, Charset
    from recognizer.dataset import FaceTable
    from recognizer.fonts import discover
    from recognizer.throughput import measure

    charset = Charset.from_spec(DEFAULT_SPEC)
    table = FaceTable.build(discover(), charset)
    for n in processes:
        rate = measure(images, n, table, charset)
        typer.echo(f"{n} process(es): {rate:.0f} images/s")
