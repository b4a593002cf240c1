"""Tests for the benchmarks (``python -m benchmarks pages|pool|speed|screens``): roff text,
CER, line wrapping, pages, engine plumbing.

No system fonts, man pages or Tesseract are needed: pages use the committed subset font
and the engines are small Python commands.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from benchmarks import engines, manpages, pages, speed
from benchmarks.engines import Engine
from benchmarks.manpages import (
    PageFonts,
    PageSpec,
    fill_page,
    keep_paragraph,
    layout,
    measure_fn,
    roff_paragraphs,
    strip_escapes,
    wrap,
)
from benchmarks.pages import Item, evaluate, markdown_table, ratio_lines, summarize
from benchmarks.scoring import cer, edit_distance
from recognizer.charset import Charset

FONT = str(Path(__file__).parent / "fixtures" / "NotoSansSC-subset.otf")
FONTS = PageFonts(FONT, 0, FONT)
#: Hanzi and punctuation the subset font draws.
HANZI = "一三上不个中为了二人们儿八别和国在大字小川我文是有永的行识这"
PUNCT = "，。、：；？！（）“”"

# ------------------------------------------------------------------------ roff

MAN_SNIPPET = r""".\" DO NOT MODIFY THIS FILE!
.TH LS 1 2022年9月 "GNU coreutils 9.1" 用户命令
.SH 名称
ls \- 列出目录内容
.SH 描述
.PP
列出指定\(lq文件\(rq的信息。如果没有指定 \fB\-\-sort\fP，
则按\fI字母\fR排序。
.TP
\fB\-a\fP, \fB\-\-all\fP
不要忽略以点号起始的条目\&
.nf
code line  1
code line 2
.fi
.de XX
text inside a macro definition
..
'\" a comment
.PP
最后\e一段\\文本\|\c

"""


def test_roff_paragraphs_of_a_snippet():
    assert roff_paragraphs(MAN_SNIPPET) == [
        "ls - 列出目录内容",
        "列出指定“文件”的信息。如果没有指定 --sort，则按字母排序。",
        "-a, --all",
        "不要忽略以点号起始的条目",
        "code line 1",
        "code line 2",
        "最后\\一段文本",
    ]


@pytest.mark.parametrize(
    "line, plain",
    [
        (r"\fB\-\-all\fP 列出\(lq全部\(rq\&", "--all 列出“全部”"),
        (r'\f(CWcode\fP\s-1小\s0 \*(L"引\*(R"', "code小 “引”"),
        (r"a\ b\~c \[u4E00]\(co", "a b c 一©"),
        (r"文本 \" a trailing comment", "文本 "),
        (r"\h'|2n'\k(xx缩进\,\/", "缩进"),
    ],
)
def test_strip_escapes(line, plain):
    assert strip_escapes(line) == plain


def test_keep_paragraph_filters_script_and_charset():
    cs = Charset.from_spec("gb2312-1+ascii+punct")
    allowed = cs.__contains__
    assert keep_paragraph("列出目录内容，按字母排序。", allowed)
    assert keep_paragraph("与 -l 同时使用时，列出每个文件的作者", allowed)
    assert not keep_paragraph("use --all to list all files 文件", allowed)  # < 30 % hanzi
    assert not keep_paragraph("请用浏览器打开这个文件", allowed)  # 浏 is GB2312 level 2
    assert not keep_paragraph("版权 © 所有", allowed)
    assert not keep_paragraph("目录", allowed)  # too short


# ------------------------------------------------------------------------- CER


@pytest.mark.parametrize(
    "truth, hyp, hanzi, expected",
    [
        ("一二三四五六七八九十", "一二三四五六七八九十", False, 0.0),
        ("一二三四五六七八九十", "一二三四五六七八九千", False, 0.1),
        ("一二三四", "一二三三四", False, 0.25),  # insertion
        ("一二三四", "一二四", False, 0.25),  # deletion
        ("abcd", "ba cd", False, 0.5),  # transposition = 2 edits
        ("一 二\n三\t四", "一二三四  ", False, 0.0),  # whitespace ignored
        ("一二", "", False, 1.0),
        ("", "", False, 0.0),
        ("ls 列出 -a 目录", "1s 列出 -o 目录", False, 0.25),
        ("ls 列出 -a 目录", "1s 列出 -o 目录", True, 0.0),  # hanzi only
        ("列出（全部）文件", "列出(全部)文伴", True, 1 / 6),
    ],
)
def test_cer(truth, hyp, hanzi, expected):
    assert cer(truth, hyp, hanzi=hanzi) == pytest.approx(expected)


def _reference_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def test_edit_distance_matches_the_classic_dp():
    rng = random.Random(0)
    for _ in range(200):
        a = "".join(rng.choice("一二三ab") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("一二三ab") for _ in range(rng.randint(0, 12)))
        assert edit_distance(a, b) == _reference_distance(a, b), (a, b)


def test_edit_distance_on_a_page():
    # its speed is a benchmark figure: python -m benchmarks timings
    rng = random.Random(1)
    a = "".join(rng.choice(HANZI) for _ in range(1500))
    b = "".join(c if rng.random() > 0.1 else "x" for c in a)
    d = edit_distance(a, b)
    assert 0 < d <= 1500 * 0.2


# ------------------------------------------------------------------------ wrap


def test_wrap_small_cases():
    assert wrap("ab cd 一二三", 4, len) == ["ab", "cd 一", "二三"]
    assert wrap("一二 hello", 6, len) == ["一二", "hello"]  # a word is never split
    assert wrap("一二三，四", 3, len) == ["一二", "三，四"]  # no comma at a line start
    assert wrap("一（二三", 2, len) == ["一", "（二", "三"]  # no bracket at a line end
    assert wrap("abcdefgh", 3, len) == ["abc", "def", "gh"]  # wider than a line: cut


def _random_paragraph(rng: random.Random) -> str:
    words = ["SpinBox", "values", "-a", "--block-size=M", "I/O", "Unicode", "x"]
    parts = []
    for _ in range(rng.randint(1, 60)):
        r = rng.random()
        if r < 0.15:
            parts.append(f" {rng.choice(words)} ")
        elif r < 0.25:
            parts.append(rng.choice(PUNCT))
        else:
            parts.append(rng.choice(HANZI))
    return " ".join("".join(parts).split())


@pytest.mark.parametrize("width", [60, 150, 400])
def test_wrap_keeps_every_character_in_order_and_within_width(width):
    measure = measure_fn(FONTS.at(25))
    rng = random.Random(width)
    for _ in range(40):
        text = _random_paragraph(rng)
        lines = wrap(text, width, measure)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert manpages.prefix_of_lines(text, lines) == text
        for line in lines:
            assert line == line.strip() and "  " not in line
            assert measure(line) <= width or len(line) == 1


# ----------------------------------------------------------------------- pages


def _docs(n_docs: int, n_paras: int, seed: int = 0):
    rng = random.Random(seed)
    for d in range(n_docs):
        yield f"doc{d}", [_random_paragraph(rng) for _ in range(n_paras)]


def test_fill_page_fills_without_overflow_and_cuts_cleanly():
    spec = PageSpec(400, 300, 10, 16, 20)
    docs = list(_docs(3, 20))
    blocks, names = fill_page(iter(docs), spec, FONTS)
    assert names == ["doc0"]
    texts = [t for t, _ in blocks]
    source = docs[0][1]
    assert texts[:-1] == source[: len(texts) - 1]
    assert source[len(texts) - 1].startswith(texts[-1])
    lines, height = layout(blocks, spec, FONTS)
    measure = measure_fn(FONTS.at(spec.size))
    assert all(measure(ln.text) <= spec.text_width for ln in lines if ln.size == spec.size)
    assert lines[-1].baseline < spec.height - spec.margin


def test_write_page_writes_three_variants_with_truth(tmp_path):
    blocks = [("一二三，这是大字。", True), ("我们在中国 Unicode 文字", False)]
    page = manpages.BenchPage(0, FONTS, blocks, ["doc0"])
    manpages.write_page(page, tmp_path, seed=0)
    from PIL import Image

    for variant, ext in (("page150", ".png"), ("screen96", ".png"), ("scan", ".jpg")):
        img = tmp_path / variant / f"page-000{ext}"
        truth = img.with_suffix(".txt").read_text(encoding="utf-8")
        assert truth.replace("\n", "").replace(" ", "") == "一二三，这是大字。我们在中国Unicode文字"
        assert Image.open(img).size[0] == (900 if variant == "screen96" else 1240)


# --------------------------------------------------------------------- engines

ECHO_TRUTH = (
    "import sys, pathlib; "
    "sys.stdout.buffer.write(pathlib.Path(sys.argv[1]).with_suffix('.txt').read_bytes())"
)
DROP_TWO = (
    "import sys, pathlib; "
    "t = pathlib.Path(sys.argv[1]).with_suffix('.txt').read_text(encoding='utf-8'); "
    "sys.stdout.buffer.write(t[2:].encode('utf-8'))"
)


def _items(tmp_path: Path) -> list[Item]:
    items = []
    for i, text in enumerate(["一二三四五\n六七八九十", "我们 use Unicode\n文字"]):
        img = tmp_path / f"page-{i:03d}.png"
        img.write_bytes(b"not really an image")
        img.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        items.append(Item("page150", img, img.with_suffix(".txt")))
    return items


def test_engine_plumbing_with_an_echo_engine_gives_zero_cer(tmp_path):
    echo = Engine("pageocr", (sys.executable, "-c", ECHO_TRUTH, "{image}"))
    lossy = Engine("tesseract", (sys.executable, "-c", DROP_TWO, "{image}"))
    results, dropped = evaluate(_items(tmp_path), [echo, lossy])
    assert dropped == {}
    assert [r.cer_all for r in results if r.engine == "pageocr"] == [0.0, 0.0]
    assert all(r.seconds > 0 and not r.error for r in results)
    first = results[0]
    assert Path(first.output).read_text(encoding="utf-8") == Path(first.image).with_suffix(
        ".txt").read_text(encoding="utf-8")  # fmt: skip
    sums = {s.engine: s for s in summarize(results)}
    assert sums["pageocr"].cer_all == 0.0 and sums["pageocr"].pages == 2
    assert sums["tesseract"].cer_all == pytest.approx(4 / 24)
    assert sums["tesseract"].cer_hanzi == pytest.approx(4 / 14)
    assert "| page150 | pageocr | 2 | 0.00% | 0.00% |" in markdown_table(sums.values())
    line = ratio_lines(list(sums.values()))[0]
    assert line.startswith("page150: pageocr / tesseract: CER all 0.00×")


def test_an_engine_failing_on_the_first_image_is_dropped(tmp_path):
    fail = Engine("broken", (sys.executable, "-c", "import sys; sys.exit('no shipped model')"))
    results, dropped = evaluate(_items(tmp_path), [fail])
    assert results == []
    assert "no shipped model" in dropped["broken"]


def test_warm_up_runs_each_engine_once_and_compiles_the_packages(tmp_path, monkeypatch):
    compiled = []
    monkeypatch.setattr(engines.compileall, "compile_dir",
                        lambda path, **kw: compiled.append(Path(path).name))  # fmt: skip
    log = tmp_path / "runs.txt"
    note = f"import sys; open({str(log)!r}, 'a').write(sys.argv[1] + '\\n')"
    engs = [Engine(n, (sys.executable, "-c", note, "{image}")) for n in ("a", "b")]
    engines.warm_up(engs, tmp_path / "page.png")
    assert log.read_text().split() == [str(tmp_path / "page.png")] * 2
    assert compiled == list(engines.PACKAGES)


def test_an_in_process_engine_is_timed_and_its_failure_scored(tmp_path):
    def read(image: Path) -> str:
        if image.name.endswith("1.png"):
            raise ValueError("unreadable")
        return image.with_suffix(".txt").read_text(encoding="utf-8")

    results, dropped = evaluate(_items(tmp_path), [Engine("pageocr", ("in-process",), reader=read)])
    assert dropped == {}
    assert [r.cer_all for r in results] == [0.0, 1.0]
    assert results[1].error == "ValueError: unreadable"
    assert all(r.seconds >= 0 for r in results)


def test_pageocr_in_process_reads_as_the_command_does():
    from typer.testing import CliRunner

    from ocr_pipeline.cli import app

    sample = Path(__file__).resolve().parents[1] / "samples" / "paragraph.png"
    cli = CliRunner().invoke(app, ["read", str(sample)])
    assert cli.exit_code == 0
    engine = engines.pageocr_in_process()
    assert engine.reader(sample) == cli.stdout
    assert len(cli.stdout.split()) > 0


def _write_run(folder: Path, dists: list[int]) -> None:
    rows = [dict(variant="scan", engine="pageocr", image=f"p{n}.jpg", cer_all=d / 100,
                 cer_hanzi=0.0, dist_all=d, len_all=100, dist_hanzi=0, len_hanzi=80,
                 seconds=1.0) for n, d in enumerate(dists)]  # fmt: skip
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"run": "x", "results": rows}))


def test_pool_sums_distances_over_lengths_across_runs(tmp_path):
    from typer.testing import CliRunner

    from benchmarks.__main__ import app

    _write_run(tmp_path / "a", [1, 3])
    _write_run(tmp_path / "b", [0])
    pooled = summarize(pages.load_results(tmp_path / "a") + pages.load_results(tmp_path / "b"))
    assert [(s.pages, s.cer_all) for s in pooled] == [(3, pytest.approx(4 / 300))]
    out = CliRunner().invoke(app, ["pool", str(tmp_path / "a"), str(tmp_path / "b")])
    assert out.exit_code == 0 and "| scan | pageocr | 3 | 1.33% |" in out.stdout
    bad = CliRunner().invoke(app, ["pool", str(tmp_path / "a"), str(tmp_path)])
    assert bad.exit_code == 2 and "is not a pages benchmark result" in " ".join(bad.stdout.split())
    assert bad.exception is None or isinstance(bad.exception, SystemExit)


def test_pageocr_engine_command():
    eng = engines.pageocr_engine(Path("m.tflite"))
    assert eng.command(Path("a.png")) == [sys.executable, "-m", "ocr_pipeline.cli", "read",
                                          "a.png", "--model", "m.tflite"]  # fmt: skip


# ----------------------------------------------------------------------- speed

GROW = "import sys; b = bytearray(80 * 2**20); b[::4096] = b'x' * len(b[::4096]); sys.exit(0)"
FAIL = "import sys; print('warming up', file=sys.stderr); sys.exit('no shipped model')"


@pytest.mark.parametrize("gnu_time", [True, False])
def test_measure_process_reports_time_rss_and_errors(gnu_time, monkeypatch, tmp_path):
    if not gnu_time:
        monkeypatch.setattr(speed, "GNU_TIME", tmp_path / "no-time")
    elif not speed.GNU_TIME.is_file():
        pytest.skip("no /usr/bin/time")
    ok = speed.measure_process([sys.executable, "-c", GROW])
    assert ok.error == "" and ok.seconds > 0 and ok.peak_rss_mb > 80
    bad = speed.measure_process([sys.executable, "-c", FAIL])
    assert bad.error == "exit 1: no shipped model"


def test_sample_crops_shape():
    from recognizer.fonts import read_faces

    crops = speed.sample_crops(4, 32, HANZI, faces=read_faces(FONT))
    assert crops.shape == (4, 32, 32) and crops.dtype.name == "uint8"
    assert crops.max() > 128  # ink was drawn
    noise = speed.sample_crops(3, 16, HANZI, faces=[])
    assert noise.shape == (3, 16, 16)


def test_site_sizes_leave_out_pip_and_setuptools(tmp_path):
    for name in ("pip", "setuptools", "numpy", "pageocr-0.1.0.dist-info"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f.bin").write_bytes(b"x" * 300_000)
    (tmp_path / "distutils-precedence.pth").write_text("x")
    sizes = speed.site_sizes(tmp_path)
    assert sorted(sizes) == ["numpy", "pageocr-0.1.0.dist-info"]
    assert 0.29 < sizes["numpy"] < 0.4


# ------------------------------------------------------------------------ screens

SERIF = str(Path(__file__).parent / "fixtures" / "NotoSerifSC-subset.otf")


def _write_mo(path: Path, pairs: dict[str, str]) -> None:
    """A GNU message catalogue (the .mo format gettext reads), written by hand."""
    import struct

    pairs = {"": "Content-Type: text/plain; charset=UTF-8\n", **pairs}
    keys = sorted(pairs)
    ids = [k.encode() for k in keys]
    strs = [pairs[k].encode() for k in keys]
    start = 7 * 4 + 16 * len(keys)
    data, offsets = b"", []
    for s in ids + strs:
        offsets.append((len(s), start + len(data)))
        data += s + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    table = b"".join(struct.pack("<2I", n, o) for n, o in offsets)
    path.write_bytes(head + table + data)


def test_candidate_lines_keep_interface_text_only():
    from benchmarks.screens import candidate_lines

    allowed = set("中文字识别的是了人大国我们这个abc-")
    texts = ["中文字识别的\n我们这个", "中文 %s 识别的是", "abc-abc-abc",
             "中文字识别的是了人大国" * 6, "中文字识别的是了人", "中文字识别？的是"]  # fmt: skip
    assert candidate_lines(texts, allowed) == ["中文字识别的", "中文字识别的是了人"]


def test_choose_screens_uses_each_line_once_and_faces_in_turn():
    from benchmarks.screens import choose_screens

    lines = [f"中文字识别{n}" for n in range(60)]
    faces = [("a", "a.ttf", 0), ("b", "b.ttf", 0)]
    screens = choose_screens(8, 3, lines, faces)
    used = [line for s in screens for line in s.lines]
    assert len(used) == len(set(used)) and set(used) <= set(lines)
    assert [s.label for s in screens[:4]] == ["a", "b", "a", "b"]
    assert choose_screens(8, 3, lines, faces) == screens  # the seed decides
    assert len(choose_screens(100, 3, lines, faces)) < 100  # stops when the lines run out


@pytest.mark.model_snapshot
def test_bench_screens_reads_what_it_drew(tmp_path, monkeypatch):
    """The whole command on fixture faces and a catalogue written here: characters the
    face lacks (按照 is only in the serif subset) come from the fallback face, and
    pageocr reads the screens it drew."""
    from typer.testing import CliRunner

    from benchmarks import screens
    from benchmarks.__main__ import app

    locale = tmp_path / "locale"
    locale.mkdir()
    _write_mo(locale / "demo.mo", {f"m{n}": t for n, t in enumerate(
        ["中文字识别按照目录", "我们这个人大国", "识别的是了人", "中文识别我们", "大国我们这个",
         "这个中文字识别", "按照目录识别", "人大国中文"])})  # fmt: skip
    monkeypatch.setattr(screens, "FACES", (("Noto Sans", FONT, 0),))
    monkeypatch.setattr(screens, "FALLBACK_FACE", SERIF)
    monkeypatch.setattr(screens, "SIZES", (24,))
    out = tmp_path / "out"
    args = ["screens", "--images", "1", "--engines", "pageocr", "--in-process",
            "--locale-dir", str(locale), "-o", str(out)]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    meta = json.loads((out / "results.json").read_text())
    (only,) = meta["results"]
    truth = Path(only["image"]).with_suffix(".txt").read_text(encoding="utf-8")
    assert only["len_all"] > 0 and only["dist_all"] == 0, (truth, only["output"])
    assert "## By size" in (out / "results.md").read_text()


def test_bench_screens_without_catalogues_says_so(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from benchmarks import screens
    from benchmarks.__main__ import app

    monkeypatch.setattr(screens, "FACES", (("Noto Sans", FONT, 0),))
    monkeypatch.setattr(screens, "FALLBACK_FACE", SERIF)
    res = CliRunner().invoke(app, ["screens", "--locale-dir", str(tmp_path),
                                   "-o", str(tmp_path / "out")])  # fmt: skip
    assert res.exit_code == 2 and "no zh_CN messages" in res.output


def test_pageocr_bench_points_to_the_benchmarks():
    """The benchmarks are not in the package; ``pageocr bench`` says where they went."""
    from typer.testing import CliRunner

    from ocr_pipeline.cli import app

    res = CliRunner().invoke(app, ["bench", "pages", "--pages", "2"])
    assert res.exit_code == 2
    assert "python -m benchmarks pages --pages 2" in " ".join(res.output.split())
