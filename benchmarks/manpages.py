"""The rendered-pages corpus of ``python -m benchmarks pages``: real Chinese prose set on
pages, each written in three variants with its truth.

* Text: paragraphs of Debian's manpages-zh (``/usr/share/man/zh_CN``), roff markup
  stripped, kept only when mostly hanzi and entirely inside the default charset
  (``gb2312-1+ascii+punct``) and the page fonts.  This text is for evaluation only:
  training never sees it (training renders single characters from fonts, see
  :mod:`recognizer.render`), so page CER measures reading of unseen prose.
* Fonts: the held-out families only (LXGW WenKai, AR PL SungtiL GB, WenQuanYi Zen Hei
  for hanzi, rotating per page; Liberation Serif for ASCII runs).
* Variants of each page: ``page150`` (clean A4 at 150 dpi, 12 pt body), ``screen96``
  (the same text at 96-dpi screenshot scale, 15 px) and ``scan`` (``page150`` rotated,
  blurred, noisy, unevenly lit and saved as JPEG, :func:`benchmarks.degrade.degrade_scan`).
"""

from __future__ import annotations

import functools
import gzip
import logging
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.degrade import degrade_scan
from benchmarks.scoring import hanzi_only

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image, ImageFont

log = logging.getLogger(__name__)

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
