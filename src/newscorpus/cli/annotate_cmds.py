"""``preannotate``, ``schema``, ``export``, ``import``: tools for annotators."""

from __future__ import annotations

from pathlib import Path

import click

from newscorpus.cli.options import get_project


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
    from newscorpus.schema import Schema
    from newscorpus.txn import transaction

    project = get_project(ctx)
    tables = label_tables(Schema.load(project.schema_path))
    if not update_guidelines:
        click.echo(tables, nl=False)
        return
    path = project.annotations / "GUIDELINES.md"
    with transaction(project, "schema --update-guidelines") as txn:
        try:
            updated = replace_generated(path.read_text(encoding="utf-8"), tables)
        except (OSError, ValueError):
            raise NewscorpusError(
                "E124",
                "has no generated label index to update.",
                fix="Add the two schema markers (see `newscorpus.docs`) where the index belongs.",
                where=project.relative(path),
            ) from None
        txn.write_text(path, updated)
    click.echo(f"updated {project.relative(path)}")


class _FormatsCommand(click.Command):
    """A command whose help ends with the registered formats, one line each."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from newscorpus import formats

        with formatter.section("Formats"):
            formatter.write_dl([(name, formats.get(name).summary) for name in formats.names()])


def _format_choice() -> click.Choice[str]:
    from newscorpus.formats import names

    return click.Choice(names())


@click.command(name="export", cls=_FormatsCommand)
@click.argument("fmt", metavar="FORMAT", type=_format_choice())
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.argument("doc_ids", nargs=-1)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Tokenise every document again (conll, spacy) instead of taking the tokens of "
    "unchanged documents from the last build's cache; the files are the same either way.",
)
@click.pass_context
def export_annotations(
    ctx: click.Context, fmt: str, out: Path, doc_ids: tuple[str, ...], no_cache: bool
) -> None:
    """Export normalised texts and annotations (all, or DOC_ID...) for another tool.

    Refuses while the annotations, or the metadata exported with them, do not validate;
    whatever FORMAT cannot hold is counted. The token formats are quickest after a build:
    they reuse its tokens.
    """
    from newscorpus.formats import get
    from newscorpus.lock import apply_lock

    project = get_project(ctx)
    with apply_lock(project, exclusive=False):
        report = get(fmt).export(project, out, list(doc_ids) or None, use_cache=not no_cache)
    for what, count in sorted(report.losses.items()):
        click.echo(f"not representable in {fmt}: {count} {what}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    click.echo(f"exported {report.documents} document(s) to {out} ({fmt})")


@click.command(name="import", cls=_FormatsCommand)
@click.argument("fmt", metavar="FORMAT", type=_format_choice())
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.argument("doc_ids", nargs=-1)
@click.option(
    "--doc",
    "docs",
    metavar="DOC_ID",
    multiple=True,
    help="The same as a DOC_ID argument (repeatable). A CoNLL file's documents are paired with "
    "them in order.",
)
@click.option(
    "--annotator",
    metavar="NAME",
    help="Write into annotations/annotators/NAME/ (an annotator's own set) instead of gold. "
    "For Label Studio, {user} in NAME stands for each annotation's user (e.g. --annotator "
    "'{user}').",
)
@click.option(
    "--annotator-map",
    "annotator_map",
    metavar="USER=NAME",
    multiple=True,
    help="With --annotator: put the annotations of the tool's USER (Label Studio user id or "
    "e-mail) into NAME's set. Repeatable.",
)
@click.option(
    "--replace", is_flag=True, help="Let the import change or remove existing gold annotations."
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.pass_context
def import_annotations(
    ctx: click.Context,
    fmt: str,
    path: Path,
    doc_ids: tuple[str, ...],
    docs: tuple[str, ...],
    annotator: str | None,
    annotator_map: tuple[str, ...],
    replace: bool,
    dry_run: bool,
) -> None:
    """Import annotations from another tool's file or folder PATH (all documents, or DOC_ID...).

    Everything is parsed, matched to corpus documents and validated before any file is written;
    existing gold is only changed with --replace. Nothing is dropped silently.
    """
    from newscorpus.annotators import check_annotator_name
    from newscorpus.formats import ImportOptions, get, import_path
    from newscorpus.formats.common import describe_plan
    from newscorpus.progress import progress

    if doc_ids and docs:
        # Click cannot say how the two interleave, and a CoNLL file pairs them in order.
        raise click.UsageError("name the documents as DOC_ID arguments or with --doc, not both")
    format_ = get(fmt)
    mapping = _annotator_map(annotator_map, annotator)
    if annotator is not None:
        if "{user}" in annotator and not getattr(format_, "users", False):
            raise click.UsageError(f"{fmt} files do not name their users: give --annotator NAME")
        check_annotator_name(annotator.replace("{user}", "user"), "--annotator")
    project = get_project(ctx)
    with progress(None, "importing") as step:
        options = ImportOptions(
            annotator=annotator, doc_ids=doc_ids + docs, annotator_map=mapping, on_document=step
        )
        plan, written = import_path(project, fmt, path, options, replace=replace, dry_run=dry_run)
    for line in describe_plan(plan):
        click.echo(line)
    if dry_run:
        click.echo(f"dry run: {len(written)} annotation file(s) would be written; nothing was")
    else:
        click.echo(
            f"imported {len(plan.documents)} document(s) ({fmt}): "
            f"{len(written)} annotation file(s) written"
        )


def _annotator_map(pairs: tuple[str, ...], annotator: str | None) -> dict[str, str]:
    """``--annotator-map USER=NAME`` options as a dict, each NAME checked to be a set's name
    and each USER mapped once."""
    from newscorpus.annotators import check_annotator_name

    if pairs and annotator is None:
        raise click.UsageError("--annotator-map needs --annotator (the set of unmapped users)")
    mapping: dict[str, str] = {}
    for pair in pairs:
        user, sep, name = pair.partition("=")
        if not sep or not user or not name:
            raise click.UsageError(f"--annotator-map takes USER=NAME, not {pair!r}")
        check_annotator_name(name, "--annotator-map")
        if mapping.get(user, name) != name:
            raise click.UsageError(
                f"--annotator-map maps user {user!r} twice ({mapping[user]}, {name}); map each "
                "user once"
            )
        mapping[user] = name
    return mapping


COMMANDS: list[click.Command] = [preannotate, schema, export_annotations, import_annotations]
