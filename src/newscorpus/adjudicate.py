"""``newscorpus adjudicate``: gold from what annotators agree on; conflicts to a person.

For each document every named annotator has annotated, :func:`plan_adjudication` decides:

- **fresh** (no review file yet): an entity (start, end, label) or relation (label and both
  arguments, unordered for symmetric labels) goes to gold when enough annotators have it: all of
  them (``unanimous``) or more than half (``majority``, which also drops an item that more than
  half of them lack; a tie is a conflict). Everything else becomes a conflict in
  ``annotations/review/<doc_id>.json`` (:mod:`newscorpus.review`): overlapping disputed spans are
  one conflict, relations between the same two spans are one conflict, and each conflict holds
  every annotator's version (an empty one when the annotator had nothing there). Gold gets the
  agreed items now; a conflicting item gets there only once it is resolved.
- **resolve** (a review file exists): conflicts whose ``resolution`` is set move into gold (a
  side's version adds whatever of it gold lacks; ``manual`` adds nothing: the reviewer edited
  the gold-so-far in the review file), the rest stay in the review file, which is deleted once
  none is left. The gold file is rewritten only if it is still the one adjudicate wrote (the
  review file records its sha256); a gold file edited since is refused (E177) without
  ``--replace``.
- **skip**: gold exists and no review file tracks it: adjudication never overwrites gold
  without ``--replace``.

Every file read is validated first (E173), every gold file written is validated before anything
is written (E180), and :func:`adjudicate` plans under the project lock and writes everything in
one :func:`newscorpus.txn.transaction`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from newscorpus.agreement import EntityKey, RelationKey, entity_key, relation_keys
from newscorpus.annotations import (
    AnnotationFile,
    annotation_path,
    parse_annotations,
    review_path,
    text_sha256,
)
from newscorpus.annotators import gold_exists, load_sets, require_annotators
from newscorpus.corpus import doc_ids, load_article
from newscorpus.errors import NewscorpusError, UsageError
from newscorpus.io import dumps_json
from newscorpus.model import Entity, Relation
from newscorpus.project import Project
from newscorpus.review import ADJUDICATION, CONFLICTS, LEFT_OUT, MANUAL
from newscorpus.schema import Schema
from newscorpus.validate_json import printable

Strategy = Literal["unanimous", "majority"]


@dataclass(frozen=True)
class DocumentPlan:
    """What adjudication does to one document."""

    doc_id: str
    #: ``fresh``, ``resolve``, ``waiting`` (conflicts open, nothing resolved) or ``skip``.
    action: str
    gold: AnnotationFile | None = None
    #: The review file's new content; None to delete it (or leave none).
    review: dict[str, Any] | None = None
    resolved: int = 0
    open: int = 0

    def describe(self, project: Project) -> str:
        gold_path = project.relative(annotation_path(project, self.doc_id))
        review = project.relative(review_path(project, self.doc_id))
        if self.action == "skip":
            return f"{self.doc_id}: skipped, gold exists ({gold_path}); --replace overwrites it"
        if self.action == "waiting":
            return f"{self.doc_id}: waiting for review, {self.open} open conflict(s) in {review}"
        assert self.gold is not None
        counts = f"{len(self.gold.entities)} entities, {len(self.gold.relations)} relations"
        done = f"{self.resolved} conflict(s) resolved, " if self.action == "resolve" else ""
        rest = f"{self.open} open conflict(s) in {review}" if self.open else "no open conflicts"
        return f"{self.doc_id}: {done}gold {gold_path} {counts}; {rest}"


def plan_adjudication(
    project: Project,
    schema: Schema,
    annotators: Sequence[str],
    *,
    strategy: Strategy = "unanimous",
    wanted: Sequence[str] = (),
    replace: bool = False,
) -> list[DocumentPlan]:
    """Decide, without writing anything, what adjudication does to each document.

    Raises:
        UsageError: E170/E171 unknown or unsafe names, E179 fewer than two annotators, E213 a
            document not in the corpus, E181 a document not in every named set.
        NewscorpusError: E172/E173 from reading the sets or a review file, E177 gold edited
            since adjudicate wrote it, E180 adjudicated gold that does not validate.
    """
    names = list(dict.fromkeys(require_annotators(project, annotators)))
    if len(names) < 2:
        raise UsageError(
            "E179",
            f"adjudicate needs two or more annotator sets; got {', '.join(names) or 'none'}.",
            fix="Name them: `newscorpus adjudicate --annotators A B`.",
        )
    stored = set(doc_ids(project))
    sets = load_sets(project, schema, names, set(wanted) or None)
    shared = sets.shared(*names)
    for doc_id in wanted:
        if doc_id not in stored:
            raise UsageError(
                "E213", f"there is no article {doc_id!r} in the corpus.", fix="Check the id."
            )
        if doc_id not in shared:
            missing = [n for n in names if doc_id not in sets.annotations[n]]
            raise UsageError(
                "E181",
                f"document {doc_id!r} is not in the set of {', '.join(missing)}, so it cannot "
                "be adjudicated between all of them.",
                fix="Name only the annotators who annotated it, or leave the document out.",
            )
    plans = []
    for doc_id in list(wanted) or shared:
        if review_path(project, doc_id).exists():
            plans.append(_resolve(project, schema, doc_id, replace))
        elif gold_exists(project, doc_id) and not replace:
            plans.append(DocumentPlan(doc_id, "skip"))
        else:
            versions = {name: sets.annotations[name][doc_id] for name in names}
            plans.append(_fresh(project, schema, doc_id, sets.texts[doc_id], versions, strategy))
    return plans


def adjudicate(
    project: Project,
    schema: Schema,
    annotators: Sequence[str],
    *,
    strategy: Strategy = "unanimous",
    wanted: Sequence[str] = (),
    replace: bool = False,
    dry_run: bool = False,
) -> list[DocumentPlan]:
    """Plan (:func:`plan_adjudication`) under the project lock, then write every gold and
    review file of the plan, and delete finished review files, in one transaction; with
    ``dry_run`` nothing is written.

    Raises:
        NewscorpusError: as :func:`plan_adjudication`; nothing is written then.
    """
    from newscorpus.txn import transaction

    # The files are read under the lock the writes take, after any interrupted change has
    # been completed, so the plan is made on what the writes will replace.
    with transaction(project, "adjudicate", dry_run=dry_run) as txn:
        plans = plan_adjudication(
            project, schema, annotators, strategy=strategy, wanted=wanted, replace=replace
        )
        for plan in plans:
            if plan.gold is None:
                continue
            txn.write_text(annotation_path(project, plan.doc_id), _gold_text(plan.gold))
            if plan.review is not None:
                txn.write_json(review_path(project, plan.doc_id), plan.review)
            elif review_path(project, plan.doc_id).exists():
                txn.remove(review_path(project, plan.doc_id))
    return plans


def _gold_text(gold: AnnotationFile) -> str:
    return dumps_json(gold.to_dict())


# --- fresh adjudication ----------------------------------------------------------------------


def _fresh(
    project: Project,
    schema: Schema,
    doc_id: str,
    text: str,
    versions: dict[str, AnnotationFile],
    strategy: Strategy,
) -> DocumentPlan:
    n = len(versions)
    needed = n if strategy == "unanimous" else n // 2 + 1
    entity_votes: dict[EntityKey, list[str]] = {}
    relation_votes: dict[RelationKey, list[tuple[str, Relation]]] = {}
    for name, doc in versions.items():
        for entity in doc.entities:
            entity_votes.setdefault(entity_key(entity), []).append(name)
        for key, relation in relation_keys(doc, schema).items():
            relation_votes.setdefault(key, []).append((name, relation))
    agreed = sorted(k for k, v in entity_votes.items() if len(v) >= needed)
    ids = {key: f"T{i}" for i, key in enumerate(agreed, 1)}
    entities = tuple(Entity(ids[k], k[0], k[1], k[2], text[k[0] : k[1]], "gold") for k in agreed)
    relations: list[Relation] = []
    for key in sorted(k for k, v in relation_votes.items() if len(v) >= needed):
        name, relation = relation_votes[key][0]
        by_id = {e.id: entity_key(e) for e in versions[name].entities}
        relations.append(
            Relation(
                f"R{len(relations) + 1}",
                ids[by_id[relation.head]],
                ids[by_id[relation.tail]],
                relation.label,
                "gold",
            )
        )
    gold = AnnotationFile(doc_id, text_sha256(text), entities, tuple(relations))
    # Under majority an item that more than half of the annotators lack is dropped; under
    # unanimous nothing is dropped without a person looking at it.
    dropped = n - needed if strategy == "majority" else 0  # votes at or below: dropped
    disputed = [k for k, v in entity_votes.items() if dropped < len(v) < needed]
    disputed_relations = [k for k, v in relation_votes.items() if dropped < len(v) < needed]
    found = _entity_conflicts(disputed, versions)
    found += _relation_conflicts(disputed_relations, versions, schema)
    found.sort(key=lambda conflict: conflict[0])
    conflicts = [
        {"id": f"C{i}", "versions": sides, "resolution": None}
        for i, (_, sides) in enumerate(found, 1)
    ]
    _check_gold(project, schema, gold, text)
    review = None
    if conflicts:
        review = _review(gold, list(versions), strategy, conflicts)
    return DocumentPlan(doc_id, "fresh", gold, review, 0, len(conflicts))


def _entity_dict(entity: Entity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "start": entity.start,
        "end": entity.end,
        "label": entity.label,
        "text": entity.text,
    }


#: A conflict before it is numbered: where it starts (entities before relations at the same
#: place), and each side's version.
_Found = tuple[tuple[int, int], dict[str, dict[str, list[dict[str, Any]]]]]


def _entity_conflicts(
    disputed: list[EntityKey], versions: dict[str, AnnotationFile]
) -> list[_Found]:
    """Disputed spans grouped where they overlap (a chain of overlaps is one group)."""
    groups: list[list[EntityKey]] = []
    end = -1
    for key in sorted(disputed):
        if groups and key[0] < end:
            groups[-1].append(key)
            end = max(end, key[1])
        else:
            groups.append([key])
            end = key[1]
    conflicts: list[_Found] = []
    for group in groups:
        keys = set(group)
        sides = {
            name: {
                "entities": [
                    _entity_dict(e)
                    for e in sorted(doc.entities, key=entity_key)
                    if entity_key(e) in keys
                ],
                "relations": [],
            }
            for name, doc in versions.items()
        }
        conflicts.append(((group[0][0], 0), sides))
    return conflicts


def _relation_conflicts(
    disputed: list[RelationKey], versions: dict[str, AnnotationFile], schema: Schema
) -> list[_Found]:
    """Disputed relations grouped by their two argument spans (in either order)."""
    groups: dict[frozenset[tuple[int, int]], set[RelationKey]] = {}
    for key in disputed:
        spans = frozenset({(key[1][0], key[1][1]), (key[2][0], key[2][1])})
        groups.setdefault(spans, set()).add(key)
    conflicts: list[_Found] = []
    for spans, keys in sorted(groups.items(), key=lambda item: sorted(item[0])):
        per_side = {}
        for name, doc in versions.items():
            by_id = {e.id: e for e in doc.entities}
            chosen = [r for k, r in relation_keys(doc, schema).items() if k in keys]
            arguments = {a for r in chosen for a in (r.head, r.tail)}
            per_side[name] = {
                "entities": [
                    _entity_dict(by_id[i])
                    for i in sorted(arguments, key=lambda i: entity_key(by_id[i]))
                ],
                "relations": [
                    {"id": r.id, "head": r.head, "tail": r.tail, "label": r.label}
                    for r in sorted(chosen, key=lambda r: r.id)
                ],
            }
        conflicts.append(((min(spans)[0], 1), per_side))
    return conflicts


def _review(
    gold: AnnotationFile,
    names: list[str],
    strategy: str,
    conflicts: list[dict[str, Any]],
    left_out: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "annotators": names,
        "strategy": strategy,
        "gold_sha256": hashlib.sha256(_gold_text(gold).encode("utf-8")).hexdigest(),
    }
    if left_out:
        meta[LEFT_OUT] = left_out
    return {
        "doc_id": gold.doc_id,
        "text_sha256": gold.text_sha256,
        ADJUDICATION: meta,
        CONFLICTS: conflicts,
        "entities": [e.to_dict() for e in gold.entities],
        "relations": [r.to_dict() for r in gold.relations],
    }


def _check_gold(project: Project, schema: Schema, gold: AnnotationFile, text: str) -> None:
    from newscorpus.validate_document import document_errors

    path = project.relative(annotation_path(project, gold.doc_id))
    errors = document_errors(
        json.loads(_gold_text(gold)), schema, text, path=path, doc_id=gold.doc_id
    )
    if errors:
        first = errors[0]
        ref = f"{first.annotation_id} " if first.annotation_id else ""
        raise NewscorpusError(
            "E180",
            f"the adjudicated gold would not validate ({len(errors)} error(s)); the first: "
            f"{first.code} {ref}{first.message}",
            fix="Resolve the conflicts in the review file so they agree with the rest of gold "
            '(for example the same span with two labels), or resolve them as "manual" and '
            "edit entities/relations there by hand. Nothing was written.",
            where=path,
        )


# --- resolving a review file -----------------------------------------------------------------


def _resolve(project: Project, schema: Schema, doc_id: str, replace: bool) -> DocumentPlan:
    from newscorpus.validate_file import check_file

    path = review_path(project, doc_id)
    text = load_article(project, doc_id).text
    issues, data = check_file(project, path, schema, text, known=True)
    errors = [i for i in issues if i.severity == "error"]
    if errors or data is None:
        first = errors[0] if errors else None
        raise NewscorpusError(
            "E173",
            "does not validate"
            + (f"; the first error: {first.code} {first.message}" if first else "."),
            fix="Fix it first: `newscorpus validate` lists every problem.",
            where=project.relative(path),
        )
    current = parse_annotations(data)
    conflicts = data[CONFLICTS]
    open_ = [c for c in conflicts if c.get("resolution") is None]
    resolved = [c for c in conflicts if c.get("resolution") is not None]
    recorded = data[ADJUDICATION].get("gold_sha256")
    # A review file without conflicts (its last ones deleted by hand) is done, not waiting.
    if open_ and not resolved and not replace:
        return DocumentPlan(doc_id, "waiting", open=len(open_))
    gold_file = annotation_path(project, doc_id)
    if (gold_file.exists() or gold_file.is_symlink()) and not gold_file.is_file():
        raise NewscorpusError(
            "E173",
            "is not a regular file (a folder, pipe or dangling link) where gold belongs.",
            fix="Move it away (gold is a JSON file), then run adjudicate again. Nothing was "
            "written.",
            where=project.relative(gold_file),
        )
    if gold_file.exists() and not replace:
        actual = hashlib.sha256(gold_file.read_bytes()).hexdigest()
        if actual != recorded:
            raise NewscorpusError(
                "E177",
                f"was changed after adjudicate wrote it (sha256 {actual[:12]}..., the review "
                f"file records {str(recorded)[:12]}...), so resolving "
                f"{project.relative(path)} would overwrite those edits.",
                fix="Carry the edits over into the review file's entities/relations and run "
                "again with --replace, or delete the review file to keep gold as it is.",
                where=project.relative(gold_file),
            )
    entities = list(current.entities)
    relations = list(current.relations)
    for conflict in resolved:
        if conflict["resolution"] != MANUAL:
            side = conflict["versions"][conflict["resolution"]]
            _take(side, entities, relations, text, schema)
    meta = data[ADJUDICATION]
    left_out = _refuse_contradictions(
        project, path, resolved, meta.get(LEFT_OUT, []), entities, len(current.entities)
    )
    gold = AnnotationFile(doc_id, text_sha256(text), tuple(entities), tuple(relations))
    _check_gold(project, schema, gold, text)
    review = None
    if open_:
        names = list(meta["annotators"])
        review = _review(gold, names, str(meta.get("strategy")), open_, left_out)
    return DocumentPlan(doc_id, "resolve", gold, review, len(resolved), len(open_))


def _refuse_contradictions(
    project: Project,
    path: Path,
    resolved: list[dict[str, Any]],
    earlier: list[dict[str, Any]],
    entities: list[Entity],
    written: int,
) -> list[dict[str, Any]]:
    """Refuse resolutions that undo each other: an entity conflict resolved to a version
    without an entity that gold holds all the same, brought in by another resolution (a
    relation's, whose version holds its arguments) in this run or an earlier one.
    ``earlier``: what earlier runs' resolutions left out (the review file's ``left_out``),
    which only this run's resolutions may not bring back: a reviewer may write such an entity
    into the review file's gold by hand. ``entities``: gold as it would be, the first
    ``written`` of them from the review file.

    Returns:
        ``earlier`` and what this run's resolutions leave out, for the next review file.

    Raises:
        NewscorpusError: E182 naming the conflict and the entity.
    """
    left_out: dict[EntityKey, tuple[str, str, bool]] = {
        (item["start"], item["end"], item["label"]): (item["conflict"], item["resolution"], True)
        for item in earlier
    }
    for conflict in resolved:
        versions = conflict["versions"]
        choice = conflict["resolution"]
        # Only an entity conflict decides entities: a relation's versions hold its arguments
        # for context, which gold may well keep.
        if choice == MANUAL or any(v["relations"] for v in versions.values()):
            continue
        chosen = {(e["start"], e["end"], e["label"]) for e in versions[choice]["entities"]}
        for version in versions.values():
            for item in version["entities"]:
                key = (item["start"], item["end"], item["label"])
                if key not in chosen:
                    left_out.setdefault(key, (conflict["id"], choice, False))
    for number, entity in enumerate(entities):
        found = left_out.get(entity_key(entity))
        if found is None:
            continue
        which, choice, before = found
        if before and number < written:
            continue  # written into the review file's gold by hand since
        # From the review file, which a person edits: kept to one short line.
        which, choice = _shown(which), _shown(choice)
        how = "the review file's gold holds it" if number < written else "another resolution"
        when = " in an earlier run" if before else ""
        raise NewscorpusError(
            "E182",
            f"{which} is resolved{when} to {choice}, which leaves out {entity.label} "
            f"{entity.text!r} [{entity.start}, {entity.end}), but "
            + (
                f"{how} (from an earlier resolution, or written by hand)."
                if number < written
                else f"{how} (a relation's, whose version holds its arguments) brings it into gold."
            ),
            fix=(
                'Resolve the relation\'s conflict to a version without it, or to "manual" '
                "after writing what gold should hold into the review file's entities and "
                "relations (an entity written there by hand is kept). Nothing was written."
                if before
                else f"Resolve the two alike: keep the entity in {which}, or resolve the "
                "relation's conflict to a version without it (or remove it from the review "
                "file's entities). Nothing was written."
            ),
            where=project.relative(path),
        )
    return [
        {"start": start, "end": end, "label": label, "conflict": which, "resolution": choice}
        for (start, end, label), (which, choice, _) in sorted(left_out.items())
    ]


def _shown(text: str) -> str:
    """``text`` for a message: unprintable characters escaped, cut at 80 characters."""
    return printable(text if len(text) <= 80 else text[:77] + "...")


def _take(
    version: dict[str, Any],
    entities: list[Entity],
    relations: list[Relation],
    text: str,
    schema: Schema,
) -> None:
    """Add what ``version`` has and gold lacks, with new ids; its relations' arguments are
    found in gold by (start, end, label)."""
    ids = {entity_key(e): e.id for e in entities}
    number = _last_number(e.id for e in entities)
    local: dict[str, EntityKey] = {}
    for item in version["entities"]:
        key = (item["start"], item["end"], item["label"])
        local[item["id"]] = key
        if key not in ids:
            number += 1
            ids[key] = f"T{number}"
            entities.append(Entity(ids[key], key[0], key[1], key[2], text[key[0] : key[1]], "gold"))

    def same(label: str, head: str, tail: str) -> tuple[str, frozenset[str] | tuple[str, str]]:
        kind = schema.relation(label)
        return (label, frozenset((head, tail)) if kind and kind.symmetric else (head, tail))

    have = {same(r.label, r.head, r.tail) for r in relations}
    number = _last_number(r.id for r in relations)
    for item in version["relations"]:
        head, tail = ids[local[item["head"]]], ids[local[item["tail"]]]
        if same(item["label"], head, tail) in have:
            continue
        number += 1
        relations.append(Relation(f"R{number}", head, tail, item["label"], "gold"))
        have.add(same(item["label"], head, tail))


def _last_number(ids: Iterable[str]) -> int:
    """The largest number of the ids made of a letter and ASCII digits (``T12``), or 0: new
    ids count on from it. Only ASCII: str.isdigit takes "T²", which int() refuses."""
    return max((int(i[1:]) for i in ids if i[1:].isascii() and i[1:].isdigit()), default=0)
