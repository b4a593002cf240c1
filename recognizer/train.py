"""Training: a synthetic dataset and a registered model in, a run folder out.

A run folder holds::

    config.json        the final TrainConfig
    charset.json       the classes, in id order
    ckpt/              complete checkpoints (model, optimizer, step, data iterator)
    metrics.csv        one row per evaluation
    curves.png         drawn from metrics.csv
    tb/                TensorBoard logs
    model.keras        the trained model (with model.json: charset, input size)

Checkpoints go through ``tf.train.CheckpointManager``, whose index file is
replaced atomically, so the latest checkpoint is never torn; SIGINT and SIGTERM
save one before exiting, and ``resume`` continues from it exactly: the data
iterator's position and shuffle buffer are part of the checkpoint.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from recognizer.charset import REJECT, Charset

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """Everything a run needs; written to ``config.json`` in the run folder."""

    data: str
    run_dir: str
    model: str = "vgg32"
    steps: int = 10_000
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 500
    label_smoothing: float = 0.1
    eval_every: int = 1000
    eval_batches: int = 40
    seed: int = 0
    jit: bool = True
    mixed_precision: bool = False
    deterministic: bool = False
    #: Start from this model's weights (a run folder or a .keras file of the same
    #: network, or an exported .tflite of it such as the shipped
    #: recognizer/models/synth.tflite) instead of a random initialisation:
    #: fine-tuning. Over another charset, the classes both hold start from its
    #: logits (by character), the others from a fresh initialisation.
    init: str = ""
    #: Crops cut from real pages by the segmenter (.npz, see dataset.real_crops)
    #: mixed into every batch: ``real_share`` of each batch comes from them.
    real: str = ""
    real_share: float = 0.0
    #: Add the reject class (charset.REJECT, "not a character") after the data's
    #: classes. Its examples: the crops of ``real`` labelled REJECT and
    #: ``synthetic_rejects`` drawn pictures' pieces, shading and noise
    #: (dataset.synthetic_rejects), ``reject_share`` of each batch.
    reject: bool = False
    reject_share: float = 0.0
    synthetic_rejects: int = 0

    @classmethod
    def from_dict(cls, d: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        return cls(**d)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError for settings that cannot train (also after overrides)."""
        if not 0.0 <= self.real_share < 1.0:
            raise ValueError(f"real_share must be in [0, 1), not {self.real_share}")
        if self.real_share and not self.real:
            raise ValueError("real_share is set but real (the .npz of real crops) is not")
        if not 0.0 <= self.real_share + self.reject_share < 1.0:
            raise ValueError("real_share + reject_share must be in [0, 1)")
        if self.reject_share and not self.reject:
            raise ValueError("reject_share is set but reject (the class) is not")


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class Interrupted(RuntimeError):
    """SIGINT / SIGTERM arrived; a checkpoint was saved."""


@dataclass
class Progress:
    """What the loop reports after each logged step (the CLI draws it)."""

    step: int
    steps: int
    loss: float
    accuracy: float
    images_per_s: float
    lr: float


def _setup_tf(cfg: TrainConfig):
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(cfg.seed)
    if cfg.deterministic:
        tf.config.experimental.enable_op_determinism()
    if cfg.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    gpus = tf.config.list_physical_devices("GPU")
    log.info("devices: %s", [d.name for d in gpus] or "CPU only")
    return tf, keras


class InitError(ValueError):
    """The model given to start from cannot seed this run."""


def _init_weights(
    model, source: str, keras, data: str = "", charset: Charset | None = None
) -> None:
    """Copy the weights of ``source`` (a run folder, a .keras file, or an exported
    .tflite whose batch normalisations are measured on ``data``'s val split) into
    ``model``. When ``source``'s classes (saved beside its weights) differ from
    ``charset``, every layer but ``logits`` is copied, and the logits of the classes
    both hold are copied by character; the others keep ``model``'s initialisation."""
    path = Path(source)
    if path.suffix == ".tflite":
        _init_from_tflite(model, source, data, charset)
        return
    if path.is_dir():
        path = path / "model.keras"
    if not path.is_file():
        raise InitError(f"{source}: no model.keras to start from")
    other = keras.saving.load_model(path, safe_mode=True, compile=False)
    old = _saved_charset(path.parent / "charset.json") or _saved_charset(path.with_suffix(".json"))
    classes = _class_map(old, charset, source)
    shapes = [tuple(w.shape) for w in model.weights]
    if other.name != model.name or (
        classes is None and [tuple(w.shape) for w in other.weights] != shapes
    ):
        raise InitError(
            f"{source} is a {other.name} with output {other.output_shape}; this run trains "
            f"a {model.name} with output {model.output_shape}"
        )
    if classes is None:
        model.set_weights(other.get_weights())
    else:
        _copy_by_layer(model, other, classes, source)
    log.info("weights initialised from %s", path)


