"""The hOCR and TSV that ``read`` writes, checked against what reads them: OCRmyPDF's
hOCR parser, hocr-tools' ``hocr-check`` and ``hocr-lines`` rule (a line's text
content), and the columns of Tesseract's own TSV. Pages made by hand: no model."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from ocr_pipeline.formats import TSV_COLUMNS, to_hocr, to_tsv
from ocr_pipeline.results import CharResult, LineResult, PageResult

XHTML = "{http://www.w3.org/1999/xhtml}"


def _line(text: str, y: int, block: int, conf: float = 0.9) -> LineResult:
    """A line whose characters are 10 px wide; a space in ``text`` ends a word."""
    chars, spaces, x = [], [], 5
    for ch in text:
        if ch == " ":
            spaces[-1] = True
            x += 6
            continue
        chars.append(CharResult(ch, (x, y, x + 10, y + 12), conf, [(ch, conf)]))
        spaces.append(False)
        x += 11
    box = (chars[0].box[0], y, chars[-1].box[2], y + 12)
    return LineResult(box, block, chars, spaces)


@pytest.fixture
def pages() -> list[PageResult]:
    first = PageResult(
        400,
        200,
        0.0,
        [_line("用 OpenCV 读图", 10, 0), _line("中文 ok", 30, 0, 0.5), _line("第二段<&>", 60, 3)],
        source="a b.pdf",
        number=2,
    )
    return [first, PageResult(300, 100, 0.0, [], source="empty.png")]


def test_hocr_lines_hold_the_text_read(pages):
    """hocr-lines prints each ocr_line's text content: the line's text, no space
    between hanzi (each character on a line of its own gave 'p a g e o c r')."""
    root = ET.fromstring(to_hocr(pages))
    lines = [e for e in root.iter() if e.get("class") == "ocr_line"]
    assert ["".join(e.itertext()) for e in lines] == [ln.text for ln in pages[0].lines]
    words = [e for e in lines[0] if e.get("class") == "ocrx_word"]
    assert ["".join(w.itertext()) for w in words] == ["用", "OpenCV", "读", "图"]
    cinfo = [c for c in words[1] if c.get("class") == "ocrx_cinfo"]
    assert [c.text for c in cinfo] == list("OpenCV")
    assert cinfo[0].get("title") == "x_bboxes 22 10 32 22; x_conf 90.0"
    assert words[1].get("title") == "bbox 22 10 87 22; x_wconf 90"
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))


def test_ocrmypdf_reads_the_words_of_the_hocr(pages, tmp_path):
    """OCRmyPDF's hOCR reader takes the words (ocrx_word) of each line: it found none
    in pageocr's hOCR, whose characters were not in words."""
    hocr_parser = pytest.importorskip("ocrmypdf.hocrtransform")
    path = tmp_path / "p.hocr"
    path.write_text(to_hocr(pages[:1]), encoding="utf-8")
    page = hocr_parser.HocrParser(path).parse()
    lines = [ln for par in page.children for ln in par.children]
    assert [[w.text for w in ln.children] for ln in lines] == [
        ["用", "OpenCV", "读", "图"], ["中", "文", "ok"], ["第", "二", "段", "<&>"]
    ]  # fmt: skip
    assert lines[1].children[0].confidence == 0.5
    assert lines[0].children[1].bbox.left == 22 and lines[0].children[1].bbox.right == 87


@pytest.mark.skipif(shutil.which("hocr-check") is None, reason="hocr-tools not installed")
def test_hocr_check_passes(pages, tmp_path):
    path = tmp_path / "p.hocr"
    path.write_text(to_hocr(pages), encoding="utf-8")
    res = subprocess.run(["hocr-check", str(path)], capture_output=True, text=True, timeout=60)
    report = res.stdout + res.stderr  # hocr-check writes its TAP lines on stderr
    assert res.returncode == 0 and "not ok" not in report, report
    assert report.count("ok ") >= 10, report


def _tesseract_header(tmp_path) -> list[str]:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract not installed")
    img = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(img)
    subprocess.run(["tesseract", str(img), str(tmp_path / "t"), "tsv"], capture_output=True,
                   timeout=120, check=True)  # fmt: skip
    return (tmp_path / "t.tsv").read_text().splitlines()[0].split("\t")


def test_tsv_has_tesseracts_columns_then_the_source(pages, tmp_path):
    assert list(TSV_COLUMNS[:-1]) == _tesseract_header(tmp_path)
    rows = [r.split("\t") for r in to_tsv(pages).splitlines()]
    assert rows[0] == [*TSV_COLUMNS] and all(len(r) == len(TSV_COLUMNS) for r in rows)
    recs = [dict(zip(TSV_COLUMNS, r)) for r in rows[1:]]
    assert [(r["level"], r["source"], r["page_num"]) for r in recs if r["level"] == "1"] == [
        ("1", "a b.pdf", "2"), ("1", "empty.png", "1")]  # fmt: skip
    words = [r for r in recs if r["level"] == "5"]
    assert [w["text"] for w in words[:4]] == ["用", "OpenCV", "读", "图"]
    assert {(w["block_num"], w["par_num"], w["line_num"]) for w in words} == {
        ("1", "1", "1"), ("1", "1", "2"), ("2", "1", "1")}  # fmt: skip
    ocv = words[1]
    assert (ocv["left"], ocv["top"], ocv["width"], ocv["height"]) == ("22", "10", "65", "12")
    assert [w["word_num"] for w in words[:4]] == ["1", "2", "3", "4"]
    assert float(ocv["conf"]) == pytest.approx(90.0) and float(words[4]["conf"]) == 50.0
    assert all(r["conf"] == "-1" and r["text"] == "" for r in recs if r["level"] != "5")
    blocks = [(r["block_num"], r["left"], r["top"]) for r in recs if r["level"] == "2"]
    assert blocks == [("1", "5", "10"), ("2", "5", "60")]
