"""Searchable PDFs (``read --format pdf``, ocr_pipeline/pdfout.py) and the OCRmyPDF plugin.

What a PDF reader extracts (pypdfium2) is compared with what ``read`` prints for the
same input, never with a hard-coded reading. Extracted text has no paragraphs: a
reader ends each line with CR LF and knows no blank line between paragraphs, so both
sides are compared as their non-empty lines, stripped.
"""

from __future__ import annotations

import difflib
import io
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from typer.testing import CliRunner

from benchmarks.scoring import cer
from ocr_pipeline import cli, pdfout
from ocr_pipeline.cli import EXIT_INPUT, EXIT_USAGE, app
from ocr_pipeline.pipeline import CharResult, LineResult, PageResult

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = ROOT / "samples" / "paragraph.png"
WEBPAGE = ROOT / "samples" / "webpage.png"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def lines_of(text: str) -> list[str]:
    return [ln.strip() for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]


def pdf_pages_text(path: Path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


def is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def read_json(path: Path, *args) -> dict:
    res = invoke("read", "--format", "json", path, *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("image", [PARAGRAPH, WEBPAGE], ids=["paragraph", "webpage"])
def test_the_text_layer_is_what_read_prints(tmp_path, image):
    out = tmp_path / "out.pdf"
    res = invoke("read", image, "--format", "pdf", "-o", out)
    assert res.exit_code == 0, res.output
    printed = invoke("read", image)
    assert printed.exit_code == 0 and printed.stdout.strip()
    (got,) = pdf_pages_text(out)
    assert lines_of(got) == lines_of(printed.stdout)


def test_each_character_lies_on_its_box(tmp_path):
    """pypdfium2's box of each extracted character against the character's box read
    (json), scaled to points: the PDF's boxes span the line's height and reach the
    next character, so IoU is below 1; most hanzi overlap by more than half and every
    character's centre is within its box widened by half the line's height (the ink
    of a full stop, 。, is a corner of its em square)."""
    out = tmp_path / "out.pdf"
    assert invoke("read", PARAGRAPH, "-f", "pdf", "-o", out).exit_code == 0
    page = read_json(PARAGRAPH)["pages"][0]
    chars = [(c, ln["box"]) for ln in page["lines"] for c in ln["chars"]]
    pdf = pdfium.PdfDocument(str(out))
    pg = pdf[0]
    w_pt, h_pt = pg.get_size()
    sx, sy = w_pt / page["width"], h_pt / page["height"]
    tp = pg.get_textpage()
    text = tp.get_text_range()
    index = [k for k, ch in enumerate(text) if not ch.isspace()]
    assert len(index) == len(chars)
    ious, near = [], []
    for k, (c, line_box) in zip(index, chars):
        assert text[k] == c["char"]
        left, bottom, right, top = tp.get_charbox(k)
        x0, y0, x1, y1 = c["box"]
        box = (x0 * sx, h_pt - y1 * sy, x1 * sx, h_pt - y0 * sy)
        inter = max(0, min(right, box[2]) - max(left, box[0])) * max(
            0, min(top, box[3]) - max(bottom, box[1])
        )
        union = (right - left) * (top - bottom) + (box[2] - box[0]) * (box[3] - box[1]) - inter
        if is_hanzi(c["char"]):
            ious.append(inter / union)
        slack = 0.5 * (line_box[3] - line_box[1]) * sy
        cx, cy = (left + right) / 2, (bottom + top) / 2
        near.append(
            box[0] - slack <= cx <= box[2] + slack and box[1] - slack <= cy <= box[3] + slack
        )
    pdf.close()
    assert len(ious) > 50
    assert np.mean(np.array(ious) > 0.5) >= 0.75, sorted(ious)[:10]
    assert all(near), [c["char"] for (c, _), ok in zip(chars, near) if not ok]


def _turned_paragraph(degrees: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """samples/paragraph.png on a white margin, upright and turned by ``degrees`` about
    its centre: (upright uint8 (H, W), turned uint8 (H, W), the turn float64 (2, 3))."""
    gray = np.asarray(Image.open(PARAGRAPH).convert("L"))
    gray = cv2.copyMakeBorder(gray, 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=255)
    h, w = gray.shape
    turn = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), degrees, 1.0)
    turned = cv2.warpAffine(gray, turn, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)
    return gray, turned, turn


def test_a_turned_page_has_its_text_turned_with_it(tmp_path):
    """The page turned by 3 degrees is read deskewed; its text layer is turned back
    onto the turned image: each character's centre where the turn takes the centre of
    its box on the upright page (within a third of the line's height)."""
    gray, turned, turn = _turned_paragraph(3.0)
    h, w = gray.shape
    upright, tilted = tmp_path / "upright.png", tmp_path / "turned.png"
    Image.fromarray(gray).save(upright)
    Image.fromarray(turned).save(tilted)
    out = tmp_path / "turned.pdf"
    assert invoke("read", tilted, "-f", "pdf", "-o", out).exit_code == 0
    page = read_json(upright)["pages"][0]
    want = [(c, ln["box"]) for ln in page["lines"] for c in ln["chars"]]
    pdf = pdfium.PdfDocument(str(out))
    w_pt, h_pt = pdf[0].get_size()
    tp = pdf[0].get_textpage()
    text = tp.get_text_range()
    got = [(ch, tp.get_charbox(k)) for k, ch in enumerate(text) if not ch.isspace()]
    pdf.close()
    matcher = difflib.SequenceMatcher(None, [c["char"] for c, _ in want], [g for g, _ in got])
    assert matcher.ratio() > 0.9
    ok = []
    for block in matcher.get_matching_blocks():
        for i in range(block.size):
            (c, line_box), (_, (left, bottom, right, top)) = want[block.a + i], got[block.b + i]
            x0, y0, x1, y1 = c["box"]
            centre = turn @ np.array([(x0 + x1) / 2 - 0.5, (y0 + y1) / 2 - 0.5, 1.0]) + 0.5
            cx, cy = (left + right) / 2 * w / w_pt, (h_pt - (bottom + top) / 2) * h / h_pt
            ok.append(math.hypot(cx - centre[0], cy - centre[1]) < (line_box[3] - line_box[1]) / 3)
    assert np.mean(ok) >= 0.9


def test_a_slightly_turned_line_is_written_on_one_level_baseline(tmp_path):
    """A scan turned 1 degree: each line's characters share one baseline, at their own
    x, so that poppler (pdftotext, Evince) keeps the line whole (it cut such lines in
    two, 0.79 similar to the text read); where pdftotext is installed, its text is
    the text read."""
    import shutil
    import subprocess

    _, turned, _ = _turned_paragraph(1.0)
    tilted, out = tmp_path / "turned.png", tmp_path / "turned.pdf"
    Image.fromarray(turned).save(tilted)
    assert invoke("read", tilted, "-f", "pdf", "-o", out).exit_code == 0
    lines = [ln for ln in read_json(tilted)["pages"][0]["lines"] if len(ln["chars"]) >= 5]
    assert lines
    pdf = pdfium.PdfDocument(str(out))
    tp = pdf[0].get_textpage()
    text = tp.get_text_range()
    bottoms: dict[int, list[float]] = {}
    row = 0
    for k, ch in enumerate(text):
        if ch == "\n":
            row += 1
        elif not ch.isspace():
            bottoms.setdefault(row, []).append(tp.get_charbox(k)[1])
    pdf.close()
    spreads = [max(b) - min(b) for b in bottoms.values() if len(b) >= 5]
    assert spreads and max(spreads) < 0.5  # points: one baseline (a 1-degree drift: ~8)
    if shutil.which("pdftotext"):
        got = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
        want = "".join(c["char"] for ln in lines for c in ln["chars"])
        assert cer(want, "".join(got.split())) < 0.02


def test_a_pdf_keeps_its_pages_and_their_sizes(tmp_path, two_page_pdf):
    out = tmp_path / "out.pdf"
    res = invoke("read", two_page_pdf, "-f", "pdf", "-o", out, "--dpi", "150")
    assert res.exit_code == 0, res.output
    src, dst = pdfium.PdfDocument(str(two_page_pdf)), pdfium.PdfDocument(str(out))
    assert len(dst) == len(src) == 2
    for a, b in zip(src, dst):
        assert np.allclose(a.get_size(), b.get_size(), atol=72 / 150), (a.get_size(), b.get_size())
    src.close(), dst.close()
    printed = invoke("read", two_page_pdf, "--dpi", "150").stdout.split("\f")
    assert [lines_of(t) for t in pdf_pages_text(out)] == [lines_of(t) for t in printed]


def test_an_image_is_placed_at_its_resolution_or_300_dpi(tmp_path):
    img = Image.open(PARAGRAPH)
    for dpi, name in ((150, "at150.png"), (None, "plain.png")):
        img.save(tmp_path / name, **({"dpi": (dpi, dpi)} if dpi else {}))
        out = tmp_path / f"{name}.pdf"
        assert invoke("read", tmp_path / name, "-f", "pdf", "-o", out).exit_code == 0
        pdf = pdfium.PdfDocument(str(out))
        scale = 72 / (dpi or pdfout.DEFAULT_DPI)
        assert np.allclose(pdf[0].get_size(), (img.width * scale, img.height * scale), rtol=1e-3)
        pdf.close()


def test_a_failed_run_leaves_no_pdf(tmp_path, monkeypatch):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    out = tmp_path / "out.pdf"
    res = invoke("read", bad, "-f", "pdf", "-o", out)
    assert res.exit_code == EXIT_INPUT and "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png"]

    def broken(self):  # the disk fills up as the document ends
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pdfout.PdfWriter, "close", broken)
    out.write_bytes(b"earlier")
    res = invoke("read", PARAGRAPH, "-f", "pdf", "-o", out)
    assert res.exit_code == EXIT_USAGE and "no space left" in res.stderr.lower()
    assert "Traceback" not in res.output
    assert out.read_bytes() == b"earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png", "out.pdf"]


