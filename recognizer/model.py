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


def _conv_bn(x, filters: int, kernel: int = 3, strides: int = 1):
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def _net(name: str, size: int, body: Callable, width: int, dropout: float, num_classes: int):
    """The frame every network here shares: a (size, size, 1) input of 0..255 pixels,
    rescaled to 0..1, then ``body`` (a function of the rescaled tensor), flattened
    (position matters: 、 vs ' vs ,) into :func:`_head`."""
    import keras
    from keras import layers

    inp = keras.Input((size, size, 1), name="image")
    x = layers.Flatten()(body(layers.Rescaling(1 / 255.0)(inp)))
    return keras.Model(inp, _head(x, width, dropout, num_classes), name=name)


def _head(x, width: int, dropout: float, num_classes: int):
    """Bottleneck (dense, batch norm, ReLU, dropout), then the class logits."""
    from keras import layers

    x = layers.Dense(width, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(dropout)(x)
    return layers.Dense(num_classes, name="logits", dtype="float32")(x)


def _vgg32(name: str, widths: tuple[int, int, int, int], bottleneck: int, num_classes: int):
    """VGG-style net on 32x32 crops: three pairs of convs each followed by 2x2 max
    pooling, one conv at 4x4, flattened, a dense bottleneck, dropout, dense to the
    classes."""
    from keras import layers

    def body(x):
        for filters in widths[:3]:
            x = _conv_bn(x, filters)
            x = _conv_bn(x, filters)
            x = layers.MaxPooling2D()(x)
        return _conv_bn(x, widths[3])

    return _net(name, 32, body, bottleneck, 0.2, num_classes)


@register("vgg32", input_size=32)
def vgg32(num_classes: int):
    """The default, sized for CPU speed: conv 32-32 / 64-64 / 128-128, conv 256 at 4x4,
    a 768-wide bottleneck.  Most parameters sit in the two dense layers, most
    arithmetic in the convolutions."""
    return _vgg32("vgg32", (32, 64, 128, 256), 768, num_classes)


@register("vgg32s", input_size=32)
def vgg32s(num_classes: int):
    """A lighter vgg32 for reading speed: conv 16-16 / 32-32 / 64-64, conv 128 at 4x4,
    a 512-wide bottleneck (~14 M multiply-adds per crop against vgg32's ~48 M)."""
    return _vgg32("vgg32s", (16, 32, 64, 128), 512, num_classes)


@register("vgg32m", input_size=32)
def vgg32m(num_classes: int):
    """vgg32s's first two blocks (16-16 / 32-32) under vgg32's last two (128-128,
    256 at 4x4, 768-wide bottleneck): the 32x32 and 16x16 convolutions cost the most
    time per multiply-add, so slimming only those reads ~1.8 times as many crops
    per second as vgg32 (~2,500 against ~1,350 with LiteRT int8 here)."""
    return _vgg32("vgg32m", (16, 32, 128, 256), 768, num_classes)


@register("vgg32h", input_size=32)
def vgg32h(num_classes: int):
    """vgg32 at half resolution, for reading speed: a 5x5 convolution with stride 2
    takes the 32x32 crop to 16x16 (32 channels, learning its own downsampling instead
    of a fixed resize), then conv 48-48 at 16x16, 96-96 at 8x8, 192 at 4x4 and the
    768-wide bottleneck: ~25 M multiply-adds per crop against vgg32's ~48 M, and no
    convolution at 32x32, where vgg32 spends the most time per multiply-add
    (~4,000 against ~1,900 untrained crops/s with LiteRT int8 here)."""
    from keras import layers

    def body(x):
        x = _conv_bn(x, 32, kernel=5, strides=2)
        for filters in (48, 96):
            x = _conv_bn(x, filters)
            x = _conv_bn(x, filters)
            x = layers.MaxPooling2D()(x)
        return _conv_bn(x, 192)

    return _net("vgg32h", 32, body, 768, 0.2, num_classes)


@register("vgg32d", input_size=32)
def vgg32d(num_classes: int):
    """vgg32 at full resolution and width with depthwise-separable convolutions: the
    first convolution as vgg32's (3x3, 32 channels at 32x32), every later one of the
    three blocks a 3x3 depthwise convolution then a 1x1 one (32 at 32x32, 64-64 at
    16x16, 128-128 at 8x8), conv 256 at 4x4 and the 768-wide bottleneck.  vgg32s, vgg32m
    and vgg32h read small screen text worse by giving up the first layers' width or
    resolution; this keeps both (~2x vgg32's untrained crops/s with LiteRT int8 here)."""
    from keras import layers

    def body(x):
        x = _conv_bn(x, 32)
        for n, filters in enumerate((32, 64, 64, 128, 128)):
            x = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
            x = layers.BatchNormalization()(x)
            x = layers.ReLU()(x)
            x = _conv_bn(x, filters, kernel=1)
            if n in (0, 2, 4):
                x = layers.MaxPooling2D()(x)
        return _conv_bn(x, 256)

    return _net("vgg32d", 32, body, 768, 0.2, num_classes)


@register("tutorial64", input_size=64)
def tutorial64(num_classes: int):
    """The 2018 tutorial's network: 64x64, conv 64-128-256-512-512, fc 1024, batch norm."""
    from keras import layers

    def body(x):
        for filters in (64, 128, 256, 512, 512):
            x = _conv_bn(x, filters)
            x = layers.MaxPooling2D()(x)
        return x

    return _net("tutorial64", 64, body, 1024, 0.3, num_classes)


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
