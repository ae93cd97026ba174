"""``init``, ``add``, ``renormalise``, ``reanchor``: create a corpus project, fill it, revise it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from newscorpus.cli.options import get_project

if TYPE_CHECKING:
    from newscorpus.revise import Revision


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Scaffold an empty corpus project in DIRECTORY (created if missing).

    Writes pyproject.toml with a [tool.newscorpus] table, corpus/, annotations/ (schema.yaml,
    GUIDELINES.md with the generated label index, an empty patterns.jsonl for the pre-annotation
    ruler) and a DATASET_CARD.md to fill in. Refuses to overwrite an existing project.
    """
    from newscorpus.scaffold import ScaffoldInterrupted, init_project

    try:
        name = init_project(directory)
    except ScaffoldInterrupted as stopped:
        click.echo(
            f"interrupted: {directory} has part of the scaffold ({', '.join(stopped.made)}) but "
            f"no pyproject.toml, so it is no project yet; run `newscorpus init {directory}` "
            "again to finish it.",
            err=True,
        )
        click.get_current_context().exit(130)
    click.echo(f"created corpus project {name} in {directory}")
    click.echo("next: newscorpus add ARTICLE.txt, then annotate and run newscorpus validate")


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--id", "doc_id", help="Document id (a slug) for a single article.")
@click.option("--url", help="Source URL of a single article.")
@click.option("--published", help="Publication date of a single article (ISO 8601).")
@click.pass_context
def add(
    ctx: click.Context,
    paths: tuple[Path, ...],
    doc_id: str | None,
    url: str | None,
    published: str | None,
) -> None:
    """Ingest articles: text files, folders of .txt files, or JSONL files.

    Each article is stored verbatim with its metadata and normalised text. A JSONL line is
    {"text": ..., "id"?, "url"?, "published"?, "title"?, "license"?, "source_file"?}. Duplicates
    (same raw bytes) and unsafe ids are refused; on any error nothing is added.
    """
    from newscorpus.ingest import add_articles, read_inputs
    from newscorpus.progress import progress, stepped

    project = get_project(ctx)
    articles = read_inputs(
        paths, doc_id=doc_id, url=url, published=published, limit=project.max_article_bytes
    )
    with progress(len(articles), "adding") as step:
        added = add_articles(project, stepped(articles, step))
    for meta in added:
        click.echo(f"added {meta.id}  ({meta.source_file})")


def _report(revisions: list[Revision], verbose: bool) -> None:
    from newscorpus.reanchor import Status, describe

    for revision in revisions:
        whose = revision.doc_id + (f" [{revision.annotator}]" if revision.annotator else "")
        if revision.result is None:
            click.echo(f"{whose}: annotations not moved ({revision.note})")
            continue
        counts = ", ".join(f"{n} {status}" for status, n in revision.result.counts().items())
        click.echo(f"{whose}: annotations {counts}")
        for outcome in revision.result.outcomes:
            if outcome.status in (Status.CHANGED, Status.LOST) or (
                verbose and outcome.status is Status.MOVED
            ):
                click.echo(f"  {describe(outcome)}")


_DROP_LOST = click.option(
    "--drop-lost",
    is_flag=True,
    help="Drop annotations whose text was removed (listed in the output) instead of refusing.",
)
_VERBOSE = click.option("-v", "--verbose", is_flag=True, help="Also list moved annotations.")


@click.command()
@_DROP_LOST
@click.option(
    "--accept-raw-edits",
    is_flag=True,
    help="Accept raw.txt files edited since they were added (a deliberate correction) and "
    "record their new sha256.",
)
@_VERBOSE
@click.pass_context
def renormalise(ctx: click.Context, drop_lost: bool, accept_raw_edits: bool, verbose: bool) -> None:
    """Rewrite corpus/*/text.txt from raw.txt with the current rules, moving annotations along.

    Each annotation is reported as unchanged, moved, changed (its text was edited: review it)
    or lost (its text was removed). Nothing is written if an annotation would be lost, unless
    --drop-lost is given. Review the diff of text.txt and the annotations before committing.
    """
    from newscorpus.revise import renormalise as run

    revisions = run(get_project(ctx), drop_lost=drop_lost, accept_raw_edits=accept_raw_edits)
    _report(revisions, verbose)
    click.echo(f"{len({r.doc_id for r in revisions})} document(s) renormalised")


@click.command()
@click.argument("doc_ids", nargs=-1, required=True)
@click.option(
    "--old-text",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The text the annotations were made on (default: found in git history by sha256).",
)
@_DROP_LOST
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@_VERBOSE
@click.pass_context
def reanchor(
    ctx: click.Context,
    doc_ids: tuple[str, ...],
    old_text: Path | None,
    drop_lost: bool,
    dry_run: bool,
    verbose: bool,
) -> None:
    """Move stale annotations of DOC_ID... onto the current text of their articles."""
    from newscorpus.revise import reanchor_documents
    from newscorpus.sources import read_text_file

    if old_text is not None and len(doc_ids) != 1:
        raise click.UsageError("--old-text needs exactly one DOC_ID")
    revisions = reanchor_documents(
        get_project(ctx),
        doc_ids,
        old_text=read_text_file(old_text) if old_text is not None else None,
        drop_lost=drop_lost,
        dry_run=dry_run,
    )
    _report(revisions, verbose)


COMMANDS: list[click.Command] = [init, add, renormalise, reanchor]
