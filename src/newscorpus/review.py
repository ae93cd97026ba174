"""Review files: the conflicts ``adjudicate`` leaves for a person, and how a person resolves them.

``annotations/review/<doc_id>.json`` is an annotation file (the same four keys, checked by the
same validator) whose ``entities`` and ``relations`` are the document's gold so far: what the
annotators agreed on, plus whatever has been resolved. Two more keys hold the rest::

    "adjudication": {"annotators": ["alice", "bob"], "strategy": "unanimous",
                     "gold_sha256": "<sha256 of the gold file adjudicate wrote, or null>",
                     "left_out": [{"start": 1890, "end": 1896, "label": "GPE",
                                   "conflict": "C2", "resolution": "alice"}]},
    "conflicts": [
      {"id": "C1",
       "versions": {"alice": {"entities": [{"id": "T4", "start": 1894, "end": 1896,
                                            "label": "GPE", "text": "US"}],
                              "relations": []},
                    "bob":   {"entities": [{"id": "T4", "start": 1890, "end": 1896,
                                            "label": "GPE", "text": "the US"}],
                              "relations": []}},
       "resolution": null}
    ]

Each conflict is one place where the annotators differ; ``versions`` holds what each side
annotated there, in that side's own ids (a relation's version carries its two arguments).
A reviewer resolves a conflict by setting ``resolution``:

- to the name of one side: its version goes to gold (an empty version drops the item);
- to ``"manual"``: the reviewer has written the right items into ``entities``/``relations``
  (the gold so far) by hand, and the versions add nothing.

The next ``newscorpus adjudicate`` moves resolved conflicts into gold and deletes the review
file once none is left. While conflicts are left, ``left_out`` (optional) records the entities
that earlier runs' resolutions left out of gold, so that a later resolution bringing one back
(a relation's version holds its arguments) is refused as contradicting it (E182).
:func:`review_issues` checks the two extra keys (E174, E175) and every version with the
per-file validator, so ``newscorpus validate`` understands these files.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from newscorpus.annotations import text_sha256
from newscorpus.errors import Issue
from newscorpus.schema import Schema
from newscorpus.validate_json import describe, issue, printable, show

MANUAL = "manual"
CONFLICTS = "conflicts"
ADJUDICATION = "adjudication"
#: The ``adjudication`` key recording what earlier resolutions left out of gold.
LEFT_OUT = "left_out"
_LEFT_OUT_KEYS = {"start", "end", "label", "conflict", "resolution"}
_FIX = (
    "Regenerate it with `newscorpus adjudicate` (delete the review file first), or fix the entry."
)


def review_issues(data: Any, schema: Schema | None, text: str | None, path: str) -> list[Issue]:
    """The problems of a review file beyond those of an annotation file: its ``adjudication``
    and ``conflicts`` keys (E174), each resolution (E175), and every version's entities and
    relations, checked like an annotation file's (their issues name the conflict and side).

    Args:
        data: the parsed review file (a ``Located`` dict gives issues a position).
        schema: the project's schema; None skips label checks.
        text: the article's text; None (or a stale file) skips the checks against it.
        path: the file name used in the issues.
    """
    from newscorpus.validate_document import validate_document

    if not isinstance(data, dict):
        return []  # the annotation checks already report it
    issues: list[Issue] = []
    meta = data.get(ADJUDICATION)
    if not isinstance(meta, dict) or not isinstance(meta.get("annotators"), list):
        issues.append(
            issue(
                "E174",
                path,
                f"{ADJUDICATION} is {_what(data, ADJUDICATION)}; a review file records the "
                "annotators it "
                'was made from: {"annotators": [...], "strategy": ..., "gold_sha256": ...}.',
                _FIX,
                at=data,
            )
        )
    elif not _left_out_shaped(meta.get(LEFT_OUT, [])):
        issues.append(
            issue(
                "E174",
                path,
                f"{ADJUDICATION}.{LEFT_OUT} is {describe(meta[LEFT_OUT])}; it lists the entities "
                'earlier resolutions left out: [{"start": 0, "end": 2, "label": "GPE", '
                '"conflict": "C1", "resolution": "alice"}, ...].',
                _FIX,
                at=meta,
            )
        )
    else:
        issues += _left_out_issues(meta, schema, path)
    conflicts = data.get(CONFLICTS)
    if not isinstance(conflicts, list):
        issues.append(
            issue(
                "E174",
                path,
                f"{CONFLICTS} is {_what(data, CONFLICTS)}, not a list of conflicts.",
                _FIX,
                at=data,
            )
        )
        return issues
    if text is not None and data.get("text_sha256") != text_sha256(text):
        text = None  # stale: the annotation checks report E143 once
    seen: set[str] = set()
    for n, conflict in enumerate(conflicts):
        issues += _conflict_issues(conflict, n, seen, data, schema, text, path, validate_document)
    return issues


def _left_out_issues(meta: dict[str, Any], schema: Schema | None, path: str) -> list[Issue]:
    """What is wrong with the well-shaped ``left_out`` records: each names one of the
    annotators, a span of the schema's label, once."""
    sides = [name for name in meta["annotators"] if isinstance(name, str)]
    labels = set(schema.entity_labels) if schema is not None else None
    issues: list[Issue] = []
    seen: set[tuple[int, int, str]] = set()
    for n, item in enumerate(meta.get(LEFT_OUT, [])):
        start, end, label = item["start"], item["end"], item["label"]
        problem = None
        if item["resolution"] not in sides:
            problem = (
                f"was resolved to {show(item['resolution'])}, which is none of the annotators "
                f"({', '.join(printable(s) for s in sides)})"
            )
        elif not 0 <= start < end:
            problem = f"has the span [{start}, {end}), which is no span of a text"
        elif labels is not None and label not in labels:
            problem = f"has the label {show(label)}, which the schema does not have"
        elif (start, end, label) in seen:
            problem = f"repeats the span [{start}, {end}) {show(label)}"
        seen.add((start, end, label))
        if problem is not None:
            message = f"{ADJUDICATION}.{LEFT_OUT}[{n}] {problem}."
            issues.append(issue("E174", path, message, _FIX, at=meta))
    return issues


