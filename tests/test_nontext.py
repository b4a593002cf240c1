"""The non-text line filter (ocr_pipeline.nontext): its fit, its file, and the shipped one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ocr_pipeline import nontext
from ocr_pipeline.nontext import FEATURES, NonText, features, fit, load


def _line(text: str, conf: float, height: int = 20, jitter: int = 0) -> list:
    rng = np.random.default_rng(len(text))
    out = []
    for i, ch in enumerate(text):
        h = height + int(rng.integers(-jitter, jitter + 1)) if jitter else height
        out.append((ch, conf, (i * 22, 0, i * 22 + 20, max(h, 1))))
    return out


def test_features_describe_a_line():
    x = features(_line("中文字识别", 0.95), 20.0)
    assert x.shape == (len(FEATURES),)
    named = dict(zip(FEATURES, x, strict=True))
    assert named["hanzi_share"] == 1.0 and named["mark_share"] == 0.0
    assert named["mean_confidence"] == pytest.approx(0.95)
    assert named["height_ratio"] == pytest.approx(1.0) and named["bias"] == 1.0
    marks = dict(zip(FEATURES, features(_line("'.,“~", 0.3), 20.0), strict=True))
    assert marks["mark_share"] == 1.0 and marks["low_confidence_share"] == 1.0


def test_fit_separates_what_is_separable():
    rng = np.random.default_rng(0)
    text = [features(_line("中文字识别的是了"[: rng.integers(3, 8)], rng.uniform(0.7, 1)), 20)
            for _ in range(60)]  # fmt: skip
    junk = [features(_line("'.,“~|i"[: rng.integers(3, 7)], rng.uniform(0.1, 0.5), jitter=8), 20)
            for _ in range(60)]  # fmt: skip
    x = np.array(text + junk)
    y = np.array([0] * 60 + [1] * 60, np.float64)
    f = NonText(fit(x, y), 0.5)
    assert sum(f.is_not_text(v) for v in x[:60]) == 0
    assert sum(f.is_not_text(v) for v in x[60:]) == 60


def test_load_refuses_another_feature_list(tmp_path):
    p = tmp_path / "nontext.json"
    p.write_text(json.dumps({"features": ["a"], "weights": [1.0], "threshold": 0.5}))
    with pytest.raises(ValueError, match="features"):
        load(p)
    assert load(tmp_path / "missing.json") is None


def test_the_shipped_filter_keeps_text_and_drops_marks():
    f = nontext.shipped()
    assert f is not None, "ocr_pipeline/data/nontext.json ships with the package"
    assert not f.is_not_text(features(_line("中文字识别的是了人大国", 0.97), 20.0))
    assert not f.is_not_text(features(_line("install", 0.9, height=14, jitter=3), 20.0))
    assert f.is_not_text(features(_line("'''''''''''''", 0.35, height=4), 20.0))
    assert f.is_not_text(features(_line("幽“,,....,e—^“nkrn", 0.3, jitter=12), 20.0))


def test_the_shipped_filter_records_its_fit():
    meta = json.loads(nontext.DATA.read_text(encoding="utf-8"))
    fitted = meta["fit"]
    # fitted on the development split only, and it drops far more junk than text
    assert fitted["split"] == "dev"
    assert fitted["dropped_not_text"] > 3 * fitted["dropped_text"]
