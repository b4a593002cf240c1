"""The ``pageocr`` command line: one typer app, each command a thin call into the library.

Commands: read, segment, classify, train, eval, export, synth, fonts.
Heavy imports (TensorFlow above all) happen inside the commands that need them,
so ``pageocr read`` starts fast.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

# TensorFlow (train, eval, export, --runtime tf) logs its start-up (CPU features, oneDNN)
# on stderr at level INFO; only its errors are a user's business.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if TYPE_CHECKING:
    import numpy as np

    from ocr_pipeline.batch import ReadOptions
    from ocr_pipeline.images import Page, PageRanges
    from ocr_pipeline.pipeline import PageResult
    from ocr_pipeline.reader import Reader
    from recognizer.train import TrainConfig

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Offline OCR for printed Chinese: screenshots, scans and PDFs to text.",
)


#: Exit codes of read, segment and classify (README, "Commands"): an input could not be
#: read (the others were); the command could not do its work (a bad option, an output
#: that cannot be written, a model that cannot be used: typer's usage errors exit 2 too).
EXIT_INPUT = 1
EXIT_USAGE = 2

#: --doubtful-below's default: :data:`ocr_pipeline.formats.DOUBTFUL_BELOW` (a test checks).
DOUBTFUL_BELOW = 0.4


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"pageocr {version('pageocr')}")
        except PackageNotFoundError:
            typer.echo("pageocr (not installed: run from a checkout)")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_version, help="Print the version and exit."
    ),
) -> None:
    """Offline OCR for printed Chinese: screenshots, scans and PDFs to text."""


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one clear error line on stderr and exit non-zero."""
    typer.echo(f"pageocr: error: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"pageocr: warning: {message}", err=True)


def model_names() -> list[str]:
    """The registered recogniser models (``recognizer.model`` imports TensorFlow only
    when a model is built)."""
    from recognizer.model import names

    return names()


def _charset(spec: str):
    from recognizer.charset import Charset, CharsetError

    try:
        return Charset.from_spec(spec)
    except CharsetError as err:
        fail(str(err))


def _faces(font: list[Path] | None, heldout: list[str] | None, regional: bool = False):
    from recognizer.fonts import DEFAULT_HELDOUT, FontError, discover

    try:
        held = tuple(heldout) if heldout else DEFAULT_HELDOUT
        faces = discover(font, heldout=held, regional=regional)
    except FontError as err:
        fail(str(err))
    if not faces:
        fail("no font faces found" + (f" in {', '.join(map(str, font))}" if font else ""))
    return faces


FONT_OPT = typer.Option(
    None, "--font", help="Font file or folder (repeatable); default: system fonts."
)
HELDOUT_OPT = typer.Option(
    None,
    "--heldout",
    help="Family-name prefix to hold out (repeatable); default: the built-in list.",
)
CHARSET_OPT = typer.Option(
    "gb2312-1+ascii+punct",
    "--charset",
    help="Named set (gb2312-1, gb2312-2, gb2312, tgscc, tgscc-1/-2/-3, big5-1, tgscc-t, trad, "
    "ascii, digits, punct, punct-t), a '+' union of them, or a UTF-8 file of characters.",
)


@app.command()
def fonts(
    font: list[Path] | None = FONT_OPT,
    heldout: list[str] | None = HELDOUT_OPT,
    charset: str = CHARSET_OPT,
) -> None:
    """Print the font faces found: family, style, file, split and coverage of the charset.

    Example: pageocr fonts --charset gb2312-1+ascii+punct
    """
    from rich.console import Console
    from rich.table import Table

    from recognizer.fonts import coverage

    cs = _charset(charset)
    faces = _faces(font, heldout)
    table = Table(title=f"faces and their coverage of {cs.spec} ({len(cs)} characters)")
    for col in ("family", "style", "file", "split", "covered", "%"):
        table.add_column(col, justify="right" if col in ("covered", "%") else "left")
    with _faces_progress(len(faces)) as progress:
        for f in faces:
            progress.update(0, face=f.name)
            n = len(coverage(f, cs))  # each glyph drawn: ~0.25 s a face for GB2312
            name = Path(f.path).name + (f"#{f.index}" if f.index else "")
            table.add_row(f.family, f.style, name, f.split, str(n), f"{100 * n / len(cs):.1f}")
            progress.advance(0)
    Console().print(table)


@contextlib.contextmanager
def _faces_progress(total: int):
    """A progress bar on stderr when it is a terminal (task 0): faces measured, the
    face being measured, time left; cleared when done."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    cols = (
        TextColumn("coverage"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("faces"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[face]}"),
    )
    with Progress(
        *cols, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        progress.add_task("fonts", total=total, face="")
        yield progress


SYNTH_PREVIEW_OPT = typer.Option(
    None, help="Instead of a dataset, draw a contact sheet of samples to this PNG."
)
SYNTH_BOOST_OPT = typer.Option(
    None,
    metavar="SET=FACTOR",
    help="Draw the classes of a named set FACTOR times as often (repeatable), e.g. ascii+punct=8.",
)
SYNTH_REGIONAL_OPT = typer.Option(
    False,
    "--regional",
    help="Also render in the Taiwan / Hong Kong faces (Noto CJK TC/HK, AR PL UMing/UKai "
    "TW/HK), which draw only the traditional tier: the charset's characters of trad "
    "outside tgscc and gb2312 (說 這 體); mainland faces still draw all they cover.",
)


@app.command()
def synth(
    out: Path = typer.Option(Path("data/synth"), "--out", "-o", help="Dataset folder."),
    train: int = typer.Option(200_000, help="Examples in the train split."),
    val: int = typer.Option(10_000, help="Examples in the val split (training faces)."),
    test: int = typer.Option(20_000, help="Examples in the test-heldout split."),
    size: int = typer.Option(32, help="Crop side in pixels."),
    shard_size: int = typer.Option(10_000, help="Examples per shard."),
    seed: int = typer.Option(0),
    workers: int = typer.Option(2, help="Rendering processes."),
    charset: str = CHARSET_OPT,
    font: list[Path] | None = FONT_OPT,
    heldout: list[str] | None = HELDOUT_OPT,
    preview: Path | None = SYNTH_PREVIEW_OPT,
    boost: list[str] | None = SYNTH_BOOST_OPT,
    regional: bool = SYNTH_REGIONAL_OPT,
) -> None:
    """Render a synthetic dataset of characters into TFRecord shards (re-runs resume).

    Example: pageocr synth -o data/synth --train 1000000
    """
    from recognizer.charset import traditional_tier
    from recognizer.dataset import Plan

    cs = _charset(charset)
    faces = _faces(font, heldout, regional)
    if preview is not None:
        from recognizer.preview import contact_sheet

        contact_sheet(faces, cs, preview, size=max(size, 48), seed=seed)
        typer.echo(f"wrote {preview}")
        return
    if min(train, val, test, shard_size, size) < 0 or shard_size == 0 or size < 8:
        fail("counts must be >= 0, --shard-size > 0 and --size >= 8")
    plan = Plan(
        counts={"train": train, "val": val, "test-heldout": test},
        shard_size=shard_size,
        size=size,
        seed=seed,
        boost=tuple(_boost(b) for b in boost or ()),
    )
    _render_dataset(out, cs, faces, plan, workers, traditional_tier() if regional else None)
    typer.echo(f"dataset in {out}: train {train}, val {val}, test-heldout {test}")


def _render_dataset(out: Path, cs, faces, plan, workers: int, regional_chars: str | None) -> None:
    """``synthesize`` the dataset with a progress bar; its errors end the command."""
    from rich.progress import Progress

    from recognizer.dataset import DatasetError, synthesize
    from recognizer.fonts import FontError

    with Progress(*Progress.get_default_columns(), "{task.completed} images") as progress:
        task = progress.add_task("rendering", total=sum(plan.counts.values()))
        try:
            synthesize(
                out,
                cs,
                faces,
                plan,
                workers=workers,
                on_shard=lambda split, n: progress.advance(task, n),
                regional_chars=regional_chars,
            )
        except (DatasetError, FontError) as err:
            fail(str(err))


def _boost(text: str) -> tuple[str, float]:
    """Parse --boost SET=FACTOR."""
    spec, _, factor = text.rpartition("=")
    try:
        value = float(factor)
    except ValueError:
        value = math.nan
    if not spec or not (math.isfinite(value) and value > 0):
        fail(
            "--boost wants SET=FACTOR with a finite factor above 0, e.g. ascii+punct=8; "
            f"got {text!r}"
        )
    _charset(spec)  # fails clearly on an unknown set
    return spec, value


@app.command()
def train(
    config: Path | None = typer.Option(None, help="TOML file with a [train] table."),
    data: str | None = typer.Option(None, help="Dataset folder (overrides the config)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run folder (overrides the config)."),
    resume: Path | None = typer.Option(None, help="Continue the run in this folder."),
    init: Path | None = typer.Option(
        None,
        help="Fine-tune: start from this run's weights, a .keras file's, or an exported "
        ".tflite's (e.g. recognizer/models/synth.tflite).",
    ),
    real: Path | None = typer.Option(
        None, help="Mix crops cut from real pages into each batch (.npz of crops, labels)."
    ),
    real_share: float | None = typer.Option(
        None, help="Share of each batch drawn from --real (e.g. 0.25)."
    ),
    model: str | None = typer.Option(
        None, help=f"Registered model name: {', '.join(model_names())}."
    ),
    steps: int | None = typer.Option(
        None, help="Total optimisation steps (with --resume: lengthen or shorten the run)."
    ),
    batch_size: int | None = typer.Option(None),
    lr: float | None = typer.Option(None, help="Peak learning rate."),
    eval_every: int | None = typer.Option(None),
    mixed_precision: bool = typer.Option(False, help="float16 compute (useful on a GPU)."),
) -> None:
    """Train a recogniser on a synthetic dataset; Ctrl-C saves a checkpoint, --resume continues.

    Example: pageocr train --config configs/default.toml
    """
    from recognizer.train import Interrupted, TrainingDiverged
    from recognizer.train import train as run_training

    cfg = _train_config(config, resume, data, out)
    overrides = {
        "data": data,
        "run_dir": str(out) if out else None,
        "model": model,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "eval_every": eval_every,
        "init": str(init) if init else None,
        "real": str(real) if real else None,
        "real_share": real_share,
    }
    _configure(cfg, overrides, resume is not None, mixed_precision)
    _run_training(cfg, run_training, Interrupted, TrainingDiverged)


def _train_config(
    config: Path | None, resume: Path | None, data: str | None, out: Path | None
) -> TrainConfig:
    """The configuration to start from: the run's to resume, else the config file's, else
    one of ``data`` and ``out``; fail (exit 2) when there is none or it cannot be read."""
    from recognizer.train import TrainConfig, load_config

    if resume is not None:
        if not (resume / "config.json").is_file():
            fail(f"{resume} is not a run folder (no config.json)")
        cfg = load_config(resume / "config.json")
        cfg.run_dir = str(resume)  # the folder given, even if the run was moved or copied
    elif config is not None:
        if not config.is_file():
            fail(f"config file {config} does not exist")
        try:
            cfg = load_config(config)
        except (ValueError, TypeError) as err:
            fail(f"bad config {config}: {err}")
    else:
        if data is None or out is None:
            fail("give --config, --resume, or both --data and --out")
        cfg = TrainConfig(data=data, run_dir=str(out))
    return cfg


def _configure(
    cfg: TrainConfig, overrides: dict[str, Any], resumed: bool, mixed_precision: bool
) -> None:
    """Set on ``cfg`` the options given (not None) and check it, failing (exit 2) on a bad
    value or, when ``resumed``, on a setting other than the run's length."""
    if resumed:
        # A run keeps its data, model and optimiser settings; only its length (and how
        # often it evaluates) may change, e.g. to train an existing run for longer.
        resumable = ("steps", "eval_every")
        locked = [k for k, v in overrides.items() if v is not None and k not in resumable]
        if locked:
            fail(f"--resume keeps the run's settings; cannot change {', '.join(locked)}")
        overrides = {k: v for k, v in overrides.items() if k in resumable}
    for key, value in overrides.items():
        if value is not None:
            setattr(cfg, key, value)
    try:
        cfg.check()
    except ValueError as err:
        fail(str(err))
    if mixed_precision:
        cfg.mixed_precision = True


#: Columns of a training evaluation's table: metrics row key, heading, format.
EVAL_COLUMNS = (
    ("train_loss", "train loss", "{:.4f}"),
    ("train_acc", "train acc", "{:.2%}"),
    ("val_top1", "val top-1", "{:.2%}"),
    ("val_top5", "val top-5", "{:.2%}"),
    ("test_heldout_top1", "held-out top-1", "{:.2%}"),
    ("test_heldout_top5", "held-out top-5", "{:.2%}"),
    ("images_per_s", "img/s", "{:.0f}"),
)


def _eval_table(row: dict):
    """A training evaluation (a metrics.csv row) as a one-row table; the splits the
    dataset lacks are left out."""
    from rich.table import Table

    cols = [(k, head, fmt) for k, head, fmt in EVAL_COLUMNS if k in row]
    table = Table(title=f"evaluation at step {row.get('step', '?')}", title_justify="left")
    for _, head, _ in cols:
        table.add_column(head, justify="right")
    table.add_row(*(fmt.format(row[k]) for k, _, fmt in cols))
    return table


def _run_training(cfg, run_training, Interrupted, TrainingDiverged) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from recognizer.dataset import DatasetError

    cols = (
        TextColumn("step {task.completed}/{task.total}"),
        BarColumn(),
        TextColumn(
            "loss {task.fields[loss]:.3f} acc {task.fields[acc]:.3f} "
            "{task.fields[ips]:.0f} img/s lr {task.fields[lr]:.2e}"
        ),
        TimeRemainingColumn(),
    )
    with Progress(*cols) as progress:
        task = progress.add_task("train", total=cfg.steps, loss=0.0, acc=0.0, ips=0.0, lr=0.0)

        def on_progress(p):
            progress.update(
                task, completed=p.step, loss=p.loss, acc=p.accuracy, ips=p.images_per_s, lr=p.lr
            )

        def on_eval(row):
            progress.console.print(_eval_table(row))

        try:
            run_training(cfg, on_progress=on_progress, on_eval=on_eval)
        except Interrupted as err:
            fail(f"{err}; continue with: pageocr train --resume {cfg.run_dir}", code=130)
        except TrainingDiverged as err:
            fail(str(err), code=3)
        except (DatasetError, ValueError) as err:
            fail(str(err))
    typer.echo(f"model written to {cfg.run_dir}/model.keras")


MODEL_OPT = typer.Option(
    None,
    "--model",
    "-m",
    help="A shipped model by name (default, fast), a model file (.tflite/.keras with its "
    ".json), a run folder or an export folder (pageocr export -o DIR: its int8 .tflite, or "
    "saved_model/ with --runtime tf); default: the shipped default model.",
)
RUNTIME_OPT = typer.Option(
    "auto", help="auto (LiteRT; TensorFlow when a GPU is visible), litert or tf."
)


def _predictor(model: Path | None, runtime: str):
    from recognizer.runtime import ModelError, Predictor

    try:
        return Predictor(model, runtime=runtime)
    except ModelError as err:
        fail(str(err))


@app.command()
def classify(
    paths: list[Path] = typer.Argument(
        ..., readable=False, help="Images of single characters, or folders of them."
    ),
    top: int = typer.Option(3, "--top", "-k", min=1, help="Candidates per image."),
    json_out: bool = typer.Option(False, "--json", help="JSON for programs."),
    framing: str = typer.Option(
        "tight", help="tight: frame the ink; asis: keep the image's framing."
    ),
    max_pixels: int | None = typer.Option(
        None, "--max-pixels", min=1, help="Largest image in pixels. Default 36,000,000."
    ),
    model: Path | None = MODEL_OPT,
    runtime: str = RUNTIME_OPT,
) -> None:
    """Classify single-character images: top-k with probabilities, then the text they spell.

    Example: pageocr classify crops/     (0000.png, 0001.png ... in name order)
    """
    import json

    from ocr_pipeline.classify import FRAMINGS, classify_files
    from ocr_pipeline.images import MAX_PIXELS, expand_inputs
    from ocr_pipeline.reader import Reader

    if framing not in FRAMINGS:
        fail(f"--framing must be one of {', '.join(FRAMINGS)}")
    reader = Reader(model, runtime=runtime)
    _load_model(reader)
    files, folder_errors = expand_inputs(paths)
    for err in folder_errors:
        typer.echo(f"pageocr: error: {err}", err=True)
    if not files:
        if folder_errors:
            raise typer.Exit(EXIT_INPUT)
        fail("no images found in " + ", ".join(map(str, paths)), EXIT_INPUT)
    results = classify_files(files, reader.predictor, top, framing, max_pixels or MAX_PIXELS)
    text = "".join(r.chars[0] for r in results if not r.error)
    for r in results:
        if r.error:
            typer.echo(f"pageocr: error: {r.error}", err=True)
    if json_out:
        typer.echo(
            json.dumps(
                {"results": [r.as_dict() for r in results], "text": text},
                ensure_ascii=False,
                indent=1,
            )
        )
    else:
        for r in results:
            if not r.error:
                cands = "  ".join(f"{c} {p:.3f}" for c, p in zip(r.chars, r.probs))
                typer.echo(f"{Path(r.path).name}\t{cands}")
        typer.echo(text)
    if folder_errors or any(r.error for r in results):
        raise typer.Exit(EXIT_INPUT)


@app.command("eval")
def evaluate_cmd(
    data: Path = typer.Option(..., help="Dataset folder made by `pageocr synth`."),
    split: str = typer.Option("test-heldout", help="train, val or test-heldout."),
    model: Path | None = MODEL_OPT,
    runtime: str = RUNTIME_OPT,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Folder for metrics.json and mistakes.png."
    ),
    limit: int | None = typer.Option(None, help="Stop after this many examples."),
) -> None:
    """Top-1 / top-5 of a model on a dataset split, per face, script and tier, with confusions.

    Example: pageocr eval --data data/synth32 --split test-heldout -o runs/eval
    """
    from rich.console import Console
    from rich.table import Table

    from recognizer.dataset import DatasetError
    from recognizer.evaluate import evaluate, write_report

    predictor = _predictor(model, runtime)
    try:
        rep = evaluate(predictor.predict, str(data), split, predictor.charset, limit=limit)
    except DatasetError as err:
        fail(str(err))
    d = rep.as_dict()
    con = Console()
    con.print(f"{split}: n={d['n']} top-1 {d['top1']:.4%} top-5 {d['top5']:.4%}")
    con.print(_rates_table("per script", "script", d["by_script"]))
    if set(d["by_tier"]) - {"level-1", "ascii", "punct"}:  # a charset beyond GB2312 level 1
        con.print(_rates_table(TIERS_TITLE, "tier", d["by_tier"]))
    table = Table(title="per face")
    table.add_column("face")
    for s in ("hanzi", "ascii", "punct"):
        table.add_column(f"{s} top-1", justify="right")
        table.add_column(f"{s} top-5", justify="right")
    for face, m in d["per_face"].items():
        cells = []
        for s in ("hanzi", "ascii", "punct"):
            cells += (
                [f"{m[s + '_top1']:.2%}", f"{m[s + '_top5']:.2%}"] if s + "_n" in m else ["", ""]
            )
        table.add_row(face, *cells)
    con.print(table)
    con.print(
        "most confused (truth → prediction × n): "
        + "  ".join(f"{t}→{p}×{n}" for t, p, n in d["confusions"])
    )
    if out is not None:
        write_report(rep, out)
        con.print(f"wrote {out}/metrics.json and {out}/mistakes.png")


