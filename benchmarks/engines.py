"""The OCR engines the corpus is read by: pageocr, Tesseract 5 (``chi_sim``) and RapidOCR
(PP-OCRv4 mobile models inside the ``rapidocr-onnxruntime`` wheel), each as one process per
image so that start-up and model loading count, as they do for a user."""

from __future__ import annotations

import importlib.util
import sys

from ocr_pipeline.bench import Engine, pageocr_engine, pageocr_in_process, tesseract_engine

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


def engines(names: list[str], in_process: bool = False, threads: int = 0
            ) -> tuple[list[Engine], dict[str, str]]:  # fmt: skip
    """The engines asked for that can run, and {name: why not} for the others."""
    out, missing = [], {}
    for name in names:
        if name == "pageocr":
            out.append(pageocr_in_process() if in_process else pageocr_engine())
            continue
        eng, why = tesseract_engine(threads) if name == "tesseract" else rapidocr_engine()
        if eng is None:
            missing[name] = why
        else:
            out.append(eng)
    return out, missing
