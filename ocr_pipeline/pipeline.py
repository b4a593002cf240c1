"""The page reader: image -> segmentation -> candidate crops -> recogniser -> text.

Everything a reading depends on is passed in (the crop predictor, the language
model, the word list, the non-text filter); :class:`ocr_pipeline.reader.Reader`
holds them and is the way to read:

>>> from ocr_pipeline import Reader                           # doctest: +SKIP
>>> page = Reader().read_image(gray)                          # doctest: +SKIP
>>> print(page.text)                                          # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ocr_pipeline import language, lexicon
from ocr_pipeline.decode import (
    CHAR_COST,
    CONFIDENT,
    REJECT_THRESHOLD,
    SCRIPT_CHANGE,
    SEGMENTER_PRIOR,
    SPACE_GAP,
    Candidate,
    alternatives,
    best_path,
    ending_at,
    geometry_score,
    is_hanzi,
    script,
    split_reject,
    width_forms,
)
from ocr_pipeline.latin import WordReader, reread
from ocr_pipeline.results import CharResult, LineResult, PageResult
from ocr_pipeline.rules import RULES, DecodedLine, Rule, apply_rules
from recognizer.charset import REJECT
from recognizer.runtime import top_ids
from segmentation.characters import arch_splits, cell_split, touching_split, word_gaps
from segmentation.crops import normalize_crop
from segmentation.geometry import Box, median, runs, union
from segmentation.segment import Segmentation, segment_page
from segmentation.shapes import joined_shapes, shape_count

# the result types were defined here: their old home still gives them
__all__ = ["CharResult", "LineResult", "PageResult", "decode_page", "read_image"]

if TYPE_CHECKING:
    from ocr_pipeline.language import BigramModel
    from ocr_pipeline.nontext import NonText
    from ocr_pipeline.reader import CropPredictor


def read_image(
    gray: np.ndarray,
    predictor: CropPredictor,
    k: int = 3,
    *,
    bigram: BigramModel | None,
    words: frozenset[str] | None,
    nontext: NonText | None,
    rules: Sequence[Rule] = RULES,
) -> PageResult:
    """Read one page: :func:`decode_page`, then the reading rules
    (:func:`ocr_pipeline.rules.apply_rules`).

    Args:
        gray: uint8 (H, W) page, either polarity.
        predictor: what classifies the crops (:class:`ocr_pipeline.reader.CropPredictor`,
            e.g. a :class:`recognizer.runtime.Predictor`).
        k: alternatives kept per character.
        bigram: the language model that re-reads hanzi from their context
            (:mod:`ocr_pipeline.language`); None reads without it.
        words: the English word list that corrects Latin words one change from a
            word (:mod:`ocr_pipeline.lexicon`), lower case; None reads without it.
        nontext: the filter that drops the lines it takes for pictures and other
            marks that are not text (:mod:`ocr_pipeline.nontext`); None keeps them.
        rules: the corrections made after decoding (:data:`ocr_pipeline.rules.RULES`).

    Returns:
        The page's lines and characters; no lines for a page without text.
    """
    page, decoded = decode_page(gray, predictor, k, bigram=bigram, words=words)
    page.lines = apply_rules(decoded, rules, bigram=bigram, nontext=nontext)
    return page


def decode_page(
    gray: np.ndarray,
    predictor: CropPredictor,
    k: int = 3,
    *,
    bigram: BigramModel | None,
    words: frozenset[str] | None,
    latin: WordReader | None = None,
) -> tuple[PageResult, list[DecodedLine]]:
    """Segment a page, classify its candidate characters and decode each line: the
    page as the reading rules find it.

    The segmenter's own grouping of pieces into characters is classified first;
    only where that reading is doubtful (low confidence, or a width that does
    not suit the character read) are the other ways of grouping the nearby
    pieces classified too, and the best path through each line wins.

    Args:
        gray: uint8 (H, W) page, either polarity.
        predictor: what classifies the crops.
        k: alternatives kept per character.
        bigram: the language model, which weighs the paths through a line (see
            :func:`read_image`); None decodes without it.
        words: the English word list (see :func:`read_image`); None reads without it.
        latin: the word reader that reads runs of Latin letters again whole
            (:mod:`ocr_pipeline.latin`); None keeps the decoder's reading.

    Returns:
        The page without lines, and its lines as decoded, in reading order.
    """
    seg = segment_page(gray)
    page = PageResult(width=gray.shape[1], height=gray.shape[0], angle=seg.angle, gray=seg.gray,
                      to_input=seg.to_input)  # fmt: skip
    scorer = _Scorer(seg, predictor, max(k, 1))
    first = [
        [Candidate(c.pieces[0], c.pieces[1], c.box) for c in seg.chars[i]]
        for i in range(len(seg.lines))
    ]
    scorer.score([(i, c) for i, cands in enumerate(first) for c in cands], SEGMENTER_PRIOR)
    typical = [
        _hanzi_width(first[i], [scorer.char(i, c) for c in first[i]]) for i in range(len(seg.lines))
    ]
    doubt = [scorer.doubtful(i, first[i], typical[i]) for i in range(len(seg.lines))]
    letter = _letter_width(seg, first, scorer)
    extra = [
        alternatives(first[i], seg.pieces[i], seg.lines[i].height, doubt[i])
        + _touching_pairs(seg, i, _maybe_joined(first[i], scorer, i, doubt[i]))
        + _arch_pairs(seg, i, first[i], scorer, letter)
        + _hanzi_pairs(seg, i, first[i], scorer, typical[i])
        + _faint_hanzi(seg, i, first[i], scorer, typical[i])
        for i in range(len(seg.lines))
    ]
    parts = [(i, p) for i, cands in enumerate(extra) for c in cands for p in c.parts]
    scorer.score([(i, c) for i, cands in enumerate(extra) for c in cands if not c.parts] + parts)
    decoded = [
        _decode_line(line, first[i] + extra[i], seg.pieces[i], scorer, i, typical[i], bigram, words)
        for i, line in enumerate(seg.lines)
    ]
    if latin is not None:
        decoded = reread(decoded, seg.ink, latin)
    # a line all of whose characters the reject class dropped is no line of text
    return page, [d for d in decoded if d.chars or not d.has_pieces]


#: Letters that two touching letters of a scan look like (rt as n, rn or oo as m):
#: read with confidence or not, their pieces are also tried as two letters.
JOINED_LOOKALIKES = set("mnwuMNWUH")
#: A piece this many line heights wide, or wider, and at most ``TOUCH_HEIGHT`` tall
#: may be two letters that touch.
TOUCH_WIDTH = 0.5
TOUCH_HEIGHT = 0.8


def _maybe_joined(cands: list[Candidate], scorer: _Scorer, i: int, doubt: list[int]) -> list:
    """Candidates to try as two touching letters: the doubtful ones, and those
    read as a letter that two touching ones look like (``JOINED_LOOKALIKES``)."""
    doubt_set = set(doubt)
    return [
        c for n, c in enumerate(cands) if n in doubt_set or scorer.char(i, c) in JOINED_LOOKALIKES
    ]


def _touching_pairs(seg: Segmentation, i: int, cands: list[Candidate]) -> list[Candidate]:
    """Readings of single pieces (from :func:`_maybe_joined`) as two letters that
    touch (a blurred "re" read as m), split where the segmenter finds their
    touching point."""
    height = seg.lines[i].height
    out = []
    for c in cands:
        w, h = c.box[2] - c.box[0], c.box[3] - c.box[1]
        if c.end - c.start != 1 or w < TOUCH_WIDTH * height or h > TOUCH_HEIGHT * height:
            continue
        halves = touching_split(seg.mask, c.box)
        if halves:
            out.append(_as_two(c.start, c.end, c.box, halves))
    return out


def _as_two(start: int, end: int, box, halves) -> Candidate:
    """Pieces ``start:end`` (within ``box``) read as the two characters in ``halves``."""
    left, right = (Candidate(start, end, tuple(half)) for half in halves)
    return Candidate(start, end, tuple(box), (left, right))


#: Letters drawn within the x-height, neither ascender nor descender.
X_LETTERS = set("acemnorsuvwxz")
#: A letter of several stems, which a scan makes of two joined letters (rn, oo) ...
ARCHED = set("m")
#: ... when this many times as wide as the line's median x-height letter: an m of a
#: proportional face is ~1.6 times as wide as its n or o, one of a monospace face
#: no wider, and rn or rr joined ~1.8-2.3 times.
WIDE_LETTER = 1.75


def _x_widths(i: int, cands: list[Candidate], scorer: _Scorer) -> list[int]:
    """Widths of a line's candidates read with confidence as x-height letters of one stem."""
    return [
        c.box[2] - c.box[0]
        for c in cands
        if scorer.char(i, c) in X_LETTERS - ARCHED and scorer.top[(i, c)][1][0] >= CONFIDENT
    ]


