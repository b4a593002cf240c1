"""Simplified and traditional script: which forms may be read, and conversion when asked.

``--script`` says which forms the recogniser may output. ``auto`` (the default) keeps
every class of the model, so each character comes out in the form it was read in.
``simplified`` takes out the traditional-only classes (traditional forms that are
neither in GB2312 nor in 通用规范汉字表, e.g. 說 這), ``traditional`` the
simplified-only ones (characters OpenCC writes differently in traditional script, e.g.
说 这). A class taken out gets probability 0; the others keep theirs, not scaled up, so
a page of the other script reads as doubtful characters, never as confident ones.

``--convert s2t|t2s`` converts the text read, phrase by phrase, with OpenCC (the
optional ``opencc`` package): only when asked, never on its own.

>>> from recognizer.charset import Charset
>>> mask = allowed(Charset("说說中"), "traditional")
>>> mask.tolist()
[False, True, True]
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import numpy as np

from ocr_pipeline.results import PageResult
from recognizer.charset import Charset, s2t_forms
from recognizer.runtime import PredictorWrapper

SCRIPTS = ("auto", "simplified", "traditional")
CONVERSIONS = ("s2t", "t2s")


class ScriptError(ValueError):
    """A script or conversion that cannot be used (unknown, or OpenCC missing)."""


def simplified_only(ch: str) -> bool:
    """A character OpenCC writes differently in traditional script (说 -> 說)."""
    forms = s2t_forms().get(ch)
    return forms is not None and ch not in forms


def traditional_only(ch: str) -> bool:
    """A traditional form that neither GB2312 nor 通用规范汉字表 holds (說, 這)."""
    return ch in _traditional_only()


@functools.cache
def _traditional_only() -> frozenset[str]:
    simplified = set(Charset.from_spec("gb2312+tgscc").chars)
    return frozenset(set(Charset.from_spec("trad").chars) - simplified)


def allowed(charset: Charset, script: str) -> np.ndarray:
    """Which classes of ``charset`` may be read in ``script``: bool (len(charset),).

    Raises:
        ScriptError: an unknown script.
    """
    if script not in SCRIPTS:
        raise ScriptError(f"unknown script {script!r}; use one of {', '.join(SCRIPTS)}")
    if script == "auto":
        return np.ones(len(charset), bool)
    out_of_script = traditional_only if script == "simplified" else simplified_only
    return np.array([not out_of_script(c) for c in charset.chars], bool)


class ScriptPredictor(PredictorWrapper):
    """A crop predictor whose classes outside a script have probability 0 (the others
    keep theirs: rows then sum to 1 or less).

    Args:
        predictor: any :class:`ocr_pipeline.reader.CropPredictor`.
        mask: bool (C,), the classes kept (:func:`allowed`).
    """

    def __init__(self, predictor, mask: np.ndarray) -> None:
        super().__init__(predictor)
        self.mask = mask.astype(np.float32)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        return self.inner.predict(crops) * self.mask


def with_script(predictor, script: str):
    """``predictor`` restricted to ``script``; itself when the script keeps every class."""
    mask = allowed(predictor.charset, script)
    return predictor if mask.all() else ScriptPredictor(predictor, mask)


def converter(name: str) -> Callable[[str], str]:
    """OpenCC's conversion ``name`` (``s2t`` or ``t2s``) as a function of strings.

    Raises:
        ScriptError: an unknown conversion, or the ``opencc`` package is not installed.
    """
    if name not in CONVERSIONS:
        raise ScriptError(f"unknown conversion {name!r}; use one of {', '.join(CONVERSIONS)}")
    try:
        import opencc
    except ImportError:
        raise ScriptError(
            f"--convert {name} needs OpenCC, which is not installed: "
            "pip install 'pageocr[convert]' (or pip install opencc)"
        ) from None
    try:
        return opencc.OpenCC(name).convert
    except Exception:  # noqa: BLE001 - older OpenCC builds want the config file's name
        return opencc.OpenCC(f"{name}.json").convert


def convert_page(page: PageResult, convert: Callable[[str], str]) -> PageResult:
    """The page with each line's characters converted (boxes, confidences and
    alternatives kept: they are the recogniser's, of what it read).

    A line is converted whole, so that phrases choose their forms (头发 -> 頭髮, 发现 ->
    發現); a conversion that changes the line's length (none of OpenCC's s2t or t2s
    character tables does) falls back to one character at a time.
    """
    lines = []
    for line in page.lines:
        text = "".join(c.char for c in line.chars)
        out = convert(text)
        if len(out) != len(text):
            out = "".join(_one(convert, c) for c in text)
        chars = [dataclasses.replace(c, char=ch) if ch != c.char else c
                 for c, ch in zip(line.chars, out)]  # fmt: skip
        lines.append(dataclasses.replace(line, chars=chars))
    return dataclasses.replace(page, lines=lines)


def _one(convert: Callable[[str], str], ch: str) -> str:
    out = convert(ch)
    return out if len(out) == 1 else ch
