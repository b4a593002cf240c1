"""The reading rules: every correction made to a page after its lines are decoded, as
one ordered table of small named rules, and the loop that runs them.

A :class:`Rule` has a name, a scope (what it sees, and so when it runs) and a pure
``apply`` that returns edits (:class:`Replace`, :class:`Unspace`, :class:`Splice`,
:class:`Drop`) and changes nothing itself; :func:`apply_rules` runs a table over the
lines the decoder left (:class:`DecodedLine`). The scopes run in this order, the
rules of one scope in the order of the table:

``line``
    one line's characters, boxes and top-k, before the language model re-reads its
    hanzi; word spaces are not known yet.
``words``
    one line with its word spaces, after the language model.
``text``
    the page's lines, deciding which are no text, before the non-text filter.
``page``
    the page's lines of text (paragraph rules group them by ``block`` themselves).

:data:`ALL_RULES` is the table; :data:`RULES`, the one a :class:`ocr_pipeline.Reader`
reads with, leaves out those :data:`OFF_BY_DEFAULT`: the rules that cost characters on
the real-document corpus (:data:`LOSING`) and those that gain only on one genre of text,
or nothing (:data:`ONE_GENRE`). ``rules=`` gives a reader another table, or names a
profile (:data:`PROFILES`): ``"manpage"`` is every rule, the table as it was tuned on the
rendered manual pages of ``python -m benchmarks pages`` (``pageocr read --rules manpage``):

>>> from ocr_pipeline import Reader, rules
>>> rules.ALL_RULES[0].name, rules.ALL_RULES[0].doc
('ellipsis_dots', 'An ellipsis read on the baseline is two or three ASCII full stops.')
>>> reader = Reader(rules="manpage")                                   # doctest: +SKIP
>>> reader = Reader(rules=rules.without("pictures"))                   # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple, TypeAlias, cast

import numpy as np

from ocr_pipeline import corrections as fix
from ocr_pipeline import language
from ocr_pipeline.decode import width_forms
from ocr_pipeline.nontext import line_features
from ocr_pipeline.results import CharResult, LineResult
from segmentation.characters import word_gaps
from segmentation.geometry import union

if TYPE_CHECKING:
    from ocr_pipeline.language import BigramModel
    from ocr_pipeline.nontext import NonText

Box: TypeAlias = tuple[int, int, int, int]
Scope: TypeAlias = Literal["line", "words", "text", "page"]
#: The scopes in the order they run.
SCOPES: tuple[Scope, ...] = ("line", "words", "text", "page")


class Replace(NamedTuple):
    """Character ``at`` reads ``char``; its box, confidence and top-k stay."""

    at: int
    char: str


class Unspace(NamedTuple):
    """No word space after character ``at``."""

    at: int


class Splice(NamedTuple):
    """Characters ``start:end`` become ``chars``, with ``spaces`` after each (empty
    in scope ``line``, where spaces are not known yet)."""

    start: int
    end: int
    chars: tuple[CharResult, ...]
    spaces: tuple[bool, ...] = ()


class Drop(NamedTuple):
    """The line is no text: it goes."""


Edit: TypeAlias = Replace | Unspace | Splice | Drop


@dataclass(frozen=True)
class LineView:
    """A line as a rule sees it; a rule reads it and returns edits, never changes it.

    Attributes:
        results: the characters with boxes, confidences and top-k.
        spaces: ``spaces[i]``: a word space after character i (empty in scope ``line``).
        box: (x0, y0, x1, y1) of the line.
        block: its paragraph.
        pieces: per character, int32 (P, 4) the segmenter's pieces it was read from
            (None for characters a rule made).
    """

    results: tuple[CharResult, ...]
    spaces: tuple[bool, ...]
    box: Box
    block: int
    pieces: tuple[np.ndarray | None, ...]

    @functools.cached_property
    def chars(self) -> tuple[str, ...]:
        return tuple(c.char for c in self.results)

    @functools.cached_property
    def boxes(self) -> np.ndarray:
        """int32 (N, 4) the characters' boxes."""
        return np.array([c.box for c in self.results], np.int32).reshape(-1, 4)

    @property
    def alternatives(self) -> list[list[tuple[str, float]]]:
        return [c.alternatives for c in self.results]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]

    def gaps(self) -> np.ndarray:
        """bool (N - 1,): a word gap after character n (:func:`word_gaps`)."""
        return word_gaps(self.boxes, self.height) if len(self.results) > 1 else np.zeros(0, bool)


