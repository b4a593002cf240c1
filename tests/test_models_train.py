"""Model registry and the training loop: overfitting, exact resume, divergence, curves."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import TINY_CHARS, TINY_STEPS

from recognizer import model as registry
from recognizer.train import TrainConfig, TrainingDiverged, load_config, plot_curves, train

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# ------------------------------------------------------------------ registry


@pytest.mark.parametrize("name", registry.names())
def test_every_model_builds_and_runs(name):
    m = registry.build_model(name, num_classes=7)
    s = registry.input_size(name)
    assert m.name == name
    assert m.input_shape == (None, s, s, 1)
    assert m.output_shape == (None, 7)
    x = np.random.default_rng(0).uniform(0, 255, (2, s, s, 1)).astype(np.float32)
    out = np.asarray(m(x, training=False))
    assert out.shape == (2, 7)
    assert np.isfinite(out).all()


def test_registry_has_the_documented_models():
    assert {"vgg32", "tutorial64", "tiny"} <= set(registry.names())
    assert registry.input_size("tutorial64") == 64
    assert registry.input_size("vgg32") == registry.input_size("tiny") == 32


def test_registering_a_name_twice_is_refused():
    before = dict(registry._REGISTRY)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("tiny", input_size=32)(lambda n: None)
    assert registry._REGISTRY == before


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model 'resnet9'.*tiny"):
        registry.build_model("resnet9", 3)


# ------------------------------------------------------------------ config


def test_config_from_dict_refuses_unknown_keys():
    with pytest.raises(ValueError, match="unknown config keys: bogus"):
        TrainConfig.from_dict({"data": "d", "run_dir": "r", "bogus": 1})


def test_load_config_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[train]\ndata = "d"\nrun_dir = "r"\nmodel = "tiny"\nsteps = 7\njit = false\n')
    cfg = load_config(path)
    assert (cfg.data, cfg.run_dir, cfg.model, cfg.steps, cfg.jit) == ("d", "r", "tiny", 7, False)
    assert cfg.lr == TrainConfig("d", "r").lr  # defaults fill the rest


CONFIGS = sorted((Path(__file__).resolve().parent.parent / "configs").glob("*.toml"))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_committed_config_loads_and_names_a_registered_model(path):
    cfg = load_config(path)
    assert cfg.model in registry.names()
    # every config trains on a synthetic set of 32-px crops (zh11k: of its larger charset)
    assert cfg.run_dir.startswith("runs/") and cfg.data.startswith("data/synth32")


def test_the_shipped_models_config_is_committed():
    assert "default" in [p.stem for p in CONFIGS]


# ------------------------------------------------------------------ the trained fixture


def test_tiny_model_learns_the_tiny_charset(trained_run):
    row = trained_run.row
    assert row["step"] == TINY_STEPS
    assert row["val_top1"] >= 0.95
    assert row["val_top5"] == 1.0
    assert row["test_heldout_top1"] >= 0.75  # the held-out face, never trained on


def test_saved_model_agrees_with_the_reported_accuracy(trained_run, val_batch):
    import keras

    m = keras.saving.load_model(trained_run.run_dir / "model.keras", compile=False)
    x, y = val_batch
    pred = np.asarray(m(x, training=False)).argmax(axis=1)
    assert (pred == y).mean() >= 0.95


def test_run_folder_contents(trained_run, tiny_data):
    run = trained_run.run_dir
    for name in ("config.json", "charset.json", "metrics.csv", "curves.png", "model.keras",
                 "model.json"):  # fmt: skip
        assert (run / name).is_file(), name
    cfg = load_config(run / "config.json")
    assert (cfg.model, cfg.steps, cfg.data) == ("tiny", TINY_STEPS, str(tiny_data))
    info = json.loads((run / "model.json").read_text(encoding="utf-8"))
    assert info["charset"]["chars"] == TINY_CHARS
    assert (info["model"], info["input_size"]) == ("tiny", 32)
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [TINY_STEPS]
    assert (run / "curves.png").read_bytes().startswith(PNG_MAGIC)


def test_size_mismatch_between_model_and_data(tmp_path, tiny_data):
    cfg = TrainConfig(data=str(tiny_data), run_dir=str(tmp_path / "run"), model="tutorial64",
                      steps=1, jit=False)  # fmt: skip
    with pytest.raises(ValueError, match="--size 64"):
        train(cfg)


# ------------------------------------------------------------------ resume


def _resume_cfg(data, run) -> TrainConfig:
    return TrainConfig(data=str(data), run_dir=str(run), model="tiny", steps=20, batch_size=32,
                       lr=0.01, eval_every=10, eval_batches=1, jit=False, warmup_steps=5,
                       seed=3, deterministic=True)  # fmt: skip


def _weights(run):
    import keras

    return keras.saving.load_model(run / "model.keras", compile=False).get_weights()


def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path, tiny_data):
    import keras
    import tensorflow as tf

    whole, split = tmp_path / "whole", tmp_path / "split"
    train(_resume_cfg(tiny_data, whole))

    train(_resume_cfg(tiny_data, split), stop_after=13)
    assert not (split / "model.keras").exists()
    assert tf.train.latest_checkpoint(str(split / "ckpt")).endswith("ckpt-13")
    train(_resume_cfg(tiny_data, split))

    a, b = _weights(whole), _weights(split)
    assert len(a) == len(b) > 0
    for wa, wb in zip(a, b, strict=True):
        assert np.array_equal(wa, wb)
    rows = list(csv.DictReader((split / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [10, 20]
    # not vacuous: training moved the weights away from their (seeded) initial values
    keras.utils.set_random_seed(3)
    init = registry.build_model("tiny", len(TINY_CHARS)).get_weights()
    assert any(not np.array_equal(w0, w) for w0, w in zip(init, a, strict=True))


# ------------------------------------------------------------------ divergence


def test_a_huge_learning_rate_raises_training_diverged(tmp_path, tiny_data):
    import tensorflow as tf

    run = tmp_path / "boom"
    cfg = TrainConfig(data=str(tiny_data), run_dir=str(run), model="tiny", steps=40,
                      batch_size=32, lr=1e6, eval_every=40, eval_batches=1, jit=False,
                      warmup_steps=0)  # fmt: skip
    with pytest.raises(TrainingDiverged, match="lower --lr") as info:
        train(cfg)
    assert "nan" in str(info.value).lower() or "inf" in str(info.value).lower()
    assert tf.train.latest_checkpoint(str(run / "ckpt")) is None  # no NaN checkpoint
    assert not (run / "model.keras").exists()


# ------------------------------------------------------------------ curves


def test_plot_curves_writes_a_png(tmp_path):
    from PIL import Image

    metrics = tmp_path / "metrics.csv"
    cols = ["step", "time", "train_loss", "train_acc", "images_per_s", "val_top1", "val_top5"]
    with metrics.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for step in (10, 20, 30):
            w.writerow([step, 0, 1.0 / step, 0.5, 100, 0.4 + step / 100, 0.9])
    out = tmp_path / "curves.png"
    plot_curves(metrics, out)
    assert out.read_bytes().startswith(PNG_MAGIC)
    with Image.open(out) as img:
        assert img.size[0] > 200 and img.size[1] > 100


def test_cli_resume_lengthens_a_run_but_keeps_its_settings(tmp_path, tiny_data):
    from typer.testing import CliRunner

    from ocr_pipeline.cli import app

    run = tmp_path / "run"
    train(_resume_cfg(tiny_data, run), stop_after=10)
    runner = CliRunner()
    refused = runner.invoke(app, ["train", "--resume", str(run), "--lr", "0.5"])
    assert refused.exit_code != 0 and "cannot change lr" in refused.output
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    done = runner.invoke(app, ["train", "--resume", str(run), "--steps", "30"])
    assert done.exit_code == 0, done.output
    assert json.loads((run / "config.json").read_text())["steps"] == 30
    assert [int(r["step"]) for r in csv.DictReader((run / "metrics.csv").open())] == [10, 20, 30]


def test_cli_resume_continues_a_copied_run_in_the_copy(tmp_path, tiny_data):
    import shutil

    from typer.testing import CliRunner

    from ocr_pipeline.cli import app

    run, copy = tmp_path / "run", tmp_path / "copy"
    train(_resume_cfg(tiny_data, run), stop_after=10)
    shutil.copytree(run, copy)
    done = CliRunner().invoke(app, ["train", "--resume", str(copy), "--steps", "20"])
    assert done.exit_code == 0, done.output

    def steps(r):
        return [int(x["step"]) for x in csv.DictReader((r / "metrics.csv").open())]

    assert steps(copy) == [10, 20]
    assert steps(run) == [10]  # the original run folder is untouched
    assert json.loads((copy / "config.json").read_text())["run_dir"] == str(copy)


def test_init_starts_from_another_runs_weights(tmp_path, tiny_data):
    import keras
    import numpy as np

    from recognizer.model import build_model as build
    from recognizer.train import InitError, _init_weights

    source = tmp_path / "source"
    train(_resume_cfg(tiny_data, source))
    model = build("tiny", 4)
    _init_weights(model, str(source), keras)
    for a, b in zip(model.get_weights(), _weights(source)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(InitError, match="tiny"):
        _init_weights(build("tiny", 5), str(source), keras)
    with pytest.raises(InitError, match="no model.keras"):
        _init_weights(model, str(tmp_path / "nowhere"), keras)


#: Another charset for init tests: 永 二 一 shared with TINY_CHARS (一二三永), 五 六 new.
OTHER_CHARS = "永二五一六"


def _logits(model, x):
    return np.asarray(model(x, training=False))


def _new_rows_kept(model, fresh_kernel, fresh_bias):
    """The classes only OTHER_CHARS holds keep the fresh logits layer's columns."""
    new = [i for i, c in enumerate(OTHER_CHARS) if c not in TINY_CHARS]
    kernel, bias = model.get_layer("logits").get_weights()
    return np.array_equal(kernel[:, new], fresh_kernel[:, new]) and np.array_equal(
        bias[new], fresh_bias[new]
    )


