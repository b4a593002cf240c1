"""``python -m benchmarks timings``: wall time of the hot spots unit tests used to time.

The unit tests assert only what these functions compute; how fast they run is measured
here, where a busy machine makes a slow figure, not a failed test:

* ``edit_distance``: the CER of a page, 1,500 hanzi against a copy with 10% of them
  changed (what ``python -m benchmarks pages`` and ``docs`` score every page with);
* ``language.load``: loading the shipped bigram model (every ``Reader`` with a language
  model, so every ``pageocr read``);
* ``estimate_skew``: the skew of an A4 page at 150 dpi (1754 x 1240) of 40 lines of
  32-px hanzi turned 1 degree, from its ink mask (every page read).

Each is run ``--repeat`` times after one warm-up run; the table gives the median and
the fastest. Figures: ``docs/bench/speed.md``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import typer

#: The subset font the tests render with (OFL), so no system font is needed.
FONT = Path(__file__).resolve().parent.parent / "tests/fixtures/NotoSansSC-subset.otf"
#: Hanzi the subset font draws.
HANZI = "一三上不个中为了二人们儿八别和国在大字小川我文是有永的行识这"
PARAGRAPH = "中文字识别的是了人大国我们这个在有上不为和一二三永"


def seconds(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds of ``repeat`` calls of ``fn``, after one call not counted."""
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def edit_distance_case() -> Callable[[], object]:
    """A page of 1,500 hanzi against a copy with ~10% changed (seed 1, as the test)."""
    from benchmarks.scoring import edit_distance

    rng = random.Random(1)
    a = "".join(rng.choice(HANZI) for _ in range(1500))
    b = "".join(c if rng.random() > 0.1 else "x" for c in a)
    return lambda: edit_distance(a, b)


def language_load_case() -> Callable[[], object]:
    """Loading the shipped bigram model from its file."""
    from ocr_pipeline import language

    return lambda: language.load()


def skew_case() -> Callable[[], object]:
    """``estimate_skew`` on the ink mask of an A4 page at 150 dpi turned 1 degree."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    from segmentation.binarize import binarize
    from segmentation.deskew import estimate_skew, rotate

    img = Image.new("L", (1240, 1754), 255)
    draw, font = ImageDraw.Draw(img), ImageFont.truetype(str(FONT), 32)
    for i in range(40):
        draw.text((60, 60 + 40 * i), PARAGRAPH + PARAGRAPH[:10], font=font, fill=0)
    mask = binarize(rotate(np.asarray(img), 1.0))
    return lambda: estimate_skew(mask)


CASES: dict[str, tuple[str, Callable[[], Callable[[], object]]]] = {
    "edit_distance": ("edit_distance, 1,500 hanzi, 10% changed", edit_distance_case),
    "language_load": ("language.load(), the shipped bigram model", language_load_case),
    "estimate_skew": ("estimate_skew, A4 at 150 dpi, 40 lines", skew_case),
}


def timings_cmd(
    repeat: int = typer.Option(5, min=1, help="Timed runs of each (after one warm-up)."),
    out: Path | None = typer.Option(None, "-o", "--out", help="Also write the table here."),
) -> None:
    """Wall time of three hot spots, as a Markdown table (median and fastest ms).

    edit_distance on a page, loading the language model, a page's skew."""
    rows = ["| measure | median ms | fastest ms |", "|---|---:|---:|"]
    for title, make in CASES.values():
        times = seconds(make(), repeat)
        rows.append(f"| {title} | {statistics.median(times) * 1e3:.1f} | {min(times) * 1e3:.1f} |")
    table = "\n".join(rows) + "\n"
    typer.echo(table, nl=False)
    if out is not None:
        out.write_text(table, encoding="utf-8")
