"""Batch reading (``pageocr read ... -o FOLDER/ --jobs N``) and several inputs in one
output: one file per input and a summary, failed inputs reported and skipped, resume,
worker processes giving what one process gives, a killed run finished by a re-run;
name lines in text, the TSV's source column, hOCR ids unique across inputs, stdin."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ocr_pipeline import batch
from ocr_pipeline.cli import EXIT_INPUT, EXIT_USAGE, app
from ocr_pipeline.formats import split_text
from ocr_pipeline.outputs import OutputError
from recognizer.runtime import DEFAULT_MODEL, MODELS_DIR, file_sha256

ROOT = Path(__file__).resolve().parents[1]
PARAGRAPH = ROOT / "samples" / "paragraph.png"
WEBPAGE = ROOT / "samples" / "webpage.png"
runner = CliRunner()


def invoke(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def summary_of(out: Path) -> dict[str, dict]:
    lines = (out / batch.SUMMARY_NAME).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    by_source = {Path(r["source"]).name: r for r in records}
    assert len(by_source) == len(records), "one record per input"
    return by_source


def error_lines(res) -> list[str]:
    return [ln for ln in res.stderr.splitlines() if ln.startswith("pageocr: error:")]


@pytest.fixture()
def folder(tmp_path, two_page_pdf) -> Path:
    """paragraph.png, webpage.png and a two-page PDF."""
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(PARAGRAPH, src / "a.png")
    shutil.copy(WEBPAGE, src / "b.png")
    shutil.copy(two_page_pdf, src / "c.pdf")
    return src


@pytest.fixture(scope="module")
def single() -> dict[str, str]:
    """What ``read FILE`` prints for each sample, one process, one input."""
    out = {}
    for path in (PARAGRAPH, WEBPAGE):
        res = invoke("read", path)
        assert res.exit_code == 0, res.output
        out[path.name] = res.stdout
    return out


def test_a_folder_gives_one_output_per_input_and_a_summary(folder, tmp_path, single):
    out = tmp_path / "out"
    res = invoke("read", folder, "-o", f"{out}/")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "c.txt",
                                                     batch.SUMMARY_NAME]  # fmt: skip
    assert (out / "a.txt").read_text(encoding="utf-8") == single["paragraph.png"]
    assert (out / "b.txt").read_text(encoding="utf-8") == single["webpage.png"]
    pages = (out / "c.txt").read_text(encoding="utf-8").split("\f")
    assert len(pages) == 2 and all(p.strip() for p in pages)
    recs = summary_of(out)
    assert set(recs) == {"a.png", "b.png", "c.pdf"}
    assert [recs[n]["pages"] for n in ("a.png", "b.png", "c.pdf")] == [1, 1, 2]
    for name, rec in recs.items():
        assert rec["status"] == "done" and rec["seconds"] >= 0
        text = Path(rec["output"]).read_text(encoding="utf-8")
        assert rec["chars"] == len("".join(text.split())) > 0, name


@pytest.mark.parametrize("fmt", ["json", "tsv", "hocr", "pdf"])
def test_each_format_is_written_per_input(folder, tmp_path, fmt):
    out = tmp_path / "out"
    res = invoke("read", folder / "a.png", folder / "c.pdf", "-f", fmt, "-o", f"{out}/")
    assert res.exit_code == 0, res.output
    ext = batch.EXTENSIONS[fmt]
    assert sorted(p.name for p in out.iterdir()) == sorted(["a" + ext, "c" + ext,
                                                            batch.SUMMARY_NAME])  # fmt: skip
    data = (out / ("c" + ext)).read_bytes()
    if fmt == "json":
        assert [p["page"] for p in json.loads(data)["pages"]] == [1, 2]
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def test_a_corrupt_input_is_reported_and_the_rest_read(folder, tmp_path):
    (folder / "bad.png").write_bytes(PARAGRAPH.read_bytes()[:40])
    (folder / "locked.pdf").write_bytes(b"%PDF-1.4\n% not a real PDF\n")
    out = tmp_path / "out"
    res = invoke("read", folder, "-o", f"{out}/")
    assert res.exit_code == EXIT_INPUT, res.output
    errors = error_lines(res)
    assert len(errors) == 2, res.stderr
    assert (
        "bad.png: corrupt or truncated" in errors[0] and "locked.pdf: cannot open PDF" in errors[1]
    )
    assert "Traceback" not in res.output
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "c.txt",
                                                     batch.SUMMARY_NAME]  # fmt: skip
    recs = summary_of(out)
    assert recs["bad.png"]["status"] == "failed" and recs["bad.png"]["output"] is None
    assert "corrupt" in recs["bad.png"]["error"]
    assert [recs[n]["status"] for n in ("a.png", "b.png", "c.pdf")] == ["done"] * 3


def test_a_password_protected_pdf_is_one_line_and_the_rest_read(folder, tmp_path):
    """A real encrypted PDF (made with pikepdf, which OCRmyPDF installs): the error says
    it wants a password; the other inputs are read, no output for it is left."""
    pikepdf = pytest.importorskip("pikepdf")
    with pikepdf.open(folder / "c.pdf") as pdf:
        pdf.save(tmp_path / "pw.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    out = tmp_path / "out"
    res = invoke("read", folder / "a.png", tmp_path / "pw.pdf", "-o", f"{out}/")
    assert res.exit_code == EXIT_INPUT, res.output
    errors = error_lines(res)
    assert len(errors) == 1 and "pw.pdf: is password-protected" in errors[0], res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", batch.SUMMARY_NAME]
    recs = summary_of(out)
    assert recs["pw.pdf"]["status"] == "failed" and recs["pw.pdf"]["output"] is None
    assert recs["a.png"]["status"] == "done"


def test_a_rerun_skips_what_is_done_and_reads_the_rest(folder, tmp_path):
    out = tmp_path / "out"
    assert invoke("read", folder / "a.png", folder / "c.pdf", "-o", f"{out}/").exit_code == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*.txt")}
    # a run killed while writing b's output left its temporary file
    dead = subprocess.Popen(["true"])
    dead.wait()
    (out / f".b.txt.pageocr-{dead.pid}-x1y2.part").write_text("half")
    res = invoke("read", folder, "-o", out)  # an existing folder, no slash needed
    assert res.exit_code == 0, res.output
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("a.txt")} == {"a.txt": stamps["a.txt"]}
    assert (out / "c.txt").stat().st_mtime_ns == stamps["c.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt", "c.txt",
                                                     batch.SUMMARY_NAME]  # fmt: skip
    recs = summary_of(out)
    assert {n: r["status"] for n, r in recs.items()} == {"a.png": "skipped", "b.png": "done",
                                                         "c.pdf": "skipped"}  # fmt: skip
    assert recs["c.pdf"]["pages"] == 2  # carried over from the earlier summary
    assert "1 read, 2 already done, 0 failed" in res.stderr
    # an input changed since its output was written is read again; --redo reads all
    os.utime(folder / "a.png", ns=(stamps["a.txt"] + 10**9, stamps["a.txt"] + 10**9))
    res = invoke("read", folder, "-o", out)
    assert {n: r["status"] for n, r in summary_of(out).items()}["a.png"] == "done"
    assert "1 read, 2 already done" in res.stderr
    res = invoke("read", folder, "-o", out, "--redo")
    assert {r["status"] for r in summary_of(out).values()} == {"done"}


def test_a_rerun_reads_again_what_changed_since(folder, tmp_path):
    """An input of another size but the same time, other options, an output made
    without one of its pages, or a summary that does not record the output: read again."""
    out = tmp_path / "out"
    assert invoke("read", folder, "-o", f"{out}/").exit_code == 0
    rec = summary_of(out)["a.png"]
    assert rec["input"] == {"size": (folder / "a.png").stat().st_size,
                            "mtime_ns": (folder / "a.png").stat().st_mtime_ns}  # fmt: skip
    assert rec["options"] == {"format": "text", "dpi": 200, "pages": None,
                              "max_pixels": 36_000_000, "runtime": "auto",
                              "top_k": 3, "rules": "default", "script": "auto", "convert": None,
                              "layout": "horizontal", "doubtful": None,
                              "model": "sha256:" + file_sha256(DEFAULT_MODEL)}  # fmt: skip

    def statuses(*args) -> dict[str, str]:
        res = invoke("read", folder, "-o", out, *args)
        assert res.exit_code == 0, res.output
        return {n: r["status"] for n, r in summary_of(out).items()}

    assert statuses() == {"a.png": "skipped", "b.png": "skipped", "c.pdf": "skipped"}
    # the model by its name or its path is the same model; another is not
    assert set(statuses("--model", "default").values()) == {"skipped"}
    assert set(statuses("--model", str(DEFAULT_MODEL)).values()) == {"skipped"}
    other = tmp_path / "other.tflite"
    shutil.copy(MODELS_DIR / "synth.tflite", other)
    shutil.copy(MODELS_DIR / "synth.json", other.with_suffix(".json"))
    assert set(statuses("--model", str(other)).values()) == {"done"}
    shutil.copy(DEFAULT_MODEL, other)  # the same file name, now another model
    shutil.copy(DEFAULT_MODEL.with_suffix(".json"), other.with_suffix(".json"))
    assert set(statuses("--model", str(other)).values()) == {"done"}
    assert set(statuses().values()) == {"skipped"}  # the default model's bytes made those
    st = (folder / "b.png").stat()
    with open(folder / "b.png", "ab") as f:
        f.write(b"\0")  # a PNG reads past its end; same time, another size
    os.utime(folder / "b.png", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert statuses() == {"a.png": "skipped", "b.png": "done", "c.pdf": "skipped"}
    assert statuses("--dpi", "100") == {"a.png": "done", "b.png": "done", "c.pdf": "done"}
    assert statuses("--dpi", "100") == {"a.png": "skipped", "b.png": "skipped", "c.pdf": "skipped"}
    assert statuses("--dpi", "100", "--pages", "1")["c.pdf"] == "done"
    lines = (out / batch.SUMMARY_NAME).read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if 'c.pdf"' not in ln]  # as a summary of an older pageocr
    (out / batch.SUMMARY_NAME).write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert statuses("--dpi", "100", "--pages", "1") == {"a.png": "skipped", "b.png": "skipped",
                                                        "c.pdf": "done"}  # fmt: skip


def test_a_rerun_reads_again_an_input_a_page_of_which_was_left_out(folder, tmp_path, monkeypatch):
    from ocr_pipeline.batch import PageError

    read_page = batch.read_page

    def fail_page_2(page, reader, timeout=None):
        if page.number == 2:
            raise PageError("page 2: not read within the time limit of 1 s", page.source, 2)
        return read_page(page, reader, timeout)

    out = tmp_path / "out"
    monkeypatch.setattr(batch, "read_page", fail_page_2)
    res = invoke("read", folder / "c.pdf", "-o", f"{out}/")
    assert res.exit_code == EXIT_INPUT and "c.pdf: page 2: not read" in error_lines(res)[0]
    assert summary_of(out)["c.pdf"]["failed_pages"] == [2]
    assert "\f" not in (out / "c.txt").read_text(encoding="utf-8")  # page 1 only
    monkeypatch.setattr(batch, "read_page", read_page)
    res = invoke("read", folder / "c.pdf", "-o", f"{out}/")
    assert res.exit_code == 0 and summary_of(out)["c.pdf"]["status"] == "done"
    assert (out / "c.txt").read_text(encoding="utf-8").count("\f") == 1


def test_two_jobs_write_what_one_does(folder, tmp_path):
    (folder / "bad.png").write_text("not an image")
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        res = invoke("read", folder, "-o", f"{out}/", "--jobs", jobs, "-f", "tsv")
        assert res.exit_code == EXIT_INPUT, res.output
        assert len(error_lines(res)) == 1 and "bad.png" in error_lines(res)[0]
        outs[jobs] = out
    files = sorted(p.name for p in outs[1].iterdir())
    assert files == sorted(p.name for p in outs[2].iterdir())
    for name in files:
        if name != batch.SUMMARY_NAME:
            assert (outs[1] / name).read_bytes() == (outs[2] / name).read_bytes(), name
    keep = ("status", "pages", "chars")
    one, two = summary_of(outs[1]), summary_of(outs[2])
    assert {n: [r[k] for k in keep] for n, r in one.items()} == {
        n: [r[k] for k in keep] for n, r in two.items()
    }


def test_a_killed_batch_is_finished_by_a_rerun(tmp_path):
    """SIGKILL of the main process in the middle: no partial output under an output's
    name, the workers go away, and a re-run reads only what was not done."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(10):
        shutil.copy(PARAGRAPH, src / f"p{i:02d}.png")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ocr_pipeline.cli", "read", str(src), "-o", f"{out}/", "-j", "2"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    summary = out / batch.SUMMARY_NAME
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if summary.exists() and summary.read_text().count('"done"') >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the batch ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stderr.close()
    time.sleep(2.5)  # the orphaned workers notice within a second (and finish their page)
    written = {p.name for p in out.glob("*.txt")}
    # an orphaned worker may finish its output after the summary could record it: not
    # known to be done, it is read again
    recorded = {n.replace(".png", ".txt") for n, r in summary_of(out).items()
                if r["status"] == "done"}  # fmt: skip
    assert 2 <= len(recorded) and recorded <= written and len(written) < 10
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    recs = summary_of(out)
    skipped = {n for n, r in recs.items() if r["status"] == "skipped"}
    assert {n.replace(".png", ".txt") for n in skipped} == recorded
    assert {r["status"] for n, r in recs.items() if n not in skipped} == {"done"}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"p{i:02d}.txt" for i in range(10)] + [batch.SUMMARY_NAME]
    )
    texts = {(out / f"p{i:02d}.txt").read_text(encoding="utf-8") for i in range(10)}
    assert len(texts) == 1  # the same page, read whole every time