def test_pdf_to_a_terminal_is_refused_and_to_a_pipe_written(monkeypatch):
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    res = invoke("read", PARAGRAPH, "-f", "pdf")
    assert res.exit_code == EXIT_USAGE
    assert res.stderr.startswith("pageocr: error: --format pdf writes a binary file")
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: False)
    res = invoke("read", PARAGRAPH, "-f", "pdf")
    assert res.exit_code == 0
    pdf = pdfium.PdfDocument(io.BytesIO(res.stdout_bytes))
    assert len(pdf) == 1 and pdf[0].get_textpage().get_text_range().strip()
    pdf.close()


def synthetic_page() -> PageResult:
    """Two lines drawn by hand: hanzi, a space, letters; a character outside the BMP."""
    c = lambda ch, x0, x1, y0=10, y1=50: CharResult(ch, (x0, y0, x1, y1), 0.9, [])  # noqa: E731
    one = LineResult((10, 10, 300, 50), 0, [c("中", 10, 50), c("文", 52, 92), c("a", 120, 140),
                     c("b", 142, 162)], [False, True, False, False])  # fmt: skip
    two = LineResult((10, 80, 300, 120), 1, [c("𠀀", 10, 50, 80, 120), c("字", 52, 92, 80, 120)],
                     [False, False])  # fmt: skip
    return PageResult(400, 200, 0.0, [one, two])


