"""Character language model: hanzi the recogniser confused, corrected from context.

On small or blurred text the CNN mistakes hanzi for near look-alikes (模式 read
棋式, 冲突 read 中突), but its top-k list usually still holds the right one.
After a line's best path is chosen, :func:`correct` runs a Viterbi over the
top-k alternatives of each run of hanzi and scores a reading as

    sum_i  log p_cnn(c_i)  +  LAMBDA * log P(c_i | c_{i-1})  -  s_i * SWITCH_COST * [c_i != top-1]

with ``s_i = min(1, p_top1 / SURE)``, so a lower-ranked alternative wins only
where the context speaks for it clearly, or where the CNN itself is torn.
Anything that is not a hanzi of the model (Latin, digits, punctuation, a line
end) is a boundary: the hanzi after it is scored by its unigram probability,
and non-hanzi are never changed.

The model
---------
A character bigram model implied by a *word* unigram model: text is taken to
be a sequence of words drawn independently by frequency, so the expected count
of the character pair ``ab`` is its count inside words plus the chance that a
word ending in ``a`` is followed by one starting with ``b``::

    n(ab) = sum_w f_w * #ab(w)  +  E(a) * S(b) / F
    P(b | a) = (1 - UNIFORM) * (n(ab) + BETA * P(b)) / (n(a.) + BETA)  +  UNIFORM / V

with ``f_w`` the word frequencies, ``E(a)`` / ``S(b)`` the frequency of words
ending with ``a`` / starting with ``b``, ``F`` the total, and a Dirichlet prior
of weight ``BETA`` towards the unigram ``P(b)``.  Only the in-word pairs are
stored (sparse); the cross-word term is two vectors.

Source and licence
------------------
Built only from the word list ``jieba/dict.txt`` of the PyPI package
``jieba`` 0.42.1 (MIT licence, (c) 2013 Sun Junyi; ~349k words with
frequencies), restricted to the hanzi of every shipped recogniser (GB2312 level 1,
the 通用规范汉字表 and the traditional set: ``gb2312-1+tgscc+trad``, 11,127 characters),
each word counted also in its traditional forms by OpenCC (发现 -> 發現, 里面 -> 裏面 and
裡面), so that a traditional page has its words too.  No man pages (the page benchmark's
text) or other benchmark text went into it.  The shipped file
``ocr_pipeline/data/bigram.npz`` is rebuilt by ``tools/build_bigram.py``::

    pip download jieba==0.42.1 --no-deps -d /tmp/jieba
    python -m tools.build_bigram /tmp/jieba/jieba-0.42.1.tar.gz

A word list counts names and rare characters poorly (玥 10 times, 明 222,671): mixed with
a share ``UNIFORM`` of the uniform distribution, ``P(b | a)`` of a rare character is never
so small that the context alone turns a character the CNN is sure of into a common
look-alike (缪玥 into 缪明).

jieba is needed only for building, never at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from segmentation.geometry import runs

#: Where the shipped model lives.
DATA = Path(__file__).with_name("data") / "bigram.npz"

#: Weight of the language model's log-probabilities against the CNN's.
LAMBDA = 0.7
#: Log-score a reading pays for each character it changes from the CNN's top-1:
#: the margin by which the context must prefer the change. 3.0 until the model `real`
#: became the default; with it, 2.0-3.0 x LAMBDA 0.7-1.0 all made 7,904-7,910 errors on
#: the real-document dev split, 2.5 among the fewest (recognizer/models/MODEL_CARD.md).
SWITCH_COST = 2.5
#: Under this top-1 probability the switch cost shrinks in proportion: where the
#: CNN is torn between two readings (棋 0.14, 模 0.13), the context decides.
SURE = 0.5
#: Alternatives the CNN gives less than this probability are not considered.
MIN_ALT_PROB = 0.01
#: Floor of the CNN probabilities before the log.
PROB_FLOOR = 1e-6
#: Weight of the Dirichlet prior that pulls P(b | a) towards the unigram P(b),
#: in the word-frequency units of the source (jieba: one word is >= 3).
BETA = 200.0
#: Pseudo-count of every character, so none has probability zero.
UNIGRAM_PSEUDO = 1.0
#: Share of a uniform distribution over the vocabulary mixed into every ``P(b | a)``
#: (see "Source and licence"). The scripts benchmark's pages at 0.75 scale with noise,
#: read by zh11k: level-2 names 44 errors without it, 35 with 0.02-0.05, 39 with the
#: GB2312-level-1 model before; the dev split read by real: 10,638 errors with or without.
UNIFORM = 0.05


@dataclass(frozen=True)
class BigramModel:
    """A character bigram model over ``chars`` (see the module docstring).

    Attributes:
        chars: the vocabulary, V characters; ids are positions in it.
        keys: int64 (E,), sorted ids ``a * V + b`` of the pairs seen inside words.
        pair: float64 (E,), their in-word counts ``sum_w f_w * #ab(w)``.
        total: float64 (V,), ``n(a.)``: the frequency of ``a`` anywhere.
        ends: float64 (V,), ``E(a) / F``: frequency of words ending with ``a``, per word.
        starts: float64 (V,), ``S(b)``: frequency of words starting with ``b``.
        unigram: float64 (V,), ``P(b)``, sums to 1.
        source: where the counts came from.
    """

    chars: str
    keys: np.ndarray
    pair: np.ndarray
    total: np.ndarray
    ends: np.ndarray
    starts: np.ndarray
    unigram: np.ndarray
    source: str = ""

    @property
    def index(self) -> dict[str, int]:
        """Character -> id."""
        return _index(self.chars)

    def log_prob(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``log P(b | a)``, elementwise; ``a == -1`` is a boundary (gives ``log P(b)``).

        Args:
            a, b: int (N,) character ids, ``a`` may be -1.

        Returns:
            float64 (N,).
        """
        a = np.asarray(a, np.int64)
        b = np.asarray(b, np.int64)
        out = np.log(self.unigram[b])
        inside = a >= 0
        if inside.any():
            ai, bi = a[inside], b[inside]
            q = ai * len(self.chars) + bi
            pos = np.minimum(np.searchsorted(self.keys, q), len(self.keys) - 1)
            seen = np.where(self.keys[pos] == q, self.pair[pos], 0.0)
            n = seen + self.ends[ai] * self.starts[bi] + BETA * self.unigram[bi]
            out[inside] = np.log(n) - np.log(self.total[ai] + BETA)
        if UNIFORM <= 0:
            return out
        return np.logaddexp(np.log1p(-UNIFORM) + out, np.log(UNIFORM / len(self.chars)))


