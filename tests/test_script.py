"""Issue 22 items 3-4: doubtful characters marked in text (--mark-doubtful), the script
a model may read in (--script), and conversion by OpenCC only when asked (--convert)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from ocr_pipeline import Reader
from ocr_pipeline.cli import DOUBTFUL_BELOW as CLI_DOUBTFUL_BELOW
from ocr_pipeline.cli import app
from ocr_pipeline.formats import DOUBTFUL_BELOW, DOUBTFUL_MARK, PageWriter, mark_doubtful
from ocr_pipeline.results import CharResult, LineResult, PageResult
from ocr_pipeline.script import (
    ScriptError,
    ScriptPredictor,
    allowed,
    convert_page,
    converter,
    simplified_only,
    traditional_only,
    with_script,
)
from recognizer.charset import Charset

FIXTURES = Path(__file__).resolve().parent / "script_fixtures"
#: Noto Sans CJK SC subset holding issue 22's sentences, simplified and traditional
ISSUE22_FONT = FIXTURES / "NotoSansSC-issue22-subset.otf"
PARAGRAPH = Path(__file__).resolve().parent.parent / "samples" / "paragraph.png"
runner = CliRunner()


def _page(*chars: tuple[str, float]) -> PageResult:
    cs = [CharResult(c, (i, 0, i + 1, 1), p, [(c, p)]) for i, (c, p) in enumerate(chars)]
    return PageResult(len(cs), 1, 0.0, [LineResult((0, 0, len(cs), 1), 0, cs, [False] * len(cs))])


# ------------------------------------------------------------------ --mark-doubtful


def test_mark_doubtful_replaces_only_characters_under_the_threshold():
    page = _page(("婷", 0.02), ("每", 0.94), ("懂", 0.39), ("天", 0.4))
    assert mark_doubtful(page).text == "\ufffd每\ufffd天"
    assert mark_doubtful(page, below=0.95, mark="[?]").text == "[?][?][?][?]"
    assert page.text == "婷每懂天"  # the page itself is left as read


def test_the_cli_default_is_the_measured_threshold():
    assert CLI_DOUBTFUL_BELOW == DOUBTFUL_BELOW == 0.4


@pytest.mark.parametrize("fmt", ["text", "json", "tsv", "hocr"])
def test_writer_marks_text_only_and_the_others_keep_the_guess(fmt):
    import io

    page = _page(("婷", 0.02), ("每", 0.94))
    out = io.StringIO()
    writer = PageWriter(out, fmt, doubtful=0.4)
    writer.page(page)
    writer.close()
    text = out.getvalue()
    if fmt == "text":
        assert text == "\ufffd每\n"
    else:  # the character read and its confidence, for the reader of the file to judge
        assert "婷" in text and DOUBTFUL_MARK not in text
        low, high = {"json": ('"confidence": 0.02', '"confidence": 0.94'),
                     "tsv": ("2.000000\t婷", "94.000000\t每"),
                     "hocr": ("x_conf 2.0'>婷", "x_conf 94.0'>每")}[fmt]  # fmt: skip
        assert low in text and high in text


def _issue22_page(tmp_path: Path) -> tuple[Path, list[str]]:
    """Issue 22's sentences drawn in the subset font, 32 px: (png, the lines drawn)."""
    lines = ["嗯，婷婷每天早上练", "張先生說：「這是繁體中文。」"]
    font = ImageFont.truetype(str(ISSUE22_FONT), 32)
    img = Image.new("L", (560, 200), 255)
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((20, 30 + 80 * k), line, font=font, fill=0)
    path = tmp_path / "issue22.png"
    img.save(path)
    return path, lines


def test_cli_mark_doubtful_is_the_json_confidences(tmp_path):
    """Whatever the model reads: the marked text is the json's characters with each one
    under the threshold replaced by U+FFFD."""
    png, _ = _issue22_page(tmp_path)
    marked = runner.invoke(app, ["read", str(png), "--mark-doubtful", "--doubtful-below", "0.5"])
    assert marked.exit_code == 0, marked.output
    doc = json.loads(runner.invoke(app, ["read", str(png), "--format", "json"]).stdout)
    want = [
        "".join(
            DOUBTFUL_MARK if c["confidence"] < 0.5 else c["char"] + " " * c["space_after"]
            for c in line["chars"]
        )
        for line in doc["pages"][0]["lines"]
    ]
    assert marked.stdout.split("\n")[:-1] == want


@pytest.mark.model_snapshot
def test_out_of_set_characters_are_never_silent(tmp_path):
    """Each drawn character the model has no class for comes out as U+FFFD, the others as
    drawn (today: 嗯 婷 and the traditional 張 說 這 體)."""
    png, lines = _issue22_page(tmp_path)
    charset = Reader().predictor.charset
    result = runner.invoke(app, ["read", str(png), "--mark-doubtful"])
    assert result.exit_code == 0, result.output
    want = ["".join(c if c in charset else DOUBTFUL_MARK for c in line) for line in lines]
    assert result.stdout.split("\n")[:-1] == want
    plain = runner.invoke(app, ["read", str(png)]).stdout
    assert DOUBTFUL_MARK not in plain


def test_the_larger_model_reads_issue_22s_sentences(tmp_path):
    """``-m zh11k`` (通用规范汉字表 and traditional forms) reads the characters the default
    model has no class for (婷 嗯, and 張 說 這 體 as drawn, not simplified), marking none
    of them doubtful."""
    png, lines = _issue22_page(tmp_path)
    charset = Reader(model="zh11k").predictor.charset
    assert all(c in charset for line in lines for c in line)
    result = runner.invoke(app, ["read", str(png), "-m", "zh11k", "--mark-doubtful"])
    assert result.exit_code == 0, result.output
    got = result.stdout.split("\n")[:-1]
    pairs = list(zip(lines, got, strict=True))
    wrong = sum(sum(a != b for a, b in zip(w, g, strict=False)) + abs(len(w) - len(g))
                for w, g in pairs)  # fmt: skip
    assert wrong <= 1, got  # of 23 characters


