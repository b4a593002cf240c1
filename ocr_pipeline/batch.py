"""Reading many inputs into a folder: one output file per input, a JSONL summary, resume.

``pageocr read DIR_OR_FILES... -o OUT_DIR/ --jobs N`` is this module with a progress
bar. Each input is read page by page (memory holds one page) into its own output
file, written under a temporary name in ``OUT_DIR`` and renamed when complete, so a
run that fails or is killed never leaves a half-written output under an output's
name. A re-run skips an input whose output is there and that the summary records as
read whole from the input as it is now (size, modification time) with the same format
and options.

With ``workers`` above 1 the inputs are shared out to worker processes (started by
forkserver, or spawn where there is none), each of which builds one
:class:`ocr_pipeline.reader.Reader` and loads the model once; a worker that dies
(killed, out of memory) fails the input it was reading and is replaced.

>>> jobs = plan([Path("a.png"), Path("b.pdf")], Path("out"), "text")  # doctest: +SKIP
>>> for rec in run(jobs, ReadOptions(), workers=2):                  # doctest: +SKIP
...     print(rec["source"], rec["status"], rec["pages"])
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import logging
import multiprocessing as mp
import os
import queue
import signal
import stat
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ocr_pipeline.images import MAX_PIXELS, InputError, PageRanges
from ocr_pipeline.outputs import AtomicFile, OutputError, clear_stale

if TYPE_CHECKING:
    from ocr_pipeline.images import Page
    from ocr_pipeline.pipeline import PageResult
    from ocr_pipeline.reader import Reader

log = logging.getLogger(__name__)

#: The summary a batch writes in its output folder: one JSON record per input.
SUMMARY_NAME = "pageocr-summary.jsonl"
#: Output file extension of each format.
EXTENSIONS = {"text": ".txt", "json": ".json", "tsv": ".tsv", "hocr": ".hocr", "pdf": ".pdf"}
#: Seconds a worker is given to stop (and remove its temporary file) before it is killed.
STOP_GRACE = 5.0
#: Seconds past ``--page-timeout`` that a worker may go without finishing a page before
#: it is killed: the time limit (SIGALRM) cannot stop one long call into OpenCV or
#: LiteRT, so the main process stops the worker and fails that input.
HUNG_GRACE = 30.0

#: A record of the summary: source, output, status ("done", "skipped" or "failed"),
#: pages, chars, seconds, error (failed only), notes (pages read at a lower resolution),
#: rss_mb (the peak resident memory so far of the process that read it) and its pid.
Record = dict[str, Any]
#: Called with (index of the job, page number) after each page is read.
OnPage = Callable[[int, int], None]


class BatchError(Exception):
    """The batch cannot go on: the model cannot be used, an output cannot be written,
    or the worker processes cannot start. ``str(err)`` says why in one line."""


@dataclass(frozen=True)
class ReadOptions:
    """How each input is read and written (what a worker needs to build its reader).

    Args:
        fmt: output format, a key of :data:`EXTENSIONS`.
        dpi: rasterisation resolution of PDF pages.
        pages: the pages to read of each PDF / multi-page TIFF; None for all.
        max_pixels: the largest page (see :func:`ocr_pipeline.images.load_pages`).
        model: the model's name or path; None for the shipped one.
        top_k: alternatives kept per character.
        runtime: ``"auto"``, ``"litert"`` or ``"tf"``.
        rules: the reading rules' profile (:data:`ocr_pipeline.rules.PROFILES`).
        page_timeout: seconds a page may take to read (see :func:`read_page`); None
            for no limit.
        threads: OpenCV's and LiteRT's threads in each reading process; None for
            one per CPU (a pool of N workers gives each its share of the CPUs).
        script, convert, layout: the reader's (see :class:`ocr_pipeline.reader.Reader`).
        doubtful: text only: the confidence under which a character is written as
            U+FFFD (:func:`ocr_pipeline.formats.mark_doubtful`); None for none.
    """

    fmt: str = "text"
    dpi: int = 200
    pages: PageRanges | None = None
    max_pixels: int = MAX_PIXELS
    model: str | None = None
    top_k: int = 3
    runtime: str = "auto"
    rules: str = "default"
    page_timeout: float | None = None
    threads: int | None = None
    script: str = "auto"
    convert: str | None = None
    layout: str = "horizontal"
    doubtful: float | None = None

    def fingerprint(self) -> dict[str, Any]:
        """The options that make an output what it is (not those of how it is made:
        its time limit, threads), as the summary records them for a re-run to compare."""
        return {
            "format": self.fmt,
            "dpi": self.dpi,
            "pages": None if self.pages is None else [list(r) for r in self.pages.ranges],
            "max_pixels": self.max_pixels,
            "model": model_identity(self.model),
            "runtime": self.runtime,
            "top_k": self.top_k,
            "rules": self.rules,
            "script": self.script,
            "convert": self.convert,
            "layout": self.layout,
            "doubtful": self.doubtful,
        }

    def new_reader(self) -> Reader:
        """A reader of these options, nothing loaded yet."""
        from ocr_pipeline.reader import Reader

        return Reader(self.model, top_k=self.top_k, runtime=self.runtime, rules=self.rules,
                      threads=self.threads, script=self.script, convert=self.convert,
                      layout=self.layout)  # fmt: skip

    def reader(self) -> Reader:
        """A reader of these options, its model loaded (raises ModelError if it cannot be)."""
        reader = self.new_reader()
        reader.preload()
        _ = reader.predictor
        return reader


@dataclass(frozen=True)
class Job:
    """One input and the file its output goes to."""

    source: Path
    output: Path


# -- planning ----------------------------------------------------------------------------


def plan(files: Sequence[Path], out_dir: Path, fmt: str) -> list[Job]:
    """The output file of each input: its name with the format's extension
    (``scan.pdf`` -> ``scan.txt``), or with its own extension kept when another input
    has the same stem (``a.png.txt``, ``a.jpg.txt``). An input given twice is read once.

    Raises:
        OutputError: two inputs of one name in different folders, or an output that
            would replace an input (``--format pdf`` into the inputs' own folder).
    """
    unique = list(dict.fromkeys(files, None))
    seen: set[Path] = set()
    inputs = []
    for f in unique:
        key = Path(os.path.abspath(f))
        if key not in seen:
            seen.add(key)
            inputs.append(f)
    ext = EXTENSIONS[fmt]
    stems = Counter(f.stem for f in {f.name: f for f in inputs}.values())
    jobs = [
        Job(f, out_dir / (f.stem + ext if stems[f.stem] == 1 else f.name + ext)) for f in inputs
    ]
    _check_plan(jobs, seen)
    return jobs


def _check_plan(jobs: list[Job], sources: set[Path]) -> None:
    by_output: dict[Path, Job] = {}
    for job in jobs:
        other = by_output.setdefault(job.output, job)
        if other is not job:
            raise OutputError(
                f"{other.source} and {job.source} would both be written to {job.output}; "
                "read inputs of the same name into different folders"
            )
        if Path(os.path.abspath(job.output)) in sources:
            raise OutputError(
                f"{job.output}: would replace the input {job.source}; give another -o folder"
            )


def model_identity(model: str | None) -> str:
    """What tells models apart in a fingerprint: the sha256 of the model file the
    argument means (so ``--model real`` and its path are the same model, and a model
    file replaced by a retrained one is not), else the path as given.

    >>> model_identity(None) == model_identity("default")
    True
    """
    from recognizer.runtime import shipped

    path = shipped(model)
    try:
        st = path.stat()
    except OSError:
        return str(model)
    if not stat.S_ISREG(st.st_mode):
        return str(path.resolve())
    return _file_digest(str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, once per process for each size and modification time."""
    from recognizer.runtime import file_sha256

    try:
        return "sha256:" + file_sha256(Path(path))
    except OSError:
        return path


def is_done(job: Job, earlier: Record | None, opts: ReadOptions) -> bool:
    """Whether ``job``'s output is there (outputs appear only complete) and was made
    from this input as it is now, with these options: ``earlier``, the input's record
    in the summary of the run that made it, read it whole ("done", or "skipped" by a
    run after that one), from a file of the same size and modification time, into the
    same format with the same options (:meth:`ReadOptions.fingerprint`)."""
    if earlier is None or earlier.get("status") not in ("done", "skipped"):
        return False
    try:
        out = job.output.stat()
    except OSError:
        return False
    return (
        stat.S_ISREG(out.st_mode)
        and earlier.get("output") == str(job.output)
        and earlier.get("input") == input_stamp(job.source)
        and earlier.get("options") == opts.fingerprint()
    )


def input_stamp(path: Path) -> dict[str, int] | None:
    """What tells whether an input changed: its size and modification time (ns)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def clear_partial(job: Job) -> int:
    """Remove the temporary files an earlier run killed while writing ``job``'s output
    left (:func:`ocr_pipeline.outputs.clear_stale`); return how many."""
    return clear_stale(job.output)


def count_pages(path: Path, pages: PageRanges | None) -> int:
    """The pages ``path`` is expected to give, for a progress bar: a PDF's (those of
    ``pages`` it has), 1 for an image or a file that cannot be opened (a FIFO or
    device is not opened: it could block)."""
    from ocr_pipeline.images import InputError, check_file, is_pdf

    try:
        check_file(path)
    except InputError:
        return 1
    if not is_pdf(path):
        return 1
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(str(path))
        try:
            n = len(pdf)
        finally:
            pdf.close()
    except Exception:  # noqa: BLE001 - the reader reports what is wrong with it
        return 1
    return n if pages is None else max(1, sum(1 for p in range(1, n + 1) if p in pages))


# -- reading one input -------------------------------------------------------------------


class PageError(InputError):
    """One page of an input could not be read (over its time limit, out of memory, a
    failure in the reading): the input's other pages still can be.

    Args:
        reason: what went wrong, starting with ``"page N: "``.
        path: the input.
        number: the page's number in it.
    """

    def __init__(self, reason: str, path: str | os.PathLike | None, number: int) -> None:
        super().__init__(reason, path)
        self.number = number


class PageTimeout(BaseException):
    """A page took longer than its time limit. A BaseException, as KeyboardInterrupt
    is, so that no ``except Exception`` in the reading swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Within: :class:`PageTimeout` is raised once ``seconds`` have passed (wall clock).

    SIGALRM interrupts Python code only: a single long call into OpenCV or LiteRT ends
    first (the calls of a page's steps are short; a page's reading is many of them).
    Where there is no SIGALRM (Windows) or outside the main thread, nothing is limited.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def on_alarm(signum, frame) -> None:
        raise PageTimeout

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def read_page(page: Page, reader: Reader, timeout: float | None = None) -> PageResult:
    """The page read, or a :class:`PageError` naming the page when reading it fails or
    takes more than ``timeout`` seconds (see :func:`time_limit`)."""
    try:
        with time_limit(timeout):
            return reader.read_page(page)
    except PageTimeout:
        reason = f"not read within the time limit of {timeout:g} s"
    except MemoryError:
        reason = "not enough memory to read it"
    except Exception as err:  # noqa: BLE001 - one page's failure must not lose the others
        reason = f"reading failed ({type(err).__name__}: {err}); please report this"
    raise PageError(f"page {page.number}: {reason}", page.source, page.number)