def _letter_width(seg: Segmentation, first: list[list[Candidate]], scorer: _Scorer) -> float:
    """The page's median x-height letter width in line heights (0.0 without three
    such letters), for lines with too few letters of their own to measure: a
    Chinese line with one English word in it."""
    ratios = [
        w / max(seg.lines[i].height, 1)
        for i, cands in enumerate(first)
        for w in _x_widths(i, cands, scorer)
    ]
    return float(median(ratios)) if len(ratios) >= 3 else 0.0


def _arch_pairs(
    seg: Segmentation, i: int, cands: list[Candidate], scorer: _Scorer, letter: float = 0.0
) -> list:
    """Readings of a letter of several stems (``ARCHED``) too wide for one
    (``WIDE_LETTER``) as two letters, cut between each pair of its stems
    (:func:`arch_splits`), or where the segmenter grouped two pieces: "rn" joined
    and read m becomes r and n.  The letters' width is the line's median x-height
    letter, or with fewer than three in the line, ``letter`` (the page's, in line
    heights) times its height."""
    widths = _x_widths(i, cands, scorer)
    if len(widths) >= 3:
        wide = WIDE_LETTER * float(median(widths))
    elif letter:
        wide = WIDE_LETTER * letter * seg.lines[i].height
    else:
        return []
    pieces = seg.pieces[i]
    out = []
    for c in cands:
        if scorer.char(i, c) not in ARCHED or c.box[2] - c.box[0] <= wide:
            continue
        if c.end - c.start == 1:
            out += [_as_two(c.start, c.end, c.box, cut) for cut in arch_splits(seg.mask, c.box)]
            continue
        for m in range(c.start + 1, c.end):  # pieces the segmenter grouped: each cut
            out += [Candidate(a, b, union(*pieces[a:b])) for a, b in ((c.start, m), (m, c.end))]
    return list(dict.fromkeys(out))