TIERS_TITLE = (
    "per tier (level-1: GB2312 level 1; level-2: the rest of GB2312 and tgscc 1-2; "
    "level-3: the rest of tgscc; traditional: the rest of trad)"
)


def _rates_table(title: str, first: str, rows: dict):
    """A table of n, top-1 and top-5 per key of ``rows`` (Report.by_script / by_tier)."""
    from rich.table import Table

    table = Table(title=title)
    for col in (first, "n", "top-1", "top-5"):
        table.add_column(col, justify="left" if col == first else "right")
    for key, m in rows.items():
        table.add_row(key, str(m["n"]), f"{m['top1']:.2%}", f"{m['top5']:.2%}")
    return table


MAX_PIXELS_OPT = typer.Option(
    None,
    "--max-pixels",
    min=1,
    help="Largest page in pixels: a larger image is refused, a larger PDF page is "
    "rendered at the resolution that fits. Default 36,000,000 (A4 at 600 dpi; such a page "
    "peaks at ~0.9-1.3 GB).",
)


READ_FILES_ARG = typer.Argument(
    ...,
    readable=False,  # the loader says "permission denied" with exit 1, as for others
    help="Images (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM) or PDFs; a folder: its images and "
    "PDFs (not its sub-folders'), in name order; - reads standard input.",
)
READ_FORMAT_OPT = typer.Option(
    "text",
    "--format",
    "-f",
    help="text, json, tsv, hocr, or pdf: each page's image with the text, invisible, "
    "over it (a searchable PDF; with -o, or to a stdout that is not a terminal).",
)
READ_OUTPUT_OPT = typer.Option(
    None,
    "--output",
    "-o",
    metavar="FILE|FOLDER/",
    help="A file: everything read goes there, replaced only when the run has read a "
    "page. A folder (one that exists, or a name ending in /): one file per input, named "
    "after it (scan.pdf -> scan.txt, .json, .tsv, .hocr, .pdf), and "
    "pageocr-summary.jsonl (a record per input); a re-run skips the inputs whose "
    "file is there, made from the input as it is now with the same options.",
)
JOBS_OPT = typer.Option(
    1,
    "--jobs",
    "-j",
    min=1,
    help="With -o FOLDER/: worker processes reading inputs side by side, each loading "
    "the model once.",
)
QUIET_NAMES_OPT = typer.Option(
    False,
    "--quiet-names",
    help="Text read from several inputs without the line '==> NAME <==' (NAME page N "
    "for a PDF's pages) before each input's pages.",
)
OVERLAY_OPT = typer.Option(
    None,
    help="Draw the boxes and characters on the page to this image NAME.png (or .jpg, "
    ".tif, .webp, .bmp); when the run reads several pages (several inputs, or a PDF or "
    "TIFF of several pages), page N of input SRC goes to NAME-SRC-N.png beside it (SRC "
    "without its extension, with it when two inputs share a name; stdin for -).",
)
PAGE_TIMEOUT_OPT = typer.Option(
    None,
    "--page-timeout",
    min=0.001,
    metavar="SECONDS",
    help="Time a page may take to read: a page that takes longer is left out and "
    "reported (exit 1); the input's other pages and the other inputs are read. "
    "With -o FOLDER/ --jobs 2+, a worker stuck 30 s past it in one call is killed "
    "and its input failed. Default: no limit.",
)
RULES_OPT = typer.Option(
    "default",
    "--rules",
    metavar="PROFILE",
    help="The corrections made after reading: default; manpage, every rule, those "
    "written for manual pages' text too (roff's ``quotes'', --options, D()MAIN) "
    "that cost characters elsewhere (docs/bench/rules.md); none.",
)
MARK_DOUBTFUL_OPT = typer.Option(
    False,
    "--mark-doubtful",
    help="Text: write each character read with a confidence under --doubtful-below as "
    "U+FFFD (json, tsv and hocr give every character's confidence).",
)
DOUBTFUL_BELOW_OPT = typer.Option(
    DOUBTFUL_BELOW,  # formats.DOUBTFUL_BELOW, not imported: numpy stays out of start-up
    "--doubtful-below",
    min=0.0,
    max=1.0,
    help="The confidence --mark-doubtful marks under (0.4: 89% of the characters read "
    "wrong, 0.6% of those read right on rendered pages).",
)
SCRIPT_OPT = typer.Option(
    "auto",
    "--script",
    help="auto: the forms the model reads; simplified / traditional: the classes of the "
    "other script taken out (the shipped model knows simplified forms only).",
)
LAYOUT_OPT = typer.Option(
    "horizontal",
    "--layout",
    help="horizontal (the default); vertical: columns read right to left; auto: a page "
    "set in vertical columns is found (not yet the default: it took a tilted scan of "
    "horizontal text for vertical).",
)
CONVERT_OPT = typer.Option(
    None,
    "--convert",
    metavar="s2t|t2s",
    help="Convert the text read to traditional (s2t) or simplified (t2s) with OpenCC "
    "(pip install 'pageocr[convert]'); never done unless asked.",
)