def writer_for(stream: IO, fmt: str, doubtful: float | None = None):
    """The page writer of a format: text formats (formats.py) or pdf (pdfout.py)."""
    if fmt == "pdf":
        from ocr_pipeline.pdfout import PdfPageWriter

        return PdfPageWriter(stream)
    from ocr_pipeline.formats import PageWriter

    return PageWriter(stream, fmt, doubtful)


def read_one(job: Job, reader: Reader, opts: ReadOptions, on_page=None) -> Record:
    """Read ``job.source`` page by page into ``job.output``, which appears only when
    every page is read, or every page but those that failed alone (over the time
    limit): the record lists them.

    Args:
        on_page: called with each page's number after it is read.

    Returns:
        The summary record: status "done", or "failed" with the error (and
        ``failed_pages``, the pages left out of the output, when only pages failed).

    Raises:
        OutputError: the output cannot be written (a full disk): the batch stops.
    """
    start = time.perf_counter()
    rec: Record = {"source": str(job.source), "output": str(job.output), "status": "done",
                   "pages": 0, "chars": 0, "input": input_stamp(job.source),
                   "options": opts.fingerprint()}  # fmt: skip
    with AtomicFile(job.output, binary=opts.fmt == "pdf") as target:
        try:
            writer = writer_for(target.file, opts.fmt, opts.doubtful)
            _write_pages(job, reader, opts, writer, rec, on_page)
            writer.close()
            if writer.pages:
                target.commit()
            else:
                rec["output"] = None
        except InputError as err:
            rec.update(status="failed", output=None, error=err.reason)
        except OSError as err:
            raise OutputError(f"{job.output}: cannot write: {err.strerror or err}") from None
    rec["seconds"] = round(time.perf_counter() - start, 3)
    rec["rss_mb"] = peak_rss_mb()
    rec["pid"] = os.getpid()
    return rec


