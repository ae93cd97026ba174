"""One parsed annotation document against the schema and its article's text.

:func:`validate_document` runs the per-document layers in order (see :mod:`newscorpus.validate`
for all of them): the structure (:mod:`newscorpus.validate_records`), the document id and the
text's hash (E108, E143), the entities (:mod:`newscorpus.validate_spans`) and the relations
(:mod:`newscorpus.validate_relations`). It reads no file, so everything that checks an
annotation document, a file, a review file's versions or an import's result, calls it.
"""

from __future__ import annotations

from typing import Any

from newscorpus.annotations import text_sha256
from newscorpus.errors import Issue
from newscorpus.schema import Schema
from newscorpus.validate_clean import is_clean
from newscorpus.validate_json import issue, printable, show
from newscorpus.validate_records import read_structure
from newscorpus.validate_relations import check_relations
from newscorpus.validate_spans import check_entities, check_overlaps


def validate_document(
    data: Any,
    schema: Schema | None,
    text: str | None,
    path: str = "<document>",
    *,
    doc_id: str | None = None,
) -> list[Issue]:
    """Every problem of one parsed annotation document.

    Args:
        data: the parsed JSON (any value; a :class:`~newscorpus.validate_json.Located` dict
            gives issues a line and column).
        schema: the project's schema; None skips the label and signature checks.
        text: the article's normalised text; None skips the checks against the text.
        path: the file name used in the issues.
        doc_id: the id the document must have (from the file name); None skips that check.

    Returns:
        The issues in check order. Never raises.

    >>> [i.code for i in validate_document([], None, None)]
    ['E106']
    """
    if schema is not None and text is not None and is_clean(data, schema, text, doc_id):
        return []
    structure = read_structure(data, path)
    issues = list(structure.issues)
    if doc_id is not None and structure.doc_id is not None and structure.doc_id != doc_id:
        issues.append(
            issue(
                "E108",
                path,
                f"doc_id is {show(structure.doc_id)} but the file is named {printable(doc_id)}"
                ".json; the file name is the document id.",
                f"Set doc_id to {show(doc_id)}, or rename the file to "
                f"{printable(structure.doc_id)}.json.",
                at=data,
            )
        )
    if text is not None and structure.text_sha256 is not None:
        actual = text_sha256(text)
        if structure.text_sha256 != actual:
            name = printable(doc_id or structure.doc_id or "DOC_ID")
            issues.append(
                issue(
                    "E143",
                    path,
                    f"text_sha256 is {printable(structure.text_sha256[:12])}... but the article's "
                    f"text hashes to {actual[:12]}...: the annotations were made on another "
                    "version of the text (stale annotations; their offsets were not checked "
                    "against this text).",
                    f"Move them onto the current text with `newscorpus reanchor {name}`, or "
                    "re-annotate the article; do not just copy the new hash.",
                    at=data,
                )
            )
            # Offsets of stale annotations point into another text: checking them here would
            # bury the one real problem under dozens of follow-on errors.
            text = None
    overlap = schema.overlap if schema is not None else "nested"
    issues += check_entities(structure.entities, schema, text, path)
    issues += check_overlaps(structure.entities, text, overlap, path)
    issues += check_relations(structure.relations, structure.entities, schema, path)
    return issues


def document_errors(data: Any, schema: Schema, text: str, *, path: str, doc_id: str) -> list[Issue]:
    """The errors (not warnings) of one document: what must be fixed before it is written."""
    issues = validate_document(data, schema, text, path=path, doc_id=doc_id)
    return [i for i in issues if i.severity == "error"]
