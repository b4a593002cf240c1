"""``python -m benchmarks docs``: build the real-document corpus and read it with pageocr,
Tesseract and RapidOCR; CER all / hanzi / Latin / punctuation per source and variant.

Example::

    python -m benchmarks docs build -o runs/docs
    python -m benchmarks docs run runs/docs --split dev
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import typer

from benchmarks import corpus
from benchmarks.scoring import edit_distance, hanzi_only
from benchmarks.tables import console, markdown_table, rich_table

log = logging.getLogger(__name__)

docs_app = typer.Typer(no_args_is_help=True, help="The real-document corpus (issue 18).")

CLASSES = ("all", "hanzi", "latin", "punct", "strict")


def _latin(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isalnum())


def _punct(text: str) -> str:
    return "".join(c for c in text if not (c.isascii() and c.isalnum()) and not corpus.is_hanzi(c))


_FILTERS: dict[str, Callable[[str], str]] = {
    "all": lambda t: t,
    "hanzi": hanzi_only,
    "latin": _latin,
    "punct": _punct,
}


def in_truth_order(truth: str, hyp: str, n: int = 3) -> str:
    r"""The hypothesis with its lines put in the order their text has in the truth.

    Engines order a page's blocks their own way (a web page's side bar before or after
    its body; the truth of a screenshot is in DOM order), and a plain CER charges a
    block read whole but placed elsewhere as all its characters wrong. Each line of the
    hypothesis is placed at the median position in the truth of its character n-grams
    found there; a line with none stays after the line before it. Errors inside lines,
    and lines missing or made up, cost as before.

    >>> in_truth_order("一二三四\n五六七八", "五六七八\n一二三四")
    '一二三四\n五六七八'
    >>> in_truth_order("一二三\n四五六\n一二三", "四五六\n一二三\n一二三")  # each copy once
    '一二三\n四五六\n一二三'
    """
    t = "".join(truth.split())
    grams: dict[str, list[int]] = {}
    for i in range(len(t) - n + 1):
        grams.setdefault(t[i : i + n], []).append(i)
    placed, last, taken = [], -1.0, set()
    for k, line in enumerate(hyp.splitlines()):
        s = "".join(line.split())
        votes: dict[int, int] = {}
        for i in range(len(s) - n + 1):
            for p in grams.get(s[i : i + n], ()):
                votes[p - i] = votes.get(p - i, 0) + 1
        if votes:  # the start most n-grams agree on; of those, one no line took yet
            best = max(votes.values())  # (a line the truth holds twice), nearest after the last
            tied = [o for o, v in votes.items() if v == best]
            free = [o for o in tied if o not in taken] or tied
            pos = float(min(free, key=lambda o: (o < last, abs(o - last))))
            taken.add(int(pos))
        else:
            pos = last + 1e-3
        placed.append((pos, k, line))
        last = pos
    return "\n".join(line for _, _, line in sorted(placed))


def class_counts(truth: str, hyp: str) -> dict[str, tuple[int, int]]:
    """{class: (edit distance, truth length)} over non-space characters of each class,
    the hypothesis's lines in the truth's order (:func:`in_truth_order`); ``strict``: all
    characters, the hypothesis as the engine ordered it.

    >>> class_counts("中文 ab,", "中又 ab")["hanzi"]
    (1, 2)
    """
    t = "".join(truth.split())
    h = "".join(in_truth_order(truth, hyp).split())
    out = {}
    for name, keep in _FILTERS.items():
        tk, hk = keep(t), keep(h)
        out[name] = (edit_distance(tk, hk), len(tk))
    out["strict"] = (edit_distance(t, "".join(hyp.split())), len(t))
    return out


@dataclass(frozen=True)
class Result:
    """One engine on one corpus image."""

    id: str
    source: str
    variant: str
    split: str
    engine: str
    seconds: float
    counts: dict[str, tuple[int, int]]
    error: str = ""
    output: str = ""


def pooled(results: Iterable[Result]) -> dict[str, float]:
    """CER per class pooled over results (sum of distances over sum of truth lengths)."""
    out = {}
    rs = list(results)
    for c in CLASSES:
        d = sum(r.counts[c][0] for r in rs)
        n = sum(r.counts[c][1] for r in rs)
        out[c] = d / n if n else float("nan")
    return out


def summary_rows(results: Sequence[Result], by: Callable[[Result], str]) -> list[list[str]]:
    """Rows: group, engine, images, characters, CER all / hanzi / latin / punct, s/image."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((by(r), r.engine), []).append(r)
    rows = []
    for (g, eng), rs in sorted(groups.items()):
        p = pooled(rs)
        secs = sum(r.seconds for r in rs) / len(rs)
        rows.append([g, eng, str(len(rs)), str(sum(r.counts["all"][1] for r in rs))]
                    + [f"{p[c]:.2%}" for c in CLASSES] + [f"{secs:.2f}"])  # fmt: skip
    return rows


