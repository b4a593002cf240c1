"""``python -m benchmarks pdflayer``: a scanned two-page PDF made searchable by
``pageocr read --format pdf`` and by OCRmyPDF with the pageocr plugin; how well each text
layer gives back the text read, and a picture of the layer as a PDF viewer selects it.

The scan is made from ``samples/paragraph.png`` and ``samples/webpage.png`` (96-dpi
screenshots whose text is in ``samples/*.txt``): each enlarged to 200 dpi on a white
margin, tilted, blurred, shaded and noised (``benchmarks.degrade.degrade_scan``), stored
as JPEG and wrapped as an image-only PDF of two 200-dpi pages. Then:

* ``pageocr read scan.pdf`` (the text), ``pageocr read scan.pdf --format pdf``, and
  ``ocrmypdf --plugin ocr_pipeline.ocrmypdf_plugin --output-type pdf scan.pdf out.pdf``
  (skipped, and said so, without ``ocrmypdf`` or ``tesseract`` on the PATH);
* ``pdftotext`` of each output against the text ``read`` printed: similarity
  1 - edit distance / longer length, whitespace ignored, per page and for the document;
  and each against the samples' truth (CER);
* the searchable PDF's pages rendered with pypdfium2, each character of the text layer
  (``PdfTextPage.get_charbox``) drawn over them as a viewer highlights a selection.

Example::

    python -m benchmarks pdflayer -o docs/pdf-text-layer.png
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import typer
from PIL import Image, ImageDraw

from benchmarks.degrade import degrade_scan
from benchmarks.scoring import edit_distance, score
from benchmarks.tables import console, rich_table

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ("paragraph", "webpage")
#: Resolution of the scanned pages; the samples are 96-dpi screenshots.
SCAN_DPI = 200
#: Rendering scale of the picture (points to pixels: 1.5 is 108 dpi).
PICTURE_SCALE = 1.5


def scanned_pdf(path: Path, seed: int = 0) -> list[str]:
    """Write the two-page image-only scan to ``path``; return each page's truth text."""
    pages, truths = [], []
    for i, name in enumerate(SAMPLES):
        img = Image.open(ROOT / "samples" / f"{name}.png").convert("L")
        f = SCAN_DPI / 96
        img = img.resize((round(img.width * f), round(img.height * f)), Image.Resampling.BICUBIC)
        margin = SCAN_DPI // 3
        page = Image.new("L", (img.width + 2 * margin, img.height + 2 * margin), 255)
        page.paste(img, (margin, margin))
        pages.append(degrade_scan(page, seed + i).convert("RGB"))
        truths.append((ROOT / "samples" / f"{name}.txt").read_text(encoding="utf-8"))
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=SCAN_DPI, quality=60)
    return truths