def _saved_charset(path: Path) -> Charset | None:
    """The charset of a run's ``charset.json`` or a model's ``model.json``, if there."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Charset.from_json(json.dumps(data.get("charset", data), ensure_ascii=False))


def _class_map(old: Charset | None, new: Charset | None, source: str):
    """For each class of ``new``, the class of ``old`` with the same character or -1:
    int (C,); None when either is unknown or they are the same."""
    import numpy as np

    if old is None or new is None or old.chars == new.chars:
        return None
    classes = np.array([old.index(c) if c in old else -1 for c in new.chars], np.int64)
    if not (classes >= 0).any():
        raise InitError(f"{source} shares no class with this run's charset")
    log.info("%d of %d classes start from %s's", int((classes >= 0).sum()), len(new), source)
    return classes


def _copy_by_layer(model, other, classes, source: str) -> None:
    """Copy ``other``'s layers into ``model``'s in order, ``logits`` by class (see
    recover.remapped)."""
    from recognizer.recover import Folded, remapped

    mine = [layer for layer in model.layers if layer.weights]
    theirs = [layer for layer in other.layers if layer.weights]
    if len(mine) != len(theirs):
        raise InitError(f"{source} has {len(theirs)} weighted layers, this run's model {len(mine)}")
    for a, b in zip(mine, theirs):
        if a.name == "logits" and b.name == "logits":
            kernel, bias = b.get_weights()
            f = remapped(Folded("FULLY_CONNECTED", kernel, bias), classes, *a.get_weights())
            a.set_weights([f.kernel, f.bias])
        elif [tuple(w.shape) for w in a.weights] == [tuple(w.shape) for w in b.weights]:
            a.set_weights(b.get_weights())
        else:
            raise InitError(f"{source}: layer {b.name} does not fit this run's {a.name}")


def _init_from_tflite(model, source: str, data: str, charset: Charset | None = None) -> None:
    """Recover the weights of an exported model (recognizer.recover), its batch
    normalisations measured on 2,048 crops of the val split; a ``charset`` that extends
    the model's gets the new classes started unlikely (recover.widened), another one
    the shared classes' logits by character."""
    import numpy as np

    from recognizer import dataset
    from recognizer.recover import RecoverError, load_into
    from recognizer.runtime import ModelError, ModelInfo

    if not Path(source).is_file():
        raise InitError(f"{source}: no such file")
    try:
        old: Charset | None = ModelInfo.read(Path(source)).charset
    except ModelError:
        old = None  # no sidecar: load_into checks the shapes
    widen, classes = 0, None
    if old is not None and charset is not None and charset.chars.startswith(old.chars):
        widen = len(charset) - len(old)
    else:
        classes = _class_map(old, charset, source)
    batches = dataset.load(data, "val", 256).take(8)
    calibration = np.concatenate([x.numpy() for x, _ in batches])
    try:
        load_into(model, source, calibration, widen, classes)
    except (RecoverError, ValueError) as err:
        raise InitError(f"{source} cannot seed a {model.name}: {err}") from None
    log.info("weights recovered from %s%s", source, f", {widen} class(es) added" if widen else "")