def test_characters_outside_the_bmp_and_spaces_are_extracted_whole():
    data = pdfout.text_only_page(synthetic_page(), (100.0, 100.0), (400, 200))
    pdf = pdfium.PdfDocument(data)
    assert np.allclose(pdf[0].get_size(), (288, 144))
    text = pdf[0].get_textpage().get_text_range()
    pdf.close()
    assert lines_of(text) == ["中文 ab", "𠀀字"]


def test_an_empty_page_is_a_page_without_text():
    out = io.BytesIO()
    writer = pdfout.PdfWriter(out)
    writer.page(PageResult(100, 80, 0.0), (72.0, 72.0), np.full((80, 100), 255, np.uint8))
    writer.close()
    pdf = pdfium.PdfDocument(out.getvalue())
    assert len(pdf) == 1 and pdf[0].get_size() == (100, 80)
    assert pdf[0].get_textpage().get_text_range() == ""
    pdf.close()


def test_page_images_keep_their_pixels_when_lossless():
    """A flat synthetic page is stored losslessly (Flate): rendered back at its own
    resolution it gives its pixels back."""
    pixels = np.full((60, 80), 255, np.uint8)
    pixels[20:40, 10:70] = 0
    assert "/FlateDecode" in pdfout.encode_page_image(pixels).entries
    out = io.BytesIO()
    writer = pdfout.PdfWriter(out)
    writer.page(PageResult(80, 60, 0.0), (72.0, 72.0), pixels)
    writer.close()
    pdf = pdfium.PdfDocument(out.getvalue())
    back = np.asarray(pdf[0].render(scale=1, grayscale=True).to_pil().convert("L"))
    pdf.close()
    assert np.abs(back.astype(int) - pixels).max() <= 1
    rng = np.random.default_rng(0)  # a photograph's smooth shades with sensor noise
    photo = cv2.GaussianBlur(rng.normal(128, 60, (300, 400)), (0, 0), 8) * 4 - 384
    photo = np.clip(photo + rng.normal(0, 6, photo.shape), 0, 255).astype(np.uint8)
    assert "/DCTDecode" in pdfout.encode_page_image(photo).entries