@app.command()
def read(
    files: list[Path] = READ_FILES_ARG,
    fmt: str = READ_FORMAT_OPT,
    output: str | None = READ_OUTPUT_OPT,
    jobs: int = JOBS_OPT,
    redo: bool = typer.Option(
        False, "--redo", help="With -o FOLDER/: read again the inputs already done."
    ),
    quiet_names: bool = QUIET_NAMES_OPT,
    overlay: Path | None = OVERLAY_OPT,
    dpi: int = typer.Option(200, min=36, max=1200, help="Rasterisation resolution for PDFs."),
    pages: str | None = typer.Option(None, help="Pages of PDFs / TIFFs to read, e.g. 1,3-5."),
    top: int = typer.Option(3, "--top", "-k", min=1, help="Alternatives per character (json)."),
    max_pixels: int | None = MAX_PIXELS_OPT,
    page_timeout: float | None = PAGE_TIMEOUT_OPT,
    rules: str = RULES_OPT,
    model: Path | None = MODEL_OPT,
    runtime: str = RUNTIME_OPT,
    mark_doubtful: bool = MARK_DOUBTFUL_OPT,
    doubtful_below: float = DOUBTFUL_BELOW_OPT,
    script: str = SCRIPT_OPT,
    layout: str = LAYOUT_OPT,
    convert: str | None = CONVERT_OPT,
) -> None:
    """Read the text of screenshots, scans and PDFs; each page is written as soon as it is read.

    Exit code 1: an input could not be read (the others were, and its error is on
    stderr; with --format json also under "errors"; with -o FOLDER/ in the summary);
    2: a bad option, an output that cannot be written or a model that cannot be used.

    Example: pageocr read shot.png > shot.txt
    then:    pageocr read scan.pdf --format pdf -o searchable.pdf
    or:      pageocr read scans/ -o texts/ --jobs 2     (re-run to finish a stopped batch)
    """
    from ocr_pipeline.batch import ReadOptions
    from ocr_pipeline.images import MAX_PIXELS

    page_list = _check_read_options(fmt, rules, script, convert, layout, mark_doubtful, pages)
    opts = ReadOptions(
        fmt=fmt,
        dpi=dpi,
        pages=page_list,
        max_pixels=max_pixels or MAX_PIXELS,
        model=None if model is None else str(model),
        top_k=top,
        runtime=runtime,
        rules=rules,
        page_timeout=page_timeout,
        script=script,
        convert=convert,
        layout=layout,
        doubtful=doubtful_below if mark_doubtful else None,
    )
    if not _read_inputs(files, output, opts, jobs, redo, overlay, names=not quiet_names):
        raise typer.Exit(EXIT_INPUT)


