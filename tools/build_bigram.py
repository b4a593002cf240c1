"""Build the character bigram language model the reader ships
(``ocr_pipeline/data/bigram.npz``, read by :mod:`ocr_pipeline.language`, whose
docstring gives the model) from jieba's word list::

    pip download jieba==0.42.1 --no-deps -d /tmp/jieba
    python -m tools.build_bigram /tmp/jieba/jieba-0.42.1.tar.gz

jieba 0.42.1 (MIT licence, (c) 2013 Sun Junyi) is needed only here, as a file: its
``jieba/dict.txt`` (~349k words with frequencies), restricted to the hanzi of every shipped
model (``gb2312-1+tgscc+trad``: GB2312 level 1, the 通用规范汉字表 and the traditional set),
each word counted also in its traditional forms by OpenCC (``s2t`` and ``s2tw``, the
``opencc`` package of the ``test`` and ``convert`` extras), so that a traditional page has
its words too. ``--charset gb2312-1 --no-traditional`` gives the model shipped before
(2026-12-03), the same file byte for byte.
"""

from __future__ import annotations

import argparse
import tarfile
from collections.abc import Callable, Iterable, Iterator, Sequence
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


def with_traditional(
    words: Iterable[tuple[str, float]], converts: Sequence[Callable[[str], str]]
) -> Iterator[tuple[str, float]]:
    """Each (word, frequency), then each traditional form that ``converts`` write
    differently (发现 -> 發現; 里面 -> 裏面 and, in Taiwan's, 裡面), with the same
    frequency: traditional text gets the pairs its simplified original has, and a word
    the scripts share is counted once.

    >>> list(with_traditional([("发现", 5.0), ("中文", 2.0)], [{"发现": "發現"}.get]))
    [('发现', 5.0), ('發現', 5.0), ('中文', 2.0)]
    """
    for word, f in words:
        yield word, f
        seen = {word}
        for convert in converts:
            other = convert(word)
            if other and other not in seen:
                seen.add(other)
                yield other, f


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
    """``python -m tools.build_bigram JIEBA_DICT [-o OUT] [--charset SPEC] [--no-traditional]``."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.build_bigram",
        description="Build the character bigram model from jieba's dict.txt.",
    )
    parser.add_argument("dict", help="jieba's dict.txt or the jieba sdist .tar.gz")
    parser.add_argument("-o", "--out", default=str(DATA), help="default: the shipped file")
    parser.add_argument("--charset", default="gb2312-1+tgscc+trad",
                        help="vocabulary (a recognizer charset spec)")  # fmt: skip
    parser.add_argument("--traditional", action=argparse.BooleanOptionalAction, default=True,
                        help="count each word's traditional forms too (OpenCC)")  # fmt: skip
    args = parser.parse_args(argv)
    from recognizer.charset import Charset

    chars = "".join(Charset.from_spec(args.charset).chars)
    source = f"jieba dict.txt ({Path(args.dict).name}, MIT licence); charset {args.charset}"
    words: Iterable[tuple[str, float]] = read_jieba_dict(args.dict)
    if args.traditional:
        import opencc

        converts = [opencc.OpenCC(f"{name}.json").convert for name in ("s2t", "s2tw")]
        words = with_traditional(words, converts)
        version = getattr(opencc, "__version__", "")
        source += f"; each word also in its traditional forms (OpenCC {version} s2t, s2tw)"
    model = build(words, chars, source)
    save(model, Path(args.out))
    size = Path(args.out).stat().st_size
    print(f"{args.out}: {len(chars)} chars, {len(model.keys)} pairs, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