def test_init_over_another_charset_copies_the_shared_classes(trained_run, val_batch):
    """A run over another charset starts from a run folder's weights: every layer but
    logits as it was, the shared classes' logits by character, the new ones fresh."""
    import keras

    from recognizer.charset import Charset
    from recognizer.train import InitError, _init_weights

    x = val_batch[0]
    source = keras.saving.load_model(trained_run.run_dir / "model.keras", compile=False)
    model = registry.build_model("tiny", len(OTHER_CHARS))
    fresh = model.get_layer("logits").get_weights()
    _init_weights(model, str(trained_run.run_dir), keras, charset=Charset(OTHER_CHARS))
    got, want = _logits(model, x), _logits(source, x)
    for i, ch in enumerate(OTHER_CHARS):
        if ch in TINY_CHARS:
            np.testing.assert_allclose(got[:, i], want[:, TINY_CHARS.index(ch)], atol=1e-5)
    assert _new_rows_kept(model, *fresh)
    with pytest.raises(InitError, match="shares no class"):
        _init_weights(model, str(trained_run.run_dir), keras, charset=Charset("五六七八九"))


def test_init_over_another_charset_from_a_tflite(exported, tiny_data, val_batch):
    """The same from an exported .tflite (weights recovered, charset from its sidecar):
    the shared classes' log-probabilities among themselves are the .tflite's."""
    import keras

    from recognizer.charset import Charset
    from recognizer.runtime import Predictor
    from recognizer.train import _init_weights

    x = val_batch[0]
    model = registry.build_model("tiny", len(OTHER_CHARS))
    fresh = model.get_layer("logits").get_weights()
    _init_weights(model, str(exported.tflite), keras, str(tiny_data), Charset(OTHER_CHARS))
    mine = [i for i, c in enumerate(OTHER_CHARS) if c in TINY_CHARS]
    theirs = [TINY_CHARS.index(OTHER_CHARS[i]) for i in mine]
    got = _logits(model, x)[:, mine]
    want = np.log(Predictor(exported.tflite, runtime="litert").predict(x)[:, theirs])
    # logits and log-probabilities differ by a constant per crop
    np.testing.assert_allclose(
        got - got.mean(1, keepdims=True), want - want.mean(1, keepdims=True), atol=2e-2
    )
    assert _new_rows_kept(model, *fresh)


def test_cli_fine_tunes_from_init(tmp_path, tiny_data):
    from typer.testing import CliRunner

    from ocr_pipeline.cli import app

    source, tuned = tmp_path / "source", tmp_path / "tuned"
    train(_resume_cfg(tiny_data, source))
    config = tmp_path / "tune.toml"
    config.write_text(
        f'[train]\ndata = "{tiny_data}"\nrun_dir = "{tuned}"\nmodel = "tiny"\nsteps = 5\n'
        "batch_size = 32\nwarmup_steps = 2\neval_every = 5\neval_batches = 1\njit = false\n"
    )
    args = ["train", "--config", str(config), "--init", str(source)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert json.loads((tuned / "config.json").read_text())["init"] == str(source)
    config.write_text(config.read_text().replace(str(tuned), str(tmp_path / "other")))
    bad = CliRunner().invoke(app, [*args[:-1], str(tmp_path / "nowhere")])
    assert bad.exit_code != 0 and "no model.keras" in bad.output