#: A piece read as a hanzi this many times as wide as the line's typical hanzi, ...
JOINED_HANZI = 1.3
#: ... hugging a neighbour under this share of that width (the 酉 of 配 apart, its
#: 己 joined to the 置 after it on a small screen), or itself this wide, holds two.
HALF_HANZI = 0.75
TWO_HANZI = 1.7
#: The cut is the thinnest column within this share of a hanzi width of a cell's edge.
CUT_SLACK = 0.2


def _hanzi_pairs(
    seg: Segmentation, i: int, cands: list[Candidate], scorer: _Scorer, typical: float
) -> list[Candidate]:
    """Readings of hanzi that touch on a small screen (one piece over parts of two)
    as two hanzi: a piece read as a hanzi ``JOINED_HANZI`` times as wide as the
    line's typical one is cut where a cell ends, counted from a narrow neighbour
    read as a hanzi that it hugs (that neighbour joins the first hanzi), or from
    its own left edge if it is ``TWO_HANZI`` wide with no Latin letter or digit
    beside it (touching Latin capitals read as one hanzi are not two hanzi)."""
    if typical <= 0:
        return []
    height = seg.lines[i].height
    out = []
    for n, c in enumerate(cands):
        width = c.box[2] - c.box[0]
        if (
            c.end - c.start != 1
            or width < JOINED_HANZI * typical
            or not is_hanzi(scorer.char(i, c))
        ):
            continue
        nb: Candidate | None
        sides: list[tuple[Candidate | None, str]] = []  # None: no neighbour to split with
        for m, side in ((n - 1, "left"), (n + 1, "right")):
            if 0 <= m < len(cands):
                nb = cands[m]
                gap = max(nb.box[0] - c.box[2], c.box[0] - nb.box[2])
                narrow = nb.box[2] - nb.box[0] < HALF_HANZI * typical
                if narrow and gap < HUGGING_GAP * height and is_hanzi(scorer.char(i, nb)):
                    sides.append((nb, side))
        beside = [scorer.char(i, cands[m]) for m in (n - 1, n + 1) if 0 <= m < len(cands)]
        latin = any(ch.isascii() and ch.isalnum() for ch in beside)  # FT of FTP read as one
        if not sides and width >= TWO_HANZI * typical and not latin:
            sides.append((None, "left"))
        for nb, side in sides:
            if side == "left":
                edge = (nb.box[0] if nb else c.box[0]) + typical
            else:
                assert nb is not None  # only a left side may have none
                edge = nb.box[2] - typical
            halves = cell_split(seg.mask, c.box, edge, CUT_SLACK * typical)
            if halves is None:
                continue
            left, right = halves
            if nb is not None and side == "left":
                left, start, end = union(nb.box, left), nb.start, c.end
            elif nb is not None:
                right, start, end = union(right, nb.box), c.start, nb.end
            else:
                start, end = c.start, c.end
            out.append(_as_two(start, end, union(left, right), (left, right)))
    return out


#: Hairlines of a light Song face at screen sizes (12-16 px Noto Serif CJK) stay under
#: the solid ink level, and a hanzi falls apart into its solid strokes, read as marks
#: ("上" as "l:", "目" as "| |").  Up to ``FAINT_RUN`` consecutive narrow marks in a line
#: of hanzi that are one shape at the joined level, or whose shape there is
#: ``FAINT_GROWTH`` pixels wider than their solid ink (a letter's anti-aliasing adds
#: 1-2), are also read as one hanzi in that shape's box if it is as wide as one
#: (``FAINT_WIDTH`` to ``JOINED_HANZI`` of the line's typical hanzi).
FAINT_RUN = 3
FAINT_GROWTH = 3
FAINT_WIDTH = 0.7


