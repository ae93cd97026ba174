"""``newscorpus validate``: check the corpus and its annotations, for people and for CI."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from newscorpus.cli.options import format_option, get_project, jobs_option
from newscorpus.errors import Issue, UsageError
from newscorpus.project import Project


@click.command("validate")
@click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PATH]..."
)
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 1), as CI should.")
@click.option(
    "--annotator",
    metavar="NAME",
    default=None,
    help="Check only this annotator's set (annotations/annotators/NAME/) and its articles.",
)
@format_option(
    "text",
    "json",
    "github",
    help="text: one line per issue and a summary; json: one JSON document; "
    "github: workflow commands that annotate a pull request.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Check every article afresh instead of taking unchanged ones from .newscorpus/cache/.",
)
@jobs_option(
    "Worker processes (default: every core, for 250 articles or more). --jobs 1 checks in "
    "this process."
)
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[Path, ...],
    strict: bool,
    annotator: str | None,
    fmt: str,
    no_cache: bool,
    jobs: int | None,
) -> None:
    """Check the schema, the corpus and every annotation file, and report every problem.

    Every annotation file: gold, each annotator's set and the review files of adjudicate.
    With PATHs, check only those annotation files (or folders of them) and their articles.
    Exit status: 0 no problems, 1 errors (or warnings with --strict), 2 usage error.
    Never changes a project file; unchanged articles' results come from (and new ones go to)
    the cache in .newscorpus/cache/, which gives the same report.
    """
    from newscorpus.corpus import doc_ids
    from newscorpus.engines import EngineSettings
    from newscorpus.lock import apply_lock
    from newscorpus.progress import progress
    from newscorpus.validate import validate_project

    project = get_project(ctx)
    if annotator is not None and paths:
        raise UsageError(
            "E145",
            "pass either PATHs or --annotator, not both.",
            fix="Drop the PATHs to check the whole set, or drop --annotator.",
        )
    with (
        apply_lock(project, exclusive=False),
        progress(lambda: len(doc_ids(project)), "validating") as step,
    ):
        report = validate_project(
            project,
            list(paths) or None,
            annotator=annotator,
            use_cache=not no_cache,
            on_document=step,
            engine=EngineSettings(jobs=jobs) if jobs is not None else None,
        )

    def document() -> dict[str, Any]:
        return {
            "ok": report.ok(strict),
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "issues": [dataclasses.asdict(i) for i in report.issues],
        }

    echo_report(ctx, project, fmt, document, report.issues, report.summary(), report.ok(strict))


def echo_report(
    ctx: click.Context,
    project: Project,
    fmt: str,
    document: Callable[[], dict[str, Any]],
    issues: Sequence[Issue],
    summary: str,
    ok: bool,
) -> None:
    """Print a report (``document()`` as JSON, or a line per issue in text or GitHub workflow
    form, then ``summary``) and exit 0 when ``ok``, else 1: what validate and check share.
    The report is written at once: a corpus can have tens of thousands of issues."""
    if fmt == "json":
        click.echo(json.dumps(document(), ensure_ascii=False, indent=2))
    else:
        prefix = workspace_prefix(project.root)
        lines = [
            github_command(item, prefix) if fmt == "github" else item.render() for item in issues
        ]
        click.echo("\n".join([*lines, summary]))
    ctx.exit(0 if ok else 1)


def workspace_prefix(root: Path) -> str:
    """The project's folder within the GitHub workspace (``""`` at its top), so that issue paths,
    relative to the project, name files as GitHub does: relative to the repository."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return ""
    try:
        inside = root.resolve().relative_to(Path(workspace).resolve()).as_posix()
    except ValueError:
        return ""
    return "" if inside == "." else f"{inside}/"


def github_command(item: Issue, prefix: str) -> str:
    """A GitHub Actions workflow command that shows ``item`` on the file in a pull request."""
    path = item.path if Path(item.path).is_absolute() else prefix + item.path
    props = [f"file={_escape_property(path)}"]
    if item.line is not None:
        props.append(f"line={item.line}")
        if item.column is not None:
            props.append(f"col={item.column}")
    props.append(f"title={_escape_property(item.code)}")
    text = f"{item.annotation_id} {item.message}" if item.annotation_id else item.message
    if item.fix:
        text = f"{text} {item.fix}"
    return f"::{item.severity} {','.join(props)}::{_escape_data(text)}"


def _escape_data(text: str) -> str:
    """Escape a workflow command's message as the runner expects (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """Escape a workflow command property value (also ``:`` and ``,``)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


COMMANDS: list[click.Command] = [validate_command]
