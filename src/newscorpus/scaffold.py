"""A new corpus project: ``pyproject.toml`` with a ``[tool.newscorpus]`` table, ``corpus/``,
``annotations/`` (schema, guidelines with the generated label index, the pre-annotation
patterns) and a dataset card to fill in, from the templates shipped with the package.

``pyproject.toml`` is what makes a folder a project, so it is written last: a scaffold stopped
part way (Ctrl-C, a kill) is no project, and :func:`init_project` run again finishes it. Files
already there are the maintainer's (a guidelines text of their own, a card) and are kept.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from newscorpus.docs import label_tables, replace_generated
from newscorpus.errors import NewscorpusError, UsageError
from newscorpus.io import remove_abandoned, write_text_atomic
from newscorpus.schema import Schema

#: Each file a new project gets, and its template.
FILES = (
    ("annotations/schema.yaml", "schema.yaml"),
    ("annotations/GUIDELINES.md", "GUIDELINES.md"),
    ("annotations/patterns.jsonl", "patterns.jsonl"),
    ("DATASET_CARD.md", "DATASET_CARD.md"),
    (".gitattributes", "gitattributes"),
    (".gitignore", "gitignore"),
)
CONFIG = "pyproject.toml"


def _folders(directory: Path) -> dict[Path, set[str]]:
    """The scaffold's files by the folder they go in."""
    folders: dict[Path, set[str]] = {directory: {CONFIG}}
    for target, _ in FILES:
        path = directory / target
        folders.setdefault(path.parent, set()).add(path.name)
    return folders


class ScaffoldInterrupted(KeyboardInterrupt):
    """An interrupt after :func:`init_project` wrote some of the scaffold (``made``, paths
    relative to the folder) but not ``pyproject.toml``."""

    def __init__(self, made: list[str]) -> None:
        super().__init__()
        self.made = made


def init_project(directory: Path) -> str:
    """Scaffold a corpus project in ``directory`` (made if missing); its name (the folder's,
    lower case, spaces made hyphens).

    Raises:
        UsageError: E002 when ``directory`` holds a ``pyproject.toml`` already.
        NewscorpusError: E003 for a schema already there that does not load; E004 when the
            folder cannot be written.
        ScaffoldInterrupted: an interrupt once some files were written.
    """
    config = directory / CONFIG
    if config.exists():
        raise UsageError(
            "E002",
            f"{config} already exists; init never overwrites a project.",
            fix="Choose an empty folder, or add a [tool.newscorpus] table to that file by hand.",
        )
    templates = resources.files("newscorpus") / "templates"
    name = directory.resolve().name.lower().replace(" ", "-") or "corpus"
    guidelines = directory / "annotations" / "GUIDELINES.md"
    made: list[str] = []
    # What an init killed part way left: temp files no process holds (not covered by the
    # project's .gitignore, so `git add .` would take them).
    for folder, names in _folders(directory).items():
        remove_abandoned(folder, names)
    try:
        if not (directory / "corpus").is_dir():
            (directory / "corpus").mkdir(parents=True, exist_ok=True)
            made.append("corpus/")
        for target, template in FILES:
            path = directory / target
            if path.exists():
                continue
            text = (templates / template).read_text("utf-8")
            if path == guidelines:
                schema = Schema.load(directory / "annotations" / "schema.yaml")
                text = replace_generated(text, label_tables(schema))
            write_text_atomic(path, text)
            made.append(target)
        text = (templates / CONFIG).read_text(encoding="utf-8").replace("{name}", name)
        write_text_atomic(config, text)
    except KeyboardInterrupt:
        if made:
            raise ScaffoldInterrupted(made) from None
        raise
    except OSError as err:
        raise NewscorpusError(
            "E004",
            f"cannot write {err.filename or directory}: {err.strerror or err}.",
            fix="Choose a folder you can write to (not inside a file), or free some space.",
            where=str(directory),
        ) from None
    return name
