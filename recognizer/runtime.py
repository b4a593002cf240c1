"""One predictor, two runtimes: character crops in, class probabilities out.

A model artefact is a file plus its sidecar of the same stem with ``.json``
(charset, input size, normalisation, version, and the sha256 of a ``.tflite``
file, checked before the file is loaded, so a model corrupted on disk is refused
rather than read into garbage):

* ``model.tflite`` run by LiteRT (``ai-edge-litert``): the default, light and
  fast on a CPU; this path never imports TensorFlow.
* ``model.keras`` (or a SavedModel folder) run by TensorFlow: chosen with
  ``runtime="tf"``, or automatically when TensorFlow sees a GPU.

The shipped model lives in ``recognizer/models/`` and is used when no path is
given.

>>> p = Predictor()                                   # doctest: +SKIP
>>> ids, probs = p.topk(crops, k=3)                   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognizer.charset import Charset, CharsetError

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"
#: The model read with unless another is asked for (``--model default`` names it too):
#: ``real``, the synthetic-only ``synth`` fine-tuned on crops cut from real pages
#: (recognizer/models/MODEL_CARD.md).
DEFAULT_MODEL = MODELS_DIR / "real.tflite"


class ModelError(ValueError):
    """A model artefact that cannot be used."""


@dataclass(frozen=True)
class ModelInfo:
    """What travels with the weights (the sidecar JSON)."""

    charset: Charset
    input_size: int
    name: str = ""
    version: str = ""
    #: hex sha256 of the model file, if the sidecar records it (export writes it for
    #: .tflite files; older sidecars lack it)
    sha256: str = ""

    @classmethod
    def read(cls, model_path: Path) -> ModelInfo:
        side = (
            model_path.with_suffix(".json") if model_path.is_file() else model_path / "model.json"
        )
        if not side.is_file():
            raise ModelError(f"{model_path} has no sidecar {side.name} (charset, input size)")
        try:
            d = json.loads(side.read_text(encoding="utf-8"))
            charset = Charset(d["charset"]["chars"], d["charset"].get("spec", "custom"))
            size = int(d["input_size"])
            if not 8 <= size <= 1024:
                raise ValueError(f"input_size {size} is not between 8 and 1024")
            digest = str(d.get("sha256", "")).lower()
            return cls(charset, size, d.get("model", ""), str(d.get("version", "")), digest)
        except (ValueError, KeyError, TypeError, CharsetError) as err:
            raise ModelError(f"{side} is not a valid model description: {err}") from None
        except OSError as err:
            raise ModelError(f"{side}: cannot read: {err.strerror or err}") from None


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file (~4 ms for the shipped default model)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Crops per invocation: small batches stay in the CPU's caches under LiteRT (32 ran
#: 1.2-1.3x faster than 256 here); TensorFlow, on a GPU above all, wants large ones.
BATCH_SIZE = {"litert": 32, "tf": 256}


def shipped_names() -> list[str]:
    """Names of the models shipped in the package (``default``, ``fast``, ...)."""
    return sorted({"default", *(p.stem for p in MODELS_DIR.glob("*.tflite"))})


def shipped(name: str | os.PathLike | None) -> Path:
    """The path a model argument means: None and ``default`` are the default model, a
    bare name such as ``fast`` that is not a file here is the shipped model of that
    name, anything else a path."""
    if name is None:
        return DEFAULT_MODEL
    path = Path(name)
    if not path.exists() and path.name == str(name) and not path.suffix:
        candidate = DEFAULT_MODEL if name == "default" else MODELS_DIR / f"{name}.tflite"
        if candidate.is_file():
            return candidate
    return path


def gpu_visible() -> bool:
    """True when TensorFlow is installed and sees a GPU (imports it only if installed)."""
    import importlib.util

    try:
        if importlib.util.find_spec("tensorflow") is None:
            return False
    except (ValueError, ImportError):
        return False
    try:
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    except ImportError:
        return False


class PredictorWrapper:
    """A crop predictor that changes another's probabilities: it has the inner one's
    classes and crop size; subclasses define ``predict``.

    Args:
        inner: any crop predictor (:class:`Predictor`, a test fake, another wrapper).
    """

    def __init__(self, inner) -> None:
        self.inner = inner

    @property
    def charset(self) -> Charset:
        return self.inner.charset

    @property
    def input_size(self) -> int:
        return self.inner.input_size

    def predict(self, crops: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Predictor:
    """Classifies batches of crops with LiteRT or TensorFlow.

    Args:
        path: a ``.tflite`` or ``.keras`` file (with its sidecar JSON), a run folder,
            an export folder (``pageocr export -o DIR``) or a SavedModel folder; None
            for the shipped model.
        runtime: ``"auto"`` (LiteRT unless a GPU is visible and a TF model
            exists), ``"litert"`` or ``"tf"``.
        batch_size: crops per invocation; default ``BATCH_SIZE`` of the runtime.
        threads: LiteRT's threads; default one per CPU (a process of a batch that
            reads N inputs side by side takes its share).
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        runtime: str = "auto",
        batch_size: int | None = None,
        threads: int | None = None,
    ) -> None:
        if runtime not in ("auto", "litert", "tf"):
            raise ModelError(f"unknown runtime {runtime!r}; use auto, litert or tf")
        try:
            path = self._locate(shipped(path), runtime)
            self.info = ModelInfo.read(path)
            if self.info.sha256 and path.suffix == ".tflite" and path.is_file():
                if file_sha256(path) != self.info.sha256:
                    raise ModelError(
                        f"{path} is not a valid TFLite model: its sha256 is not the one its "
                        "sidecar records (the file is corrupt or was changed)"
                    )
        except OSError as err:
            raise ModelError(f"model {path}: {(err.strerror or str(err)).lower()}") from None
        self.path = path
        self.runtime = "litert" if path.suffix == ".tflite" else "tf"
        self.batch_size = batch_size or BATCH_SIZE[self.runtime]
        self._run: _LiteRT | _TensorFlow
        if self.runtime == "litert":
            self._run = _LiteRT(path, threads)
        else:
            self._run = _TensorFlow(path)
        n_out = self._run.num_outputs
        if n_out != len(self.info.charset):
            raise ModelError(
                f"{path} outputs {n_out} classes but its charset has {len(self.info.charset)}"
            )
        self._check_blank_crop()

    @classmethod
    def _locate(cls, path: Path, runtime: str) -> Path:
        """The artefact file a model argument names; ModelError if there is none."""
        if not path.exists():
            if path == DEFAULT_MODEL:
                raise ModelError(
                    f"no shipped model in this install (recognizer/models/{DEFAULT_MODEL.name})"
                )
            raise ModelError(
                f"model {path} does not exist (shipped models: {', '.join(shipped_names())})"
            )
        return cls._resolve(path, runtime)

    def _check_blank_crop(self) -> None:
        """Refuse a model whose input is not the sidecar's ``input_size`` or that gives
        no finite logits for a blank crop (a model whose weights were damaged)."""
        s, n = self.input_size, len(self.info.charset)
        shape = self._run.input_shape
        if shape is not None and None not in shape and tuple(shape) != (s, s, 1):
            raise ModelError(
                f"{self.path} takes crops of shape {tuple(shape)} but its sidecar says "
                f"input_size {s}, i.e. ({s}, {s}, 1)"
            )
        try:
            out = np.asarray(self._run(np.zeros((1, s, s, 1), np.float32)))
        except Exception as err:  # noqa: BLE001 - each runtime raises its own types
            raise ModelError(
                f"{self.path} fails on a crop of the sidecar's input_size {s}: {err}"
            ) from None
        if out.shape != (1, n) or not np.isfinite(out).all():
            raise ModelError(
                f"{self.path} gives {'non-finite ' if out.shape == (1, n) else ''}output of "
                f"shape {out.shape} for a blank crop; expected finite (1, {n})"
            )

    @staticmethod
    def _resolve(path: Path, runtime: str) -> Path:
        """Pick the artefact file inside a folder, honouring the runtime asked for: a run
        folder's ``model.tflite`` / ``model.keras``, an export folder's (what ``pageocr
        export`` writes) ``model-int8.tflite``, ``-fp32``, ``-int8full`` or its
        ``saved_model/``, or a SavedModel folder itself."""
        if path.is_file():
            return path
        lite = [path / f"model{s}.tflite" for s in ("", "-int8", "-fp32", "-int8full")]
        tf = [
            path / "model.keras",
            path / "saved_model" / "saved_model.pb",
            path / "saved_model.pb",
        ]
        want_tf = runtime == "tf" or (runtime == "auto" and gpu_visible())
        for c in [*tf, *lite] if want_tf else [*lite, *tf]:
            if c.is_file():
                return c if c.suffix != ".pb" else c.parent
        raise ModelError(
            f"{path} holds no model: expected a run folder's model.tflite or model.keras, an "
            "export folder's model-int8.tflite, model-fp32.tflite, model-int8full.tflite or "
            "saved_model/ (pageocr export -o DIR), or a SavedModel's saved_model.pb"
        )

    @property
    def charset(self) -> Charset:
        return self.info.charset

    @property
    def input_size(self) -> int:
        return self.info.input_size

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """Probabilities for a batch of crops.

        Args:
            crops: uint8 or float array (N, S, S) or (N, S, S, 1), white ink on
                black, values 0..255, S the model's input size.

        Identical crops are classified once: a screenshot draws each character
        of a font the same way every time, so a page of screen text holds the
        same crop many times (30-50% of a page's crops).

        Returns:
            float32 array (N, C) of probabilities (rows sum to 1).
        """
        x = np.asarray(crops, np.float32)
        if x.ndim == 3:
            x = x[..., None]
        s = self.input_size
        if x.ndim != 4 or x.shape[1:] != (s, s, 1):
            raise ValueError(f"crops must be (N, {s}, {s}[, 1]); got {x.shape}")
        if len(x) == 0:
            return np.zeros((0, len(self.charset)), np.float32)
        keep, inverse = unique_rows(x)
        if len(keep) < len(x):
            x = x[keep]
        out = [self._run(x[i : i + self.batch_size]) for i in range(0, len(x), self.batch_size)]
        probs = softmax(np.concatenate(out).astype(np.float32, copy=False), in_place=True)
        return probs if len(keep) == len(inverse) else probs[inverse]

    def topk(self, crops: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """Top-k class ids (N, k) and their probabilities (N, k), best first."""
        probs = self.predict(crops)
        ids = top_ids(probs, k)
        return ids, np.take_along_axis(probs, ids, axis=1)


def unique_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First occurrences of the distinct items of ``x`` (N, ...) and each item's
    index among them: ``x[keep][inverse]`` equals ``x``, in the original order."""
    seen: dict[bytes, int] = {}
    keep: list[int] = []
    inverse = np.empty(len(x), np.intp)
    for n, row in enumerate(x):
        j = seen.setdefault(row.tobytes(), len(keep))
        if j == len(keep):
            keep.append(n)
        inverse[n] = j
    return np.asarray(keep, np.intp), inverse


def top_ids(probs: np.ndarray, k: int) -> np.ndarray:
    """Ids of the k largest values of each row, largest first: int (N, k).

    A few arg-max passes for small k, else a partial sort: a full sort over
    thousands of classes per crop costs more than the model's int8 forward pass.
    The passes mask each maximum in a float array itself and put the values back
    after (a copy of a page's probabilities, ~18 MB, cost more than the passes).
    """
    n, c = probs.shape
    k = min(k, c)
    if k == 0 or n == 0:
        return np.zeros((n, k), np.int64)
    if k <= ARGMAX_PASSES:
        in_place = probs.dtype.kind == "f" and probs.flags.writeable
        work = probs if in_place else np.array(probs, np.float64)
        out = np.empty((n, k), np.int64)
        saved = np.empty((n, k), work.dtype)
        rows = np.arange(n)
        masked = 0
        try:
            for j in range(k):
                out[:, j] = work.argmax(axis=1)
                saved[:, j] = work[rows, out[:, j]]
                work[rows, out[:, j]] = -np.inf
                masked += 1
        finally:
            for j in reversed(range(masked)):  # last masked first: each its own value back
                work[rows, out[:, j]] = saved[:, j]
        return out
    part = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(probs, part, axis=1), axis=1)
    return np.take_along_axis(part, order, axis=1)


#: Up to this k, :func:`top_ids` takes k arg-max passes instead of a partial sort.
ARGMAX_PASSES = 8


def softmax(logits: np.ndarray, in_place: bool = False) -> np.ndarray:
    """Row-wise softmax of logits (N, C), computed stably, in float32, in one buffer:
    a copy, or with ``in_place`` the float32 ``logits`` themselves (a page's logits
    are ~18 MB)."""
    z = logits if in_place else np.array(logits, np.float32, copy=True)
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


@contextlib.contextmanager
def quiet_stderr():
    """Silence what C and C++ libraries write on file descriptor 2 (LiteRT's
    informational lines, libpng's errors) for the ``with`` block."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _LiteRT:
    def __init__(self, path: Path, threads: int | None = None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as err:  # pragma: no cover - a base dependency
            raise ModelError(
                f"LiteRT is not installed ({err}); pip install ai-edge-litert"
            ) from None
        try:
            with quiet_stderr():  # LiteRT announces its XNNPACK delegate on fd 2
                threads = threads or os.cpu_count() or 1
                self.interp = Interpreter(model_path=str(path), num_threads=threads)
                self.interp.allocate_tensors()
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"{path} is not a valid TFLite model: {err}") from None
        self.inp = self.interp.get_input_details()[0]["index"]
        self.out = self.interp.get_output_details()[0]["index"]
        self.shape = tuple(self.interp.get_input_details()[0]["shape"])
        self.input_shape: tuple[int, ...] | None = tuple(int(d) for d in self.shape[1:])
        self.num_outputs = int(self.interp.get_output_details()[0]["shape"][-1])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if tuple(x.shape) != self.shape:
            self.interp.resize_tensor_input(self.inp, list(x.shape))
            self.interp.allocate_tensors()
            self.shape = tuple(x.shape)
        self.interp.set_tensor(self.inp, x)
        self.interp.invoke()
        return self.interp.get_tensor(self.out).copy()


class _TensorFlow:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            import keras
            import tensorflow as tf
        except ImportError:
            raise ModelError(f"{path} needs TensorFlow: pip install 'pageocr[train-cpu]'") from None
        try:
            if path.suffix == ".keras":
                self.model = keras.saving.load_model(path, safe_mode=True, compile=False)
                self.fn = tf.function(lambda x: self.model(x, training=False))
            else:
                loaded = tf.saved_model.load(str(path))
                self.fn = lambda x: loaded.serve(tf.constant(x))
            self.input_shape: tuple[int, ...] | None = self._input_shape()
            zeros = np.zeros((1, *self.input_shape), np.float32)
            self.num_outputs = int(self._call(zeros).shape[-1])
        except ValueError as err:
            raise ModelError(f"refusing {path}: {err}") from None
        except Exception as err:  # keras raises many types for a broken archive
            raise ModelError(f"{path} is not a valid Keras/SavedModel model: {err}") from None

    def _input_shape(self) -> tuple[int, ...]:
        if hasattr(self, "model"):
            return tuple(self.model.input_shape[1:])
        size = ModelInfo.read(self.path).input_size
        return (size, size, 1)

    def _call(self, x: np.ndarray) -> np.ndarray:
        out = self.fn(x)
        if isinstance(out, dict):
            out = list(out.values())[0]
        return np.asarray(out)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._call(x)