def _check_read_options(
    fmt: str,
    rules: str,
    script: str,
    convert: str | None,
    layout: str,
    mark_doubtful: bool,
    pages: str | None,
) -> PageRanges | None:
    """Fail (exit 2) on a bad --format, --rules, --script, --convert, --layout or
    --pages (in that order); return the pages to read (None: all)."""
    from ocr_pipeline.formats import ALL_FORMATS
    from ocr_pipeline.images import InputError, parse_pages
    from ocr_pipeline.rules import PROFILES

    if fmt not in ALL_FORMATS:
        fail(f"--format must be one of {', '.join(ALL_FORMATS)}")
    if rules not in PROFILES:
        fail(f"--rules must be one of {', '.join(PROFILES)}")
    _check_script(script, convert, mark_doubtful and fmt != "text")
    if layout not in ("auto", "horizontal", "vertical"):
        fail("--layout must be one of auto, horizontal, vertical")
    try:
        return parse_pages(pages)
    except InputError as err:
        fail(str(err))


def _read_inputs(
    paths: list[Path],
    output: str | None,
    opts: ReadOptions,
    jobs: int,
    redo: bool,
    overlay: Path | None,
    names: bool,
) -> bool:
    """Read ``paths`` into ``-o``'s folder (a file each) or file, or stdout; then report
    the folders that held nothing to read. True if every input was read."""
    inputs, input_errors = _inputs(paths)
    if output is not None and _is_folder(output):
        ok = _read_to_folder(inputs, Path(output), opts, jobs, redo, overlay)
    else:
        if jobs > 1 or redo:
            fail("--jobs and --redo read into a folder: give -o FOLDER/")
        out = None if output is None else Path(output)
        with _term_interrupts():  # kill: the temporary file of -o FILE is removed
            ok = _read_to_stream(inputs, out, opts, overlay, names=names)
    for message in input_errors:
        typer.echo(f"pageocr: error: {message}", err=True)
    return ok and not input_errors


