"""Screenshot-like images of program messages, for ``python -m benchmarks screens``.

The page benchmark sets man-page prose in three held-out faces; screenshots of real
programs look otherwise: short lines of interface text (menus, options, error
messages) in whatever face the desktop uses, at 12-24 px, in dark or light themes,
with Latin words drawn by the Chinese face or, where it has none, by a fallback face.
This module makes such images:

* Text: the Simplified Chinese translations of the programs installed here, read
  from their message catalogues (``/usr/share/locale/zh_CN/LC_MESSAGES/*.mo``);
  lines of 6-60 characters with a hanzi, inside the default charset, without
  format directives (%s, {0}, tabs).  No training step reads them.
* Faces: every Chinese face of the list below that is installed (train and
  held-out alike, as on real desktops), each image one face, one size, one theme;
  characters a face lacks are drawn with DejaVu Sans, as a desktop's fallback does.

Everything here but :func:`messages` takes its inputs as arguments, so tests can
run it on fixture fonts and strings.
"""

from __future__ import annotations

import gettext
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from benchmarks.engines import tesseract_version
from benchmarks.manpages import CHARSET_SPEC
from benchmarks.pages import (
    Item,
    PageResult,
    Summary,
    engines_or_exit,
    markdown_table,
    parse_engines,
    run_engines,
    summarize,
    summary_table,
)
from benchmarks.tables import console

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image

LOCALE_DIR = Path("/usr/share/locale/zh_CN/LC_MESSAGES")
FALLBACK_FACE = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

