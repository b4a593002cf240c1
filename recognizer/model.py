"""Model registry: Keras networks from a crop to class logits.

Every model takes float32 images (B, S, S, 1) with pixel values 0..255 (white
ink on black) and rescales them itself, so the normalisation travels with the
weights.  ``build_model(name, num_classes)`` is the only way in.

>>> m = build_model("vgg32", num_classes=10)   # doctest: +SKIP
>>> m.output_shape                             # doctest: +SKIP
(None, 10)
"""

from __future__ import annotations

from collections.abc import Callable

_REGISTRY: dict[str, tuple[Callable, int]] = {}


def register(name: str, input_size: int):
    """Decorator adding a builder ``f(num_classes) -> keras.Model`` under ``name``."""

    def wrap(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = (fn, input_size)
        return fn

    return wrap


def names() -> list[str]:
    return sorted(_REGISTRY)


def input_size(name: str) -> int:
    return _lookup(name)[1]


def _lookup(name: str) -> tuple[Callable, int]:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered: {', '.join(names())}")
    return _REGISTRY[name]


def build_model(name: str, num_classes: int):
    """Build a registered model.

    Args:
        name: registry name, see :func:`names`.
        num_classes: size of the charset.

    Returns:
        An uncompiled ``keras.Model`` named ``name``.
    """
    return _lookup(name)[0](num_classes)


def _conv_bn(x, filters: int):
    from keras import layers

    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


@register("vgg32", input_size=32)
def vgg32(num_classes: int):
    """The default: a VGG-style net on 32x32 crops, sized for CPU speed.

    conv 32-32 / 64-64 / 128-128 (each pair followed by 2x2 max pooling),
    conv 256 at 4x4, flattened (position matters: 、 vs ' vs ,), a 768-wide
    bottleneck, dropout, dense to the classes.  Most parameters sit in the
    two dense layers, most arithmetic in the convolutions.
    """
    import keras
    from keras import layers

    inp = keras.Input((32, 32, 1), name="image")
    x = layers.Rescaling(1 / 255.0)(inp)
    for filters in (32, 64, 128):
        x = _conv_bn(x, filters)
        x = _conv_bn(x, filters)
        x = layers.MaxPooling2D()(x)
    x = _conv_bn(x, 256)
    x = layers.Flatten()(x)
    x = layers.Dense(768, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(num_classes, name="logits", dtype="float32")(x)
    return keras.Model(inp, out, name="vgg32")


@register("vgg32s", input_size=32)
def vgg32s(num_classes: int):
    """A lighter vgg32 for reading speed: conv 16-16 / 32-32 / 64-64, conv 128 at 4x4,
    a 512-wide bottleneck (~14 M multiply-adds per crop against vgg32's ~48 M)."""
    import keras
    from keras import layers

    inp = keras.Input((32, 32, 1), name="image")
    x = layers.Rescaling(1 / 255.0)(inp)
    for filters in (16, 32, 64):
        x = _conv_bn(x, filters)
        x = _conv_bn(x, filters)
        x = layers.MaxPooling2D()(x)
    x = _conv_bn(x, 128)
    x = layers.Flatten()(x)
    x = layers.Dense(512, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(num_classes, name="logits", dtype="float32")(x)
    return keras.Model(inp, out, name="vgg32s")


@register("tutorial64", input_size=64)
def tutorial64(num_classes: int):
    """The 2018 tutorial's network: 64x64, conv 64-128-256-512-512, fc 1024, batch norm."""
    import keras
    from keras import layers

    inp = keras.Input((64, 64, 1), name="image")
    x = layers.Rescaling(1 / 255.0)(inp)
    for filters in (64, 128, 256, 512, 512):
        x = _conv_bn(x, filters)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1024, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(num_classes, name="logits", dtype="float32")(x)
    return keras.Model(inp, out, name="tutorial64")


@register("tiny", input_size=32)
def tiny(num_classes: int):
    """A few thousand parameters: for tests and smoke runs."""
    import keras
    from keras import layers

    inp = keras.Input((32, 32, 1), name="image")
    x = layers.Rescaling(1 / 255.0)(inp)
    for filters in (8, 16):
        x = _conv_bn(x, filters)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.1)(x)  # so that tests of resume cover the dropout RNG state
    out = layers.Dense(num_classes, name="logits", dtype="float32")(x)
    return keras.Model(inp, out, name="tiny")
