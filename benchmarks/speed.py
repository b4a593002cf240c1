"""``python -m benchmarks speed`` and ``render``: crops/s of each model artefact and
runtime, wall time and peak RSS of a ``pageocr read`` process, the disk size of a base
install; images/s of the training renderer."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from benchmarks.engines import pageocr_engine, warm_up
from benchmarks.manpages import (
    CJK_FACES,
    allowed_chars,
    available_faces,
    choose_pages,
    manpage_files,
    write_page,
)
from benchmarks.tables import console, rich_table

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

log = logging.getLogger(__name__)

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

    Example: python -m benchmarks speed --tflite-int8 runs/x/export/model-int8.tflite
    """
    con = console()
    out.mkdir(parents=True, exist_ok=True)
    arts = _artefacts(keras, tflite_fp32, tflite_int8)
    if not arts:
        con.print("[yellow]no model artefact (no shipped model and none given): "
                  "skipping crops/s[/yellow]")  # fmt: skip
    rows = _time_artefacts(arts, crops, min_seconds, con)
    con.print(rich_table("classification throughput", ["artefact", "path", "batch", "crops/s"],
                          rows))  # fmt: skip
    facts = _process_facts(page, model, repeat, install_size, con)
    con.print(rich_table("pageocr read and install", ["measure", "value"], facts))
    md = "# python -m benchmarks speed\n\n"
    md += "| artefact | path | batch | crops/s |\n|---|---|---:|---:|\n"
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


def render_cmd(
    images: int = typer.Option(4000, help="Images rendered per measurement."),
    processes: list[int] = typer.Option([1, 2], help="Worker counts to measure (repeatable)."),
) -> None:
    """Images/s of the dataset renderer (all system faces, default charset, augmented).

    Example: python -m benchmarks render --images 4000 --processes 1 --processes 2
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