def _faint_hanzi(
    seg: Segmentation, i: int, cands: list[Candidate], scorer: _Scorer, typical: float
) -> list[Candidate]:
    """Hanzi whose hairlines are missing from the mask, from the runs of narrow marks
    (no two Latin letters or digits side by side among them: "l:" for 上), each group
    of up to ``FAINT_RUN`` marks tried as the shapes it makes at the joined level
    (:func:`segmentation.shapes.joined_shapes`)."""
    if typical <= 0:
        return []
    reads = [scorer.char(i, c) for c in cands]
    narrow = [
        script(ch) != "H" and c.box[2] - c.box[0] < HALF_HANZI * typical
        for c, ch in zip(cands, reads)
    ]
    top, bottom = seg.span(i)
    out = []
    for n, m in runs(np.array(narrow, bool)):
        if any(script(a) == script(b) == "A" for a, b in itertools.pairwise(reads[n:m])):
            continue  # a Latin word or number, not the strokes of a hanzi
        x0, x1 = union(*(c.box for c in cands[n:m]))[::2]
        lo = min(cands[n - 1].box[2], x0) if n else seg.lines[i].box[0]
        hi = max(cands[m].box[0], x1) if m < len(cands) else seg.lines[i].box[2]
        groups = [(a, b) for a in range(n, m) for b in range(a + 1, min(a + FAINT_RUN, m) + 1)]
        marks = [union(*(c.box for c in cands[a:b])) for a, b in groups]
        shapes = joined_shapes(seg.ink, seg.mask, seg.joined_level, (lo, top, hi, bottom),
                               [(run[0], run[2]) for run in marks])  # fmt: skip
        for (a, b), run, found in zip(groups, marks, shapes):
            if found is None:
                continue
            start, end = cands[a].start, cands[b - 1].end
            box = _faint_box(run, found[1], seg.pieces[i], start, end)
            one = found[0] == 1 and b - a > 1
            grown = (box[2] - box[0]) - (run[2] - run[0]) >= FAINT_GROWTH
            if (one or grown) and FAINT_WIDTH <= (box[2] - box[0]) / typical <= JOINED_HANZI:
                out.append(Candidate(start, end, box))
    return out


def _faint_box(run: Box, shape: Box, pieces: np.ndarray, start: int, end: int) -> Box:
    """The box of a faint hanzi: the marks' box ``run`` (pieces ``start:end`` of the
    line's int32 (P, 4) ``pieces``) and the ``shape`` they make, grown into blank
    columns only: a piece outside the run is read on its own."""
    box = union(run, shape)
    left = int(pieces[start - 1][2]) if start else box[0]
    right = int(pieces[end][0]) if end < len(pieces) else box[2]
    return (max(box[0], min(left, run[0])), box[1], min(box[2], max(right, run[2])), box[3])


#: The two width forms of the comma.
COMMAS = set(",，")


#: Lines at least this tall (pixels) have letters apart at the joined ink level.
JOINED_MIN_HEIGHT = 20
#: A mark closer than this to the hanzi after it (in line heights) may be part of it.
HUGGING_GAP = 0.15


