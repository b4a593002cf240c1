"""``python -m benchmarks``: benchmarks that are not shipped in the wheel.

They read documents from Debian packages and run other OCR engines; a user of the
library needs none of it, so it lives beside the packages, not inside them.
"""

from __future__ import annotations

import typer

from benchmarks.batch import batch_app
from benchmarks.charsets import charsets_app
from benchmarks.docs import docs_app
from benchmarks.pages import pages_cmd, pool_cmd
from benchmarks.pdflayer import pdflayer_cmd
from benchmarks.rules import rules_app
from benchmarks.screens import screens_cmd
from benchmarks.scripts import scripts_cmd
from benchmarks.speed import render_cmd, speed_cmd
from benchmarks.timings import timings_cmd
from benchmarks.vertical import vertical_cmd

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(docs_app, name="docs")
app.add_typer(batch_app, name="batch")
app.add_typer(charsets_app, name="charsets")
app.add_typer(rules_app, name="rules")
app.command("timings")(timings_cmd)
app.command("pdflayer")(pdflayer_cmd)
app.command("pages")(pages_cmd)
app.command("pool")(pool_cmd)
app.command("screens")(screens_cmd)
app.command("speed")(speed_cmd)
app.command("render")(render_cmd)
app.command("vertical")(vertical_cmd)
app.command("scripts")(scripts_cmd)

if __name__ == "__main__":
    app()
