"""Command-line options that both ``briefgen.cli`` and ``briefgen.serve.commands`` use.

Here, not in :mod:`briefgen.cli`, because the CLI registers serve's commands: serve cannot
import the CLI back. Only click is imported.
"""

from __future__ import annotations

from pathlib import Path

import click


def data_option(f):
    return click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
                        default=None, help="A folder laid out like the shipped data/ "
                        "(profiles in DIR/orgs/ID.yaml). Default: the shipped data.")(f)
