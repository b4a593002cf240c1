"""``python -m benchmarks scripts``: a real traditional document and a simplified page full
of level-2 characters, set by Chromium, read by pageocr (one or more models), Tesseract
(``chi_sim`` and ``chi_tra``) and RapidOCR in one run: CER all and hanzi per page and
engine (issue 22).

* Traditional pages: the DESCRIPTION (描述) section of zh_TW man pages of Debian's
  manpages-zh (``/usr/share/man/zh_TW/man1``), the ones with the most hanzi of prose,
  roff markup stripped, about 600-1200 characters a page, in traditional faces.
* Level-2 pages: :data:`LEVEL2_TEXTS`, names and places written for this benchmark (the
  level-2 text of ``python -m benchmarks charsets doubtful`` and more; about a fifth of
  their hanzi are level 2), in simplified faces.

One face of each kind, WenQuanYi Zen Hei, is held out from pageocr's training; the
others (Noto CJK, AR PL UMing) are training faces, which the report marks.

The truth of a page is the text Chromium drew on its screenshot
(:meth:`benchmarks.browser.Browser.screenshot_page`); CER ignores whitespace.

Example::

    python -m benchmarks scripts --model real \\
        --model runs/zh11k-ft/export/model-int8.tflite --keep runs/scripts/pages
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import typer

from benchmarks.charsets import DOUBTFUL_TEXTS
from benchmarks.corpus import check_not_reserved
from benchmarks.engines import (
    Engine,
    pageocr_in_process,
    rapidocr_engine,
    run_engine,
    tesseract_engine,
    tesseract_version,
)
from benchmarks.manpages import read_manpage, roff_paragraphs
from benchmarks.scoring import Score, hanzi_only, score
from benchmarks.tables import console, markdown_table, rich_table
from recognizer.fonts import DEFAULT_HELDOUT

TRAD_MAN_DIR = Path("/usr/share/man/zh_TW/man1")
#: Faces of the traditional pages, one a page in turn; WenQuanYi Zen Hei is one of the
#: families held out from training (``recognizer.fonts.DEFAULT_HELDOUT``), the others
#: are training faces.
TRAD_FACES = ("Noto Sans CJK TC", "AR PL UMing TW", "WenQuanYi Zen Hei")
#: Faces of the level-2 pages: each face sets all of :data:`LEVEL2_TEXTS` on one page.
LEVEL2_FACES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei")
#: Titles (in part) of the section a traditional page is taken from.
DESCRIPTION_TITLES = ("描述", "DESCRIPTION")

#: Simplified text full of 通用规范汉字表 level-2 characters (names of people and places),
#: written for this benchmark; the first is ``DOUBTFUL_TEXTS["level-2"]``.
LEVEL2_TEXTS = (
    DOUBTFUL_TEXTS["level-2"],
    "邵婧和濮琛是大学同学。毕业后婧去了衢州，琛回到家乡郴州。每年春天，他们约好在婺源见面，"
    "看油菜花，住在一家姓缪的人开的客栈里。客栈老板的女儿叫缪玥，喜欢弹琵琶，也会做一手好吃"
    "的腌笃鲜。",
    "翟昱家住邳州，祖籍盱眙。他的表姐芮琦在滁州教书，表弟蔺骞在亳州做药材生意。去年冬天，"
    "一家人到歙县和黟县看了徽派老宅，又坐车去了鄱阳湖，看成群的白鹤从湖面飞过。",
    "我的朋友邝璟是醴陵人，做瓷器的手艺是跟外公学的。他的妻子岑妤来自岑溪，两人在浏阳河边"
    "开了一间茶馆，卖擂茶和桂花糕。来喝茶的有耒阳的钟先生、汨罗的屈老师，还有从泸州来的琨哥。",
    "郯城的莒女士给我写信说，沭阳的月季开了，盱眙的龙虾也上市了，问我什么时候去看她。"
    "我回信说，等忙完这一阵，就带着晗晗和璐璐去，顺路到睢宁和砀山看看梨花。",
    "旅行路线：从邯郸出发，经濮阳、亳州、蚌埠到滁州，再去婺源、衢州和丽水，最后在温州的"
    "瓯江边结束。同行的有婷婷、琪琪、晗晗、璐璐、缪玥、芮琦和邝璟，领队是翟昊。",
)

# ------------------------------------------------------------------------------ roff

#: Font macros whose arguments are set in one font, separated by spaces.
_ONE_FONT = frozenset({"B", "I", "SM", "SB"})
#: Font macros that alternate two fonts between arguments, which are set without spaces.
_TWO_FONTS = frozenset({"BR", "RB", "BI", "IB", "IR", "RI"})
_ARG = re.compile(r'"((?:[^"]|"")*)"?|(\S+)')


def roff_args(text: str) -> list[str]:
    """The arguments of a roff request line (after its name): words, or quoted strings
    in which ``""`` is a quote.

    >>> roff_args('a "b c" d""e')
    ['a', 'b c', 'd""e']
    """
    return [q.replace('""', '"') if w is None or w == "" else w
            for q, w in ((m.group(1), m.group(2)) for m in _ARG.finditer(text))]  # fmt: skip


def inline_font_macros(source: str) -> str:
    """Font macro lines (``.B word``, ``.BR a b``...) made text lines of their words,
    so that the words stay in their paragraph (``roff_paragraphs`` drops every control
    line); a font macro without arguments, which sets the next line, is dropped.

    >>> inline_font_macros('.PP\\n.B gzip\\nreads\\n.BR \\\\-d " and"\\n')
    '.PP\\ngzip\\nreads\\n\\\\-d and\\n'
    """
    out = []
    for line in source.splitlines(keepends=True):
        m = re.match(r"[.'][ \t]*(\w+)[ \t]*(.*?)(\n?)$", line, re.S)
        if m and m.group(1) in _ONE_FONT | _TWO_FONTS:
            args = roff_args(m.group(2))
            if not args:
                continue
            line = (" " if m.group(1) in _ONE_FONT else "").join(args) + m.group(3)
        out.append(line)
    return "".join(out)


def section_source(source: str, titles: Sequence[str] = DESCRIPTION_TITLES) -> str:
    """The lines of the first ``.SH`` section whose title holds one of ``titles`` (''
    when there is none), its heading left out."""
    out: list[str] = []
    inside = False
    for line in source.splitlines():
        if re.match(r"[.']\s*SH\b", line):
            if inside:
                break
            title = " ".join(roff_args(line.split(None, 1)[1] if " " in line else ""))
            inside = any(t in title for t in titles)
        elif inside:
            out.append(line)
    return "\n".join(out)


def is_prose(paragraph: str, min_chars: int = 20, min_hanzi: float = 0.4) -> bool:
    """A paragraph of at least ``min_chars`` non-space characters, at least
    ``min_hanzi`` of them hanzi (not an option list or an example)."""
    chars = "".join(paragraph.split())
    return len(chars) >= min_chars and len(hanzi_only(chars)) >= min_hanzi * len(chars)


def take_chars(paragraphs: Sequence[str], max_chars: int) -> list[str]:
    """The first paragraphs up to ``max_chars`` characters in all; the one that does not
    fit is cut after its last full stop (。！？) inside the limit, or left out."""
    out: list[str] = []
    left = max_chars
    for p in paragraphs:
        if len(p) <= left:
            out.append(p)
            left -= len(p)
            continue
        cut = max((p.rfind(s, 0, left) for s in "。！？"), default=-1)
        if cut >= 0:
            out.append(p[: cut + 1])
        break
    return out


def description_paragraphs(source: str, max_chars: int = 1200) -> list[str]:
    """The prose paragraphs of a man page's DESCRIPTION, up to ``max_chars`` characters.

    Args:
        source: the roff text of a man page.
        max_chars: most characters (spaces included) of the paragraphs kept.

    Returns:
        Plain-text paragraphs in page order (:func:`is_prose` ones only).
    """
    section = inline_font_macros(section_source(source))
    return take_chars([p for p in roff_paragraphs(section) if is_prose(p)], max_chars)


def traditional_documents(man_dir: Path = TRAD_MAN_DIR, n: int = 3, min_chars: int = 600,
                          max_chars: int = 1200) -> list[tuple[str, list[str]]]:  # fmt: skip
    """The ``n`` man pages whose DESCRIPTION gives the most hanzi (in at least
    ``min_chars`` characters of prose), as (file name, paragraphs); pages of the same
    text (bzip2, bunzip2) count once; ties go by name."""
    found: dict[str, tuple[str, list[str]]] = {}
    for path in sorted(man_dir.glob("*.gz")):
        check_not_reserved(path)
        paras = description_paragraphs(read_manpage(path), max_chars)
        if sum(len(p) for p in paras) >= min_chars:
            found.setdefault("\n".join(paras), (path.name, paras))
    ranked = sorted(found.values(), key=lambda d: (-len(hanzi_only("".join(d[1]))), d[0]))
    return ranked[:n]


# ----------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class ScriptPage:
    """One page to set: its kind (``traditional`` or ``level-2``), source, face and text."""

    kind: str
    source: str
    face: str
    paragraphs: tuple[str, ...]

    @property
    def stem(self) -> str:
        face = re.sub(r"[^A-Za-z0-9]+", "-", self.face).strip("-")
        return f"{self.kind}-{Path(self.source).name.split('.')[0]}-{face}"


def page_html(paragraphs: Sequence[str], family: str, px: int, lang: str = "zh-Hans",
              font_url: str = "") -> str:  # fmt: skip
    """A page of ``paragraphs`` in ``family`` at ``px`` CSS px, black on white, 760 px wide.

    Args:
        paragraphs: plain text, one ``<p>`` each (HTML-escaped).
        family: the CSS font family; with ``font_url``, the face of that file.
        px: font size, CSS px.
        lang: the page's language (``zh-Hant`` makes Chromium fall back to
            traditional forms).
        font_url: a font file the family is loaded from (``@font-face``), for tests
            that must not depend on the system's fonts.

    Returns:
        The HTML text.
    """
    face = f'@font-face{{font-family:"{family}";src:url("{font_url}")}}' if font_url else ""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>{face}'
            f'body{{margin:0;padding:32px;width:760px;background:#fff;color:#111;'
            f'font-family:"{family}";font-size:{px}px;line-height:1.7}}'
            f"p{{margin:0 0 0.8em}}</style></head><body>{body}</body></html>")  # fmt: skip


def script_pages(n_trad: int, man_dir: Path = TRAD_MAN_DIR) -> list[ScriptPage]:
    """The traditional pages (faces of :data:`TRAD_FACES` in turn) and the level-2
    pages (one per face of :data:`LEVEL2_FACES`)."""
    docs = traditional_documents(man_dir, n_trad)
    pages = [ScriptPage("traditional", name, TRAD_FACES[i % len(TRAD_FACES)], tuple(paras))
             for i, (name, paras) in enumerate(docs)]  # fmt: skip
    return pages + [ScriptPage("level-2", "names", f, LEVEL2_TEXTS) for f in LEVEL2_FACES]


@dataclass(frozen=True)
class Rendered:
    """A page set by Chromium: its PNG and the text drawn on it."""

    page: ScriptPage
    image: Path
    truth: str


def shoot(pages: Sequence[ScriptPage], folder: Path, px: int) -> list[Rendered]:
    """Each page written as HTML into ``folder`` and screenshot by Chromium."""
    from benchmarks.browser import Browser

    shots = []
    with Browser() as browser:
        for page in pages:
            lang = "zh-Hant" if page.kind == "traditional" else "zh-Hans"
            src = folder / f"{page.stem}.html"
            src.write_text(page_html(page.paragraphs, page.face, px, lang), encoding="utf-8")
            shot = browser.screenshot_page(src, src.with_suffix(".png"), width=824)
            src.with_suffix(".txt").write_text(shot.text + "\n", encoding="utf-8")
            shots.append(Rendered(page, shot.image, shot.text))
    return shots


# --------------------------------------------------------------------------- engines


def model_label(model: str) -> str:
    """A short name of a ``--model``: a shipped name as is, a path by its last parts
    (``runs/zh11k-ft/export/model-int8.tflite`` -> ``zh11k-ft/model-int8``)."""
    path = Path(model)
    if not path.suffix and len(path.parts) == 1:
        return model
    parts = [p for p in path.with_suffix("").parts[-3:] if p != "export"]
    return "/".join(parts[-2:])


def script_engines(models: Sequence[str]) -> tuple[list[Engine], dict[str, str]]:
    """pageocr (in process) for each model, Tesseract ``chi_sim`` and ``chi_tra``,
    RapidOCR; and {engine: why not} for those that cannot run."""
    engs = [replace(pageocr_in_process(Path(m)), name=f"pageocr {model_label(m)}") for m in models]
    missing = {}
    for lang in ("chi_sim", "chi_tra"):
        eng, why = tesseract_engine(lang=lang)
        if eng is None:
            missing[f"tesseract {lang}"] = why
        else:
            engs.append(replace(eng, name=f"tesseract {lang}"))
    eng, why = rapidocr_engine()
    if eng is None:
        missing["rapidocr"] = why
    else:
        engs.append(eng)
    return engs, missing


@dataclass(frozen=True)
class Result:
    """One engine's reading of one page."""

    stem: str
    kind: str
    engine: str
    score: Score
    seconds: float
    error: str = ""