def _write_pages(job: Job, reader: Reader, opts: ReadOptions, writer, rec: Record, on_page):
    """Read and write each page of ``job``, counting them in ``rec``; a page that fails
    alone (:class:`PageError`) is left out and noted in ``rec``."""
    from ocr_pipeline.images import load_pages

    for page in load_pages(job.source, opts.dpi, opts.pages, opts.max_pixels):
        if page.note:
            rec.setdefault("notes", []).append(page.note)
        try:
            res = read_page(page, reader, opts.page_timeout)
        except PageError as err:
            rec.update(status="failed", error=rec.get("error", err.reason))
            rec.setdefault("failed_pages", []).append(err.number)
            del page
            continue
        writer.page(res, page)
        rec["pages"] += 1
        rec["chars"] += sum(len(ln.chars) for ln in res.lines)
        if on_page is not None:
            on_page(page.number)
        del page, res  # the next page is loaded before the loop variable is rebound


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- running a batch ---------------------------------------------------------------------


def run(
    jobs: Sequence[Job],
    opts: ReadOptions,
    workers: int = 1,
    on_page: OnPage | None = None,
    reader: Reader | None = None,
) -> Generator[tuple[int, Record], None, None]:
    """Read every job, yielding (index of the job, its record) as each is finished.

    Args:
        jobs: what to read (see :func:`plan`; skipping done jobs is the caller's).
        opts: how to read and write.
        workers: 1 reads in this process (with ``reader`` if given); more share the
            jobs out to that many worker processes, in order.
        on_page: called with (index of the job, page number) after each page.

    Raises:
        BatchError: the model cannot be used, an output cannot be written, or a
            worker cannot start; the workers are stopped first.
    """
    if workers <= 1 or len(jobs) <= 1:
        return _run_here(jobs, opts, on_page, reader)
    return _run_pool(jobs, opts, workers, on_page)


