"""Build the character bigram language model the reader ships
(``ocr_pipeline/data/bigram.npz``, read by :mod:`ocr_pipeline.language`, whose
docstring gives the model) from jieba's word list::

    pip download jieba==0.42.1 --no-deps -d /tmp/jieba
    python -m tools.build_bigram /tmp/jieba/jieba-0.42.1.tar.gz

jieba 0.42.1 (MIT licence, (c) 2013 Sun Junyi) is needed only here, as a file: its
``jieba/dict.txt`` (~349k words with frequencies), restricted to the recogniser's hanzi.
"""

from __future__ import annotations

import argparse
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ocr_pipeline.language import DATA, UNIGRAM_PSEUDO, BigramModel, save


def read_jieba_dict(path: Path | str) -> list[tuple[str, float]]:
    """(word, frequency) from jieba's ``dict.txt``, or from its sdist ``.tar.gz``."""
    path = Path(path)
    if path.name.endswith((".tar.gz", ".tgz")):
        with tarfile.open(path) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("jieba/dict.txt"))
            data = tar.extractfile(member)
            if data is None:
                raise ValueError(f"{path}: {member.name} is not a regular file")
            text = data.read().decode("utf-8")
    else:
        text = path.read_text("utf-8")
    words = []
    for row in text.splitlines():
        parts = row.split()
        if len(parts) >= 2:
            words.append((parts[0], float(parts[1])))
    return words


def build(words: Iterable[tuple[str, float]], chars: str, source: str = "") -> BigramModel:
    """Count a :class:`~ocr_pipeline.language.BigramModel` over ``chars`` from (word,
    frequency) pairs.

    A word is split at characters outside ``chars``; each piece counts as a word.

    >>> build([("模式", 10.0)], "模式").keys.tolist()   # the pair 模式: 0 * 2 + 1
    [1]
    """
    index = {c: i for i, c in enumerate(chars)}
    v = len(chars)
    total = np.full(v, UNIGRAM_PSEUDO)
    ends = np.zeros(v)
    starts = np.zeros(v)
    pairs: dict[int, float] = {}
    n_words = 0.0
    for word, f in words:
        for piece in _pieces(word, index):
            ids = [index[c] for c in piece]
            n_words += f
            starts[ids[0]] += f
            ends[ids[-1]] += f
            for i in ids:
                total[i] += f
            for a, b in zip(ids, ids[1:]):
                pairs[a * v + b] = pairs.get(a * v + b, 0.0) + f
    keys = np.array(sorted(pairs), np.int64)
    pair = np.array([pairs[k] for k in keys], np.float64)
    return BigramModel(
        chars=chars,
        keys=keys,
        pair=pair,
        total=total,
        ends=ends / max(n_words, 1.0),
        starts=starts,
        unigram=total / total.sum(),
        source=source,
    )


def _pieces(word: str, index: dict[str, int]) -> list[str]:
    """The maximal runs of ``word`` made of characters in ``index``."""
    out, cur = [], ""
    for c in word:
        if c in index:
            cur += c
        elif cur:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tools.build_bigram JIEBA_DICT [-o OUT] [--charset SPEC]``."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.build_bigram",
        description="Build the character bigram model from jieba's dict.txt.",
    )
    parser.add_argument("dict", help="jieba's dict.txt or the jieba sdist .tar.gz")
    parser.add_argument("-o", "--out", default=str(DATA), help="default: the shipped file")
    parser.add_argument("--charset", default="gb2312-1",
                        help="vocabulary (a recognizer charset spec)")  # fmt: skip
    args = parser.parse_args(argv)
    from recognizer.charset import Charset

    chars = "".join(Charset.from_spec(args.charset).chars)
    source = f"jieba dict.txt ({Path(args.dict).name}, MIT licence); charset {args.charset}"
    model = build(read_jieba_dict(args.dict), chars, source)
    save(model, Path(args.out))
    size = Path(args.out).stat().st_size
    print(f"{args.out}: {len(chars)} chars, {len(model.keys)} pairs, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