def _extra_pools(cfg: TrainConfig, charset: Charset, size: int, n_real: int, n_rej: int) -> dict:
    """The crops mixed into each batch besides the synthetic dataset's, by name:
    (images uint8 (N, S, S), labels int32 (N,), per batch). ``real``: the real crops of
    characters; ``reject``: the real crops labelled REJECT and the synthetic rejects
    (when ``reject_share`` is set; else REJECT crops stay among the real ones)."""
    import numpy as np

    from recognizer import dataset

    pools: dict = {}
    real_x = np.zeros((0, size, size), np.uint8)
    real_y = np.zeros(0, np.int32)
    if cfg.real:
        real_x, real_y = dataset.real_crops(cfg.real, charset)
    if n_rej:
        rid = charset.index(REJECT)
        rej = real_y == rid
        synth = dataset.synthetic_rejects(cfg.synthetic_rejects, size, cfg.seed)
        log.info("%d real and %d synthetic reject crops", int(rej.sum()), len(synth))
        rx = np.concatenate([real_x[rej], synth])
        if not len(rx):
            raise ValueError("reject_share is set but there are no reject crops")
        pools["reject"] = (rx, np.full(len(rx), rid, np.int32), n_rej)
        real_x, real_y = real_x[~rej], real_y[~rej]
    if n_real:
        pools["real"] = (real_x, real_y, n_real)
    return pools


def _build(cfg: TrainConfig, num_classes: int):
    import keras

    from recognizer.model import build_model

    model = build_model(cfg.model, num_classes)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        decay_steps=max(cfg.steps - cfg.warmup_steps, 1),
        warmup_target=cfg.lr,
        warmup_steps=cfg.warmup_steps,
        alpha=0.01,
    )
    opt = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=cfg.weight_decay)
    if cfg.mixed_precision:
        opt = keras.optimizers.LossScaleOptimizer(opt)
    opt.build(model.trainable_variables)
    return model, opt, schedule


def train(
    cfg: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    on_eval: Callable[[dict], None] | None = None,
    stop_after: int | None = None,
) -> dict[str, float]:
    """Train (or resume) the run in ``cfg.run_dir``.

    Args:
        cfg: the configuration; if the run folder has a checkpoint, training resumes.
        on_progress: called every few steps with a :class:`Progress`.
        on_eval: called with each metrics row.
        stop_after: stop (with a checkpoint) once this step is reached, as a
            kill would; used by tests of resume.

    Returns:
        The last metrics row.

    Raises:
        TrainingDiverged: NaN or infinite loss (no checkpoint is written for it).
        Interrupted: SIGINT or SIGTERM; a checkpoint was saved first.
    """
    tf, _ = _setup_tf(cfg)
    run = Path(cfg.run_dir)
    run.mkdir(parents=True, exist_ok=True)
    charset, size = _run_charset(cfg, run)
    model, opt, schedule = _build(cfg, len(charset))
    _check_size(model, size, cfg.model)
    next_batch, parts = _batches(cfg, charset, size)
    step = tf.Variable(0, dtype=tf.int64, trainable=False)
    manager = _checkpoints(cfg, run, model, opt, step, parts, charset)
    train_step = _train_step(cfg, model, opt, len(charset))
    stop = _StopFlag()
    try:
        row, finished = _loop(cfg, run, model, schedule, step, next_batch, train_step, manager,
                              stop, on_progress, on_eval, stop_after)  # fmt: skip
    finally:
        stop.restore()
    if finished:
        save_model(model, charset, run, cfg.model)
    return row


