"""Corpus projects for the viewer tests: the seed, plus an article that tries to run script."""

from __future__ import annotations

import json
from pathlib import Path

from build_helpers import Ent, add_document, entity
from newscorpus.annotations import AnnotationFile, annotation_path, text_sha256, write_annotations
from newscorpus.corpus import article_dir, load_article
from newscorpus.model import Relation
from newscorpus.project import Project

HOSTILE = "hostile"
#: Script, markup, an ampersand and quotes in the title, the text, a note, a label and the URL.
HOSTILE_RAW = (
    'Breaking <script>alert(1)</script> & "quotes"\n\n'
    'Tom & Jerry\'s "firm" said "><img src=x onerror=alert(2)> in <b>Tokyo</b>.\n'
)
HOSTILE_NOTE = '<img src=x onerror=alert(3)> & "note"'
HOSTILE_LABEL = "<b onmouseover=alert(4)>BAD</b>"
HOSTILE_URL = "javascript:alert(5)"


def add_hostile(project: Project) -> None:
    """Store the hostile article with annotations: a note and an (invalid, E109) label that
    hold markup, and a relation between two named entities."""
    add_document(project, HOSTILE, HOSTILE_RAW, None)
    text = load_article(project, HOSTILE).text
    tom = entity(text, Ent("T1", "Tom", "PERSON"))
    tom = type(tom)(tom.id, tom.start, tom.end, tom.label, tom.text, "gold", {"note": HOSTILE_NOTE})
    entities = (
        tom,
        entity(text, Ent("T2", "Jerry", HOSTILE_LABEL)),
        entity(text, Ent("T3", "Tokyo", "GPE")),
        entity(text, Ent("T4", "script", "ORG")),
    )
    relations = (Relation("R1", "T1", "T4", "role_in", "gold"),)
    write_annotations(
        annotation_path(project, HOSTILE),
        AnnotationFile(HOSTILE, text_sha256(text), entities, relations),
    )
    meta_path = article_dir(project, HOSTILE) / "meta.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["url"] = HOSTILE_URL
    meta_path.write_text(json.dumps(meta), "utf-8")


def site_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
