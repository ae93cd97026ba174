"""``manifest.json`` of a build: what was built, from which sources, and every file's sha256.

``newscorpus publish`` checks a build folder against it before uploading, and a reader can tell
which commit of the corpus and which tool versions made a release::

    {"name": ..., "version": ..., "tools": {"newscorpus", "datasets", "pyarrow", "spacy"},
     "source": {"commit": <git HEAD or null>, "dirty": <sources differ from it, or null>},
     "schema_sha256": ..., "normalise_rules": [...], "build": {<[tool.newscorpus.build]>},
     "documents": {split: n}, "rows": {config: {split: n}},
     "files": [{"path", "size", "sha256"}, ...]}       (every file but the manifest, sorted)

No timestamps: the manifest is as reproducible as the rest of the build.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.buildinfo import installed_versions
from newscorpus.io import dumps_json
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import SPLITS
from newscorpus.views import CONFIGS

if TYPE_CHECKING:
    from newscorpus.buildinfo import Stats

MANIFEST = "manifest.json"
#: The project's prose for the card; a source of the build like the corpus.
CARD_PROSE = "DATASET_CARD.md"


def write_manifest(
    folder: Path,
    project: Project,
    schema: Schema,
    settings: dict[str, Any],
    stats: Stats,
    rules: Sequence[str],
) -> None:
    """Write ``folder/manifest.json`` listing every other file of ``folder``."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    manifest = {
        "name": project.name,
        "version": project.version,
        "tools": installed_versions(),
        "source": source_commit(project),
        "schema_sha256": schema.sha256,
        "normalise_rules": list(rules),
        "build": settings,
        "documents": {split: stats.documents[split] for split in SPLITS},
        "rows": {
            config: {split: stats.rows[config][split] for split in SPLITS} for config in CONFIGS
        },
        "files": [
            {"path": path, "size": (folder / path).stat().st_size, "sha256": sha256(folder / path)}
            for path in files
            if path != MANIFEST
        ],
    }
    (folder / MANIFEST).write_text(dumps_json(manifest), encoding="utf-8")


def sha256(path: Path) -> str:
    """sha256 hex digest of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_commit(project: Project) -> dict[str, Any]:
    """The git commit of the project and whether its sources differ from it (else nulls).

    "Dirty" looks only at what the build reads: the corpus, the annotations, pyproject.toml
    and the card prose, untracked files included.
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(project.root), *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    try:
        commit = git("rev-parse", "--verify", "HEAD").strip()
        status = git(
            "status",
            "--porcelain",
            "--",
            project.corpus_dir,
            project.annotations_dir,
            "pyproject.toml",
            CARD_PROSE,
        )
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}
