"""English word list: a Latin word read one letter or one cut wrong, corrected.

A blurred serif "rt" reads as n ("support" becomes "suppon"), a kerned "AT" as
"AI", a T as I.  Each is one wrong choice among the readings the recogniser
already scored: another of a letter's top-k, or another way of cutting the same
pieces (two letters for one, one for two).  After a line's best path is chosen,
:func:`best_variant` looks at each Latin word of three letters or more that is
not an English word, and takes the one such change that makes it one (of four
letters or more), if it costs the recogniser at most ``MARGIN`` in log-score.
Words that are not English (fstab, mkdir, ttyS) stay as read unless a single
change turns them into a word, which is rare.

Source and licence
------------------
The lower-case, letters-only entries (63,875 words) of SCOWL's
``american-english`` list as Debian's ``wamerican`` 2020.12.07-2 ships it in
``/usr/share/dict/american-english``.  Copyright 2000-2011 by Kevin Atkinson;
"Permission to use, copy, modify, distribute and sell these word lists, the
associated scripts, the output created from the scripts, and its documentation
for any purpose is hereby granted without fee, provided that the above
copyright notice appears in all copies and that both that copyright notice and
this permission notice appear in supporting documentation."  No man pages (the
page benchmark's text) went into it.  The shipped ``ocr_pipeline/data/english.txt.gz``
is rebuilt by ``tools/build_lexicon.py``::

    apt-get install wamerican
    python -m tools.build_lexicon /usr/share/dict/american-english
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

Change = TypeVar("Change")

#: Where the shipped word list lives.
DATA = Path(__file__).with_name("data") / "english.txt.gz"

#: Most log-score a change may cost the recogniser and still be taken for a word:
#: the changed reading must score at least a fifth as high (e^-1.6 = 0.20) as the
#: one read.  On the development pages the right changes (stan to start, DlSCOVER
#: to DISCOVER) cost under 1.8 and most under 1.5; the wrong ones (ctime to crime,
#: conf to cont, systemd to system) 2.0 or more.
MARGIN = 1.6
#: A word this long or longer is rarer to make by accident, so a change that makes
#: one may cost up to ``MARGIN_LONG`` (e^-2.7 = 0.07): on the development pages the
#: right ones (Subveision to Subversion, DAIABASE to DATABASE) cost up to 2.6, and
#: no change making a wrong word this long cost under 4.4.
LONG_WORD = 6
MARGIN_LONG = 2.7
#: Words shorter than this are left alone (ls, cp, rm are commands, not typos) ...
MIN_READ = 3
#: ... and a change must make a word at least this long.
MIN_WORD = 4


@lru_cache(maxsize=1)
def words(path: Path | str = DATA) -> frozenset[str]:
    """The shipped word list (lower case); empty when it is missing."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return frozenset(f.read().split())
    except OSError:
        return frozenset()


def known(word: str, vocabulary: frozenset[str] | None = None) -> bool:
    """True for an English word in any case (start, Start, START)."""
    return word.lower() in (words() if vocabulary is None else vocabulary)


def needs_check(word: str, vocabulary: frozenset[str] | None = None) -> bool:
    """A Latin word that a single change might correct: long enough, letters
    only, and not an English word already."""
    letters = word.isascii() and word.isalpha()
    return len(word) >= MIN_READ and letters and not known(word, vocabulary)


def best_variant(
    variants: Iterable[tuple[str, float, Change]], vocabulary: frozenset[str] | None = None
) -> Change | None:
    """The change to take among ``(text, cost, change)`` variants of one word:
    the cheapest whose text is an English word of ``MIN_WORD`` letters or more
    and whose cost (the log-score it loses, >= 0) is at most ``MARGIN``, or
    ``MARGIN_LONG`` for a word of ``LONG_WORD`` letters or more; None if there
    is none."""
    best: tuple[float, Change] | None = None
    for text, cost, change in variants:
        limit = MARGIN_LONG if len(text) >= LONG_WORD else MARGIN
        if cost <= limit and len(text) >= MIN_WORD and known(text, vocabulary):
            if best is None or cost < best[0]:
                best = (cost, change)
    return None if best is None else best[1]
