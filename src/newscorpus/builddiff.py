"""Compare two builds: documents, entities and relations added, removed or relabelled.

A release's changelog should say what changed in the data, not only in the code. This module
reads the ``documents`` config of two build folders (Parquet, with the ``huggingface`` features
metadata that gives the label names) and reports, per document, what changed. When a document's
text changed, the old annotations are first re-anchored onto the new text (as ``reanchor``
would), so an edit that shifts offsets is not reported as every entity removed and re-added.

:func:`diff_documents` is the comparison itself, over any two streams of :class:`DocState`;
``newscorpus view --diff`` feeds it from a build or a git revision and the corpus on disk.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus.errors import NewscorpusError
from newscorpus.model import Entity, Relation
from newscorpus.reanchor import reanchor

DOCUMENTS_GLOB = "data/documents/*.parquet"


@dataclass(frozen=True, slots=True)
class DocState:
    """One document as one side of a comparison sees it."""

    split: str
    text: str
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]


@dataclass
class DocumentDiff:
    """What changed in one document present in both builds."""

    doc_id: str
    text_changed: bool = False
    split: tuple[str, str] | None = None
    entities_added: list[Entity] = field(default_factory=list)
    entities_removed: list[Entity] = field(default_factory=list)
    entities_relabelled: list[tuple[Entity, Entity]] = field(default_factory=list)
    relations_added: list[tuple[str, str, str]] = field(default_factory=list)
    relations_removed: list[tuple[str, str, str]] = field(default_factory=list)
    relations_relabelled: list[tuple[str, str, str, str]] = field(default_factory=list)

    def empty(self) -> bool:
        return not (
            self.text_changed
            or self.split
            or self.entities_added
            or self.entities_removed
            or self.entities_relabelled
            or self.relations_added
            or self.relations_removed
            or self.relations_relabelled
        )


@dataclass
class BuildDiff:
    old_version: str
    new_version: str
    added: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[DocumentDiff] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Counts over all documents, for the summary line and JSON output."""

        def total(name: str) -> int:
            return sum(len(getattr(d, name)) for d in self.changed)

        return {
            "documents_added": len(self.added),
            "documents_removed": len(self.removed),
            "documents_changed": len(self.changed),
            "entities_added": total("entities_added"),
            "entities_removed": total("entities_removed"),
            "entities_relabelled": total("entities_relabelled"),
            "relations_added": total("relations_added"),
            "relations_removed": total("relations_removed"),
            "relations_relabelled": total("relations_relabelled"),
        }


def diff_builds(old: Path, new: Path) -> BuildDiff:
    """Compare the ``documents`` config of two build folders.

    Raises:
        NewscorpusError: E310 when a folder is not a newscorpus build.
    """
    return diff_documents(
        read_build_documents(old), read_build_documents(new), build_version(old), build_version(new)
    )


def diff_documents(
    old: Iterable[tuple[str, DocState]],
    new: Iterable[tuple[str, DocState]],
    old_version: str,
    new_version: str,
) -> BuildDiff:
    """Compare two sets of documents by id: the old ones are held in memory, the new streamed."""
    old_docs = dict(old)
    result = BuildDiff(old_version, new_version)
    seen: set[str] = set()
    for doc_id, doc in new:
        seen.add(doc_id)
        previous = old_docs.get(doc_id)
        if previous is None:
            result.added.append((doc_id, doc.split))
            continue
        change = compare_documents(doc_id, previous, doc)
        if not change.empty():
            result.changed.append(change)
    result.removed = sorted((i, d.split) for i, d in old_docs.items() if i not in seen)
    result.added.sort()
    result.changed.sort(key=lambda d: d.doc_id)
    return result


def compare_documents(doc_id: str, old: DocState, new: DocState) -> DocumentDiff:
    """What changed from ``old`` to ``new`` (old annotations re-anchored when the text changed)."""
    change = DocumentDiff(doc_id)
    if old.split != new.split:
        change.split = (old.split, new.split)
    old_entities, old_relations = old.entities, old.relations
    if old.text != new.text:
        change.text_changed = True
        moved = reanchor(old.text, new.text, old.entities, old.relations)
        old_entities, old_relations = moved.entities, moved.relations
    before = {(e.start, e.end): e for e in old_entities}
    after = {(e.start, e.end): e for e in new.entities}
    for span in sorted(before.keys() | after.keys()):
        a, b = before.get(span), after.get(span)
        if a is None and b is not None:
            change.entities_added.append(b)
        elif b is None and a is not None:
            change.entities_removed.append(a)
        elif a is not None and b is not None and a.label != b.label:
            change.entities_relabelled.append((a, b))
    old_rel = _relation_keys(old_entities, old_relations)
    new_rel = _relation_keys(new.entities, new.relations)
    for pair in sorted(old_rel.keys() | new_rel.keys()):
        a_label, b_label = old_rel.get(pair), new_rel.get(pair)
        if a_label is None and b_label is not None:
            change.relations_added.append((*pair, b_label))
        elif b_label is None and a_label is not None:
            change.relations_removed.append((*pair, a_label))
        elif a_label != b_label and a_label is not None and b_label is not None:
            change.relations_relabelled.append((*pair, a_label, b_label))
    return change


def _relation_keys(
    entities: tuple[Entity, ...], relations: tuple[Relation, ...]
) -> dict[tuple[str, str], str]:
    """Relations keyed by their arguments' text and offsets, which survive id renumbering."""
    by_id = {e.id: e for e in entities}

    def name(entity_id: str) -> str:
        e = by_id.get(entity_id)
        return f'"{e.text}"@{e.start}' if e else entity_id

    return {(name(r.head), name(r.tail)): r.label for r in relations}