LineRule: TypeAlias = Callable[[LineView], list[Edit]]
PageRule: TypeAlias = Callable[[tuple[LineView, ...]], list[tuple[int, Edit]]]


@dataclass(frozen=True)
class Rule:
    """One correction: ``apply`` takes a :class:`LineView` (scopes ``line`` and
    ``words``) and returns its edits, or the page's lines (``text``, ``page``) and
    returns (line index, edit) pairs. Its docstring's first line says what it fixes."""

    name: str
    scope: Scope
    apply: LineRule | PageRule

    @property
    def doc(self) -> str:
        """What the rule fixes, in one line."""
        return (self.apply.__doc__ or "").strip().splitlines()[0]


# -- rules of one line, before the language model ---------------------------------------


def _replaced(line: LineView, fixed: Sequence[str]) -> list[Edit]:
    return [Replace(n, new) for n, (old, new) in enumerate(zip(line.chars, fixed)) if new != old]


def ellipsis_dots(line: LineView) -> list[Edit]:
    """An ellipsis read on the baseline is two or three ASCII full stops."""
    edits: list[Edit] = []
    for n, c in enumerate(line.results):
        pieces = line.pieces[n]
        if c.char != "…" or pieces is None:
            continue
        dots = fix.ellipsis_dots(c.box, pieces, line.box)
        if dots:
            p = c.alternatives[0][1]
            edits.append(Splice(n, n + 1, tuple(CharResult(".", b, p, [(".", p)]) for b in dots)))
    return edits


def case_by_height(line: LineView) -> list[Edit]:
    """c/C, o/O, s/S, v/V, w/W, x/X, z/Z take the case their height says."""
    return _replaced(line, fix.fix_case(list(line.chars), line.boxes))


def semicolon_tails(line: LineView) -> list[Edit]:
    """A colon whose lower mark hangs below the baseline is a semicolon."""
    return _replaced(line, fix.fix_semicolons(list(line.chars), line.boxes))


def blurred_dots(line: LineView) -> list[Edit]:
    """Low middle dots and floating commas are full stops; a tall "." is a comma."""
    return _replaced(line, fix.fix_dots(list(line.chars), line.boxes, line.box))


def _ascii_margin(alternatives: list[tuple[str, float]]) -> float:
    """The recogniser's probability of its reading's ASCII form minus its full-width
    form's (0 for a character with no two forms)."""
    forms = width_forms(alternatives[0][0])
    if forms is None:
        return 0.0
    probs = dict(alternatives)
    return probs.get(forms[0], 0.0) - probs.get(forms[1], 0.0)


def mark_widths(line: LineView) -> list[Edit]:
    """, ; : ? ! ( ) are ASCII or full width as their cell and neighbours say."""
    chars = list(line.chars)
    margins = [_ascii_margin(a) for a in line.alternatives]
    fixed = fix.fix_width_forms(chars, line.boxes, line.height, margins)
    return _replaced(line, [c if c in fix.SYMBOL_HALFWIDTH else f for c, f in zip(chars, fixed)])


def symbol_widths(line: LineView) -> list[Edit]:
    """＝ ＜ ＞ ＋ are ASCII unless centred in a full-width cell."""
    fixed = [
        fix._symbol_form(c, n, line.boxes, line.height) if c in fix.SYMBOL_HALFWIDTH else c
        for n, c in enumerate(line.chars)
    ]
    return _replaced(line, fixed)


def _comma_share(c: CharResult) -> float:
    """Probability of the best comma form among a character's alternatives over its own."""
    probs = dict(c.alternatives)
    return max(probs.get(",", 0.0), probs.get("，", 0.0)) / max(c.confidence, 1e-9)


def full_stop_cells(line: LineView) -> list[Edit]:
    """A "." followed by a full-width cell's blank in Chinese text is 。 or ，."""
    shares = [_comma_share(c) for c in line.results]
    return _replaced(line, fix.fix_full_stops(list(line.chars), line.boxes, line.height, shares))


