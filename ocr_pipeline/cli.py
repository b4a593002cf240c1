"""The ``pageocr`` command line: one typer app, each command a thin call into the library.

Commands: read, segment, classify, train, eval, export, synth, fonts, bench.
Heavy imports (TensorFlow above all) happen inside the commands that need them,
so ``pageocr read`` starts fast.
"""

from __future__ import annotations

import logging
import math
import sys
from pathlib import Path

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


def _faces(font: list[Path] | None, heldout: list[str] | None):
    from recognizer.fonts import DEFAULT_HELDOUT, FontError, discover

    try:
        faces = discover(font, heldout=tuple(heldout) if heldout else DEFAULT_HELDOUT)
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
    "gb2312-1+ascii+punct", "--charset", help="Named set, '+' union, or a UTF-8 file of characters."
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
    font: list[Path] | None = FONT_OPT,
    heldout: list[str] | None = HELDOUT_OPT,
    preview: Path | None = typer.Option(
        None, help="Instead of a dataset, draw a contact sheet of samples to this PNG."
    ),
    boost: list[str] | None = typer.Option(
        None,
        metavar="SET=FACTOR",
        help="Draw the classes of a named set FACTOR times as often (repeatable), "
        "e.g. ascii+punct=8.",
    ),
) -> None:
    """Render a synthetic dataset of characters into TFRecord shards (re-runs resume).

    Example: pageocr synth -o data/synth --train 1000000
    """
    from recognizer.dataset import DatasetError, Plan, synthesize
    from recognizer.fonts import FontError

    cs = _charset(charset)
    faces = _faces(font, heldout)
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
    from rich.progress import Progress

    with Progress(*Progress.get_default_columns(), "{task.completed} images") as progress:
        task = progress.add_task("rendering", total=train + val + test)
        try:
            synthesize(
                out,
                cs,
                faces,
                plan,
                workers=workers,
                on_shard=lambda split, n: progress.advance(task, n),
            )
        except (DatasetError, FontError) as err:
            fail(str(err))
    typer.echo(f"dataset in {out}: train {train}, val {val}, test-heldout {test}")


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
        None, help="Fine-tune: start from this run's (or .keras file's) weights."
    ),
    model: str | None = typer.Option(None, help="Registered model name."),
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
    from recognizer.train import Interrupted, TrainConfig, TrainingDiverged, load_config
    from recognizer.train import train as run_training

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
    overrides = {
        "data": data,
        "run_dir": str(out) if out else None,
        "model": model,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "eval_every": eval_every,
        "init": str(init) if init else None,
    }
    if resume is not None:
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
    if mixed_precision:
        cfg.mixed_precision = True
    _run_training(cfg, run_training, Interrupted, TrainingDiverged)


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