class _Scorer:
    """Classifies candidate characters in batches and remembers their top-k and score."""

    def __init__(self, seg: Segmentation, predictor: CropPredictor, k: int) -> None:
        self.seg, self.predictor, self.k = seg, predictor, k
        self.chars = predictor.charset.chars
        self.index = {ch: n for n, ch in enumerate(self.chars)}
        #: the model's reject class ("not a character"), None for a model without one
        self.reject_id = self.index.get(REJECT)
        #: each candidate's probability of not being a character (models with the class)
        self.reject: dict[tuple[int, Candidate], float] = {}
        self.top: dict[tuple[int, Candidate], tuple[list[int], list[float]]] = {}
        self.scores: dict[tuple[int, Candidate], float] = {}
        #: every letter's probability, for candidates read as a letter without confidence
        self.letters: dict[tuple[int, Candidate], dict[str, float]] = {}
        self._letter_ids = [n for n, ch in enumerate(self.chars) if ch.isascii() and ch.isalpha()]

    def score(self, items: list[tuple[int, Candidate]], prior: float = 0.0) -> None:
        items = [it for it in items if it not in self.top]
        if not items:
            return
        size = self.predictor.input_size
        crops = np.stack(
            [
                normalize_crop(self.seg.ink, c.box, line=self.seg.span(i), size=size)
                for i, c in items
            ]
        )
        probs, rejects = split_reject(self.predictor.predict(crops), self.reject_id)
        order = top_ids(probs, self.k)
        for (i, c), ids, row, rej in zip(items, order, probs, rejects):
            self.top[(i, c)] = (ids.tolist(), row[ids].tolist())
            if self.reject_id is not None:
                self.reject[(i, c)] = float(rej)
            best = self.chars[ids[0]]
            width = c.box[2] - c.box[0]
            geo = geometry_score(width, self.seg.lines[i].height, best, self._shapes(i, c))
            bonus = prior if c.end - c.start <= 2 else 0.0  # 3+ pieces: often Latin letters
            p = row[ids[0]] + self._twin_probability(row, best)
            self.scores[(i, c)] = float(np.log(max(p, 1e-9))) - CHAR_COST + geo + bonus
            if (
                best.isascii()
                and (best.isalpha() or best in LETTER_LIKE)
                and row[ids[0]] < CONFIDENT
            ):
                letters = row[self._letter_ids].tolist()
                self.letters[(i, c)] = {self.chars[n]: q for n, q in zip(self._letter_ids, letters)}

    def _shapes(self, i: int, c: Candidate) -> int:
        """Pieces of a candidate, counting as one those that touch at the joined
        level: a letter broken at a thin stroke in a scan (the stem and arch of h).
        Not in lines under ``JOINED_MIN_HEIGHT`` pixels, where the anti-aliasing
        between letters (n i) reaches that level too."""
        n = c.end - c.start
        if n < 2 or self.seg.lines[i].height < JOINED_MIN_HEIGHT:
            return n
        return min(n, max(shape_count(self.seg.ink, c.box, self.seg.joined_level), 1))

    def _twin_probability(self, row: np.ndarray, char: str) -> float:
        """Probability of the other width form of a mark (, for ，): the two forms
        differ in the space around them, which the line's geometry settles later
        (``fix_width_forms``), so the mark is as likely as both together."""
        forms = width_forms(char)
        if forms is None:
            return 0.0
        twin = self.index.get(forms[1] if char == forms[0] else forms[0])
        return 0.0 if twin is None else float(row[twin])

    def doubtful(self, i: int, cands: list[Candidate], typical: float = 0.0) -> list[int]:
        """Indices of candidates whose reading should be checked against regroupings.

        Those read without confidence or with a width unfit for the reading,
        groups of several pieces that could be Latin letters the segmenter took
        for one hanzi (three or more pieces, unless read as a hanzi with
        confidence and with no Latin letter or digit beside it), and a mark
        hugging the hanzi after it, with none of the space a full-width mark
        leaves or an ASCII one before its space: the left dot of 心 under 息
        read as a comma (both are checked); so is a stroke read as a
        letter (``FRAGMENTS``: 讠 cut off 误 and read i) unless a Latin letter or
        digit stands before it (API接口).  With ``typical``, the line's
        median hanzi width, also a hanzi of several pieces too wide for one
        (``WIDE_HANZI``): a comma grouped with the hanzi before it.
        """
        reads = [self.char(i, c) for c in cands]
        height = self.seg.lines[i].height
        out: set[int] = set()
        for n, c in enumerate(cands):
            if typical and c.end - c.start >= 2 and _too_wide(c, reads[n], typical):
                out.add(n)
            weak = self._sureness(i, c) < CONFIDENT
            misfit = self.scores[(i, c)] < np.log(CONFIDENT) - 1.5
            pieces = c.end - c.start
            near_latin = any(script(reads[m]) == "A" for m in (n - 1, n + 1) if 0 <= m < len(cands))
            sure_hanzi = not weak and not near_latin and is_hanzi(reads[n])
            # two pieces beside a Latin letter are not doubted for that alone: on the
            # development pages it only turned 位 after a digit into "(立"
            if weak or misfit or (pieces >= 3 and not sure_hanzi):
                out.add(n)
            after_latin = n > 0 and reads[n - 1].isascii() and reads[n - 1].isalnum()
            bit = script(reads[n]) == "O" or (reads[n] in FRAGMENTS and not after_latin)
            if (
                n + 1 < len(cands)
                and bit
                and script(reads[n + 1]) == "H"
                and cands[n + 1].box[0] - c.box[2] < HUGGING_GAP * height
            ):
                out.update((n, n + 1))
        return sorted(out)

    def _sureness(self, i: int, c: Candidate) -> float:
        """The probability of the reading, with its other width form's for a comma
        (, and ， split the vote where only the space after them differs, which
        ``fix_width_forms`` settles)."""
        ids, probs = self.top[(i, c)]
        sure = probs[0]
        if self.chars[ids[0]] in COMMAS:
            sure += sum(p for j, p in zip(ids[1:], probs[1:]) if self.chars[j] in COMMAS)
        return sure

    def char(self, i: int, c: Candidate) -> str:
        return self.chars[self.top[(i, c)][0][0]]


#: A hanzi this many times as wide as the line's typical hanzi holds something more
#: (a comma the segmenter grouped with the hanzi before it).
WIDE_HANZI = 1.25
#: Penalty per unit of width ratio beyond ``WIDE_HANZI``.
WIDE_HANZI_COST = 6.0


def _hanzi_width(cands: list[Candidate], reads: list[str]) -> float:
    """Median width of the candidates read as hanzi; 0 with fewer than three."""
    widths = [c.box[2] - c.box[0] for c, ch in zip(cands, reads) if is_hanzi(ch)]
    return float(median(widths)) if len(widths) >= 3 else 0.0


def _too_wide(c: Candidate, char: str, typical: float) -> float:
    """How far a candidate read as a hanzi exceeds ``WIDE_HANZI`` times the typical
    hanzi width (0 when it does not)."""
    if not is_hanzi(char) or typical <= 0:
        return 0.0
    return max((c.box[2] - c.box[0]) / typical - WIDE_HANZI, 0.0)


def _comma_share(c: CharResult) -> float:
    """Probability of the best comma form among a character's alternatives over its own."""
    probs = dict(c.alternatives)
    return max(probs.get(",", 0.0), probs.get("，", 0.0)) / max(c.confidence, 1e-9)


