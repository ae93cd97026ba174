"""The ``newscorpus`` command: a thin layer over the library.

Each subcommand lives in a small module of this package and only parses options, calls library
functions and prints. Errors the library raises on purpose (:class:`NewscorpusError`) become a
one-paragraph message on stderr and an exit code (1 invalid data, 2 usage), never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newscorpus import __version__
from newscorpus.errors import NewscorpusError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        from newscorpus import txn
        from newscorpus.signals import interrupting

        txn.completed.clear()
        try:
            with interrupting():  # SIGTERM stops a command as Ctrl-C does
                return super().invoke(ctx)
        except NewscorpusError as err:
            click.echo(f"error: {err.render()}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            done = (
                f"`{txn.completed[-1]}` had completed its changes"
                if txn.completed
                else "nothing was changed"
            )
            click.echo(f"interrupted: {done}", err=True)
            ctx.exit(130)
        finally:
            for line in txn.recovered_messages:
                click.echo(line, err=True)
            txn.recovered_messages.clear()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="newscorpus")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Corpus project folder (default: the nearest folder above with a pyproject.toml "
    "holding [tool.newscorpus]).",
)
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Build a versioned, validated entity-and-relation dataset from scraped news articles."""
    ctx.obj = {"root": root}


def _register() -> None:
    from newscorpus.cli import (
        annotate_cmds,
        build_cmds,
        corpus_cmds,
        normalise_cmds,
        publish_cmds,
        quality_cmds,
        validate_cmds,
        view_cmds,
    )

    for module in (
        corpus_cmds,
        normalise_cmds,
        validate_cmds,
        quality_cmds,
        annotate_cmds,
        build_cmds,
        publish_cmds,
        view_cmds,
    ):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