# --- refused before any work -------------------------------------------------------------


def test_inputs_of_one_name_in_two_folders_are_refused(tmp_path):
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        shutil.copy(PARAGRAPH, tmp_path / d / "a.png")
    shutil.copy(PARAGRAPH, tmp_path / "x" / "a.jpg")  # same stem, another name: a.jpg.txt
    jobs = batch.plan([tmp_path / "x" / "a.png", tmp_path / "x" / "a.jpg"], tmp_path / "o", "text")
    assert [j.output.name for j in jobs] == ["a.png.txt", "a.jpg.txt"]
    with pytest.raises(OutputError, match="would both be written"):
        batch.plan([tmp_path / "x" / "a.png", tmp_path / "y" / "a.png"], tmp_path / "o", "text")
    res = invoke("read", tmp_path / "x", tmp_path / "y", "-o", f"{tmp_path / 'o'}/")
    assert res.exit_code == EXIT_USAGE and len(error_lines(res)) == 1, res.output
    assert not (tmp_path / "o" / "a.png.txt").exists()


def test_an_output_that_would_replace_its_input_is_refused(folder):
    res = invoke("read", folder, "-f", "pdf", "-o", folder)
    assert res.exit_code == EXIT_USAGE, res.output
    assert "would replace the input" in error_lines(res)[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--jobs", "2"], "give -o FOLDER/"),
        (["-o", "{t}/o/", "--overlay", "{t}/ov.png"], "--overlay"),
        (["-o", "{p}/o/"], "is a file, not a folder"),
    ],
    ids=["jobs-without-folder", "overlay-with-folder", "folder-under-a-file"],
)
def test_batch_options_that_cannot_work_are_refused(tmp_path, args, words):
    args = [a.format(t=tmp_path, p=PARAGRAPH) for a in args]
    res = invoke("read", PARAGRAPH, *args)
    assert res.exit_code == EXIT_USAGE, res.output
    assert words in error_lines(res)[0] and "Traceback" not in res.output


