"""Bad and odd inputs, outputs and models: one clear error line, the documented exit
code, no traceback, no hang, and the good pages of a batch still read (issue 20).

Every bad file is made here in ``tmp_path``; the good page is ``samples/paragraph.png``
and the model the shipped one. Exit codes: 1 an input could not be read, 2 nothing
was done (a bad option, an output that cannot be written, a model that cannot be used).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from ocr_pipeline import cli
from ocr_pipeline.cli import EXIT_INPUT, EXIT_USAGE, app
from ocr_pipeline.images import InputError, PageRanges, load_pages, parse_pages
from recognizer.runtime import MODELS_DIR

ROOT = Path(__file__).resolve().parents[1]
GOOD = ROOT / "samples" / "paragraph.png"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def errors_of(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.startswith("pageocr: error:")]


def assert_fails(result, code: int, *words: str, n_errors: int = 1) -> None:
    """Exit ``code``, ``n_errors`` lines ``pageocr: error: ...`` (the first naming
    ``words``), nothing else on stderr but warnings, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = errors_of(result)
    assert len(errors) == n_errors, result.stderr
    assert all(ln.startswith("pageocr: ") for ln in result.stderr.splitlines()), result.stderr
    for word in words:
        assert word in errors[0], (word, errors[0])
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def good_text() -> str:
    res = invoke("read", GOOD)
    assert res.exit_code == 0, res.output
    return res.stdout


# --- inputs -----------------------------------------------------------------------------


