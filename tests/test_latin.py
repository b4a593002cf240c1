"""The word reader's stage (ocr_pipeline.latin): which runs it reads again, what it puts
in their place, and the shipped model on strips drawn here."""

from __future__ import annotations

import numpy as np
import pytest

from ocr_pipeline import latin
from ocr_pipeline.results import CharResult
from ocr_pipeline.rules import DecodedLine
from recognizer.words import ALPHABET, greedy


def _line(text: str, pitch: int = 10, gap_after: int = -1) -> DecodedLine:
    """A line of ``text``, one character per ``pitch`` columns, a word space after
    character ``gap_after``."""
    chars, pieces, x = [], [], 0
    for n, ch in enumerate(text):
        box = (x, 10, x + pitch - 2, 30)
        chars.append(CharResult(ch, box, 0.5, [(ch, 0.5)]))
        pieces.append(np.array([box], np.int32))
        x += pitch + (20 if n == gap_after else 0)
    return DecodedLine((0, 8, x, 32), 0, tuple(chars), tuple(pieces))


class _FakeReader:
    """Reads every strip as ``text``, its characters at evenly spaced steps."""

    def __init__(self, text: str, conf: float = 0.99) -> None:
        self.text, self.conf, self.strips = text, conf, []

    def __call__(self, strips):
        self.strips.extend(strips)
        out = []
        for s in strips:
            steps = s.shape[1] // 4
            where = [int((k + 0.5) * steps / len(self.text)) for k in range(len(self.text))]
            out.append((self.text, [self.conf] * len(self.text), where))
        return out


def test_runs_are_ascii_characters_between_word_gaps_and_other_scripts():
    line = _line("ab中cd,ef", gap_after=4)
    assert latin.latin_runs(line.chars, 24) == [(0, 2), (3, 5), (5, 8)]
    assert latin.latin_runs(_line("中文").chars, 24) == []


def test_a_run_read_otherwise_is_replaced_with_boxes_that_divide_it():
    line = _line("中Pc0l中")  # "Pcol" cut as 4 letters, read "Pc0l"
    reader = _FakeReader("Policy")
    ink = np.zeros((40, 80), np.uint8)
    (out,) = latin.reread([line], ink, reader)
    assert "".join(c.char for c in out.chars) == "中Policy中"
    assert len(reader.strips) == 1 and reader.strips[0].shape[0] == 32
    boxes = [c.box for c in out.chars[1:7]]
    assert boxes[0][0] == line.chars[1].box[0] and boxes[-1][2] == line.chars[4].box[2]
    assert all(a[2] == b[0] for a, b in zip(boxes, boxes[1:]))  # no word gap inside
    # every piece of the run goes to one of the new characters
    assert sum(len(p) for p in out.pieces[1:7]) == 4
    assert len(out.pieces) == len(out.chars)


def test_the_same_reading_an_unsure_one_or_a_lone_mark_leaves_the_line_alone():
    line = _line("abc")  # the decoder's confidence: 0.5 each
    ink = np.zeros((40, 40), np.uint8)
    assert latin.reread([line], ink, _FakeReader("abc"))[0] is line
    assert latin.reread([line], ink, _FakeReader("xyz", conf=0.4))[0] is line
    assert latin.reread([line], ink, _FakeReader("xyz", conf=0.6))[0] is not line
    mark = _line("中(")
    assert latin.reread([mark], ink, _FakeReader("l"))[0] is mark


def test_greedy_collapses_repeats_and_blanks_and_keeps_the_peak():
    n = len(ALPHABET) + 1
    probs = np.full((6, n), 0.01)
    for t, k in enumerate([1, 1, 0, 1, 2, 2]):
        probs[t, k] = 0.9 - 0.1 * t
    ids, conf, where = greedy(probs)
    assert ids == [1, 1, 2] and where == [0, 3, 4]
    assert conf[0] == pytest.approx(0.9)


@pytest.mark.skipif(not latin.MODEL.exists(), reason="no word reader ships")
def test_the_shipped_word_reader_reads_touching_blurred_words():
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    from tests.conftest import FIXTURES

    font = ImageFont.truetype(str(FIXTURES / "NotoSansSC-subset.otf"), 30)
    words = ["Debian", "Policy", "Manual", "xmkmf(1)", "Makefile", "3.0.1"]
    strips = []
    for w in words:
        img = Image.new("L", (int(font.getlength(w)) + 24, 44))
        ImageDraw.Draw(img).text((12, 2), w, fill=255, font=font)
        a = cv2.GaussianBlur(np.asarray(img), (0, 0), 1.2)  # letters run together
        cols = np.flatnonzero(a.max(axis=0) >= 128)
        a = a[:, cols[0] - 3 : cols[-1] + 4]  # as the reader cuts a run: 0.06 line heights
        strips.append(cv2.resize(a, (a.shape[1] * 32 // 44, 32), interpolation=cv2.INTER_AREA))
    reader = latin.shipped()
    assert reader is not None and reader is not latin.shipped()  # each reader its own
    reads = reader(strips)
    right = sum(r[0] == w for r, w in zip(reads, words))
    assert right >= len(words) - 1, [r[0] for r in reads]
