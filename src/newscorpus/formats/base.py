"""What every interchange format provides, and what its export and import return.

A format is a module in :mod:`newscorpus.formats` exposing ``FORMAT``, an object with a
``name``, a one-line ``summary``, ``export(project, out, doc_ids) -> ExportReport`` and
``read(path, project, options) -> ImportPlan``. ``read`` never writes: it parses, matches,
checks and validates every document (:func:`newscorpus.formats.common.plan_change`) and returns
a plan holding, per document that would change, the new annotation file and the one it
replaces, which :func:`newscorpus.formats.common.apply_plan` applies in one transaction.
Annotation files are held as the JSON objects they are read and written as, not as typed
records: an import of a large corpus handles millions of entities, most of them unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newscorpus.model import Entity, Relation
from newscorpus.project import Project

#: What imports skip (formats that cannot tell "annotated as empty" from "not annotated": CoNLL,
#: spaCy, doccano, brat): a document with no annotation file and nothing in the imported file
#: gets no annotation file (unannotated stays unannotated, as it was exported).
UNANNOTATED = "document(s) without entities or an annotation file (none made)"

#: A relation by label and the spans of its head and tail: ids differ between tools.
_RelationKey = tuple[str, int, int, int, int]


@dataclass(frozen=True)
class ImportOptions:
    """How an import is read and where it goes."""

    #: Write into ``annotations/annotators/<name>/`` instead of gold.
    annotator: str | None = None
    #: Only these documents (formats that hold several); empty means every document found.
    doc_ids: tuple[str, ...] = ()
    #: Tool user names (``completed_by``) to annotator names, for tools with several annotators.
    annotator_map: dict[str, str] = field(default_factory=dict)
    #: Called with each document id once it is read and validated (a progress bar).
    on_document: Callable[[str], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Change:
    """One annotation file an import would write: what it holds now and what it would hold,
    both in the annotation-file JSON form (``before`` as read, ``after`` as it would be
    written)."""

    doc_id: str
    annotator: str | None
    before: dict[str, Any] | None
    after: dict[str, Any]
    #: Where the imported annotations came from (file, and task or line), for messages.
    where: str = ""

    def entity_changes(self) -> tuple[list[Entity], list[tuple[Entity, Entity]], list[Entity]]:
        """Entities ``(added, changed, removed)``, matched by span: a changed one kept its span
        but not its label or text."""
        old = {(e["start"], e["end"]): e for e in _items(self.before, "entities")}
        new = {(e["start"], e["end"]): e for e in _items(self.after, "entities")}
        added = [_entity(e) for span, e in new.items() if span not in old]
        removed = [_entity(e) for span, e in old.items() if span not in new]
        changed = [
            (_entity(old[span]), _entity(e))
            for span, e in new.items()
            if span in old and (old[span]["label"], old[span]["text"]) != (e["label"], e["text"])
        ]
        return added, changed, removed

    def relation_changes(self) -> tuple[list[Relation], list[Relation]]:
        """Relations ``(added, removed)``, compared by label and argument spans (ids may differ)."""
        after, before = _relations_by_key(self.after), _relations_by_key(self.before)
        added = [after[k] for k in sorted(after.keys() - before.keys())]
        removed = [before[k] for k in sorted(before.keys() - after.keys())]
        return added, removed

    @property
    def unchanged(self) -> bool:
        """True when the file would hold what it holds (notes and sources too): ``before`` was
        validated as it was read, so it spells nothing the writer would spell otherwise but
        the order of keys, which does not count."""
        return self.before is not None and self.before == self.after

    @property
    def overwrites(self) -> bool:
        """True when existing annotations would be changed or removed (needs ``--replace``)."""
        _, changed, removed = self.entity_changes()
        _, rel_removed = self.relation_changes()
        return bool(changed or removed or rel_removed)


def _items(data: dict[str, Any] | None, key: str) -> Iterable[dict[str, Any]]:
    return data.get(key, ()) if data is not None else ()


def _entity(e: dict[str, Any]) -> Entity:
    return Entity(e["id"], e["start"], e["end"], e["label"], e["text"], e.get("source"))


def _relations_by_key(data: dict[str, Any] | None) -> dict[_RelationKey, Relation]:
    """Relations by label and argument spans (the last of any with the same key)."""
    spans = {e["id"]: (e["start"], e["end"]) for e in _items(data, "entities")}
    found: dict[_RelationKey, Relation] = {}
    for r in _items(data, "relations"):
        head = spans.get(r["head"], (-1, -1))
        tail = spans.get(r["tail"], (-1, -1))
        relation = Relation(r["id"], r["head"], r["tail"], r["label"], r.get("source"))
        found[(r["label"], *head, *tail)] = relation
    return found


@dataclass
class ImportPlan:
    """What an import would write, and what it noticed on the way."""

    format: str
    source: str
    #: Every document (and annotator's set) the import holds, in its order.
    documents: list[tuple[str, str | None]] = field(default_factory=list)
    #: The documents whose file the import would write (those it leaves as they are aside).
    changes: list[Change] = field(default_factory=list)
    #: Repairs and notes (``"3 span(s) converted from UTF-16 code units"``), one line each.
    warnings: list[str] = field(default_factory=list)
    #: Things skipped on purpose, counted (``"cancelled annotations"``).
    skipped: Counter[str] = field(default_factory=Counter)


@dataclass
class ExportReport:
    """What an export wrote, and what the format could not hold (counted, never dropped
    silently)."""

    format: str
    out: Path
    documents: int = 0
    files: list[str] = field(default_factory=list)
    #: What the format cannot represent, counted (``"nested entities"``, ``"relations"``).
    losses: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


class Format(Protocol):
    """An interchange format: see the module docstring."""

    name: str
    summary: str

    def export(
        self,
        project: Project,
        out: Path,
        doc_ids: Sequence[str] | None,
        *,
        use_cache: bool = True,
    ) -> ExportReport:
        """Write the corpus (or ``doc_ids``) to ``out``; refuses invalid annotations (E150).

        With ``use_cache``, the token formats (``conll``, ``spacy``) take each unchanged
        document's tokens from what the last build kept in ``.newscorpus/cache/`` instead of
        tokenising it again (:mod:`newscorpus.formats.tokens`); the files are the same either
        way. The other formats tokenise nothing and read no cache.
        """
        ...

    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Parse ``path`` into a plan; never writes."""
        ...
