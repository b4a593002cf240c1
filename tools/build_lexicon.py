"""Build the English word list the reader ships (``ocr_pipeline/data/english.txt.gz``,
read by :mod:`ocr_pipeline.lexicon`) from a word-per-line list::

    apt-get install wamerican
    python -m tools.build_lexicon /usr/share/dict/american-english

The list kept: its lower-case, letters-only entries (SCOWL's ``american-english`` as
Debian's wamerican 2020.12.07-2 ships it: 63,875 words; its licence is in
:mod:`ocr_pipeline.lexicon`). The file is gzip with no time stamp, so a rebuild from the
same list is the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
from collections.abc import Iterable, Sequence
from pathlib import Path

from ocr_pipeline.lexicon import DATA


def build(lines: Iterable[str]) -> list[str]:
    """Lower-case words of ASCII letters only, sorted, from a word-per-line list
    (proper nouns, which the list capitalises, and possessives are left out).

    >>> build(["Stan", "start", "start's", "zebra", "naïve"])
    ['start', 'zebra']
    """
    out = {w for w in (line.strip() for line in lines) if w.isascii() and w.isalpha()}
    return sorted(w for w in out if w.islower())


def write(words: Sequence[str], path: Path) -> None:
    """``words``, one a line, gzipped without a time stamp."""
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(("\n".join(words) + "\n").encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m tools.build_lexicon WORD_LIST [-o OUT]``."""
    ap = argparse.ArgumentParser(
        prog="python -m tools.build_lexicon",
        description="Build the shipped English word list from a word-per-line file.",
    )
    ap.add_argument("source", type=Path, help="e.g. /usr/share/dict/american-english")
    ap.add_argument("-o", "--output", type=Path, default=DATA, help="default: the shipped file")
    args = ap.parse_args(argv)
    text = args.source.read_text(encoding="utf-8", errors="replace")
    out = build(text.splitlines())
    write(out, args.output)
    print(f"{len(out)} words -> {args.output}")


if __name__ == "__main__":
    main()