def _run_charset(cfg: TrainConfig, run: Path) -> tuple[Charset, int]:
    """The run's classes (the data's, and REJECT if asked) and the data's crop size;
    writes the run's config.json and charset.json."""
    from recognizer import dataset

    meta = dataset.read_meta(cfg.data)
    charset = Charset.from_json(json.dumps(meta["charset"], ensure_ascii=False))
    if cfg.reject and REJECT not in charset:
        charset = Charset(charset.chars + REJECT, f"{charset.spec}+reject")
    (run / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
    (run / "charset.json").write_text(charset.to_json(), encoding="utf-8")
    return charset, int(meta["plan"]["size"])


def _batches(cfg: TrainConfig, charset: Charset, size: int):
    """The batch source: a function giving the next (x, y) (synthetic crops, then those
    of each extra pool: real crops, rejects), and its iterators by name, which the
    checkpoint saves so that a resumed run draws the same batches."""
    import tensorflow as tf

    from recognizer import dataset

    n_real = round(cfg.batch_size * cfg.real_share) if cfg.real else 0
    n_rej = round(cfg.batch_size * cfg.reject_share)
    train_ds = dataset.load(
        cfg.data, "train", cfg.batch_size - n_real - n_rej, shuffle=True, seed=cfg.seed, repeat=True
    )
    it = iter(train_ds)
    parts = {"data": it}
    extra = []
    for name, (px, py, n) in _extra_pools(cfg, charset, size, n_real, n_rej).items():
        log.info("%d %s crops, %d per batch", len(py), name, n)
        parts[name] = it_extra = iter(dataset.load_real(px, py, n, cfg.seed))
        extra.append(it_extra)

    def next_batch():
        x, y = next(it)
        for it_extra in extra:
            xr, yr = next(it_extra)
            x, y = tf.concat([x, xr], 0), tf.concat([y, yr], 0)
        return x, y

    return next_batch, parts


def _checkpoints(cfg: TrainConfig, run: Path, model, opt, step, parts: dict, charset: Charset):
    """The run's checkpoint manager; the run resumed from its latest checkpoint, or else
    started from ``cfg.init``'s weights when given."""
    import keras
    import tensorflow as tf

    # Dropout's random state lives in seed-generator variables that tf.train.Checkpoint
    # does not reach through a Keras 3 model; name them, so a resumed run draws the
    # same masks as an uninterrupted one.
    rng = [v.value for v in model.variables if "seed_generator" in v.path]
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=step, rng=rng, **parts)
    manager = tf.train.CheckpointManager(ckpt, str(run / "ckpt"), max_to_keep=2)
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        log.info("resumed from %s at step %d", manager.latest_checkpoint, int(step))
    elif cfg.init:
        _init_weights(model, cfg.init, keras, cfg.data, charset)
    return manager


def _train_step(cfg: TrainConfig, model, opt, n: int):
    """One optimiser step on a batch, compiled: (x, y) -> (loss, accuracy)."""
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=cfg.label_smoothing
    )

    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(tf.one_hot(y, n), tf.cast(logits, tf.float32))
            scaled = opt.scale_loss(loss) if cfg.mixed_precision else loss
        grads = tape.gradient(scaled, model.trainable_variables)
        opt.apply(grads, model.trainable_variables)
        acc = tf.reduce_mean(
            tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y), tf.float32)
        )
        return loss, acc

    return tf.function(train_step, jit_compile=cfg.jit)


