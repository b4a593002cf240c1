"""Issue 22 item 5: vertical pages found, read column by column right to left, boxes in the
page's own orientation, vertical marks as horizontal ones; horizontal pages left alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from ocr_pipeline import Reader
from ocr_pipeline.cli import app
from ocr_pipeline.vertical import TURNED_MARKS, UprightPredictor, is_vertical
from recognizer.charset import Charset

TESTS = Path(__file__).resolve().parent
FONT = TESTS / "script_fixtures" / "NotoSansSC-issue22-subset.otf"
LATIN = TESTS / "fixtures" / "NotoSansSC-subset.otf"
SAMPLES = TESTS.parent / "samples"
SIZE = 32
#: the columns drawn, right to left; ﹁﹂ are the shapes a vertical layout draws 「」 with
COLUMNS = ["张先生说﹁这是", "繁体中文﹂每天", "早上练着"]


def _vertical_page(columns=COLUMNS, size=SIZE) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The columns drawn top to bottom, right to left: uint8 (H, W), and each column's
    x range."""
    font = ImageFont.truetype(str(FONT), size)
    pitch = int(size * 1.8)
    width = pitch * len(columns) + size
    img = Image.new("L", (width, size * (max(map(len, columns)) + 2)), 255)
    draw = ImageDraw.Draw(img)
    spans = []
    for k, col in enumerate(columns):
        x = width - size // 2 - (k + 1) * pitch + (pitch - size)
        spans.append((x, x + size))
        for j, ch in enumerate(col):
            draw.text((x, size + j * size), ch, font=font, fill=0)
    return np.asarray(img), spans


def _line(text: str, font: Path, size=SIZE) -> np.ndarray:
    f = ImageFont.truetype(str(font), size)
    img = Image.new("L", (size * len(text) + 2 * size, 3 * size), 255)
    ImageDraw.Draw(img).text((size, size), text, font=f, fill=0)
    return np.asarray(img)


def test_a_page_of_columns_is_vertical():
    page, _ = _vertical_page()
    assert is_vertical(page)
    assert is_vertical(255 - page)  # light text on a dark page too
    assert not is_vertical(np.ascontiguousarray(np.rot90(page)))  # the same, set as lines


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(lambda: _line("Hello world, vertical it is not", LATIN), id="latin-line"),
        pytest.param(lambda: _line("这是繁体中文", FONT), id="hanzi-line"),
        pytest.param(lambda: _line("这", FONT), id="one-character"),
        pytest.param(lambda: np.full((50, 80), 255, np.uint8), id="blank"),
        pytest.param(
            lambda: np.asarray(Image.open(SAMPLES / "paragraph.png").convert("L")), id="paragraph"
        ),  # fmt: skip
        pytest.param(
            lambda: np.asarray(Image.open(SAMPLES / "webpage.png").convert("L")), id="webpage"
        ),  # fmt: skip
    ],
)
def test_horizontal_pages_are_not_vertical(page):
    assert not is_vertical(page())


def test_columns_are_lines_right_to_left_with_boxes_in_the_page():
    page, spans = _vertical_page()
    res = Reader(layout="auto").read_image(page)
    assert (res.width, res.height) == (page.shape[1], page.shape[0])
    assert res.gray is not None and res.gray.shape == page.shape
    np.testing.assert_allclose(res.to_input, np.eye(3), atol=1e-9)  # nothing turned
    assert len(res.lines) == len(COLUMNS)
    for line, (x0, x1), col in zip(res.lines, spans, COLUMNS):
        lx0, ly0, lx1, ly1 = line.box
        assert lx0 >= x0 - 4 and lx1 <= x1 + 4, (line.box, (x0, x1))  # in its column
        assert ly1 - ly0 > 3 * (lx1 - lx0)  # a tall box
        tops = [c.box[1] for c in line.chars]
        assert tops == sorted(tops)  # top to bottom
        assert len(line.chars) == len(col)


@pytest.mark.model_snapshot
def test_vertical_page_reads_as_drawn():
    page, _ = _vertical_page()
    text = Reader(layout="auto").read_image(page).text
    assert text.split("\n") == ["张先生说「这是", "繁体中文」每天", "早上练着"]


