"""The word reader's network: a run of Latin characters read whole, by CTC.

Cutting proportional Latin into single letters fails where letters touch: a blurred
photo of a serif "the" is one blob, "Policy" falls apart as "Pc ol ic y". This network
reads the ink of a whole run (a strip :data:`HEIGHT` pixels tall,
any width) and emits one distribution per 4 columns over the printable ASCII
characters and CTC's blank, so no cut between letters is needed.

Trained on the runs cut from the development split of the real-document corpus
(:mod:`benchmarks.strips`), with random margins, widths, contrast and noise:

    python -m benchmarks.strips runs/docs runs/docs-web runs/docs-webdev \
        runs/docs-webdev-more -o runs/words/strips-dev.npz
    python -m recognizer.words synth -o runs/words/synth-30k.npz --n 30000
    python -m recognizer.words train runs/words/strips-dev.npz runs/words/synth-30k.npz \
        -o runs/words/final --steps 4000

and read by :mod:`ocr_pipeline.latin` through LiteRT (``words.tflite``).

Needs TensorFlow (the ``train`` or ``train-cpu`` extra) to train and export only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: The characters the network reads, after CTC's blank (class 0): printable ASCII.
ALPHABET = "".join(chr(c) for c in range(0x21, 0x7F))
HEIGHT = 32
#: Columns per output step.
STRIDE = 4
#: Widths a batch is padded to (longer strips are squeezed to the last).
BUCKETS = (128, 256, 512, 1024)


def build(n_classes: int = len(ALPHABET) + 1):
    """The network: uint8-valued (N, 32, W, 1) in 0..255 -> softmax (N, W / 4, classes)."""
    import keras
    from keras import layers

    x = inp = keras.Input((HEIGHT, None, 1))
    x = layers.Rescaling(1 / 255.0)(x)

    def conv(x, ch):
        x = layers.Conv2D(ch, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        return layers.ReLU()(x)

    x = conv(x, 16)
    x = layers.MaxPool2D(2)(x)  # 16 x W/2
    x = conv(x, 32)
    x = layers.MaxPool2D(2)(x)  # 8 x W/4
    x = conv(x, 48)
    x = conv(x, 48)
    x = layers.MaxPool2D((2, 1))(x)  # 4 x W/4
    x = conv(x, 64)
    x = layers.MaxPool2D((2, 1))(x)  # 2 x W/4
    x = layers.Permute((2, 1, 3))(x)  # W/4 x 2 x 64
    x = layers.Reshape((-1, 2 * 64))(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    for _ in range(2):  # context along the run
        y = layers.Conv1D(128, 5, padding="same", activation="relu")(x)
        x = layers.Add()([x, y])
    out = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inp, out, name="words")


def encode(label: str) -> list[int]:
    """Class ids of ``label``'s characters (unknown ones dropped).

    >>> encode("a!")
    [65, 1]
    """
    return [ALPHABET.index(c) + 1 for c in label if c in ALPHABET]


def greedy(probs: np.ndarray) -> tuple[list[int], list[float], list[int]]:
    """CTC's best path: (class ids, each one's probability, the step it peaks at).

    Args:
        probs: float (T, classes), class 0 the blank.

    >>> p = np.eye(3)[[1, 1, 0, 2, 2, 1]] * 0.9 + 0.1 / 3
    >>> greedy(p)[0]
    [1, 2, 1]
    """
    best = probs.argmax(axis=1)
    ids, conf, where = [], [], []
    prev = 0
    for t, k in enumerate(best.tolist()):
        if k != 0 and k != prev:
            ids.append(k)
            conf.append(float(probs[t, k]))
            where.append(t)
        elif k != 0 and probs[t, k] > conf[-1]:
            conf[-1] = float(probs[t, k])
            where[-1] = t
        prev = k
    return ids, conf, where


def _augment(rng: np.random.Generator, strip: np.ndarray, left: int, right: int) -> np.ndarray:
    """A random view of one example: margins of 0-6 columns, width x0.85-1.15,
    contrast x0.55-1.15, sometimes blur and noise."""
    w = strip.shape[1]
    a = int(np.clip(left - rng.integers(-1, 7), 0, w - 1))
    b = int(np.clip(right + rng.integers(-1, 7), a + 1, w))
    s: np.ndarray = strip[:, a:b].astype(np.float32)
    import cv2

    scale = rng.uniform(0.85, 1.15)
    s = cv2.resize(s, (max(int(round(s.shape[1] * scale)), 1), HEIGHT))
    if rng.random() < 0.25:
        s = cv2.GaussianBlur(s, (3, 3), rng.uniform(0.3, 1.0))
    s = s * rng.uniform(0.55, 1.15)
    if rng.random() < 0.3:
        s = s + rng.normal(0, rng.uniform(2, 12), s.shape)
    return np.clip(s, 0, 255)


#: Font families the synthetic strips are drawn in (those installed are used).
SYNTH_FAMILIES = ("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "Liberation Sans",
                  "Liberation Serif", "Liberation Mono", "Nimbus Roman", "Nimbus Sans",
                  "Nimbus Mono PS", "C059", "P052", "Latin Modern Roman", "Latin Modern Sans",
                  "Latin Modern Mono")  # fmt: skip


def _synth_text(rng: np.random.Generator, vocab: list[str]) -> str:
    """A random run: a word (as is, capitalised or upper case), a path, a URL, an
    option, a version number or random characters."""
    word = lambda: vocab[int(rng.integers(len(vocab)))]  # noqa: E731
    kind = rng.random()
    if kind < 0.35:
        w = word()
        return w.capitalize() if rng.random() < 0.3 else w.upper() if rng.random() < 0.05 else w
    if kind < 0.5:
        return "/" + "/".join(word() for _ in range(int(rng.integers(1, 5))))
    if kind < 0.58:
        return f"http{'s' * int(rng.integers(2))}://www.{word()}.org/{word()}/{word()}.html"
    if kind < 0.68:
        sep = "-_."[int(rng.integers(3))]
        return "-" * int(rng.integers(3)) + sep.join(word() for _ in range(int(rng.integers(1, 4))))
    if kind < 0.76:
        return ".".join(str(int(rng.integers(0, 40))) for _ in range(int(rng.integers(1, 4))))
    if kind < 0.84:
        tail = "),.;:"[int(rng.integers(5))] * int(rng.integers(2))
        return f"{word()}({int(rng.integers(1, 9))}){tail}"
    ks = rng.integers(0, len(ALPHABET), int(rng.integers(1, 10)))
    return "".join(ALPHABET[int(k)] for k in ks)


def synthetic(n: int, seed: int = 0) -> dict:
    """``n`` strips of random runs drawn in the fonts of :data:`SYNTH_FAMILIES`, degraded
    (lower resolution, blur, noise), as :mod:`benchmarks.strips` writes real ones."""
    import cv2
    from PIL import Image, ImageDraw, ImageFont

    from ocr_pipeline import lexicon
    from recognizer.fonts import discover

    faces = [f for f in discover() if f.family in SYNTH_FAMILIES]
    if not faces:
        raise RuntimeError("none of the fonts of SYNTH_FAMILIES is installed")
    vocab = sorted(lexicon.words())
    rng = np.random.default_rng(seed)
    fonts: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}  # each face and size read once
    strips: list[np.ndarray] = []
    labels: list[str] = []
    left: list[int] = []
    right: list[int] = []
    while len(strips) < n:
        text = _synth_text(rng, vocab)
        if not text or len(text) > 40:
            continue
        k = int(rng.integers(len(faces)))
        size = int(rng.integers(18, 44))
        if (k, size) not in fonts:
            fonts[k, size] = ImageFont.truetype(str(faces[k].path), size, index=faces[k].index)
        font = fonts[k, size]
        asc, desc = font.getmetrics()
        height = int(round((asc + desc) * rng.uniform(0.95, 1.3)))
        top = int(rng.integers(0, max(height - asc - desc, 0) + 1))
        width = int(font.getlength(text)) + 2 * size
        img = Image.new("L", (width, height))
        ImageDraw.Draw(img).text((size, top), text, fill=int(rng.integers(150, 256)), font=font)
        drawn = np.asarray(img)
        cols = np.flatnonzero(drawn.max(axis=0) > 40)
        if not len(cols):
            continue
        x0, x1 = int(cols[0]), int(cols[-1]) + 1
        f = rng.uniform(1.0, 3.5)  # a lower resolution, then back
        small = cv2.resize(drawn, (max(int(width / f), 1), max(int(height / f), 1)),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
        a: np.ndarray = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        if rng.random() < 0.5:
            a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.4, 1.6))
        a = np.clip(a + rng.normal(0, rng.uniform(0, 10), a.shape), 0, 255)
        m = int(0.35 * height)
        a = a[:, max(x0 - m, 0) : x1 + m]
        scale = HEIGHT / height
        w = max(int(round(a.shape[1] * scale)), 1)
        if w > BUCKETS[-1]:
            continue
        strips.append(cv2.resize(a.astype(np.uint8), (w, HEIGHT), interpolation=cv2.INTER_AREA))
        lo = (x0 - max(x0 - m, 0)) * scale
        labels.append(text)
        left.append(int(round(lo)))
        right.append(int(round(lo + (x1 - x0) * scale)))
    arr = np.empty(len(strips), object)
    arr[:] = strips
    return {"strips": arr, "labels": np.array(labels), "left": np.array(left, np.int32),
            "right": np.array(right, np.int32), "variant": np.array(["synth"] * n),
            "doc": np.array(["synth"] * n)}  # fmt: skip


def pad_to(strips: list[np.ndarray], width: int) -> np.ndarray:
    """Strips left-aligned on black, squeezed to ``width`` where wider: float32
    (N, 32, width, 1)."""
    import cv2

    out = np.zeros((len(strips), HEIGHT, width, 1), np.float32)
    for i, s in enumerate(strips):
        if s.shape[1] > width:
            s = cv2.resize(s.astype(np.float32), (width, HEIGHT), interpolation=cv2.INTER_AREA)
        out[i, :, : s.shape[1], 0] = s
    return out


def bucket(width: int) -> int:
    """The smallest of :data:`BUCKETS` that holds ``width`` (the last if none)."""
    return next((b for b in BUCKETS if width <= b), BUCKETS[-1])


def train(data: Sequence[Path], out: Path, steps: int = 6000, batch: int = 32, lr: float = 1e-3,
          seed: int = 0, val_share: float = 0.05) -> dict:  # fmt: skip
    """Train the word reader on strips ``.npz`` files (all their examples) and write
    ``out/words.keras``, ``out/train.log`` and ``out/metrics.json``."""
    import keras
    import tensorflow as tf
    from rich.progress import Progress

    out.mkdir(parents=True, exist_ok=True)
    files = [np.load(p, allow_pickle=True) for p in data]
    strips = [s for d in files for s in d["strips"]]
    labels = [str(x) for d in files for x in d["labels"]]
    left = np.concatenate([d["left"] for d in files])
    right = np.concatenate([d["right"] for d in files])
    rng = np.random.default_rng(seed)
    keep = [i for i, lab in enumerate(labels) if encode(lab) and len(lab) <= 60]
    rng.shuffle(keep)
    n_val = int(len(keep) * val_share)
    val, tr = keep[:n_val], keep[n_val:]
    model = build()
    warm = min(300, steps // 10)
    sched = keras.optimizers.schedules.CosineDecay(0.0, steps - warm, alpha=0.02,
                                                   warmup_target=lr, warmup_steps=warm)  # fmt: skip
    opt = keras.optimizers.AdamW(sched, weight_decay=1e-4)

    @tf.function(reduce_retracing=True)
    def step(x, y, y_len):
        with tf.GradientTape() as tape:
            p = model(x, training=True)
            t_len = tf.fill([tf.shape(p)[0]], tf.shape(p)[1])
            logp = tf.math.log(tf.clip_by_value(p, 1e-8, 1.0))
            loss = tf.reduce_mean(tf.nn.ctc_loss(y, logp, y_len, t_len, logits_time_major=False,
                                                 blank_index=0))  # fmt: skip
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    # batches of one bucket each: examples sorted into buckets by width
    by_bucket: dict[int, list[int]] = {}
    for i in tr:
        by_bucket.setdefault(bucket(right[i] - left[i] + 12), []).append(i)
    weights = np.array([len(v) for v in by_bucket.values()], np.float64)
    keys = list(by_bucket)
    t0, losses = time.time(), []
    with Progress() as progress, (out / "train.log").open("w") as log:
        task = progress.add_task("training the word reader", total=steps)
        for s in range(1, steps + 1):
            k = keys[rng.choice(len(keys), p=weights / weights.sum())]
            idx = rng.choice(by_bucket[k], size=batch)
            views = [_augment(rng, strips[i], left[i], right[i]) for i in idx]
            x = pad_to(views, k)
            codes = [encode(labels[i]) for i in idx]
            y_len = np.array([len(c) for c in codes], np.int32)
            y = np.zeros((batch, max(y_len)), np.int32)
            for j, c in enumerate(codes):
                y[j, : len(c)] = c
            losses.append(float(step(tf.constant(x), tf.constant(y), tf.constant(y_len))))
            progress.advance(task)
            if s % 250 == 0 or s == steps:
                msg = f"step {s} loss {np.mean(losses[-250:]):.3f} {time.time() - t0:.0f}s"
                if s % 1000 == 0 or s == steps:
                    msg += " val " + json.dumps(evaluate(model, strips, labels, left, right, val))
                progress.console.print(msg)
                log.write(msg + "\n")
                log.flush()
    model.save(out / "words.keras")
    metrics = evaluate(model, strips, labels, left, right, val)
    metrics.update(steps=steps, batch=batch, lr=lr, seed=seed, train=len(tr), val=len(val),
                   seconds=round(time.time() - t0))  # fmt: skip
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    return metrics


def read_strips(predict, strips: Sequence[np.ndarray]) -> list[tuple[str, list[float], list[int]]]:
    """Read strips with ``predict`` (float32 (N, 32, W, 1) -> (N, W / 4, classes)),
    batched by width bucket: per strip (text, per-character probability, step)."""
    out: list = [None] * len(strips)
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(strips):
        groups.setdefault(bucket(s.shape[1]), []).append(i)
    for width, idx in groups.items():
        probs = predict(pad_to([strips[i] for i in idx], width))
        for i, p in zip(idx, probs):
            ids, conf, where = greedy(p)
            out[i] = ("".join(ALPHABET[k - 1] for k in ids), conf, where)
    return out


def _views(strips, left, right, idx) -> list[np.ndarray]:
    """Examples ``idx`` as the reader cuts runs: margins of 2 columns, float32."""
    return [strips[i][:, max(left[i] - 2, 0) : right[i] + 2].astype(np.float32) for i in idx]


def evaluate(model, strips, labels, left, right, idx) -> dict:
    """Word accuracy and character error rate on examples ``idx``, margins of 2 columns."""
    views = _views(strips, left, right, idx)
    reads = read_strips(lambda x: model(x, training=False).numpy(), views)
    ok = sum(r[0] == labels[i] for r, i in zip(reads, idx))
    from benchmarks.scoring import edit_distance  # training runs from a checkout

    errs = sum(edit_distance(r[0], labels[i]) for r, i in zip(reads, idx))
    n = sum(len(labels[i]) for i in idx)
    return {"words": len(idx), "word_acc": round(ok / max(len(idx), 1), 4),
            "cer": round(errs / max(n, 1), 4)}  # fmt: skip


def export(run: Path, out: Path, check: Path | None = None, n: int = 2000) -> Path:
    """``run/words.keras`` as a LiteRT model ``out`` (int8 weights, float activations,
    width free), with its sidecar ``.json``; with ``check`` (a strips ``.npz``), the
    share of ``n`` of its strips that both read alike is printed."""
    import tempfile

    import keras
    import tensorflow as tf

    from recognizer.runtime import file_sha256

    model = keras.saving.load_model(run / "words.keras", compile=False)
    with tempfile.TemporaryDirectory() as tmp:  # the width stays free through a SavedModel
        spec = tf.TensorSpec([None, HEIGHT, None, 1], tf.float32)
        model.export(tmp, format="tf_saved_model", input_signature=[spec], verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]  # int8 weights, float activations
        out.write_bytes(conv.convert())
    side = {"name": "words", "alphabet": ALPHABET, "height": HEIGHT, "stride": STRIDE,
            "sha256": file_sha256(out)}  # fmt: skip
    out.with_suffix(".json").write_text(json.dumps(side, indent=1) + "\n")
    if check is not None:
        from recognizer.runtime import _LiteRT

        d = np.load(check, allow_pickle=True)
        strips, left, right = d["strips"], d["left"], d["right"]  # each read unpacks it all
        idx = np.random.default_rng(0).choice(len(strips), min(n, len(strips)), False)
        views = _views(strips, left, right, idx)
        a = read_strips(lambda x: model(x, training=False).numpy(), views)
        b = read_strips(_LiteRT(out), views)
        same = sum(x[0] == y[0] for x, y in zip(a, b))
        print(f"LiteRT and Keras read {same} of {len(idx)} strips alike ({same / len(idx):.2%})")
    return out


def main() -> None:
    import typer

    app = typer.Typer(add_completion=False)

    @app.command("train")
    def train_cmd(data: list[Path], out: Path = typer.Option(..., "-o"), steps: int = 6000,
                  batch: int = 32, lr: float = 1e-3, seed: int = 0) -> None:  # fmt: skip
        """Train on strips .npz files (benchmarks.strips, synth)."""
        print(json.dumps(train(data, out, steps, batch, lr, seed)))

    @app.command("synth")
    def synth_cmd(out: Path = typer.Option(..., "-o"), n: int = 30000, seed: int = 0) -> None:
        """Draw n synthetic strips into an .npz."""
        np.savez_compressed(out, **synthetic(n, seed))

    @app.command("export")
    def export_cmd(
        run: Path,
        out: Path = typer.Option(..., "-o"),
        check: Path | None = typer.Option(None, help="A strips .npz."),
    ) -> None:
        """Write run/words.keras as LiteRT."""
        print(export(run, out, check))

    app()


if __name__ == "__main__":
    main()