def _loop(cfg: TrainConfig, run: Path, model, schedule, step, next_batch, train_step, manager,
          stop, on_progress, on_eval, stop_after) -> tuple[dict[str, float], bool]:  # fmt: skip
    """Train from ``step`` to ``cfg.steps``: progress every 20 steps, an evaluation row
    and a checkpoint every ``eval_every``, a checkpoint every 250. Returns the last row
    and whether the run reached its end (not stopped by ``stop_after``)."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(run / "tb"))
    row: dict[str, float] = {}
    t0, seen, run_loss, run_acc, k = time.time(), 0, 0.0, 0.0, 0
    while int(step) < cfg.steps:
        x, y = next_batch()
        loss, acc = train_step(x, y)
        step.assign_add(1)
        s = int(step)
        run_loss += float(loss)
        run_acc += float(acc)
        k += 1
        seen += int(x.shape[0])
        if not math.isfinite(float(loss)):
            raise TrainingDiverged(
                f"loss became {float(loss)} at step {s}; lower --lr (now {cfg.lr}) "
                "or check the data; the last good checkpoint is kept"
            )
        if s % 20 == 0 and on_progress:
            dt = time.time() - t0
            on_progress(
                Progress(s, cfg.steps, run_loss / k, run_acc / k, seen / dt, float(schedule(s)))
            )
        if s % cfg.eval_every == 0 or s == cfg.steps:
            row = _evaluate_row(model, cfg, s, run_loss / k, run_acc / k, seen / (time.time() - t0))
            _record(run, writer, row)
            manager.save(checkpoint_number=s)
            if on_eval:
                on_eval(row)
            run_loss, run_acc, k = 0.0, 0.0, 0
            t0, seen = time.time(), 0
        elif s % 250 == 0:
            manager.save(checkpoint_number=s)
        if stop.raised or (stop_after is not None and s >= stop_after):
            manager.save(checkpoint_number=s)
            if stop.raised:
                raise Interrupted(f"stopped by {stop.raised} at step {s}; checkpoint saved")
            return row, False
    return row, True


class _StopFlag:
    """Turns SIGINT / SIGTERM into a flag the loop checks between steps."""

    def __init__(self) -> None:
        self.raised: str | None = None
        self._old = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass

    def _handle(self, signum, frame) -> None:
        self.raised = signal.Signals(signum).name

    def restore(self) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _check_size(model, data_size: int, name: str) -> None:
    want = model.input_shape[1]
    if want != data_size:
        raise ValueError(
            f"model {name} takes {want}x{want} crops but the dataset holds "
            f"{data_size}x{data_size}; render one with `pageocr synth --size {want}`"
        )


def _evaluate_row(model, cfg: TrainConfig, step: int, loss: float, acc: float, ips: float) -> dict:
    from recognizer.evaluate import topk_accuracy

    row = {
        "step": step,
        "time": time.time(),
        "train_loss": loss,
        "train_acc": acc,
        "images_per_s": ips,
    }
    for split in ("val", "test-heldout"):
        try:
            top1, top5 = topk_accuracy(model, cfg.data, split, cfg.batch_size * 2, cfg.eval_batches)
        except ValueError:  # split absent from the dataset
            continue
        key = split.replace("-", "_")
        row[f"{key}_top1"], row[f"{key}_top5"] = top1, top5
    return row


def _record(run: Path, writer, row: dict) -> None:
    import tensorflow as tf

    path = run / "metrics.csv"
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        if new:
            w.writeheader()
        w.writerow(row)
    with writer.as_default():
        for key, value in row.items():
            if key not in ("step", "time"):
                tf.summary.scalar(key, value, step=int(row["step"]))
    writer.flush()
    try:
        plot_curves(path, run / "curves.png")
    except Exception as err:  # a plot must never stop training
        log.warning("could not draw curves: %s", err)


def plot_curves(metrics_csv: Path, out_png: Path) -> None:
    """Draw loss and accuracy curves from a metrics CSV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(csv.DictReader(metrics_csv.open()))
    steps = [int(r["step"]) for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(steps, [float(r["train_loss"]) for r in rows], label="train loss")
    ax1.set_xlabel("step")
    ax1.legend()
    lowest = 1.0
    for key in ("train_acc", "val_top1", "val_top5", "test_heldout_top1", "test_heldout_top5"):
        if rows and key in rows[0]:
            values = [float(r[key]) for r in rows]
            ax2.plot(steps, values, label=key)
            lowest = min([lowest, *values])
    ax2.set_xlabel("step")
    # late differences of a tenth of a point matter: zoom on the range the curves use
    ax2.set_ylim(max(0.0, lowest - 0.02), 1.0)
    ax2.grid(alpha=0.3)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)


def save_model(model, charset: Charset, run: Path, name: str) -> Path:
    """Write ``model.keras`` and its ``model.json`` (charset, input size, normalisation)."""
    path = run / "model.keras"
    model.save(path)
    info = {
        "format": 1,
        "model": name,
        "input_size": int(model.input_shape[1]),
        "input": "float32 (B, S, S, 1), white ink on black, 0..255; the model rescales",
        "charset": json.loads(charset.to_json()),
    }
    (run / "model.json").write_text(
        json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return path


def model_from_checkpoint(run_dir: Path) -> Path:
    """Write ``model.keras`` (and model.json) from a run's latest checkpoint.

    For exporting a run that was stopped before its last step.

    Raises:
        ValueError: the folder has no checkpoint.
    """
    import tensorflow as tf

    from recognizer.model import build_model

    cfg = load_config(run_dir / "config.json")
    charset = Charset.from_json((run_dir / "charset.json").read_text(encoding="utf-8"))
    latest = tf.train.latest_checkpoint(str(run_dir / "ckpt"))
    if latest is None:
        raise ValueError(f"{run_dir} has no checkpoint")
    model = build_model(cfg.model, len(charset))
    tf.train.Checkpoint(model=model).restore(latest).expect_partial()
    log.info("model restored from %s", latest)
    return save_model(model, charset, run_dir, cfg.model)


def load_config(path: Path) -> TrainConfig:
    """A TrainConfig from a TOML file ([train] table) or a run folder's config.json."""
    import tomllib

    if path.suffix == ".json":
        return TrainConfig.from_dict(json.loads(path.read_text()))
    data = tomllib.loads(path.read_text())
    return TrainConfig.from_dict(data.get("train", data))