def read_all(shots: Sequence[Rendered], engs: Sequence[Engine], folder: Path, con) -> list[Result]:
    """Every page read by every engine (its text kept beside the image), scored."""
    from rich.progress import Progress

    results = []
    with Progress(console=con) as prog:
        task = prog.add_task("reading", total=len(shots) * len(engs))
        for shot in shots:
            for eng in engs:
                prog.update(task, description=f"{eng.name}: {shot.image.name}")
                run = run_engine(eng, shot.image)
                slug = re.sub(r"[^A-Za-z0-9]+", "-", eng.name).strip("-")
                (folder / f"{shot.image.stem}.{slug}.txt").write_text(run.text, encoding="utf-8")
                scored = score(shot.truth, run.text)
                results.append(Result(shot.image.stem, shot.page.kind, eng.name, scored,
                                      run.seconds, run.error))  # fmt: skip
                prog.advance(task)
    return results


# ---------------------------------------------------------------------------- report

HEADER = ["page", "engine", "chars", "CER all", "CER hanzi", "seconds"]


def _pooled(results: Sequence[Result]) -> Score:
    return Score(sum(r.score.dist_all for r in results), sum(r.score.len_all for r in results),
                 sum(r.score.dist_hanzi for r in results),
                 sum(r.score.len_hanzi for r in results))  # fmt: skip


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    """Rows of :data:`HEADER`: each page and engine, then each kind of page and engine
    pooled (sum of distances over sum of lengths, ``all traditional``...)."""
    rows = []
    for r in results:
        s = r.score
        seconds = f"{r.seconds:.1f}" + (" (error)" if r.error else "")
        rows.append([r.stem, r.engine, str(s.len_all), f"{s.cer_all:.2%}",
                     f"{s.cer_hanzi:.2%}", seconds])  # fmt: skip
    engines = list(dict.fromkeys(r.engine for r in results))
    for kind in dict.fromkeys(r.kind for r in results):
        for eng in engines:
            group = [r for r in results if r.kind == kind and r.engine == eng]
            s = _pooled(group)
            rows.append([f"all {kind}", eng, str(s.len_all), f"{s.cer_all:.2%}",
                         f"{s.cer_hanzi:.2%}", f"{sum(r.seconds for r in group):.1f}"])  # fmt: skip
    return rows