def _check_script(script: str, convert: str | None, doubtful_not_text: bool) -> None:
    """Fail (exit 2) on an unknown --script or --convert, --convert without OpenCC, or
    --mark-doubtful with a format other than text."""
    from ocr_pipeline.script import SCRIPTS, ScriptError, converter

    if script not in SCRIPTS:
        fail(f"--script must be one of {', '.join(SCRIPTS)}")
    if doubtful_not_text:
        fail("--mark-doubtful marks the text format; json, tsv and hocr give each "
             "character's confidence")  # fmt: skip
    try:
        if convert is not None:
            converter(convert)
    except ScriptError as err:
        fail(str(err))


def _is_folder(output: str) -> bool:
    """Whether ``-o`` names a folder: one that exists, or a name ending in a slash."""
    try:
        return output.endswith(("/", os.sep)) or Path(output).is_dir()
    except OSError:  # a name too long, a folder on the way that may not be searched
        return False  # a file, then: check_file reports why it cannot be written


#: What ``-`` among read's inputs stands for.
STDIN = Path("-")


def _inputs(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files to read: folders replaced by their images and PDFs; and the errors of
    folders that hold none or cannot be listed (reported after the others are read)."""
    from ocr_pipeline.images import expand_inputs

    if paths.count(STDIN) > 1:
        fail("- (standard input) can be read only once")
    if STDIN in paths and _stdin_is_terminal():
        fail("- reads standard input, which is a terminal: pipe or redirect a file into it")
    files: list[Path] = []
    errors: list[str] = []
    for p in paths:
        found, errs = expand_inputs([p])
        errors += map(str, errs)
        if not found and not errs:
            errors.append(f"{p}: no images or PDFs in the folder")
        files += found
    return files, errors


def _stdin_is_device() -> bool:
    import stat

    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (AttributeError, ValueError, OSError):  # no file behind it (a test's stdin)
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _read_to_stream(files: list[Path], output, opts, overlay, names: bool) -> bool:
    """Read every input into one output (``output``, or stdout); True if all were read."""
    from ocr_pipeline.outputs import AtomicFile, OutputError, check_file

    binary = opts.fmt == "pdf"
    if binary and output is None and _stdout_is_terminal():
        fail("--format pdf writes a binary file: give -o FILE.pdf or redirect stdout")
    try:
        if output is not None:
            check_file(output)
        if overlay is not None:
            check_file(overlay, image=True)
    except OutputError as err:
        fail(str(err))
    if not files:
        return False

    reader = opts.new_reader()
    reader.preload()  # the word lists load while the model does and the first page is read
    _load_model(reader)
    target = None
    names &= opts.fmt == "text" and len(files) > 1
    try:
        target = AtomicFile(output, binary=binary) if output is not None else None
        writer = _writer(target.file if target else _stdout(binary), opts.fmt, opts.doubtful)
        read_all = True
        overlays = _overlays(overlay, files)
        for f in files:
            read_all &= _read_file(f, writer, reader, opts, overlays, names)
        writer.close()
        if overlays is not None:
            overlays.close()
        if target is not None and writer.pages:
            target.commit()
        elif target is not None:
            warn(f"nothing was read; {output} left as it was")
    except OutputError as err:
        fail(str(err))
    except BrokenPipeError:  # the reader of stdout stopped: exit as a shell's SIGPIPE does
        _quiet_stdout()
        raise typer.Exit(141) from None
    except OSError as err:  # writing the output
        fail(f"{output or 'stdout'}: cannot write: {err.strerror or err}")
    finally:
        if target is not None:
            target.discard()
    return read_all


def _read_to_folder(files: list[Path], out_dir: Path, opts, jobs: int, redo: bool, overlay) -> bool:
    """Read each input into its own file in ``out_dir``, ``jobs`` at a time, with a
    progress bar and the summary; True if every input was read (or already was)."""
    from ocr_pipeline import batch
    from ocr_pipeline.outputs import OutputError, check_folder

    if overlay is not None:
        fail("--overlay draws one run's pages: not with -o FOLDER/")
    if STDIN in files:
        fail("- (standard input) cannot be read into a folder: give -o FILE or none")
    try:
        check_folder(out_dir)
        plan = batch.plan(files, out_dir, opts.fmt)
    except OutputError as err:
        fail(str(err))
    summary = batch.Summary(out_dir / batch.SUMMARY_NAME)
    done = [] if redo else [j for j in plan if summary.is_done(j, opts)]
    todo = [j for j in plan if j not in done]
    reader = None
    if todo:  # an unusable model stops the run before the folder or its summary is touched
        reader = opts.new_reader()
        if jobs == 1:
            reader.preload()
        _load_model(reader)
        reader = reader if jobs == 1 else None  # the workers load their own
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for job in todo:
            batch.clear_partial(job)
        summary.open(summary.skipped(j) for j in done)
    except OutputError as err:
        fail(str(err))
    except OSError as err:
        fail(f"{out_dir}: cannot make the folder: {err.strerror or err}")
    try:
        failed = _run_batch(todo, opts, jobs, reader, summary, len(done))
    finally:
        summary.close()
    return failed == 0


def _run_batch(todo, opts, jobs: int, reader, summary, skipped: int) -> int:
    """Run the batch under a progress bar; print each failed input and a last line;
    return the number of inputs that failed."""
    import time

    from ocr_pipeline import batch
    from ocr_pipeline.outputs import OutputError

    expected = [batch.count_pages(j.source, opts.pages) for j in todo]
    start = time.perf_counter()
    n_pages = failed = 0
    with _batch_progress(sum(expected), len(todo)) as progress, _term_interrupts():
        try:
            runner = batch.run(todo, opts, jobs, lambda i, n: progress.advance(0), reader)
            with contextlib.closing(runner) as records:
                for i, rec in records:
                    summary.add(rec)
                    n_pages += rec["pages"]
                    for note in rec.get("notes", ()):
                        warn(f"{rec['source']}: {note}")
                    if rec["status"] == "failed":
                        failed += 1
                        typer.echo(f"pageocr: error: {rec['source']}: {_rec_error(rec)}", err=True)
                    # a PDF that failed half-way, a multi-page TIFF: the total follows
                    task = progress.tasks[0]
                    task.total = (task.total or 0) + rec["pages"] - expected[i]
                    task.fields["inputs"] += 1
        except (batch.BatchError, OutputError) as err:
            fail(str(err))
        except KeyboardInterrupt:
            fail("stopped; what was read is in the folder: run again to read the rest", 130)
    seconds = time.perf_counter() - start
    rate = f" ({n_pages / seconds:.2f} pages/s)" if n_pages and seconds > 0 else ""
    typer.echo(
        f"pageocr: {len(todo) - failed} read, {skipped} already done, {failed} failed: "
        f"{n_pages} pages in {seconds:.1f} s{rate}; summary in {summary.path}",
        err=True,
    )
    return failed


def _rec_error(rec) -> str:
    """The error of a failed summary record, with the other pages that failed."""
    more = rec.get("failed_pages", [])[1:]
    return rec["error"] + (f" (also pages {', '.join(map(str, more))})" if more else "")


@contextlib.contextmanager
def _term_interrupts():
    """Within: SIGTERM (``kill``) stops the batch as Ctrl-C does, so that the workers
    are stopped and their temporary files removed."""
    import signal

    try:
        old = signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def _batch_progress(total: int, inputs: int):
    """A progress bar on stderr when it is a terminal (task 0): pages, pages/s, ETA,
    inputs done."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.2f} pages/s" if task.speed else "- pages/s")

    console = Console(stderr=True)
    cols = (
        TextColumn("{task.completed}/{task.total} pages"),
        BarColumn(),
        Rate(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[inputs]}/" + f"{inputs} inputs"),
    )
    with Progress(*cols, console=console, disable=not console.is_terminal) as progress:
        progress.add_task("read", total=total, inputs=0)
        yield progress


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _stdout(binary: bool):
    return sys.stdout.buffer if binary else sys.stdout


