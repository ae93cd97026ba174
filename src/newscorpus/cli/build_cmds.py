"""``build`` and ``diff``: the versioned Parquet dataset folder, and what changed between two."""

from __future__ import annotations

import time
from pathlib import Path

import click

from newscorpus.cli.options import format_option, get_project, jobs_option
from newscorpus.errors import NewscorpusError
from newscorpus.hubenv import check_endpoint


@click.command("build")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: dist/<project name>). It is replaced as a whole on success.",
)
@jobs_option("Worker processes (default: every core). --jobs 1 builds in this process.")
@click.option(
    "--engine",
    type=click.Choice(["process", "dask"]),
    default="process",
    show_default=True,
    help="process: a pool on this machine; dask: a Dask cluster (needs newscorpus[dask]).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Dask scheduler to use with --engine dask (default: start a local cluster).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write .newscorpus/cache/ (the output is the same).",
)
@click.pass_context
def build_command(
    ctx: click.Context,
    out: Path | None,
    jobs: int | None,
    engine: str,
    scheduler: str | None,
    no_cache: bool,
) -> None:
    """Build the dataset: Parquet configs, dataset card, Croissant and manifest.

    Refuses to run while `newscorpus validate` reports errors. Writes documents, sentences and
    relations configs under data/, README.md (the card), croissant.json and manifest.json into
    a temporary folder, then swaps it into place: a failed build leaves the old output intact.
    Two builds of the same sources are byte-identical, whatever the engine, the number of
    jobs or the cache. Unchanged documents come from .newscorpus/cache/. Options:
    [tool.newscorpus.build].
    """
    from newscorpus.corpus import doc_ids
    from newscorpus.engines import EngineSettings
    from newscorpus.package import build
    from newscorpus.progress import progress
    from newscorpus.splits import SPLITS

    check_endpoint()  # datasets reads it on import
    project = get_project(ctx)
    started = time.perf_counter()
    settings = EngineSettings("dask" if engine == "dask" else "process", jobs or 0, scheduler)
    with progress(lambda: len(doc_ids(project)), "building") as step:
        result = build(project, out, on_document=step, engine=settings, use_cache=not no_cache)
    seconds = time.perf_counter() - started
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    stats = result.stats
    per_split = ", ".join(f"{split} {stats.documents[split]}" for split in SPLITS)
    click.echo(
        f"built {_shown(result.out)} (version {project.version}) in {seconds:.1f}s: "
        f"{_count(stats.documents.total(), 'document')} ({per_split}), "
        f"{_count(stats.rows['sentences'].total(), 'sentence')}, "
        f"{_count(stats.rows['relations'].total(), 'relation pair')}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when inside it."""
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@click.command("diff")
@click.argument("old", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("new", type=click.Path(file_okay=False, exists=True, path_type=Path))
@format_option("text", "json", help="json: the same report as one JSON object.")
def diff_command(old: Path, new: Path, fmt: str) -> None:
    """Compare two builds: documents, entities and relations added, removed or relabelled.

    Use it to write the dataset section of CHANGELOG.md before a release. Documents whose text
    changed are compared after re-anchoring the old annotations onto the new text.
    """
    import json

    check_endpoint()  # datasets reads it on import
    from newscorpus.builddiff import diff_builds, render_text, to_json

    result = diff_builds(old, new)
    if fmt == "json":
        click.echo(json.dumps(to_json(result), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(result), nl=False)


@click.group("cache")
def cache_group() -> None:
    """The per-document build and validation cache in .newscorpus/cache/ (git-ignored).

    Entries are keyed by the hash of everything a result depends on, so the cache never needs
    clearing for correctness; clear it to reclaim space.
    """


@cache_group.command("clear")
@click.pass_context
def cache_clear_command(ctx: click.Context) -> None:
    """Delete .newscorpus/cache/; the next build and validate compute everything again."""
    from newscorpus.cache import CACHE_DIR, clear

    project = get_project(ctx)
    try:
        size = clear(project)
    except OSError as err:
        name = Path(err.filename).name if err.filename else CACHE_DIR
        raise NewscorpusError(
            "E012",
            f"cannot clear {CACHE_DIR}/ ({name}: {err.strerror or err}); what could not be "
            "deleted is left, in it or in .newscorpus/cache-cleared-* (the next clear deletes "
            "those).",
            fix="Fix the permissions of .newscorpus/ (it holds only what newscorpus puts there), "
            "then run `newscorpus cache clear` again.",
        ) from None
    click.echo(f"cleared {CACHE_DIR}/ ({size / 1e6:.1f} MB)")


COMMANDS: list[click.Command] = [build_command, diff_command, cache_group]