#: (label, file, face index) of the Chinese faces tried, in report order.
FACES = (
    ("Noto Sans CJK", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("Noto Sans CJK Bold", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("Noto Serif CJK", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("WenQuanYi Micro Hei", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("WenQuanYi Zen Hei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("Droid Sans Fallback", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("AR PL SungtiL GB", "/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("LXGW WenKai", "/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0),
)
SIZES = (12, 13, 14, 15, 16, 18, 20, 24)
#: (background, text) colours: light, grey text, light grey panel, dark mode, link blue,
#: and a warm note.
THEMES = (
    ((255, 255, 255), (30, 30, 30)),
    ((255, 255, 255), (96, 96, 96)),
    ((245, 246, 248), (51, 51, 51)),
    ((30, 31, 34), (220, 221, 222)),
    ((255, 255, 255), (20, 90, 200)),
    ((255, 250, 235), (80, 60, 20)),
)
#: Line pitch, as a multiple of the size.
LEADINGS = (1.4, 1.6, 1.8, 2.2)

_HANZI = re.compile(r"[\u4e00-\u9fff]")
_DIRECTIVE = re.compile(r"[%\\{}<>\t]")


def candidate_lines(texts: Iterable[str], allowed: set[str]) -> list[str]:
    """The lines of ``texts`` fit for a screen: 6-60 characters, a hanzi among them,
    every character in ``allowed`` (spaces aside), no format directive; sorted, unique."""
    out = set()
    for text in texts:
        for line in text.split("\n"):
            line = line.strip()
            if not 6 <= len(line) <= 60 or not _HANZI.search(line) or _DIRECTIVE.search(line):
                continue
            if all(ch == " " or ch in allowed for ch in line):
                out.add(line)
    return sorted(out)


def messages(locale_dir: Path = LOCALE_DIR) -> list[str]:
    """The translated messages of every catalogue in ``locale_dir`` (plural forms too)."""
    out = []
    for mo in sorted(locale_dir.glob("*.mo")):
        try:
            with mo.open("rb") as f:
                # the only way to list them: _catalog is private and not in typeshed
                catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        out += [v for k, v in catalog.items() if k and isinstance(v, str)]
    return out


@dataclass(frozen=True)
class Screen:
    """One image to draw: its lines, face, size in pixels per em, theme and pitch."""

    index: int
    lines: tuple[str, ...]
    face: tuple[str, str, int]
    size: int
    theme: tuple[tuple[int, int, int], tuple[int, int, int]]
    leading: float

    @property
    def label(self) -> str:
        return self.face[0]

    @property
    def stem(self) -> str:
        return f"screen-{self.index:03d}"


def choose_screens(
    n: int, seed: int, lines: Sequence[str], faces: Sequence[tuple[str, str, int]]
) -> list[Screen]:
    """``n`` screens of 4-9 lines each, faces in turn, size, theme and pitch drawn at
    random; no line is used twice."""
    rng = random.Random(seed)
    pool = list(lines)
    rng.shuffle(pool)
    out: list[Screen] = []
    for i in range(n):
        k = rng.randint(4, 9)
        if len(pool) < k:
            break
        chosen, pool = tuple(pool[:k]), pool[k:]
        face = faces[i % len(faces)]
        out.append(Screen(i, chosen, face, rng.choice(SIZES), rng.choice(THEMES),
                          rng.choice(LEADINGS)))  # fmt: skip
    return out


@lru_cache(maxsize=16)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, fontNumber=index, lazy=True).getBestCmap())


def draw_screen(screen: Screen, fallback: str | None = None, margin: int = 20) -> Image.Image:
    """The screen as an RGB image: each line at the left margin, characters the face
    lacks in ``fallback`` (default ``FALLBACK_FACE``)."""
    from PIL import Image, ImageDraw, ImageFont

    _, path, index = screen.face
    font = ImageFont.truetype(path, screen.size, index=index)
    spare = ImageFont.truetype(fallback or FALLBACK_FACE, screen.size)
    cmap = _cmap(path, index)

    def runs(line: str) -> list[tuple[str, ImageFont.FreeTypeFont]]:
        out: list[tuple[str, ImageFont.FreeTypeFont]] = []
        for ch in line:
            f = font if ord(ch) in cmap else spare
            if out and out[-1][1] is f:
                out[-1] = (out[-1][0] + ch, f)
            else:
                out.append((ch, f))
        return out

    width = max(sum(f.getlength(t) for t, f in runs(line)) for line in screen.lines)
    pitch = round(screen.size * screen.leading)
    bg, fg = screen.theme
    img = Image.new("RGB", (int(width) + 2 * margin, pitch * len(screen.lines) + 2 * margin), bg)
    draw = ImageDraw.Draw(img)
    for n, line in enumerate(screen.lines):
        x = float(margin)
        for text, f in runs(line):
            draw.text((x, margin + n * pitch), text, font=f, fill=fg)
            x += f.getlength(text)
    return img


def write_screen(screen: Screen, out: Path, fallback: str | None = None) -> Path:
    """Draw a screen into ``out`` as STEM.png with its truth STEM.txt; the image's path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{screen.stem}.png"
    draw_screen(screen, fallback).save(path)
    path.with_suffix(".txt").write_text("\n".join(screen.lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------------ screens


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

    Example: python -m benchmarks screens --images 40 -o runs/bench-screens
    """
    names = parse_engines(engines)
    faces, lines = _faces_and_lines(locale_dir)
    con = console()
    chosen = choose_screens(images, seed, lines, faces)
    with con.status("rendering screens"):
        paths = [write_screen(s, out / re.sub(r"\W+", "-", s.label).lower())
                 for s in chosen]  # fmt: skip
    con.print(f"{len(chosen)} screens from {len(lines)} messages written to {out}")
    items = [Item(s.label, p, p.with_suffix(".txt")) for s, p in zip(chosen, paths, strict=True)]
    results = run_engines(items, engines_or_exit(names, model, tesseract_threads, in_process,
                                                   con), con)  # fmt: skip
    tables = _summaries(results, chosen, paths)
    for title, sums in zip(("by face", "by size", "all screens"), tables, strict=True):
        con.print(summary_table(f"screens {title}: CER (whitespace ignored), s/image", sums))
    note = (f"{len(chosen)} screens of zh_CN program messages, seed {seed}"
            f"{', pageocr in process' if in_process else ''}; "
            f"{tesseract_version() or 'tesseract not found'}")  # fmt: skip
    _write_results(out, note, chosen, paths, tables, results)
    con.print(f"wrote {out}/results.md and {out}/results.json")


def _faces_and_lines(locale_dir: Path) -> tuple[list[tuple[str, str, int]], list[str]]:
    """The installed faces of :data:`FACES` and the message lines of the catalogues in
    ``locale_dir`` that the charset can spell; a usage error (exit 2) without either."""
    from recognizer.charset import Charset

    faces = [f for f in FACES if Path(f[1]).is_file()]
    if not faces or not Path(FALLBACK_FACE).is_file():
        raise typer.BadParameter("no Chinese faces or no DejaVu Sans: install fonts-noto-cjk, "
                                 "fonts-wqy-zenhei, fonts-dejavu-core")  # fmt: skip
    allowed = set(Charset.from_spec(CHARSET_SPEC).chars)
    lines = candidate_lines(messages(locale_dir), allowed)
    if not lines:
        raise typer.BadParameter(f"no zh_CN messages in {locale_dir}")
    return faces, lines


def _summaries(
    results: Sequence[PageResult], chosen: Sequence[Screen], paths: Sequence[Path]
) -> tuple[list[Summary], list[Summary], list[Summary]]:
    """The results pooled by face (each screen's variant), by size and over all."""
    size_of = {str(p): s.size for s, p in zip(chosen, paths, strict=True)}
    by_face = summarize(results)
    by_size = summarize(sorted((replace(r, variant=f"{size_of[r.image]:02d} px") for r in results),
                               key=lambda r: r.variant))  # fmt: skip
    overall = summarize(replace(r, variant="all") for r in results)
    return by_face, by_size, overall


def _write_results(
    out: Path,
    note: str,
    chosen: Sequence[Screen],
    paths: Sequence[Path],
    tables: tuple[list[Summary], list[Summary], list[Summary]],
    results: Sequence[PageResult],
) -> None:
    """Write ``results.md`` (the tables by face, by size and over all) and ``results.json``
    (the screens, the summaries and every result) into ``out``."""
    by_face, by_size, overall = tables
    md = f"# python -m benchmarks screens\n\n{note}.\n" + "".join(
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
