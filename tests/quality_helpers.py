"""Small corpus projects with gold and annotator sets, for agree, adjudicate and check tests."""

from __future__ import annotations

from pathlib import Path

from build_helpers import Ent, add_document, entity
from conftest import make_project
from newscorpus.annotations import AnnotationFile, annotation_path, text_sha256, write_annotations
from newscorpus.corpus import load_article
from newscorpus.model import Relation
from newscorpus.project import Project, load_project

Rel = tuple[str, str, str, str]

BAN = "Huawei Curbs\n\nThe US blocked Huawei. Huawei Technologies sells gear in the US.\n"
TALKS = "US Trade Talks\n\nThe US and China talk. China trades with the US and Huawei.\n"


def write_set(
    project: Project,
    doc_id: str,
    entities: tuple[Ent, ...],
    relations: tuple[Rel, ...] = (),
    annotator: str | None = None,
) -> Path:
    """Write ``doc_id``'s annotation file for ``annotator`` (None: gold)."""
    text = load_article(project, doc_id).text
    path = annotation_path(project, doc_id, annotator)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_annotations(
        path,
        AnnotationFile(
            doc_id,
            text_sha256(text),
            tuple(entity(text, e) for e in entities),
            tuple(Relation(i, h, t, label, "gold") for i, h, t, label in relations),
        ),
    )
    return path


def two_docs(root: Path) -> Project:
    """``ban`` and ``talks``, stored without annotations."""
    make_project(root)
    project = load_project(root)
    add_document(project, "ban", BAN, None)
    add_document(project, "talks", TALKS, None)
    return project
