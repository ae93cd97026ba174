"""The structure layer of validation: parsed JSON -> typed entity and relation records.

:func:`read_structure` checks the keys and field types of an annotation document (E105, E106,
E107) and returns :class:`EntityRecord` and :class:`RelationRecord` views in which a missing or
mistyped field is ``None``, so one bad field does not hide the other problems of the same entity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newscorpus.errors import Issue
from newscorpus.validate_json import describe, issue, printable, quoted

#: Provenance values an entity or relation may carry in ``source``.
SOURCES = ("gold", "rule", "model")
_DOC_KEYS = ("doc_id", "text_sha256", "entities", "relations")
_ENTITY_KEYS = ("id", "start", "end", "label", "text")
_RELATION_KEYS = ("id", "head", "tail", "label")
_INT_KEYS = frozenset({"start", "end"})


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One entity as far as its fields are usable; a missing or mistyped field is None."""

    index: int
    ref: str
    id: str | None
    start: int | None
    end: int | None
    label: str | None
    text: str | None
    at: object


@dataclass(frozen=True, slots=True)
class RelationRecord:
    """One relation as far as its fields are usable; a missing or mistyped field is None."""

    index: int
    ref: str
    id: str | None
    head: str | None
    tail: str | None
    label: str | None
    at: object


@dataclass(frozen=True, slots=True)
class Structure:
    """The usable parts of an annotation document and the structural issues found."""

    doc_id: str | None
    text_sha256: str | None
    entities: tuple[EntityRecord, ...]
    relations: tuple[RelationRecord, ...]
    issues: tuple[Issue, ...]


def read_structure(data: Any, path: str) -> Structure:
    """Check keys and field types of a parsed annotation document (E105, E106, E107)."""
    issues: list[Issue] = []
    if not isinstance(data, dict):
        issues.append(
            issue(
                "E106",
                path,
                f"holds {describe(data)}; an annotation file holds one JSON object.",
                'Write {"doc_id": ..., "text_sha256": ..., "entities": [...], "relations": [...]}.',
                at=data,
            )
        )
        return Structure(None, None, (), (), tuple(issues))
    _check_keys(data, _DOC_KEYS, "an annotation file", None, path, issues)
    doc_id = _string_field(data, "doc_id", path, issues)
    sha = _string_field(data, "text_sha256", path, issues)
    entity_items = _list_field(data, "entities", path, issues)
    relation_items = _list_field(data, "relations", path, issues)
    entities = tuple(_entity(i, item, path, issues) for i, item in enumerate(entity_items))
    relations = tuple(_relation(i, item, path, issues) for i, item in enumerate(relation_items))
    return Structure(doc_id, sha, entities, relations, tuple(issues))


def _list_field(data: dict[str, Any], key: str, path: str, issues: list[Issue]) -> list[Any]:
    value = data.get(key)
    if isinstance(value, list):
        return value
    if key in data:
        issues.append(
            issue(
                "E106",
                path,
                f"{key} is {describe(value)}; it must be an array of objects.",
                f'Write "{key}": [...] (an empty array if there are none).',
                at=data,
            )
        )
    return []


def _entity(index: int, item: Any, path: str, issues: list[Issue]) -> EntityRecord:
    ref = _ref(item, "entities", index)
    if not _is_object(item, ref, "entity", path, issues):
        return EntityRecord(index, ref, None, None, None, None, None, item)
    _check_keys(item, _ENTITY_KEYS, "an entity", ref, path, issues)
    fields = {key: _field(item, key, ref, path, issues) for key in _ENTITY_KEYS}
    _check_source(item, ref, path, issues)
    start, end = fields["start"], fields["end"]
    return EntityRecord(
        index=index,
        ref=ref,
        id=_as_str(fields["id"]),
        start=start if isinstance(start, int) else None,
        end=end if isinstance(end, int) else None,
        label=_as_str(fields["label"]),
        text=_as_str(fields["text"]),
        at=item,
    )