def test_fifo_and_devices_are_refused_at_once(tmp_path):
    """Opening a FIFO blocks and /dev/zero never ends: neither is opened (a
    subprocess with a timeout, so that a regression fails instead of hanging)."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    args = [fifo, "/dev/zero", "/dev/urandom", "-", tmp_path]
    with open("/dev/zero", "rb") as zero:  # as standard input: refused before it is read
        res = subprocess.run(
            [sys.executable, "-m", "ocr_pipeline.cli", "read", *map(str, args)],
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
    assert res.returncode == EXIT_INPUT and res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 5 and all(ln.startswith("pageocr: error: ") for ln in lines), lines
    assert "pipe.png: is a FIFO" in lines[0]
    assert "/dev/zero: is a device" in lines[1] and "/dev/urandom: is a device" in lines[2]
    assert "<stdin>: is a device" in lines[3]
    assert "no images or PDFs in the folder" in lines[4]  # read walks it: the FIFO is no file


def test_an_endless_pipe_is_refused_after_its_first_bytes():
    """cat /dev/zero | pageocr read -: refused once its first bytes are not an image or
    PDF (it buffered 1 GB before: 7.5 s, 1.15 GB peak)."""
    zeros = subprocess.Popen(["cat", "/dev/zero"], stdout=subprocess.PIPE)
    try:
        res = subprocess.run(
            [sys.executable, "-m", "ocr_pipeline.cli", "read", "-"],
            stdin=zeros.stdout, capture_output=True, text=True, timeout=120,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )  # fmt: skip
    finally:
        zeros.kill()
        zeros.wait()
    assert res.returncode == EXIT_INPUT and res.stdout == ""
    assert res.stderr == (
        "pageocr: error: <stdin>: not an image or PDF pageocr reads "
        "(PNG, JPEG, TIFF, WebP, BMP, GIF, PNM, PDF)\n"
    )


def test_a_stream_is_copied_up_to_its_limit_only():
    import io

    from ocr_pipeline.images import load_stream

    zeros = io.BytesIO(bytes(1000))
    with pytest.raises(InputError, match="<stdin>: not an image or PDF"):
        list(load_stream(zeros))
    assert zeros.tell() == 8  # its first bytes only
    long = io.BytesIO(GOOD.read_bytes()[:8] + bytes(8 << 20))
    with pytest.raises(InputError, match="larger than 2 MB, the most read from standard input"):
        list(load_stream(long, limit=2 << 20))
    assert long.tell() <= (3 << 20) + 8  # stopped once past the limit
    pages = list(load_stream(io.BytesIO(GOOD.read_bytes()), name="<pipe>"))
    shape = next(load_pages(GOOD)).gray.shape
    assert [(p.source, p.gray.shape) for p in pages] == [("<pipe>", shape)]
    with pytest.raises(InputError, match="<stdin>: not an image or PDF .*; it is empty"):
        list(load_stream(io.BytesIO(b"")))


@pytest.mark.parametrize("size", [8, 16, 20, 24, 32, 33, 60])
def test_a_png_cut_short_is_one_input_error(tmp_path, size):
    path = tmp_path / f"cut{size}.png"
    path.write_bytes(GOOD.read_bytes()[:size])
    with pytest.raises(InputError, match="corrupt or truncated"):
        list(load_pages(path))


def test_a_cut_png_in_the_cli(tmp_path):
    path = tmp_path / "cut.png"
    path.write_bytes(GOOD.read_bytes()[:20])
    assert_fails(invoke("read", path), EXIT_INPUT, "cut.png: corrupt or truncated")


def test_postscript_named_png_never_reaches_ghostscript(tmp_path, monkeypatch):
    path = tmp_path / "page.png"
    path.write_bytes(
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n"
        b"/Times-Roman findfont 12 scalefont setfont 10 10 moveto (secret) show showpage\n"
    )
    from PIL import EpsImagePlugin

    def no_ghostscript(*args, **kwargs):
        raise AssertionError("Ghostscript was called")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_ghostscript)
    res = invoke("read", path)
    assert_fails(res, EXIT_INPUT, "page.png: not an image or PDF pageocr reads")
    assert "secret" not in res.output


def test_a_file_name_over_255_bytes(tmp_path):
    res = invoke("read", tmp_path / ("长" * 90 + ".png"))  # 270 bytes in UTF-8
    assert_fails(res, EXIT_INPUT, "file name too long")


def test_a_folder_that_may_not_be_searched(tmp_path, monkeypatch):
    """Root may search any folder, so the PermissionError a user would get from
    ``stat`` is raised by a patched ``Path.stat`` for paths inside ``locked``."""
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(GOOD, locked / "page.png")
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self.parent == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    assert_fails(invoke("read", locked / "page.png"), EXIT_INPUT, "permission denied")


def _as_a_user() -> list[str]:
    """A command prefix under which file permissions apply: none for a user; for root,
    which ignores them, setpriv without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH."""
    if os.geteuid() != 0:
        return []
    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]
    if shutil.which("setpriv") is None or subprocess.run([*prefix, "true"]).returncode:
        pytest.skip("root, and setpriv cannot drop its powers over permissions here")
    return prefix


def test_unreadable_inputs_and_outputs_as_a_user(tmp_path):
    """A file that may not be read, one in a folder that may not be searched, a folder
    that may not be listed: each one input error (exit 1), not a usage error, and the
    good page is read; an output in that folder is refused before any work (exit 2)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    shutil.copy(GOOD, locked / "page.png")
    shutil.copy(GOOD, tmp_path / "noread.png")
    (tmp_path / "noread.png").chmod(0)
    locked.chmod(0)
    try:
        run = [*_as_a_user(), sys.executable, "-m", "ocr_pipeline.cli"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        args = ["read", "--quiet-names", "noread.png", "locked/page.png", "locked", GOOD]
        res = subprocess.run([*run, *map(str, args)], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == EXIT_INPUT, res.stderr
        assert res.stderr.splitlines() == [
            "pageocr: error: noread.png: permission denied",
            "pageocr: error: locked/page.png: permission denied",
            "pageocr: error: locked: cannot list folder: permission denied",
        ]
        assert res.stdout.strip()
        res = subprocess.run([*run, "read", str(GOOD), "-o", "locked/x.txt"], cwd=tmp_path,
                             env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == EXIT_USAGE and res.stdout == ""
        assert res.stderr.splitlines() == ["pageocr: error: locked/x.txt: permission denied"]
    finally:
        locked.chmod(0o755)


def test_an_output_name_over_255_bytes(tmp_path):
    res = invoke("read", GOOD, "-o", tmp_path / ("长" * 90 + ".txt"))
    assert_fails(res, EXIT_USAGE, "file name too long")
    assert res.stdout == ""


def test_page_ranges_are_never_expanded(two_page_pdf):
    ranges = parse_pages("1-99999999999")
    assert isinstance(ranges, PageRanges) and 5 in ranges and ranges.first_above(2) == 3
    assert list(parse_pages("4,1-2,2")) == [1, 2, 4]
    res = invoke("read", "--pages", "1-99999999999", two_page_pdf)
    assert_fails(res, EXIT_INPUT, "two.pdf: has 2 page(s); no page 3")
    res = invoke("read", "--pages", "1,x", two_page_pdf)
    assert_fails(res, EXIT_USAGE, "bad page list")


def test_an_image_over_the_pixel_cap_is_refused_before_decoding(tmp_path):
    """7000 x 7000 (49 M pixels) is over the default cap of 36 M; a 1-bit PNG of
    it is a few KB, and is refused from its header."""
    path = tmp_path / "big.png"
    Image.new("1", (7000, 7000), 1).save(path)
    assert_fails(invoke("read", path), EXIT_INPUT, "big.png", "36,000,000 pixels")
    small = tmp_path / "small.png"
    Image.new("L", (400, 300), 255).save(small)
    for cmd in ("read", "classify"):  # each command the error names the option of has it
        res = invoke(cmd, "--max-pixels", 100_000, small)
        assert_fails(res, EXIT_INPUT, "100,000 pixels", "--max-pixels")
    res = invoke("segment", "--max-pixels", 100_000, small, "-o", tmp_path / "crops")
    assert_fails(res, EXIT_INPUT, "100,000 pixels", "--max-pixels")


def test_a_later_frame_over_the_cap_is_refused_after_the_first_is_read(tmp_path):
    path = tmp_path / "two.tif"
    first = Image.new("L", (100, 100), 255)
    first.save(path, save_all=True, append_images=[Image.new("L", (400, 400), 255)])
    res = invoke("read", "--max-pixels", 50_000, path)
    assert_fails(res, EXIT_INPUT, "two.tif: image of 160,000 pixels", "limit of 50,000")
    assert res.stdout == "\n"  # the first page, blank


def test_a_pdf_page_over_the_cap_is_read_at_a_lower_resolution(two_page_pdf):
    res = invoke("read", "--pages", "2", "--max-pixels", 200_000, two_page_pdf)
    assert res.exit_code == 0, res.output
    assert "pageocr: warning:" in res.stderr and "read at" in res.stderr and "dpi" in res.stderr
    assert not errors_of(res)


# --- batches and streaming ---------------------------------------------------------------


def test_a_bad_file_in_a_batch_keeps_the_good_pages(tmp_path, good_text):
    bad = tmp_path / "bad.png"
    bad.write_bytes(GOOD.read_bytes()[:20])
    res = invoke("read", "--quiet-names", GOOD, bad, GOOD)
    assert_fails(res, EXIT_INPUT, "bad.png")
    assert res.stdout == good_text.rstrip("\n") + "\f" + good_text


def test_json_lists_the_failed_inputs(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    res = invoke("read", "--format", "json", bad, GOOD)
    assert_fails(res, EXIT_INPUT, "bad.png")
    doc = json.loads(res.stdout)
    assert [p["source"] for p in doc["pages"]] == [str(GOOD)]
    assert doc["errors"] == [{"source": str(bad), "error": doc["errors"][0]["error"]}]
    assert "not an image" in doc["errors"][0]["error"]
    res = invoke("read", "--format", "json", bad, tmp_path / "missing.png")
    assert_fails(res, EXIT_INPUT, n_errors=2)
    doc = json.loads(res.stdout)
    assert doc["pages"] == [] and [e["error"] for e in doc["errors"]][1] == "no such file"


def test_each_page_is_written_before_the_next_is_read(monkeypatch, two_page_pdf, good_text):
    """When the second page is read, the first is already on stdout."""
    seen = []
    read_page = cli._read_page

    def spy(page, reader, timeout):
        sys.stdout.flush()
        seen.append(sys.stdout.buffer.getvalue().decode())
        return read_page(page, reader, timeout)

    monkeypatch.setattr(cli, "_read_page", spy)
    res = invoke("read", two_page_pdf)
    assert res.exit_code == 0, res.output
    assert seen[0] == "" and seen[1].strip() and seen[1] in res.stdout
    assert res.stdout.startswith(seen[1]) and res.stdout.count("\f") == 1


@pytest.fixture
def slow_page(tmp_path, monkeypatch) -> Path:
    """A copy of the good page that takes a minute to read (a hang, unless its time
    limit stops it); the good page itself is read at once, as read before (on a busy
    machine, reading it could take longer than a short limit)."""
    from ocr_pipeline.reader import Reader

    slow = tmp_path / "slow.png"
    shutil.copy(GOOD, slow)
    good = Reader().read(GOOD)[0]

    def slow_read(self, page, *args, **kwargs):
        assert page.source in (str(GOOD), str(slow))
        if page.source == str(slow):
            time.sleep(60)
        return good

    monkeypatch.setattr(Reader, "read_page", slow_read)
    return slow


def test_a_page_over_the_time_limit_fails_its_input_only(slow_page, good_text):
    res = invoke("read", "--quiet-names", "--page-timeout", 1, GOOD, slow_page, GOOD)
    assert_fails(res, EXIT_INPUT, "slow.png: page 1: not read within the time limit of 1 s")
    assert res.stdout == good_text.rstrip("\n") + "\f" + good_text
    out = slow_page.parent / "out"
    res = invoke("read", "--page-timeout", 1, slow_page, GOOD, "-o", f"{out}/")
    assert_fails(res, EXIT_INPUT, "slow.png: page 1: not read within the time limit")
    records = [json.loads(ln) for ln in (out / "pageocr-summary.jsonl").read_text().splitlines()]
    assert [(r["status"], r["output"]) for r in records] == [
        ("failed", None), ("done", str(out / "paragraph.txt"))
    ]  # fmt: skip
    assert (out / "paragraph.txt").read_text(encoding="utf-8") == good_text
    assert sorted(p.name for p in out.iterdir()) == ["pageocr-summary.jsonl", "paragraph.txt"]


@pytest.fixture
def slow_first_page(two_page_pdf, monkeypatch) -> Path:
    """The two-page PDF whose page 1 takes a minute to read; page 2 reads at once."""
    from ocr_pipeline.reader import Reader

    good = Reader().read(GOOD)[0]

    def slow_read(self, page, *args, **kwargs):
        if page.number == 1:
            time.sleep(60)
        good.source, good.number = page.source, page.number
        return good

    monkeypatch.setattr(Reader, "read_page", slow_read)
    return two_page_pdf


def test_a_page_over_the_time_limit_fails_that_page_only(slow_first_page, good_text):
    """The PDF's second page is still read and written, page 1 is reported, exit 1."""
    res = invoke("read", "--page-timeout", 1, "--format", "json", slow_first_page)
    assert_fails(res, EXIT_INPUT, "two.pdf: page 1: not read within the time limit of 1 s")
    doc = json.loads(res.stdout)
    assert [p["page"] for p in doc["pages"]] == [2]
    assert doc["errors"][0]["error"].startswith("page 1: not read")
    out = slow_first_page.parent / "out.txt"
    res = invoke("read", "--page-timeout", 1, slow_first_page, "-o", out)
    assert_fails(res, EXIT_INPUT, "page 1: not read")
    assert out.read_text(encoding="utf-8") == good_text
    folder = slow_first_page.parent / "texts"
    res = invoke("read", "--page-timeout", 1, slow_first_page, "-o", f"{folder}/")
    assert_fails(res, EXIT_INPUT, "two.pdf: page 1: not read")
    rec = json.loads((folder / "pageocr-summary.jsonl").read_text().splitlines()[0])
    assert (rec["status"], rec["pages"], rec["failed_pages"]) == ("failed", 1, [1])
    assert (folder / "two.txt").read_text(encoding="utf-8") == good_text


def test_the_time_limit_is_put_back_after_each_page():
    import signal

    from ocr_pipeline.batch import PageTimeout, time_limit

    before = signal.getsignal(signal.SIGALRM)
    with time_limit(5.0):
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(PageTimeout), time_limit(0.05):
        time.sleep(60)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_page_writer_writes_what_render_does_and_keeps_no_page():
    import gc
    import weakref

    from ocr_pipeline.formats import FORMATS, PageWriter, render
    from ocr_pipeline.pipeline import CharResult, LineResult, PageResult

    def page(n):
        chars = [CharResult("中", (1, 2, 3, 4), 0.9, [("中", 0.9)]), CharResult("<", (4, 2, 6, 4),
                 0.5, [("<", 0.5)])]  # fmt: skip
        lines = [LineResult((1, 2, 6, 4), b, chars, [True, False]) for b in (0, 0, 1)]
        return PageResult(100, 50, 0.5, lines, source="a&b.png", number=n)

    for fmt in FORMATS:
        for pages in ([page(1)], [page(1), page(2), page(3)]):
            out = io.StringIO()
            writer = PageWriter(out, fmt)
            for p in pages:
                writer.page(p)
            writer.close()
            assert out.getvalue() == render(pages, fmt), fmt
    writer = PageWriter(io.StringIO(), "json")
    p = page(1)
    ref = weakref.ref(p)
    writer.page(p)
    del p
    gc.collect()
    assert ref() is None


# --- outputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (lambda t: ["read", GOOD, "-o", t / "missing" / "out.txt"], ["does not exist"]),
        (lambda t: ["read", GOOD, "-o", GOOD / "out.txt"], ["is a file, not a folder"]),
        (lambda t: ["read", GOOD, "--overlay", t / "o.txt"], ["unknown image type '.txt'"]),
        (lambda t: ["read", GOOD, "--overlay", t / "no" / "o.png"], ["does not exist"]),
        (lambda t: ["segment", GOOD, "-o", t / "c", "--debug", t / "no" / "d.png"], ["exist"]),
        (lambda t: ["segment", GOOD, "-o", t / "c", "--debug", t / "d.txt"], ["'.txt'"]),
        (lambda t: ["segment", GOOD, "-o", GOOD], ["is a file, not a folder"]),
    ],
    ids=["o-missing-folder", "o-under-a-file", "overlay-txt", "overlay-missing",
         "debug-missing", "debug-txt", "segment-out-file"],
)  # fmt: skip
def test_unwritable_outputs_are_refused_before_any_work(tmp_path, args, words):
    res = invoke(*args(tmp_path))
    assert_fails(res, EXIT_USAGE, *words)
    assert res.stdout == ""
    assert not (tmp_path / "c").exists()


def test_a_failed_run_leaves_the_previous_output(tmp_path):
    prev = tmp_path / "prev.txt"
    prev.write_text("earlier text\n")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    res = invoke("read", bad, "-o", prev)
    assert_fails(res, EXIT_INPUT, "bad.png")
    assert prev.read_text() == "earlier text\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.png", "prev.txt"]


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGKILL"])
def test_a_run_killed_while_writing_leaves_the_previous_output(tmp_path, sig):
    """SIGTERM while -o FILE is being written: the temporary file is removed and the
    earlier output kept (exit 130, as Ctrl-C). SIGKILL: the temporary file, named
    after its file and its process, is removed by the next run that writes that file."""
    import signal

    pdf = tmp_path / "long.pdf"
    page = Image.open(GOOD).convert("L")
    page.save(pdf, save_all=True, append_images=[page] * 99, resolution=150)
    prev = tmp_path / "prev.txt"
    prev.write_text("earlier text\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ocr_pipeline.cli", "read", str(pdf), "-o", str(prev)],
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".prev.txt.*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        proc.send_signal(getattr(signal, sig))
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    if sig == "SIGKILL":
        left = [p.name for p in tmp_path.glob(".prev.txt.*")]
        assert len(left) == 1 and left[0].startswith(f".prev.txt.pageocr-{proc.pid}-"), left
        bad = tmp_path / "bad.png"
        bad.write_text("not an image")
        assert_fails(invoke("read", bad, "-o", prev), EXIT_INPUT, "bad.png")
        bad.unlink()
    else:
        assert proc.returncode == 130 and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.pdf", "prev.txt"]
    assert prev.read_text() == "earlier text\n"


def test_an_interrupt_wrapped_by_a_class_being_created_exits_as_an_interrupt(monkeypatch, capsys):
    """Python 3.11 turns a KeyboardInterrupt that lands in __set_name__ (a class body in
    an import, e.g. pypdfium2 loaded for the first PDF page) into a RuntimeError: a CI
    run's SIGTERM landed there and printed a traceback with exit 1."""

    def interrupted():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as err:
            raise RuntimeError("Error calling __set_name__") from err

    monkeypatch.setattr(cli, "app", interrupted)
    with pytest.raises(SystemExit) as stop:
        cli.main()
    assert stop.value.code == 130 and "stopped" in capsys.readouterr().err

    def broken():
        raise RuntimeError("a real bug")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(RuntimeError, match="a real bug"):
        cli.main()


def test_only_the_temporary_files_of_dead_writers_are_cleared(tmp_path):
    from ocr_pipeline.outputs import AtomicFile, clear_stale

    done = subprocess.run(["true"])  # a process that has ended: its pid is free
    dead = subprocess.Popen(["true"])
    dead.wait()
    target = tmp_path / "out.txt"
    mine = tmp_path / f".out.txt.pageocr-{os.getpid()}-abc.part"
    theirs = tmp_path / f".out.txt.pageocr-{dead.pid}-abc.part"
    other = tmp_path / f".other.txt.pageocr-{dead.pid}-abc.part"
    for p in (mine, theirs, other):
        p.write_text("half")
    assert done.returncode == 0 and clear_stale(target) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])
    with AtomicFile(tmp_path / "other.txt") as out:
        assert out.tmp is not None and out.tmp.name.startswith(f".other.txt.pageocr-{os.getpid()}-")
        assert not other.exists()


