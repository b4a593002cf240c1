"""Benchmarks (placeholder module, being written)."""

import typer

bench_app = typer.Typer(no_args_is_help=True)
