"""Small corpus projects for the build, views, card and loader tests.

Articles go in through the real ingestion code (normalised and stored as ``newscorpus add``
would) and annotations through the real annotation writer, so fixtures are what users have.
Entities are given by their text and occurrence, not offsets, so the fixtures read clearly.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from conftest import REPO_ROOT, make_project
from newscorpus.annotations import AnnotationFile, annotation_path, text_sha256, write_annotations
from newscorpus.cache import CACHE_DIR, generation
from newscorpus.corpus import load_article
from newscorpus.ingest import NewArticle, add_articles
from newscorpus.model import Entity, Relation
from newscorpus.project import Project, load_project


@dataclass(frozen=True)
class Ent:
    """An entity by its text: the ``nth`` occurrence of ``text`` in the normalised text."""

    id: str
    text: str
    label: str
    nth: int = 0


def entity(text: str, ent: Ent) -> Entity:
    start = -1
    for _ in range(ent.nth + 1):
        start = text.index(ent.text, start + 1)
    return Entity(ent.id, start, start + len(ent.text), ent.label, ent.text, "gold")


def add_document(
    project: Project,
    doc_id: str,
    raw: str,
    entities: tuple[Ent, ...] | None = (),
    relations: tuple[tuple[str, str, str, str], ...] = (),
) -> None:
    """Store ``raw`` as ``doc_id`` and, unless ``entities`` is None, its annotation file.

    ``relations`` are ``(id, head id, tail id, label)``.
    """
    article = NewArticle(
        raw.encode("utf-8"), where=doc_id, source_file=f"{doc_id}.txt", doc_id=doc_id
    )
    add_articles(project, [article])
    if entities is None:
        return
    text = load_article(project, doc_id).text
    annotations = AnnotationFile(
        doc_id,
        text_sha256(text),
        tuple(entity(text, e) for e in entities),
        tuple(Relation(i, h, t, label, "gold") for i, h, t, label in relations),
    )
    write_annotations(annotation_path(project, doc_id), annotations)


AGREEMENT = (
    "Tech News\n\nIndia and Japan sign a 5 G pact\n\n"
    "India and Japan signed an agreement on 5 G. Foreign Minister S Jaishankar met Motegi in "
    "Tokyo.\nThe India-Japan Strategic Dialog covered the IoT.\n"
)
AGREEMENT_ENTITIES = (
    Ent("T1", "India", "GPE"),
    Ent("T2", "Japan", "GPE"),
    Ent("T3", "5G", "TECHNOLOGY"),
    Ent("T4", "India", "GPE", 1),
    Ent("T5", "Japan", "GPE", 1),
    Ent("T6", "5G", "TECHNOLOGY", 1),
    Ent("T7", "S Jaishankar", "PERSON"),
    Ent("T8", "Motegi", "PERSON"),
    Ent("T9", "Tokyo", "GPE"),
    Ent("T10", "India-Japan Strategic Dialog", "EVENT"),
    Ent("T11", "India", "GPE", 2),
    Ent("T12", "Japan", "GPE", 2),
    Ent("T13", "IoT", "TECHNOLOGY"),
)
AGREEMENT_RELATIONS = (
    ("R1", "T4", "T5", "agreement_with"),
    ("R2", "T4", "T6", "cooperates_on"),
    ("R3", "T7", "T4", "role_in"),
    ("R4", "T10", "T9", "located_in"),
)
HUAWEI = "Huawei Curbs\n\nThe US blocked Huawei.\n\nWashington limits Huawei in the U.S. market.\n"
HUAWEI_ENTITIES = (
    Ent("T1", "US", "GPE"),
    Ent("T2", "Huawei", "ORG", 1),
    Ent("T3", "Washington", "GPE"),
    Ent("T4", "Huawei", "ORG", 2),
)
HUAWEI_RELATIONS = (("R1", "T1", "T2", "restricts"), ("R2", "T3", "T4", "restricts"))
PLAIN = "Weather Today\n\nRain is expected across the region on Friday.\n"


def small_project(root: Path, pyproject_extra: str = "") -> Project:
    """Three documents, one per split by hash: ``agreement`` (train; nested entities, a
    symmetric relation), ``huawei-ban`` (validation) and ``forecast`` (test; no annotations,
    so the relations config has no test rows)."""
    make_project(root)
    if pyproject_extra:
        config = root / "pyproject.toml"
        config.write_text(config.read_text(encoding="utf-8") + pyproject_extra, encoding="utf-8")
    project = load_project(root)
    add_document(project, "agreement", AGREEMENT, AGREEMENT_ENTITIES, AGREEMENT_RELATIONS)
    add_document(project, "huawei-ban", HUAWEI, HUAWEI_ENTITIES, HUAWEI_RELATIONS)
    add_document(project, "forecast", PLAIN, None)
    return project


EMOJI = "Rocket 🚀 Summit\r\n\r\nThe Tokyo 🚀 Summit in Tokyo covered 5G.\r\n"
EMOJI_ENTITIES = (
    Ent("T1", "Tokyo 🚀 Summit", "EVENT"),
    Ent("T2", "Tokyo", "GPE"),
    Ent("T3", "Tokyo", "GPE", 1),
    Ent("T4", "5G", "TECHNOLOGY"),
)
EMOJI_RELATIONS = (("R1", "T1", "T3", "located_in"),)


def formats_project(root: Path) -> Project:
    """:func:`small_project` and ``emoji`` (validation): emoji, CRLF line ends in its raw text,
    and a nested entity in a relation, for the interchange formats' round trips."""
    project = small_project(root)
    add_document(project, "emoji", EMOJI, EMOJI_ENTITIES, EMOJI_RELATIONS)
    return project


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` by relative path, hidden files included."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def load_bench() -> ModuleType:
    """``scripts/bench_build.py`` as a module: the benchmark is a script, not part of the
    package, and tests use its corpus generator."""
    spec = importlib.util.spec_from_file_location(
        "bench_build", REPO_ROOT / "scripts" / "bench_build.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_build"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def cache_kind(project: Project, kind: str) -> Path:
    """The folder of the project's ``kind`` cache entries (``rows``, ``tokens``...) for this
    code's generation."""
    return project.root / CACHE_DIR / generation() / kind


#: What :func:`make_irregular` puts where a file is expected.
IRREGULAR = ("fifo", "folder", "dangling link")


def make_irregular(path: Path, kind: str) -> None:
    """Put a FIFO, a folder or a dangling link (``kind``, one of :data:`IRREGULAR`) at
    ``path``, where a command expects a regular file or none."""
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(path.with_name(path.name + ".nowhere"))