def build_version(folder: Path) -> str:
    manifest = folder / "manifest.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        raise NewscorpusError(
            "E310",
            "is not a newscorpus build (no readable manifest.json with a version).",
            fix="Pass two folders written by `newscorpus build`.",
            where=str(folder),
        ) from None


def read_build_documents(folder: Path) -> Iterator[tuple[str, DocState]]:
    """Documents of a build, one record batch at a time, with label ids turned into names."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Features

    build_version(folder)
    paths = sorted(folder.glob(DOCUMENTS_GLOB))
    if not paths:
        raise NewscorpusError(
            "E310",
            f"holds no documents shards ({DOCUMENTS_GLOB}), so its documents cannot be compared.",
            fix="Pass two folders written by `newscorpus build`, whole.",
            where=str(folder),
        )
    for path in paths:
        # A damaged or foreign shard: pyarrow's own errors, or columns that are not the
        # documents config's.
        try:
            if not path.is_file():  # a FIFO would block the read for ever
                raise ValueError("not a regular file")
            parquet = pq.ParquetFile(path)
            if parquet.schema_arrow.field("text").type not in (pa.string(), pa.large_string()):
                raise TypeError("its text column is not text")
            features = Features.from_arrow_schema(parquet.schema_arrow)
            entity_names = features["entities"].feature["label"].names
            relation_names = features["relations"].feature["label"].names
            split = path.name.split("-", 1)[0]
            for batch in parquet.iter_batches(
                columns=["id", "text", "entities", "relations"], batch_size=256
            ):
                for row in batch.to_pylist():
                    yield row["id"], _doc(row, split, entity_names, relation_names)
        except Exception as err:  # whatever pyarrow or datasets raise
            raise NewscorpusError(
                "E310",
                f"cannot be read as a shard of the documents config ({type(err).__name__}: "
                f"{str(err)[:120]}).",
                fix="Build that folder again with `newscorpus build`.",
                where=str(path),
            ) from None


def _doc(
    row: dict[str, Any], split: str, entity_names: list[str], relation_names: list[str]
) -> DocState:
    return DocState(
        split=split,
        text=row["text"],
        entities=tuple(
            Entity(e["id"], e["start"], e["end"], entity_names[e["label"]], e["text"])
            for e in row["entities"]
        ),
        relations=tuple(
            Relation(r["id"], r["head"], r["tail"], relation_names[r["label"]])
            for r in row["relations"]
        ),
    )


def render_text(diff: BuildDiff) -> str:
    """A readable report: a summary line, then one block per added, removed or changed doc."""
    t = diff.totals()
    lines = [
        f"{diff.old_version} -> {diff.new_version}: documents +{t['documents_added']} "
        f"-{t['documents_removed']} ~{t['documents_changed']}; entities +{t['entities_added']} "
        f"-{t['entities_removed']} relabelled {t['entities_relabelled']}; relations "
        f"+{t['relations_added']} -{t['relations_removed']} relabelled "
        f"{t['relations_relabelled']}"
    ]
    lines += [f"+ {doc_id} ({split})" for doc_id, split in diff.added]
    lines += [f"- {doc_id} ({split})" for doc_id, split in diff.removed]
    for change in diff.changed:
        lines.append(f"~ {change.doc_id}")
        if change.text_changed:
            lines.append("    text changed (old annotations re-anchored before comparing)")
        if change.split:
            lines.append(f"    split {change.split[0]} -> {change.split[1]}")
        lines += [
            f'    + entity {e.label} "{e.text}" [{e.start}, {e.end})' for e in change.entities_added
        ]
        lines += [
            f'    - entity {e.label} "{e.text}" [{e.start}, {e.end})'
            for e in change.entities_removed
        ]
        lines += [
            f'    ~ entity "{b.text}" [{b.start}, {b.end}) {a.label} -> {b.label}'
            for a, b in change.entities_relabelled
        ]
        lines += [f"    + relation {label} {h} -> {t_}" for h, t_, label in change.relations_added]
        lines += [
            f"    - relation {label} {h} -> {t_}" for h, t_, label in change.relations_removed
        ]
        lines += [
            f"    ~ relation {h} -> {t_} {a} -> {b}" for h, t_, a, b in change.relations_relabelled
        ]
    return "\n".join(lines) + "\n"


def to_json(diff: BuildDiff) -> dict[str, Any]:
    """The diff as plain JSON data."""
    return {
        "old_version": diff.old_version,
        "new_version": diff.new_version,
        "totals": diff.totals(),
        "added": [{"id": i, "split": s} for i, s in diff.added],
        "removed": [{"id": i, "split": s} for i, s in diff.removed],
        "changed": [
            {
                "id": c.doc_id,
                "text_changed": c.text_changed,
                "split": list(c.split) if c.split else None,
                "entities_added": [e.to_dict() for e in c.entities_added],
                "entities_removed": [e.to_dict() for e in c.entities_removed],
                "entities_relabelled": [
                    {**b.to_dict(), "old_label": a.label} for a, b in c.entities_relabelled
                ],
                "relations_added": [list(r) for r in c.relations_added],
                "relations_removed": [list(r) for r in c.relations_removed],
                "relations_relabelled": [list(r) for r in c.relations_relabelled],
            }
            for c in diff.changed
        ],
    }