@pytest.mark.parametrize("fmt", ["json", "tsv", "hocr", "pdf"])
def test_cli_mark_doubtful_wants_the_text_format(tmp_path, fmt):
    result = runner.invoke(app, ["read", str(PARAGRAPH), "--mark-doubtful", "--format", fmt,
                                 "-o", str(tmp_path / f"out.{fmt}")])  # fmt: skip
    assert result.exit_code == 2
    assert "--mark-doubtful marks the text format" in result.stderr
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ --script


def test_simplified_and_traditional_only_forms():
    assert simplified_only("说") and simplified_only("发") and not simplified_only("中")
    assert not simplified_only("后")  # 后 is also a traditional character (皇后)
    assert traditional_only("說") and traditional_only("發") and not traditional_only("中")
    assert not traditional_only("说") and not traditional_only("後")  # 後 is in GB2312


def test_allowed_masks_the_other_script():
    cs = Charset("说說中发發A「")
    assert allowed(cs, "auto").tolist() == [True] * 7
    assert allowed(cs, "simplified").tolist() == [True, False, True, True, False, True, True]
    assert allowed(cs, "traditional").tolist() == [False, True, True, False, True, True, True]
    with pytest.raises(ScriptError, match="unknown script 'klingon'"):
        allowed(cs, "klingon")


class _Fake:
    """Reads every crop as 说 (0.9), then 說 (0.06), 中 (0.04)."""

    charset = Charset("说說中")
    input_size = 20

    def predict(self, crops: np.ndarray) -> np.ndarray:
        probs = np.zeros((len(crops), 3), np.float32)
        probs[:] = (0.9, 0.06, 0.04)
        return probs


def test_script_predictor_zeroes_without_scaling_up():
    fake = _Fake()
    assert with_script(fake, "auto") is fake  # nothing to take out: the predictor itself
    masked = with_script(fake, "traditional")
    assert isinstance(masked, ScriptPredictor) and masked.charset == fake.charset
    probs = masked.predict(np.zeros((2, 20, 20), np.uint8))
    np.testing.assert_allclose(probs, [[0, 0.06, 0.04]] * 2, rtol=1e-6)


@pytest.mark.parametrize(
    ("script", "char", "confidence"),
    [("auto", "说", 0.9), ("simplified", "说", 0.9), ("traditional", "說", 0.06)],
)
def test_reader_reads_in_the_script_asked(script, char, confidence):
    reader = Reader(_Fake(), language=None, lexicon=None, nontext=None, script=script)
    chars = [c for line in reader.read(PARAGRAPH)[0].lines for c in line.chars]
    hanzi = {c.char for c in chars if not c.char.isascii()}
    assert hanzi == {char}
    assert {round(c.confidence, 4) for c in chars if c.char == char} == {confidence}


def test_reader_refuses_an_unknown_script():
    with pytest.raises(ValueError, match="unknown script"):
        Reader(_Fake(), script="cursive")


def test_cli_refuses_an_unknown_script():
    result = runner.invoke(app, ["read", str(PARAGRAPH), "--script", "cursive"])
    assert result.exit_code == 2 and "--script must be one of" in result.stderr


# ------------------------------------------------------------------ --convert


def test_convert_page_converts_lines_whole_and_keeps_the_rest():
    page = _page(("头", 0.9), ("发", 0.8))
    table = {"头发": "頭髮", "头": "頭", "发": "發"}
    out = convert_page(page, lambda s: table.get(s, s))
    assert out.text == "頭髮"
    assert [c.confidence for c in out.lines[0].chars] == [0.9, 0.8]
    assert out.lines[0].chars[1].alternatives == [("发", 0.8)]  # what was read
    assert page.text == "头发"


def test_convert_page_falls_back_to_characters_when_a_line_changes_length():
    page = _page(("甲", 0.9), ("乙", 0.9))
    out = convert_page(page, lambda s: {"甲": "丙", "乙": "丁"}.get(s, "XYZ"))
    assert out.text == "丙丁"


def test_convert_without_opencc_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "opencc", None)  # import opencc raises ImportError
    with pytest.raises(ScriptError, match=r"needs OpenCC.*pip install 'pageocr\[convert\]'"):
        converter("s2t")
    result = runner.invoke(app, ["read", str(PARAGRAPH), "--convert", "s2t"])
    assert result.exit_code == 2
    assert "needs OpenCC, which is not installed" in result.stderr


def test_unknown_conversion():
    with pytest.raises(ScriptError, match="unknown conversion 's2hk'"):
        converter("s2hk")


def test_cli_convert_is_opencc_of_what_was_read():
    opencc = pytest.importorskip("opencc")
    plain = runner.invoke(app, ["read", str(PARAGRAPH)])
    converted = runner.invoke(app, ["read", str(PARAGRAPH), "--convert", "s2t"])
    assert converted.exit_code == 0, converted.output
    s2t = opencc.OpenCC("s2t").convert
    assert converted.stdout == "\n".join(s2t(ln) for ln in plain.stdout.split("\n"))
    assert converted.stdout != plain.stdout  # the sample has simplified-only characters
    back = runner.invoke(app, ["read", str(PARAGRAPH), "--convert", "t2s"])
    assert back.exit_code == 0 and back.stdout == plain.stdout
