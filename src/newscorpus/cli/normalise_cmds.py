"""``newscorpus normalise``: show what the normaliser makes of an article, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from newscorpus.cli.options import format_option, get_project
from newscorpus.errors import UsageError
from newscorpus.project import find_root
from newscorpus.sources import decode_text, read_text_file


@click.command("normalise")
@click.argument("source", metavar="FILE|-")
@click.option(
    "--explain",
    is_flag=True,
    help="Print the edits (rule, raw span, before -> after), one per line, instead of the text.",
)
@format_option(
    "text",
    "json",
    help="json: one object with text, title, category, edits and the alignment to the raw text.",
)
@click.pass_context
def normalise_cmd(ctx: click.Context, source: str, explain: bool, fmt: str) -> None:
    """Print the normalised text of FILE (or of stdin with -): exactly what `add` stores.

    The output is the stored bytes (UTF-8, no newline added), so its sha256 is the text's.

    Inside a corpus project the project's normalise rules apply, elsewhere the default rules.
    """
    if explain and fmt == "json":
        raise click.UsageError(
            "--explain cannot be combined with --format json: the JSON already lists the edits."
        )
    if source == "-":
        raw = decode_text(sys.stdin.buffer.read(), "<stdin>")
    else:
        raw = read_text_file(Path(source))
    from newscorpus.normalise import normalise

    result = normalise(raw, _project_rules(ctx))
    if fmt == "json":
        data = {
            "text": result.text,
            "title": result.title,
            "category": result.category,
            "edits": [edit.to_dict() for edit in result.edits],
            "alignment": result.alignment.to_list(),
        }
        click.echo(json.dumps(data, ensure_ascii=False))
    elif explain:
        if result.edits:
            click.echo(result.explain())
    else:
        # The stored bytes exactly: UTF-8 whatever the terminal's encoding, and no newline
        # added, so that hashing the output gives the text's sha256.
        click.echo(result.text.encode("utf-8"), nl=False)


def _project_rules(ctx: click.Context) -> tuple[str, ...] | None:
    """The project's rules when run inside a project (or with --root), else None (defaults)."""
    if ctx.find_root().obj.get("root") is None:
        try:
            find_root()
        except UsageError:
            return None
    return get_project(ctx).normalise_rules


COMMANDS: list[click.Command] = [normalise_cmd]
