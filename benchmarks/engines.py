"""The OCR engines the corpus is read by: pageocr, Tesseract 5 (``chi_sim``) and RapidOCR
(PP-OCRv4 mobile models inside the ``rapidocr-onnxruntime`` wheel), each as one process per
image so that start-up and model loading count, as they do for a user."""

from __future__ import annotations

import compileall
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# ------------------------------------------------------------------------ engines


@dataclass(frozen=True)
class Engine:
    """An OCR program run once per image; ``{image}`` in argv is the image path.

    ``env`` holds variables added to the environment of the process.  With
    ``reader`` (image path -> text) the engine runs in this process instead.
    """

    name: str
    argv: tuple[str, ...]
    timeout: float = 600.0
    env: tuple[tuple[str, str], ...] = ()
    reader: Callable[[Path], str] | None = None

    def command(self, image: Path) -> list[str]:
        return [a.replace("{image}", str(image)) for a in self.argv]


@dataclass(frozen=True)
class RunResult:
    """Output of one engine run: text, wall seconds, and an error message or ''."""

    text: str
    seconds: float
    error: str = ""


def run_engine(engine: Engine, image: Path) -> RunResult:
    """Run an engine on one image in its own process (or, with a ``reader``, in this
    one) and time it (wall clock)."""
    t0 = time.perf_counter()
    if engine.reader is not None:
        try:
            text = engine.reader(image)
        except Exception as err:  # noqa: BLE001 - one page's failure is scored, not raised
            return RunResult("", time.perf_counter() - t0, f"{type(err).__name__}: {err}")
        return RunResult(text, time.perf_counter() - t0)
    try:
        res = subprocess.run(engine.command(image), capture_output=True, timeout=engine.timeout,
                             env={**os.environ, **dict(engine.env)})  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as err:
        return RunResult("", time.perf_counter() - t0, str(err))
    seconds = time.perf_counter() - t0
    text = res.stdout.decode("utf-8", errors="replace")
    if res.returncode != 0:
        last = res.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
        return RunResult(text, seconds, f"exit {res.returncode}: {last[0]}")
    return RunResult(text, seconds)


#: pageocr's packages, compiled to bytecode before pages are timed (:func:`warm_up`).
PACKAGES = ("ocr_pipeline", "segmentation", "recognizer")


def warm_up(engines: Sequence[Engine], image: Path) -> None:
    """Bring the machine to the state of an installed tool that has run once, before
    timing: pageocr's modules compiled to bytecode (pip compiles an installed wheel;
    an editable install run under PYTHONDONTWRITEBYTECODE would compile them again in
    every timed process, ~50 ms here), then one untimed run of each engine on
    ``image`` so that both find their model files in the page cache."""
    root = Path(__file__).resolve().parents[1]
    for pkg in PACKAGES:
        compileall.compile_dir(root / pkg, quiet=2)
    for eng in engines:
        run_engine(eng, image)


def pageocr_engine(model: Path | None = None, rules: str = "default") -> Engine:
    """``python -m ocr_pipeline.cli read IMAGE`` (model loading included in the time),
    with the reading rules' profile ``rules`` (``read --rules``)."""
    argv: tuple[str, ...] = (sys.executable, "-m", "ocr_pipeline.cli", "read", "{image}")
    argv += ("--model", str(model)) if model else ()
    return Engine("pageocr", argv + (("--rules", rules) if rules != "default" else ()))


def pageocr_in_process(model: Path | None = None, rules: str = "default") -> Engine:
    """pageocr reading in this process, as ``pageocr read`` does, with one model loaded
    once: no start-up or model loading per page, so its times are not the bars'. For
    development pages, where only the text counts."""
    from ocr_pipeline.formats import render
    from ocr_pipeline.reader import Reader

    reader = Reader(model, rules=rules)

    def read(image: Path) -> str:
        return render(reader.read(image), "text")

    return Engine("pageocr", ("in-process",), reader=read)


def tesseract_engine(threads: int = 0, lang: str = "chi_sim") -> tuple[Engine | None, str]:
    """Tesseract 5 with ``lang`` (``chi_sim``), or None and the reason it cannot run.

    Args:
        threads: OMP_THREAD_LIMIT for Tesseract; 0 keeps its default (all cores).
        lang: the traineddata read with (``chi_tra`` for traditional Chinese).
    """
    exe = shutil.which("tesseract")
    if exe is None:
        return None, "tesseract is not installed (apt-get install tesseract-ocr-chi-sim)"
    try:
        langs = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as err:
        return None, f"tesseract does not run: {err}"
    if lang not in (langs.stdout + langs.stderr).split():
        package = "tesseract-ocr-" + lang.replace("_", "-")
        return None, f"tesseract has no {lang} data (apt-get install {package})"
    env = (("OMP_THREAD_LIMIT", str(threads)),) if threads > 0 else ()
    return Engine("tesseract", (exe, "{image}", "stdout", "-l", lang), env=env), ""


def tesseract_version() -> str:
    """First line of ``tesseract --version`` ('' if unavailable)."""
    try:
        res = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=60)
        return (res.stdout or res.stderr).splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return ""


NAMES = ("pageocr", "tesseract", "rapidocr")

#: Runs RapidOCR on argv[1] and prints its lines top to bottom.
_RAPIDOCR = (
    "import sys\n"
    "from rapidocr_onnxruntime import RapidOCR\n"
    "result, _ = RapidOCR()(sys.argv[1])\n"
    "print('\\n'.join(r[1] for r in (result or [])))\n"
)


def rapidocr_engine() -> tuple[Engine | None, str]:
    """RapidOCR in its own process, or None and the reason it cannot run."""
    if importlib.util.find_spec("rapidocr_onnxruntime") is None:
        return None, "rapidocr is not installed (pip install rapidocr-onnxruntime)"
    return Engine("rapidocr", (sys.executable, "-c", _RAPIDOCR, "{image}")), ""


def engines(names: list[str], in_process: bool = False, threads: int = 0,
            model: Path | None = None) -> tuple[list[Engine], dict[str, str]]:  # fmt: skip
    """The engines asked for that can run, and {name: why not} for the others
    (``model``: pageocr's, a shipped name or an exported file or folder)."""
    out, missing = [], {}
    for name in names:
        if name == "pageocr":
            out.append(pageocr_in_process(model) if in_process else pageocr_engine(model))
            continue
        eng, why = tesseract_engine(threads) if name == "tesseract" else rapidocr_engine()
        if eng is None:
            missing[name] = why
        else:
            out.append(eng)
    return out, missing
