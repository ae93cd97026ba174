"""``preannotate``, ``schema``, ``export``, ``import``: tools for annotators."""

from __future__ import annotations

from pathlib import Path

import click

from newscorpus.cli import get_project


@click.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--all", "all_docs", is_flag=True, help="Pre-annotate every article in the corpus.")
@click.option(
    "--model",
    metavar="NAME",
    help="Also use the NER of an installed spaCy pipeline (e.g. en_core_web_sm from the "
    "'model' extra). Never downloaded.",
)
@click.option("--dry-run", is_flag=True, help="Report what would be added; write nothing.")
@click.pass_context
def preannotate(
    ctx: click.Context, doc_ids: tuple[str, ...], all_docs: bool, model: str | None, dry_run: bool
) -> None:
    """Propose annotations for DOC_ID... and merge them into annotations/<doc_id>.json.

    Proposals carry "source": "rule" (or "model"); existing annotations are kept as they are and
    nothing is duplicated. Review the proposals by hand, then run `newscorpus validate`.
    """
    from newscorpus.annotate import preannotate as run
    from newscorpus.corpus import doc_ids as stored_ids

    project = get_project(ctx)
    if all_docs == bool(doc_ids):
        raise click.UsageError("give DOC_ID... or --all (not both)")
    targets = stored_ids(project) if all_docs else list(doc_ids)
    for result in run(project, targets, model=model, dry_run=dry_run):
        verb = "would add" if dry_run else "added"
        click.echo(
            f"{project.relative(result.path)}: {verb} {result.added_entities} entities, "
            f"{result.added_relations} relations"
        )


@click.command()
@click.option(
    "--update-guidelines",
    is_flag=True,
    help="Rewrite the generated label index in annotations/GUIDELINES.md.",
)
@click.pass_context
def schema(ctx: click.Context, update_guidelines: bool) -> None:
    """Print the schema's labels and relation signatures as Markdown tables."""
    from newscorpus.docs import label_tables, replace_generated
    from newscorpus.errors import NewscorpusError
    from newscorpus.io import write_text_atomic
    from newscorpus.schema import Schema

    project = get_project(ctx)
    tables = label_tables(Schema.load(project.schema_path))
    if not update_guidelines:
        click.echo(tables, nl=False)
        return
    path = project.annotations / "GUIDELINES.md"
    try:
        updated = replace_generated(path.read_text(encoding="utf-8"), tables)
    except (OSError, ValueError):
        raise NewscorpusError(
            "E124",
            "has no generated label index to update.",
            fix="Add the two schema markers (see `newscorpus.docs`) where the index belongs.",
            where=project.relative(path),
        ) from None
    write_text_atomic(path, updated)
    click.echo(f"updated {project.relative(path)}")


@click.command(name="export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["brat"]))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("doc_ids", nargs=-1)
@click.pass_context
def export_annotations(ctx: click.Context, fmt: str, out: Path, doc_ids: tuple[str, ...]) -> None:
    """Export normalised texts and annotations (all, or DOC_ID...) for an annotation tool.

    brat: OUT gets annotation.conf (generated from the schema), <doc_id>.txt and <doc_id>.ann.
    """
    from newscorpus.brat import export_project

    count = export_project(get_project(ctx), out, list(doc_ids) or None)
    click.echo(f"exported {count} document(s) to {out} ({fmt})")


@click.command(name="import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["brat"]))
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("doc_ids", nargs=-1)
@click.pass_context
def import_annotations(
    ctx: click.Context, fmt: str, folder: Path, doc_ids: tuple[str, ...]
) -> None:
    """Import curated annotations (all .ann files in FOLDER, or DOC_ID...) from a tool.

    Each document is validated before any file is written; lines the corpus cannot represent
    are refused with their line number, never dropped.
    """
    from newscorpus.brat import import_project

    project = get_project(ctx)
    imported = import_project(project, folder, list(doc_ids) or None)
    for doc_id in imported:
        click.echo(f"imported {project.relative(project.annotations / doc_id)}.json ({fmt})")


COMMANDS: list[click.Command] = [preannotate, schema, export_annotations, import_annotations]
