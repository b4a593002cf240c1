"""Deciding characters within a line: the recogniser settles what the cuts leave open.

The segmenter over-cuts a line into pieces (川 may come out as three strokes).
Every run of up to ``MAX_MERGE`` consecutive pieces is a candidate character;
each candidate is scored by the recogniser's confidence and by geometry (a hanzi
is about as wide as the line is high, nothing is much wider), and the best
path through the line wins (dynamic programming over piece boundaries).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

#: Most pieces one character may be made of.
MAX_MERGE = 4
#: Widest candidate, in line heights.
MAX_WIDTH = 1.35
#: Cost of each character on a path: favours whole characters over fragments
#: that the recogniser happens to read confidently (a stroke of 川 as "l").
CHAR_COST = 0.2

#: Cost of passing between hanzi and Latin letters or digits with no space:
#: real text does (``name和``), but a Latin word read with a hanzi in its
#: middle ("V山e" for "Value") does it twice.
SCRIPT_CHANGE = 2.0
#: A gap wider than this many line heights is a space.
SPACE_GAP = 0.25

#: Bonus of the segmenter's own grouping over regroupings: its geometry is
#: usually right, and the recogniser is overconfident on crops holding two or
#: three Latin letters (it reads "alu" as 山).
SEGMENTER_PRIOR = 0.4

#: A reading at least this probable, of a fitting width, is not second-guessed.
#: (Label smoothing caps confident probabilities near 0.9.)
CONFIDENT = 0.6

#: A character on the best path that a model with the reject class
#: (:data:`recognizer.charset.REJECT`) takes for "not a character" with at least this
#: probability is dropped (a piece of a picture, a rule, noise). Paths are scored
#: without the class (:func:`split_reject`), so it never steers the segmentation.
REJECT_THRESHOLD = 0.5


def split_reject(probs: np.ndarray, reject: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The probabilities of the characters given that the crop is one, and the
    probability that it is not.

    Args:
        probs: float32 (N, C) a model's probabilities.
        reject: the reject class's id, or None for a model without one.

    Returns:
        (probs (N, C), the reject column set to 0 and each row renormalised over the
        rest; reject (N,)), in place of ``probs``; ``probs`` as it is and zeros
        for a model without the class.

    >>> p, r = split_reject(np.array([[0.2, 0.3, 0.5]]), 2)
    >>> p.round(2).tolist(), r.round(2).tolist()
    ([[0.4, 0.6, 0.0]], [0.5])
    """
    if reject is None:
        return probs, np.zeros(len(probs), np.float32)
    rej = probs[:, reject].copy()
    probs[:, reject] = 0.0
    probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    return probs, rej


#: Punctuation drawn alike in ASCII and full width; the neighbours decide.
FULLWIDTH = dict(zip(",;:?!()", "，；：？！（）", strict=True))
HALFWIDTH = {v: k for k, v in FULLWIDTH.items()}


def width_forms(ch: str) -> tuple[str, str] | None:
    """The (ASCII, full-width) forms of a look-alike mark such as , or ，; None for others."""
    base = HALFWIDTH.get(ch, ch)
    return (base, FULLWIDTH[base]) if base in FULLWIDTH else None


class Candidate(NamedTuple):
    """Pieces ``start:end`` of a line as one character, with its box; or, with
    ``parts``, as the characters those candidates read (two letters that touch
    and form one piece).  A named tuple: candidates key the page's reads, ~26,000
    look-ups a page, and a tuple hashes in C where a frozen dataclass hashed in Python."""

    start: int
    end: int
    box: tuple[int, int, int, int]
    parts: tuple[Candidate, ...] = ()


def candidates(pieces: np.ndarray, line_height: float) -> list[Candidate]:
    """All runs of consecutive pieces that could be one character.

    Args:
        pieces: int32 (N, 4) boxes x0, y0, x1, y1, left to right.
        line_height: height of the line in pixels.

    Returns:
        Candidates; every single piece is one, so a path always exists.
    """
    out = []
    n = len(pieces)
    for i in range(n):
        for j in range(i + 1, min(n, i + MAX_MERGE) + 1):
            sel = pieces[i:j]
            box = (
                int(sel[:, 0].min()),
                int(sel[:, 1].min()),
                int(sel[:, 2].max()),
                int(sel[:, 3].max()),
            )
            if j > i + 1 and box[2] - box[0] > MAX_WIDTH * line_height:
                break
            out.append(Candidate(i, j, box))
    return out


