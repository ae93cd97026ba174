"""``init``, ``add`` and ``renormalise``: create a corpus project and put articles into it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from newscorpus.cli import get_project
from newscorpus.errors import UsageError


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Scaffold an empty corpus project in DIRECTORY (created if missing).

    Writes pyproject.toml with a [tool.newscorpus] table, corpus/, annotations/schema.yaml and a
    DATASET_CARD.md to fill in. Refuses to overwrite an existing project.
    """
    from newscorpus.io import write_text_atomic

    config = directory / "pyproject.toml"
    if config.exists():
        raise UsageError(
            "E002",
            f"{config} already exists; init never overwrites a project.",
            fix="Choose an empty folder, or add a [tool.newscorpus] table to that file by hand.",
        )
    templates = resources.files("newscorpus") / "templates"
    name = directory.resolve().name.lower().replace(" ", "-") or "corpus"
    (directory / "corpus").mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        config, (templates / "pyproject.toml").read_text(encoding="utf-8").replace("{name}", name)
    )
    for target, template in (
        ("annotations/schema.yaml", "schema.yaml"),
        ("DATASET_CARD.md", "DATASET_CARD.md"),
    ):
        if not (directory / target).exists():
            write_text_atomic(directory / target, (templates / template).read_text("utf-8"))
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

    project = get_project(ctx)
    added = add_articles(project, read_inputs(paths, doc_id=doc_id, url=url, published=published))
    for meta in added:
        click.echo(f"added {meta.id}  ({meta.source_file})")


@click.command()
@click.pass_context
def renormalise(ctx: click.Context) -> None:
    """Rewrite every corpus/*/text.txt from raw.txt with the current normaliser rules.

    Run it after changing rules; review the diff of text.txt, then re-anchor or fix the
    annotations that `newscorpus validate` reports as stale.
    """
    from newscorpus.corpus import renormalise as renormalise_corpus

    changed = renormalise_corpus(get_project(ctx))
    for doc_id in changed:
        click.echo(f"changed {doc_id}")
    click.echo(f"{len(changed)} document(s) renormalised")


COMMANDS: list[click.Command] = [init, add, renormalise]
