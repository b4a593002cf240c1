"""``python -m benchmarks batch``: pages/s of ``pageocr read DIR -o OUT/ --jobs N`` and
the peak memory of each process that read, on a folder of N pages.

The folder is made of ``--distinct`` manpages-zh pages rendered by ``python -m
benchmarks pages``' renderer (a 150-dpi page, a 96-dpi screenshot and a degraded scan of each),
copied round until it holds N pages: every tenth input is a PDF of ten 150-dpi pages (so
that long inputs are read page by page too), the others single images. Each run is a
fresh ``pageocr read`` process (model loading included), timed from start to exit.

Example::

    python -m benchmarks batch --pages 200 --jobs 1 --jobs 2 -o runs/bench-batch
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import typer

from benchmarks.manpages import MAN_DIR
from benchmarks.pages import render_pages
from benchmarks.tables import console, rich_table
from ocr_pipeline import batch

batch_app = typer.Typer(help="pages/s and memory of batch reading (issue 21 item 4).")

#: Pages in each PDF of the folder.
PDF_PAGES = 10


@batch_app.callback(invoke_without_command=True)
def batch_cmd(
    pages: int = typer.Option(200, min=1, help="Pages in the folder."),
    jobs: list[int] = typer.Option([1, 2], help="Worker processes of each run (repeatable)."),
    distinct: int = typer.Option(10, min=1, help="Distinct pages rendered (x3 variants)."),
    out: Path = typer.Option(Path("runs/bench-batch"), "--out", "-o", help="Work folder."),
    seed: int = typer.Option(0),
    man_dir: Path = typer.Option(MAN_DIR, help="Folder of Chinese man pages."),
) -> None:
    """Time ``pageocr read DIR -o OUT/ --jobs N`` for each N on a folder of --pages pages."""
    con = console()
    folder = out / "in"
    n_inputs = make_folder(folder, pages, distinct, seed, man_dir, out / "rendered")
    con.print(f"{folder}: {pages} pages in {n_inputs} inputs")
    rows, results = [], {}
    for n in jobs:
        res = run_once(folder, out / f"out-j{n}", n)
        results[n] = res
        rows.append([str(n), str(res["pages"]), f"{res['seconds']:.1f}",
                     f"{res['pages'] / res['seconds']:.2f}", str(res["failed"]),
                     ", ".join(f"{m:.0f}" for m in res["rss_mb"]),
                     ", ".join(f"{a:.0f}->{b:.0f}" for a, b in res["rss_growth"])])  # fmt: skip
    con.print(rich_table(
        "pageocr read DIR -o OUT/ --jobs N (fresh process, model loading included)",
        ["jobs", "pages", "seconds", "pages/s", "failed", "peak RSS MB per reading process",
         "peak RSS after 1st -> last input"], rows))  # fmt: skip
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    base = results.get(min(jobs))
    for n, res in results.items():
        if base and n != min(jobs):
            speed = (res["pages"] / res["seconds"]) / (base["pages"] / base["seconds"])
            con.print(f"--jobs {n}: {speed:.2f} times the pages/s of --jobs {min(jobs)}")


def make_folder(folder: Path, n_pages: int, distinct: int, seed: int, man_dir: Path,
                rendered: Path) -> int:  # fmt: skip
    """Fill ``folder`` with ``n_pages`` pages (made once; kept for the next run);
    return the number of inputs."""
    marker = folder / ".complete"
    if marker.exists() and marker.read_text() == f"{n_pages} {distinct} {seed}":
        return sum(1 for p in folder.iterdir() if not p.name.startswith("."))
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    pages = render_pages(distinct, seed, rendered, man_dir)
    images = [Path(p.images[v]) for p in pages for v in ("page150", "screen96", "scan")]
    clean = [Path(p.images["page150"]) for p in pages]
    done = n_inputs = k = 0
    while done < n_pages:
        if n_inputs % 10 == 9 and n_pages - done >= PDF_PAGES:
            _pdf([clean[(k + i) % len(clean)] for i in range(PDF_PAGES)],
                 folder / f"doc-{n_inputs:04d}.pdf")  # fmt: skip
            done += PDF_PAGES
        else:
            src = images[k % len(images)]
            shutil.copy(src, folder / f"img-{n_inputs:04d}{src.suffix}")
            done += 1
        k += 1
        n_inputs += 1
    marker.write_text(f"{n_pages} {distinct} {seed}")
    return n_inputs


def _pdf(images: list[Path], path: Path) -> None:
    from PIL import Image

    pages = [Image.open(p).convert("L") for p in images]
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=150)


def run_once(folder: Path, out: Path, jobs: int) -> dict:
    """One fresh ``pageocr read`` of the folder; pages, seconds, and per reading
    process its peak RSS and its growth from its first input to its last."""
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "ocr_pipeline.cli", "read", str(folder), "-o", f"{out}/",
           "--jobs", str(jobs)]  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"pageocr read failed ({proc.returncode}): {proc.stderr.strip()}")
    recs = [json.loads(line) for line in (out / batch.SUMMARY_NAME).read_text().splitlines()]
    by_pid: dict[int, list[float]] = defaultdict(list)
    for rec in recs:
        if rec.get("pid") is not None:
            by_pid[rec["pid"]].append(rec["rss_mb"])
    return {
        "jobs": jobs,
        "pages": sum(r["pages"] for r in recs),
        "inputs": len(recs),
        "failed": sum(r["status"] == "failed" for r in recs),
        "seconds": seconds,
        "rss_mb": [max(v) for v in by_pid.values()],
        "rss_growth": [(v[0], v[-1]) for v in by_pid.values()],
        "stderr_last": proc.stderr.strip().splitlines()[-1:],
    }