def _run(argv: list[str], **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(argv, capture_output=True, env=env, check=False, **kw)


def pageocr(*args: str) -> subprocess.CompletedProcess:
    """``pageocr ARGS`` from this checkout (not an installed copy)."""
    return _run([sys.executable, "-m", "ocr_pipeline.cli", *args])


def pdftotext(pdf: Path) -> list[str]:
    """The pages' text as ``pdftotext`` gives it (UTF-8, form feed between pages)."""
    res = _run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"])
    if res.returncode != 0:
        raise RuntimeError(f"pdftotext {pdf}: {res.stderr.decode(errors='replace').strip()}")
    return res.stdout.decode("utf-8").split("\f")[: _page_count(pdf)]


def pdfium_text(pdf: Path) -> list[str]:
    """The pages' text as pypdfium2 (PDFium, Chrome's reader) gives it: in the order the
    text layer draws it, whatever the characters' positions."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        out = []
        for page in doc:
            tp = page.get_textpage()
            out.append(tp.get_text_range())
            tp.close()
            page.close()
        return out
    finally:
        doc.close()


def _plugin_installed() -> bool:
    """True when an installed pageocr registers the plugin through OCRmyPDF's entry point."""
    from importlib.metadata import entry_points

    return any(e.value == "ocr_pipeline.ocrmypdf_plugin" for e in entry_points(group="ocrmypdf"))


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()


def similarity(a: str, b: str) -> float:
    """1 - edit distance / the longer length, whitespace ignored (1.0: the same text)."""
    a, b = "".join(a.split()), "".join(b.split())
    longest = max(len(a), len(b))
    return 1.0 - edit_distance(a, b) / longest if longest else 1.0


def highlight(pdf: Path, scale: float = PICTURE_SCALE, gap: int = 12) -> Image.Image:
    """The pages of ``pdf`` rendered, one under the other, with every character box of
    their text layer filled as a PDF viewer shows a selection (spaces outlined only)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    shots = []
    try:
        for page in doc:
            img = page.render(scale=scale).to_pil().convert("RGB")
            draw = ImageDraw.Draw(img, "RGBA")
            height = page.get_height()
            tp = page.get_textpage()
            text = tp.get_text_range()
            for k in range(tp.count_chars()):
                left, bottom, right, top = tp.get_charbox(k, loose=True)
                box = (
                    left * scale,
                    (height - top) * scale,
                    right * scale,
                    (height - bottom) * scale,
                )
                if k < len(text) and text[k].isspace():
                    draw.rectangle(box, outline=(40, 110, 255, 160))
                else:
                    draw.rectangle(box, fill=(40, 110, 255, 70), outline=(40, 110, 255, 200))
            tp.close()
            shots.append(img)
            page.close()
    finally:
        doc.close()
    width = max(s.width for s in shots)
    out = Image.new("RGB", (width, sum(s.height for s in shots) + gap * (len(shots) - 1)), "white")
    y = 0
    for s in shots:
        out.paste(s, (0, y))
        y += s.height + gap
    return out


def save_small(img: Image.Image, path: Path, max_bytes: int = 400_000) -> int:
    """Save as a PNG of 256 colours (or fewer, until under ``max_bytes``); its size."""
    for colours in (256, 128, 64, 32):
        img.quantize(colours, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        if path.stat().st_size <= max_bytes:
            break
    return path.stat().st_size


def pdflayer_cmd(
    out: Path = typer.Option(
        Path("docs/pdf-text-layer.png"), "--out", "-o", help="The picture (PNG)."
    ),
    work: Path | None = typer.Option(
        None, help="Keep the PDFs in this folder (default: a temporary one)."
    ),
    seed: int = typer.Option(0, help="Seeds the scan's degradation."),
) -> None:
    """Make a two-page scan searchable with pageocr and with OCRmyPDF + plugin; print how
    well pdftotext of each gives back the text read; draw the text layer's boxes."""
    con = console()
    with tempfile.TemporaryDirectory() as tmp:
        folder = work or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        scan, searchable = folder / "scan.pdf", folder / "scan-pageocr.pdf"
        truths = scanned_pdf(scan, seed)
        con.print(f"{scan}: {len(truths)} image-only pages at {SCAN_DPI} dpi")
        res = pageocr("read", str(scan))
        if res.returncode != 0:
            raise typer.Exit(_failed("pageocr read", res))
        read = res.stdout.decode("utf-8").split("\f")
        res = pageocr("read", str(scan), "--format", "pdf", "-o", str(searchable))
        if res.returncode != 0:
            raise typer.Exit(_failed("pageocr read --format pdf", res))
        outputs = {"pageocr read --format pdf": searchable}
        plugin = folder / "scan-ocrmypdf.pdf"
        if shutil.which("ocrmypdf") and shutil.which("tesseract"):
            # OCRmyPDF refuses --plugin for a plugin its entry point already loads
            args = [] if _plugin_installed() else ["--plugin", "ocr_pipeline.ocrmypdf_plugin"]
            argv = ["ocrmypdf", *args, "--output-type", "pdf", str(scan), str(plugin)]
            res = _run(argv)
            if res.returncode == 0:
                outputs[" ".join(argv[:-2])] = plugin
            else:
                _failed("ocrmypdf", res)
        else:
            con.print("ocrmypdf or tesseract not on the PATH: the plugin is not measured")
        rows = [_row("pageocr read (text)", read, read, truths)]
        for name, pdf in outputs.items():
            rows.append(_row(f"pdftotext of {name}", pdftotext(pdf), read, truths))
            rows.append(_row(f"pypdfium2 text of {name}", pdfium_text(pdf), read, truths))
        con.print(rich_table(
            "text layers of a scanned two-page PDF vs the text pageocr read printed",
            ["text", "similarity p1", "p2", "document", "CER vs truth p1", "p2"], rows,
        ))  # fmt: skip
        out.parent.mkdir(parents=True, exist_ok=True)
        size = save_small(highlight(searchable), out)
        con.print(f"wrote {out} ({size / 1000:.0f} KB): the text layer of {searchable.name}")


def _row(name: str, pages: list[str], read: list[str], truths: list[str]) -> list[str]:
    sims = [similarity(p, r) for p, r in zip(pages, read)]
    if len(pages) != len(read):
        sims = [float("nan")] * len(read)
    cers = [score(t, p).cer_all for t, p in zip(truths, pages)]
    doc = similarity("".join(pages), "".join(read))
    return [name, *(f"{s:.4f}" for s in sims), f"{doc:.4f}", *(f"{c:.2%}" for c in cers)]


def _failed(what: str, res: subprocess.CompletedProcess) -> int:
    tail = res.stderr.decode(errors="replace").strip().splitlines()[-3:]
    print(f"{what} failed (exit {res.returncode}): " + " | ".join(tail), file=sys.stderr)
    return 1