HEADER = ["group", "engine", "images", "chars", "CER all", "hanzi", "latin", "punct", "strict",
          "s/image"]  # fmt: skip


def _cache_path(folder: Path, engine: str) -> Path:
    return folder / "cache" / f"{engine}.jsonl"


def load_cache(folder: Path, engine: str) -> dict[str, Result]:
    """Earlier results of an engine that does not change between runs (Tesseract,
    RapidOCR), by image id."""
    path = _cache_path(folder, engine)
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        d["counts"] = {k: tuple(v) for k, v in d["counts"].items()}
        out[d["id"]] = Result(**d)
    return out


def _append_cache(folder: Path, r: Result) -> None:
    path = _cache_path(folder, r.engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")


def read_entries(entries: Sequence[corpus.Entry], engs, folder: Path, tag: str,
                 fresh: Sequence[str] = ("pageocr",), progress=None) -> list[Result]:  # fmt: skip
    """Run every engine on every entry; engines not in ``fresh`` reuse cached results."""
    from benchmarks.engines import run_engine

    caches = {e.name: load_cache(folder, e.name) for e in engs if e.name not in fresh}
    results = []
    for e in entries:
        truth = Path(e.truth).read_text(encoding="utf-8")
        for eng in engs:
            hit = caches.get(eng.name, {}).get(e.id)
            if hit is not None and Path(hit.output).is_file():
                # scored again: the scoring may have changed since the engine ran
                hyp = Path(hit.output).read_text(encoding="utf-8")
                results.append(replace(hit, counts=class_counts(truth, hyp)))
                continue
            run = run_engine(eng, Path(e.image))
            hyp = "" if run.error else run.text
            out = Path(e.image).with_name(f"{Path(e.image).stem}.{eng.name}{tag}.txt")
            out.write_text(hyp, encoding="utf-8")
            r = Result(e.id, e.source, e.variant, e.split, eng.name, run.seconds,
                       class_counts(truth, hyp), run.error, str(out))  # fmt: skip
            results.append(r)
            if eng.name not in fresh and not run.error:
                _append_cache(folder, r)
            if progress is not None:
                progress(r)
    return results


def _table(title: str, rows: Sequence[Sequence[str]]):
    return rich_table(title, HEADER, rows)


@docs_app.command("build")
def build_cmd(
    out: Path = typer.Option(Path("runs/docs"), "--out", "-o", help="Corpus folder."),
    per_split: int = typer.Option(4, help="Pages of each PDF source in each split."),
    seed: int = typer.Option(0, help="Seeds the choice of pages and the degradations."),
    variants: str = typer.Option(",".join(corpus.PDF_VARIANTS), help="Variants of PDF pages."),
    sources: str = typer.Option(
        "debref,maintguide,texlive,xelatex,web",
        help="Sources to build; webprint-dev: further web prints for development only.",
    ),
    dev_prints: int = typer.Option(3, help="webprint-dev: documents printed per package."),
    dev_packages: str = typer.Option(
        "debref,maintguide", help="webprint-dev: the packages of web.HTML_SOURCES to print."
    ),
    choose_afresh: bool = typer.Option(
        False,
        "--choose",
        help="Choose PDF pages afresh (seeded) instead of the pinned "
        "pages of benchmarks/corpus-pages.json, which the published figures were measured on.",
    ),
) -> None:
    """Build the corpus: choose pages, render every variant, write truth and manifest.

    ``webprint-dev`` prints HTML documents that are dev both as screenshots and as prints
    (:func:`benchmarks.web.dev_prints`) and keeps their dev pages only; build it into a
    folder of its own, since ``web`` names its prints ``webprint`` too.

    Example: python -m benchmarks docs build -o runs/docs --per-split 4
    Example: python -m benchmarks docs build -o runs/docs-webdev --sources webprint-dev
    --per-split 20
    """
    con = console()
    names = [s.strip() for s in sources.split(",") if s.strip()]
    if "web" in names and "webprint-dev" in names:
        raise typer.BadParameter("web and webprint-dev both make webprint pages: build apart")
    vs = [v.strip() for v in variants.split(",") if v.strip()]
    out.mkdir(parents=True, exist_ok=True)
    try:
        pdfs = _pdf_sources(names, out, seed, dev_prints, dev_packages, con)
        pages = _choose_pages(pdfs, "webprint-dev" in names, per_split, seed, choose_afresh, con)
        entries = _render_all(pages, out, seed, vs, con)
        if "web" in names:
            from benchmarks import web

            with con.status("taking Chromium screenshots"):
                entries += web.screenshots(out, seed, per_split)
    except corpus.CorpusError as err:
        con.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    path = corpus.write_manifest(entries, out)
    con.print(f"{len(entries)} images ({len(pages)} PDF pages) in {out}; manifest {path}")


def _pdf_sources(
    names: list[str], out: Path, seed: int, dev_prints: int, dev_packages: str, con
) -> dict[str, tuple[str, ...]]:
    """The PDFs of each source named: the packages' own, and those made here (typeset
    with xelatex, printed by Chromium: the web prints or the further dev prints)."""
    pdfs = {k: v for k, v in corpus.PDF_SOURCES.items() if k in names}
    if "xelatex" in names:
        with con.status("typesetting manpages-zh text with xelatex + ctex"):
            pdfs["xelatex"] = tuple(corpus.build_xelatex(out / "typeset", seed))
    if "web" in names:
        with con.status("printing HTML documentation with Chromium"):
            from benchmarks import web

            pdfs["webprint"] = tuple(web.print_docs(out / "printed", seed))
    if "webprint-dev" in names:
        with con.status("printing HTML documentation for development with Chromium"):
            from benchmarks import web

            pkgs = [p.strip() for p in dev_packages.split(",") if p.strip()]
            pdfs["webprint"] = tuple(web.print_dev_docs(out / "printed", seed, dev_prints, pkgs))
    return pdfs


def _choose_pages(
    pdfs: dict[str, tuple[str, ...]],
    dev_only: bool,
    per_split: int,
    seed: int,
    choose_afresh: bool,
    con,
) -> list[corpus.PdfPage]:
    """The pages of each source's PDFs to render: the pinned ones unless
    ``choose_afresh`` (or for the dev prints, ``dev_only``), else ``per_split`` of each
    split chosen with ``seed``.

    Raises:
        corpus.CorpusError: a dev print has a test page.
    """
    pages = []
    pins = {} if choose_afresh else corpus.read_pins()
    for source, paths in pdfs.items():
        dev_prints_here = dev_only and source == "webprint"
        cands = corpus.candidate_pages(source, paths, by_doc=True if dev_prints_here else None)
        if dev_prints_here and any(c.split != "dev" for c in cands):
            raise corpus.CorpusError("webprint-dev: a test page among the dev prints")
        if source in pins and not dev_prints_here:
            chosen, missing = corpus.pinned(cands, pins[source])
            if missing:
                con.print(f"[yellow]{source}: {len(missing)} pinned pages not found "
                          f"(e.g. {missing[0]}): this corpus is not the published one; "
                          "--choose picks afresh[/yellow]")  # fmt: skip
        else:
            chosen = corpus.choose(cands, per_split, seed)
        con.print(f"{source}: {len(cands)} candidate pages, {len(chosen)} chosen")
        pages += chosen
    return pages


@docs_app.command("pin")
def pin_cmd(
    folders: list[Path] = typer.Argument(..., help="Built corpora (runs/docs runs/docs-web)."),
    out: Path = typer.Option(corpus.PINNED, "--out", "-o", help="The pins file to write."),
) -> None:
    """Pin the PDF pages of built corpora: later builds take the same pages.

    Example: python -m benchmarks docs pin runs/docs runs/docs-web
    """
    con = console()
    try:
        entries = [e for f in folders for e in corpus.read_manifest(f)]
    except corpus.CorpusError as err:
        con.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    pins = corpus.pins_of(entries)
    blocks = []
    for src, rows in pins.items():
        lines = ",\n".join(f"  {json.dumps(r, ensure_ascii=False)}" for r in rows)
        blocks.append(f"{json.dumps(src)}: [\n{lines}\n]")
    out.write_text("{\n" + ",\n".join(blocks) + "\n}\n", encoding="utf-8")
    con.print(", ".join(f"{src} {len(rows)}" for src, rows in pins.items()) + f" pages: {out}")


def _render_all(pages, out: Path, seed: int, vs: Sequence[str], con) -> list[corpus.Entry]:
    from rich.progress import Progress

    entries: list[corpus.Entry] = []
    with Progress(console=con) as prog:
        task = prog.add_task("rendering pages", total=len(pages))
        for p in pages:
            entries += corpus.write_pdf_page(p, out, seed, vs)
            prog.advance(task)
    return entries


def _select(entries, split: str, sources: str, variants: str, limit: int) -> list:
    keep = [e for e in entries if corpus.in_split(e.split, split)]
    if sources:
        keep = [e for e in keep if e.source in sources.split(",")]
    if variants:
        keep = [e for e in keep if e.variant in variants.split(",")]
    return keep[:limit] if limit else keep


@docs_app.command("run")
def run_cmd(
    folder: Path = typer.Argument(Path("runs/docs"), help="A built corpus."),
    split: str = typer.Option("dev", help="dev, test or all."),
    engines: str = typer.Option("pageocr,tesseract,rapidocr", help="Comma-separated."),
    sources: str = typer.Option("", help="Only these sources (comma-separated)."),
    variants: str = typer.Option("", help="Only these variants (comma-separated)."),
    in_process: bool = typer.Option(False, help="pageocr in this process (text only)."),
    limit: int = typer.Option(0, help="At most this many images (0: all)."),
    tag: str = typer.Option("", help="Suffix of the output files of this run."),
    cached_by: str = typer.Option(
        "",
        help="Only the images this engine's cache holds "
        "(a comparison while its run is still going).",
    ),
    fresh: bool = typer.Option(
        False, help="Run every engine again, cache or not: times measured in one run."
    ),
    model: Path | None = typer.Option(
        None, help="pageocr's model: a shipped name, a .tflite or an export folder."
    ),
) -> None:
    """Read the corpus with each engine; print and save CER per source and variant.

    Tesseract's and RapidOCR's outputs are cached in FOLDER/cache and reused; pageocr's
    are always fresh (``--fresh``: every engine's; for speed, all in one run).
    Example: python -m benchmarks docs run runs/docs --split test
    """
    from benchmarks.engines import NAMES
    from benchmarks.engines import engines as make_engines

    con = console()
    names = [n.strip() for n in engines.split(",") if n.strip()]
    if bad := [n for n in names if n not in NAMES]:
        raise typer.BadParameter(f"unknown engine(s) {', '.join(bad)}; use {','.join(NAMES)}")
    entries = _run_entries(folder, split, sources, variants, limit, cached_by, con)
    engs, missing = make_engines(names, in_process, model=model)
    for n, why in missing.items():
        con.print(f"[yellow]skipping {n}: {why}[/yellow]")
    if not entries or not engs:
        con.print("[red]nothing to read[/red]")
        raise typer.Exit(1)
    t0 = time.time()
    results = _read_with_progress(entries, engs, folder, tag, names if fresh else ("pageocr",), con)
    report(results, folder, split, tag, con, time.time() - t0)


def _run_entries(folder: Path, split: str, sources: str, variants: str, limit: int,
                 cached_by: str, con) -> list[corpus.Entry]:  # fmt: skip
    """The images of the corpus in ``folder`` that ``docs run`` reads (:func:`_select`;
    with ``cached_by``, only those that engine's cache holds); exit 2 without a corpus."""
    try:
        entries = _select(corpus.read_manifest(folder), split, sources, variants, limit)
    except corpus.CorpusError as err:
        con.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    if cached_by:
        held = load_cache(folder, cached_by)
        entries = [e for e in entries if e.id in held]
    return entries


def _read_with_progress(entries: Sequence[corpus.Entry], engs, folder: Path, tag: str,
                        fresh: Sequence[str], con) -> list[Result]:  # fmt: skip
    """:func:`read_entries` under a progress bar of the reads."""
    from rich.progress import Progress

    with Progress(console=con) as prog:
        task = prog.add_task("reading", total=len(entries) * len(engs))
        results = read_entries(entries, engs, folder, tag, fresh=fresh,
                               progress=lambda r: prog.advance(task))  # fmt: skip
        prog.update(task, completed=len(entries) * len(engs))
    return results


def report(results: Sequence[Result], folder: Path, split: str, tag: str, con,
           wall: float) -> None:  # fmt: skip
    """Print and save the tables: per variant over all sources, and per source and variant."""
    by_variant = summary_rows(results, lambda r: r.variant)
    by_source = summary_rows(results, lambda r: f"{r.source}/{r.variant}")
    con.print(_table(f"{split}: per variant, CER over non-space characters", by_variant))
    con.print(_table(f"{split}: per source and variant", by_source))
    errors = [r for r in results if r.error]
    md = (
        f"# Real-document corpus, split {split}\n\n{len(results)} reads in {wall:.0f} s"
        f"{f', {len(errors)} failed' if errors else ''}.\n\n## Per variant\n\n"
        + markdown_table(HEADER, by_variant)
        + "\n## Per source and variant\n\n"
        + markdown_table(HEADER, by_source)
    )
    (folder / f"report-{split}{tag}.md").write_text(md, encoding="utf-8")
    with (folder / f"results-{split}{tag}.jsonl").open("w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r.__dict__, ensure_ascii=False) + "\n")
    con.print(f"wrote {folder}/report-{split}{tag}.md")


@docs_app.command("score")
def score_cmd(
    folder: Path = typer.Argument(Path("runs/docs"), help="A built corpus."),
    tag: str = typer.Option(..., help="The tag of the run whose outputs to score again."),
    engine: str = typer.Option("pageocr", help="Whose outputs."),
    split: str = typer.Option("dev", help="dev, test or all."),
    variants: str = typer.Option("", help="Only these variants (comma-separated)."),
) -> None:
    """Score a run's saved outputs again (with the current scoring), without reading.

    Example: python -m benchmarks docs score runs/docs --tag -base
    """
    con = console()
    results = []
    for e in _select(corpus.read_manifest(folder), split, "", variants, 0):
        out = Path(e.image).with_name(f"{Path(e.image).stem}.{engine}{tag}.txt")
        if not out.is_file():
            continue
        truth = Path(e.truth).read_text(encoding="utf-8")
        hyp = out.read_text(encoding="utf-8")
        results.append(Result(e.id, e.source, e.variant, e.split, engine, 0.0,
                              class_counts(truth, hyp), "", str(out)))  # fmt: skip
    if not results:
        con.print(f"[red]no outputs of {engine}{tag} in {folder}[/red]")
        raise typer.Exit(1)
    report(results, folder, split, f"{tag}-rescored", con, 0.0)


@docs_app.command("train-nontext")
def train_nontext_cmd(
    folders: list[Path] = typer.Argument(..., help="Built corpora; their dev split is used."),
    out: Path = typer.Option(Path("ocr_pipeline/data/nontext.json"), "--out", "-o"),
) -> None:
    """Fit the reader's filter of lines that are not text on the corpora's dev split.

    Example: python -m benchmarks docs train-nontext runs/docs runs/docs-web
    """
    from rich.progress import Progress

    from benchmarks import nontext as fit_nontext

    con = console()
    n = sum(e.split == "dev" for f in folders for e in corpus.read_manifest(f))
    with Progress(console=con) as prog:
        task = prog.add_task("reading dev images", total=n)
        meta = fit_nontext.train(folders, out, lambda: prog.advance(task))
    con.print_json(json.dumps(meta["fit"]))
    con.print(f"threshold {meta['threshold']:.3f}; wrote {out}")


@docs_app.command("crops")
def crops_cmd(
    folders: list[Path] = typer.Argument(..., help="Built corpora (images with character boxes)."),
    split: str = typer.Option("dev", help="dev (never tune or train on test)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write crops and labels (.npz)."),
    model: str = typer.Option("default", help="Model whose input size and top-1 to use."),
    rejects: str = typer.Option(
        "none",
        help="Also keep cuts of nothing (outside every truth box) as reject examples, from "
        "the documents of: none, all, or half (every other document in sorted order; "
        "measure on the rest).",
    ),
) -> None:
    """Cut the corpus as the reader does, align the cuts to the text layer, and say where
    characters are lost: in segmentation (merged, missed, split) or in recognition
    (top-1 on one-to-one cuts).

    Example: python -m benchmarks docs crops runs/docs runs/docs-web -o runs/realcrops-dev.npz
    """
    from rich.progress import Progress

    from benchmarks import crops as crops_mod
    from ocr_pipeline import Reader

    if split == "test":
        raise typer.BadParameter("crops are for development and training: use dev")
    con = console()
    predictor = Reader(model).predictor
    entries = [e for f in folders for e in corpus.read_manifest(f) if e.split == split]
    docs = {f"{e.source}/{e.doc}" for e in entries if e.chars}
    chosen = {"none": None, "all": docs, "half": set(crops_mod.halves(docs)[0])}
    if rejects not in chosen:
        raise typer.BadParameter("--rejects: none, all or half")
    if chosen[rejects]:
        con.print(f"reject examples from {', '.join(sorted(chosen[rejects] or ()))}")
    with Progress(console=con) as prog:
        task = prog.add_task("segmenting", total=len(entries))
        h = crops_mod.harvest(
            entries, predictor.input_size, lambda: prog.advance(task), chosen[rejects]
        )
    chars = predictor.charset.chars
    predicted: list[str] = []
    for i in range(0, len(h.crops), 512):
        probs = predictor.predict(np.stack(h.crops[i : i + 512]))
        predicted += [chars[j] for j in probs.argmax(axis=1)]
    rows = crops_mod.diagnosis(h, predicted, set(chars))
    con.print(rich_table(f"{split} split: where characters are lost", crops_mod.HEADER, rows))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out, crops=np.stack(h.crops), labels=np.array(h.labels),
                            variants=np.array(h.variants), docs=np.array(h.docs))  # fmt: skip
        con.print(f"{len(h.crops)} crops of {h.images} images -> {out}")