def test_output_file_is_replaced_when_complete(tmp_path, good_text):
    prev = tmp_path / "prev.txt"
    prev.write_text("earlier text\n")
    res = invoke("read", GOOD, "-o", prev, "--overlay", tmp_path / "ov.jpg")
    assert res.exit_code == 0, res.output
    assert prev.read_text(encoding="utf-8") == good_text
    assert Image.open(tmp_path / "ov.jpg").size == Image.open(GOOD).size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ov.jpg", "prev.txt"]


def test_segment_refuses_a_used_folder_unless_forced(tmp_path):
    out = tmp_path / "crops"
    res = invoke("segment", GOOD, "-o", out)
    assert res.exit_code == 0, res.output
    made = sorted(p.name for p in out.iterdir())
    (out / "9999.png").write_bytes((out / "0000.png").read_bytes())  # a crop of a longer page
    assert_fails(invoke("segment", GOOD, "-o", out), EXIT_USAGE, "not empty", "--force")
    res = invoke("segment", GOOD, "-o", out, "--force")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == made
    (out / "notes.txt").write_text("mine")
    res = invoke("segment", GOOD, "-o", out, "--force")
    assert_fails(res, EXIT_USAGE, "notes.txt", "did not write")
    assert (out / "notes.txt").read_text() == "mine"


