"""``python -m benchmarks rules``: what each reading rule (:mod:`ocr_pipeline.rules`) is
worth on the real-document corpus.

``ablate`` decodes every page of a split once (segmentation, recognition and decoding
do not depend on the rules), then finishes each page with the whole table and with the
table less one rule, in turn, and counts the errors (edit distance over non-space
characters, lines in the truth's order: ``class_counts``'s "all"). A rule's gain is the
errors without it minus the errors with it: what it saves. ``add-one`` is the criterion
for the rules off by default: the default table with each of them added alone, at its
place in the full table, against the default table.

Example::

    python -m benchmarks rules ablate runs/docs runs/docs-web --split dev
    python -m benchmarks rules add-one runs/docs runs/docs-web --split dev
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import typer

from benchmarks import corpus
from benchmarks.docs import class_counts
from benchmarks.tables import rich_table
from ocr_pipeline.reader import load_source
from ocr_pipeline.results import LineResult, PageResult
from ocr_pipeline.rules import ALL_RULES, RULES, DecodedLine, Rule, without

rules_app = typer.Typer(no_args_is_help=True, help="The reading rules' worth (issue 19).")


@dataclass
class Page:
    """One corpus image, decoded: its truth and the lines the rules start from."""

    entry: corpus.Entry
    truth: str
    decoded: list[DecodedLine]
    #: errors with the whole table, and its text
    errors: int = 0
    text: str = ""


@dataclass
class Gain:
    """A rule's gain per corpus and per source/variant group."""

    rule: str
    scope: str
    by_corpus: dict[str, int] = field(default_factory=dict)
    by_variant: dict[str, int] = field(default_factory=dict)  # "corpus:variant"
    by_source: dict[str, int] = field(default_factory=dict)
    pages: int = 0  # pages whose text changes without the rule

    @property
    def total(self) -> int:
        return sum(self.by_corpus.values())


def page_text(lines: list[LineResult]) -> str:
    """The text of a page of these lines (:attr:`PageResult.text`)."""
    return PageResult(0, 0, 0.0, lines).text


def decode_pages(
    folder: Path, split: str, reader, cache: Path | None, progress: Callable[[], None]
) -> list[Page]:
    """Decode the split's images of a corpus, or load them from ``cache``."""
    pages = []
    for e in corpus.read_manifest(folder):
        if not corpus.in_split(e.split, split):
            continue
        path = cache / f"{e.id.replace('/', '__')}.pickle" if cache else None
        if path is not None and path.is_file():
            decoded = pickle.loads(path.read_bytes())
        else:
            decoded = [d for p in load_source(e.image) for d in reader.decode_image(p.gray)[1]]
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(pickle.dumps(decoded))
        pages.append(Page(e, Path(e.truth).read_text(encoding="utf-8"), decoded))
        progress()
    return pages


def _errors(page: Page, text: str) -> int:
    return class_counts(page.truth, text)["all"][0]


def _finish_all(corpora: dict[str, list[Page]], finish, rules: Sequence[Rule]) -> dict[str, int]:
    """Finish every page with ``rules`` (its text and errors); the errors per corpus."""
    base = {}
    for name, pages in corpora.items():
        for p in pages:
            p.text = page_text(finish(p.decoded, rules))
            p.errors = _errors(p, p.text)
        base[name] = sum(p.errors for p in pages)
    return base


def _gain(rule: str, scope: str, corpora: dict[str, list[Page]], finish,
          table: Sequence[Rule], sign: int) -> Gain:  # fmt: skip
    """``sign`` times (errors with ``table`` minus errors with the pages' own table)."""
    g = Gain(rule, scope)
    for corpus_name, pages in corpora.items():
        g.by_corpus[corpus_name] = 0
        for p in pages:
            text = page_text(finish(p.decoded, table))
            if text == p.text:
                continue
            d = sign * (_errors(p, text) - p.errors)
            g.pages += 1
            g.by_corpus[corpus_name] += d
            for groups, key in ((g.by_variant, f"{corpus_name}:{p.entry.variant}"),
                                (g.by_source, p.entry.source)):  # fmt: skip
                groups[key] = groups.get(key, 0) + d
    return g


def ablate(
    corpora: dict[str, list[Page]], finish: Callable[[list[DecodedLine], Sequence[Rule]], list],
    rules: Sequence[Rule] = RULES,
) -> tuple[list[Gain], dict[str, int]]:  # fmt: skip
    """Each rule's gain, and the errors of each corpus with the whole table.

    Args:
        corpora: decoded pages by corpus name.
        finish: the reader's :meth:`~ocr_pipeline.Reader.apply_rules`.
        rules: the table.

    Returns:
        One :class:`Gain` per rule (and a last one, ``(all)``, for the whole table
        against none), and the errors with the whole table per corpus.
    """
    base = _finish_all(corpora, finish, rules)
    tables = [(r.name, r.scope, without(r.name, rules=rules)) for r in rules]
    gains = [_gain(name, scope, corpora, finish, table, +1)
             for name, scope, table in tables + [("(all)", "", ())]]  # fmt: skip
    return gains, base


def with_rule(name: str, rules: Sequence[Rule] = RULES, every: Sequence[Rule] = ALL_RULES
              ) -> tuple[Rule, ...]:  # fmt: skip
    """``rules`` with rule ``name`` of ``every`` added at its place in ``every``."""
    keep = {r.name for r in rules} | {name}
    return tuple(r for r in every if r.name in keep)