def _writer(stream, fmt: str, doubtful: float | None = None):
    """The page writer of a format: text formats (formats.py) or pdf (pdfout.py)."""
    from ocr_pipeline.batch import writer_for

    return writer_for(stream, fmt, doubtful)


def _load_model(reader: Reader) -> None:
    """Load the reader's model now, failing with its error if it cannot be used."""
    from recognizer.runtime import ModelError

    try:
        _ = reader.predictor  # loaded now, so that an unusable model stops the run at once
    except ModelError as err:
        fail(str(err))


def _overlays(overlay: Path | None, files: list[Path]):
    """The writer of ``--overlay``'s pages, or None without it."""
    if overlay is None:
        return None
    from ocr_pipeline.overlay import OverlayWriter

    return OverlayWriter(overlay, ["<stdin>" if f == STDIN else str(f) for f in files])


def _read_file(path: Path, writer, reader: Reader, opts, overlays, names: bool) -> bool:
    """Read every page of one input and write it as soon as it is read; an input
    error is reported (stderr, and the writer's error list) and False returned.

    Args:
        names: write a line naming the input (and the page of a PDF or the later
            pages of a multi-page image) before each page's text.
    """
    from ocr_pipeline.batch import PageError
    from ocr_pipeline.images import InputError, is_pdf

    pdf = None  # known once a page is loaded: a FIFO must not be opened to find out
    read_all = True
    try:
        for page in _load(path, opts):
            if page.note:
                warn(f"{page.source}: {page.note}")
            try:
                res = _read_page(page, reader, opts.page_timeout)
            except PageError as err:  # that page alone: the input's others are read
                _input_error(err, writer, str(path))
                read_all = False
                del page
                continue
            name = None
            if names:
                pdf = pdf if pdf is not None else path != STDIN and is_pdf(path)
                name = page.source + (f" page {page.number}" if pdf or page.number > 1 else "")
            writer.page(res, page, name=name)
            if overlays is not None:
                overlays.page(page.source, page.number, res.gray, res)
            del page, res  # the next page is loaded before the loop variable is rebound
    except InputError as err:
        _input_error(err, writer, str(path))
        return False
    return read_all