def _english_words(
    path: list[int],
    cands: list[Candidate],
    reads: list[tuple[Candidate, ...]],
    scores: np.ndarray,
    scorer: _Scorer,
    i: int,
    height: float,
    words: frozenset[str] | None = None,
) -> tuple[list[int], dict[Candidate, tuple[str, float]]]:
    """Latin words of a line's best path that a single change makes English
    (:mod:`ocr_pipeline.lexicon`, the word list ``words``; none without one):
    another letter (:func:`_letter_variants`), or another cut of the same pieces
    (rt for n, n for rt: :func:`_cut_variants`).

    Returns:
        The path with its regroupings done, and the letter to read, with its
        probability, for each candidate whose letter changes.
    """
    elems = [c for n in path for c in reads[n]]
    first = np.cumsum([0] + [len(reads[n]) for n in path]).tolist()  # path index -> elems
    chars = [scorer.char(i, c) for c in elems]
    if words is None or not any(ch.isascii() and ch.isalpha() for ch in chars):
        return path, {}
    boxes = np.array([c.box for c in elems], np.int32).reshape(-1, 4)
    spaced = list(word_gaps(boxes, height)) + [True]
    by_span: dict[tuple[int, int], list[int]] = {}
    for n, c in enumerate(cands):
        by_span.setdefault((c.start, c.end), []).append(n)
    choice: dict[Candidate, tuple[str, float]] = {}
    edits: list[tuple[int, int, list[int]]] = []
    for a, b in _letter_runs(chars, spaced):
        word = "".join(chars[a:b])
        worn = len(word) >= lexicon.MIN_READ and not word.isalpha()  # DA1ABASE: no word
        if not (worn or lexicon.needs_check(word, words)):
            continue
        variants = _letter_variants(scorer, i, elems[a:b], word)
        ks = [k for k in range(len(path)) if a <= first[k] and first[k + 1] <= b]
        for k0, k1 in [(k, k + 1) for k in ks] + [(k, k + 2) for k in ks if k + 1 in ks]:
            head, tail = word[: first[k0] - a], word[first[k1] - a :]
            variants += _cut_variants(path, k0, k1, (head, tail), cands, reads, scores, by_span,
                                      scorer, i)  # fmt: skip
        change = lexicon.best_variant(variants, words)
        if change is None:
            continue
        if change[0] == "letters":
            choice.update((c, (ch, p)) for c, ch, p in change[1])
        else:
            edits.append(change[1:])
    path = list(path)
    for k0, k1, new in sorted(edits, reverse=True):
        path[k0:k1] = new
    return path, choice


#: A way to read a word: its text, its cost (log-probability lost), and the change —
#: ("letters", [(candidate, letter, probability), ...]) or ("cut", k0, k1, new path items).
Variant = tuple[str, float, tuple[Any, ...]]


def _letter_variants(scorer: _Scorer, i: int, elems: list[Candidate], word: str) -> list[Variant]:
    """The word ``word`` (read from candidates ``elems``) with one letter changed
    (:func:`_other_letters`), or with all its ``TWINS`` bars read alike ("aII" is all)."""
    variants: list[Variant] = []
    for at, c in enumerate(elems):
        for ch, p, p0 in _other_letters(scorer, i, c, word, at):
            text = word[:at] + ch + word[at + 1 :]
            variants.append((text, float(np.log(p0 / p)), ("letters", [(c, ch, p)])))
    bars = [at for at, ch in enumerate(word) if ch in TWINS]
    for bar in TWINS if len(bars) > 1 else ():
        text = "".join(bar if at in bars else ch for at, ch in enumerate(word))
        twins = [(elems[at], bar, scorer.top[(i, elems[at])][1][0]) for at in bars]
        variants.append((text, 0.0, ("letters", twins)))
    return variants


def _cut_variants(
    path: list[int],
    k0: int,
    k1: int,
    around: tuple[str, str],
    cands: list[Candidate],
    reads: list[tuple[Candidate, ...]],
    scores: np.ndarray,
    by_span: dict[tuple[int, int], list[int]],
    scorer: _Scorer,
    i: int,
) -> list[Variant]:
    """The word with path items ``k0:k1`` (between the letters ``around`` them) read
    as another grouping of the same pieces (:func:`_regroupings`), at the score it loses."""
    old = path[k0:k1]
    head, tail = around
    variants: list[Variant] = []
    for new in _regroupings(cands[old[0]].start, cands[old[-1]].end, by_span):
        if new != old:
            text = head + "".join(scorer.char(i, c) for n in new for c in reads[n]) + tail
            cost = float(sum(scores[old]) - sum(scores[new]))
            variants.append((text, cost, ("cut", k0, k1, new)))
    return variants


