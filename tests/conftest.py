"""Shared fixtures of the recogniser tests: the subset faces, a tiny charset and
dataset, a tiny model trained on it and its LiteRT export.

Only the committed subset fonts are used (never the system's).  The costly
fixtures are session-scoped and built once: the dataset takes a few seconds to
render, the model ~20 s to train on two CPU cores, the export ~10 s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

FIXTURES = Path(__file__).resolve().parent / "fixtures"
NOTO = FIXTURES / "NotoSansSC-subset.otf"
KAI = FIXTURES / "LXGWWenKai-subset.ttf"
HELDOUT = ("LXGW WenKai",)
TINY_CHARS = "一二三永"
#: The hanzi the subset fonts hold (besides a-z A-Z 0-9 and some punctuation).
SUBSET_HANZI = "一二三永川儿小八行中文字识别的是了人大国我们这个在有上不为和"
TINY_STEPS = 500


def tiny_plan():
    from recognizer.dataset import Plan

    return Plan(counts={"train": 400, "val": 80, "test-heldout": 80}, shard_size=200, size=32,
                seed=0)  # fmt: skip


@pytest.fixture(scope="session")
def noto_face():
    from recognizer.fonts import read_faces

    (face,) = read_faces(NOTO, heldout=HELDOUT)
    return face


@pytest.fixture(scope="session")
def kai_face():
    from recognizer.fonts import read_faces

    (face,) = read_faces(KAI, heldout=HELDOUT)
    return face


@pytest.fixture(scope="session")
def faces(noto_face, kai_face):
    """Noto Sans SC (train) and LXGW WenKai (held out)."""
    return [noto_face, kai_face]


@pytest.fixture(scope="session")
def tiny_charset():
    from recognizer.charset import Charset

    return Charset(TINY_CHARS, "tiny")


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory, tiny_charset, faces) -> Path:
    """A dataset of 400 / 80 / 80 crops of 一二三永, 200 per shard, default augmentation.

    (The default augmentation, not CLEAN: on clean crops the tiny model's batch-norm
    statistics lag behind and its inference accuracy stayed at 25-65 % after 400 steps.)
    Treat as read-only; copy it before changing anything.
    """
    from recognizer.dataset import synthesize

    root = tmp_path_factory.mktemp("tiny-data")
    synthesize(root, tiny_charset, faces, tiny_plan(), workers=1)
    return root


@pytest.fixture(scope="session")
def val_batch(tiny_data) -> tuple[np.ndarray, np.ndarray]:
    """The whole val split: crops float32 (80, 32, 32, 1) 0..255 and labels (80,)."""
    from recognizer.dataset import load

    x, y = next(iter(load(tiny_data, "val", batch_size=1000)))
    return x.numpy(), y.numpy()


@dataclass
class TrainedRun:
    run_dir: Path
    row: dict


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_data) -> TrainedRun:
    """The tiny model trained to (near) 100 % val top-1 on 一二三永."""
    from recognizer.train import TrainConfig, train

    run = tmp_path_factory.mktemp("tiny-run")
    cfg = TrainConfig(data=str(tiny_data), run_dir=str(run), model="tiny", steps=TINY_STEPS,
                      batch_size=32, lr=0.02, eval_every=TINY_STEPS, eval_batches=2, jit=False,
                      warmup_steps=20)  # fmt: skip
    row = train(cfg)
    return TrainedRun(run, row)


@dataclass
class Exported:
    out: Path
    tflite: Path
    parity: dict


@pytest.fixture(scope="session")
def exported(tmp_path_factory, trained_run, val_batch) -> Exported:
    """The trained run exported to ``model-fp32.tflite`` (+ sidecar) and a SavedModel."""
    from recognizer.export import export_run

    out = tmp_path_factory.mktemp("tiny-export")
    parity = export_run(trained_run.run_dir, out, val_batch[0], precisions=("fp32",))
    return Exported(out, out / "model-fp32.tflite", parity)


@pytest.fixture()
def two_page_pdf(tmp_path) -> Path:
    """samples/paragraph.png twice, as a PDF of 96 dpi pages (546 x 133.5 pt)."""
    from PIL import Image

    img = Image.open(Path(__file__).resolve().parents[1] / "samples" / "paragraph.png")
    img = img.convert("RGB")
    path = tmp_path / "two.pdf"
    img.save(path, save_all=True, append_images=[img], resolution=96)
    return path
