"""Checks of an annotation document's relations: labels, arguments, signatures, repeats.

Pure functions over :class:`~newscorpus.validate_records.RelationRecord`s that yield issues
E110, E116, E119 and E140-E142. Argument types come from the schema's relation signatures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from newscorpus.errors import Issue
from newscorpus.schema import RelationType, Schema
from newscorpus.validate_json import issue, printable, show
from newscorpus.validate_records import EntityRecord, RelationRecord, duplicate_id


def check_relations(
    relations: Sequence[RelationRecord],
    entities: Sequence[EntityRecord],
    schema: Schema | None,
    path: str,
) -> Iterable[Issue]:
    """Each relation's id, label and arguments, against the entities and the schema."""
    by_id: dict[str, EntityRecord] = {}
    for entity in entities:
        if entity.id is not None:
            by_id.setdefault(entity.id, entity)
    first: dict[str, RelationRecord] = {}
    said: dict[tuple[str, str, str], RelationRecord] = {}
    for rel in relations:
        if rel.id is not None:
            if rel.id in first:
                yield duplicate_id(rel, first[rel.id], "relation", path)
            else:
                first[rel.id] = rel
        kind = None
        if schema is not None and rel.label is not None:
            kind = schema.relation(rel.label)
            if kind is None:
                yield issue(
                    "E110",
                    path,
                    f"label is {show(rel.label)}; allowed: {', '.join(schema.relation_labels)}.",
                    "Use one of the schema's relation labels, or declare this one in schema.yaml.",
                    ref=rel.ref,
                    at=rel.at,
                )
        missing = False
        for side, arg in (("head", rel.head), ("tail", rel.tail)):
            if arg is not None and arg not in by_id and not (side == "tail" and arg == rel.head):
                missing = True
                yield issue(
                    "E119",
                    path,
                    f"{side} {printable(arg)} is not an entity id of this file.",
                    "Point it at an entity of this file, or remove the relation.",
                    ref=rel.ref,
                    at=rel.at,
                )
        if rel.head is None or rel.tail is None:
            continue
        if rel.head == rel.tail:
            yield issue(
                "E140",
                path,
                f"head and tail are both {printable(rel.head)}; a relation links two different "
                "entities.",
                "Point one side at the other entity, or remove the relation.",
                ref=rel.ref,
                at=rel.at,
            )
        elif kind is not None and not missing and schema is not None:
            yield from _check_signature(rel, kind, by_id[rel.head], by_id[rel.tail], schema, path)
        if rel.label is not None:
            yield from _check_repeat(rel, kind, said, path)


def _check_signature(
    rel: RelationRecord,
    kind: RelationType,
    head: EntityRecord,
    tail: EntityRecord,
    schema: Schema,
    path: str,
) -> Iterable[Issue]:
    h, t = head.label, tail.label
    if h is None or t is None or h not in schema.entity_labels or t not in schema.entity_labels:
        return  # an unknown or missing entity label is reported on the entity
    if kind.allows(h, t) or (kind.symmetric and kind.allows(t, h)):
        return
    sides = [("head", head, kind.head), ("tail", tail, kind.tail)]
    wrong = [
        (side, entity, allowed) for side, entity, allowed in sides if entity.label not in allowed
    ]
    for side, entity, allowed in wrong:
        yield issue(
            "E141",
            path,
            f"relation {kind.label} has {side} {_argument(entity)} of type {entity.label}; "
            f"{kind.label} needs a {side} of type {_either(allowed)}.",
            f"Change the {side}, or relabel {entity.ref}.",
            ref=rel.ref,
            at=rel.at,
        )
    if not wrong:  # each side fits, but the schema wants them to share a type
        yield issue(
            "E141",
            path,
            f"relation {kind.label} has head {_argument(head)} of type {h} and tail "
            f"{_argument(tail)} of type {t}; {kind.label} needs a head and tail of the same type.",
            f"Change an argument, or relabel {head.ref} or {tail.ref}.",
            ref=rel.ref,
            at=rel.at,
        )


def _argument(entity: EntityRecord) -> str:
    return f"{entity.ref} {show(entity.text)}" if entity.text is not None else entity.ref


def _either(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def _check_repeat(
    rel: RelationRecord,
    kind: RelationType | None,
    said: dict[tuple[str, str, str], RelationRecord],
    path: str,
) -> Iterable[Issue]:
    assert rel.label is not None and rel.head is not None and rel.tail is not None
    symmetric = kind is not None and kind.symmetric
    arrow = "<->" if symmetric else "->"
    key = (rel.label, rel.head, rel.tail)
    mirror = (rel.label, rel.tail, rel.head)
    if key in said:
        other = said[key]
        message = (
            f"repeats {other.ref}: both say {printable(rel.label)} {printable(rel.head)} "
            f"{arrow} {printable(rel.tail)}."
        )
    elif symmetric and mirror in said:
        other = said[mirror]
        message = (
            f"mirrors {other.ref} ({printable(rel.label)} {printable(rel.tail)} {arrow} "
            f"{printable(rel.head)}); {printable(rel.label)} is symmetric, so both say the same."
        )
    else:
        said[key] = rel
        return
    yield issue("E142", path, message, f"Remove {rel.ref}.", ref=rel.ref, at=rel.at)