def _other_letters(
    scorer: _Scorer, i: int, c: Candidate, word: str, at: int
) -> list[tuple[str, float, float]]:
    """Other letters candidate ``c`` (letter ``at`` of ``word``) may be, as
    (letter, its probability, the probability of the letter read): the letters
    among its top-k; and, for a letter read without confidence in a word of
    ``lexicon.LONG_WORD`` letters or more, any letter of the case of the letters
    beside it (a scan wears the T of DATABASE to a 1, and T may not make the
    top-k, but few strings are one letter from a long English word).  A capital I
    may be an l and an l an I at no cost (``TWINS``), and inside a long word of
    capitals a T at a little (``WORN_CAPITALS``)."""
    ids, probs = scorer.top[(i, c)]
    out = {}
    for j in range(1, len(ids)):
        ch = scorer.chars[ids[j]]
        if ch.isascii() and ch.isalpha() and probs[j] > 0:
            out[ch] = probs[j]
    twin = TWINS.get(word[at])
    if twin is not None:
        out[twin] = probs[0]
    others = word[:at] + word[at + 1 :]
    inside = 0 < at < len(word) - 1  # a digit ending a word is one (SHA1)
    long = len(word) >= lexicon.LONG_WORD  # few strings are one letter from a long word
    worn = WORN_CAPITALS.get(word[at]) if others.isupper() and inside and long else None
    if worn is not None and worn not in out:
        out[worn] = probs[0] / 2  # a little dearer than the recogniser's own doubt
    letters = scorer.letters.get((i, c))
    if letters and len(word) >= lexicon.LONG_WORD:
        beside = word[max(at - 1, 0) : at] + word[at + 1 : at + 2]
        for ch, p in letters.items():
            if ch not in out and ch != word[at] and p > 0 and ch.isupper() == beside.isupper():
                out[ch] = p
    return [(ch, p, probs[0]) for ch, p in out.items()]


#: Letters drawn alike in sans-serif faces (Arial, Helvetica, the Latin of most CJK
#: faces: a plain bar, I a pixel shorter than l at screen sizes, if at all), which
#: only the word tells apart: "Iist" and "fiIe" are list and file whatever the
#: recogniser thought of the bar.
TWINS = {"I": "l", "l": "I"}
#: Capitals a scan wears into others inside a word of capitals: the bar of a T fades
#: and leaves a stroke, read I, l, | or 1 ("CREAIE", "DA1ABASE"), often with confidence.
WORN_CAPITALS = {"I": "T", "l": "T", "|": "T", "1": "T"}
#: What a worn letter is read as that is no letter (the T of DATABASE as 1).
LETTER_LIKE = set("01|")


def _letter_runs(chars: list[str], spaced: list[bool]) -> list[tuple[int, int]]:
    """[a, b) of each run of ASCII letters not broken by a word space
    (``spaced[n]``: a space after character n; True for the last), counting
    ``LETTER_LIKE`` marks as letters in a run of two letters or more."""
    out, a = [], None
    for n, ch in enumerate(chars + [" "]):  # the blank ends the last run
        letter = ch.isascii() and (ch.isalpha() or ch in LETTER_LIKE)
        if letter:
            a = n if a is None else a
            if not spaced[n]:
                continue
        if a is not None:
            end = n + 1 if letter else n  # a word space after n, or n is no letter
            if sum(c.isalpha() for c in chars[a:end]) >= 2:
                out.append((a, end))
            a = None
    return out


def _regroupings(start: int, end: int, by_span: dict[tuple[int, int], list[int]]) -> list:
    """Ways to read pieces ``start:end`` as one or two scored candidates."""
    out = [[n] for n in by_span.get((start, end), ())]
    for m in range(start + 1, end):
        for x in by_span.get((start, m), ()):
            out += [[x, y] for y in by_span.get((m, end), ())]
    return out


#: What a hanzi's own dots and strokes read as when the segmenter cuts them off
#: (the dot of 忄 as ·, the left stroke of 门 as i).
FRAGMENTS = set("·•'‘’`、ilI|1")


def _absorb_fragments(
    path: list[int],
    cands: list[Candidate],
    reads: list[tuple[Candidate, ...]],
    scorer: _Scorer,
    i: int,
    height: float,
) -> list[int]:
    """The path with each hanzi's cut-off fragment (``FRAGMENTS``, one piece)
    taken back into it: one that lies within the hanzi's box, whose ink its crop
    already holds; or one hugging it (``HUGGING_GAP``) where the two together read
    as the same hanzi, at least as surely.  Appends to ``cands`` and ``reads``
    the groups it needs that were not classified (within the box: same crop)."""
    path = list(path)
    k = 0
    while k + 1 < len(path):
        merged = _absorbed(cands[path[k]], cands[path[k + 1]], scorer, i, height)
        if merged is None:
            k += 1
            continue
        if merged not in cands:
            cands.append(merged)
            reads.append((merged,))
        path[k : k + 2] = [cands.index(merged)]
    return path


