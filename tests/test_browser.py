"""benchmarks.browser: Chromium prints and screenshots of a tiny local page, and their truth.

The page is set in the committed Noto subset (a web font), so the layout does not depend
on the system's fonts.  Skipped without Playwright or Chromium.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import NOTO

from benchmarks.browser import _join

#: Visible text of the page below, in DOM order, whitespace left out.
LINE1 = "中文字识别 hello world"
LINE2 = "我们在这个大国 test"
PROSE = "中文字识别的是了人大国我们这个在有上不为和 one two three four five 一二三"
VISIBLE = LINE1 + LINE2 + "有人" + "上一" + "行中" + PROSE

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><style>
@font-face {{ font-family: "TestSans"; src: url("noto.otf"); }}
body {{ margin: 0; font: 20px/30px "TestSans"; color: #000; background: #fff; }}
p, ul {{ margin: 0; }}
</style>
<link rel="stylesheet" href="https://example.invalid/remote.css">
</head><body>
<p>{line1}</p>
<p>{line2}</p>
<p><img src="pic.png" width="120" height="60" alt="图"></p>
<p style="display: none">二三</p>
<p><span style="visibility: hidden">不</span><span style="color: transparent">为</span>有人</p>
<div style="height: 30px; overflow: hidden"><p>上一</p><p>小八</p></div>
<div style="position: relative"><p>是了</p>
  <div style="position: absolute; top: 0; left: 0; width: 300px; height: 30px;
              background: #fff"></div></div>
<script>var hidden = "川儿";</script>
<ul><li>行中</li></ul>
<p id="prose">{prose}</p>
</body></html>
"""


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_join_lines_and_spaces():
    # (char, left, top, right, bottom, whitespace before)
    items = [
        ("a", 0, 0, 10, 20, False),
        ("b", 10, 0, 20, 20, False),
        ("c", 25, 0, 35, 20, True),  # a word space
        ("中", 35, 2, 55, 22, False),  # same line, touching
        ("d", 0, 26, 10, 46, True),  # next line (line boxes overlapping by 0)
        ("e", 40, 26, 50, 46, False),  # a column further right: a gap of > a line height
        ("f", 50, 15, 60, 35, True),  # overlaps the line by half only: still a new line
    ]
    assert _join(items) == "ab c中\nd e\nf"


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("playwright")
    from benchmarks.browser import Browser, find_chromium

    if find_chromium() is None:  # PAGEOCR_CHROMIUM, then `chromium` on PATH (shutil.which)
        pytest.skip("no Chromium")
    with Browser() as b:
        yield b


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    d = tmp_path_factory.mktemp("page")
    shutil.copy(NOTO, d / "noto.otf")
    pic = Image.new("RGB", (120, 60), (255, 0, 0))
    ImageDraw.Draw(pic).text((40, 5), "永", font=ImageFont.truetype(str(NOTO), 40), fill="white")
    pic.save(d / "pic.png")
    html = d / "page.html"
    html.write_text(PAGE.format(line1=LINE1, line2=LINE2, prose=PROSE), encoding="utf-8")
    return html


def _red_box(png: Path) -> tuple[int, int, int, int] | None:
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(png).convert("RGB")).astype(int)
    red = (a[..., 0] > 200) & (a[..., 1] < 80) & (a[..., 2] < 80)
    ys, xs = np.nonzero(red)
    if not len(xs):
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_screenshot_page_truth(browser, page, tmp_path):
    import numpy as np
    from PIL import Image

    scale = 1.5
    shot = browser.screenshot_page(page, tmp_path / "page.png", width=640, scale=scale)
    assert _squash(shot.text) == _squash(VISIBLE)
    assert "".join(c for c, _ in shot.chars) == _squash(shot.text)
    lines = shot.text.split("\n")
    assert lines[:2] == [LINE1, LINE2]
    assert lines[2:5] == ["有人", "上一", "行中"]

    gray = np.asarray(Image.open(shot.image).convert("L"))
    h, w = gray.shape
    assert w == round(640 * scale)
    red = _red_box(shot.image)
    assert red is not None, "the picture is not on the screenshot"
    prev = None
    for ch, (x0, y0, x1, y1) in shot.chars:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        # no character on the picture
        assert x1 <= red[0] or x0 >= red[2] or y1 <= red[1] or y0 >= red[3]
        # the box holds the character's ink
        assert gray[y0:y1, x0:x1].min() < 100, ch
        if prev is not None and min(y1, prev[3]) - max(y0, prev[1]) > (y1 - y0) / 2:
            assert prev[2] <= x0, f"{ch} overlaps the character before it"
        prev = (x0, y0, x1, y1)


def test_screenshot_page_does_not_cut_a_line(browser, page, tmp_path):
    # lines are 30 CSS px high from y = 0: 45 px would cut through the second
    shot = browser.screenshot_page(page, tmp_path / "top.png", width=640, max_height=45, scale=2)
    from PIL import Image

    assert Image.open(shot.image).height <= 2 * 31
    assert shot.text == LINE1


def test_screenshot_paragraphs(browser, page, tmp_path):
    import numpy as np
    from PIL import Image

    shots = browser.screenshot_paragraphs(
        page, tmp_path / "paras", font_family="TestSans", font_px=18, width=320, dark=True
    )
    assert len(shots) == 1  # the page has one prose block
    shot = shots[0]
    assert _squash(shot.text) == _squash(PROSE)
    assert shot.text.count("\n") >= 2  # wrapped at 320 px
    gray = np.asarray(Image.open(shot.image).convert("L"))
    assert np.median(gray) < 80  # dark theme
    for _ch, (x0, y0, x1, y1) in shot.chars:
        assert 0 < x0 < x1 < gray.shape[1] and 0 < y0 < y1 < gray.shape[0]  # padded
        assert gray[y0:y1, x0:x1].max() > 150  # light ink
    if shutil.which("fc-list"):
        with pytest.raises(ValueError):
            browser.screenshot_paragraphs(
                page, tmp_path / "x", font_family="No Such Family 42", font_px=18
            )


def test_print_pdf_text_layer(browser, page, tmp_path):
    import pypdfium2 as pdfium

    pdf = browser.print_pdf(page, tmp_path / "page.pdf", paper="A5", margin_mm=10)
    doc = pdfium.PdfDocument(pdf)
    text = _squash(doc[0].get_textpage().get_text_range())
    for part in (LINE1, LINE2, PROSE):
        assert _squash(part) in text
    # the list's bullet, which Chromium would print as a shape, is text the layer holds
    assert "•行中" in text
