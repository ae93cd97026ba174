"""What every interchange format provides, and what its export and import return.

A format is a module in :mod:`newscorpus.formats` exposing ``FORMAT``, an object with a
``name``, a one-line ``summary``, ``export(project, out, doc_ids) -> ExportReport`` and
``read(path, project, options) -> ImportPlan``. ``read`` never writes: it returns a plan (per
document, the new annotation file and the one it replaces), which
:func:`newscorpus.formats.common.apply_plan` validates and applies in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from newscorpus.annotations import AnnotationFile
from newscorpus.model import Entity, Relation
from newscorpus.project import Project

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


@dataclass(frozen=True)
class Change:
    """One annotation file an import would write: what it holds now and what it would hold."""

    doc_id: str
    annotator: str | None
    before: AnnotationFile | None
    after: AnnotationFile
    #: Where the imported annotations came from (file, and task or line), for messages.
    where: str = ""

    def entity_changes(self) -> tuple[list[Entity], list[tuple[Entity, Entity]], list[Entity]]:
        """Entities ``(added, changed, removed)``, matched by span: a changed one kept its span
        but not its label or text."""
        old = {(e.start, e.end): e for e in (self.before.entities if self.before else ())}
        new = {(e.start, e.end): e for e in self.after.entities}
        added = [e for span, e in new.items() if span not in old]
        removed = [e for span, e in old.items() if span not in new]
        changed = [
            (old[span], e)
            for span, e in new.items()
            if span in old and (old[span].label, old[span].text) != (e.label, e.text)
        ]
        return added, changed, removed

    def relation_changes(self) -> tuple[list[Relation], list[Relation]]:
        """Relations ``(added, removed)``, compared by label and argument spans (ids may differ)."""
        added = sorted(self._relation_keys(self.after) - self._relation_keys(self.before))
        removed = sorted(self._relation_keys(self.before) - self._relation_keys(self.after))
        by_key_after = {self._key(self.after, r): r for r in self.after.relations}
        by_key_before = (
            {self._key(self.before, r): r for r in self.before.relations} if self.before else {}
        )
        return [by_key_after[k] for k in added], [by_key_before[k] for k in removed]

    @staticmethod
    def _key(annotations: AnnotationFile, relation: Relation) -> _RelationKey:
        spans = {e.id: (e.start, e.end) for e in annotations.entities}
        head = spans.get(relation.head, (-1, -1))
        tail = spans.get(relation.tail, (-1, -1))
        return relation.label, *head, *tail

    @classmethod
    def _relation_keys(cls, annotations: AnnotationFile | None) -> set[_RelationKey]:
        if annotations is None:
            return set()
        return {cls._key(annotations, r) for r in annotations.relations}

    def unchanged(self, after: dict[str, Any]) -> bool:
        """True when the file would be written byte for byte as it is (notes and sources too),
        given :attr:`after` in the annotation-file form (its caller has made it already)."""
        return self.before is not None and self.before.to_dict() == after

    @property
    def overwrites(self) -> bool:
        """True when existing annotations would be changed or removed (needs ``--replace``)."""
        _, changed, removed = self.entity_changes()
        _, rel_removed = self.relation_changes()
        return bool(changed or removed or rel_removed)


@dataclass
class ImportPlan:
    """What an import would write, and what it noticed on the way."""

    format: str
    source: str
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

    def export(self, project: Project, out: Path, doc_ids: Sequence[str] | None) -> ExportReport:
        """Write the corpus (or ``doc_ids``) to ``out``; refuses invalid annotations (E150)."""
        ...

    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Parse ``path`` into a plan; never writes."""
        ...