def test_an_unwritable_output_folder_is_refused(tmp_path):
    """(/sys takes no files, even from root, as a read-only mount would not.)"""
    res = invoke("read", PARAGRAPH, "-o", "/sys/pageocr-out/")
    assert res.exit_code == EXIT_USAGE and "cannot write in /sys" in error_lines(res)[0]
    assert res.stdout == "" and not Path("/sys/pageocr-out").exists()


def test_a_folder_without_images_is_an_input_error(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    res = invoke("read", tmp_path, PARAGRAPH)
    assert res.exit_code == EXIT_INPUT and res.stdout.strip()
    assert error_lines(res) == [f"pageocr: error: {tmp_path}: no images or PDFs in the folder"]


# --- several inputs, one output ----------------------------------------------------------


def test_text_of_several_inputs_names_each_input_and_pdf_page(two_page_pdf, single):
    res = invoke("read", PARAGRAPH, two_page_pdf)
    assert res.exit_code == 0, res.output
    pages = split_text(res.stdout)
    assert [name for name, _ in pages] == [
        str(PARAGRAPH),
        f"{two_page_pdf} page 1",
        f"{two_page_pdf} page 2",
    ]
    assert pages[0][1] + "\n" == single["paragraph.png"]
    assert pages[1][1].split() == pages[2][1].split() == single["paragraph.png"].split()
    quiet = invoke("read", "--quiet-names", PARAGRAPH, two_page_pdf).stdout
    assert "==>" not in quiet and quiet.split("\f") == [p for _, p in pages[:2]] + [
        pages[2][1] + "\n"
    ]
    alone = invoke("read", two_page_pdf).stdout
    assert "==>" not in alone and alone.count("\f") == 1  # one input: no names


def test_tsv_has_the_source_and_real_page_numbers(two_page_pdf):
    res = invoke("read", "-f", "tsv", PARAGRAPH, two_page_pdf)
    assert res.exit_code == 0, res.output
    rows = [ln.split("\t") for ln in res.stdout.splitlines()]
    assert rows[0][-1] == "source" and rows[0][1] == "page_num"
    assert all(len(r) == len(rows[0]) for r in rows)
    pdf = str(two_page_pdf)
    assert {(r[-1], r[1]) for r in rows[1:]} == {(str(PARAGRAPH), "1"), (pdf, "1"), (pdf, "2")}
    res = invoke("read", "-f", "tsv", "--pages", "2", two_page_pdf)
    assert {r.split("\t")[1] for r in res.stdout.splitlines()[1:]} == {"2"}  # not 1


def test_hocr_ids_are_unique_across_inputs(two_page_pdf):
    import re

    res = invoke("read", "-f", "hocr", PARAGRAPH, two_page_pdf, PARAGRAPH)
    assert res.exit_code == 0, res.output
    ids = re.findall(r"id='([^']+)'", res.stdout)
    assert len(ids) > 100 and len(ids) == len(set(ids))
    assert re.findall(r"class='ocr_page' id='(\w+)'", res.stdout) == [f"page_{k}" for k in
                                                                        range(1, 5)]  # fmt: skip


def test_dash_reads_standard_input(single):
    res = invoke("read", "-", input=PARAGRAPH.read_bytes())
    assert res.exit_code == 0, res.output
    assert res.stdout == single["paragraph.png"]
    res = invoke("read", "-", input=b"not an image")
    assert res.exit_code == EXIT_INPUT and "<stdin>: not an image" in error_lines(res)[0]
    res = invoke("read", "-", "-", input=b"")
    assert res.exit_code == EXIT_USAGE and "only once" in error_lines(res)[0]


def test_version():
    res = invoke("--version")
    assert res.exit_code == 0 and res.stdout.startswith("pageocr ")


def test_each_worker_gets_its_share_of_the_cpus(monkeypatch):
    """--jobs N: OpenCV and LiteRT in each worker use cpus / N threads (they used all
    of them each, so two workers on two cores fought over them)."""
    seen = []

    class Pool:
        def __init__(self, opts, size):
            seen.append((opts.threads, size))
            raise batch.BatchError("stop here")

    monkeypatch.setattr(batch, "_Pool", Pool)
    monkeypatch.setattr(batch, "cpu_count", lambda: 8)
    jobs = [batch.Job(Path(f"{i}.png"), Path(f"{i}.txt")) for i in range(3)]
    for workers in (2, 3, 5):
        with pytest.raises(batch.BatchError):
            list(batch.run(jobs, batch.ReadOptions(), workers=workers))
    assert seen == [(4, 2), (2, 3), (2, 3)]
    with pytest.raises(batch.BatchError):
        list(batch.run(jobs, batch.ReadOptions(threads=1), workers=2))
    assert seen[-1] == (1, 2)


def test_a_reader_passes_its_threads_to_litert(monkeypatch):
    from ai_edge_litert import interpreter

    from ocr_pipeline.reader import Reader

    made = []
    real = interpreter.Interpreter

    def spy(*args, **kwargs):
        made.append(kwargs.get("num_threads"))
        return real(*args, **kwargs)

    monkeypatch.setattr(interpreter, "Interpreter", spy)
    assert Reader(threads=1).predictor is not None
    assert Reader().predictor is not None
    assert made == [1, os.cpu_count()]


def test_a_worker_stuck_in_one_call_is_stopped_and_its_input_failed(monkeypatch, tmp_path):
    """--page-timeout cannot interrupt one long call into OpenCV or LiteRT (SIGALRM runs
    between Python steps): a worker that has read one page for the time limit plus
    HUNG_GRACE is killed by the main process and its input reported failed. Here the
    worker is a process stuck in time.sleep, as one that never ends its page."""
    import time as time_mod

    class StuckPool(batch._Pool):
        def start(self) -> None:
            wid, self.next_id = self.next_id, self.next_id + 1
            proc = self.ctx.Process(target=time_mod.sleep, args=(120,), daemon=True)
            proc.start()
            self.procs[wid] = (proc, self.ctx.Queue())
            self.ready.add(wid)

    monkeypatch.setattr(batch, "_Pool", StuckPool)
    monkeypatch.setattr(batch, "HUNG_GRACE", 0.5)
    jobs = [batch.Job(tmp_path / f"{n}.png", tmp_path / f"{n}.txt") for n in "ab"]
    start = time_mod.monotonic()
    records = list(batch.run(jobs, batch.ReadOptions(page_timeout=0.5), workers=2))
    assert time_mod.monotonic() - start < 30
    assert sorted((i, r["status"]) for i, r in records) == [(0, "failed"), (1, "failed")]
    assert all("its worker was stopped" in r["error"] for _, r in records)
