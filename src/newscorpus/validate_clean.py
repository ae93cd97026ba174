"""The validator's fast path for documents: vouch for one that surely has no issue at all.

:func:`~newscorpus.validate_document.validate_document` checks field by field and builds a
record for every entity and relation, so that each problem is reported with its place and its
fix. On a curated corpus nearly every document has no problem, and that work goes unused. Like
:func:`~newscorpus.validate_json.parse_clean` for the JSON layer, :func:`is_clean` answers True
only when the full check would report nothing, in a few cheap comparisons per entity; on
anything unusual it answers False and the full check runs and reports. It never reports by
itself, so messages are written once, in the full check.

It must never vouch for a document the full check faults: ``tests/test_validate_fast.py``
compares the two on random documents.
"""

from __future__ import annotations

from typing import Any

from newscorpus.annotations import text_sha256
from newscorpus.schema import Schema
from newscorpus.validate_records import SOURCES
from newscorpus.validate_spans import is_word_char, trim_span


def is_clean(data: Any, schema: Schema, text: str, doc_id: str | None) -> bool:
    """Whether :func:`~newscorpus.validate_document.validate_document` of ``data`` against
    ``schema`` and ``text`` (and ``doc_id``, unless None) surely returns no issue."""
    if not isinstance(data, dict):
        return False
    name, sha = data.get("doc_id"), data.get("text_sha256")
    if type(name) is not str or not name or (doc_id is not None and name != doc_id):
        return False
    if type(sha) is not str or sha != text_sha256(text):
        return False
    entities, relations = data.get("entities"), data.get("relations")
    if type(entities) is not list or type(relations) is not list:
        return False
    labels = _entities_clean(entities, schema, text)
    return labels is not None and _relations_clean(relations, labels, schema)


def _entities_clean(entities: list[Any], schema: Schema, text: str) -> dict[str, str] | None:
    """Each entity's label by id when every entity is surely clean, else None."""
    allowed = frozenset(schema.entity_labels)
    abbreviations = frozenset(schema.abbreviations)
    size = len(text)
    labels: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for item in entities:
        if type(item) is not dict:
            return None
        ident, start, end = item.get("id"), item.get("start"), item.get("end")
        label, said = item.get("label"), item.get("text")
        if (
            type(ident) is not str
            or not ident
            or ident in labels
            or type(start) is not int
            or type(end) is not int
            or type(label) is not str
            or label not in allowed
            or type(said) is not str
            or not 0 <= start < end <= size
            or text[start:end] != said
            or ("source" in item and item["source"] not in SOURCES)
        ):
            return None
        if not (said[0].isalnum() and said[-1].isalnum()) and trim_span(
            text, start, end, abbreviations
        ) != (start, end):
            return None
        # W101: a span edge between two word characters cuts a word. Most edges have a space
        # or punctuation on their outer side, which settles it without a Unicode lookup.
        if start > 0:
            before = text[start - 1]
            if (before.isalnum() or not before.isascii()) and _joined(before, said[0]):
                return None
        if end < size:
            after = text[end]
            if (after.isalnum() or not after.isascii()) and _joined(said[-1], after):
                return None
        labels[ident] = label
        spans.append((start, -end))
    return labels if _spans_clean(spans, schema.overlap) else None


def _joined(left: str, right: str) -> bool:
    """Whether a span edge between ``left`` and ``right`` cuts a word (W101)."""
    return is_word_char(left) and is_word_char(right)


def _spans_clean(spans: list[tuple[int, int]], overlap: str) -> bool:
    """No two spans, given as ``(start, -end)``, are identical or cross; with ``overlap:
    none``, none overlap at all."""
    spans.sort()
    if overlap != "nested":
        return all(-spans[i][1] <= spans[i + 1][0] for i in range(len(spans) - 1))
    # Spans that nest form a chain of open spans, each inside the one below it on the stack:
    # a new span (sorted by start, longest first) need only lie strictly inside the innermost
    # span still open.
    stack: list[tuple[int, int]] = []
    for start, negative_end in spans:
        while stack and -stack[-1][1] <= start:
            stack.pop()
        if stack and (stack[-1] == (start, negative_end) or stack[-1][1] > negative_end):
            return False
        stack.append((start, negative_end))
    return True


def _relations_clean(relations: list[Any], labels: dict[str, str], schema: Schema) -> bool:
    kinds = {kind.label: kind for kind in schema.relation_types}
    seen: set[str] = set()
    said: set[tuple[str, str, str]] = set()
    for item in relations:
        if type(item) is not dict:
            return False
        ident, head, tail, label = (item.get(key) for key in ("id", "head", "tail", "label"))
        if (
            type(ident) is not str
            or not ident
            or ident in seen
            or type(head) is not str
            or type(tail) is not str
            or type(label) is not str
            or head == tail
            or head not in labels
            or tail not in labels
            or ("source" in item and item["source"] not in SOURCES)
        ):
            return False
        kind = kinds.get(label)
        if kind is None:
            return False
        h, t = labels[head], labels[tail]
        if not (kind.allows(h, t) or (kind.symmetric and kind.allows(t, h))):
            return False
        if (label, head, tail) in said or (kind.symmetric and (label, tail, head) in said):
            return False
        seen.add(ident)
        said.add((label, head, tail))
    return True