def _run_here(jobs, opts, on_page, reader) -> Generator[tuple[int, Record], None, None]:
    from recognizer.runtime import ModelError

    try:
        reader = reader or opts.reader()
    except ModelError as err:
        raise BatchError(str(err)) from None
    for i, job in enumerate(jobs):
        pager = None if on_page is None else (lambda n, i=i: on_page(i, n))
        try:
            yield i, read_one(job, reader, opts, pager)
        except OutputError as err:
            raise BatchError(str(err)) from None


def cpu_count() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _context():
    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    ctx = mp.get_context(method)
    if method == "forkserver":
        # workers fork from a server that has imported the reader's libraries once
        ctx.set_forkserver_preload(["ocr_pipeline.reader"])
    return ctx


def _worker(wid: int, opts: ReadOptions, tasks, events) -> None:  # pragma: no cover - in a child
    """A worker process: build a reader, then read the jobs sent until None comes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process stops us on Ctrl-C
    signal.signal(signal.SIGTERM, _exit_on_term)  # SystemExit: the temporary file is removed
    try:
        if opts.threads:
            import cv2

            cv2.setNumThreads(opts.threads)  # this process's share of the CPUs
        reader = opts.reader()
    except Exception as err:  # noqa: BLE001 - the main process reports it and stops
        events.put(("fatal", wid, str(err) or type(err).__name__))
        return
    events.put(("ready", wid))
    parent = mp.parent_process()

    def on_page(i: int, n: int) -> None:
        if parent is not None and not parent.is_alive():
            sys.exit(0)  # the main process was killed: stop now; the partial file is removed
        events.put(("page", wid, i, n))

    while (task := _next_task(tasks)) is not None:
        i, job = task
        try:
            rec = read_one(job, reader, opts, lambda n, i=i: on_page(i, n))
        except OutputError as err:
            events.put(("fatal", wid, str(err)))
            return
        events.put(("done", wid, i, rec))


def _next_task(tasks):  # pragma: no cover - in a child
    """The next job, or None when told to stop or when the main process is gone (killed:
    nobody would read what this worker writes)."""
    parent = mp.parent_process()
    while True:
        try:
            return tasks.get(timeout=1.0)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                return None


def _exit_on_term(signum, frame) -> None:  # pragma: no cover - in a child
    sys.exit(128 + signum)


class _Pool:
    """Worker processes, each with its own task queue, so that the main process
    knows which job each is reading (and fails that one if the worker dies)."""

    def __init__(self, opts: ReadOptions, size: int) -> None:
        self.ctx = _context()
        self.opts = opts
        self.events = self.ctx.Queue()
        self.procs: dict[int, tuple[Any, Any]] = {}
        self.ready: set[int] = set()
        self.busy: dict[int, int] = {}  # worker -> index of the job it reads
        self.since: dict[int, float] = {}  # worker -> when it began its current page
        self.hung: dict[int, str] = {}  # worker -> why it was killed
        self.next_id = 0
        for _ in range(size):
            self.start()

    def start(self) -> None:
        wid, self.next_id = self.next_id, self.next_id + 1
        tasks = self.ctx.Queue()
        proc = self.ctx.Process(
            target=_worker, args=(wid, self.opts, tasks, self.events), name=f"pageocr-{wid}"
        )
        proc.daemon = True
        proc.start()
        self.procs[wid] = (proc, tasks)

    def idle(self) -> list[int]:
        return [w for w in sorted(self.ready) if w not in self.busy]

    def give(self, wid: int, i: int, job: Job) -> None:
        self.busy[wid] = i
        self.since[wid] = time.monotonic()
        self.procs[wid][1].put((i, job))

    def stop_hung(self, timeout: float | None) -> None:
        """Kill the workers that have read one page for longer than ``timeout`` plus
        :data:`HUNG_GRACE` seconds (stuck in one call that the time limit cannot stop)."""
        if not timeout:
            return
        limit = timeout + HUNG_GRACE
        now = time.monotonic()
        for wid in list(self.busy):
            proc = self.procs[wid][0]
            if now - self.since.get(wid, now) > limit and proc.is_alive():
                log.warning("worker %s has read one page for over %g s: stopping it", wid, limit)
                proc.kill()
                proc.join(STOP_GRACE)
                self.hung[wid] = (
                    f"a page took over {limit:g} s (--page-timeout {timeout:g} s could not "
                    "stop one long call): its worker was stopped"
                )

    def dead(self) -> list[tuple[int | None, int | None, bool, str | None]]:
        """Workers that stopped, forgotten: (the job each was reading or None, its exit
        code, whether it had been ready, why it was killed if it was)."""
        out = []
        for wid, (proc, _) in list(self.procs.items()):
            if not proc.is_alive():
                why = self.hung.pop(wid, None)
                out.append((self.busy.pop(wid, None), proc.exitcode, wid in self.ready, why))
                self.ready.discard(wid)
                self.since.pop(wid, None)
                del self.procs[wid]
        return out

    def close(self, wait: bool) -> None:
        """Stop the workers: when ``wait``, after their last job; else at once (SIGTERM,
        which removes their temporary files; SIGKILL after :data:`STOP_GRACE` s)."""
        for proc, tasks in self.procs.values():
            if wait:
                tasks.put(None)
            elif proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + STOP_GRACE
        for proc, _ in self.procs.values():
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join()


def _run_pool(jobs, opts, workers, on_page) -> Generator[tuple[int, Record], None, None]:
    todo = deque(enumerate(jobs))
    size = min(workers, len(jobs))
    if opts.threads is None:
        opts = dataclasses.replace(opts, threads=max(1, cpu_count() // size))
    pool = _Pool(opts, size)
    finished = False
    try:
        while todo or pool.busy:
            for wid in pool.idle():
                if todo:
                    pool.give(wid, *todo.popleft())
            yield from _events(pool, jobs, on_page, bool(todo))
        finished = True
    finally:
        pool.close(wait=finished)


def _events(pool: _Pool, jobs, on_page, more: bool) -> list[tuple[int, Record]]:
    """The records finished by the next event (waiting up to half a second for it),
    and those of the jobs whose workers died (the workers replaced while jobs remain)."""
    out = []
    try:
        ev = pool.events.get(timeout=0.5)
    except queue.Empty:
        ev = ("none", None)
    kind, wid = ev[0], ev[1]
    if kind == "fatal":
        raise BatchError(ev[2])
    if kind == "ready":
        pool.ready.add(wid)
    elif kind == "page" and pool.busy.get(wid) == ev[2]:
        pool.since[wid] = time.monotonic()
        if on_page is not None:
            on_page(ev[2], ev[3])
    elif kind == "done" and pool.busy.get(wid) == ev[2]:
        del pool.busy[wid]
        out.append((ev[2], ev[3]))
    pool.stop_hung(pool.opts.page_timeout)
    return out + _dead(pool, jobs, more)


def _dead(pool: _Pool, jobs, more: bool) -> list[tuple[int, Record]]:
    out = []
    for i, code, was_ready, why in pool.dead():
        if not was_ready:
            raise BatchError(f"a worker process stopped as it started (exit code {code})")
        if i is not None:
            log.info("a worker died (exit code %s) reading %s", code, jobs[i].source)
            job = jobs[i]
            clear_stale(job.output)  # killed, it could not remove its temporary file
            error = why or f"the worker process reading it stopped (exit code {code})"
            rec = {"source": str(job.source), "output": None, "status": "failed",
                   "pages": 0, "chars": 0, "seconds": None, "error": error}  # fmt: skip
            out.append((i, rec))
        if more or pool.busy:
            pool.start()
    return out


# -- the summary -------------------------------------------------------------------------


class Summary:
    """The JSONL summary of a batch: one record per input, written as each is done.

    It describes the latest run: :meth:`open` replaces the file whole with the
    records of the inputs skipped (carrying over their pages and characters from
    the summary it replaces), then each record is appended and flushed as it comes,
    so a run that is killed keeps the records of what it finished.

    Args:
        path: the summary file (:data:`SUMMARY_NAME` in the output folder).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.earlier = self._earlier()
        self.file: IO[str] | None = None

    def _earlier(self) -> dict[str, Record]:
        """The records of the summary already there, by source (unreadable lines, such as
        the last line of a run killed as it wrote it, are left out)."""
        out: dict[str, Record] = {}
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return out
        for line in text.splitlines():
            with contextlib.suppress(ValueError, TypeError, KeyError):
                rec = json.loads(line)
                out[rec["source"]] = rec
        return out

    def is_done(self, job: Job, opts: ReadOptions) -> bool:
        """Whether ``job``'s output is there, made from its input as it is now with
        ``opts`` (see :func:`is_done`)."""
        return is_done(job, self.earlier.get(str(job.source)), opts)

    def skipped(self, job: Job) -> Record:
        """The record of an input whose output is already there (what tells that it
        is carried over for the next run)."""
        old = self.earlier.get(str(job.source), {})
        return {"source": str(job.source), "output": str(job.output), "status": "skipped",
                "pages": old.get("pages"), "chars": old.get("chars"), "seconds": 0.0,
                "input": old.get("input"), "options": old.get("options")}  # fmt: skip

    def open(self, first: Iterable[Record]) -> None:
        """Replace the summary with ``first`` records, then keep it open to append.

        Raises:
            OutputError: it cannot be written.
        """
        with AtomicFile(self.path) as out:
            try:
                out.file.writelines(_line(rec) for rec in first)
            except OSError as err:
                raise OutputError(f"{self.path}: cannot write: {err.strerror or err}") from None
            out.commit()
        try:
            self.file = open(self.path, "a", encoding="utf-8")
        except OSError as err:
            raise OutputError(f"{self.path}: cannot write: {err.strerror or err}") from None

    def add(self, rec: Record) -> None:
        """Append one record and flush it."""
        assert self.file is not None, "open() first"
        try:
            self.file.write(_line(rec))
            self.file.flush()
        except OSError as err:
            raise OutputError(f"{self.path}: cannot write: {err.strerror or err}") from None

    def close(self) -> None:
        if self.file is not None:
            with contextlib.suppress(OSError):
                self.file.close()
            self.file = None


def _line(rec: Record) -> str:
    return json.dumps(rec, ensure_ascii=False) + "\n"