def _absorbed(
    a: Candidate, b: Candidate, scorer: _Scorer, i: int, height: float
) -> Candidate | None:
    """The group of ``a`` and ``b`` if one is a hanzi and the other its fragment."""
    if a.parts or b.parts or is_hanzi(scorer.char(i, a)) == is_hanzi(scorer.char(i, b)):
        return None
    hanzi, bit = (a, b) if is_hanzi(scorer.char(i, a)) else (b, a)
    if bit.end - bit.start != 1 or scorer.char(i, bit) not in FRAGMENTS:
        return None
    box = union(a.box, b.box)
    merged = Candidate(a.start, b.end, box)
    if box == tuple(hanzi.box):
        scorer.top.setdefault((i, merged), scorer.top[(i, hanzi)])
        scorer.scores.setdefault((i, merged), scorer.scores[(i, hanzi)])
        return merged
    if (i, merged) not in scorer.top or b.box[0] - a.box[2] >= HUGGING_GAP * height:
        return None
    (m, *_), (p, *_) = scorer.top[(i, merged)]
    (h, *_), (q, *_) = scorer.top[(i, hanzi)]
    return merged if m == h and p >= q else None


#: Those of ``X_LETTERS`` that two touching letters look like ("rt" as n): one whose top rises
#: over the x-height of the line's letters by this share of it holds an ascender
#: (``RISE``), and its reading pays ``RISE_COST``.
JOINED_X = set("nmu")
RISE = 0.15
RISE_COST = 1.0


def _risen(reads: list[tuple[Candidate, ...]], scorer: _Scorer, i: int) -> np.ndarray:
    """1.0 for each candidate read as n, m or u whose top rises over the line's
    x-height letters by more than ``RISE`` of their height (and 2 pixels), else 0.

    The x-height is the median of the letters read with confidence as
    ``X_LETTERS``; a line with fewer than three has none to measure."""
    out = np.zeros(len(reads))
    tops, heights = [], []
    for r in reads:
        c = r[0]
        if len(r) == 1 and scorer.char(i, c) in X_LETTERS and scorer.top[(i, c)][1][0] >= CONFIDENT:
            tops.append(c.box[1])
            heights.append(c.box[3] - c.box[1])
    if len(tops) < 3:
        return out
    xline, xh = float(median(tops)), float(median(heights))
    for n, r in enumerate(reads):
        rise = xline - r[0].box[1]
        if len(r) == 1 and scorer.char(i, r[0]) in JOINED_X and rise > max(RISE * xh, 1.5):
            out[n] = 1.0
    return out


def _decode_line(
    line,
    cands: list[Candidate],
    pieces: np.ndarray,
    scorer: _Scorer,
    i: int,
    typical: float,
    bigram: BigramModel | None = None,
    words: frozenset[str] | None = None,
) -> DecodedLine:
    """The best reading of line ``i`` through its candidates, weighed by the language
    model ``bigram`` and corrected by the word list ``words`` (each skipped if None)."""
    n_pieces = len(pieces)
    if not n_pieces:
        return DecodedLine(line.box, line.block, (), (), has_pieces=False)
    reads = [c.parts or (c,) for c in cands]
    scores = np.array([sum(scorer.scores[(i, p)] for p in r) for r in reads])
    if typical:
        scores -= WIDE_HANZI_COST * np.array(
            [_too_wide(r[0], scorer.char(i, r[0]), typical) if len(r) == 1 else 0.0 for r in reads]
        )
    scores -= RISE_COST * _risen(reads, scorer, i)
    first = [script(scorer.char(i, r[0])) for r in reads]
    last = [script(scorer.char(i, r[-1])) for r in reads]
    gap = SPACE_GAP * line.height

    ends = ending_at(cands)
    edges = [(a, b) for b, c in enumerate(cands) for a in ends.get(c.start, ())]
    chars = [(scorer.char(i, reads[a][-1]), scorer.char(i, reads[b][0])) for a, b in edges]
    context = dict(zip(edges, language.context_scores(chars, bigram))) if bigram is not None else {}

    def transition(a: int, b: int) -> float:
        if {last[a], first[b]} != {"H", "A"} or cands[b].box[0] - cands[a].box[2] > gap:
            return context.get((a, b), 0.0)
        return -SCRIPT_CHANGE

    path = best_path(n_pieces, cands, scores, transition)
    path = _absorb_fragments(path, cands, reads, scorer, i, line.height)
    scores = np.append(scores, [scorer.scores[(i, c)] for c in cands[len(scores) :]])
    path, choice = _english_words(path, cands, reads, scores, scorer, i, line.height, words)
    out, spans = [], []
    for n in path:
        for c in reads[n]:
            if scorer.reject.get((i, c), 0.0) >= REJECT_THRESHOLD:
                continue  # not a character (models with the reject class)
            ids, probs = scorer.top[(i, c)]
            alts = [(scorer.chars[j], p) for j, p in zip(ids, probs)]
            if c in choice:
                ch, p = choice[c]
                alts = [(ch, p)] + [alt for alt in alts if alt[0] != ch][: len(alts) - 1]
            out.append(CharResult(alts[0][0], c.box, alts[0][1], alts))
            spans.append(pieces[c.start : c.end])
    return DecodedLine(line.box, line.block, tuple(out), tuple(spans))