def test_layout_horizontal_reads_the_page_as_lines():
    page, _ = _vertical_page()
    res = Reader(layout="horizontal").read_image(page)
    x0, y0, x1, y1 = res.lines[0].box
    assert x1 - x0 > y1 - y0  # rows across the columns, as a horizontal page has


def test_cli_layout(tmp_path):
    page, _ = _vertical_page()
    path = tmp_path / "vertical.png"
    Image.fromarray(page).save(path)
    runner = CliRunner()
    auto = runner.invoke(app, ["read", str(path), "--layout", "auto"])
    forced = runner.invoke(app, ["read", str(path), "--layout", "vertical"])
    assert auto.exit_code == forced.exit_code == 0
    assert auto.stdout == forced.stdout and auto.stdout.count("\n") == len(COLUMNS)
    default = runner.invoke(app, ["read", str(path)])  # horizontal: not the columns' text
    assert default.exit_code == 0 and default.stdout != forced.stdout
    bad = runner.invoke(app, ["read", str(path), "--layout", "diagonal"])
    assert bad.exit_code == 2 and "--layout must be one of" in bad.stderr


def test_reader_refuses_an_unknown_layout():
    with pytest.raises(ValueError, match="unknown layout"):
        Reader(layout="diagonal")


class _Bars:
    """Reads a crop whose ink is wider than tall as — (0.9), else as 丨 (0.6)."""

    charset = Charset("—丨")
    input_size = 8

    def predict(self, crops: np.ndarray) -> np.ndarray:
        out = []
        for c in crops:
            ys, xs = np.nonzero(c > 127)
            wide = np.ptp(xs) > np.ptp(ys)
            out.append([0.9, 0.1] if wide else [0.4, 0.6])
        return np.array(out, np.float32)


def test_upright_predictor_turns_crops_back_but_keeps_turned_marks():
    assert "—" in TURNED_MARKS and "丨" not in TURNED_MARKS
    tall = np.zeros((1, 8, 8), np.uint8)
    tall[0, 1:7, 3:5] = 255  # in the turned page: a bar across the column, as — is drawn
    wide = np.ascontiguousarray(np.rot90(tall, 1, axes=(1, 2)))
    up = UprightPredictor(_Bars())
    # a wide crop, turned upright, is tall: 丨 at 0.6; as it is, — at 0.9 wins (a mark)
    np.testing.assert_allclose(up.predict(wide), [[0.9, 0.1]])
    # a tall crop turned upright is wide: — at 0.9 (the upright reading)
    np.testing.assert_allclose(up.predict(tall), [[0.9, 0.1]])


def test_upright_predictor_never_takes_a_turned_hanzi():
    class Hanzi(_Bars):
        charset = Charset("三川")  # 川 is 三 turned: only the upright reading may count

    tall = np.zeros((1, 8, 8), np.uint8)
    tall[0, 1:7, 3:5] = 255
    probs = UprightPredictor(Hanzi()).predict(tall)  # upright: wide, 三 0.9
    np.testing.assert_allclose(probs, [[0.9, 0.1]])
    wide = np.ascontiguousarray(np.rot90(tall, 1, axes=(1, 2)))
    probs = UprightPredictor(Hanzi()).predict(wide)  # upright: tall, 川 0.6; 三 as is, no mark
    np.testing.assert_allclose(probs, [[0.4, 0.6]])


def test_searchable_pdf_of_a_vertical_page_reads_column_by_column(tmp_path):
    """The text layer is written down each column (turned a quarter), so a PDF reader's
    text of it is the columns in order, as read."""
    import pypdfium2

    page, _ = _vertical_page()
    path = tmp_path / "vertical.png"
    Image.fromarray(page).save(path)
    pdf = tmp_path / "vertical.pdf"
    runner = CliRunner()
    result = runner.invoke(app, ["read", str(path), "--format", "pdf", "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    text = runner.invoke(app, ["read", str(path)]).stdout
    doc = pypdfium2.PdfDocument(str(pdf))
    layer = doc[0].get_textpage().get_text_range()
    doc.close()
    assert layer.split() == text.split()
