"""Export a trained run: SavedModel, TFLite fp32 and int8, each with its sidecar JSON.

Every exported file is self-describing: ``X.tflite`` sits beside ``X.json``
holding the charset, input size, normalisation, format version and the
.tflite file's sha256.  Export checks
itself: the converted model's top-1 must agree with Keras on a sample batch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.charset import REJECT
from recognizer.runtime import _LiteRT, softmax

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class ExportError(RuntimeError):
    """Export failed or the exported model disagrees with Keras."""


@dataclass
class Parity:
    """How a converted model compares with Keras on the same crops."""

    n: int
    agreement: float
    max_prob_diff: float


#: Crops per forward pass in the parity check.
BATCH = 256


def sidecar(info: dict, precision: str, model_bytes: bytes | None = None) -> dict:
    """The JSON beside an exported model; with ``model_bytes`` (a .tflite file's), their
    sha256, which the runtime checks before loading the file."""
    side = {
        "format": FORMAT_VERSION,
        "model": info.get("model", ""),
        "precision": precision,
        "input_size": info["input_size"],
        "input": "float32 (N, S, S, 1): white ink on black, pixel values 0..255 "
        "(the model rescales); output: (N, C) logits, softmax them",
        "charset": info["charset"],
        "version": info.get("version", "1"),
    }
    chars = info["charset"]["chars"]
    if REJECT in chars:
        side["reject"] = {
            "char": REJECT,
            "id": chars.index(REJECT),
            "meaning": "not a character: a cut of a picture, rule, shading or noise; the "
            "reader scores paths without this class and drops the characters it wins",
        }
    if model_bytes is not None:
        side["sha256"] = hashlib.sha256(model_bytes).hexdigest()
    return side


def parity(keras_logits: np.ndarray, other_logits: np.ndarray) -> Parity:
    """Top-1 agreement and max probability difference between two sets of logits."""
    a, b = softmax(keras_logits), softmax(other_logits)
    agree = float((a.argmax(1) == b.argmax(1)).mean())
    return Parity(len(a), agree, float(np.abs(a - b).max()))


def tflite_logits(path: Path, x: np.ndarray) -> np.ndarray:
    """Logits of a TFLite file for crops float32 (N, S, S, 1), through the runtime's LiteRT path."""
    run = _LiteRT(path)
    return np.concatenate(
        [run(x[i : i + BATCH].astype(np.float32)) for i in range(0, len(x), BATCH)]
    )


def _representative(crops: np.ndarray):
    """Calibration generator for full-integer quantisation: one crop at a time."""
    return lambda: ([c[None].astype(np.float32)] for c in crops)


def export_run(
    run_dir: Path,
    out: Path,
    sample: np.ndarray,
    precisions: tuple[str, ...] = ("fp32", "int8"),
    representative: np.ndarray | None = None,
    min_agreement: float = 0.99,
) -> dict[str, Parity]:
    """Export ``run_dir/model.keras`` into ``out``.

    Args:
        run_dir: a run folder holding model.keras and model.json.
        out: output folder (created): saved_model/, model-fp32.tflite, model-int8.tflite
            (dynamic range) or model-int8full.tflite (full integer), each with a .json.
        sample: float32 crops (N, S, S, 1), 0..255, for the parity check.
        precisions: any of "fp32", "int8" (dynamic-range), "int8full".
        representative: crops for full-integer calibration (default: ``sample``).
        min_agreement: the least top-1 agreement with Keras accepted.

    Returns:
        Parity per precision.

    Raises:
        ExportError: a missing model, a failed conversion, or agreement below the bar.
    """
    import keras

    model_path = run_dir / "model.keras"
    if not model_path.is_file():
        raise ExportError(f"{run_dir} has no model.keras; finish training first")
    info = json.loads((run_dir / "model.json").read_text(encoding="utf-8"))
    model = keras.saving.load_model(model_path, safe_mode=True, compile=False)
    saved = _export_saved_model(model, info, out)
    ref = _keras_logits(model, sample)
    rep = representative if representative is not None else sample
    results = {}
    for precision in precisions:
        path = out / f"model-{precision}.tflite"
        _write_tflite(_converter(saved, precision, rep), info, precision, path)
        p = parity(ref, tflite_logits(path, sample))
        results[precision] = p
        if p.agreement < min_agreement:
            raise ExportError(
                f"{path.name}: top-1 agrees with Keras on only {p.agreement:.2%} of {p.n} crops"
            )
    return results


def _export_saved_model(model, info: dict, out: Path) -> Path:
    """Write ``model`` as ``out/saved_model`` (replacing an earlier one) with its fp32
    sidecar; return its folder."""
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "saved_model"
    if saved.exists():
        shutil.rmtree(saved)
    model.export(str(saved), verbose=False)
    (saved / "model.json").write_text(json.dumps(sidecar(info, "fp32"), ensure_ascii=False))
    return saved


def _keras_logits(model, x: np.ndarray) -> np.ndarray:
    """The Keras model's logits (N, C) of crops ``x`` float32 (N, S, S, 1), in batches."""
    return np.concatenate(
        [model(x[i : i + BATCH], training=False).numpy() for i in range(0, len(x), BATCH)]
    )


def _converter(saved: Path, precision: str, representative: np.ndarray):
    """The TFLite converter of the SavedModel in ``saved`` to ``precision``; int8full
    calibrates on ``representative`` (float32 crops (N, S, S, 1), 0..255).

    Raises:
        ExportError: an unknown precision.
    """
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    if precision in ("int8", "int8full"):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "int8full":
        conv.representative_dataset = _representative(representative)
    elif precision not in ("fp32", "int8"):
        raise ExportError(f"unknown precision {precision!r}")
    return conv


def _write_tflite(conv, info: dict, precision: str, path: Path) -> None:
    """Convert, and write the model to ``path`` and its sidecar beside it (.json)."""
    flat = conv.convert()
    path.write_bytes(flat)
    path.with_suffix(".json").write_text(
        json.dumps(sidecar(info, precision, flat), ensure_ascii=False), encoding="utf-8"
    )