def test_input_errors_exit_1_in_every_command(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(GOOD.read_bytes()[:24])
    for args in (["read", bad], ["segment", bad, "-o", tmp_path / "c"], ["classify", bad]):
        assert_fails(invoke(*args), EXIT_INPUT, "bad.png: corrupt or truncated")


# --- models -----------------------------------------------------------------------------


def _model_copy(tmp_path: Path, edit=None, data: bytes | None = None) -> Path:
    path = tmp_path / "m.tflite"
    path.write_bytes((MODELS_DIR / "fast.tflite").read_bytes() if data is None else data)
    side = json.loads((MODELS_DIR / "fast.json").read_text(encoding="utf-8"))
    if edit:
        edit(side)
    path.with_suffix(".json").write_text(json.dumps(side, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_sidecar_whose_input_size_disagrees_with_the_model(tmp_path):
    model = _model_copy(tmp_path, lambda side: side.update(input_size=48))
    for cmd in ("read", "classify"):
        res = invoke(cmd, "--model", model, GOOD)
        assert_fails(res, EXIT_USAGE, "m.tflite", "(32, 32, 1)", "input_size 48")
    model = _model_copy(tmp_path, lambda side: side.update(input_size=0))
    assert_fails(invoke("read", "--model", model, GOOD), EXIT_USAGE, "input_size 0")


def test_an_unusable_model_touches_no_output_folder(tmp_path):
    """Refused before the folder is made, and an earlier run's summary is kept."""
    model = _model_copy(tmp_path, lambda side: side.update(input_size=48))
    for jobs in (1, 2):
        res = invoke("read", "--model", model, GOOD, GOOD, "-o", f"{tmp_path / 'new'}/", "-j", jobs)
        assert_fails(res, EXIT_USAGE, "input_size 48")
        assert not (tmp_path / "new").exists()
    out = tmp_path / "out"
    out.mkdir()
    (out / "pageocr-summary.jsonl").write_text('{"source": "earlier"}\n')
    res = invoke("read", "--model", model, GOOD, "-o", out, "--redo")
    assert_fails(res, EXIT_USAGE, "input_size 48")
    assert [p.name for p in out.iterdir()] == ["pageocr-summary.jsonl"]
    assert (out / "pageocr-summary.jsonl").read_text() == '{"source": "earlier"}\n'


def test_a_tflite_corrupted_mid_file_is_refused(tmp_path):
    data = bytearray((MODELS_DIR / "fast.tflite").read_bytes())
    mid = len(data) // 2
    data[mid : mid + 256] = bytes(b ^ 0x5A for b in data[mid : mid + 256])
    model = _model_copy(tmp_path, data=bytes(data))
    res = invoke("read", "--model", model, GOOD)
    assert_fails(res, EXIT_USAGE, "m.tflite", "sha256", "corrupt")
    assert res.stdout == ""


def test_shipped_sidecars_record_their_models_sha256():
    from recognizer.runtime import ModelInfo, file_sha256

    paths = sorted(MODELS_DIR.glob("*.tflite"))
    assert {p.stem for p in paths} >= {"real", "synth", "fast"}
    for path in paths:
        assert ModelInfo.read(path).sha256 == file_sha256(path)


def test_blank_and_tiny_images_read_as_no_text(tmp_path):
    paths = []
    for w, h in ((1, 1), (3000, 1), (1, 3000), (300, 300)):
        paths.append(tmp_path / f"{w}x{h}.png")
        Image.fromarray(np.zeros((h, w), np.uint8)).save(paths[-1])
    res = invoke("read", "--quiet-names", *paths)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip("\f\n") == ""


# --- fuzz -------------------------------------------------------------------------------
#
# Seeded mutations of a small PNG, two-page PDF, JPEG and two-page TIFF (made here,
# nothing committed): bytes flipped, cut short, overwritten, inserted or repeated. Each
# is read in-process, alternately as text and as JSON, and must give exit 0 or 1, no
# traceback, on exit 1 exactly one error line naming the file with no internal failure
# in it, and nothing from the C libraries on stderr. PAGEOCR_FUZZ=N runs N times as many
# (PAGEOCR_FUZZ=10: 300 PNG, 300 PDF, 150 JPEG, 150 TIFF cases, 50 s, all pass).

FUZZ_SCALE = int(os.environ.get("PAGEOCR_FUZZ", "1"))
FUZZ_CASES = {"png": 30, "pdf": 30, "jpg": 15, "tif": 15}  # ~6 s on the development machine


def _fuzz_seed_files(folder: Path) -> dict[str, bytes]:
    """The good page's first line, 300 x 40: a grayscale PNG, a PDF of it twice, an RGB
    JPEG and a two-page TIFF of it."""
    line = Image.open(GOOD).convert("L").crop((0, 0, 300, 40))
    files = {kind: io.BytesIO() for kind in ("png", "pdf", "jpg", "tif")}
    line.save(files["png"], "PNG")
    line.save(files["pdf"], "PDF", save_all=True, append_images=[line], resolution=96)
    line.convert("RGB").save(files["jpg"], "JPEG", quality=80)
    line.save(files["tif"], "TIFF", save_all=True, append_images=[line], compression="tiff_lzw")
    return {kind: f.getvalue() for kind, f in files.items()}


def mutate(data: bytes, seed: int) -> bytes:
    """One of five mutations of ``data``, chosen and placed by ``seed``."""
    rng = np.random.default_rng(seed)
    out = bytearray(data)
    at = int(rng.integers(0, len(out)))
    kind = seed % 5
    if kind == 0:  # a few bytes flipped
        for i in rng.integers(0, len(out), int(rng.integers(1, 9))):
            out[i] ^= int(rng.integers(1, 256))
    elif kind == 1:  # cut short
        del out[at:]
    elif kind == 2:  # a run overwritten with noise
        n = int(rng.integers(1, 64))
        out[at : at + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
    elif kind == 3:  # noise inserted
        out[at:at] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    else:  # a run repeated
        n = int(rng.integers(1, 256))
        out[at:at] = out[at : at + n] * int(rng.integers(2, 5))
    return bytes(out)


@pytest.fixture(scope="module")
def fuzz_seeds(tmp_path_factory) -> dict[str, bytes]:
    return _fuzz_seed_files(tmp_path_factory.mktemp("fuzz"))


@pytest.mark.parametrize(
    ("kind", "seed"), [(k, s) for k, n in FUZZ_CASES.items() for s in range(n * FUZZ_SCALE)]
)
def test_fuzz_read(tmp_path, capfd, fuzz_seeds, kind, seed):
    path = tmp_path / f"m{seed}.{kind}"
    path.write_bytes(mutate(fuzz_seeds[kind], seed))
    fmt = "json" if seed % 2 else "text"
    # the caps bound the work of a mutated page size; a hang in Python code fails fast
    res = invoke("read", "--format", fmt, "--max-pixels", 2_000_000, "--page-timeout", 30, path)
    assert res.exit_code in (0, EXIT_INPUT), (res.exit_code, res.output)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    lines = res.stderr.splitlines()
    assert all(ln.startswith("pageocr: ") for ln in lines), res.stderr
    errors = errors_of(res)
    assert len(errors) == (res.exit_code == EXIT_INPUT), res.stderr
    if errors:
        assert errors[0].startswith(f"pageocr: error: {path}: "), errors[0]
        assert "please report" not in errors[0], errors[0]
    if fmt == "json":
        doc = json.loads(res.stdout)
        assert [e["source"] for e in doc.get("errors", [])] == [str(path)] * len(errors)
    assert capfd.readouterr().err == ""  # libtiff prints on descriptor 2 itself
