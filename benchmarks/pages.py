"""``python -m benchmarks pages`` and ``pool``: CER and seconds per page of pageocr and
Tesseract 5 (``chi_sim``) on the very same rendered man-page pages
(:mod:`benchmarks.manpages`), and several runs pooled."""

from __future__ import annotations

import json
import logging
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from benchmarks.engines import (
    Engine,
    pageocr_engine,
    pageocr_in_process,
    run_engine,
    tesseract_engine,
    tesseract_version,
    warm_up,
)
from benchmarks.manpages import (
    MAN_DIR,
    VARIANTS,
    BenchPage,
    allowed_chars,
    available_faces,
    choose_pages,
    manpage_files,
    write_page,
)
from benchmarks.scoring import cer_from, score
from benchmarks.tables import console, rich_table

log = logging.getLogger(__name__)

ENGINES = ("pageocr", "tesseract")


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


def parse_engines(spec: str) -> list[str]:
    names = [e.strip() for e in spec.split(",") if e.strip()]
    bad = [n for n in names if n not in ENGINES]
    if bad or not names:
        raise typer.BadParameter(f"unknown engine(s) {', '.join(bad)}; use {','.join(ENGINES)}")
    return names


def _engines(names: Sequence[str], model: Path | None, threads: int, in_process: bool = False,
             rules: str = "default") -> list[Engine]:  # fmt: skip
    out = []
    for name in names:
        if name == "pageocr":
            make = pageocr_in_process if in_process else pageocr_engine
            out.append(make(model, rules))
        else:
            eng, why = tesseract_engine(threads)
            if eng is None:
                typer.echo(f"skipping tesseract: {why}", err=True)
            else:
                out.append(eng)
    return out


def render_pages(n: int, seed: int, out: Path, man_dir: Path) -> list[BenchPage]:
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
    rules: str = typer.Option(
        "default", help="pageocr's reading rules (read --rules): default, manpage or none."
    ),
) -> None:
    """CER and s/page of pageocr and Tesseract on rendered pages of manpages-zh text.

    Example: python -m benchmarks pages --pages 10 -o runs/bench-pages
    """
    names = parse_engines(engines)
    con = console()
    with con.status("rendering pages"):
        bench = render_pages(pages, seed, out, man_dir)
    con.print(f"{len(bench)} pages x {len(VARIANTS)} variants written to {out}")
    engs = engines_or_exit(names, model, tesseract_threads, in_process, con, rules)
    results = run_engines(_items(bench), engs, con)
    how = ", pageocr in process (model loaded once)" if in_process else ""
    how += f", rules {rules}" if rules != "default" else ""
    _report_pages(results, bench, out, f"seed {seed}, tesseract threads "
                  f"{tesseract_threads or 'default'}{how}", con)  # fmt: skip


def engines_or_exit(names: Sequence[str], model: Path | None, threads: int, in_process: bool,
                     con, rules: str = "default") -> list[Engine]:  # fmt: skip
    """The engines to run; exit 2 if pageocr's model cannot load, 1 if none is left."""
    from recognizer.runtime import ModelError

    try:
        engs = _engines(names, model, threads, in_process, rules)
    except ModelError as err:
        con.print(f"[red]pageocr: {err}[/red]")
        raise typer.Exit(2) from None
    if not engs:
        raise typer.Exit(1)
    return engs


def run_engines(items: Sequence[Item], engs: Sequence[Engine], con) -> list[PageResult]:
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


def summary_table(title: str, sums: Sequence[Summary]):
    """The rich table of per-variant, per-engine summaries (as :func:`markdown_table`)."""
    return rich_table(title, ["variant", "engine", "pages", "CER all", "CER hanzi", "s/page"],
                       [[s.variant, s.engine, _pages_cell(s), f"{s.cer_all:.2%}",
                         f"{s.cer_hanzi:.2%}", f"{s.seconds:.2f}"] for s in sums])  # fmt: skip


def _report_pages(results: list[PageResult], bench: list[BenchPage], out: Path, note: str,
                  con) -> None:  # fmt: skip
    sums = summarize(results)
    con.print(summary_table("pages: CER (whitespace ignored) and wall seconds per page", sums))
    ratios = ratio_lines(sums) or ["no pageocr / tesseract ratio: both engines are needed"]
    for line in ratios:
        con.print(line)
    head = (f"# python -m benchmarks pages\n\n{len(bench)} pages of manpages-zh text, {note}; "
            f"{tesseract_version() or 'tesseract not found'}.\n\n")  # fmt: skip
    md = head + markdown_table(sums) + "".join(f"\n{line}  " for line in ratios) + "\n"
    (out / "results.md").write_text(md, encoding="utf-8")
    pages = [{"index": p.index, "font": p.fonts.name, "sources": p.sources, "images": p.images}
             for p in bench]  # fmt: skip
    meta = {"run": note, "pages": pages, "summary": [asdict(s) for s in sums],
            "results": [asdict(r) for r in results]}  # fmt: skip
    (out / "results.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    con.print(f"wrote {out}/results.md and {out}/results.json")


def load_results(folder: Path) -> list[PageResult]:
    """The per-page results a ``python -m benchmarks pages`` run wrote to
    ``folder/results.json``."""
    path = folder / "results.json"
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["results"]
        return [PageResult(**row) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a pages benchmark result ({err})") from None


def pool_cmd(
    folders: list[Path] = typer.Argument(..., help="Output folders of `pages` runs."),
) -> None:
    """CER over several `pages` runs pooled (the sum of distances over the sum of
    lengths), e.g. the development pages of seeds 1-5.

    Example: python -m benchmarks pool runs/dev/seed1 runs/dev/seed2 runs/dev/seed3
    """
    con = console()
    results = []
    for folder in folders:
        try:
            results += load_results(folder)
        except ValueError as err:
            con.print(f"[red]{err}[/red]")
            raise typer.Exit(2) from None
    sums = summarize(results)
    con.print(summary_table(f"{len(folders)} runs pooled: CER (whitespace ignored)", sums))
    typer.echo(markdown_table(sums))
