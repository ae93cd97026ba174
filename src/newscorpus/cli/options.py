"""What the subcommands share: the project an invocation works on, and the options several
offer. Below every subcommand module and :mod:`newscorpus.cli` itself, which only registers
them, so the command modules never import the package that imports them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from newscorpus.project import Project, load_project

FC = TypeVar("FC", bound=Callable[..., Any])


def format_option(*choices: str, help: str) -> Callable[[FC], FC]:
    """The ``--format`` option every command that another program may read offers."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=choices[0],
        show_default=True,
        help=help,
    )


def jobs_option(help: str) -> Callable[[FC], FC]:
    """The ``--jobs`` option of the commands that spread documents over worker processes."""
    return click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help=help)


def get_project(ctx: click.Context) -> Project:
    """The project this invocation works on (loaded on first use, so --help stays fast)."""
    from newscorpus.txn import settle

    obj = ctx.find_root().obj
    if "project" not in obj:
        obj["project"] = load_project(obj["root"])
        settle(obj["project"])
    project: Project = obj["project"]
    return project
