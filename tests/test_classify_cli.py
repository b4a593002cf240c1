"""The command line: ``pageocr classify`` with the exported tiny model, ``synth`` and ``fonts``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import HELDOUT, KAI, NOTO, TINY_CHARS
from PIL import Image
from typer.testing import CliRunner

from ocr_pipeline.cli import app
from recognizer.render import CLEAN, render

runner = CliRunner()


def invoke(*args: str, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def assert_clean_failure(result, *words: str) -> None:
    """Non-zero exit, exactly one ``pageocr: error:`` line naming the problem, no traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("pageocr: error:")]
    assert len(errors) == 1, result.stderr
    for word in words:
        assert word in errors[0]
    assert "Traceback" not in result.output


def _place(glyph: np.ndarray, width: int, height: int) -> np.ndarray:
    """A white-on-black glyph scaled to 80 % of the short side, centred on a w x h canvas."""
    f = 0.8 * min(width, height) / glyph.shape[0]
    g = cv2.resize(glyph, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width), np.uint8)
    y, x = (height - g.shape[0]) // 2, (width - g.shape[1]) // 2
    out[y : y + g.shape[0], x : x + g.shape[1]] = g
    return out


@pytest.fixture(scope="module")
def crops(tmp_path_factory, faces) -> tuple[Path, str]:
    """Clean crops of 一二三永 from both faces, in both polarities, at 40x40 and 90x70.

    Named 0.png, 1.png, ... 31.png (no zero padding: folder order must be natural).
    Returns the folder and the characters in file-number order.
    """
    folder = tmp_path_factory.mktemp("crops")
    truth = []
    i = 0
    for face in faces:
        for width, height in ((40, 40), (90, 70)):
            for dark_on_light in (True, False):
                for ch in TINY_CHARS:
                    glyph = render(face, ch, seed=i, size=64, mode="tight", aug=CLEAN)
                    img = _place(glyph, width, height)
                    if dark_on_light:
                        img = 255 - img
                    Image.fromarray(img).save(folder / f"{i}.png")
                    truth.append(ch)
                    i += 1
    return folder, "".join(truth)


def _per_file(stdout: str) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for line in stdout.splitlines()[:-1]:
        name, cands = line.split("\t")
        pairs = [c.split(" ") for c in cands.split("  ")]
        out[name] = [(c, float(p)) for c, p in pairs]
    return out


# ------------------------------------------------------------------ classify


def test_classify_a_folder(crops, exported):
    folder, truth = crops
    result = invoke("classify", "--model", exported.tflite, folder)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == truth
    per_file = _per_file(result.stdout)
    assert list(per_file) == [f"{i}.png" for i in range(len(truth))]  # natural order
    for i, ch in enumerate(truth):
        cands = per_file[f"{i}.png"]
        assert cands[0][0] == ch, (i, cands)
        assert len(cands) == 3
        assert [p for _, p in cands] == sorted((p for _, p in cands), reverse=True)


def test_classify_with_an_export_folder(crops, exported):
    folder, truth = crops
    result = invoke("classify", "--model", exported.out, folder)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == truth


