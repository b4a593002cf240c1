"""Deciding characters within a line: the recogniser settles what the cuts leave open.

The segmenter over-cuts a line into pieces (川 may come out as three strokes).
Every run of up to ``MAX_MERGE`` consecutive pieces is a candidate character;
each candidate is scored by the recogniser's confidence and by geometry (a hanzi
is about as wide as the line is high, nothing is much wider), and the best
path through the line wins (dynamic programming over piece boundaries).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Most pieces one character may be made of.
MAX_MERGE = 4
#: Widest candidate, in line heights.
MAX_WIDTH = 1.35
#: Cost of each character on a path: favours whole characters over fragments
#: that the recogniser happens to read confidently (a stroke of 川 as "l").
CHAR_COST = 1.0

#: A reading at least this probable, of a fitting width, is not second-guessed.
#: (Label smoothing caps confident probabilities near 0.9.)
CONFIDENT = 0.6

#: Punctuation drawn alike in ASCII and full width; the neighbours decide.
FULLWIDTH = dict(zip(",;:?!()", "，；：？！（）", strict=True))
HALFWIDTH = {v: k for k, v in FULLWIDTH.items()}


@dataclass(frozen=True)
class Candidate:
    """Pieces ``start:end`` of a line as one character, with its box."""

    start: int
    end: int
    box: tuple[int, int, int, int]


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
        that are not already in ``groups``.
    """
    have = set(groups)
    out: list[Candidate] = []
    for n in doubtful:
        lo = groups[max(n - 1, 0)].start
        hi = groups[min(n + 1, len(groups) - 1)].end
        for c in candidates(pieces[lo:hi], line_height):
            c = Candidate(c.start + lo, c.end + lo, c.box)
            if c not in have:
                have.add(c)
                out.append(c)
    return out


def geometry_score(width: float, line_height: float, is_hanzi: bool) -> float:
    """Log-domain penalty for a character of this width in this line.

    Hanzi fill most of the line's height in width; a narrow "hanzi" is usually
    half of one (禾 of 和).  Anything much wider than the line is two characters.
    """
    r = width / max(line_height, 1.0)
    score = 0.0
    if is_hanzi and r < 0.6:
        score -= 2.0 + 12.0 * (0.6 - r)
    if r > 1.2:
        score -= 10.0 * (r - 1.2)
    return score


def best_path(n_pieces: int, cands: list[Candidate], scores: np.ndarray) -> list[int]:
    """Indices of the candidates on the best-scoring path covering all pieces.

    Args:
        n_pieces: pieces in the line.
        cands: candidates (each covers pieces start:end).
        scores: float (len(cands),) score of each candidate.

    Returns:
        Candidate indices, left to right.
    """
    best = np.full(n_pieces + 1, -np.inf)
    best[0] = 0.0
    back = np.full(n_pieces + 1, -1)
    ends: dict[int, list[int]] = {}
    for k, c in enumerate(cands):
        ends.setdefault(c.end, []).append(k)
    for j in range(1, n_pieces + 1):
        for k in ends.get(j, []):
            s = best[cands[k].start] + scores[k]
            if s > best[j]:
                best[j], back[j] = s, k
    path = []
    j = n_pieces
    while j > 0:
        k = int(back[j])
        path.append(k)
        j = cands[k].start
    return path[::-1]


def is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def fix_width_forms(chars: list[str]) -> list[str]:
    """Choose ASCII or full-width forms of look-alike punctuation from the neighbours.

    A comma after a hanzi is "，", after a Latin word ","; brackets look at
    the side they open to.
    """
    out = list(chars)
    for i, ch in enumerate(chars):
        base = HALFWIDTH.get(ch, ch)
        if base not in FULLWIDTH:
            continue
        look = range(i + 1, len(chars)) if base == "(" else range(i - 1, -1, -1)
        neighbour = next(
            (
                chars[j]
                for j in look
                if chars[j].strip() and HALFWIDTH.get(chars[j], chars[j]) not in FULLWIDTH
            ),
            None,
        )
        if neighbour is None and base != "(":
            neighbour = next((chars[j] for j in range(i + 1, len(chars)) if chars[j].strip()), None)
        if neighbour is not None:
            out[i] = FULLWIDTH[base] if is_hanzi(neighbour) else base
    return out