def dash_as_yi(line: LineView) -> list[Edit]:
    """A lone dash or full-width minus beside a hanzi is 一."""
    return _replaced(line, fix.fix_lookalikes(list(line.chars)))


def letters_in_words(line: LineView) -> list[Edit]:
    """A hanzi or corner bracket read unsurely inside a Latin word is a letter."""
    gaps = [bool(g) for g in line.gaps()]
    return _replaced(line, fix.letters_in_words(list(line.chars), gaps, line.alternatives))


# -- rules of one line with its spaces ---------------------------------------------------


def word_lookalikes(line: LineView) -> list[Edit]:
    """I/l/1/| and O/0 are read as the rest of their word is written (UNIX, 1024, IPv6)."""
    return _replaced(line, fix.fix_words(list(line.chars), list(line.spaces)))


# -- rules of the page's lines -----------------------------------------------------------


def pictures(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """A line of a few characters, all read unsurely, is a picture or specks: dropped."""
    sure = [[c.confidence for c in line.results] for line in lines]
    return [(m, Drop()) for m, confidences in enumerate(sure) if fix.picture(confidences)]


def _changes(lines: Sequence[LineView], at: Sequence[int], fixed: Sequence[Sequence[str]]):
    """Edits giving lines ``at`` the characters ``fixed``; a full-width mark carries its
    own space, so none is left beside one."""
    out: list[tuple[int, Edit]] = []
    for m, chars in zip(at, fixed):
        for n, (old, new) in enumerate(zip(lines[m].chars, chars)):
            if new == old:
                continue
            out.append((m, Replace(n, new)))
            if fix.fullwidth(new):
                out += [(m, Unspace(n))] + ([(m, Unspace(n - 1))] if n else [])
    return out


def _paragraphs(lines: Sequence[LineView]) -> list[list[int]]:
    """Indices of the lines of each paragraph (consecutive lines of one block)."""
    by_block = itertools.groupby(range(len(lines)), key=lambda m: lines[m].block)
    return [list(group) for _, group in by_block]


def page_style(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """A mark ending or starting a line of Chinese takes the page's usual width form."""
    return _changes(lines, range(len(lines)), fix.page_style([list(ln.chars) for ln in lines]))


def pair_brackets(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """Brackets at a line's edge, and worn brackets read | or l, match their partner."""
    out = []
    for para in _paragraphs(lines):
        bars = frozenset(
            (k, i)
            for k, m in enumerate(para)
            for i in fix.worn_brackets(lines[m].chars, lines[m].boxes, lines[m].spaces,
                                       lines[m].height)
        )  # fmt: skip
        out += _changes(lines, para, fix.pair_brackets([list(lines[m].chars) for m in para], bars))
    return out


def pair_quotes(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """An ASCII " beside an opening “ or a closing ” is its curly partner."""
    out = []
    for para in _paragraphs(lines):
        out += _changes(lines, para, fix.pair_quotes([list(lines[m].chars) for m in para]))
    return out


def _halves(c: CharResult, char: str) -> tuple[CharResult, CharResult]:
    """Two ``char``, each in half of ``c``'s box."""
    x0, y0, x1, y1 = c.box
    mid = (x0 + x1) // 2
    return tuple(CharResult(char, box, c.confidence, [(char, c.confidence)])
                 for box in ((x0, y0, mid, y1), (mid, y0, x1, y1)))  # type: ignore[return-value]  # fmt: skip


def _split(line: LineView, n: int, char: str) -> Splice:
    """Character ``n`` of ``line`` as two ``char``, each in half of its box."""
    return Splice(n, n + 1, _halves(line.results[n], char), (False, line.spaces[n]))


def closing_apostrophes(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """roff's ``word'': a " closing two grave accents is two apostrophes."""
    out: list[tuple[int, Edit]] = []
    for para in _paragraphs(lines):
        spots = fix.closing_apostrophes([lines[m].chars for m in para],
                                        [lines[m].spaces for m in para])  # fmt: skip
        out += [(para[k], _split(lines[para[k]], n, "'")) for k, n in spots]
    return out


def option_dashes(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """A lone dash starting a word before a letter is a long option's -- (--force)."""
    return [
        (m, _split(line, n, "-"))
        for m, line in enumerate(lines)
        for n in fix.option_dashes(line.chars, line.spaces)
    ]


def broken_o(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """ "()" before a capital or an apostrophe is an O that lost its top and bottom."""
    out: list[tuple[int, Edit]] = []
    for m, line in enumerate(lines):
        for n in fix.broken_o(line.chars, line.spaces):
            left, right = line.results[n], line.results[n + 1]
            conf = min(left.confidence, right.confidence)
            o = CharResult("O", union(left.box, right.box), conf, [("O", conf)])
            out.append((m, Splice(n, n + 2, (o,), (line.spaces[n + 1],))))
    return out


def asterisks(lines: tuple[LineView, ...]) -> list[tuple[int, Edit]]:
    """A bullet touching a neighbour, also read as an asterisk, is an asterisk."""
    out: list[tuple[int, Edit]] = []
    for m, line in enumerate(lines):
        fixed = fix.asterisks(line.chars, line.spaces, line.alternatives)
        out += [(m, e) for e in _replaced(line, fixed)]
    return out


#: Every rule, in order (within each scope; the scopes run in the order of
#: :data:`SCOPES`): :data:`RULES` and the rules it leaves out.
ALL_RULES: tuple[Rule, ...] = (
    Rule("ellipsis_dots", "line", ellipsis_dots),
    Rule("case_by_height", "line", case_by_height),
    Rule("semicolon_tails", "line", semicolon_tails),
    Rule("blurred_dots", "line", blurred_dots),
    Rule("mark_widths", "line", mark_widths),
    Rule("symbol_widths", "line", symbol_widths),
    Rule("full_stop_cells", "line", full_stop_cells),
    Rule("dash_as_yi", "line", dash_as_yi),
    Rule("letters_in_words", "line", letters_in_words),
    Rule("word_lookalikes", "words", word_lookalikes),
    Rule("pictures", "text", pictures),
    Rule("page_style", "page", page_style),
    Rule("pair_brackets", "page", pair_brackets),
    Rule("pair_quotes", "page", pair_quotes),
    Rule("closing_apostrophes", "page", closing_apostrophes),
    Rule("option_dashes", "page", option_dashes),
    Rule("broken_o", "page", broken_o),
    Rule("asterisks", "page", asterisks),
)


def without(*names: str, rules: Sequence[Rule] | None = None) -> tuple[Rule, ...]:
    """``rules`` (:data:`RULES` when None) with the rules called ``names`` left out.

    Raises:
        KeyError: a name that is no rule of ``rules``.

    >>> len(without("pictures")) == len(RULES) - 1
    True
    """
    rules = RULES if rules is None else rules
    known = {r.name for r in rules}
    if unknown := [n for n in names if n not in known]:
        raise KeyError(f"no rule {', '.join(unknown)}; the rules are {', '.join(sorted(known))}")
    return tuple(r for r in rules if r.name not in names)


#: Rules that cost characters on the development split of both real-document corpora
#: (docs/bench/rules.md: each added alone to :data:`RULES`, dev split, PDF pages / web
#: pages, characters gained): blurred_dots -56 / -6, full_stop_cells -136 / -10 (TeX's
#: wider space after a sentence's full stop reads as a full-width cell; xelatex -122).
#: Made for the rendered manual pages of ``python -m benchmarks pages``. (ellipsis_dots,
#: off for -70 / -30 before the non-text filter and the body spans, now gains +5 / +26:
#: screenshots +26, xelatex +6; it is on again.)
LOSING = ("blurred_dots", "full_stop_cells")
#: Rules that gain nothing on the real-document corpus, or only on one genre of it (the
#: same measure): semicolon_tails 0 / 0, page_style -3 / 0, pair_quotes 0 / +1 (one
#: screenshot), closing_apostrophes -2 / 0 (roff's ``quotes''), option_dashes -35 / 0
#: (--force read —force), broken_o +4 / 0 (texlive's manuals only: D()MAIN), asterisks
#: +1 / 0 (maintguide only). Written for the manual pages' text; the ``manpage``
#: profile applies them.
ONE_GENRE = ("semicolon_tails", "page_style", "pair_quotes", "closing_apostrophes",
             "option_dashes", "broken_o", "asterisks")  # fmt: skip
#: The rules :data:`RULES` leaves out.
OFF_BY_DEFAULT = LOSING + ONE_GENRE


def check(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    """``rules`` as a tuple, checked: each a :class:`Rule` of a known scope, names unique.

    Raises:
        TypeError: an item that is no :class:`Rule`.
        ValueError: an unknown scope or a name twice.
    """
    rules = tuple(rules)
    for r in rules:
        if not isinstance(r, Rule):
            raise TypeError(f"rules must be Rule objects; got {type(r).__name__}")
        if r.scope not in SCOPES:
            raise ValueError(f"rule {r.name}: unknown scope {r.scope!r}; use one of {SCOPES}")
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ValueError(f"a rule name is given twice: {names}")
    return rules


#: The rules a reader applies: every rule but those :data:`OFF_BY_DEFAULT`.
RULES: tuple[Rule, ...] = tuple(r for r in ALL_RULES if r.name not in OFF_BY_DEFAULT)

#: Named tables, for a reader (``Reader(rules="manpage")``) and ``pageocr read --rules``:
#: ``default`` (:data:`RULES`), ``manpage`` (every rule, :data:`ALL_RULES`: for text like
#: the rendered manual pages the rules were written on) and ``none``.
PROFILES: dict[str, tuple[Rule, ...]] = {"default": RULES, "manpage": ALL_RULES, "none": ()}


def profile(name: str) -> tuple[Rule, ...]:
    """The table of the profile ``name`` (:data:`PROFILES`).

    Raises:
        ValueError: no profile of that name.

    >>> [r.name for r in profile("manpage")] == [r.name for r in ALL_RULES]
    True
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"no rules profile {name!r}; the profiles are {', '.join(PROFILES)}"
        ) from None


# -- the applier -------------------------------------------------------------------------


@dataclass(frozen=True)
class DecodedLine:
    """A line as the decoder leaves it: what the rules start from.

    Attributes:
        box: (x0, y0, x1, y1) of the line.
        block: its paragraph.
        chars: the characters read, each its top-k's first.
        pieces: per character, int32 (P, 4) the pieces it was read from.
        has_pieces: whether the segmenter found pieces in the line (a line without
            has no spaces either).
    """

    box: Box
    block: int
    chars: tuple[CharResult, ...]
    pieces: tuple[np.ndarray, ...]
    has_pieces: bool = True


def _position(e: Edit) -> int:
    return e.start if isinstance(e, Splice) else 0 if isinstance(e, Drop) else e.at


class _Line:
    """A line while the rules run: the applier's own copy, edited in place."""

    def __init__(self, line: LineResult, pieces: Sequence[np.ndarray | None], has_pieces: bool):
        self.result = LineResult(line.box, line.block, [dataclasses.replace(c) for c in line.chars],
                                 list(line.spaces))  # fmt: skip
        self.pieces = list(pieces)
        self.has_pieces = has_pieces
        self._view: LineView | None = None

    @classmethod
    def decoded(cls, d: DecodedLine) -> _Line:
        return cls(LineResult(d.box, d.block, list(d.chars)), d.pieces, d.has_pieces)

    def view(self) -> LineView:
        if self._view is None:
            r = self.result
            self._view = LineView(tuple(r.chars), tuple(r.spaces), r.box, r.block,
                                  tuple(self.pieces))  # fmt: skip
        return self._view

    def edit(self, edits: Sequence[Edit]) -> None:
        """Apply one rule's edits, from the right so that indices hold."""
        if not edits:
            return
        chars, spaces = self.result.chars, self.result.spaces
        for e in sorted(edits, key=_position, reverse=True):
            if isinstance(e, Replace):
                chars[e.at] = dataclasses.replace(chars[e.at], char=e.char)
            elif isinstance(e, Unspace):
                spaces[e.at] = False
            elif isinstance(e, Splice):
                chars[e.start : e.end] = e.chars
                self.pieces[e.start : e.end] = [None] * len(e.chars)
                if spaces:
                    if len(e.spaces) != len(e.chars):
                        raise ValueError(f"a splice of {len(e.chars)} characters gives "
                                         f"{len(e.spaces)} spaces")  # fmt: skip
                    spaces[e.start : e.end] = e.spaces
        self._view = None

    def reread(self, bigram: BigramModel | None) -> None:
        """The language model's corrections of the line's hanzi."""
        chars = [c.char for c in self.result.chars]
        fixed = language.correct_line(chars, self.result.chars, bigram)
        for c, new in zip(self.result.chars, fixed):
            c.char = new
        self._view = None

    def space(self) -> None:
        """The word spaces: wide gaps, where neither side is Chinese text."""
        if not self.has_pieces:
            return
        chars = [c.char for c in self.result.chars]
        gaps = self.view().gaps()
        self.result.spaces = [bool(g) and fix.spaced(a, b)
                              for g, a, b in zip(gaps, chars, chars[1:])] + [False]  # fmt: skip
        self._view = None


def _run_page_rule(lines: list[_Line], rule: Rule) -> list[_Line]:
    """The lines after one rule of scope ``text`` or ``page``."""
    edits: dict[int, list[Edit]] = {}
    apply = cast(PageRule, rule.apply)
    for m, e in apply(tuple(line.view() for line in lines)):
        edits.setdefault(m, []).append(e)
    dropped = {m for m, es in edits.items() if any(isinstance(e, Drop) for e in es)}
    for m, es in edits.items():
        if m not in dropped:
            lines[m].edit(es)
    return [line for m, line in enumerate(lines) if m not in dropped]


def apply_rules(
    decoded: Sequence[DecodedLine],
    rules: Sequence[Rule] = RULES,
    *,
    bigram: BigramModel | None = None,
    nontext: NonText | None = None,
) -> list[LineResult]:
    """The page's lines, corrected: ``rules`` of scope ``line``, then the language
    model, the word spaces, rules of scope ``words``, of scope ``text``, the non-text
    filter, and rules of scope ``page``.

    Args:
        decoded: the page's lines as the decoder left them (not changed).
        rules: the rules to apply; () for none.
        bigram: the language model (:mod:`ocr_pipeline.language`); None reads without.
        nontext: the non-text line filter (:mod:`ocr_pipeline.nontext`); None keeps all.

    Returns:
        The lines of text, in reading order.
    """
    lines = [_Line.decoded(d) for d in decoded]
    scoped = {s: [r for r in rules if r.scope == s] for s in SCOPES}
    for line in lines:
        for rule in scoped["line"]:
            line.edit(cast(LineRule, rule.apply)(line.view()))
        line.reread(bigram)
        line.space()
        for rule in scoped["words"]:
            line.edit(cast(LineRule, rule.apply)(line.view()))
    for rule in scoped["text"]:
        lines = _run_page_rule(lines, rule)
    if nontext is not None:
        results = [line.result for line in lines]
        keep = [not nontext.is_not_text(x) for x in line_features(results)]
        lines = [line for line, k in zip(lines, keep) if k]
    for rule in scoped["page"]:
        lines = _run_page_rule(lines, rule)
    return [line.result for line in lines]


def run(rule: Rule, lines: Sequence[LineResult]) -> list[LineResult]:
    """The lines after one rule alone, on their characters and spaces as they are (a
    rule of scope ``line`` sees them too): to try a rule on lines made by hand.
    ``lines`` are not changed.

    >>> from ocr_pipeline.results import CharResult, LineResult
    >>> line = LineResult((0, 0, 40, 10), 0, [CharResult(ch, (10 * n, 0, 10 * n + 10, 10),
    ...     0.9, [(ch, 0.9)]) for n, ch in enumerate("D()M")], [False] * 4)
    >>> run(by_name("broken_o"), [line])[0].text
    'DOM'
    """
    work = [_Line(line, [None] * len(line.chars), True) for line in lines]
    if rule.scope in ("line", "words"):
        for line in work:
            line.edit(cast(LineRule, rule.apply)(line.view()))
    else:
        work = _run_page_rule(work, rule)
    return [line.result for line in work]


def by_name(name: str, rules: Sequence[Rule] = ALL_RULES) -> Rule:
    """The rule of ``rules`` (every rule by default) called ``name``.

    Raises:
        KeyError: no rule of that name.
    """
    for r in rules:
        if r.name == name:
            return r
    raise KeyError(f"no rule {name}; the rules are {', '.join(r.name for r in rules)}")
