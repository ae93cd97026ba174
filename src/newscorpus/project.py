"""Find the corpus project a command works on and read its settings.

A corpus project is a folder whose ``pyproject.toml`` has a ``[tool.newscorpus]`` table. Commands
walk up from the current directory to the first such file (as git does with ``.git``), so the
library serves any corpus, not only this repository's; ``--root`` overrides the search.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from newscorpus.errors import NewscorpusError, UsageError

CONFIG_FILE = "pyproject.toml"
#: Largest raw article ``add`` accepts by default (5 MB): far above any news article, and low
#: enough that one input cannot exhaust memory. ``max_article_bytes`` in the table changes it.
DEFAULT_MAX_ARTICLE_BYTES = 5_000_000
SCHEMA_FILE = "schema.yaml"


@dataclass(frozen=True)
class Project:
    """A corpus project on disk: its root folder and its ``[tool.newscorpus]`` settings."""

    root: Path
    name: str
    version: str
    pretty_name: str = ""
    language: str = "en"
    license: str = "unknown"
    corpus_dir: str = "corpus"
    annotations_dir: str = "annotations"
    #: Rule names to apply, in order; ``None`` means the normaliser's default rules.
    normalise_rules: tuple[str, ...] | None = None
    #: Document ids pinned to a split, overriding the hash-based assignment.
    split_overrides: dict[str, str] = field(default_factory=dict)
    #: Articles larger than this (raw bytes) are refused by ``add``.
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES
    #: The whole ``[tool.newscorpus]`` table, for settings owned by one stage (build, publish).
    settings: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def corpus(self) -> Path:
        """Folder of stored articles, one subfolder per document id."""
        return self.root / self.corpus_dir

    @cached_property
    def annotations(self) -> Path:
        """Folder of annotation files, the schema, the guidelines and ruler patterns."""
        return self.root / self.annotations_dir

    @property
    def schema_path(self) -> Path:
        return self.annotations / SCHEMA_FILE

    def relative(self, path: Path) -> str:
        """``path`` relative to the project root when inside it, for messages.

        Never raises: a symlink loop cannot be resolved, so the path is then taken as written.
        """
        # Paths built from the root are relative to it as written; resolving them (a system
        # call per component) would cost more than the check they are reported by.
        if path.is_absolute() and self.root.is_absolute() and ".." not in path.parts:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):
            resolved = path.absolute()
        try:
            return resolved.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` whose pyproject.toml has ``[tool.newscorpus]``.

    Raises:
        UsageError: E001 when no such folder exists.
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file() and "newscorpus" in _read_toml(candidate).get("tool", {}):
            return folder
    raise UsageError(
        "E001",
        f"no corpus project found at or above {here} "
        "(no pyproject.toml with a [tool.newscorpus] table).",
        fix="Run the command inside a corpus project, pass --root DIR, "
        "or create one with `newscorpus init DIR`.",
    )


def load_project(root: Path | None = None) -> Project:
    """Load the project at ``root`` (or found from the current directory).

    Raises:
        UsageError: E001 when there is no project.
        NewscorpusError: E002 when the ``[tool.newscorpus]`` table is invalid.
    """
    if root is None:
        root = find_root()
    else:
        root = root.resolve()
        config_path = root / CONFIG_FILE
        if not config_path.is_file() or "newscorpus" not in _read_toml(config_path).get("tool", {}):
            raise UsageError(
                "E001",
                f"{root} is not a corpus project "
                f"(no {CONFIG_FILE} with a [tool.newscorpus] table).",
                fix="Pass the folder that holds the project's pyproject.toml, "
                "or create one with `newscorpus init DIR`.",
            )
    table = _read_toml(root / CONFIG_FILE)["tool"]["newscorpus"]
    where = f"{CONFIG_FILE} [tool.newscorpus]"
    name = _required_str(table, "name", where)
    version = _required_str(table, "version", where)
    rules = table.get("normalise", {}).get("rules")
    if rules is not None and (
        not isinstance(rules, list) or not all(isinstance(r, str) for r in rules)
    ):
        raise NewscorpusError(
            "E002",
            "normalise.rules must be a list of rule names.",
            fix='Write e.g. rules = ["unicode_nfc", "generation_names"], '
            "or remove the key for the default rules.",
            where=where,
        )
    splits = table.get("splits", {})
    if not isinstance(splits, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in splits.items()
    ):
        raise NewscorpusError(
            "E002",
            "splits must map document ids to split names.",
            fix='Write e.g. [tool.newscorpus.splits] my-doc-id = "test".',
            where=where,
        )
    max_bytes = table.get("max_article_bytes", DEFAULT_MAX_ARTICLE_BYTES)
    if type(max_bytes) is not int or max_bytes < 1:
        raise NewscorpusError(
            "E002",
            f"max_article_bytes is {max_bytes!r}; it must be a positive integer (bytes).",
            fix=f"Write e.g. max_article_bytes = {DEFAULT_MAX_ARTICLE_BYTES}, or remove the key.",
            where=where,
        )
    return Project(
        root=root,
        name=name,
        version=version,
        pretty_name=str(table.get("pretty_name", name)),
        language=str(table.get("language", "en")),
        license=str(table.get("license", "unknown")),
        corpus_dir=str(table.get("corpus", "corpus")),
        annotations_dir=str(table.get("annotations", "annotations")),
        normalise_rules=tuple(rules) if rules is not None else None,
        split_overrides=dict(splits),
        max_article_bytes=max_bytes,
        settings=dict(table),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise NewscorpusError(
            "E002",
            f"cannot parse {path.name}: {err}.",
            fix="Fix the TOML syntax.",
            where=str(path),
        ) from None


def _required_str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise NewscorpusError(
            "E002",
            f"`{key}` is missing or not a string.",
            fix=f'Add {key} = "..." to the table.',
            where=where,
        )
    return value