def _input_error(err, writer, source: str) -> None:
    """Report an input's (or one of its pages') error on stderr and to the writer."""
    typer.echo(f"pageocr: error: {err}", err=True)
    writer.error(err.path or source, err.reason)


def _load(path: Path, opts):
    """The pages of ``path``, or of standard input for ``-``."""
    from ocr_pipeline.images import InputError, load_pages, load_stream

    if path != STDIN:
        return load_pages(path, opts.dpi, opts.pages, opts.max_pixels)
    if _stdin_is_device():  # < /dev/zero would be copied until the size limit first
        raise InputError("is a device, not a file or pipe; only files are read", "<stdin>")
    return load_stream(sys.stdin.buffer, opts.dpi, opts.pages, opts.max_pixels, name="<stdin>")


def _read_page(page: Page, reader: Reader, timeout: float | None) -> PageResult:
    """The page read, or an InputError naming the page when reading it fails or
    takes more than ``timeout`` seconds."""
    from ocr_pipeline.batch import read_page

    return read_page(page, reader, timeout)


def _quiet_stdout() -> None:
    """After a closed pipe (``pageocr read ... | head``), send what is left to /dev/null
    so that Python's final flush does not fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


@app.command()
def segment(
    image: Path = typer.Argument(
        ..., readable=False, help="A page image or PDF (first page unless --page)."
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Folder for 0000.png, 0001.png ... and boxes.json: new or empty, or --force.",
    ),
    size: int = typer.Option(64, min=8, help="Side of each crop in pixels."),
    mode: str = typer.Option("line", help="Crop framing: line (keeps size and place) or tight."),
    page: int = typer.Option(1, min=1, help="Page of a PDF or multi-page TIFF."),
    dpi: int = typer.Option(200, min=36, max=1200),
    debug: Path | None = typer.Option(
        None,
        help="Also draw the lines and cuts on the page, to this image (.png, .jpg, ...; "
        "outside the crop folder).",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="Write into a folder an earlier segment run filled, removing its crops "
        "and boxes.json first (a folder holding other files is still refused).",
    ),
    max_pixels: int | None = MAX_PIXELS_OPT,
) -> None:
    """Cut a page into character crops (white on black, reading order) and their boxes.

    Exit code 1: the input could not be read; 2: a bad option or an output that
    cannot be written.

    Example: pageocr segment shot.png -o crops/ --debug cuts.png
    then:    pageocr classify crops/ --framing asis
    """
    from ocr_pipeline.outputs import OutputError
    from segmentation.crops import Mode
    from segmentation.segment import crops, segment_page

    _check_segment_options(mode, out, force, debug)
    pg = _segment_page_image(image, page, dpi, max_pixels)
    seg = segment_page(pg.gray)
    try:
        images = crops(seg, size=size, mode=cast("Mode", mode))  # one of MODES (checked)
        n = _write_crops(out, seg, images, force, image, page, mode, size)
        if debug is not None:
            _write_debug(debug, seg)
    except OutputError as err:
        fail(str(err))
    typer.echo(f"{n} characters in {len(seg.lines)} lines written to {out}")


def _check_segment_options(mode: str, out: Path, force: bool, debug: Path | None) -> None:
    """Fail (exit 2) on an unknown --mode, or a crop folder or --debug image that cannot
    be written (a used folder without ``force``), before any work."""
    from ocr_pipeline.outputs import OutputError, check_file, check_folder
    from segmentation.crops import MODES

    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}")
    try:
        check_folder(out)
        _earlier_crops(out, force)
        if debug is not None:
            check_file(debug, image=True)
    except OutputError as err:
        fail(str(err))


def _segment_page_image(image: Path, page: int, dpi: int, max_pixels: int | None) -> Page:
    """Page ``page`` of ``image``, its note warned about; fail (exit 1) when it cannot be
    read."""
    from ocr_pipeline.images import MAX_PIXELS, InputError, load_pages

    try:
        pg = next(
            iter(load_pages(image, dpi=dpi, pages=[page], max_pixels=max_pixels or MAX_PIXELS))
        )
    except InputError as err:
        fail(str(err), EXIT_INPUT)
    if pg.note:
        warn(f"{image}: {pg.note}")
    return pg


#: The files ``pageocr segment`` writes in its folder.
CROP_NAME = re.compile(r"\d{4,}\.png|boxes\.json")


def _earlier_crops(out: Path, force: bool) -> list[Path]:
    """What an earlier ``segment`` run left in ``out`` (for ``--force`` to remove).

    Raises:
        OutputError: ``out`` is not empty and not ``force``, or it holds other files.
    """
    from ocr_pipeline.outputs import OutputError

    try:
        entries = list(out.iterdir()) if out.is_dir() else []
    except OSError as err:
        raise OutputError(f"{out}: cannot list the folder: {err.strerror or err}") from None
    if not entries:
        return []
    if not force:
        raise OutputError(
            f"{out}: folder is not empty ({len(entries)} entries); give a new or empty "
            "folder, or --force to replace the crops of an earlier segment run"
        )
    others = sorted(e.name for e in entries if not CROP_NAME.fullmatch(e.name))
    if others:
        raise OutputError(
            f"{out}: holds files segment did not write ({others[0]!r}"
            + (f" and {len(others) - 1} more" if len(others) > 1 else "")
            + "); --force only replaces crops and boxes.json"
        )
    return entries


def _write_crops(out: Path, seg, images, force: bool, image: Path, page, mode, size) -> int:
    """Write the crops and boxes.json (last, whole) into ``out``; return the count."""
    import json

    import cv2

    from ocr_pipeline.outputs import OutputError, write_bytes

    try:
        out.mkdir(parents=True, exist_ok=True)
        for old in _earlier_crops(out, force):
            old.unlink()
    except OSError as err:
        raise OutputError(f"{out}: {err.strerror or err}") from None
    records = []
    n = 0
    for li, line_chars in enumerate(seg.chars):
        for ch in line_chars:
            name = f"{n:04d}.png"
            ok, png = cv2.imencode(".png", images[n])
            try:
                if not ok:
                    raise OSError(0, "the PNG encoder failed")
                (out / name).write_bytes(png.tobytes())
            except OSError as err:
                raise OutputError(f"{out / name}: cannot write: {err.strerror or err}") from None
            records.append(
                {"file": name, "line": li, "block": seg.lines[li].block, "box": list(ch.box)}
            )
            n += 1
    meta = {
        "source": str(image),
        "page": page,
        "skew_degrees": seg.angle,
        "mode": mode,
        "size": size,
        "lines": [list(ln.box) for ln in seg.lines],
        "chars": records,
    }
    write_bytes(out / "boxes.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
    return n


def _write_debug(path: Path, seg) -> None:
    import cv2

    from ocr_pipeline.outputs import OutputError, write_bytes
    from segmentation.segment import draw_debug

    ok, data = cv2.imencode(path.suffix.lower(), draw_debug(seg))
    if not ok:
        raise OutputError(f"{path}: OpenCV cannot encode a {path.suffix} image")
    write_bytes(path, data.tobytes())


#: Val crops that calibrate full-integer quantisation.
CALIBRATION_CROPS = 2048


@app.command()
def export(
    run_dir: Path = typer.Argument(..., help="A finished run folder (model.keras, model.json)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder."),
    data: Path | None = typer.Option(
        None, help="Dataset whose val crops check the export; default: the run's own dataset."
    ),
    precision: list[str] = typer.Option(
        ["fp32", "int8"], help="fp32, int8 (dynamic range), int8full."
    ),
    from_checkpoint: bool = typer.Option(
        False, help="Export the latest checkpoint of a run that did not finish."
    ),
    samples: int = typer.Option(2048, help="Crops for the parity check."),
    check_split: str = typer.Option(
        "val", help="Split the parity check reads: val or test-heldout."
    ),
) -> None:
    """Export a run as SavedModel and TFLite (fp32 / int8), each with its sidecar JSON.

    int8full calibrates on the first 2048 val crops, whatever split checks parity.

    Example: pageocr export runs/default -o runs/default/export
    """
    import json

    from recognizer.export import ExportError, export_run

    if not (run_dir / "config.json").is_file():
        fail(f"{run_dir} is not a run folder (no config.json)")
    data_dir = data or Path(json.loads((run_dir / "config.json").read_text())["data"])
    if check_split not in ("val", "test-heldout"):
        fail(f"--check-split must be val or test-heldout, not {check_split!r}")
    sample = _dataset_crops(data_dir, check_split, samples)
    calibration = _dataset_crops(data_dir, "val", CALIBRATION_CROPS)
    if from_checkpoint:
        _model_from_checkpoint(run_dir)
    try:
        res = export_run(run_dir, out, sample, tuple(precision), representative=calibration)
    except ExportError as err:
        fail(str(err))
    for name, p in res.items():
        typer.echo(
            f"{name}: top-1 agreement with Keras {p.agreement:.4%} on {p.n} crops, "
            f"max probability difference {p.max_prob_diff:.2e}"
        )
    typer.echo(f"exported to {out}")


def _dataset_crops(data_dir: Path, split: str, n: int) -> np.ndarray:
    """The first ``n`` crops of a dataset's split: float32 (n, S, S, 1) in 0..255 (fewer
    if the split has fewer); fail (exit 2) when it cannot be read."""
    import numpy as np

    from recognizer import dataset

    try:
        xs = [x.numpy() for x, _ in dataset.load(data_dir, split, 256).take(-(-n // 256))]
    except dataset.DatasetError as err:
        fail(str(err))
    return np.concatenate(xs)[:n]


def _model_from_checkpoint(run_dir: Path) -> None:
    """Write the model of a run's latest checkpoint into the run folder (for a run that
    did not finish), failing (exit 2) when there is none to use."""
    from recognizer.train import model_from_checkpoint

    try:
        model_from_checkpoint(run_dir)
    except ValueError as err:
        fail(str(err))


@app.command(
    "bench",
    hidden=True,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def bench(ctx: typer.Context) -> None:
    """Moved out of the package: the benchmarks run from a checkout."""
    fail("the benchmarks are not part of pageocr; in a checkout run: "
         f"python -m benchmarks {' '.join(ctx.args) or '--help'}")  # fmt: skip


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except RuntimeError as err:
        # Python 3.11 wraps an interrupt (Ctrl-C, or SIGTERM while reading) that lands
        # while a class is being created, as in an import, in a RuntimeError
        if not isinstance(err.__cause__, KeyboardInterrupt):
            raise
        typer.echo("pageocr: stopped", err=True)
        raise SystemExit(130) from None


if __name__ == "__main__":  # pragma: no cover
    main()