def alternatives(
    groups: list[Candidate], pieces: np.ndarray, line_height: float, doubtful: list[int]
) -> list[Candidate]:
    """Other groupings of the pieces around doubtful characters.

    Args:
        groups: the segmenter's characters of one line, left to right.
        pieces: int32 (N, 4) pieces of the line.
        line_height: in pixels.
        doubtful: indices into ``groups`` to reconsider.

    Returns:
        Candidates within each doubtful group and its neighbours on both sides
        (neighbourhoods that overlap taken as one) that are not already in ``groups``.
    """
    have = set(groups)
    out: list[Candidate] = []
    windows: list[list[int]] = []  # overlapping neighbourhoods merge: 亻 门 read "( i ]"
    for n in doubtful:
        lo = groups[max(n - 1, 0)].start
        hi = groups[min(n + 1, len(groups) - 1)].end
        if windows and lo < windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    for lo, hi in windows:
        for c in candidates(pieces[lo:hi], line_height):
            c = Candidate(c.start + lo, c.end + lo, c.box)
            if c not in have:
                have.add(c)
                out.append(c)
    return out


#: Non-hanzi characters drawn in separate strokes, which may span several pieces.
MULTIPART = set('ij!?:;="%…÷“”‘’：；！？＝％¨')
#: Latin characters allowed to be as wide as a hanzi.
WIDE_ASCII = set("mwMW@%")


def geometry_score(width: float, line_height: float, char: str, n_pieces: int = 1) -> float:
    """Log-domain penalty for reading ``char`` in a box this wide made of ``n_pieces``.

    Hanzi fill most of the line's height in width; a narrow "hanzi" is usually
    half of one (禾 of 和).  Latin letters and digits are narrower than a
    hanzi, and (but for i, j, punctuation and the like) one connected shape, so
    several pieces read as one of them are usually two letters ("Op" as "w").
    Anything much wider than the line is two characters.
    """
    r = width / max(line_height, 1.0)
    score = 0.0
    if is_hanzi(char):
        if r < 0.6:
            score -= 2.0 + 12.0 * (0.6 - r)
    else:
        if n_pieces > 1 and char not in MULTIPART:
            score -= 3.0
        if char.isascii() and char not in WIDE_ASCII and r > 0.8:
            score -= 2.0 + 10.0 * (r - 0.8)
    if r > 1.2:
        score -= 10.0 * (r - 1.2)
    return score


def ending_at(cands: list[Candidate]) -> dict[int, list[int]]:
    """Indices of the candidates ending at each piece boundary: the ones a path
    may take just before a candidate starting there."""
    out: dict[int, list[int]] = {}
    for k, c in enumerate(cands):
        out.setdefault(c.end, []).append(k)
    return out


def best_path(
    n_pieces: int,
    cands: list[Candidate],
    scores: np.ndarray,
    transition: Callable[[int, int], float] | None = None,
) -> list[int]:
    """Indices of the candidates on the best-scoring path covering all pieces.

    A Viterbi search over candidates: a path is a sequence of candidates, each
    starting where the previous one ends.

    Args:
        n_pieces: pieces in the line.
        cands: candidates (each covers pieces start:end).
        scores: float (len(cands),) score of each candidate.
        transition: score added when candidate ``a`` is followed by ``b``.

    Returns:
        Candidate indices, left to right.
    """
    by_end = ending_at(cands)
    scores = np.asarray(scores, np.float64).tolist()  # Python floats: the same doubles, faster
    best = [-math.inf] * len(cands)
    back = [-1] * len(cands)
    for k in sorted(range(len(cands)), key=lambda k: cands[k].start):
        start = cands[k].start
        if start == 0:
            best[k] = scores[k]
            continue
        for prev in by_end.get(start, []):
            s = best[prev] + scores[k] + (transition(prev, k) if transition else 0.0)
            if s > best[k]:
                best[k], back[k] = s, prev
    finals = by_end.get(n_pieces, [])
    if not finals:
        return []
    k = max(finals, key=lambda k: best[k])
    path = []
    while k >= 0:
        path.append(int(k))
        k = back[k]
    return path[::-1]


def script(ch: str) -> str:
    """'H' for hanzi, 'A' for Latin letters and digits, 'O' for anything else."""
    if is_hanzi(ch):
        return "H"
    return "A" if ch.isascii() and ch.isalnum() else "O"


def is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