def test_classify_in_chunks_gives_the_same_answers(crops, exported, monkeypatch):
    import ocr_pipeline.classify as classify
    from recognizer.runtime import Predictor

    folder, truth = crops
    paths = sorted(Path(folder).glob("*.png"))
    pred = Predictor(exported.tflite)
    whole = classify.classify_files(paths, pred)
    calls = []
    predict = pred.predict
    pred.predict = lambda x: calls.append(len(x)) or predict(x)
    monkeypatch.setattr(classify, "CHUNK", 5)
    chunked = classify.classify_files(paths, pred)
    assert calls == [5] * (len(paths) // 5) + ([len(paths) % 5] if len(paths) % 5 else [])
    assert [r.chars for r in chunked] == [r.chars for r in whole]
    assert np.allclose([r.probs for r in chunked], [r.probs for r in whole], atol=1e-6)


def test_classify_sorts_names_naturally_not_lexically(crops):
    folder, truth = crops
    lexical = "".join(truth[int(p.stem)] for p in sorted(folder.glob("*.png")))
    assert lexical != truth  # so the test above really checks the natural order


@pytest.mark.parametrize("k", [1, 2, 4, 9])
def test_classify_json(crops, exported, k):
    folder, truth = crops
    result = invoke("classify", "--model", exported.tflite, "--json", "-k", k, folder)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"] == truth
    assert [Path(r["file"]).name for r in data["results"]] == [f"{i}.png" for i in
                                                               range(len(truth))]  # fmt: skip
    for r, ch in zip(data["results"], truth, strict=True):
        top = r["top"]
        assert len(top) == min(k, len(TINY_CHARS))
        assert top[0]["char"] == ch
        probs = [c["prob"] for c in top]
        assert all(0 <= p <= 1 for p in probs)
        assert sum(probs) <= 1 + 1e-5
        assert probs == sorted(probs, reverse=True)


def _ink_extent(img: np.ndarray) -> int:
    rows, cols = np.nonzero(img > 100)
    return max(rows.max() - rows.min() + 1, cols.max() - cols.min() + 1)


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_crop_framings(noto_face, dark_on_light):
    """tight frames the ink (~84 % of the side), asis keeps the image's own margins."""
    from ocr_pipeline.classify import crop_image

    glyph = render(noto_face, "永", seed=0, size=64, mode="tight", aug=CLEAN)
    img = np.zeros((120, 120), np.uint8)
    img[40:80, 40:80] = cv2.resize(glyph, (40, 40), interpolation=cv2.INTER_AREA)
    if dark_on_light:
        img = 255 - img
    tight = crop_image(img, 32, "tight")
    asis = crop_image(img, 32, "asis")
    assert tight.shape == asis.shape == (32, 32) and tight.dtype == np.uint8
    assert np.median(tight) < 30 and np.median(asis) < 30  # always white ink on black
    assert _ink_extent(tight) >= 0.75 * 32
    assert _ink_extent(asis) <= 0.4 * 32
    assert crop_image(np.full((50, 50), 255 * dark_on_light, np.uint8), 32) is None


def test_classify_with_the_keras_runtime(crops, exported, trained_run):
    folder, truth = crops
    result = invoke("classify", "--model", trained_run.run_dir, "--runtime", "tf", folder)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == truth


def test_classify_reports_bad_files_and_goes_on(tmp_path, crops, exported):
    folder, truth = crops
    good = [folder / f"{i}.png" for i in (0, 5, 10, 15)]
    png = good[0].read_bytes()
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png[: len(png) // 2])
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image\n")
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(blank)
    missing = tmp_path / "missing.png"
    args = [good[0], truncated, good[1], notes, good[2], blank, missing, good[3]]

    result = invoke("classify", "--model", exported.tflite, *args)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    errors = result.stderr.splitlines()
    assert all(ln.startswith("pageocr: error:") for ln in errors)
    for bad, why in ((truncated, "truncated"), (notes, "not an image"), (blank, "no ink"),
                     (missing, "no such file")):  # fmt: skip
        assert sum(str(bad) in ln and why in ln for ln in errors) == 1, (bad, errors)
    assert len(errors) == 4
    assert result.stdout.splitlines()[-1] == "".join(truth[i] for i in (0, 5, 10, 15))
    assert [ln.split("\t")[0] for ln in result.stdout.splitlines()[:-1]] == [
        "0.png", "5.png", "10.png", "15.png"]  # fmt: skip


def test_classify_json_marks_errors(tmp_path, crops, exported):
    folder, truth = crops
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    result = invoke("classify", "--model", exported.tflite, "--json", folder / "3.png", notes)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["text"] == truth[3]
    assert "error" in data["results"][1] and "top" not in data["results"][1]


def test_classify_skips_non_images_inside_a_folder(tmp_path, crops, exported):
    folder, truth = crops
    for i in (2, 1):
        (tmp_path / f"{i}.png").write_bytes((folder / f"{i}.png").read_bytes())
    (tmp_path / "readme.txt").write_text("crops of 二 and 三")
    result = invoke("classify", "--model", exported.tflite, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == truth[1] + truth[2]


@pytest.mark.parametrize(
    ("make_args", "words"),
    [
        (lambda tmp, model, crop: ["--model", tmp / "nope.tflite", crop], ["nope.tflite",
                                                                           "does not exist"]),
        (lambda tmp, model, crop: ["--model", model, "--runtime", "cuda", crop],
         ["unknown runtime 'cuda'"]),
        (lambda tmp, model, crop: ["--model", model, "--framing", "loose", crop], ["--framing"]),
        (lambda tmp, model, crop: ["--model", model, tmp], ["no images found"]),
        (lambda tmp, model, crop: ["--model", tmp, crop], ["holds no model"]),
    ],
    ids=["missing-model", "unknown-runtime", "unknown-framing", "empty-folder", "no-model-in-dir"],
)  # fmt: skip
def test_classify_usage_errors(tmp_path, crops, exported, make_args, words):
    crop = crops[0] / "0.png"
    result = invoke("classify", *make_args(tmp_path, exported.tflite, crop))
    assert_clean_failure(result, *words)
    assert result.stdout == ""


# ------------------------------------------------------------------ synth


@pytest.fixture()
def tiny_chars_file(tmp_path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(" ".join(TINY_CHARS) + "\n", encoding="utf-8")
    return path


def _synth_args(out, charset_file):
    return ["synth", "-o", out, "--font", NOTO, "--font", KAI, "--heldout", HELDOUT[0],
            "--charset", charset_file, "--train", 40, "--val", 10, "--test", 10,
            "--shard-size", 20, "--workers", 1]  # fmt: skip


def test_synth_end_to_end(tmp_path, tiny_chars_file):
    out = tmp_path / "data"
    result = invoke(*_synth_args(out, tiny_chars_file))
    assert result.exit_code == 0, result.output
    assert "train 40, val 10, test-heldout 10" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "meta.json",
        "test-heldout-00000-of-00001.tfrecord",
        "train-00000-of-00002.tfrecord",
        "train-00001-of-00002.tfrecord",
        "val-00000-of-00001.tfrecord",
    ]
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["charset"]["chars"] == TINY_CHARS
    assert {f["family"]: f["split"] for f in meta["faces"]} == {
        "Noto Sans CJK SC": "train", "LXGW WenKai": "heldout"}  # fmt: skip
    assert meta["plan"]["counts"] == {"train": 40, "val": 10, "test-heldout": 10}

    again = invoke(*_synth_args(out, tiny_chars_file))  # a re-run resumes: nothing to do
    assert again.exit_code == 0, again.output
    other = invoke(*_synth_args(out, tiny_chars_file), "--seed", 5)
    assert_clean_failure(other, "different dataset")


def test_synth_preview(tmp_path):
    png = tmp_path / "sheet.png"
    result = invoke("synth", "--preview", png, "--font", NOTO, "--font", KAI)
    assert result.exit_code == 0, result.output
    assert f"wrote {png}" in result.stdout
    with Image.open(png) as img:
        w, h = img.size
    assert h >= 2 * 48 and w > 10 * 48  # a row per face, many tiles per row
    assert not (tmp_path / "data").exists()


def _bad(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make_args", "words"),
    [
        (lambda t: ["--font", _bad(t, "fake.ttf", b"not a font"), "--charset", "digits"],
         ["fake.ttf", "not a font file"]),
        (lambda t: ["--font", NOTO, "--charset", _bad(t, "empty.txt", b"")],
         ["empty.txt", "no characters"]),
        (lambda t: ["--font", NOTO, "--charset", "nosuchset"], ["unknown charset 'nosuchset'"]),
        (lambda t: ["--font", NOTO, "--charset", _bad(t, "gbk.txt", "永".encode("gbk"))],
         ["not UTF-8"]),
        (lambda t: ["--font", t, "--charset", "digits"], ["no font faces found"]),
        (lambda t: ["--font", NOTO, "--font", KAI, "--heldout", "Nobody", "--charset", "digits"],
         ["no test-heldout faces"]),
        (lambda t: ["--font", NOTO, "--font", KAI, "--size", 4], ["--size"]),
    ],
    ids=["non-font", "empty-charset", "unknown-charset", "non-utf8-charset", "no-faces",
         "no-heldout-faces", "tiny-size"],
)  # fmt: skip
def test_synth_bad_inputs(tmp_path, make_args, words):
    out = tmp_path / "out"
    result = invoke("synth", "-o", out, "--train", 4, "--val", 2, "--test", 2,
                    "--shard-size", 4, "--workers", 1, *make_args(tmp_path))  # fmt: skip
    assert_clean_failure(result, *words)
    assert not list(out.glob("*.tfrecord"))


# ------------------------------------------------------------------ fonts


def test_fonts_lists_both_faces_with_their_split(tiny_chars_file):
    result = invoke("fonts", "--font", NOTO.parent, "--charset", tiny_chars_file,
                    env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.stdout.splitlines():
        if "Noto Sans CJK SC" in line:
            rows["noto"] = line
        elif "LXGW WenKai" in line:
            rows["kai"] = line
    assert set(rows) == {"noto", "kai"}, result.stdout
    assert "train" in rows["noto"] and "heldout" not in rows["noto"]
    assert "heldout" in rows["kai"]
    for line in rows.values():
        assert "100.0" in line  # both draw all four characters


def test_fonts_shows_progress_on_a_terminal(tiny_chars_file):
    """On a terminal (FORCE_COLOR makes rich's stderr one) a bar counts the faces
    measured, on stderr; the table alone is on stdout."""
    result = invoke("fonts", "--font", NOTO.parent, "--charset", tiny_chars_file,
                    env={"COLUMNS": "200", "FORCE_COLOR": "1"})  # fmt: skip
    assert result.exit_code == 0, result.output
    bar = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stderr)
    n = sum(".otf" in line or ".ttf" in line for line in result.stdout.splitlines())
    assert n == 3  # Noto Sans, Noto Serif, LXGW WenKai
    assert "coverage" in bar and f"{n}/{n} faces" in bar, bar
    assert "/3 faces" not in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stdout)


def test_fonts_prints_no_progress_into_a_pipe(tiny_chars_file):
    result = invoke("fonts", "--font", NOTO.parent, "--charset", tiny_chars_file)
    assert result.exit_code == 0, result.output
    assert "faces" not in result.stderr and "coverage" not in result.stderr


def test_fonts_with_a_bad_charset(tmp_path):
    result = invoke("fonts", "--font", NOTO, "--charset", tmp_path / "none.txt")
    assert_clean_failure(result, "does not exist")


# ------------------------------------------------------------------ train (argument errors only)


@pytest.mark.parametrize(
    ("make_args", "words"),
    [
        (lambda t: [], ["--config"]),
        (lambda t: ["--config", t / "none.toml"], ["none.toml", "does not exist"]),
        (lambda t: ["--resume", t], ["not a run folder"]),
        (lambda t: ["--config", _bad(t, "c.toml", b"[train]\nbogus = 1\n")], ["bogus"]),
    ],
    ids=["nothing", "missing-config", "not-a-run", "unknown-key"],
)
def test_train_argument_errors(tmp_path, make_args, words):
    assert_clean_failure(invoke("train", *make_args(tmp_path)), *words)


# ------------------------------------------------------------------ eval


def test_eval_command(tmp_path, exported, tiny_data):
    out = tmp_path / "report"
    result = invoke("eval", "--data", tiny_data, "--split", "test-heldout", "--model",
                    exported.tflite, "-o", out, env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "test-heldout: n=80" in result.stdout
    assert "per script" in result.stdout and "{" not in result.stdout
    hanzi = next(ln for ln in result.stdout.splitlines() if "hanzi" in ln and "80" in ln)
    assert re.search(r"\d+\.\d\d%.*\d+\.\d\d%", hanzi), hanzi
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["n"] == 80 and list(metrics["per_face"]) == ["LXGW WenKai Regular"]


def test_eval_command_prints_tiers_for_a_charset_beyond_level_1(
    tmp_path, exported, tiny_data, monkeypatch
):
    import recognizer.evaluate

    tier = {"永": "traditional", "三": "level-3"}
    monkeypatch.setattr(recognizer.evaluate, "tier_of", lambda ch: tier.get(ch, "level-1"))
    result = invoke("eval", "--data", tiny_data, "--model", exported.tflite, "-o",
                    tmp_path / "r", env={"COLUMNS": "200"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "per tier" in result.stdout
    rows = [ln.split() for ln in result.stdout.splitlines() if ln.split()[:1] == ["│"]]
    tiers = [r[1] for r in rows if r[1] in ("level-1", "level-3", "traditional")]
    assert tiers == ["level-1", "level-3", "traditional"]
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text(encoding="utf-8"))
    assert sum(m["n"] for m in metrics["by_tier"].values()) == 80


def test_training_evaluations_print_as_a_table():
    """What train prints after each evaluation: headings and percentages, not a dict."""
    from rich.console import Console

    from ocr_pipeline.cli import _eval_table

    row = {"step": 400, "time": 1.7e9, "train_loss": 0.123456, "train_acc": 0.98,
           "images_per_s": 812.4, "val_top1": 0.9912, "val_top5": 0.99987}  # fmt: skip
    con = Console(record=True, width=200)
    con.print(_eval_table(row))
    text = con.export_text()
    assert "evaluation at step 400" in text and "{" not in text and "time" not in text
    heads, values = [
        re.split("[│┃]", ln)[1:-1] for ln in text.splitlines() if "│" in ln or "┃" in ln
    ]
    assert [h.strip() for h in heads] == [
        "train loss", "train acc", "val top-1", "val top-5", "img/s"]  # fmt: skip
    assert [v.strip() for v in values] == [
        "0.1235", "98.00%", "99.12%", "99.99%", "812"]  # fmt: skip


def test_eval_of_a_missing_dataset(tmp_path, exported):
    result = invoke("eval", "--data", tmp_path, "--model", exported.tflite)
    assert_clean_failure(result, "not a pageocr dataset")


def test_synth_takes_the_larger_named_sets(tmp_path, caplog):
    """``--charset tgscc+trad+...`` is a named union; the characters no training face
    draws (all but the subset fonts' few) are named in a warning, not silently dropped."""
    out = tmp_path / "data"
    spec = "tgscc+trad+ascii+punct+punct-t"
    with caplog.at_level("WARNING", logger="recognizer.dataset"):
        result = invoke("synth", "-o", out, "--font", NOTO, "--font", KAI, "--heldout",
                        HELDOUT[0], "--charset", spec, "--train", 20, "--val", 0, "--test", 0,
                        "--shard-size", 20, "--workers", 1)  # fmt: skip
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["charset"]["spec"] == spec and len(meta["charset"]["chars"]) == 11282
    warned = [r.getMessage() for r in caplog.records if "drawn by no train face" in r.getMessage()]
    assert len(warned) == 1 and warned[0].startswith("11") and "of 11282" in warned[0]
