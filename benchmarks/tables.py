"""Output of the benchmarks: a rich console, a table on it (rich is imported when
used) and the same table in Markdown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def console():
    from rich.console import Console

    return Console()


def rich_table(title: str, header: Sequence[str], rows: Iterable[Sequence[str]]):
    from rich.table import Table

    table = Table(title=title)
    for i, h in enumerate(header):
        table.add_column(h, justify="left" if i < 2 else "right")
    for r in rows:
        table.add_row(*r)
    return table


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The rows as a Markdown table, aligned as :func:`rich_table` aligns them (the first
    two columns left, the others right); each line ends with a newline."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 2 + "---:|" * (len(header) - 2)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines) + "\n"