def _relation(index: int, item: Any, path: str, issues: list[Issue]) -> RelationRecord:
    ref = _ref(item, "relations", index)
    if not _is_object(item, ref, "relation", path, issues):
        return RelationRecord(index, ref, None, None, None, None, item)
    _check_keys(item, _RELATION_KEYS, "a relation", ref, path, issues)
    fields = {key: _field(item, key, ref, path, issues) for key in _RELATION_KEYS}
    _check_source(item, ref, path, issues)
    return RelationRecord(
        index=index,
        ref=ref,
        id=_as_str(fields["id"]),
        head=_as_str(fields["head"]),
        tail=_as_str(fields["tail"]),
        label=_as_str(fields["label"]),
        at=item,
    )


def _check_keys(
    item: dict[str, Any],
    needed: tuple[str, ...],
    what: str,
    ref: str | None,
    path: str,
    issues: list[Issue],
) -> None:
    """One E105 naming every required key that ``item`` lacks."""
    missing = [key for key in needed if key not in item]
    if not missing:
        return
    names = ", ".join(f'"{key}"' for key in missing)
    issues.append(
        issue(
            "E105",
            path,
            f"has no {names}; {what} needs {', '.join(needed)}.",
            f"Add {'it' if len(missing) == 1 else 'them'}.",
            ref=ref,
            at=item,
        )
    )


def _ref(item: Any, layer: str, index: int) -> str:
    """How messages name an entity or relation: its id, or its place when the id is unusable."""
    ident = item.get("id") if isinstance(item, dict) else None
    if isinstance(ident, str) and ident and printable(ident) == ident and " " not in ident:
        return ident
    return f"{layer}[{index}]"


def _is_object(item: Any, ref: str, kind: str, path: str, issues: list[Issue]) -> bool:
    if isinstance(item, dict):
        return True
    issues.append(
        issue(
            "E106",
            path,
            f"is {describe(item)}; each {kind} must be a JSON object.",
            f"Write the {kind} as an object with keys "
            f"{', '.join(_ENTITY_KEYS if kind == 'entity' else _RELATION_KEYS)}.",
            ref=ref,
            at=item,
        )
    )
    return False


def _field(
    item: dict[str, Any], key: str, ref: str, path: str, issues: list[Issue]
) -> str | int | None:
    """The value of ``key`` if it has the right type, else None (after reporting it)."""
    if key not in item:
        return None
    value = item[key]
    if key in _INT_KEYS:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected, fix = "an integer", "Write a whole number without quotes."
    else:
        # text may be empty (its mismatch with the span is reported later); names may not.
        if isinstance(value, str) and (value or key == "text"):
            return value
        expected, fix = "a non-empty string", "Write it as a JSON string in double quotes."
    issues.append(
        issue(
            "E106",
            path,
            f"{key} is {describe(value)}; it must be {expected}.",
            fix,
            ref=ref,
            at=item,
        )
    )
    return None


def _string_field(data: dict[str, Any], key: str, path: str, issues: list[Issue]) -> str | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, str) and value:
        return value
    issues.append(
        issue(
            "E106",
            path,
            f"{key} is {describe(value)}; it must be a non-empty string.",
            "Write it as a JSON string in double quotes.",
            at=data,
        )
    )
    return None


def _check_source(item: dict[str, Any], ref: str, path: str, issues: list[Issue]) -> None:
    if "source" not in item or item["source"] in SOURCES:
        return
    issues.append(
        issue(
            "E107",
            path,
            f"source is {quoted(item['source'])}; allowed: {', '.join(SOURCES)}.",
            'Use "gold" for curated annotations, "rule" or "model" for automatic ones, '
            "or drop the key.",
            ref=ref,
            at=item,
        )
    )


def _as_str(value: str | int | None) -> str | None:
    return value if isinstance(value, str) else None


def duplicate_id(
    item: EntityRecord | RelationRecord,
    earlier: EntityRecord | RelationRecord,
    kind: str,
    path: str,
) -> Issue:
    """E115/E116 for ``item``, whose id an ``earlier`` entity or relation already has."""
    layer = "entities" if kind == "entity" else "relations"
    also = " and check which one the relations mean" if kind == "entity" else ""
    return issue(
        "E115" if kind == "entity" else "E116",
        path,
        f"{layer}[{item.index}] reuses the id of {layer}[{earlier.index}]; ids must be unique "
        "within a file.",
        f"Give one of them a new id{also}.",
        ref=item.ref,
        at=item.at,
    )