def _left_out_shaped(items: Any) -> bool:
    return isinstance(items, list) and all(
        isinstance(item, dict)
        and set(item) == _LEFT_OUT_KEYS
        and all(type(item[key]) is int for key in ("start", "end"))
        and all(isinstance(item[key], str) for key in ("label", "conflict", "resolution"))
        for item in items
    )


def _what(data: dict[str, Any], key: str) -> str:
    return describe(data[key]) if key in data else "missing"


def _conflict_issues(
    conflict: Any,
    n: int,
    seen: set[str],
    data: dict[str, Any],
    schema: Schema | None,
    text: str | None,
    path: str,
    validate_document: Any,
) -> list[Issue]:
    where = f"{CONFLICTS}[{n}]"
    if not isinstance(conflict, dict):
        return [issue("E174", path, f"{where} is {describe(conflict)}, not an object.", _FIX)]
    cid = conflict.get("id")
    issues: list[Issue] = []
    if not isinstance(cid, str) or not cid:
        issues.append(issue("E174", path, f"{where} has no id.", _FIX, at=conflict))
        cid = where
    elif cid in seen:
        message = f"two conflicts have the id {show(cid)}."
        issues.append(issue("E174", path, message, _FIX, at=conflict))
    seen.add(cid)
    versions = conflict.get("versions")
    if not isinstance(versions, dict) or not versions:
        issues.append(
            issue(
                "E174",
                path,
                f"conflict {printable(cid)}: versions is {describe(versions)}; it maps each "
                'annotator to {"entities": [...], "relations": [...]}.',
                _FIX,
                at=conflict,
            )
        )
        versions = {}
    for name, version in versions.items():
        if (
            not isinstance(version, dict)
            or not isinstance(version.get("entities"), list)
            or not isinstance(version.get("relations"), list)
        ):
            issues.append(
                issue(
                    "E174",
                    path,
                    f"conflict {printable(cid)}: {printable(name)}'s version is "
                    f'{describe(version)}; it must be {{"entities": [...], "relations": [...]}}.',
                    _FIX,
                    at=conflict,
                )
            )
            continue
        mini = {
            "doc_id": data.get("doc_id"),
            "text_sha256": data.get("text_sha256"),
            "entities": version["entities"],
            "relations": version["relations"],
        }
        for found in validate_document(mini, schema, text, path):
            ref = f"{cid}/{name}/{found.annotation_id}" if found.annotation_id else f"{cid}/{name}"
            issues.append(dataclasses.replace(found, annotation_id=printable(ref)))
    resolution = conflict.get("resolution", None)
    if resolution is not None and (
        not isinstance(resolution, str) or (resolution != MANUAL and resolution not in versions)
    ):
        sides = ", ".join(printable(str(k)) for k in versions)
        issues.append(
            issue(
                "E175",
                path,
                f"conflict {printable(cid)}: resolution is {describe(resolution)}; allowed: null "
                f"(not yet resolved), {MANUAL!r}, or one side: {sides}.",
                'Set it to the side whose version is right, or to "manual" after writing the '
                "right items into entities/relations yourself.",
                at=conflict,
            )
        )
    return issues
