"""The ``bigbio_kb`` config: one row per document in BigBIO's knowledge-base (KB) schema.

BigBIO (bigscience-workshop/biomedical) exchanges information-extraction corpora in one schema:
``id``, ``document_id``, ``passages``, ``entities``, ``events``, ``coreferences`` and
``relations`` (features in :func:`newscorpus.features.bigbio_kb_features`). Its tests check, for
every split, that every ``id`` anywhere in it is unique, that relations name entities of their
document, and that ``" ".join(passage texts)[start:end]`` gives back each passage's and entity's
text. So:

* the document's text is one passage (type ``text``, offsets ``[[0, len(text)]]``), so entity
  offsets are the document's own character offsets;
* ids are ``<doc_id>:<kind>:<id>``: document ids never hold ``:``, and an annotation id is
  unique within its kind in its document, so no two ids of a split meet;
* labels are strings, a symmetric relation is stored once (as annotated), and ``events``,
  ``coreferences`` and ``normalized`` are empty: the schema has no such annotations.

A pure function of the document, like the other views.
"""

from __future__ import annotations

from typing import Any

from newscorpus.model import Document

#: The passage type of the document text.
PASSAGE_TYPE = "text"


def kb_id(doc_id: str, kind: str, item_id: str) -> str:
    """The split-wide unique id of an annotation: ``<doc_id>:<kind>:<id>``.

    >>> kb_id("india-japan", "entity", "T1")
    'india-japan:entity:T1'
    """
    return f"{doc_id}:{kind}:{item_id}"


def kb_row(doc: Document) -> dict[str, Any]:
    """The ``bigbio_kb`` row of ``doc``."""
    return {
        "id": doc.id,
        "document_id": doc.id,
        "passages": [
            {
                "id": kb_id(doc.id, "passage", "0"),
                "type": PASSAGE_TYPE,
                "text": [doc.text],
                "offsets": [[0, len(doc.text)]],
            }
        ],
        "entities": [
            {
                "id": kb_id(doc.id, "entity", e.id),
                "type": e.label,
                "text": [doc.text[e.start : e.end]],
                "offsets": [[e.start, e.end]],
                "normalized": [],
            }
            for e in doc.entities
        ],
        "events": [],
        "coreferences": [],
        "relations": [
            {
                "id": kb_id(doc.id, "relation", r.id),
                "type": r.label,
                "arg1_id": kb_id(doc.id, "entity", r.head),
                "arg2_id": kb_id(doc.id, "entity", r.tail),
                "normalized": [],
            }
            for r in doc.relations
        ],
    }
