"""``python -m benchmarks vertical``: pages set by Chromium in ``writing-mode: vertical-rl``
read by pageocr: is the page found vertical, are the columns read right to left, and
the CER against the text set (whitespace ignored), per face.

The text is written for this benchmark (no package's document); Chromium draws the
marks in their vertical forms (「 as ﹁, ， in the top right corner), as a browser or a
typesetter does.
"""

from __future__ import annotations

import html
import subprocess
import tempfile
from pathlib import Path

import typer

from benchmarks.browser import find_chromium
from benchmarks.scoring import cer, hanzi_only

#: Columns of text: a short story in everyday words, with the marks of vertical text.
VERTICAL_TEXT = (
    "他说：「我们明天去北京。」大家都很高兴，一起准备行李、地图和雨伞。"
    "第二天早上，火车准时出发。窗外的田野一片金黄，远处的山上还有白云。"
    "到了北京，我们先去看了故宫，又在附近的小饭馆吃了饺子。"
    "晚上回到旅馆，爸爸说：「今天走了很多路，早点休息吧。」"
)

VERTICAL_FACES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UMing CN", "WenQuanYi Zen Hei")


def render_vertical(text: str, family: str, out: Path, size: int = 28) -> Path:
    """A screenshot of ``text`` set vertical-rl by headless Chromium in ``family``."""
    chromium = find_chromium()
    if chromium is None:
        raise typer.BadParameter("no Chromium to render with (apt-get install chromium)")
    page = out.with_suffix(".html")
    page.write_text(
        '<html><head><meta charset="utf-8"><style>'
        f'body{{margin:32px;background:#fff;color:#111;font-family:"{family}";'
        f"font-size:{size}px;line-height:1.7}}"
        "div{writing-mode:vertical-rl;height:560px}</style></head>"
        f"<body><div>{html.escape(text)}</div></body></html>",
        encoding="utf-8",
    )
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1000,640", f"--screenshot={out}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return out


def vertical_cmd(
    faces: str = typer.Option(",".join(VERTICAL_FACES), help="Comma-separated families."),
    keep: Path | None = typer.Option(None, help="Keep the screenshots in this folder."),
    model: Path | None = typer.Option(
        None, "--model", "-m", help="A shipped model's name, a .tflite or an export folder."
    ),
) -> None:
    """Read Chromium's vertical-rl pages; print found-vertical, order, CER per face."""
    import cv2

    from ocr_pipeline import Reader
    from ocr_pipeline.vertical import is_vertical

    reader = Reader(model, layout="auto")
    folder = Path(keep or tempfile.mkdtemp(prefix="pageocr-vertical-"))
    folder.mkdir(parents=True, exist_ok=True)
    truth = "".join(VERTICAL_TEXT.split())
    typer.echo("face | found vertical | columns right to left | CER all | CER hanzi")
    for family in faces.split(","):
        png = render_vertical(VERTICAL_TEXT, family, folder / f"{family.replace(' ', '_')}.png")
        page = reader.read(png)[0]
        gray = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
        found = gray is not None and is_vertical(gray)
        right_first = len(page.lines) > 1 and page.lines[0].box[0] > page.lines[-1].box[0]
        read = "".join(page.text.split())
        hanzi = cer(hanzi_only(truth), hanzi_only(read))
        typer.echo(f"{family} | {found} | {right_first} | {cer(truth, read):.2%} | {hanzi:.2%}")
        typer.echo(f"  read: {read}", err=True)
