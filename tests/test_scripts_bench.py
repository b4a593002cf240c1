"""``python -m benchmarks scripts``: the traditional man-page text and the page HTML."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from benchmarks.scripts import (
    description_paragraphs,
    inline_font_macros,
    model_label,
    page_html,
    roff_args,
    section_source,
    table_rows,
    take_chars,
)

TESTS = Path(__file__).resolve().parent
FONT = TESTS / "script_fixtures" / "NotoSansSC-issue22-subset.otf"

#: A tiny man page: a NAME section, a DESCRIPTION (描述) of two prose paragraphs with
#: font macros inside them and an option list, then another section.
ROFF = r""".TH TINY 1
.SH NAME
tiny \- 一個程式
.SH "描述 DESCRIPTION"
.B tiny
讀取每一個檔案，並把檔案的內容寫到標準輸出。如果沒有給出檔案，它讀取標準輸入。
.PP
當使用
.BR \-v ,
選項時，它會顯示更多的資訊，
.I 包括
每一個檔案的大小和修改時間。
.TP
.B \-v
詳細
.SH 選項
這一段不屬於描述部分，所以不會被讀取出來作為頁面。
"""


def test_roff_args_quoted_and_plain():
    assert roff_args('\\-v ", and" x') == ["\\-v", ", and", "x"]
    assert roff_args("") == []


def test_font_macros_keep_their_words():
    text = inline_font_macros(".B tiny\nword\n.BR \\-v ,\n.I\n.PP\n")
    assert text == "tiny\nword\n\\-v,\n.PP\n"


def test_section_is_the_description_only():
    sec = section_source(ROFF)
    assert "讀取每一個檔案" in sec
    assert "不屬於描述部分" not in sec and "一個程式" not in sec


def test_description_paragraphs():
    paras = description_paragraphs(ROFF)
    assert paras == [
        "tiny 讀取每一個檔案，並把檔案的內容寫到標準輸出。如果沒有給出檔案，它讀取標準輸入。",
        "當使用 -v, 選項時，它會顯示更多的資訊，包括每一個檔案的大小和修改時間。",
    ]  # the option list (".TP" tag and the short "詳細") is not prose


def test_take_chars_cuts_after_a_full_stop():
    assert take_chars(["一二三。", "四五。六七八。九"], 9) == ["一二三。", "四五。"]
    assert take_chars(["一二三四五"], 3) == []
    assert take_chars(["一。", "二。"], 100) == ["一。", "二。"]


def test_page_html_escapes_and_sets_the_face():
    page = page_html(["甲<乙>", "丙&丁"], "Some Face", 18, "zh-Hant", "f.otf")
    assert '<html lang="zh-Hant">' in page
    assert "<p>甲&lt;乙&gt;</p><p>丙&amp;丁</p>" in page
    assert 'font-family:"Some Face"' in page and "font-size:18px" in page
    assert '@font-face{font-family:"Some Face";src:url("f.otf")}' in page


def test_model_label():
    assert model_label("real") == "real"
    assert model_label("runs/zh11k-ft/export/model-int8.tflite") == "zh11k-ft/model-int8"


def test_table_pools_each_kind():
    from benchmarks.scoring import score
    from benchmarks.scripts import Result

    results = [Result("a", "traditional", "e", score("一二三四", "一二三"), 1.0),
               Result("b", "traditional", "e", score("五六", "五七"), 2.0)]  # fmt: skip
    rows = table_rows(results)
    assert rows[-1] == ["all traditional", "e", "6", "33.33%", "33.33%", "3.0"]
    assert rows[0][3] == "25.00%"


def test_page_truth_from_chromium(tmp_path):
    pytest.importorskip("playwright")
    from benchmarks.browser import Browser, find_chromium

    if find_chromium() is None:
        pytest.skip("no Chromium")
    (tmp_path / "f.otf").write_bytes(FONT.read_bytes())
    paras = ["張先生說：「這是繁體中文。」", "嗯，婷婷每天早上练瑜伽。"]
    src = tmp_path / "p.html"
    src.write_text(page_html(paras, "Issue22", 24, "zh-Hant", "f.otf"), encoding="utf-8")
    with Browser() as b:
        shot = b.screenshot_page(src, tmp_path / "p.png", width=824)
    assert shot.text.split("\n") == [html.unescape(p) for p in paras]