def add_one(
    corpora: dict[str, list[Page]], finish: Callable[[list[DecodedLine], Sequence[Rule]], list],
    rules: Sequence[Rule] = RULES, every: Sequence[Rule] = ALL_RULES,
) -> tuple[list[Gain], dict[str, int]]:  # fmt: skip
    """What each rule of ``every`` that ``rules`` leaves out gains added alone to it.

    Returns:
        One :class:`Gain` per rule left out (errors of ``rules`` minus errors of
        ``rules`` with it), and the errors with ``rules`` per corpus.
    """
    base = _finish_all(corpora, finish, rules)
    have = {r.name for r in rules}
    gains = [_gain(r.name, r.scope, corpora, finish, with_rule(r.name, rules, every), -1)
             for r in every if r.name not in have]  # fmt: skip
    return gains, base


def _breakdown(gains: Sequence[Gain], corpora: dict[str, list[Page]], by: str):
    """Rows of each rule's gain per variant (``by="variant"``) or source."""
    keys = sorted({f"{n}:{p.entry.variant}" if by == "variant" else p.entry.source
                   for n, pages in corpora.items() for p in pages})  # fmt: skip
    rows = [[g.rule] + [f"{getattr(g, f'by_{by}').get(k, 0):+d}" for k in keys] for g in gains]
    return ["rule"] + keys, rows


@rules_app.command("ablate")
def ablate_cmd(
    folders: list[Path] = typer.Argument(..., help="Built corpora (runs/docs runs/docs-web)."),
    split: str = typer.Option("dev", help="The split: dev (test only for a closing note), or all."),
    cache: Path = typer.Option(None, help="Keep the decoded pages here and reuse them "
                               "(delete it when the model or the decoder changes)."),
    out: Path = typer.Option(None, "--out", "-o", help="Also write the gains as JSON here."),
    every: bool = typer.Option(False, "--all", help="Measure every rule (ALL_RULES, the "
                               "manpage profile), those off by default too, against the "
                               "whole table."),
    one: bool = typer.Option(False, "--add-one", help="Instead: each rule off by default "
                             "added alone to the default table (the criterion for it)."),
    model: str = typer.Option(None, help="The model (default: the shipped default)."),
) -> None:  # fmt: skip
    """Turn each reading rule off in turn; print the characters it gains per corpus.

    Example: python -m benchmarks rules ablate runs/docs runs/docs-web --split dev
    """
    from rich.console import Console

    from ocr_pipeline import Reader

    con = Console(width=max(Console().width, 240))  # the tables are wide
    reader = Reader(model)
    corpora = _decode_corpora(folders, split, reader, cache, con)
    with con.status("applying the tables"):
        if one:
            gains, base = add_one(corpora, reader.apply_rules)
        else:
            gains, base = ablate(corpora, reader.apply_rules, ALL_RULES if every else RULES)
    chars = {n: sum(len("".join(p.truth.split())) for p in corpora[n]) for n in corpora}
    con.print(_gains_table(gains, base, chars, split, one, every))
    for by in ("variant", "source"):
        con.print(rich_table(f"{split}: gain per {by}", *_breakdown(gains, corpora, by)))
    if out is not None:
        data = {"split": split, "errors": base, "chars": chars,
                "gains": [g.__dict__ | {"total": g.total} for g in gains]}  # fmt: skip
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        con.print(f"wrote {out}")


def _decode_corpora(folders: list[Path], split: str, reader, cache: Path | None,
                    con) -> dict[str, list[Page]]:  # fmt: skip
    """The ``split`` pages of each corpus decoded (:func:`decode_pages`), by folder name,
    under a progress bar; from and into ``cache`` when given. Exit 2 without a corpus."""
    from rich.progress import Progress

    corpora: dict[str, list[Page]] = {}
    try:
        entries = [e for f in folders for e in corpus.read_manifest(f)]
        total = sum(corpus.in_split(e.split, split) for e in entries)
    except corpus.CorpusError as err:
        con.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    with Progress(console=con) as prog:
        task = prog.add_task(f"decoding the {split} split", total=total)
        for f in folders:
            sub = cache / f.resolve().name if cache else None
            corpora[f.name] = decode_pages(f, split, reader, sub, lambda: prog.advance(task))
    return corpora


def _gains_table(gains: list[Gain], base: dict[str, int], chars: dict[str, int], split: str,
                 one: bool, every: bool):  # fmt: skip
    """The table of each rule's gain per corpus (``chars``: each corpus's characters),
    titled with the errors of the table measured against (``base``)."""
    names = list(chars)
    header = ["rule", "scope"] + [f"{n} gain" for n in names] + ["total", "pages changed"]
    rows = [[g.rule, g.scope] + [f"{g.by_corpus[n]:+d}" for n in names]
            + [f"{g.total:+d}", str(g.pages)] for g in gains]  # fmt: skip
    table = "ALL_RULES" if every else "RULES"
    what = "each rule off by default, added alone to RULES" if one else f"each rule of {table}"
    title = (
        f"{split}: characters gained by {what}; errors with {'RULES' if one else table}: "
        + ", ".join(
            f"{n} {base[n]} of {chars[n]} ({base[n] / max(chars[n], 1):.2%})" for n in names
        )
    )
    return rich_table(title, header, rows)
