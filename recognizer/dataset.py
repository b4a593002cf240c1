"""Synthetic datasets: rendered characters in TFRecord shards, read back with tf.data.

Layout of a dataset folder::

    meta.json                      charset, crop size, faces, splits, seed
    train-00000-of-00120.tfrecord  10,000 examples each by default
    val-00000-of-00002.tfrecord
    test-heldout-00000-of-00004.tfrecord

Splits ``train`` and ``val`` use the training faces (different seeds);
``test-heldout`` uses only the held-out faces.  Every example is a function of
(seed, split, shard, position), so a shard can be rewritten identically, and a
re-run skips shards already on disk.  Rendering runs in worker processes that
never import TensorFlow; the parent writes the shards, holding at most a few
shards in memory whatever the dataset's size.
"""

from __future__ import annotations

import json
import logging
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from recognizer.charset import Charset
from recognizer.fonts import Face, coverage, is_regional
from recognizer.render import Augment, render

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test-heldout")
META = "meta.json"


class DatasetError(ValueError):
    """A dataset folder that cannot be written or read as asked."""


@dataclass(frozen=True)
class Plan:
    """What a dataset holds: examples per split, shard size, crop size and seed."""

    counts: dict[str, int]
    shard_size: int = 10_000
    size: int = 32
    seed: int = 0
    #: (charset spec, factor) pairs: classes in the named set are drawn ``factor``
    #: times as often as the others (e.g. Latin and punctuation, which pages use far
    #: more than any one hanzi).  Empty: every class equally often.
    boost: tuple[tuple[str, float], ...] = ()

    def weights(self, chars: str) -> np.ndarray:
        """Sampling weight of each class id of a charset's ``chars``: float64 (C,)."""
        w = np.ones(len(chars))
        for spec, factor in self.boost:
            members = set(Charset.from_spec(spec).chars)
            w[[i for i, ch in enumerate(chars) if ch in members]] *= factor
        return w

    def shards(self, split: str) -> int:
        return -(-self.counts.get(split, 0) // self.shard_size)

    def shard_path(self, root: Path, split: str, k: int) -> Path:
        return root / f"{split}-{k:05d}-of-{self.shards(split):05d}.tfrecord"


@dataclass
class FaceTable:
    """Faces with their coverage of the charset, as label ids."""

    faces: list[Face]
    covered: list[np.ndarray]  # per face: int32 ids of the chars it draws

    @classmethod
    def build(
        cls, faces: Sequence[Face], charset: Charset, regional_chars: str | None = None
    ) -> FaceTable:
        """Each face's coverage of ``charset``; a regional face (fonts.is_regional)
        draws only ``regional_chars`` of it when given."""
        kept, covered = [], []
        only = set(regional_chars) if regional_chars is not None else None
        for f in faces:
            chars = coverage(f, charset)
            if only is not None and is_regional(f):
                chars = "".join(c for c in chars if c in only)
            if chars:
                kept.append(f)
                covered.append(np.array([charset.index(c) for c in chars], np.int32))
        return cls(kept, covered)

    def by_char(self, split_faces: Sequence[int], n_classes: int) -> list[np.ndarray]:
        """For each class id, the face ids (among ``split_faces``) that draw it."""
        lists: list[list[int]] = [[] for _ in range(n_classes)]
        for fid in split_faces:
            for c in self.covered[fid]:
                lists[c].append(fid)
        return [np.array(x, np.int32) for x in lists]


# --- rendering workers (no TensorFlow here) ---------------------------------

_W: dict = {}


def _init_worker(table: FaceTable, charset_chars: str, plan: Plan, aug: Augment) -> None:
    _W.update(table=table, chars=charset_chars, plan=plan, aug=aug, by_split={})


def _split_faces(table: FaceTable, split: str) -> list[int]:
    want = "heldout" if split == "test-heldout" else "train"
    return [i for i, f in enumerate(table.faces) if f.split == want]


def shard_seed(seed: int, split: str, k: int) -> int:
    return zlib.crc32(f"{seed}/{split}/{k}".encode())


def render_shard(split: str, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Render shard ``k`` of ``split`` in a worker set up by ``_init_worker``.

    Returns:
        images uint8 (N, size, size), labels int32 (N,), face ids int32 (N,).
    """
    table: FaceTable = _W["table"]
    plan: Plan = _W["plan"]
    chars: str = _W["chars"]
    if split not in _W["by_split"]:
        _W["by_split"][split] = table.by_char(_split_faces(table, split), len(chars))
    by_char = _W["by_split"][split]
    drawable = np.array([c for c, f in enumerate(by_char) if f.size], np.int32)
    n = min(plan.shard_size, plan.counts[split] - k * plan.shard_size)
    rng = np.random.default_rng(shard_seed(plan.seed, split, k))
    if plan.boost:
        w = plan.weights(chars)[drawable]
        labels = drawable[rng.choice(len(drawable), size=n, p=w / w.sum())]
    else:  # the original draw, so that existing datasets re-render identically
        labels = drawable[rng.integers(len(drawable), size=n)]
    images = np.empty((n, plan.size, plan.size), np.uint8)
    face_ids = np.empty(n, np.int32)
    for i, label in enumerate(labels):
        fid = int(rng.choice(by_char[label]))
        face_ids[i] = fid
        cov = table.covered[fid]
        neigh = "".join(chars[j] for j in cov[rng.integers(len(cov), size=4)])
        images[i] = render(
            table.faces[fid],
            chars[label],
            seed=int(rng.integers(2**62)),
            size=plan.size,
            aug=_W["aug"],
            neighbours=neigh,
        )
    return images, labels.astype(np.int32), face_ids


# --- writing ------------------------------------------------------------------


def write_meta(
    root: Path,
    charset: Charset,
    table: FaceTable,
    plan: Plan,
    aug: Augment,
    regional_chars: str | None = None,
) -> None:
    meta = {
        "format": 1,
        "charset": json.loads(charset.to_json()),
        "plan": _plan_meta(plan),
        "augment": asdict(aug),
        "faces": [asdict(f) | {"covered": int(len(c))} for f, c in zip(table.faces, table.covered)],
    }
    if regional_chars is not None:  # absent otherwise, as datasets made before it
        meta["regional_chars"] = regional_chars
    path = root / META
    if path.exists():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != meta:
            raise DatasetError(
                f"{root} already holds a different dataset (charset, plan, faces or "
                "augmentation differ); choose another output folder"
            )
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _plan_meta(plan: Plan) -> dict:
    """The plan as written to meta.json; without ``boost`` when there is none, as
    datasets made before the option were written."""
    d = asdict(plan)
    if plan.boost:
        d["boost"] = [[spec, factor] for spec, factor in plan.boost]
    else:
        del d["boost"]
    return d


def read_meta(root: str | os.PathLike) -> dict:
    path = Path(root) / META
    if not path.is_file():
        raise DatasetError(
            f"{root} is not a pageocr dataset (no {META}); make one with `pageocr synth`"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def _write_shard(path: Path, images: np.ndarray, labels: np.ndarray, faces: np.ndarray) -> None:
    import tensorflow as tf

    tmp = path.with_suffix(".partial")
    with tf.io.TFRecordWriter(str(tmp)) as w:
        for img, y, f in zip(images, labels, faces):
            ex = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "image": tf.train.Feature(
                            bytes_list=tf.train.BytesList(value=[img.tobytes()])
                        ),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(y)])),
                        "face": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(f)])),
                    }
                )
            )
            w.write(ex.SerializeToString())
    os.replace(tmp, path)  # a shard is on disk whole or not at all


def undrawn(table: FaceTable, charset: Charset, split: str) -> str:
    """The characters of ``charset`` that no face of ``split`` draws (never sampled there)."""
    by_char = table.by_char(_split_faces(table, split), len(charset))
    return "".join(ch for ch, faces in zip(charset.chars, by_char) if not faces.size)


def _warn_undrawn(table: FaceTable, charset: Charset, split: str) -> None:
    missing = undrawn(table, charset, split)
    if missing:
        log.warning(
            "%d of %d characters are drawn by no %s face and get no %s examples: %s%s",
            len(missing), len(charset), split, split, missing[:40],
            " ..." if len(missing) > 40 else "",
        )  # fmt: skip


def synthesize(
    root: str | os.PathLike,
    charset: Charset,
    faces: Sequence[Face],
    plan: Plan,
    aug: Augment = Augment(),
    workers: int = 2,
    on_shard: Callable[[str, int], None] | None = None,
    regional_chars: str | None = None,
) -> dict[str, int]:
    """Write (or complete) a dataset.

    Args:
        root: output folder.
        charset: classes.
        faces: candidate faces; their ``split`` decides train vs held-out.
        plan: counts per split, shard size, crop size, seed.
        aug: augmentation settings.
        workers: rendering processes.
        on_shard: called with (split, examples) after each shard is written or skipped.
        regional_chars: the only characters the regional faces among ``faces``
            (fonts.is_regional) draw, e.g. charset.traditional_tier(); None: all they
            cover. Recorded in meta.json.

    Returns:
        Examples per split now on disk.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    table = FaceTable.build(faces, charset, regional_chars)
    _check_splits(table, charset, plan)
    write_meta(root, charset, table, plan, aug, regional_chars)
    todo = _shards_to_render(root, plan, on_shard)
    _render_shards(root, todo, (table, charset.chars, plan, aug), workers, on_shard)
    return {s: plan.counts[s] for s in plan.counts}


def _check_splits(table: FaceTable, charset: Charset, plan: Plan) -> None:
    """Raise DatasetError for an unknown split or one no face can draw; warn of the
    characters a split's faces do not cover."""
    for split in plan.counts:
        if split not in SPLITS:
            raise DatasetError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")
        if plan.counts[split] and not _split_faces(table, split):
            raise DatasetError(f"no {split} faces cover any character of the charset")
        if plan.counts[split]:
            _warn_undrawn(table, charset, split)


def _shards_to_render(
    root: Path, plan: Plan, on_shard: Callable[[str, int], None] | None
) -> list[tuple[str, int]]:
    """(split, shard index) of the shards not on disk yet; ``on_shard`` is told of the
    others."""
    todo = []
    for split in plan.counts:
        for k in range(plan.shards(split)):
            if plan.shard_path(root, split, k).exists():
                if on_shard:
                    on_shard(split, min(plan.shard_size, plan.counts[split] - k * plan.shard_size))
            else:
                todo.append((split, k))
    return todo


def _render_shards(
    root: Path,
    todo: list[tuple[str, int]],
    initargs: tuple,
    workers: int,
    on_shard: Callable[[str, int], None] | None,
) -> None:
    """Render the shards ``todo`` in ``workers`` processes (each set up with
    ``initargs``: the face table, the classes, the plan and the augmentation), at most
    two each in flight, and write each as it comes back."""
    plan = initargs[2]
    ctx = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=max(1, workers), mp_context=ctx, initializer=_init_worker, initargs=initargs
    ) as pool:
        pending = {}
        queue = iter(todo)
        for job in queue:
            pending[pool.submit(render_shard, *job)] = job
            if len(pending) >= 2 * max(1, workers):
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                split, k = pending.pop(fut)
                images, labels, face_ids = fut.result()
                _write_shard(plan.shard_path(root, split, k), images, labels, face_ids)
                if on_shard:
                    on_shard(split, len(labels))
                nxt = next(queue, None)
                if nxt is not None:
                    pending[pool.submit(render_shard, *nxt)] = nxt


# --- reading ------------------------------------------------------------------


def shard_files(root: str | os.PathLike, split: str) -> list[str]:
    files = sorted(str(p) for p in Path(root).glob(f"{split}-*.tfrecord"))
    if not files:
        raise DatasetError(f"{root} has no shards of split {split!r}")
    return files


def load(
    root: str | os.PathLike,
    split: str,
    batch_size: int = 256,
    shuffle: bool = False,
    seed: int = 0,
    repeat: bool = False,
    with_face: bool = False,
):
    """A tf.data pipeline over one split.

    Args:
        root: dataset folder.
        split: ``train``, ``val`` or ``test-heldout``.
        batch_size: examples per batch.
        shuffle: shuffle shards and examples (deterministically from ``seed``).
        seed: shuffle seed.
        repeat: loop forever (training).
        with_face: also yield the face id.

    Returns:
        tf.data.Dataset of (images float32 (B, S, S, 1) in 0..255, labels int32 (B,))
        or (images, labels, faces).
    """
    import tensorflow as tf

    size = read_meta(root)["plan"]["size"]
    files = shard_files(root, split)
    ds = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.interleave(
        tf.data.TFRecordDataset,
        cycle_length=4,
        block_length=16,
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    if shuffle:
        ds = ds.shuffle(20_000, seed=seed, reshuffle_each_iteration=True)
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "face": tf.io.FixedLenFeature([], tf.int64),
    }

    def parse(batch):
        ex = tf.io.parse_example(batch, spec)
        img = tf.io.decode_raw(ex["image"], tf.uint8)
        img = tf.cast(tf.reshape(img, [-1, size, size, 1]), tf.float32)
        out = (img, tf.cast(ex["label"], tf.int32))
        return out + (tf.cast(ex["face"], tf.int32),) if with_face else out

    ds = ds.batch(batch_size, drop_remainder=repeat)
    return ds.map(parse, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def real_crops(path: str | os.PathLike, charset: Charset) -> tuple[np.ndarray, np.ndarray]:
    """Crops cut from real pages, as training data.

    Args:
        path: an ``.npz`` with ``crops`` uint8 (N, S, S), white ink on black, and
            ``labels`` (N,) one character each (``python -m benchmarks docs crops ... -o``
            writes one).
        charset: the classes; crops of characters outside it are dropped (the reject
            examples, labelled :data:`recognizer.charset.REJECT`, unless it holds that
            class).

    Returns:
        images uint8 (M, S, S) and labels int32 (M,), M <= N.

    Raises:
        DatasetError: the file is not such an ``.npz`` or none of its labels is a class.
    """
    try:
        with np.load(path, allow_pickle=False) as d:
            crops, chars = d["crops"], d["labels"]
    except (OSError, KeyError, ValueError) as err:
        raise DatasetError(f"{path}: not an .npz of crops and labels ({err})") from None
    if crops.ndim != 3 or crops.dtype != np.uint8 or len(crops) != len(chars):
        raise DatasetError(f"{path}: crops must be uint8 (N, S, S) with one label each")
    ids = np.array([charset.index(c) if c in charset else -1 for c in map(str, chars)], np.int32)
    keep = ids >= 0
    if not keep.any():
        raise DatasetError(f"{path}: none of its labels is in the charset")
    return crops[keep], ids[keep]


def synthetic_rejects(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """Crops of things that are not characters, drawn: examples of the reject class
    beside the real ones (picture pieces the segmenter cut, which few text-layer pages
    hold).

    Five kinds in turn: speckle noise, halftone shading, a gradient block, blobs
    (thresholded smoothed noise, as pieces of drawings) and smooth grey texture (pieces of
    photographs). Straight rules are left to the real crops: drawn ones would look
    like 一 or — framed as the reader frames them.

    Args:
        n: how many.
        size: crop side.
        seed: every crop is a function of (seed, its index).

    Returns:
        uint8 (n, size, size), white ink on black.

    >>> synthetic_rejects(5, 32).shape
    (5, 32, 32)
    """
    import cv2

    out = np.zeros((n, size, size), np.uint8)
    m = max(1, round(size * 0.08))
    inner = size - 2 * m
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        kind = i % 5
        img: np.ndarray
        if kind == 0:  # speckle
            img = (rng.random((inner, inner)) < rng.uniform(0.01, 0.08)) * 255.0
            img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.3, 0.8))
        elif kind == 1:  # halftone shading
            pitch = int(rng.integers(2, 6))
            yy, xx = np.mgrid[:inner, :inner]
            img = (((yy % pitch) == 0) & ((xx + (yy // pitch) % 2) % pitch == 0)) * 255.0
            img = img * rng.uniform(0.4, 1.0)
        elif kind == 2:  # gradient block
            ramp = np.linspace(rng.uniform(0, 120), rng.uniform(80, 255), inner)
            img = np.tile(ramp, (inner, 1))
            img = img if rng.random() < 0.5 else img.T
        elif kind == 3:  # blobs
            noise = cv2.GaussianBlur(rng.random((inner, inner)), (0, 0), rng.uniform(2, 5))
            img = (noise > np.quantile(noise, rng.uniform(0.3, 0.8))) * 255.0
        else:  # smooth texture
            noise = cv2.GaussianBlur(rng.random((inner, inner)), (0, 0), rng.uniform(1, 3))
            img = (noise - noise.min()) / max(float(np.ptp(noise)), 1e-6) * rng.uniform(120, 255)
        # a piece of a picture need not fill the square: keep a random part of it
        h, w = (int(v) for v in rng.integers(inner // 2, inner + 1, 2))
        y, x = int(rng.integers(0, inner - h + 1)), int(rng.integers(0, inner - w + 1))
        part = np.zeros((inner, inner))
        part[y : y + h, x : x + w] = img[y : y + h, x : x + w]
        out[i, m : m + inner, m : m + inner] = np.clip(part, 0, 255).astype(np.uint8)
    return out


def load_real(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int = 0):
    """An endless, shuffled tf.data pipeline over :func:`real_crops`' arrays.

    Shuffles indices, not images, so a checkpoint of its iterator stays small.

    Returns:
        tf.data.Dataset of (images float32 (B, S, S, 1) in 0..255, labels int32 (B,)).
    """
    import tensorflow as tf

    x = tf.constant(images[..., None])
    y = tf.constant(labels)
    n = len(labels)
    ds = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True).repeat()
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda i: (tf.cast(tf.gather(x, i), tf.float32), tf.gather(y, i)))
    return ds.prefetch(tf.data.AUTOTUNE)


def generate(
    charset: Charset,
    faces: Sequence[Face],
    split: str = "train",
    size: int = 32,
    seed: int = 0,
    aug: Augment = Augment(),
) -> Iterator[tuple[np.ndarray, int]]:
    """On-the-fly source: an endless stream of (image uint8 (S, S), label).

    Renders in this process; wrap with ``tf.data.Dataset.from_generator`` to
    train without writing a dataset first.
    """
    table = FaceTable.build(faces, charset)
    plan = Plan(counts={split: 1 << 62}, shard_size=1024, size=size, seed=seed)
    _init_worker(table, charset.chars, plan, aug)
    k = 0
    while True:
        images, labels, _ = render_shard(split, k)
        yield from zip(images, labels.tolist())
        k += 1
