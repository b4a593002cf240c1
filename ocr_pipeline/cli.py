"""The ``pageocr`` command line: one typer app, each command a thin call into the library.

Commands: read, segment, classify, train, eval, export, synth, fonts, bench.
Heavy imports (TensorFlow above all) happen inside the commands that need them,
so ``pageocr read`` starts fast.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Offline OCR for printed Chinese: screenshots, scans and PDFs to text.",
)


def fail(message: str, code: int = 2) -> None:
    """Print one clear error line on stderr and exit non-zero."""
    typer.echo(f"pageocr: error: {message}", err=True)
    raise typer.Exit(code)


def _charset(spec: str):
    from recognizer.charset import Charset, CharsetError

    try:
        return Charset.from_spec(spec)
    except CharsetError as err:
        fail(str(err))


def _faces(font: Optional[list[Path]], heldout: Optional[list[str]]):
    from recognizer.fonts import DEFAULT_HELDOUT, FontError, discover

    try:
        faces = discover(font, heldout=tuple(heldout) if heldout else DEFAULT_HELDOUT)
    except FontError as err:
        fail(str(err))
    if not faces:
        fail("no font faces found" + (f" in {', '.join(map(str, font))}" if font else ""))
    return faces


FONT_OPT = typer.Option(None, "--font", help="Font file or folder (repeatable); default: system fonts.")
HELDOUT_OPT = typer.Option(
    None, "--heldout", help="Family-name prefix to hold out (repeatable); default: the built-in list."
)
CHARSET_OPT = typer.Option(
    "gb2312-1+ascii+punct", "--charset", help="Named set, '+' union, or a UTF-8 file of characters."
)


@app.command()
def fonts(
    font: Optional[list[Path]] = FONT_OPT,
    heldout: Optional[list[str]] = HELDOUT_OPT,
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
    for f in faces:
        n = len(coverage(f, cs))
        name = Path(f.path).name + (f"#{f.index}" if f.index else "")
        table.add_row(f.family, f.style, name, f.split, str(n), f"{100 * n / len(cs):.1f}")
    Console().print(table)


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
    font: Optional[list[Path]] = FONT_OPT,
    heldout: Optional[list[str]] = HELDOUT_OPT,
    preview: Optional[Path] = typer.Option(
        None, help="Instead of a dataset, draw a contact sheet of samples to this PNG."
    ),
) -> None:
    """Render a synthetic dataset of characters into TFRecord shards (re-runs resume).

    Example: pageocr synth -o data/synth --train 1000000
    """
    from recognizer.dataset import DatasetError, Plan, synthesize

    cs = _charset(charset)
    faces = _faces(font, heldout)
    if preview is not None:
        from recognizer.preview import contact_sheet

        contact_sheet(faces, cs, preview, size=max(size, 48), seed=seed)
        typer.echo(f"wrote {preview}")
        return
    if min(train, val, test, shard_size, size) < 0 or shard_size == 0 or size < 8:
        fail("counts must be >= 0, --shard-size > 0 and --size >= 8")
    plan = Plan(counts={"train": train, "val": val, "test-heldout": test}, shard_size=shard_size,
                size=size, seed=seed)  # fmt: skip
    from rich.progress import Progress

    with Progress(*Progress.get_default_columns(), "{task.completed} images") as progress:
        task = progress.add_task("rendering", total=train + val + test)
        try:
            synthesize(out, cs, faces, plan, workers=workers,
                       on_shard=lambda split, n: progress.advance(task, n))  # fmt: skip
        except DatasetError as err:
            fail(str(err))
    typer.echo(f"dataset in {out}: train {train}, val {val}, test-heldout {test}")


@app.command()
def train(
    config: Optional[Path] = typer.Option(None, help="TOML file with a [train] table."),
    data: Optional[str] = typer.Option(None, help="Dataset folder (overrides the config)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run folder (overrides the config)."),
    resume: Optional[Path] = typer.Option(None, help="Continue the run in this folder."),
    model: Optional[str] = typer.Option(None, help="Registered model name."),
    steps: Optional[int] = typer.Option(None, help="Total optimisation steps."),
    batch_size: Optional[int] = typer.Option(None),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate."),
    eval_every: Optional[int] = typer.Option(None),
    mixed_precision: bool = typer.Option(False, help="float16 compute (useful on a GPU)."),
) -> None:
    """Train a recogniser on a synthetic dataset; Ctrl-C saves a checkpoint, --resume continues.

    Example: pageocr train --config configs/default.toml
    """
    from recognizer.train import Interrupted, TrainConfig, TrainingDiverged, load_config
    from recognizer.train import train as run_training

    if resume is not None:
        if not (resume / "config.json").is_file():
            fail(f"{resume} is not a run folder (no config.json)")
        cfg = load_config(resume / "config.json")
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
    overrides = {"data": data, "run_dir": str(out) if out else None, "model": model,
                 "steps": steps, "batch_size": batch_size, "lr": lr, "eval_every": eval_every}
    for key, value in overrides.items():
        if value is not None and resume is None:
            setattr(cfg, key, value)
    if mixed_precision:
        cfg.mixed_precision = True
    _run_training(cfg, run_training, Interrupted, TrainingDiverged)


def _run_training(cfg, run_training, Interrupted, TrainingDiverged) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from recognizer.dataset import DatasetError

    cols = (TextColumn("step {task.completed}/{task.total}"), BarColumn(),
            TextColumn("loss {task.fields[loss]:.3f} acc {task.fields[acc]:.3f} "
                       "{task.fields[ips]:.0f} img/s lr {task.fields[lr]:.2e}"),
            TimeRemainingColumn())  # fmt: skip
    with Progress(*cols) as progress:
        task = progress.add_task("train", total=cfg.steps, loss=0.0, acc=0.0, ips=0.0, lr=0.0)

        def on_progress(p):
            progress.update(task, completed=p.step, loss=p.loss, acc=p.accuracy,
                            ips=p.images_per_s, lr=p.lr)  # fmt: skip

        def on_eval(row):
            shown = {k: round(v, 4) for k, v in row.items() if k not in ("time",)}
            progress.console.print(f"eval {shown}")

        try:
            run_training(cfg, on_progress=on_progress, on_eval=on_eval)
        except Interrupted as err:
            fail(f"{err}; continue with: pageocr train --resume {cfg.run_dir}", code=130)
        except TrainingDiverged as err:
            fail(str(err), code=3)
        except (DatasetError, ValueError) as err:
            fail(str(err))
    typer.echo(f"model written to {cfg.run_dir}/model.keras")


def main() -> None:  # pragma: no cover - console entry point
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