def level2_share(text: str) -> tuple[int, int]:
    """(level-2 hanzi of the 通用规范汉字表, all hanzi) of ``text``."""
    from recognizer.charset import Charset

    level2 = set(Charset.from_spec("tgscc-2").chars)
    hanzi = hanzi_only(text)
    return sum(c in level2 for c in hanzi), len(hanzi)


def report(shots: Sequence[Rendered], results: Sequence[Result], times: dict[str, float],
           folder: Path, out: Path) -> str:  # fmt: skip
    """The Markdown report: pages (with their images), the CER table, wall times."""
    lines = ["# python -m benchmarks scripts", "",
             f"Pages set by Chromium (images and truths in `{folder}`); "
             "CER whitespace ignored; pageocr in process with its model loaded before "
             "timing, Tesseract and RapidOCR one process per page (start-up included); "
             f"{tesseract_version() or 'tesseract not found'}.", ""]  # fmt: skip
    for s in shots:
        n2, nh = level2_share(s.truth)
        rel = os.path.relpath(s.image.resolve(), out.parent.resolve())
        n_chars = len("".join(s.truth.split()))
        held = " (held out from training)" if s.page.face in DEFAULT_HELDOUT else ""
        lines.append(f"- [{s.image.name}]({rel}): {s.page.source}, {s.page.face}{held}, "
                     f"{n_chars} characters, {nh} hanzi, {n2} of level 2")  # fmt: skip
    table = markdown_table(HEADER, table_rows(results))
    lines += ["", table, "Wall time per engine (all pages):", ""]
    lines += [f"- {eng}: {sec:.1f} s" for eng, sec in times.items()]
    errors = [f"- {r.engine} on {r.stem}: {r.error}" for r in results if r.error]
    return "\n".join(lines + (["", "Errors:", *errors] if errors else [])) + "\n"


