"""Corrections of a line's or a page's reading after decoding: pure functions on the
characters read (and their boxes), each returning the corrected characters or the
places to change.

:mod:`ocr_pipeline.rules` wraps each in a named rule and runs them in one ordered
table; the functions here know nothing of results or of the order they run in.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ocr_pipeline.decode import FULLWIDTH, is_hanzi, width_forms
from segmentation.geometry import median

#: Gap on a mark's open side (after , ) : ..., before (), in line heights, from which
#: it is full width: the empty part of its em-wide cell.
FULLWIDTH_OPEN = 0.55
#: Gaps on both sides at least this wide: a full-width mark centred in its cell.
FULLWIDTH_CENTRED = 0.35
#: At a line's end, a mark closer than this to its one neighbour (in line heights),
#: which the recogniser reads as ASCII by this margin in probability, is ASCII.
ASCII_HUG = 0.25
#: An opening bracket after a full-width closing mark (。( or 。（) leans on that mark's
#: blank half, so its own gap cannot tell its width: the advance from the mark to the
#: character after the bracket can. In cells (the line's hanzi pitch) it is about 1.3
#: for an ASCII bracket, 1.5 for a full-width one that the typesetter tucked into the
#: mark's blank half (xeCJK) and 2 for one that keeps its cell (Chromium); the dev
#: pages measured 0.8-1.44 (1.6 in justified lines) and 1.5-2.5.
AFTER_MARK_FULL = 1.47
ASCII_PREFERRED = 0.15

#: A dot whose centre is below this fraction of the line height is a full stop
#: (a blurred 。 fills in to a dot, its centre a little above its foot).
LOW_DOT = 0.56
#: An ellipsis whose centre is below this fraction of the line height is ASCII dots.
LOW_ELLIPSIS = 0.62


def fix_width_forms(
    chars: list[str],
    boxes: np.ndarray | None = None,
    line_height: float = 0.0,
    ascii_margin: list[float] | None = None,
) -> list[str]:
    """Choose ASCII or full-width forms of look-alike punctuation (, ， ( （ ...).

    The glyphs differ little but their cells do.  A full-width mark fills an
    em-wide cell and sits at one side of it: a closing mark (， ） ：) leaves
    most of the cell empty after it, an opening one (（) before it, and a
    centred one (as some faces draw ：) on both sides.  An ASCII mark is narrow
    and hugs its neighbours, at most a space away on its open side.  So the gap
    on the open side, and the smaller of the two gaps, tell the forms apart.

    At the start or end of a line only one gap is known: the mark is taken as
    full width in Chinese text unless the recogniser prefers the ASCII form
    (``ascii_margin``) and the mark hugs its one neighbour.  Without boxes,
    the script around the mark decides: ASCII between Latin text, full width
    in Chinese text.  In a line without hanzi, a mark between two Latin letters
    or digits is ASCII (a justified line may space a comma as wide as a cell).
    The full-width symbols ＝ ＜ ＞ ＋, rare in Chinese text, need a cell's
    empty space on both sides.

    Args:
        chars: the characters of one line, left to right.
        boxes: int (N, 4) their boxes, or None.
        line_height: the line's height in pixels (with ``boxes``).
        ascii_margin: per character, the recogniser's probability of the ASCII
            form minus that of the full-width form (0 where unknown).
    """
    line_has_hanzi = any(is_hanzi(c) for c in chars)
    out = list(chars)
    for i, ch in enumerate(chars):
        if ch in SYMBOL_HALFWIDTH:
            out[i] = _symbol_form(ch, i, boxes, line_height)
            continue
        forms = width_forms(ch)
        if forms is None:
            continue
        base, wide = forms
        ascii_context, latin_text = _width_context(chars, i, line_has_hanzi)
        full = not ascii_context
        if boxes is not None and line_height > 0 and len(chars) > 1 and not latin_text:
            full = _full_by_gaps(boxes, i, line_height, base, line_has_hanzi, ascii_margin)
            if base == "(" and 0 < i < len(chars) - 1 and chars[i - 1] in BLANK_AFTER:
                full = _full_after_mark(chars, boxes, i, line_height)
        out[i] = wide if full else base
    return out


def _width_context(chars: list[str], i: int, line_has_hanzi: bool) -> tuple[bool, bool]:
    """Whether the script around mark ``i`` is ASCII (its neighbours are, and it is not
    at an end of a line with hanzi), and whether it stands between Latin text in a
    line without hanzi."""
    left = _neighbour(chars, range(i - 1, -1, -1))
    right = _neighbour(chars, range(i + 1, len(chars)))
    sides = [c for c in (left, right) if c is not None]
    ascii_context = bool(sides) and all(c.isascii() for c in sides)
    if len(sides) == 1 and line_has_hanzi:
        ascii_context = False
    latin_text = len(sides) == 2 and ascii_context and not line_has_hanzi
    return ascii_context, latin_text


def _full_by_gaps(
    boxes: np.ndarray,
    i: int,
    line_height: float,
    base: str,
    line_has_hanzi: bool,
    ascii_margin: list[float] | None,
) -> bool:
    """Whether mark ``i`` (ASCII form ``base``) is full width by the gaps around its box
    (``boxes`` int (N, 4), N >= 2); at a line's end, by its one gap and the
    recogniser's preference (``ascii_margin``)."""
    gap_left, gap_right = _gaps(boxes, i, line_height)
    if gap_left is not None and gap_right is not None:
        open_side = gap_left if base == "(" else gap_right
        return open_side >= FULLWIDTH_OPEN or min(gap_left, gap_right) >= FULLWIDTH_CENTRED
    known = gap_left if gap_right is None else gap_right
    assert known is not None  # two or more boxes: a neighbour on one side
    margin = ascii_margin[i] if ascii_margin is not None else 0.0
    return line_has_hanzi and not (margin > ASCII_PREFERRED and known < ASCII_HUG)


def _full_after_mark(chars: list[str], boxes: np.ndarray, i: int, line_height: float) -> bool:
    """Whether opening bracket ``i``, between a full-width mark and a character
    (0 < i < N - 1), is full width by the advance from the mark to that character in
    hanzi cells (:data:`AFTER_MARK_FULL`); ``boxes`` int (N, 4)."""
    steps = [boxes[k + 1][0] - boxes[k][0] for k in range(len(chars) - 1)
             if is_hanzi(chars[k]) and is_hanzi(chars[k + 1])]  # fmt: skip
    pitch = float(median(steps)) if steps else line_height
    return (boxes[i + 1][0] - boxes[i - 1][0]) / max(pitch, 1.0) >= AFTER_MARK_FULL


#: Full-width symbols, which Chinese text seldom uses: ASCII unless centred in a cell.
SYMBOL_HALFWIDTH = dict(zip("＝＜＞＋", "=<>+", strict=True))


def _symbol_form(ch: str, i: int, boxes: np.ndarray | None, line_height: float) -> str:
    """A full-width = < > + only with a cell's empty space on both sides."""
    if boxes is None or line_height <= 0 or not 0 < i < len(boxes) - 1:
        return SYMBOL_HALFWIDTH[ch]
    left, right = _gaps(boxes, i, line_height)
    assert left is not None and right is not None  # 0 < i < len(boxes) - 1
    return ch if min(left, right) >= FULLWIDTH_OPEN else SYMBOL_HALFWIDTH[ch]


def _gaps(boxes: np.ndarray, i: int, line_height: float) -> tuple[float | None, float | None]:
    """Blank space left and right of box ``i`` (int (N, 4)) to its neighbours, in
    line heights; None on a side without a neighbour."""
    left = (boxes[i][0] - boxes[i - 1][2]) / line_height if i > 0 else None
    right = (boxes[i + 1][0] - boxes[i][2]) / line_height if i + 1 < len(boxes) else None
    return left, right


#: A "." at least this many times taller than wide is a comma; in lines under
#: ``SMALL_LINE`` pixels, where a comma is a blob of 2 x 3 pixels, from ``SMALL_COMMA_ASPECT``.
COMMA_ASPECT = 1.6
SMALL_LINE = 20
SMALL_COMMA_ASPECT = 1.5
#: Middle dots, which a blurred full stop looks like once its ring fills in.
MIDDLE_DOTS = set("·•∙")


#: A comma's tail reaches down to the foot of the line's hanzi (over 0.9 of their
#: height from their top, on all development pages); a "comma" ending above this
#: share is what a scan left of a full stop's ring, its lower left arc.
FLOATING_COMMA = 0.85


def _hanzi_band(chars: list[str], boxes: np.ndarray) -> tuple[float, float] | None:
    """Median top and bottom of a line's hanzi; None with fewer than three."""
    rows = [b for c, b in zip(chars, boxes) if is_hanzi(c)]
    if len(rows) < 3:
        return None
    return float(median([b[1] for b in rows])), float(median([b[3] for b in rows]))


def fix_dots(chars: list[str], boxes: np.ndarray, line_box: tuple[int, int, int, int]) -> list[str]:
    """A middle dot (· •) sits at mid-height; one in the lower part of the line
    is a full stop whose ring blurred shut: 。 after or before a hanzi, else ".".
    So is a comma that does not reach the foot of the line's hanzi
    (``FLOATING_COMMA``).  A full stop is round; a "." box clearly taller than
    wide is a small comma whose tail the crop lost (the full-width form is
    chosen later, by the advance).

    Args:
        chars: the characters of one line, left to right.
        boxes: int (N, 4) their boxes.
        line_box: (x0, y0, x1, y1) of the line.
    """
    top, height = line_box[1], max(line_box[3] - line_box[1], 1)
    aspect = SMALL_COMMA_ASPECT if height < SMALL_LINE else COMMA_ASPECT
    band = _hanzi_band(chars, boxes)
    out = list(chars)
    for i, ch in enumerate(chars):
        w, h = boxes[i][2] - boxes[i][0], boxes[i][3] - boxes[i][1]
        if ch == "." and h >= 3 and h >= aspect * w:
            out[i] = ","
        if ch in "，," and band is not None:
            foot = (boxes[i][3] - band[0]) / max(band[1] - band[0], 1.0)
            if foot >= FLOATING_COMMA:
                continue
        elif ch not in MIDDLE_DOTS:
            continue
        elif ((boxes[i][1] + boxes[i][3]) / 2 - top) / height < LOW_DOT:
            continue
        beside = [chars[j] for j in (i - 1, i + 1) if 0 <= j < len(chars)]
        out[i] = "。" if any(is_hanzi(c) for c in beside) else "."
    return out


#: A comma form at least this share of a "." 's probability makes a full-width dot a ，.
DOT_COMMA = 0.5


def fix_full_stops(
    chars: list[str], boxes: np.ndarray, line_height: float, comma_share: list[float]
) -> list[str]:
    """A "." followed by the empty part of a full-width cell, in a line with hanzi,
    is a full-width mark: a 。 whose ring a scan blurred shut, or a ， whose tail it
    lost, the latter when the recogniser gives a comma form at least ``DOT_COMMA``
    of the dot's probability (``comma_share``).  An ASCII "." has a narrow advance:
    at most a space follows it.

    Args:
        chars: the characters of one line, left to right.
        boxes: int (N, 4) their boxes.
        line_height: the line's height in pixels.
        comma_share: per character, the probability of its best comma form (, or ，)
            over its own.
    """
    if line_height <= 0 or not any(is_hanzi(c) for c in chars):
        return list(chars)
    out = list(chars)
    for i, ch in enumerate(chars[:-1]):  # each has a right neighbour: its gap is not None
        if ch == "." and (_gaps(boxes, i, line_height)[1] or 0.0) >= FULLWIDTH_OPEN:
            out[i] = "，" if comma_share[i] >= DOT_COMMA else "。"
    return out


#: A "…" read from dots at least this many line heights wide holds three of them.
THREE_DOTS = 0.45


def ellipsis_dots(
    box: tuple[int, int, int, int], pieces: np.ndarray, line_box: tuple[int, int, int, int]
) -> list[tuple[int, int, int, int]] | None:
    """The ASCII full stops a "…" reading really is, or None if it is an ellipsis.

    Chinese faces draw … at mid-height; dots on the baseline are ASCII periods
    ("..." or "..", as in ``[FILE...]``) that the recogniser took together.

    Args:
        box: (x0, y0, x1, y1) of the "…" reading.
        pieces: int (N, 4) the pieces it was read from.
        line_box: (x0, y0, x1, y1) of its line.

    Returns:
        One box per dot, left to right, or None.
    """
    top, height = line_box[1], max(line_box[3] - line_box[1], 1)
    if ((box[1] + box[3]) / 2 - top) / height < LOW_ELLIPSIS:
        return None
    if len(pieces) >= 2:
        return [(int(p[0]), int(p[1]), int(p[2]), int(p[3])) for p in pieces]
    n = 3 if box[2] - box[0] >= THREE_DOTS * height else 2
    edges = np.linspace(box[0], box[2], n + 1).round().astype(int)
    return [(int(a), box[1], int(b), box[3]) for a, b in zip(edges, edges[1:])]


#: Letters whose capital is the small letter drawn larger: only size tells them apart.
SAME_SHAPE_CASE = set("cosvwxzCOSVWXZ")
#: Letters and digits of cap or ascender height, and letters of x-height, that are
#: recognised by shape alone; they give the line's two reference heights.
TALL_LETTERS = set("ABDEFGHKLMNPRTbdfhklt0123456789")
SHORT_LETTERS = set("aemnru")
#: Without Latin references, caps are about this fraction of the hanzi height and
#: x-height letters less: the threshold between the two.
CASE_OF_HANZI = 0.63


def fix_case(chars: list[str], boxes: np.ndarray) -> list[str]:
    """Choose the case of c/C, o/O, s/S, v/V, w/W, x/X, z/Z by their height.

    The references are the line's own letters whose case their shape shows:
    the median height of the tall ones (capitals, ascenders, digits) and of the
    x-height ones; the threshold lies midway (or at 0.84 of the tall / 1.19 of
    the short height when the line has only one kind, or at ``CASE_OF_HANZI``
    of the hanzi height when it has neither).

    Args:
        chars: the characters of one line, left to right.
        boxes: int (N, 4) their boxes.
    """
    heights = (boxes[:, 3] - boxes[:, 1]).astype(np.float64)
    tall = [h for c, h in zip(chars, heights) if c in TALL_LETTERS]
    short = [h for c, h in zip(chars, heights) if c in SHORT_LETTERS]
    hanzi = [h for c, h in zip(chars, heights) if is_hanzi(c)]
    if tall and short:
        threshold = (median(tall) + median(short)) / 2
    elif tall:
        threshold = 0.84 * median(tall)
    elif short:
        threshold = 1.19 * median(short)
    elif hanzi:
        threshold = CASE_OF_HANZI * median(hanzi)
    else:
        return list(chars)
    return [
        (c.upper() if h >= threshold else c.lower()) if c in SAME_SHAPE_CASE else c
        for c, h in zip(chars, heights)
    ]


#: Letters and digits that stand on the baseline (no descender), as their shape shows.
ON_BASELINE = TALL_LETTERS | SHORT_LETTERS
#: A colon whose ink reaches this share of the baseline letters' height below
#: their foot (and 2 pixels) has a tail: a semicolon whose tail a scan thinned.
SEMICOLON_TAIL = 0.1


def fix_semicolons(chars: list[str], boxes: np.ndarray) -> list[str]:
    """A : whose lower mark hangs below the line's baseline is a ; (a comma's tail
    reaches below it, a colon's dot sits on it).  The baseline there is the median
    foot of the (up to) four nearest letters and digits that stand on it, so that
    a page turned by a hair does not tilt it; with fewer than two, none is known.

    Args:
        chars: the characters of one line, left to right.
        boxes: int (N, 4) their boxes.
    """
    on = [n for n, c in enumerate(chars) if c in ON_BASELINE]
    out = list(chars)
    if len(on) < 2:
        return out
    for n, c in enumerate(chars):
        if c != ":":
            continue
        near = sorted(on, key=lambda m: abs(m - n))[:4]
        base = float(median([boxes[m][3] for m in near]))
        height = float(median([boxes[m][3] - boxes[m][1] for m in near]))
        if boxes[n][3] - base >= max(2.0, SEMICOLON_TAIL * height):
            out[n] = ";"
    return out


#: Look-alikes of I and 1 (and of O and 0) that the rest of a word decides.
AS_CAPITAL = {"l": "I", "1": "I", "|": "I", "0": "O"}
AS_DIGIT = {"I": "1", "l": "1", "|": "1", "O": "0", "o": "0"}
#: Brackets around a lone l that is a 1.
OPENING, CLOSING = set("([（［"), set(")]）］")


def fix_words(chars: list[str], spaces: list[bool]) -> list[str]:
    """Read I/l/1 and O/0 as the rest of their word is written.

    A word is a run of ASCII letters and digits, ended by anything else or a
    space.  In a word of capitals ("UNlX": all other characters capitals, at
    least two of them, or one if the look-alike is a letter: "lP") a look-alike
    is a capital, but for a digit ending the word (SHA1).  In a number ("I024",
    all other characters digits) it is a digit.  An l starting a word before a
    capital is an I ("lPv6": no word starts so), as is one between two capitals
    ("NetBlOS") and one starting a lower-case word of four letters or more before
    an n ("lnfo"; the command ln is shorter, and lmhosts is a word), and one of
    the two-letter words "lt" and "lf" (It, If); an l alone in brackets is a 1
    ("ls(l)"), as is one starting its line before a dot ("l. Installing") or after
    a lone capital and a dot ("A.l"); an l or bar alone beside a slash and a
    capital is an I ("l/O").  Other mixed words ("X11", "getItem") are left as read.

    Args:
        chars: the characters of one line, left to right.
        spaces: ``spaces[i]`` is True where a space follows ``chars[i]``.
    """
    out = list(chars)
    word: list[int] = []
    for i, ch in enumerate(chars):
        if ch.isascii() and (ch.isalnum() or ch == "|"):
            word.append(i)
        elif word:
            _fix_word(out, chars, word)
            word = []
        if word and i < len(spaces) and spaces[i]:
            _fix_word(out, chars, word)
            word = []
    if word:
        _fix_word(out, chars, word)
    for i in range(1, len(chars) - 1):  # (l) and [l]: a man page section, a list number
        if chars[i] in "l|" and chars[i - 1] in OPENING and chars[i + 1] in CLOSING:
            out[i] = "1"
        # no word has 1 between two small letters (snv1ook), and no word is a lone l
        # between hanzi or beside a number (是l和, 平面l-7, -2^63-l)
        if chars[i] == "1" and _lower(chars[i - 1]) and _lower(chars[i + 1]):
            out[i] = "l"
    for i, ch in enumerate(chars):
        if ch == "l" and _lone_one(chars, spaces, i):
            out[i] = "1"
        elif ch in "l|" and _beside_capital(out, spaces, i):
            out[i] = "I"
    return out


def _beside_capital(chars: list[str], spaces: list[bool], i: int) -> bool:
    """Whether the character at ``i`` is a letter alone between marks that a slash
    joins to a capital, with no space between: the l of "l/O" is the I of I/O."""
    at = functools.partial(_unspaced, chars, spaces, i)
    if any(c.isascii() and c.isalnum() for c in (at(i - 1), at(i + 1))):
        return False  # part of a word
    return (at(i + 1) == "/" and at(i + 2).isupper()) or (at(i - 1) == "/" and at(i - 2).isupper())


def _unspaced(chars: list[str], spaces: list[bool], i: int, j: int) -> str:
    """The character at ``j`` if no space parts it from the one at ``i``, else ""."""
    gaps = range(min(i, j), min(max(i, j), len(spaces)))
    return chars[j] if 0 <= j < len(chars) and not any(spaces[k] for k in gaps) else ""


def _lower(ch: str) -> bool:
    return ch.isascii() and ch.isalpha() and ch.islower()


def _ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _lone_one(chars: list[str], spaces: list[bool], i: int) -> bool:
    """Whether the l at ``i`` stands alone between hanzi, or beside a digit
    (across a - or ^ too), with no space between; or starts its line before a dot
    (a list's "1.") or follows a lone capital and a dot (an appendix's "A.1")."""
    at = functools.partial(_unspaced, chars, spaces, i)
    left, right = at(i - 1), at(i + 1)
    if any(_ascii_letter(c) for c in (left, right)):
        return False  # a letter of a word
    if is_hanzi(left) and is_hanzi(right):
        return True
    if i == 0 and right == ".":
        return True  # a list's number: "1. Installing"
    if left == "." and at(i - 2).isupper() and not _ascii_letter(at(i - 3)):
        return True  # an appendix's section: "A.1"
    for side, beyond in ((left, at(i - 2)), (right, at(i + 2))):
        if side.isdigit() or (side in ("-", "^") and beyond.isdigit()):
            return True
    return False


def _fix_word(out: list[str], chars: list[str], word: list[int]) -> None:
    """Apply :func:`fix_words`' rules to the positions ``word`` of one word; a word
    between two bars (a placeholder: |FILE|) keeps its bars."""
    if len(word) >= 3 and chars[word[0]] == chars[word[-1]] == "|":
        _fix_word(out, chars, word[1:-1])
        return
    if len(word) >= 2 and chars[word[0]] in "l|" and chars[word[1]].isupper():
        out[word[0]] = "I"  # no word starts "lP": IPv6, IEEE
    for a, i, b in zip(word, word[1:], word[2:]):
        if chars[i] in "l|" and chars[a].isupper() and chars[b].isupper():
            out[i] = "I"  # nor has "BlO" inside: NetBIOS
    if len(word) == 2 and chars[word[0]] == "l" and chars[word[1]] in "tf":
        out[word[0]] = "I"  # no word is "lt" or "lf": It, If
    if len(word) >= 4 and chars[word[0]] == "l" and chars[word[1]] == "n":
        if all(chars[i].isalpha() and chars[i].islower() for i in word[1:]):
            out[word[0]] = "I"  # nor starts "ln": Info, Intel (the command ln is short)
    for kind, table in (("caps", AS_CAPITAL), ("digits", AS_DIGIT)):
        odd = [i for i in word if chars[i] in table]
        rest = [chars[i] for i in word if chars[i] not in table]
        if not odd:
            continue
        capitals = bool(rest) and all(c.isalpha() and c.isupper() for c in rest)
        # one other capital is enough for a letter ("lP" -> IP), not for a digit (1G)
        enough = len(rest) >= 2 or all(chars[i].isalpha() or chars[i] == "|" for i in odd)
        if kind == "caps" and capitals and enough:
            for i in odd:
                if not (chars[i].isdigit() and i == word[-1]):  # SHA1, COM1 end in a digit
                    out[i] = table[chars[i]]
            return
        if kind == "digits" and rest and all(c.isdigit() for c in rest):
            for i in odd:
                out[i] = table[chars[i]]
            return


#: A page keeps one style: a mark that its cell cannot settle takes the form of at
#: least this share of the page's settled marks of its kind, if there are this many.
STYLE_SHARE = 0.75
STYLE_MIN = 3


def page_style(lines: list[list[str]]) -> list[list[str]]:
    """Settle the width form of look-alike marks (, ， : ： ...) that end or start
    a line of Chinese text by the page's own style.

    At a line's end a mark has no neighbour after it, so whether its cell is
    full width cannot be seen (``fix_width_forms`` guesses full width).  Chinese
    pages are written in one style or the other: some translators put ASCII
    commas between hanzi throughout.  Such a mark (with a hanzi beside it) takes
    the form that ``STYLE_SHARE`` of the marks of its kind with a hanzi beside
    them, inside lines, have on this page.  Brackets are left to
    :func:`pair_brackets`, which settles them by their partners.

    Args:
        lines: the characters of every line of a page.

    Returns:
        The lines with those marks replaced (new lists).
    """
    out = [list(line) for line in lines]
    counts: dict[str, list[int]] = {}
    unsettled = []
    for n, line in enumerate(lines):
        if not any(is_hanzi(c) for c in line):
            continue
        for i, ch in enumerate(line):
            forms = width_forms(ch)
            if forms is None or forms[0] in BRACKETS or forms[0] in OPENING_OF:
                continue
            if not any(is_hanzi(line[j]) for j in (i - 1, i + 1) if 0 <= j < len(line)):
                continue
            if i == len(line) - 1 or i == 0:
                unsettled.append((n, i, forms))
            else:
                counts.setdefault(forms[0], [0, 0])[ch == forms[1]] += 1
    for n, i, forms in unsettled:
        votes = counts.get(forms[0], [0, 0])
        total = sum(votes)
        for form, count in zip(forms, votes):
            if total >= STYLE_MIN and count >= STYLE_SHARE * total:
                out[n][i] = form
    return out


#: Brackets whose width forms pair up: opening -> closing.
BRACKETS = {"(": ")", "（": "）"}
OPENING_OF = {c: o for o, c in BRACKETS.items()}
#: Full-width marks drawn at one side of their cell, with its blank half after them
#: or before them: beside one, a bracket's own space cannot be told from theirs.
BLANK_AFTER = set("。，、；：！？）」』”")
BLANK_BEFORE = set("（「『“")
#: Strokes a worn bracket is read as.
BAR_LIKE = "|Il"


def pair_quotes(lines: list[list[str]]) -> list[list[str]]:
    """Curly quotes that the recogniser read as ASCII ", settled by their partners.

    A small screen font draws ” and " alike, a few pixels each.  A " right after
    an opening “ (the next quote mark of the paragraph) closes it: ”; one right
    before a closing ” opens it: “.  A " whose own partner is another " (the
    quote before or after it is one) is left alone: "ASCII" quotes stay ASCII.

    Args:
        lines: the characters of the consecutive lines of one paragraph.

    Returns:
        The lines with those quotes replaced (new lists).
    """
    out = [list(line) for line in lines]
    spots = [(n, i) for n, line in enumerate(out) for i, ch in enumerate(line) if ch in '"“”']

    def at(k: int) -> str:
        return out[spots[k][0]][spots[k][1]] if 0 <= k < len(spots) else ""

    for k in range(len(spots)):
        n, i = spots[k]
        if out[n][i] != '"':
            continue
        if at(k - 1) == "“" and at(k + 1) != '"':
            out[n][i] = "”"
        elif at(k + 1) == "”" and at(k - 1) != '"':
            out[n][i] = "“"
    return out


def pair_brackets(
    lines: list[list[str]], bars: frozenset[tuple[int, int]] = frozenset()
) -> list[list[str]]:
    """Settle brackets that their own cell cannot settle, from their partners.

    A closing bracket that ends its line (an opening one that starts it) shows
    only its hugging side, where ASCII and full-width forms look alike: it takes
    its partner's form.  So does an opening bracket after a full-width mark that
    leaves its cell's blank half before it (。( or 。（), and a closing one before
    a mark that leaves it after (）“).  A scan can wear a bracket down to a short straight
    stroke, read | or l; such a stroke standing alone in Chinese text (``bars``)
    is a full-width bracket if it pairs up: a closing one after an open bracket,
    else an opening one before a closing bracket (or before another such
    stroke).  Pairs nest; a bracket with no partner in its paragraph is left as
    read.

    Args:
        lines: the characters of the consecutive lines of one paragraph.
        bars: (line, index) of the strokes that may be worn brackets.

    Returns:
        The lines with those brackets replaced (new lists).
    """
    out = [list(line) for line in lines]
    spots = [(n, i) for n, line in enumerate(out) for i in range(len(line))]

    def at_start(n: int, i: int) -> bool:
        return i == 0 or out[n][i - 1] in BLANK_AFTER

    def at_end(n: int, i: int) -> bool:
        return i == len(out[n]) - 1 or out[n][i + 1] in BLANK_BEFORE

    _settle_brackets(out, bars, spots, BRACKETS, OPENING_OF, "（", at_end, at_start)
    _settle_brackets(out, bars, reversed(spots), OPENING_OF, BRACKETS, "）", at_start, at_end)
    return out


def _settle_brackets(
    out: list[list[str]],
    bars: frozenset[tuple[int, int]],
    order: Iterable[tuple[int, int]],
    opens: dict[str, str],
    closes: dict[str, str],
    wide_open: str,
    edge: Callable[[int, int], bool],
    partner_edge: Callable[[int, int], bool],
) -> None:
    """One pass of :func:`pair_brackets` over ``out`` (changed in place), in reading
    order (or against it, where closing brackets open): ``opens`` maps each bracket
    that opens a pair in this direction to its partner, ``wide_open`` is the
    full-width one of them; ``edge`` and ``partner_edge`` tell whether a bracket at
    (line, index) shows only its hugging side, for a bracket and for its partner."""
    stack: list[tuple[int, int]] = []
    for n, i in order:
        ch = out[n][i]
        bar = (n, i) in bars and ch in BAR_LIKE
        if ch in opens:
            stack.append((n, i))
        elif stack and (ch in closes or bar):
            pn, pi = stack.pop()
            if out[pn][pi] in BAR_LIKE:  # two worn brackets, or a worn one and its partner
                out[pn][pi] = wide_open
                out[n][i] = opens[wide_open] if bar or edge(n, i) else out[n][i]
            elif bar:
                out[n][i] = opens[wide_open]
                if partner_edge(pn, pi):
                    out[pn][pi] = FULLWIDTH.get(out[pn][pi], out[pn][pi])
            elif edge(n, i):
                out[n][i] = opens[out[pn][pi]]
        elif bar:  # nothing open: it may open a pair itself
            stack.append((n, i))


def fix_lookalikes(chars: list[str]) -> list[str]:
    """Resolve shapes a crop cannot tell apart, from the neighbours.

    一, a single em dash and a full-width minus are the same stroke; Chinese
    writes its dash doubled (——) and a minus between numbers, so a lone "—" or
    "－" next to a hanzi is 一.
    """
    out = list(chars)
    for i, ch in enumerate(chars):
        if ch not in "—－":
            continue
        nb = [chars[j] for j in (i - 1, i + 1) if 0 <= j < len(chars)]
        if not any(c in "—－" for c in nb) and any(is_hanzi(c) for c in nb):
            out[i] = "一"
    return out


#: A hanzi or corner bracket read in a Latin word with less confidence than this may be
#: a letter.
LETTER_MARK_PROB = 0.9
#: Corner brackets that small letters are read as (a monospaced r as 「), each with the
#: bracket that pairs with it; other marks between letters are real (C、C++, ::).
LETTER_MARKS = {"「": "」", "『": "』", "」": "「", "』": "『"}


def letters_in_words(
    chars: list[str], gaps: Sequence[bool], alternatives: list[list[tuple[str, float]]]
) -> list[str]:
    """Letters read as a hanzi or a corner bracket in a Latin word (o as 口, a small
    monospaced r as 「), read with less than ``LETTER_MARK_PROB``, become the first
    letter among their alternatives, if they have one.  A hanzi must have ASCII
    letters on both sides, with no word gap between (letters found before it count);
    a corner bracket one on either side, but only when the line has no bracket to
    pair it with (「read」 stays quoted).

    Args:
        chars: the line's characters.
        gaps: a word gap after character n, for n < len(chars) - 1.
        alternatives: per character, (char, probability) best first.
    """
    out = list(chars)
    n = len(out)
    if not any(ch.isascii() and ch.isalpha() for ch in out):
        return out
    gaps = [bool(g) for g in gaps]

    def letter(k: int) -> str | None:
        ch = out[k]
        if not (is_hanzi(ch) or ch in LETTER_MARKS) or alternatives[k][0][1] >= LETTER_MARK_PROB:
            return None
        return next((a for a, _ in alternatives[k][1:] if a.isascii() and a.isalpha()), None)

    def joined(k: int, j: int) -> bool:  # k's neighbour j (k +- 1) is a letter it touches
        return 0 <= j < n and not gaps[min(k, j)] and out[j].isascii() and out[j].isalpha()

    for k in range(n):
        if not (joined(k, k - 1) or joined(k, k + 1)):
            continue
        new = letter(k)
        if new is None:
            continue
        if out[k] in LETTER_MARKS:
            if LETTER_MARKS[out[k]] in out:
                continue
        elif not (joined(k, k - 1) and joined(k, k + 1)):
            continue
        out[k] = new
    return out


def _neighbour(chars: list[str], order: range) -> str | None:
    """The first character in ``order`` that is neither a space nor a look-alike mark."""
    for j in order:
        c = chars[j]
        if c.strip() and width_forms(c) is None:
            return c
    return None


def fullwidth(ch: str) -> bool:
    """Whether ``ch`` is a full-width mark, which carries its own space."""
    return "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or ch in "“”‘’—…·"


def spaced(a: str, b: str) -> bool:
    """Whether a wide gap between ``a`` and ``b`` is a space: Chinese text has none,
    and full-width punctuation carries its own; Latin words and numbers do."""
    return (a.isascii() or b.isascii()) and not (fullwidth(a) or fullwidth(b))


#: A line of at most this many characters, each read with less than this confidence,
#: is a picture or specks, not text.
PICTURE_CHARS, PICTURE_CONFIDENCE = 5, 0.35


def picture(confidences: Sequence[float]) -> bool:
    """Whether a line is something the recogniser cannot read (an avatar, an icon, a
    photo beside text, dust on a scan): a few characters, none read with more than
    a little confidence.  What such a line holds is almost never read right, so
    dropping it costs next to nothing where it is text."""
    return 0 < len(confidences) <= PICTURE_CHARS and all(
        p < PICTURE_CONFIDENCE for p in confidences
    )


#: A stroke shorter than this (in line heights) is neither a bar (| spans a line)
#: nor an l (an ascender); a worn bracket keeps about half its height.
WORN_BRACKET_HEIGHT = 0.62


def worn_brackets(
    chars: Sequence[str], boxes: np.ndarray, spaces: Sequence[bool], line_height: float
) -> list[int]:
    """Indices of short strokes read |, l or I that stand in Chinese text: a hanzi
    or full-width mark on one side, a space on one side at most, and nothing ASCII
    beside them, except one Latin letter or digit beside a | ("NFS）" read "NFS|").

    Args:
        chars: the characters of one line, left to right.
        boxes: int (N, 4) their boxes.
        spaces: ``spaces[i]`` is True where a space follows ``chars[i]``.
        line_height: the line's height in pixels.
    """
    out = []
    for i, ch in enumerate(chars):
        if ch not in BAR_LIKE or boxes[i][3] - boxes[i][1] >= WORN_BRACKET_HEIGHT * line_height:
            continue
        if spaces[i] and i and spaces[i - 1]:  # the blank half of a bracket's
            continue  # cell is a space on its open side, but not on both: a bar " | "
        sides = [chars[j] for j in (i - 1, i + 1) if 0 <= j < len(chars)]
        ascii_sides = [s for s in sides if s.isascii()]
        if len(ascii_sides) > (ch == "|") or not all(s.isalnum() for s in ascii_sides):
            continue
        if any(is_hanzi(s) or fullwidth(s) for s in sides):
            out.append(i)
    return out


def closing_apostrophes(
    lines: Sequence[Sequence[str]], spaces: Sequence[Sequence[bool]]
) -> list[tuple[int, int]]:
    """(line, index) of each " or ” that closes a `` of the paragraph ``lines``:
    roff quotes with two grave accents and closes with two apostrophes (``word''),
    which side by side read as one double quote."""
    out = []
    opened = False
    for m, (chars, sp) in enumerate(zip(lines, spaces)):
        for n, ch in enumerate(chars):
            if ch == "`" and n and chars[n - 1] == "`" and not sp[n - 1]:
                opened = True
            elif ch in '"”' and opened:
                out.append((m, n))
                opened = False
    return out


#: What the two hyphens of a long option look like where they touch (a face whose
#: hyphen fills its cell: --force read "—force").
DASH_LIKE = set("—－一")
#: What may stand before an option's hyphens.
BEFORE_OPTION = set(",，[(（|=")


def option_dashes(chars: Sequence[str], spaces: Sequence[bool]) -> list[int]:
    """Indices of the dashes that are the two hyphens of a long option: a lone dash
    directly before a Latin letter or digit, at the start of the line or of a word
    (after a space, a comma or a bracket)."""
    out = []
    for n, ch in enumerate(chars):
        nxt = chars[n + 1] if n + 1 < len(chars) else ""
        prev = chars[n - 1] if n else ""
        alone = prev not in DASH_LIKE and nxt not in DASH_LIKE and prev != "-"
        starts = not n or spaces[n - 1] or prev in BEFORE_OPTION
        word = not spaces[n] and nxt.isascii() and nxt.isalnum()
        if ch in DASH_LIKE and alone and starts and word:
            out.append(n)
    return out


def broken_o(chars: Sequence[str], spaces: Sequence[bool]) -> list[int]:
    """Indices of the "(" of each "()" that is an O whose thin top and bottom the
    binarisation lost: directly before a capital or an apostrophe ("D()MAIN",
    "()'Reilly"), not after a name (a call, "f()", is followed by a space or a mark)."""
    out = []
    n = 0
    while n + 2 < len(chars):
        a, b, nxt = chars[n : n + 3]
        prev = chars[n - 1] if n and not spaces[n - 1] else ""
        after_name = prev.isascii() and (prev.isalnum() and not prev.isupper() or prev == "_")
        if (
            (a, b) == ("(", ")")
            and not spaces[n]
            and not spaces[n + 1]
            and (nxt.isascii() and nxt.isupper() or nxt == "'")
            and not after_name
        ):
            out.append(n)
            n += 1  # the ) is the O's too
        n += 1
    return out


#: What a small asterisk is read as: a bullet, drawn as a centred dot in screen faces
#: (not the interpunct ·, which joins the parts of a transliterated name: 迈克尔·杰克逊).
BULLETS = set("•")


def asterisks(
    chars: Sequence[str],
    spaces: Sequence[bool],
    alternatives: Sequence[Sequence[tuple[str, float]]],
) -> list[str]:
    """A bullet inside a line, touching a neighbour on either side ("'•'", "为•而",
    "•filehandle"), that the recogniser also took for an asterisk (among its top
    three, whatever the number of alternatives asked for) is one: a bullet starts a
    list item, or stands between words with a space on each side."""
    out = list(chars)
    for n, ch in enumerate(chars):
        if ch not in BULLETS or n == 0 or n == len(chars) - 1:
            continue
        if spaces[n - 1] and spaces[n]:
            continue
        star = next((a for a, _ in alternatives[n][:3] if a in "*＊"), None)
        if star is not None:
            out[n] = star
    return out
