"""``view``: a static site to look at the corpus, its annotations, statistics and changes."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from newscorpus.cli.options import get_project


@click.command("view")
@click.argument("doc_ids", nargs=-1, metavar="[DOC_ID]...")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Site folder (default: dist/view). It is replaced as a whole on success.",
)
@click.option(
    "--diff",
    "diff_against",
    metavar="OLD_BUILD_OR_GIT_REV",
    default=None,
    help="Also show what changed in the annotations since a build folder or a git revision "
    "(as `newscorpus diff` compares).",
)
@click.option("--serve", is_flag=True, help="Then serve the site on 127.0.0.1 until Ctrl-C.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port for --serve (0: any free port).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Normalise every raw text again instead of taking the edits that add, validate and "
    "build remembered in .newscorpus/cache/ (the site is the same).",
)
@click.pass_context
def view_command(
    ctx: click.Context,
    doc_ids: tuple[str, ...],
    out: Path | None,
    diff_against: str | None,
    serve: bool,
    port: int,
    no_cache: bool,
) -> None:
    """Write a static site of the corpus as it is on disk: an index of documents with their
    split, counts per label and validation status; a page per document with its entities
    highlighted (nested ones too), relations as arcs, issues on their spans and the raw text
    with every normalisation edit; statistics with plots. Invalid annotations are shown, not
    refused. Nothing is loaded from the network; open index.html in any browser.
    """
    from newscorpus.check import document_checks
    from newscorpus.corpus import doc_ids as all_ids
    from newscorpus.progress import progress
    from newscorpus.view.diffpage import read_old
    from newscorpus.view.site import build_site

    project = get_project(ctx)
    old = read_old(project, diff_against) if diff_against is not None else None
    consistency = partial(document_checks, use_cache=not no_cache)
    with progress(lambda: len(doc_ids) or len(all_ids(project)), "viewing") as step:
        result = build_site(
            project,
            out,
            list(doc_ids),
            old=old,
            consistency=consistency,
            on_document=step,
            use_cache=not no_cache,
        )
    shown = project.relative(result.out)
    documents = f"{result.documents} document{'s' if result.documents != 1 else ''}"
    click.echo(
        f"wrote {shown}/index.html: {documents}, {result.errors} errors, {result.warnings} warnings"
    )
    if result.diff is not None:
        t = result.diff.totals()
        click.echo(
            f"changes since {diff_against}: {shown}/diff.html (documents +{t['documents_added']}"
            f" -{t['documents_removed']} ~{t['documents_changed']})"
        )
    if serve:
        from newscorpus.view.serve import HOST, make_server

        server = make_server(result.out, port)
        click.echo(f"serving on http://{HOST}:{server.server_port}/ (Ctrl-C stops)")
        try:
            server.serve_forever()
        finally:
            server.server_close()


COMMANDS: list[click.Command] = [view_command]
