"""Export to TFLite and the Predictor that runs it (LiteRT) or the Keras model (TensorFlow)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import TINY_CHARS

from recognizer.charset import Charset
from recognizer.export import ExportError, export_run, parity, sidecar
from recognizer.runtime import ModelError, ModelInfo, Predictor


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def keras_probs(trained_run, val_batch):
    import keras

    m = keras.saving.load_model(trained_run.run_dir / "model.keras", compile=False)
    return _softmax(np.asarray(m(val_batch[0], training=False), np.float64))


# ------------------------------------------------------------------ export


def test_export_writes_the_artefacts(exported):
    for name in ("model-fp32.tflite", "model-fp32.json", "saved_model/saved_model.pb",
                 "saved_model/model.json"):  # fmt: skip
        assert (exported.out / name).is_file(), name
    assert exported.tflite.read_bytes()[4:8] == b"TFL3"  # flatbuffer identifier


def test_export_reports_parity(exported):
    p = exported.parity["fp32"]
    assert p.n == 80
    assert p.agreement == 1.0
    assert p.max_prob_diff < 1e-4


def test_litert_matches_keras(exported, val_batch, keras_probs):
    pred = Predictor(exported.tflite, runtime="litert")
    assert pred.runtime == "litert"
    probs = pred.predict(val_batch[0])
    assert probs.shape == (80, len(TINY_CHARS)) and probs.dtype == np.float32
    assert (probs.argmax(1) == keras_probs.argmax(1)).mean() == 1.0
    assert np.abs(probs - keras_probs).max() < 1e-4
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs.argmax(1) == val_batch[1]).mean() >= 0.95


def test_sidecar_round_trip_gives_the_same_charset(exported, trained_run, tiny_charset):
    info = ModelInfo.read(exported.tflite)
    assert info.charset == tiny_charset
    assert (info.input_size, info.name) == (32, "tiny")
    side = json.loads(exported.tflite.with_suffix(".json").read_text(encoding="utf-8"))
    assert Charset.from_json(json.dumps(side["charset"])) == tiny_charset
    assert side["precision"] == "fp32"
    run_info = json.loads((trained_run.run_dir / "model.json").read_text(encoding="utf-8"))
    assert sidecar(run_info, "fp32")["charset"] == side["charset"]


def test_parity_helper():
    a = np.array([[3.0, 0.0], [0.0, 3.0]])
    p = parity(a, a[:, ::-1])
    assert (p.n, p.agreement) == (2, 0.0)
    assert p.max_prob_diff == pytest.approx(_softmax(a).max() - _softmax(a).min())
    assert parity(a, a + 5.0).max_prob_diff < 1e-9  # softmax ignores a shift


def test_export_of_an_unfinished_run(tmp_path, val_batch):
    with pytest.raises(ExportError, match="no model.keras"):
        export_run(tmp_path, tmp_path / "out", val_batch[0], precisions=("fp32",))


# ------------------------------------------------------------------ predictor


def test_predictor_batches_give_the_same_answer(exported, val_batch):
    x = val_batch[0][:10]
    whole = Predictor(exported.tflite).predict(x)
    pieces = Predictor(exported.tflite, batch_size=3).predict(x[..., 0].astype(np.uint8))
    assert np.allclose(whole, pieces, atol=1e-6)


def test_repeated_crops_are_classified_once_with_the_same_answer(exported, val_batch):
    x = val_batch[0][:6]
    pred = Predictor(exported.tflite)
    calls = []
    run = pred._run
    pred._run = lambda batch: calls.append(len(batch)) or run(batch)
    order = [3, 0, 3, 5, 0, 0, 1, 3]
    probs = pred.predict(x[order])
    assert calls == [3 + 1]  # the distinct crops 3, 0, 5 and 1, in one batch
    assert np.allclose(probs, Predictor(exported.tflite).predict(x)[order], atol=1e-6)


def test_unique_rows():
    from recognizer.runtime import unique_rows

    x = np.array([[1, 2], [3, 4], [1, 2], [5, 6], [3, 4]], np.float32)
    keep, inverse = unique_rows(x)
    assert keep.tolist() == [0, 1, 3]
    assert inverse.tolist() == [0, 1, 0, 2, 1]
    keep, inverse = unique_rows(np.zeros((0, 2), np.float32))
    assert len(keep) == len(inverse) == 0


def test_predictor_topk(exported, val_batch):
    pred = Predictor(exported.tflite)
    ids, probs = pred.topk(val_batch[0][:5], k=3)
    assert ids.shape == probs.shape == (5, 3)
    assert (np.diff(probs, axis=1) <= 0).all()  # best first
    ids, probs = pred.topk(val_batch[0][:5], k=10)
    assert ids.shape == (5, 4)  # no more candidates than classes
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_predictor_refuses_crops_of_the_wrong_size(exported):
    with pytest.raises(ValueError, match=r"\(N, 32, 32"):
        Predictor(exported.tflite).predict(np.zeros((2, 48, 48), np.uint8))


def test_predictor_of_no_crops(exported):
    assert Predictor(exported.tflite).predict(np.zeros((0, 32, 32))).shape == (0, 4)


def test_keras_runtime_on_a_run_folder(trained_run, val_batch, keras_probs):
    pred = Predictor(trained_run.run_dir, runtime="tf")
    assert pred.runtime == "tf" and pred.path.name == "model.keras"
    assert np.abs(pred.predict(val_batch[0]) - keras_probs).max() < 1e-5


def test_exported_saved_model_is_usable(exported, val_batch, keras_probs, tiny_charset):
    pred = Predictor(exported.out / "saved_model", runtime="tf")
    assert pred.runtime == "tf" and pred.charset == tiny_charset
    assert np.abs(pred.predict(val_batch[0]) - keras_probs).max() < 1e-4
    # batching does not change the answers
    pieces = Predictor(exported.out / "saved_model", runtime="tf", batch_size=7)
    assert np.allclose(pieces.predict(val_batch[0][:20]), pred.predict(val_batch[0][:20]),
                       atol=1e-6)  # fmt: skip


def test_an_export_folder_is_a_model(exported, val_batch, keras_probs):
    """``--model DIR`` with what ``pageocr export -o DIR`` wrote: LiteRT reads its
    .tflite, TensorFlow its saved_model/."""
    lite = Predictor(exported.out)
    assert lite.runtime == "litert" and lite.path == exported.tflite
    assert np.abs(lite.predict(val_batch[0]) - keras_probs).max() < 1e-3
    tf = Predictor(exported.out, runtime="tf")
    assert tf.runtime == "tf" and tf.path == exported.out / "saved_model"
    assert np.abs(tf.predict(val_batch[0]) - keras_probs).max() < 1e-4


def test_an_export_folder_prefers_int8_to_fp32(tmp_path, exported):
    for stem in ("model-fp32", "model-int8"):
        _copy_model(exported.tflite, tmp_path, stem)
    assert Predictor(tmp_path).path.name == "model-int8.tflite"


def test_an_export_folder_without_the_sidecar_is_refused(tmp_path, exported):
    shutil.copy(exported.tflite, tmp_path / "model-fp32.tflite")
    with pytest.raises(ModelError, match="no sidecar model-fp32.json"):
        Predictor(tmp_path)


def test_a_folder_with_no_model_names_what_it_looks_for(tmp_path):
    (tmp_path / "notes.tflite.txt").write_text("no model here")
    with pytest.raises(ModelError, match="holds no model.*model-int8.tflite.*pageocr export"):
        Predictor(tmp_path)


def test_a_saved_model_without_its_sidecar_is_refused(tmp_path, exported):
    folder = tmp_path / "saved_model"
    shutil.copytree(exported.out / "saved_model", folder)
    (folder / "model.json").unlink()
    with pytest.raises(ModelError, match="no sidecar model.json"):
        Predictor(folder, runtime="tf")


# ------------------------------------------------------------------ refusals


def _copy_model(src, dst_dir, stem, data: bytes | None = None):
    dst = dst_dir / f"{stem}.tflite"
    dst.write_bytes(src.read_bytes() if data is None else data)
    shutil.copy(src.with_suffix(".json"), dst.with_suffix(".json"))
    return dst


def test_a_truncated_tflite_is_refused(tmp_path, exported):
    data = exported.tflite.read_bytes()
    path = _copy_model(exported.tflite, tmp_path, "half", data[: len(data) // 2])
    with pytest.raises(ModelError, match="half.tflite is not a valid TFLite model"):
        Predictor(path)


def test_a_text_file_named_tflite_is_refused(tmp_path, exported):
    path = _copy_model(exported.tflite, tmp_path, "notes", b"just some notes\n" * 100)
    with pytest.raises(ModelError, match="not a valid TFLite model"):
        Predictor(path)


@pytest.mark.parametrize("chars", ["一二三", "一二三永川"])
def test_a_sidecar_of_another_size_is_refused(tmp_path, exported, chars):
    path = _copy_model(exported.tflite, tmp_path, "mismatch")
    side = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    side["charset"]["chars"] = chars
    path.with_suffix(".json").write_text(json.dumps(side, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelError, match=f"outputs 4 classes but its charset has {len(chars)}"):
        Predictor(path)


@pytest.mark.parametrize(
    ("edit", "word"),
    [
        (lambda d: None, "no sidecar"),
        (lambda d: d.write_text("{not json"), "not a valid model description"),
        (lambda d: d.write_text(json.dumps({"input_size": 32})), "not a valid model description"),
        (
            lambda d: d.write_text(json.dumps({"input_size": 32, "charset": {"chars": "一一"}})),
            "not a valid model description",
        ),
    ],
    ids=["missing", "not-json", "no-charset", "duplicate-chars"],
)
def test_a_bad_sidecar_is_refused(tmp_path, exported, edit, word):
    path = tmp_path / "m.tflite"
    shutil.copy(exported.tflite, path)
    edit(path.with_suffix(".json"))
    with pytest.raises(ModelError, match=word):
        Predictor(path)


def test_missing_model_and_unknown_runtime(tmp_path, exported):
    with pytest.raises(ModelError, match="does not exist"):
        Predictor(tmp_path / "nope.tflite")
    with pytest.raises(ModelError, match="unknown runtime 'gpu'"):
        Predictor(exported.tflite, runtime="gpu")
    with pytest.raises(ModelError, match="holds no model"):
        Predictor(tmp_path)


def _keras_artefact(folder, run_dir, with_lambda: bool):
    import keras

    folder.mkdir()
    inp = keras.Input((32, 32, 1), name="image")
    x = keras.layers.Flatten()(inp)
    if with_lambda:
        x = keras.layers.Lambda(lambda t: t * 2.0)(x)
    out = keras.layers.Dense(3, name="logits")(x)
    keras.Model(inp, out).save(folder / "model.keras")
    info = json.loads((run_dir / "model.json").read_text(encoding="utf-8"))
    info["charset"]["chars"] = "一二三"  # the right class count for this model
    (folder / "model.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return folder / "model.keras"


def test_a_keras_model_with_a_lambda_layer_is_refused(tmp_path, trained_run):
    control = _keras_artefact(tmp_path / "plain", trained_run.run_dir, with_lambda=False)
    assert len(Predictor(control, runtime="tf").charset) == 3  # the same model loads without it
    path = _keras_artefact(tmp_path / "lambda", trained_run.run_dir, with_lambda=True)
    with pytest.raises(ModelError, match="refusing .*Lambda"):
        Predictor(path, runtime="tf")


# ------------------------------------------------------------------ evaluation


def test_evaluate_the_exported_model(exported, tiny_data, tmp_path):
    from recognizer.evaluate import evaluate, write_report

    pred = Predictor(exported.tflite)
    rep = evaluate(pred.predict, str(tiny_data), "val", pred.charset)
    d = rep.as_dict()
    assert d["n"] == 80
    assert d["top1"] >= 0.95 and d["top5"] == 1.0
    assert list(d["per_face"]) == ["Noto Sans CJK SC Regular"]  # val: training faces only
    assert d["by_script"]["hanzi"]["n"] == 80
    write_report(rep, tmp_path / "report")
    assert json.loads((tmp_path / "report" / "metrics.json").read_text(encoding="utf-8"))["n"] == 80


def test_evaluate_maps_labels_through_characters(tiny_data, val_batch):
    """A model whose charset is in another order (or lacks a character) is scored by character."""
    from recognizer.evaluate import evaluate

    labels = val_batch[1]
    share = {ch: float((labels == i).mean()) for i, ch in enumerate(TINY_CHARS)}

    def always_first(x):  # always answers class 0 of the model's charset
        p = np.zeros((len(x), 3), np.float32)
        p[:, 0] = 1.0
        return p

    rep = evaluate(always_first, str(tiny_data), "val", Charset("永三二", "rev"))
    assert rep.total == 80
    assert rep.top1 / rep.total == pytest.approx(share["永"])
    assert rep.top5 / rep.total == pytest.approx(1 - share["一"])  # 一 is not in the model
    # the character the model lacks is named, and counted (missed) in its script and tier
    assert rep.confusions[("一", "永")] == round(share["一"] * 80)
    d = rep.as_dict()
    assert d["by_script"]["hanzi"]["n"] == d["by_tier"]["level-1"]["n"] == 80
    assert d["by_tier"]["level-1"]["top1"] == pytest.approx(share["永"])


def test_report_by_tier():
    """Tiers in charset.TIERS order, only those the split holds."""
    from collections import Counter

    from recognizer.evaluate import Report

    counts = {"traditional_n": 4, "traditional_top1": 1, "traditional_top5": 3,
              "level-1_n": 2, "level-1_top1": 2, "level-1_top5": 2}  # fmt: skip
    rep = Report(per_tier=Counter(counts))
    assert rep.by_tier() == {
        "level-1": {"n": 2, "top1": 1.0, "top5": 1.0},
        "traditional": {"n": 4, "top1": 0.25, "top5": 0.75},
    }


def test_shipped_models_by_name(tmp_path, monkeypatch):
    from recognizer import runtime

    assert {"default", "fast"} <= set(runtime.shipped_names())
    assert runtime.shipped(None) == runtime.DEFAULT_MODEL
    assert runtime.shipped("fast") == runtime.MODELS_DIR / "fast.tflite"
    assert Predictor("fast").info.name == "vgg32s"
    with pytest.raises(ModelError, match="shipped models: default, fast"):
        Predictor("quick")
    # a file or folder of that name in the working directory wins over the shipped model
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fast").mkdir()
    assert runtime.shipped("fast") == runtime.Path("fast")


@pytest.mark.parametrize("k", [1, 3, 8, 9, 20])
def test_top_ids_equal_a_full_sort(k):
    from recognizer.runtime import top_ids

    rng = np.random.default_rng(k)
    probs = rng.random((50, 300)).astype(np.float32)
    probs[7] = 0.25  # ties: any order of equal values is a right answer
    before = probs.copy()
    ids = top_ids(probs, k)
    np.testing.assert_array_equal(probs, before)  # masked in place, then put back
    want = np.sort(probs, axis=1)[:, ::-1][:, :k]
    assert np.array_equal(np.take_along_axis(probs, ids, axis=1), want)
    assert all(len(set(row)) == k for row in ids.tolist())


def test_softmax_in_place_gives_the_copys_result_in_the_same_buffer():
    from recognizer.runtime import softmax

    logits = np.random.default_rng(0).normal(0, 5, (7, 50)).astype(np.float32)
    copied = softmax(logits)
    assert not np.shares_memory(copied, logits)
    same = softmax(logits, in_place=True)
    assert same is logits
    np.testing.assert_array_equal(same, copied)
    np.testing.assert_allclose(same.sum(axis=1), 1.0, rtol=1e-6)