@lru_cache(maxsize=8)
def _index(chars: str) -> dict[str, int]:
    return {c: i for i, c in enumerate(chars)}


def save(model: BigramModel, path: Path) -> None:
    """Write ``model`` compactly: float32 counts, the pair keys as uint32."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        chars=np.array(model.chars),
        keys=model.keys.astype(np.uint32),
        pair=model.pair.astype(np.float32),
        total=model.total.astype(np.float32),
        ends=model.ends.astype(np.float32),
        starts=model.starts.astype(np.float32),
        source=np.array(model.source),
    )


def load(path: Path | str = DATA) -> BigramModel:
    """Read a model written by :func:`save`."""
    with np.load(path, allow_pickle=False) as d:
        chars = str(d["chars"])
        total = d["total"].astype(np.float64)
        return BigramModel(
            chars=chars,
            keys=d["keys"].astype(np.int64),
            pair=d["pair"].astype(np.float64),
            total=total,
            ends=d["ends"].astype(np.float64),
            starts=d["starts"].astype(np.float64),
            unigram=total / total.sum(),
            source=str(d["source"]),
        )


@lru_cache(maxsize=1)
def shipped() -> BigramModel | None:
    """The shipped model, loaded once per process and shared by the readers that use
    it (it is never changed); None if the file is missing."""
    return load(DATA) if DATA.exists() else None


#: Weight of the context evidence between neighbouring hanzi in the line's path search.
PATH_WEIGHT = 0.3
#: Bound of that evidence (log units) either way: unseen pairs are common across words.
PATH_BOUND = 3.0


def context_scores(
    pairs: Sequence[tuple[str, str]], model: BigramModel | None = None
) -> np.ndarray:
    """How much each hanzi ``a`` speaks for the hanzi ``b`` after it, for the path search.

    ``PATH_WEIGHT * clip(log P(b | a) - log P(b))``: positive where ``a`` makes
    ``b`` likelier than it is anywhere (缓 before 冲), negative where less;
    zero for pairs with a character outside the model.  Unlike a full bigram
    probability it does not favour paths of fewer characters.

    Args:
        pairs: (a, b) character pairs.
        model: the bigram model; None gives no evidence (all zeros).

    Returns:
        float64 (len(pairs),).
    """
    out = np.zeros(len(pairs))
    if model is None or not pairs:
        return out
    index = model.index
    known = [n for n, (a, b) in enumerate(pairs) if a in index and b in index]
    if not known:
        return out
    ia = np.array([index[pairs[n][0]] for n in known])
    ib = np.array([index[pairs[n][1]] for n in known])
    gain = model.log_prob(ia, ib) - model.log_prob(np.full_like(ib, -1), ib)
    out[known] = PATH_WEIGHT * np.clip(gain, -PATH_BOUND, PATH_BOUND)
    return out


def correct_line(chars: list[str], results: Sequence, model: BigramModel | None) -> list[str]:
    """The pipeline's hook: :func:`correct` with ``model``.

    Args:
        chars: the line's characters as read so far (after the rule-based fixes).
        results: the line's ``CharResult``s, parallel to ``chars``; where a
            character is changed its ``confidence`` becomes the CNN's
            probability of the new character (``char`` is left to the caller).
        model: the bigram model; None leaves the line as it is.

    Returns:
        The corrected characters; ``chars`` itself if ``model`` is None.
    """
    if model is None:
        return chars
    fixed = correct(chars, [r.alternatives for r in results], model)
    for r, old, new in zip(results, chars, fixed):
        if new != old:
            r.confidence = dict(r.alternatives)[new]
    return fixed


def correct(
    chars: Sequence[str],
    alternatives: Sequence[Sequence[tuple[str, float]]],
    model: BigramModel,
    lam: float = LAMBDA,
    switch_cost: float = SWITCH_COST,
    min_prob: float = MIN_ALT_PROB,
) -> list[str]:
    """Re-read each run of hanzi of a line by the best path through its alternatives.

    Args:
        chars: the line's characters as read so far.
        alternatives: per character, the CNN's top-k (character, probability),
            best first.  A character that differs from its top-1 (already changed
            by an earlier rule) is kept as it is, and so is every character that
            is not in the model's vocabulary.
        model: the bigram model.
        lam: weight of the language model (:data:`LAMBDA`).
        switch_cost: cost of each change from the top-1 (:data:`SWITCH_COST`).
        min_prob: smallest CNN probability of an alternative considered.

    Returns:
        The corrected characters, same length as ``chars``.
    """
    index = model.index
    out = list(chars)
    # per position: candidate ids and their unary scores; None = boundary
    options: list[tuple[list[int], list[float]] | None] = []
    for ch, alts in zip(chars, alternatives):
        if ch not in index:
            options.append(None)
        elif not alts or alts[0][0] != ch:
            options.append(([index[ch]], [0.0]))
        else:
            ids, unary = [], []
            cost = switch_cost * min(1.0, alts[0][1] / SURE)
            for rank, (alt, p) in enumerate(alts):
                if alt in index and (rank == 0 or p >= min_prob) and index[alt] not in ids:
                    ids.append(index[alt])
                    unary.append(np.log(max(p, PROB_FLOOR)) - (cost if rank else 0.0))
            options.append((ids, unary))
    for start, end in runs(np.array([o is not None for o in options], bool)):
        run = [o for o in options[start:end] if o is not None]  # a run has no boundary
        if all(len(ids) == 1 for ids, _ in run):
            continue
        best = viterbi([ids for ids, _ in run], [u for _, u in run], model, lam)
        for n, cid in enumerate(best):
            out[start + n] = model.chars[cid]
    return out


def viterbi(
    ids: Sequence[Sequence[int]],
    unary: Sequence[Sequence[float]],
    model: BigramModel,
    lam: float = LAMBDA,
) -> list[int]:
    """The best sequence of character ids through per-position candidates.

    Args:
        ids: per position, candidate ids (each list non-empty).
        unary: per position, the candidates' own scores (same shapes as ``ids``).
        model: gives the transition scores ``lam * log P(b | a)``; the first
            position is scored by its unigram probability.
        lam: weight of the language model.

    Returns:
        One id per position.
    """
    # every transition of the run in one call: (previous, current) pairs, position by position
    a = [p for prev, cur in zip(ids, ids[1:]) for p in prev for _ in cur]
    b = [c for prev, cur in zip(ids, ids[1:]) for _ in prev for c in cur]
    first = np.asarray(ids[0], np.int64)
    probs = lam * model.log_prob(np.array([-1] * len(first) + a), np.array(list(first) + b))
    score = np.asarray(unary[0], np.float64) + probs[: len(first)]
    at = len(first)
    back: list[np.ndarray] = []
    for prev, cur, cur_unary in zip(ids, ids[1:], unary[1:]):
        size = len(prev) * len(cur)
        total = score[:, None] + probs[at : at + size].reshape(len(prev), len(cur))
        at += size
        arg = total.argmax(axis=0)
        back.append(arg)
        score = total[arg, np.arange(len(cur))] + np.asarray(cur_unary, np.float64)
    k = int(score.argmax())
    path = [k]
    for arg in reversed(back):
        k = int(arg[k])
        path.append(k)
    path.reverse()
    return [int(ids[n][k]) for n, k in enumerate(path)]
