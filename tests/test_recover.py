"""Fine-tuning from an exported model: weights recovered from a .tflite, real crops mixed in."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY_CHARS

from recognizer.charset import Charset
from recognizer.dataset import DatasetError, real_crops


def test_recovered_weights_compute_what_the_tflite_computes(exported, val_batch, tiny_charset):
    from recognizer.model import build_model
    from recognizer.recover import load_into
    from recognizer.runtime import Predictor

    model = build_model("tiny", len(tiny_charset))
    fresh = np.asarray(model(val_batch[0], training=False))
    load_into(model, exported.tflite, val_batch[0])
    got = np.asarray(model(val_batch[0], training=False))
    want = Predictor(exported.tflite, runtime="litert").predict(val_batch[0])
    probs = np.exp(got - got.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    assert np.abs(probs - want).max() < 1e-3
    assert not np.allclose(fresh, got, atol=1e-2)  # the weights did change
    # In training mode the batch statistics replace the measured ones: close, not equal.
    train_mode = np.asarray(model(val_batch[0], training=True))
    assert (train_mode.argmax(1) == want.argmax(1)).mean() >= 0.9


def test_recover_refuses_another_network(exported, val_batch):
    from recognizer.model import build_model
    from recognizer.recover import RecoverError, load_into

    with pytest.raises(RecoverError):
        load_into(build_model("tiny", len(TINY_CHARS) + 1), exported.tflite, val_batch[0])


def test_widened_model_keeps_the_old_classes_and_starts_the_new_one_unlikely(
    exported, val_batch, tiny_charset
):
    from recognizer.model import build_model
    from recognizer.recover import load_into
    from recognizer.runtime import Predictor

    model = build_model("tiny", len(tiny_charset) + 1)
    load_into(model, exported.tflite, val_batch[0], widen=1)
    logits = np.asarray(model(val_batch[0], training=False))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    want = Predictor(exported.tflite, runtime="litert").predict(val_batch[0])
    assert probs[:, -1].max() < 0.01
    old = probs[:, :-1] / probs[:, :-1].sum(1, keepdims=True)
    assert np.abs(old - want).max() < 1e-3


def test_real_crops_keep_rejects_only_for_a_charset_with_the_class(tmp_path):
    from recognizer.charset import REJECT

    crops = np.zeros((3, 32, 32), np.uint8)
    path = tmp_path / "real.npz"
    np.savez(path, crops=crops, labels=np.array(["一", REJECT, "二"]))
    _, y = real_crops(path, Charset(TINY_CHARS, "tiny"))
    assert y.tolist() == [TINY_CHARS.index("一"), TINY_CHARS.index("二")]
    _, y = real_crops(path, Charset(TINY_CHARS + REJECT, "tiny+reject"))
    assert y.tolist() == [TINY_CHARS.index("一"), len(TINY_CHARS), TINY_CHARS.index("二")]


def test_synthetic_rejects_are_seeded_crops_with_ink():
    from recognizer.dataset import synthetic_rejects

    a, b = synthetic_rejects(10, 32, seed=1), synthetic_rejects(10, 32, seed=1)
    assert a.shape == (10, 32, 32) and a.dtype == np.uint8 and np.array_equal(a, b)
    assert all(c.max() > 0 for c in a)
    assert not np.array_equal(a, synthetic_rejects(10, 32, seed=2))


def test_real_crops_keep_the_characters_of_the_charset(tmp_path):
    crops = np.zeros((4, 32, 32), np.uint8)
    crops[1, 5] = 255
    path = tmp_path / "real.npz"
    np.savez(path, crops=crops, labels=np.array(["一", "x", "永", "二"]))
    x, y = real_crops(path, Charset(TINY_CHARS, "tiny"))
    assert y.tolist() == [TINY_CHARS.index(c) for c in "一永二"]
    assert x.shape == (3, 32, 32) and not x[1].any()  # the crop of "x" is the one dropped
    np.savez(path, crops=crops, labels=np.array(list("abcd")))
    with pytest.raises(DatasetError, match="none of its labels"):
        real_crops(path, Charset(TINY_CHARS, "tiny"))
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError):
        real_crops(tmp_path / "bad.npz", Charset(TINY_CHARS, "tiny"))


def test_fine_tuning_from_a_tflite_with_real_crops_resumes(
    tmp_path, tiny_data, exported, val_batch
):
    from recognizer.train import TrainConfig, train

    real = tmp_path / "real.npz"
    labels = np.array([TINY_CHARS[i] for i in val_batch[1]])
    np.savez(real, crops=val_batch[0][..., 0].astype(np.uint8), labels=labels)
    cfg = TrainConfig(data=str(tiny_data), run_dir=str(tmp_path / "run"), model="tiny", steps=20,
                      batch_size=16, lr=1e-3, eval_every=20, eval_batches=1, jit=False,
                      warmup_steps=2, init=str(exported.tflite), real=str(real),
                      real_share=0.25)  # fmt: skip
    train(cfg, stop_after=10)
    row = train(cfg)  # resumes from the checkpoint at step 10, both iterators included
    assert row["step"] == 20
    assert row["val_top1"] >= 0.9  # started from the trained model, not from scratch
    with pytest.raises(ValueError, match="real_share"):
        TrainConfig(data="d", run_dir="r", real_share=0.5)


def test_fine_tuning_adds_the_reject_class(tmp_path, tiny_data, exported, val_batch):
    import json

    from recognizer.charset import REJECT
    from recognizer.train import TrainConfig, train

    real = tmp_path / "real.npz"
    labels = np.array([TINY_CHARS[i] for i in val_batch[1]] + [REJECT] * 8)
    noise = (np.random.default_rng(0).random((8, 32, 32)) > 0.7).astype(np.uint8) * 255
    crops = np.concatenate([val_batch[0][..., 0].astype(np.uint8), noise])
    np.savez(real, crops=crops, labels=labels)
    cfg = TrainConfig(data=str(tiny_data), run_dir=str(tmp_path / "run"), model="tiny", steps=10,
                      batch_size=16, lr=1e-3, eval_every=10, eval_batches=1, jit=False,
                      warmup_steps=2, init=str(exported.tflite), real=str(real),
                      real_share=0.25, reject=True, reject_share=0.25,
                      synthetic_rejects=8)  # fmt: skip
    row = train(cfg)
    assert row["val_top1"] >= 0.9  # the old classes kept
    info = json.loads((tmp_path / "run" / "model.json").read_text(encoding="utf-8"))
    assert info["charset"]["chars"] == TINY_CHARS + REJECT
    with pytest.raises(ValueError, match="reject_share"):
        TrainConfig(data="d", run_dir="r", reject_share=0.1)
