"""``publish``: release the built dataset to the Hugging Face Hub as one commit plus a tag."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from newscorpus.cli.options import format_option, get_project
from newscorpus.hubenv import check_endpoint


@click.command()
@click.option(
    "--repo-id",
    required=True,
    metavar="OWNER/NAME",
    help="Dataset repo on the Hub (created if missing).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Build folder (default: dist/<project name>).",
)
@click.option("--private", is_flag=True, help="Create the repo private (ignored if it exists).")
@click.option(
    "--no-build",
    is_flag=True,
    help="Publish the existing build as is, after checking it against its manifest and version.",
)
@click.option("--dry-run", is_flag=True, help="Show what would be published; send nothing.")
@format_option("text", "json", help="json: the same facts as one JSON object.")
@click.pass_context
def publish(
    ctx: click.Context,
    repo_id: str,
    out: Path | None,
    private: bool,
    no_build: bool,
    dry_run: bool,
    fmt: str,
) -> None:
    """Validate, build and publish the dataset: one Hub commit, then tag v<version>.

    The endpoint is HF_ENDPOINT (default https://huggingface.co); the token is HF_TOKEN or the
    `hf auth login` token. Re-publishing an unchanged release does nothing; a version that is
    already published with other files is refused: bump the version instead.
    """
    check_endpoint()  # huggingface_hub reads it on import
    from huggingface_hub import constants

    from newscorpus.package import build, default_out
    from newscorpus.publish import Target, check_repo_id, read_release

    project = get_project(ctx)
    target = Target(check_repo_id(repo_id), constants.ENDPOINT.rstrip("/"), private)
    folder = out if out is not None else default_out(project)
    if not no_build:
        for warning in build(project, folder).warnings:
            click.echo(f"warning: {warning}", err=True)
    else:
        from newscorpus.output import recover_output
        from newscorpus.txn import recovered_messages, writing

        # A build killed during its swap is put right before its files are read.
        with writing(project, "publish"):
            recovered_messages.extend(recover_output(folder.resolve()))
    release = read_release(project, folder)
    if dry_run:
        from newscorpus.publish import load_line

        plan: dict[str, Any] = {
            "status": "dry-run",
            "repo_id": target.repo_id,
            "endpoint": target.endpoint,
            "private": target.private,
            "tag": release.tag,
            "files": [{"path": f.path, "size": f.size} for f in release.files],
            "load": load_line(target.repo_id, release),
        }
        click.echo(json.dumps(plan, indent=2) if fmt == "json" else _dry_run_text(plan))
        return

    from newscorpus.publish import publish as publish_release

    with _quiet_client():
        result = publish_release(release, target)
    report = {
        "status": result.status,
        "repo_id": result.repo_id,
        "endpoint": target.endpoint,
        "tag": result.tag,
        "commit": result.commit_oid,
        "commit_url": result.commit_url,
        "files": result.files,
        "deleted": list(result.deleted),
        "load": result.load_line,
    }
    click.echo(json.dumps(report, indent=2) if fmt == "json" else _result_text(report))


@contextmanager
def _quiet_client() -> Iterator[None]:
    """Progress bars only on a terminal; no client notices that repeat what we report."""
    from huggingface_hub.utils.tqdm import disable_progress_bars

    hf_logger = logging.getLogger("huggingface_hub")
    level = hf_logger.level
    hf_logger.setLevel(logging.ERROR)
    try:
        with disable_progress_bars() if not sys.stderr.isatty() else nullcontext():
            yield
    finally:
        hf_logger.setLevel(level)


def _dry_run_text(plan: dict[str, Any]) -> str:
    files = plan["files"]
    width = max((len(str(f["size"])) for f in files), default=1)
    visibility = "private" if plan["private"] else "public"
    lines = [
        "dry run: nothing was sent to the Hub",
        f"repo:     {plan['repo_id']} (dataset; created {visibility} if missing)",
        f"endpoint: {plan['endpoint']}",
        f"tag:      {plan['tag']}",
        f"files:    {len(files)}, {sum(f['size'] for f in files)} bytes, in one commit",
        *(f"  {f['size']:>{width}}  {f['path']}" for f in files),
        f"load:     {plan['load']}",
    ]
    return "\n".join(lines)


def _result_text(report: dict[str, Any]) -> str:
    commit = report["commit"][:12]
    if report["status"] == "already-published":
        head = (
            f"already published: tag {report['tag']} of {report['repo_id']} points at commit "
            f"{commit} with the same files; nothing to do"
        )
    elif report["status"] == "unchanged":
        head = (
            f"no changes since commit {commit} of {report['repo_id']}: nothing committed; "
            f"tagged it {report['tag']}"
        )
    else:
        removed = f", {len(report['deleted'])} removed" if report["deleted"] else ""
        head = (
            f"published {report['tag']} to {report['repo_id']}: commit {commit} "
            f"({report['files']} files{removed})"
        )
    lines = [
        head,
        f"commit:   {report['commit_url']}",
        f"tag:      {report['tag']}",
        f"load:     {report['load']}",
    ]
    return "\n".join(lines)


COMMANDS: list[click.Command] = [publish]
