"""``newscorpus agree``, ``adjudicate`` and ``check``: annotation quality across files."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import click

from newscorpus.cli.options import FC, format_option, get_project, jobs_option


class _Names(click.Option):
    """A repeatable option that also takes the words after it: ``--annotators alice bob``.

    It stops at the next option, so document ids go before it (or after another option).
    """

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for flag in self.opts:
            option = parser._long_opt.get(flag)
            if option is None:
                continue
            one = option.process

            def process(value: Any, state: Any, one: Any = one) -> None:
                one(value, state)
                while state.rargs and not state.rargs[0].startswith("-"):
                    one(state.rargs.pop(0), state)

            setattr(option, "process", process)  # noqa: B010 (mypy: assigning to a method)


def annotators_option(help: str) -> Callable[[FC], FC]:
    return click.option(
        "--annotators", "annotators", cls=_Names, multiple=True, metavar="NAME...", help=help
    )


@click.command("agree")
@click.argument("doc_ids", nargs=-1, metavar="[DOC_ID]...")
@annotators_option("Annotator sets to compare (default: every set).")
@click.option(
    "--against",
    type=click.Choice(["gold"]),
    default=None,
    help="Compare each annotator set with gold (gold is the reference for precision/recall).",
)
@format_option("text", "json", help="text: tables and a disagreement list; json: everything.")
@click.pass_context
def agree_command(
    ctx: click.Context,
    doc_ids: tuple[str, ...],
    annotators: tuple[str, ...],
    against: str | None,
    fmt: str,
) -> None:
    """Inter-annotator agreement on the documents the sets share.

    For each pair of sets (or each set against gold): exact and overlap entity P/R/F1, token
    Cohen's kappa over BIO tags, relation F1 (and restricted to matched arguments), per label
    and overall, with the counts each rests on, and every disagreement. Never changes a file.
    """
    from newscorpus.agree import agree, render_text
    from newscorpus.schema import Schema

    project = get_project(ctx)
    schema = Schema.load(project.schema_path)
    report = agree(
        project, schema, _names(annotators), against_gold=against == "gold", wanted=doc_ids
    )
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(report))


def _names(values: tuple[str, ...]) -> list[str]:
    """``--annotators a b``, ``--annotators a --annotators b`` and ``--annotators a,b`` alike."""
    return [name for value in values for name in value.replace(",", " ").split()]


@click.command("check")
@click.argument("doc_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option(
    "--strict", is_flag=True, help="Fail (exit 1) on any warning not accepted, as CI should."
)
@format_option(
    "text",
    "json",
    "github",
    help="text: one line per warning and a summary; json: one JSON document; "
    "github: workflow commands that annotate a pull request.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Read all of gold afresh instead of taking unchanged parts from .newscorpus/cache/.",
)
@jobs_option(
    "Worker processes (default: every core, for 500 gold files or more). --jobs 1 checks in "
    "this process."
)
@click.pass_context
def check_command(
    ctx: click.Context,
    doc_ids: tuple[str, ...],
    strict: bool,
    fmt: str,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Corpus-wide consistency of the gold annotations.

    Warns about likely missed mentions (W170), one text with different labels (W171), a name
    annotated with and without a neighbouring word (W172) and one pair of texts linked by
    different relation labels (W173). Reviewed exceptions live in annotations/checks.yaml;
    an entry there that matches nothing is a warning too (W174). With DOC_IDs, only warnings
    involving them are shown. Never changes a project file; unchanged parts of gold are read
    from (and new ones kept in) the cache in .newscorpus/cache/, which gives the same report.
    """
    from newscorpus.check import check_project
    from newscorpus.cli.validate_cmds import echo_report
    from newscorpus.engines import EngineSettings
    from newscorpus.schema import Schema

    project = get_project(ctx)
    engine = EngineSettings(jobs=jobs) if jobs is not None else None
    schema = Schema.load(project.schema_path)
    report = check_project(project, schema, doc_ids, engine=engine, use_cache=not no_cache)

    def document() -> dict[str, Any]:
        return {
            "ok": report.ok(strict),
            "warnings": len(report.issues),
            "accepted": report.accepted,
            "documents": report.documents,
            "issues": [dataclasses.asdict(i) for i in report.issues],
        }

    echo_report(ctx, project, fmt, document, report.issues, report.summary(), report.ok(strict))


@click.command("adjudicate")
@click.argument("doc_ids", nargs=-1, metavar="[DOC_ID]...")
@annotators_option("The annotator sets to adjudicate between (two or more).")
@click.option(
    "--strategy",
    type=click.Choice(["unanimous", "majority"]),
    default="unanimous",
    show_default=True,
    help="An item goes to gold when all annotators have it, or more than half.",
)
@click.option("--replace", is_flag=True, help="Overwrite existing gold (never done without it).")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.pass_context
def adjudicate_command(
    ctx: click.Context,
    doc_ids: tuple[str, ...],
    annotators: tuple[str, ...],
    strategy: str,
    replace: bool,
    dry_run: bool,
) -> None:
    """Write gold from what the annotators agree on; put each conflict in a review file.

    Conflicts go to annotations/review/DOC_ID.json with every annotator's version. Set a
    conflict's "resolution" to the name of the side that is right (or to "manual" after
    editing the review file's entities/relations), then run adjudicate again: resolved
    conflicts move into gold, and the review file goes once none is open. Documents that
    already have gold are skipped unless --replace. All files are written at once, or none.
    """
    from newscorpus.adjudicate import adjudicate
    from newscorpus.schema import Schema

    project = get_project(ctx)
    schema = Schema.load(project.schema_path)
    plans = adjudicate(
        project,
        schema,
        _names(annotators),
        strategy="majority" if strategy == "majority" else "unanimous",
        wanted=doc_ids,
        replace=replace,
        dry_run=dry_run,
    )
    for plan in plans:
        click.echo(plan.describe(project))
    if dry_run:
        click.echo("dry run: nothing was written")
        return
    written = sum(1 for p in plans if p.gold is not None)
    waiting = sum(1 for p in plans if p.open)
    click.echo(f"{written} gold file(s) written, {waiting} document(s) with open conflicts")


COMMANDS: list[click.Command] = [agree_command, adjudicate_command, check_command]
