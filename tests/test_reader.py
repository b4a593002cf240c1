"""The Python API (ocr_pipeline.Reader): every kind of source reads the same, a fake
predictor drives the whole pipeline, readers configured differently do not interfere,
bad sources fail clearly, and the README's example runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from ocr_pipeline import CropPredictor, PageResult, Reader
from ocr_pipeline.images import InputError
from recognizer.charset import Charset

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = ROOT / "samples" / "paragraph.png"
#: colour (RGB) screenshot; the language model and word list change its reading
WEBPAGE = ROOT / "samples" / "webpage.png"


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


def _texts(pages: list[PageResult]) -> list[str]:
    return [p.text for p in pages]


def test_every_kind_of_source_reads_the_same(reader):
    want = _texts(reader.read(WEBPAGE))
    assert len(want) == 1 and len(want[0]) > 50
    bgr = cv2.imread(str(WEBPAGE), cv2.IMREAD_COLOR)
    bgra = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    with Image.open(WEBPAGE) as img:
        img.load()
        sources = {
            "str path": str(WEBPAGE),
            "bytes": WEBPAGE.read_bytes(),
            "BGR array": bgr,
            "BGRA array": bgra,
            "PIL image": img,
        }
        for name, source in sources.items():
            pages = reader.read(source)
            assert _texts(pages) == want, name
            assert pages[0].number == 1
    # OpenCV's own BGR to gray rounds differently from Pillow's (a level here and there):
    # the text may not change for it
    assert reader.read_image(gray).text == want[0]


def test_source_names_the_input(reader, tmp_path):
    path = tmp_path / "page.png"
    path.write_bytes(PARAGRAPH.read_bytes())
    assert reader.read(path)[0].source == str(path)
    assert reader.read(path.read_bytes())[0].source == "<bytes>"
    assert reader.read(np.full((40, 40), 255, np.uint8))[0].source == "<array>"


def test_pages_of_a_pdf_are_read_one_at_a_time(reader, two_page_pdf):
    pages = reader.pages(two_page_pdf)
    assert iter(pages) is pages  # a generator, not a list
    first = next(pages)
    assert first.number == 1 and first.source == str(two_page_pdf)
    rest = list(pages)
    assert [p.number for p in rest] == [2]
    assert _texts(reader.read(two_page_pdf, pages="2")) == _texts(rest)
    assert _texts(reader.read(two_page_pdf.read_bytes(), pages=[1])) == [first.text]


class FakePredictor:
    """Reads every crop as the same character, and records the crops it is given."""

    def __init__(self, char: str, size: int = 20) -> None:
        self.charset = Charset("一二三永")
        self.input_size = size
        self.answer = self.charset.chars.index(char)
        self.shapes: list[tuple[int, ...]] = []

    def predict(self, crops: np.ndarray) -> np.ndarray:
        self.shapes.append(crops.shape)
        probs = np.full((len(crops), len(self.charset)), 0.1 / 3, np.float32)
        probs[:, self.answer] = 0.9
        return probs


@pytest.mark.parametrize("char", ["永", "三"])
def test_a_fake_predictor_drives_the_pipeline(char):
    fake = FakePredictor(char)
    assert isinstance(fake, CropPredictor)
    page = Reader(fake, language=None, lexicon=None, top_k=2).read(PARAGRAPH)[0]
    chars = [c for line in page.lines for c in line.chars]
    assert len(chars) > 100  # the paragraph's ~130 characters, whatever they are read as
    assert {c.char for c in chars} == {char}
    assert all(c.confidence == pytest.approx(0.9) for c in chars)
    assert all(len(c.alternatives) == 2 and c.alternatives[0][0] == char for c in chars)
    assert fake.shapes and all(s[1:] in ((20, 20), (20, 20, 1)) for s in fake.shapes)


def test_the_model_may_be_a_path_or_a_name():
    from recognizer.runtime import DEFAULT_MODEL

    by_path = Reader(DEFAULT_MODEL, runtime="litert")
    by_name = Reader("default", runtime="litert")
    assert by_path.predictor.charset == by_name.predictor.charset
    assert by_path.read(PARAGRAPH)[0].text == by_name.read(PARAGRAPH)[0].text


def _fresh_process_text(kwargs: str) -> str:
    code = (
        "import json, sys\n"
        "from ocr_pipeline import Reader\n"
        f"print(json.dumps(Reader({kwargs}).read(sys.argv[1])[0].text))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(WEBPAGE)], cwd=ROOT,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


@pytest.mark.model_snapshot
def test_readers_with_different_parts_do_not_interfere(reader):
    plain = Reader(reader.predictor, language=None, lexicon=None)
    assert plain.language is None and plain.lexicon is None
    assert reader.language is not None and reader.lexicon
    full_first = reader.read(WEBPAGE)[0].text
    plain_text = plain.read(WEBPAGE)[0].text
    assert plain_text != full_first  # the sample shows the word lists at work
    assert reader.read(WEBPAGE)[0].text == full_first  # reading with `plain` changed nothing
    assert plain.read(WEBPAGE)[0].text == plain_text
    assert _fresh_process_text("") == full_first
    assert _fresh_process_text("language=None, lexicon=None") == plain_text


def test_a_stage_switched_off_is_not_loaded(monkeypatch):
    from ocr_pipeline import language, lexicon, nontext

    def refuse():
        raise AssertionError("a stage switched off was loaded")

    for module, loader in ((language, "shipped"), (lexicon, "words"), (nontext, "shipped")):
        monkeypatch.setattr(module, loader, refuse)
    r = Reader(FakePredictor("一"), language=None, lexicon=None, nontext=None)
    assert r.read(PARAGRAPH)[0].lines


@pytest.mark.parametrize("source", [None, 42, [1, 2], {"path": "x"}, 3.5])
def test_a_source_of_another_type_is_a_type_error(reader, source):
    with pytest.raises(TypeError, match="source must be a path"):
        reader.pages(source)  # at the call, not at the first page


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((40, 40), np.float32), "must be uint8"),
        (np.zeros((40, 40, 2), np.uint8), r"\(H, W, 3\) BGR"),
        (np.zeros((2, 40, 40, 3), np.uint8), r"\(H, W, 3\) BGR"),
        (np.zeros((0, 40), np.uint8), r"\(H, W, 3\) BGR"),
    ],
)
def test_an_array_that_is_no_page_is_a_value_error(reader, array, match):
    with pytest.raises(ValueError, match=match):
        reader.read(array)


def test_unreadable_inputs_are_input_errors(reader, tmp_path):
    with pytest.raises(InputError, match="no such file"):
        reader.read(tmp_path / "missing.png")
    with pytest.raises(InputError, match="<bytes>: not an image or PDF"):
        reader.read(b"this is no image")
    with pytest.raises(InputError, match="no page 2"):
        reader.read(np.full((40, 40), 255, np.uint8), pages=[2])
    with pytest.raises(ValueError, match="larger than the limit"):
        reader.read(np.full((40, 40), 255, np.uint8), max_pixels=100)


def test_bad_reader_arguments():
    with pytest.raises(TypeError, match="model must be"):
        Reader(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="language must be"):
        Reader(language="jieba")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="lexicon must be"):
        Reader(lexicon=["word"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_k"):
        Reader(top_k=0)


def test_the_readme_example_runs(monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the README's Python API section has no example"
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - the README's own code
    out = capsys.readouterr().out
    assert Reader().read(PARAGRAPH)[0].text.splitlines()[0] in out


def test_boxes_written_are_on_the_input_image_of_a_tilted_page(reader):
    """A page scanned 3 degrees off: the reader reads it turned straight, and JSON, TSV
    and hOCR give each character's box where that character is in the input image (the
    boxes of the straightened page are off by up to half a line there)."""
    from ocr_pipeline.formats import to_json, to_tsv

    tilted = Image.open(PARAGRAPH).convert("L").rotate(3, expand=True, fillcolor=255)
    ink = np.asarray(tilted) < 128
    page = reader.read(tilted)[0]
    assert abs(page.angle) > 2

    def ink_share(boxes) -> float:
        """Share of the boxes that hold at least a tenth of ink."""
        held = [ink[y0:y1, x0:x1].mean() >= 0.1 for x0, y0, x1, y1 in boxes if x1 > x0 and y1 > y0]
        return sum(held) / len(boxes)

    written = [c["box"] for ln in json.loads(to_json([page]))["pages"][0]["lines"]
               for c in ln["chars"]]  # fmt: skip
    straight = [c.box for ln in page.lines for c in ln.chars]
    assert len(written) == len(straight) > 100
    assert ink_share(written) > 0.95 > 0.8 > ink_share(straight)
    words = [r.split("\t") for r in to_tsv([page]).splitlines()[1:] if r.startswith("5\t")]
    boxes = [(int(w[6]), int(w[7]), int(w[6]) + int(w[8]), int(w[7]) + int(w[9])) for w in words]
    assert ink_share(boxes) > 0.95