def scripts_cmd(
    model: list[str] = typer.Option(
        ["real"], "--model", "-m", help="pageocr's model: a shipped name or a .tflite; repeat."
    ),
    manpages: int = typer.Option(3, help="Traditional pages (zh_TW man pages)."),
    px: int = typer.Option(18, help="Font size of the pages, CSS px."),
    keep: Path = typer.Option(Path("runs/scripts/pages"), help="Folder of pages and readings."),
    out: Path = typer.Option(Path("runs/scripts/report.md"), "--out", "-o"),
) -> None:
    """Traditional man pages and level-2 name pages set by Chromium, read by pageocr
    (each --model), Tesseract chi_sim and chi_tra, and RapidOCR: CER per page and engine.

    Example: python -m benchmarks scripts -m real -m runs/zh11k-ft/export/model-int8.tflite
    """
    con = console()
    keep.mkdir(parents=True, exist_ok=True)
    with con.status("setting the pages in Chromium"):
        shots = shoot(script_pages(manpages), keep, px)
    engs, missing = script_engines(model)
    for name, why in missing.items():
        con.print(f"[red]{name} left out: {why}[/red]")
    with con.status("loading pageocr's models (one untimed page each)"):
        for eng in engs:
            if eng.reader is not None:
                run_engine(eng, shots[0].image)
    t0 = time.perf_counter()
    results = read_all(shots, engs, keep, con)
    times = {e.name: sum(r.seconds for r in results if r.engine == e.name) for e in engs}
    con.print(rich_table("scripts: CER (whitespace ignored) per page and engine", HEADER,
                         table_rows(results)))  # fmt: skip
    for name, sec in times.items():
        con.print(f"{name}: {sec:.1f} s for {len(shots)} pages")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report(shots, results, times, keep, out), encoding="utf-8")
    con.print(f"wrote {out} ({time.perf_counter() - t0:.0f} s of reading)")