MODEL_OPT = typer.Option(
    None,
    "--model",
    "-m",
    help="A shipped model by name (default, fast) or a model file (.tflite/.keras with its "
    ".json) or run folder; default: the shipped default model.",
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
        ..., help="Images of single characters, or folders of them."
    ),
    top: int = typer.Option(3, "--top", "-k", min=1, help="Candidates per image."),
    json_out: bool = typer.Option(False, "--json", help="JSON for programs."),
    framing: str = typer.Option(
        "tight", help="tight: frame the ink; asis: keep the image's framing."
    ),
    model: Path | None = MODEL_OPT,
    runtime: str = RUNTIME_OPT,
) -> None:
    """Classify single-character images: top-k with probabilities, then the text they spell.

    Example: pageocr classify crops/     (0000.png, 0001.png ... in name order)
    """
    import json

    from ocr_pipeline.classify import FRAMINGS, classify_files
    from ocr_pipeline.images import expand_inputs

    if framing not in FRAMINGS:
        fail(f"--framing must be one of {', '.join(FRAMINGS)}")
    predictor = _predictor(model, runtime)
    files, folder_errors = expand_inputs(paths)
    for err in folder_errors:
        typer.echo(f"pageocr: error: {err}", err=True)
    if not files:
        if folder_errors:
            raise typer.Exit(1)
        fail("no images found in " + ", ".join(map(str, paths)), 1)
    results = classify_files(files, predictor, top, framing)
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
        raise typer.Exit(1)


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
    """Top-1 / top-5 of a model on a dataset split, per face and script, with confusions.

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


@app.command()
def read(
    files: list[Path] = typer.Argument(..., help="Images (PNG, JPEG, TIFF, WebP, BMP) or PDFs."),
    fmt: str = typer.Option("text", "--format", "-f", help="text, json, tsv or hocr."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write here instead of stdout."
    ),
    overlay: Path | None = typer.Option(
        None,
        help="Draw the boxes and characters on the page to this PNG (page N of a "
        "multi-page input goes to NAME-N.png).",
    ),
    dpi: int = typer.Option(200, min=36, max=1200, help="Rasterisation resolution for PDFs."),
    pages: str | None = typer.Option(None, help="Pages of PDFs / TIFFs to read, e.g. 1,3-5."),
    top: int = typer.Option(3, "--top", "-k", min=1, help="Alternatives per character (json)."),
    model: Path | None = MODEL_OPT,
    runtime: str = RUNTIME_OPT,
) -> None:
    """Read the text of screenshots, scans and PDFs.

    Example: pageocr read shot.png > shot.txt
    """
    from ocr_pipeline.formats import FORMATS, render
    from ocr_pipeline.images import InputError, load_pages, parse_pages
    from ocr_pipeline.pipeline import preload, read_image

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    try:
        page_list = parse_pages(pages)
    except InputError as err:
        fail(str(err))
    preload()  # the word lists load while the model does and the first page is read
    predictor = _predictor(model, runtime)
    results, failed = [], False
    for f in files:
        try:
            for page in load_pages(f, dpi=dpi, pages=page_list):
                res = read_image(page.gray, predictor, k=top)
                res.source, res.number = page.source, page.number
                results.append(res)
                if overlay is not None:
                    _write_overlay(overlay, page, res, len(files) > 1 or page.number > 1)
        except InputError as err:
            typer.echo(f"pageocr: error: {err}", err=True)
            failed = True
    out = render(results, fmt) if results else ""
    if output is not None:
        output.write_text(out, encoding="utf-8")
    else:
        sys.stdout.write(out)
        sys.stdout.flush()
    if failed:
        raise typer.Exit(1)


def _write_overlay(path: Path, page, res, numbered: bool) -> None:
    from ocr_pipeline.overlay import draw_overlay

    target = (
        path.with_name(f"{path.stem}-{Path(page.source).stem}-{page.number}{path.suffix}")
        if numbered
        else path
    )
    draw_overlay(res.gray, res).save(target)


@app.command()
def segment(
    image: Path = typer.Argument(..., help="A page image or PDF (first page unless --page)."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder for 0000.png, 0001.png ... and boxes.json."
    ),
    size: int = typer.Option(64, min=8, help="Side of each crop in pixels."),
    mode: str = typer.Option("line", help="Crop framing: line (keeps size and place) or tight."),
    page: int = typer.Option(1, min=1, help="Page of a PDF or multi-page TIFF."),
    dpi: int = typer.Option(200, min=36, max=1200),
    debug: Path | None = typer.Option(
        None,
        help="Also draw the lines and cuts on the page, to this PNG (outside the crop folder).",
    ),
) -> None:
    """Cut a page into character crops (white on black, reading order) and their boxes.

    Example: pageocr segment shot.png -o crops/ --debug cuts.png
    then:    pageocr classify crops/ --framing asis
    """
    import json

    import cv2

    from ocr_pipeline.images import InputError, load_pages
    from segmentation.crops import MODES
    from segmentation.segment import crops, draw_debug, segment_page

    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}")
    try:
        pg = next(iter(load_pages(image, dpi=dpi, pages=[page])))
    except InputError as err:
        fail(str(err), 1)
    seg = segment_page(pg.gray)
    out.mkdir(parents=True, exist_ok=True)
    images = crops(seg, size=size, mode=mode)
    records = []
    n = 0
    for li, line_chars in enumerate(seg.chars):
        for ch in line_chars:
            name = f"{n:04d}.png"
            cv2.imwrite(str(out / name), images[n])
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
    (out / "boxes.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    if debug is not None:
        cv2.imwrite(str(debug), draw_debug(seg))
    typer.echo(f"{n} characters in {len(seg.lines)} lines written to {out}")


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

    import numpy as np

    from recognizer import dataset
    from recognizer.export import ExportError, export_run

    if not (run_dir / "config.json").is_file():
        fail(f"{run_dir} is not a run folder (no config.json)")
    data_dir = data or Path(json.loads((run_dir / "config.json").read_text())["data"])

    def crops(split: str, n: int):
        try:
            xs = [x.numpy() for x, _ in dataset.load(data_dir, split, 256).take(-(-n // 256))]
        except dataset.DatasetError as err:
            fail(str(err))
        return np.concatenate(xs)[:n]

    if check_split not in ("val", "test-heldout"):
        fail(f"--check-split must be val or test-heldout, not {check_split!r}")
    sample = crops(check_split, samples)
    calibration = crops("val", CALIBRATION_CROPS)
    if from_checkpoint:
        from recognizer.train import model_from_checkpoint

        try:
            model_from_checkpoint(run_dir)
        except ValueError as err:
            fail(str(err))
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


def _add_bench(argv: list[str]) -> None:
    """Register the ``bench`` commands, unless the command line runs another command:
    their module is the largest, and ``read`` should start fast."""
    args = [a for a in argv[1:] if not a.startswith("-")]
    others = {c.name or c.callback.__name__ for c in app.registered_commands}
    if args and args[0] in others:
        return
    from ocr_pipeline.bench import bench_app

    app.add_typer(bench_app, name="bench", help="Benchmarks: page accuracy vs Tesseract, speed.")


_add_bench(sys.argv)


def main() -> None:  # pragma: no cover - console entry point
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
