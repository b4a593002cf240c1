"""Synthetic datasets: TFRecord shards written by ``synthesize``, read by ``load``."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
from conftest import TINY_CHARS, tiny_plan

from recognizer.dataset import (
    DatasetError,
    Plan,
    load,
    read_meta,
    shard_files,
    shard_seed,
    synthesize,
)


def _files(root):
    return sorted(p.name for p in root.iterdir())


def _read_split(root, split):
    xs, ys, fs = [], [], []
    for x, y, f in load(root, split, batch_size=64, with_face=True):
        xs.append(x.numpy())
        ys.append(y.numpy())
        fs.append(f.numpy())
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(fs)


# ------------------------------------------------------------------ plan


@pytest.mark.parametrize(
    ("count", "shard_size", "shards"),
    [(400, 200, 2), (401, 200, 3), (199, 200, 1), (0, 200, 0), (10_000, 10_000, 1)],
)
def test_plan_shards(count, shard_size, shards):
    assert Plan(counts={"train": count}, shard_size=shard_size).shards("train") == shards


def test_plan_shard_path(tmp_path):
    plan = Plan(counts={"val": 450}, shard_size=200)
    assert plan.shard_path(tmp_path, "val", 2).name == "val-00002-of-00003.tfrecord"
    assert plan.shards("test-heldout") == 0


def test_shard_seed_differs_by_split_and_shard():
    seeds = {shard_seed(0, s, k) for s in ("train", "val", "test-heldout") for k in range(3)}
    assert len(seeds) == 9
    assert shard_seed(0, "train", 0) == shard_seed(0, "train", 0) != shard_seed(1, "train", 0)


# ------------------------------------------------------------------ layout and meta


def test_folder_layout(tiny_data):
    assert _files(tiny_data) == [
        "meta.json",
        "test-heldout-00000-of-00001.tfrecord",
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
        "val-00000-of-00001.tfrecord",
    ]


def test_meta(tiny_data):
    meta = read_meta(tiny_data)
    assert meta["charset"] == {"spec": "tiny", "chars": TINY_CHARS}
    assert meta["plan"]["counts"] == {"train": 400, "val": 80, "test-heldout": 80}
    assert meta["plan"]["size"] == 32
    assert [(f["family"], f["split"], f["covered"]) for f in meta["faces"]] == [
        ("Noto Sans CJK SC", "train", 4),
        ("LXGW WenKai", "heldout", 4),
    ]


def test_read_meta_of_a_plain_folder(tmp_path):
    with pytest.raises(DatasetError, match="not a pageocr dataset"):
        read_meta(tmp_path)


def test_load_of_a_missing_split(tiny_data):
    with pytest.raises(DatasetError, match="no shards of split 'nope'"):
        shard_files(tiny_data, "nope")


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("split", ["train", "val", "test-heldout"])
def test_round_trip(tiny_data, split):
    x, y, f = _read_split(tiny_data, split)
    assert len(x) == len(y) == len(f) == tiny_plan().counts[split]
    assert x.shape[1:] == (32, 32, 1) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 255 and x.max() > 100
    assert np.array_equal(x, np.round(x))  # uint8 pixels, losslessly stored
    assert y.dtype == np.int32 and set(y.tolist()) <= set(range(len(TINY_CHARS)))
    assert len(set(y.tolist())) == len(TINY_CHARS)  # every class appears


def test_batches_have_the_plan_shape(tiny_data):
    x, y = next(iter(load(tiny_data, "train", batch_size=32)))
    assert tuple(x.shape) == (32, 32, 32, 1) and x.dtype.name == "float32"
    assert tuple(y.shape) == (32,) and y.dtype.name == "int32"


@pytest.mark.parametrize(
    ("split", "face_split"), [("train", "train"), ("val", "train"), ("test-heldout", "heldout")]
)
def test_splits_use_their_faces_only(tiny_data, split, face_split):
    faces = read_meta(tiny_data)["faces"]
    _, _, f = _read_split(tiny_data, split)
    assert {faces[i]["split"] for i in f.tolist()} == {face_split}
    if face_split == "heldout":
        assert {faces[i]["family"] for i in f.tolist()} == {"LXGW WenKai"}


def test_train_and_val_differ(tiny_data):
    xt, _, _ = _read_split(tiny_data, "train")
    xv, _, _ = _read_split(tiny_data, "val")
    assert not np.array_equal(xt[: len(xv)], xv)


def test_shuffled_repeating_load_is_deterministic(tiny_data):
    def first(seed):
        ds = load(tiny_data, "train", batch_size=16, shuffle=True, seed=seed, repeat=True)
        return next(iter(ds))[1].numpy()

    plain = next(iter(load(tiny_data, "train", batch_size=16)))[1].numpy()
    assert np.array_equal(first(3), first(3))
    assert not np.array_equal(first(3), plain)


# ------------------------------------------------------------------ re-runs


def test_rerun_with_the_same_plan_rewrites_nothing(tmp_path, tiny_data, tiny_charset, faces):
    root = tmp_path / "copy"
    shutil.copytree(tiny_data, root)  # copy2 keeps modification times
    before = {p.name: p.stat().st_mtime_ns for p in root.iterdir()}
    seen = []
    counts = synthesize(root, tiny_charset, faces, tiny_plan(), workers=1,
                        on_shard=lambda split, n: seen.append((split, n)))  # fmt: skip
    assert {p.name: p.stat().st_mtime_ns for p in root.iterdir()} == before
    assert counts == tiny_plan().counts
    assert sorted(seen) == sorted(
        [("train", 200), ("train", 200), ("val", 80), ("test-heldout", 80)]
    )


@pytest.mark.parametrize(
    "change",
    [{"seed": 1}, {"size": 48}, {"shard_size": 100},
     {"counts": {"train": 800, "val": 80, "test-heldout": 80}}],
    ids=["seed", "size", "shard_size", "counts"],
)  # fmt: skip
def test_a_different_plan_in_the_same_folder_is_refused(
    tmp_path, tiny_data, tiny_charset, faces, change
):
    root = tmp_path / "copy"
    shutil.copytree(tiny_data, root)
    before = {p.name: p.stat().st_mtime_ns for p in root.iterdir()}
    with pytest.raises(DatasetError, match="different dataset"):
        synthesize(root, tiny_charset, faces, replace(tiny_plan(), **change), workers=1)
    assert {p.name: p.stat().st_mtime_ns for p in root.iterdir()} == before


def test_a_different_charset_in_the_same_folder_is_refused(tmp_path, tiny_data, faces):
    from recognizer.charset import Charset

    root = tmp_path / "copy"
    shutil.copytree(tiny_data, root)
    with pytest.raises(DatasetError, match="different dataset"):
        synthesize(root, Charset("一二三", "tiny"), faces, tiny_plan(), workers=1)


def test_a_missing_shard_is_completed_identically(tmp_path, tiny_data, tiny_charset, faces):
    root = tmp_path / "copy"
    shutil.copytree(tiny_data, root)
    lost = root / "train-00001-of-00002.tfrecord"
    lost.unlink()
    synthesize(root, tiny_charset, faces, tiny_plan(), workers=1)
    assert lost.read_bytes() == (tiny_data / lost.name).read_bytes()
    assert not list(root.glob("*.partial"))


def test_same_seed_gives_byte_identical_shards(tmp_path, tiny_data, tiny_charset, faces):
    other = tmp_path / "again"
    synthesize(other, tiny_charset, faces, tiny_plan(), workers=1)
    assert _files(other) == _files(tiny_data)
    for name in _files(tiny_data):
        assert (other / name).read_bytes() == (tiny_data / name).read_bytes(), name


# ------------------------------------------------------------------ bad requests


def test_unknown_split_is_refused(tmp_path, tiny_charset, faces):
    with pytest.raises(DatasetError, match="unknown split 'test'"):
        synthesize(tmp_path, tiny_charset, faces, Plan(counts={"test": 10}), workers=1)


def test_a_split_without_faces_is_refused(tmp_path, tiny_charset, noto_face):
    plan = Plan(counts={"train": 10, "test-heldout": 10}, shard_size=10)
    with pytest.raises(DatasetError, match="no test-heldout faces"):
        synthesize(tmp_path, tiny_charset, [noto_face], plan, workers=1)
    assert not list(tmp_path.glob("*.tfrecord"))


def test_meta_json_is_utf8_and_readable(tiny_data):
    text = (tiny_data / "meta.json").read_text(encoding="utf-8")
    assert TINY_CHARS in text
    assert json.loads(text)["format"] == 1


def test_boost_draws_a_set_more_often(tmp_path, tiny_charset, faces):
    """--boost SET=FACTOR: the set's classes are drawn FACTOR times as often as the
    others, and the plan says so in meta.json."""
    only = tmp_path / "yong.txt"
    only.write_text("永", encoding="utf-8")
    plan = replace(tiny_plan(), boost=((str(only), 20.0),))
    root = tmp_path / "boosted"
    synthesize(root, tiny_charset, faces, plan, workers=1)
    labels = _read_split(root, "train")[1]
    share = float(np.mean(labels == tiny_charset.index("永")))
    assert 0.8 < share < 0.95  # expected 20 / 23 = 0.87
    assert read_meta(root)["plan"]["boost"] == [[str(only), 20.0]]


def test_meta_of_an_unboosted_plan_has_no_boost(tiny_data):
    """Datasets made before --boost existed keep matching their meta.json."""
    assert "boost" not in read_meta(tiny_data)["plan"]


@pytest.mark.parametrize(
    "arg", ["ascii+punct=0", "ascii+punct=inf", "ascii+punct=x", "=3", "nope=2"]
)
def test_synth_refuses_a_bad_boost(tmp_path, arg):
    from typer.testing import CliRunner

    from ocr_pipeline.cli import app

    res = CliRunner().invoke(app, ["synth", "-o", str(tmp_path / "d"), "--boost", arg])
    assert res.exit_code != 0
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert not (tmp_path / "d").exists()


def test_regional_faces_draw_only_the_regional_characters(tmp_path, tiny_charset, faces):
    """synthesize(regional_chars=...): a regional face draws only those characters of the
    charset, the mainland faces all they cover; meta.json records them."""
    from dataclasses import replace as swap

    tc = swap(faces[0], family="Noto Sans CJK TC")  # the subset font, named as a TC face
    root = tmp_path / "regional"
    plan = replace(tiny_plan(), counts={"train": 400})
    synthesize(root, tiny_charset, [faces[0], tc], plan, workers=1, regional_chars="永川")
    meta = read_meta(root)
    assert meta["regional_chars"] == "永川"
    assert [f["covered"] for f in meta["faces"]] == [4, 1]
    _, labels, face_ids = _read_split(root, "train")
    assert set(labels[face_ids == 1].tolist()) == {tiny_charset.index("永")}
    assert set(labels[face_ids == 0].tolist()) == set(range(4))
    assert 0.1 < float(np.mean(face_ids == 1)) < 0.2  # 永's draws shared by two faces: 1/8


def test_meta_without_regional_faces_has_no_regional_chars(tiny_data):
    assert "regional_chars" not in read_meta(tiny_data)


def test_synth_regional_records_the_traditional_tier(tmp_path):
    from conftest import FIXTURES
    from typer.testing import CliRunner

    from ocr_pipeline.cli import app
    from recognizer.charset import traditional_tier

    out, chars = tmp_path / "d", tmp_path / "chars.txt"
    chars.write_text(TINY_CHARS, encoding="utf-8")
    args = ["synth", "-o", str(out), "--font", str(FIXTURES), "--charset", str(chars), "--train",
            "20", "--val", "0", "--test", "0", "--workers", "1", "--regional"]  # fmt: skip
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert read_meta(out)["regional_chars"] == traditional_tier()
