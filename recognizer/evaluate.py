"""Evaluation: top-1 / top-5 on a dataset split, per face, script and tier, confusions, mistakes.

``evaluate`` takes any callable from a batch of crops to probabilities, so the
Keras model during training and the shipped LiteRT model are measured by the
same code.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recognizer.charset import TIERS, Charset, script_of, tier_of
from recognizer.runtime import top_ids


def topk_accuracy(
    model, data: str, split: str, batch_size: int = 256, max_batches: int | None = None
) -> tuple[float, float]:
    """Top-1 and top-5 accuracy of a Keras model on (the first batches of) a split."""
    from recognizer import dataset

    try:
        ds = dataset.load(data, split, batch_size)
    except dataset.DatasetError as err:
        raise ValueError(str(err)) from None
    if max_batches:
        ds = ds.take(max_batches)
    hit1 = hit5 = total = 0
    for x, y in ds:
        logits = model(x, training=False).numpy()
        top5 = top_ids(logits, 5)
        yy = y.numpy()[:, None]
        hit1 += int((top5[:, :1] == yy).sum())
        hit5 += int((top5 == yy).any(axis=1).sum())
        total += len(yy)
    return hit1 / max(total, 1), hit5 / max(total, 1)


@dataclass
class Report:
    """Results of :func:`evaluate`."""

    total: int = 0
    top1: int = 0
    top5: int = 0
    per_face: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    #: ``{tier}_n``, ``{tier}_top1``, ``{tier}_top5`` over charset.TIERS
    per_tier: Counter = field(default_factory=Counter)
    confusions: Counter = field(default_factory=Counter)
    mistakes: list[tuple[np.ndarray, str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        faces = {}
        for name, c in sorted(self.per_face.items()):
            faces[name] = {
                f"{s}_{m}": c[f"{s}_{m}"] / c[f"{s}_n"]
                for s in ("hanzi", "ascii", "punct")
                if c[f"{s}_n"]
                for m in ("top1", "top5")
            } | {f"{s}_n": c[f"{s}_n"] for s in ("hanzi", "ascii", "punct") if c[f"{s}_n"]}
        return {
            "n": self.total,
            "top1": self.top1 / max(self.total, 1),
            "top5": self.top5 / max(self.total, 1),
            "by_script": self.by_script(),
            "by_tier": self.by_tier(),
            "per_face": faces,
            "confusions": [[t, p, n] for (t, p), n in self.confusions.most_common(30)],
        }

    def by_script(self) -> dict[str, dict[str, float]]:
        tot: Counter = Counter()
        for c in self.per_face.values():
            tot.update(c)
        return {
            s: {
                "n": tot[f"{s}_n"],
                "top1": tot[f"{s}_top1"] / tot[f"{s}_n"],
                "top5": tot[f"{s}_top5"] / tot[f"{s}_n"],
            }
            for s in ("hanzi", "ascii", "punct")
            if tot[f"{s}_n"]
        }

    def by_tier(self) -> dict[str, dict[str, float]]:
        """Top-1 / top-5 per tier of a large charset (charset.tier_of: level-1, level-2,
        level-3, traditional, ascii, punct), over the tiers the split holds."""
        c = self.per_tier
        return {
            t: {
                "n": c[f"{t}_n"],
                "top1": c[f"{t}_top1"] / c[f"{t}_n"],
                "top5": c[f"{t}_top5"] / c[f"{t}_n"],
            }  # fmt: skip
            for t in TIERS
            if c[f"{t}_n"]
        }


def evaluate(
    predict: Callable[[np.ndarray], np.ndarray],
    data: str,
    split: str,
    charset: Charset,
    batch_size: int = 512,
    limit: int | None = None,
    keep_mistakes: int = 64,
) -> Report:
    """Evaluate a predictor on a dataset split.

    Args:
        predict: batch float32 (B, S, S, 1) 0..255 -> probabilities (B, C).
        data: dataset folder.
        split: split name.
        charset: the model's charset; dataset labels are mapped through characters,
            so a model and a dataset with different charsets can still be compared (a
            class the model lacks counts as missed, under its own script and tier).
        batch_size: crops per call.
        limit: stop after this many examples.
        keep_mistakes: how many wrong crops to keep for the contact sheet.
    """
    from recognizer import dataset

    meta = dataset.read_meta(data)
    data_chars = meta["charset"]["chars"]
    face_names = [f"{f['family']} {f['style']}".strip() for f in meta["faces"]]
    # dataset id -> model id (-1: the model cannot output it)
    remap = np.array([charset.index(c) if c in charset else -1 for c in data_chars])
    rep = Report()
    for x, y, fid in dataset.load(data, split, batch_size, with_face=True):
        probs = predict(x.numpy())
        top5 = top_ids(probs, 5)
        truth = remap[y.numpy()]
        for img, label, t, tops, f in zip(x.numpy(), y.numpy(), truth, top5, fid.numpy()):
            ch = data_chars[label]
            hit1, hit5 = tops[0] == t, t in tops
            for c, key in (
                (rep.per_face[face_names[f]], script_of(ch)),
                (rep.per_tier, tier_of(ch)),
            ):
                c[f"{key}_n"] += 1
                c[f"{key}_top1"] += int(hit1)
                c[f"{key}_top5"] += int(hit5)
            rep.total += 1
            rep.top1 += int(hit1)
            rep.top5 += int(hit5)
            if not hit1:
                pred = charset.chars[tops[0]]
                rep.confusions[(ch, pred)] += 1
                if len(rep.mistakes) < keep_mistakes:
                    rep.mistakes.append((img[..., 0].astype(np.uint8), ch, pred))
        if limit and rep.total >= limit:
            break
    return rep


def write_report(rep: Report, out_dir: Path, font_path: str | None = None) -> None:
    """``metrics.json`` and ``mistakes.png`` (crop, truth, prediction) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(
        json.dumps(rep.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if rep.mistakes:
        from recognizer.preview import labelled_sheet

        labelled_sheet(
            [(img, f"{t}→{p}") for img, t, p in rep.mistakes],
            out_dir / "mistakes.png",
            font_path=font_path,
        )