def build_glyphless_font() -> bytes:
    """How ocr_pipeline/data/glyphless.ttf was made (fontTools)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "box"])
    fb.setupCharacterMap({})
    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((0, 1000))
    pen.lineTo((1000, 1000))
    pen.lineTo((1000, 0))
    pen.closePath()
    fb.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "box": pen.glyph()})
    fb.setupHorizontalMetrics({".notdef": (0, 0), "box": (1000, 0)})
    fb.setupHorizontalHeader(ascent=1000, descent=0)
    fb.setupNameTable({"familyName": "GlyphLessFont", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=1000, sTypoDescender=0, usWinAscent=1000, usWinDescent=0)
    fb.setupPost()
    buf = io.BytesIO()
    fb.save(buf)
    return buf.getvalue()


def test_the_shipped_font_is_the_one_glyph_square():
    from fontTools.ttLib import TTFont

    shipped, built = (TTFont(io.BytesIO(b)) for b in (pdfout.glyphless_font(),
                                                      build_glyphless_font()))  # fmt: skip
    for font in (shipped, built):
        assert font.getGlyphOrder() == [".notdef", "box"]
        assert font["head"].unitsPerEm == 1000 and font["hmtx"]["box"] == (1000, 0)
        box = font["glyf"]["box"]
        assert (box.xMin, box.yMin, box.xMax, box.yMax) == (0, 0, 1000, 1000)
    assert len(pdfout.glyphless_font()) < 1000


# --- OCRmyPDF ------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", ["auto", "sandwich"])
def test_ocrmypdf_with_the_pageocr_plugin(tmp_path, renderer):
    """OCRmyPDF 17 needs the ``tesseract`` program on the PATH whatever the engine (its
    Tesseract plugin checks at start-up, and blocking that plugin breaks its option
    checks), so this runs only where both are installed."""
    import shutil

    ocrmypdf = pytest.importorskip("ocrmypdf")
    if shutil.which("tesseract") is None:
        pytest.skip("OCRmyPDF checks for the tesseract program, which is not installed")
    src, out = tmp_path / "in.pdf", tmp_path / "out.pdf"
    Image.open(PARAGRAPH).convert("RGB").save(src, resolution=96)
    from importlib.metadata import entry_points

    # installed, pageocr is found through its entry point, and naming it again is refused
    installed = any(ep.name == "pageocr" for ep in entry_points(group="ocrmypdf"))
    plugins = [] if installed else ["ocr_pipeline.ocrmypdf_plugin"]
    ocrmypdf.ocr(src, out, plugins=plugins, output_type="pdf",
                 pdf_renderer=renderer, progress_bar=False, language=["chi_sim"])  # fmt: skip
    printed = invoke("read", src).stdout
    (got,) = pdf_pages_text(out)
    assert len("".join(printed.split())) > 50
    assert cer(printed, got) < 0.1, (got, printed)  # whitespace left out
    words = [w for w in printed.split() if sum(map(is_hanzi, w)) >= 4]
    assert words and words[0][:4] in got  # a run of hanzi that pageocr reads, whole
    assert np.allclose(pdfium.PdfDocument(str(out))[0].get_size(), (546, 133.5), atol=0.5)


def test_the_plugin_takes_the_rules_profile(monkeypatch):
    """--pageocr-rules reaches the reader as pageocr read --rules does."""
    import argparse

    pytest.importorskip("ocrmypdf")
    from ocr_pipeline import ocrmypdf_plugin as plugin
    from ocr_pipeline.rules import profile

    parser = argparse.ArgumentParser()
    plugin.add_options(parser)
    assert parser.parse_args([]).pageocr_rules == "default"
    with pytest.raises(SystemExit):
        parser.parse_args(["--pageocr-rules", "tuned"])
    opts = parser.parse_args(["--pageocr-rules", "none"])
    seen = []

    def read_cached(path, mtime_ns, model, rules):
        seen.append(rules)

    read_cached.cache_info = plugin._reader.cache_info  # type: ignore[attr-defined]
    monkeypatch.setattr(plugin, "_read_cached", read_cached)
    plugin._read(PARAGRAPH, opts)
    assert seen == ["none"]
    assert plugin._reader(None, "none").rules == () != profile("default")
