"""Console output of the benchmarks: a rich console and a table (rich is imported when
used)."""

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
