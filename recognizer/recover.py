"""A Keras model's weights recovered from its exported ``.tflite``, to fine-tune it.

Export folds each batch normalisation into the convolution or dense layer before it
and stores the kernels as int8 with one scale per output channel; the float Keras
model is not shipped. :func:`folded` reads the kernels and biases back, op by op in
graph order, and :func:`load_into` puts them into a freshly built network of the same
registry name: each kernel dequantised into its layer, and the batch normalisation
after it re-parameterised so that the network computes what the ``.tflite`` computes
(in inference mode exactly, up to float rounding; in training mode up to the
difference between a batch's statistics and those measured on ``calibration``).
Training then starts from the shipped model with every weight trainable, as it was
trained.

A network with more classes than the ``.tflite`` (``widen``, e.g. the reject class
:data:`recognizer.charset.REJECT` appended to a model without it) gets the old classes'
weights and, for each new class, a zero kernel column and a bias :data:`WIDEN_BELOW`
below the lowest old bias: the new class starts unlikely on every crop, and the
network computes the old one's ranking of the old classes. A network over another
charset (``classes``: for each of its classes, the ``.tflite``'s class of the same
character or -1) gets the shared classes' kernel columns and biases, and keeps its own
initialisation for the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

#: A new class's starting bias lies this far below the lowest bias of the old classes.
WIDEN_BELOW = 8.0


class RecoverError(ValueError):
    """The ``.tflite`` does not match the network it should seed."""


@dataclass(frozen=True)
class Folded:
    """One CONV_2D or FULLY_CONNECTED op: ``kernel`` in Keras layout
    ((kh, kw, in, out) or (in, out)), float32, dequantised; ``bias`` (out,)."""

    op: str
    kernel: np.ndarray
    bias: np.ndarray


def _dequantised(interp, detail: dict) -> np.ndarray:
    w = interp.get_tensor(detail["index"]).astype(np.float32)
    q = detail["quantization_parameters"]
    if detail["dtype"] == np.int8:
        scales = np.asarray(q["scales"], np.float32)
        zero = np.asarray(q["zero_points"], np.float32)
        axis = int(q["quantized_dimension"])
        shape = [1] * w.ndim
        shape[axis] = -1
        w = (w - zero.reshape(shape)) * scales.reshape(shape)
    return w


def folded(path: str | os.PathLike) -> list[Folded]:
    """The weighted ops of an exported model, in graph order.

    Args:
        path: a ``.tflite`` written by ``pageocr export`` (fp32 or int8 weights).

    Returns:
        One :class:`Folded` per CONV_2D (kernel (kh, kw, in, out)) and
        FULLY_CONNECTED (kernel (in, out)) op.
    """
    from pathlib import Path

    from recognizer.runtime import _LiteRT

    interp = _LiteRT(Path(path)).interp
    details = {d["index"]: d for d in interp.get_tensor_details()}
    out = []
    for op in interp._get_ops_details():
        if op["op_name"] not in ("CONV_2D", "FULLY_CONNECTED"):
            continue
        _, w_idx, b_idx = (int(i) for i in op["inputs"][:3])
        w = _dequantised(interp, details[w_idx])
        kernel = w.transpose(1, 2, 3, 0) if op["op_name"] == "CONV_2D" else w.T
        bias = _dequantised(interp, details[b_idx]) if b_idx >= 0 else np.zeros(w.shape[0])
        out.append(Folded(op["op_name"], np.ascontiguousarray(kernel), bias.astype(np.float32)))
    return out


def widened(f: Folded, extra: int) -> Folded:
    """A last layer with ``extra`` classes appended: zero kernel columns and biases
    :data:`WIDEN_BELOW` under the lowest old bias.

    >>> w = widened(Folded("FULLY_CONNECTED", np.ones((2, 3), np.float32), np.zeros(3)), 1)
    >>> w.kernel.shape, float(w.bias[-1])
    ((2, 4), -8.0)
    """
    if extra <= 0:
        return f
    kernel = np.concatenate([f.kernel, np.zeros((f.kernel.shape[0], extra), np.float32)], axis=1)
    low = np.full(extra, f.bias.min() - WIDEN_BELOW, np.float32)
    return Folded(f.op, kernel, np.concatenate([f.bias.astype(np.float32), low]))


def remapped(f: Folded, classes: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> Folded:
    """A last layer over another charset: ``kernel`` (in, C) and ``bias`` (C,) (the new
    layer's own initialisation) with each class ``c`` whose ``classes[c] >= 0`` given
    column and bias ``classes[c]`` of ``f``.

    >>> old = Folded("FULLY_CONNECTED", np.array([[1.0, 2.0]], np.float32), np.array([3.0, 4.0]))
    >>> new = remapped(old, np.array([1, -1, 0]), np.zeros((1, 3)), np.full(3, 9.0))
    >>> new.kernel.tolist(), new.bias.tolist()
    ([[2.0, 0.0, 1.0]], [4.0, 9.0, 3.0])
    """
    classes = np.asarray(classes)
    if classes.max(initial=-1) >= f.kernel.shape[1] or kernel.shape[0] != f.kernel.shape[0]:
        raise RecoverError(
            f"cannot map classes onto a {f.op} kernel {f.kernel.shape} from a layer {kernel.shape}"
        )
    kernel, bias = np.array(kernel, np.float32), np.array(bias, np.float32)
    shared = classes >= 0
    kernel[:, shared] = f.kernel[:, classes[shared]]
    bias[shared] = f.bias[classes[shared]]
    return Folded(f.op, kernel, bias)


def load_into(
    model,
    path: str | os.PathLike,
    calibration: np.ndarray,
    widen: int = 0,
    classes: np.ndarray | None = None,
) -> None:
    """Give ``model`` the weights of the exported ``path``.

    Args:
        model: a freshly built Keras model of the same registry network (conv or
            dense layers without bias, each followed by a batch normalisation, and a
            last dense layer with bias), same number of classes plus ``widen``.
        path: its ``.tflite``.
        calibration: float32 (N, S, S, 1) crops in 0..255 (a few thousand), to
            measure each layer's output statistics for the batch normalisations.
        widen: classes the model has beyond the ``.tflite``'s, appended after them
            (see :func:`widened`).
        classes: int (C,) for a model over another charset: for each of its classes,
            the ``.tflite``'s class of the same character, or -1 to keep the model's
            own initialisation (see :func:`remapped`).

    Raises:
        RecoverError: the ops and the layers do not match in number or shape.
    """
    weighted, ops = _weighted_ops(model, path, widen)
    if classes is not None:
        last = weighted[-1]
        ops[-1] = remapped(ops[-1], classes, np.asarray(last.kernel), np.asarray(last.bias))
    norms: list = []
    for layer, f in zip(weighted, ops, strict=True):
        if tuple(layer.kernel.shape) != f.kernel.shape:
            raise RecoverError(
                f"{path}: {f.op} kernel {f.kernel.shape} does not fit layer {layer.name} "
                f"{tuple(layer.kernel.shape)}"
            )
        layer.kernel.assign(f.kernel)
        norm = _next_norm(model, layer)
        if norm is None:
            if layer.bias is None:
                raise RecoverError(f"{layer.name} has neither a bias nor a batch normalisation")
            layer.bias.assign(f.bias)
            continue
        # Identity for now: inference-mode BN computes (x - 0) / sqrt(1 - eps + eps) + b.
        norm.gamma.assign(np.ones_like(f.bias))
        norm.beta.assign(f.bias)
        norm.moving_mean.assign(np.zeros_like(f.bias))
        norm.moving_variance.assign(np.full_like(f.bias, 1.0 - norm.epsilon))
        norms.append((layer, norm, f.bias))
    _calibrate_norms(model, norms, calibration)


def _weighted_ops(model, path: str | os.PathLike, widen: int) -> tuple[list, list[Folded]]:
    """The model's conv and dense layers and the ``.tflite``'s ops to load into them, one
    each: the first kernel with the model's input rescaling taken back out (export folds
    it in), the last op widened by ``widen`` classes.

    Raises:
        RecoverError: not as many ops as layers.
    """
    import keras

    ops = folded(path)
    kinds = (keras.layers.Conv2D, keras.layers.Dense)
    weighted = [layer for layer in model.layers if isinstance(layer, kinds)]
    if len(ops) != len(weighted):
        raise RecoverError(f"{path}: {len(ops)} weighted ops, the model has {len(weighted)} layers")
    # Export folds the model's input rescaling (0..255 -> 0..1) into the first kernel.
    scale = np.float32(1.0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.Rescaling):
            scale = np.float32(layer.scale)
    ops[0] = Folded(ops[0].op, ops[0].kernel / scale, ops[0].bias)
    ops[-1] = widened(ops[-1], widen)
    return weighted, ops


def _calibrate_norms(model, norms: list, calibration: np.ndarray) -> None:
    """Re-parameterise each batch normalisation of ``norms`` ((layer, norm, bias), each
    still the identity plus ``bias``) to normalise with the statistics of its layer's
    outputs on ``calibration`` (float32 (N, S, S, 1), 0..255) and undo it."""
    import keras

    # The pre-normalisation outputs of every layer at once (exact, since each BN is
    # the identity plus the bias in inference mode), then each BN re-parameterised to
    # normalise with those statistics and undo it: in inference mode still x + b.
    probe = keras.Model(model.input, [layer.output for layer, _, _ in norms])
    outs = probe.predict(calibration, batch_size=256, verbose=0)
    for (_, norm, bias), x in zip(norms, outs, strict=True):
        axes = tuple(range(x.ndim - 1))
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        norm.moving_mean.assign(mean)
        norm.moving_variance.assign(var)
        norm.gamma.assign(np.sqrt(var + norm.epsilon))
        norm.beta.assign(mean + bias)


def _next_norm(model, layer):
    """The BatchNormalization layer fed by ``layer``, or None."""
    import keras

    for other in model.layers:
        if isinstance(other, keras.layers.BatchNormalization):
            inbound = other._inbound_nodes[0].input_tensors if other._inbound_nodes else []
            if any(t is layer.output for t in inbound):
                return other
    return None
