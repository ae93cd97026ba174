"""Reading annotation tools' exports into an import plan, the same way for every tool.

Label Studio and doccano both hand back, per document, a text and regions on it (an id, offsets,
a label, sometimes the covered text) and relations between region ids. :func:`load_json` and
:func:`load_jsonl` parse their files with line and column in every syntax error;
:class:`Regions` checks one document's regions (labels against the schema, offsets against the
tool's text with :func:`~newscorpus.formats.common.check_span`, relation arguments against the
region ids); :class:`PlanBuilder` matches it to a corpus document, refuses a second item for the
same document, re-anchors the regions onto ``text.txt`` when the tool's text differs (reported
with the statuses of ``newscorpus reanchor``), and collects the plan with its repair counts.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus import fastjson
from newscorpus.errors import InputError, NewscorpusError
from newscorpus.formats.base import Change, ImportOptions, ImportPlan
from newscorpus.formats.common import (
    REPAIRS,
    DocumentIndex,
    annotation_data,
    check_span,
    checked_ids,
    label_error,
    match_document,
    plan_change,
)
from newscorpus.model import Entity, Relation
from newscorpus.project import Project
from newscorpus.reanchor import Status, describe, reanchor
from newscorpus.schema import Schema


def _syntax_error(path: Path, err: json.JSONDecodeError, line: int | None = None) -> InputError:
    return InputError(
        "E160",
        f"is not valid JSON: {err.msg}.",
        fix="Fix the file at that position, or export it from the tool again.",
        where=f"{path}:{line or err.lineno}:{err.colno}",
    )


def _unreadable(where: str, err: RecursionError | ValueError) -> InputError:
    """E160 for JSON that parses but that Python will not hold: arrays or objects nested
    about a thousand deep (the interpreter's recursion limit), or an integer of more than
    4,300 digits (its limit on converting digits to an int, the only other error json
    raises)."""
    what = (
        "nests arrays or objects more deeply than can be read (about 990 levels)"
        if isinstance(err, RecursionError)
        else "holds an integer of more than 4,300 digits, which cannot be read"
    )
    return InputError(
        "E160",
        f"{what}.",
        fix="No tool exports such a file: export it from the tool again.",
        where=where,
    )


def check_regular(path: Path, fix: str) -> None:
    """Refuse what an import must not open: a FIFO would block the read for ever, a device
    never end it.

    Raises:
        InputError: E219 when ``path`` is not a regular file, with ``fix``.
    """
    if not path.is_file():
        raise InputError(
            "E219",
            "is not a regular file (a folder, pipe, device or dangling link).",
            fix=fix,
            where=str(path),
        )


def read_input(path: Path) -> bytes:
    """The bytes of the file an import reads.

    Raises:
        InputError: E219 when it is not a regular file (a FIFO would block the read for ever,
            a device never end it); E201 when it cannot be read.
    """
    check_regular(path, "Pass the file the tool exported.")
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(
            "E201",
            f"cannot read the file: {err.strerror or err}.",
            fix="Check that it exists and that you may read it.",
            where=str(path),
        ) from None


def _decode(path: Path) -> str:
    """The UTF-8 text of ``path`` (a BOM allowed). JSON needs no more checks than UTF-8: its
    parser refuses anything else with a position, so the article decoder's character scan is
    skipped (it would cost more than the parse).

    Raises:
        InputError: E204 naming the first byte that is not UTF-8; as :func:`read_input`.
    """
    return _decoded(read_input(path), path)


def _decoded(data: bytes, path: Path) -> str:
    """``data``, read from ``path``, as UTF-8 text (a BOM allowed).

    Raises:
        InputError: E204 naming the first byte that is not UTF-8.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            "E204",
            f"is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}).",
            fix="Export it from the tool again as UTF-8 JSON.",
            where=str(path),
        ) from None


def load_json(path: Path) -> Any:
    """The parsed JSON file at ``path``.

    Raises:
        InputError: E160 with line and column on a syntax error, or naming what cannot be
            read (nesting too deep, a number too long); E204 when it is not UTF-8; E201/E219
            as :func:`read_input`.
    """
    text = _decode(path)
    try:
        return fastjson.loads(text)
    except json.JSONDecodeError as err:
        raise _syntax_error(path, err) from None
    except (RecursionError, ValueError) as err:
        raise _unreadable(str(path), err) from None


def load_json_array(path: Path, expected: str) -> Iterator[Any]:
    """The items of the JSON array in ``path``, each parsed only when it is reached, so that
    one is held at a time (a Label Studio export of a whole corpus is one array).

    Raises:
        InputError: as :func:`load_json`; E161 when the file holds something other than an
            array (``expected`` says what it should hold).
    """
    data = read_input(path)
    items = fastjson.array_items(data.removeprefix(b"\xef\xbb\xbf"))
    if items is None:  # not an array, or a file only json reads: whole, for its value or error
        value = load_json(path)
        if not isinstance(value, list):
            raise type_error("the file", expected, value, str(path))
        return iter(value)
    return _unfolded(items, path, data)


def _unfolded(items: Iterator[Any], path: Path, data: bytes) -> Iterator[Any]:
    """The items, with what stops their parse worded as :func:`load_json` words it.

    Bytes that are not UTF-8 can only hide in strings of an array msgspec splits into items
    (anywhere else they are a syntax error, and the file is read whole), and the parse of the
    item that holds them fails: so the file is not decoded ahead of its items, which took a
    twentieth of a round-trip import."""
    try:
        yield from items
    except UnicodeDecodeError:
        _decoded(data, path)  # raises E204, naming the first byte that is not UTF-8
        raise AssertionError("an item that is not UTF-8 in a file that is") from None
    except (RecursionError, ValueError) as err:
        raise _unreadable(str(path), err) from None


def load_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed object)`` for every non-blank line of a JSON Lines file.

    Raises:
        InputError: E160 naming the line and column of the first syntax error.
    """
    text = _decode(path)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = fastjson.loads(line)
        except json.JSONDecodeError as err:
            raise _syntax_error(path, err, number) from None
        except (RecursionError, ValueError) as err:
            raise _unreadable(f"{path}:{number}", err) from None
        yield number, value


def is_id(value: object) -> bool:
    """Whether a tool's region, entity or relation id is one: a string or an integer (not
    ``true`` or ``false``, which Python counts as integers)."""
    return type(value) is str or type(value) is int


def type_error(what: str, expected: str, value: object, where: str) -> InputError:
    """E161: ``what`` holds ``value`` where ``expected`` belongs."""
    return InputError(
        "E161",
        f"{what} must be {expected}, not {json.dumps(value, ensure_ascii=False)[:60]}.",
        fix="Fix the file, or export it from the tool again.",
        where=where,
    )


def item_text(value: object, what: str, fix: str, where: str) -> str:
    """The text an imported item's offsets index, as the tool gave it.

    Raises:
        InputError: E162 when there is none (``fix`` says how to export it), E161 when it is
            not a string.
    """
    if value is None:
        raise InputError(
            "E162", f"has no {what}, so its offsets cannot be checked.", fix=fix, where=where
        )
    if not isinstance(value, str):
        raise type_error(what, "a string", value, where)
    return value


#: A character outside the Basic Multilingual Plane: two UTF-16 code units.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass
class Regions:
    """One document's regions and relations as a tool gave them, checked on the way in.

    Offsets count in ``text``, the tool's copy of the document's text.
    """

    text: str
    schema: Schema
    where: str
    repairs: Counter[str]
    #: What the tool calls a region, for messages (``region``, ``entity``).
    noun: str = "region"
    ids: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    #: ``(head region id, tail region id, label, where)``, checked by :meth:`relation_indices`.
    relations: list[tuple[str, str, str, str]] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _labels: frozenset[str] = field(init=False)
    _astral: int | None = field(init=False)

    def __post_init__(self) -> None:
        self._labels = frozenset(self.schema.entity_labels)
        # Past the first character outside the BMP, character and UTF-16 offsets differ: a
        # span given without its text there cannot be told right from shifted.
        astral = _ASTRAL.search(self.text)
        self._astral = astral.start() if astral else None

    def add_span(
        self, region_id: str, start: object, end: object, label: object, expected: str | None
    ) -> None:
        """Check and keep one region.

        Raises:
            InputError: E153 unknown label; E151 offsets that do not give back ``expected``;
                E161 a region id used twice.
        """
        text = self.text
        # Nearly every region is right as given: settled in a few comparisons, without the
        # messages and repairs that :meth:`_checked` prepares.
        if (
            type(label) is str
            and label in self._labels
            and region_id not in self._index
            and type(start) is int
            and type(end) is int
            and 0 <= start < end <= len(text)
            and (expected is None or text[start:end] == expected)
        ):
            self._keep(region_id, start, end, label)
        else:
            self._keep(region_id, *self._checked(region_id, start, end, label, expected))
        if expected is None and self._astral is not None and self.spans[-1][1] > self._astral:
            self.repairs["unchecked"] += 1

    def _keep(self, region_id: str, start: int, end: int, label: str) -> None:
        self._index[region_id] = len(self.spans)
        self.ids.append(region_id)
        self.spans.append((start, end, label))

    def _checked(
        self, region_id: str, start: object, end: object, label: object, expected: str | None
    ) -> tuple[int, int, str]:
        """The region's offsets (repaired if a known shift gives back ``expected``) and label,
        or the error that refuses it."""
        where = f"{self.where}, {self.noun} {region_id}"
        if error := label_error(label, "entity", self.schema, where):
            raise error
        if region_id in self._index:
            raise InputError(
                "E161",
                f"{self.noun} id appears twice in one annotation, so relations to it are "
                "ambiguous.",
                fix=f"Give each {self.noun} its own id.",
                where=where,
            )
        span = check_span(self.text, start, end, expected, where)
        if span.repair:
            self.repairs[span.repair] += 1
        return span.start, span.end, str(label)

    def add_relation(self, head: str, tail: str, label: object, where: str) -> None:
        """Keep one relation by region ids (checked once every region is read).

        Raises:
            InputError: E153 unknown relation label.
        """
        if error := label_error(label, "relation", self.schema, where):
            raise error
        self.relations.append((head, tail, str(label), where))

    def relation_indices(self) -> list[tuple[int, int, str]]:
        """The relations as ``(head, tail, label)`` indices into :attr:`spans`.

        Raises:
            InputError: E165 naming a relation argument that is no region of the annotation.
        """
        out = []
        for head, tail, label, where in self.relations:
            for side, ident in (("from", head), ("to", tail)):
                if ident not in self._index:
                    known = ", ".join(self.ids[:10]) or "none"
                    raise InputError(
                        "E165",
                        f"relation {label!r} points {side} {self.noun} {ident!r}, which is "
                        f"not among the {self.noun} ids of this annotation ({known}).",
                        fix=f"Remove the relation, or restore the {self.noun} it links.",
                        where=where,
                    )
            out.append((self._index[head], self._index[tail], label))
        return out


class PlanBuilder:
    """Collects one import's documents into an :class:`ImportPlan`."""

    def __init__(self, fmt: str, path: Path, project: Project, options: ImportOptions) -> None:
        self.project = project
        self.options = options
        self.schema = Schema.load(project.schema_path)
        self.index = DocumentIndex(project)
        self.plan = ImportPlan(fmt, str(path))
        self.repairs: Counter[str] = Counter()
        self.selected = set(checked_ids(project, options.doc_ids)) if options.doc_ids else None
        self._seen: dict[tuple[str, str | None], str] = {}

    def regions(self, text: str, where: str, noun: str = "region") -> Regions:
        """An empty :class:`Regions` for one item whose offsets count in ``text``."""
        return Regions(text, self.schema, where, self.repairs, noun)

    def match(self, doc_id: object, text: str | None, where: str) -> tuple[str, str]:
        """The corpus document (id, current text) of an item: see
        :func:`~newscorpus.formats.common.match_document`."""
        return match_document(self.index, doc_id, text, where)

    def selected_doc(self, doc_id: str) -> bool:
        """False (and counted) when the import was limited to other documents."""
        if self.selected is None or doc_id in self.selected:
            return True
        self.plan.skipped["items for documents not selected"] += 1
        return False

    def add(
        self,
        doc_id: str,
        corpus_text: str,
        regions: Regions,
        annotator: str | None,
        *,
        unannotated_is_none: bool = False,
    ) -> None:
        """Plan the annotation file of ``doc_id`` (gold, or ``annotator``'s set) from
        ``regions`` (``unannotated_is_none``: see :func:`plan_change`).

        Raises:
            InputError: E163 a second item for the same document and set; E165 (see
                :meth:`Regions.relation_indices`); E166 re-anchoring would lose annotations.
            NewscorpusError: E154 the document's new annotations do not validate.
        """
        key = (doc_id, annotator)
        if key in self._seen:
            who = f" for annotator {annotator!r}" if annotator else ""
            raise InputError(
                "E163",
                f"is a second item for document {doc_id!r}{who} (the first is {self._seen[key]}); "
                "an import holds each document once.",
                fix="Remove the duplicate task or line, or import the copies one at a time.",
                where=regions.where,
            )
        self._seen[key] = regions.where
        spans = regions.spans
        relations = regions.relation_indices()
        if regions.text != corpus_text:
            spans = self._reanchored(doc_id, corpus_text, regions, relations)
        previous = self.index.current(self.schema, doc_id, corpus_text, annotator)
        after = annotation_data(doc_id, corpus_text, spans, relations, previous)
        change = Change(doc_id, annotator, previous, after, where=regions.where)
        plan_change(
            self.plan,
            self.schema,
            corpus_text,
            change,
            self.options,
            unannotated_is_none=unannotated_is_none,
        )

    def _reanchored(
        self,
        doc_id: str,
        corpus_text: str,
        regions: Regions,
        relations: list[tuple[int, int, str]],
    ) -> list[tuple[int, int, str]]:
        """The spans moved from the tool's text onto ``corpus_text``, reported per status."""
        entities = tuple(
            Entity(ident, start, end, label, regions.text[start:end])
            for ident, (start, end, label) in zip(regions.ids, regions.spans, strict=True)
        )
        links = tuple(
            Relation(f"{regions.ids[h]}->{regions.ids[t]}", regions.ids[h], regions.ids[t], label)
            for h, t, label in relations
        )
        result = reanchor(regions.text, corpus_text, entities, links)
        # A span that would cover other text (changed) is refused as one whose text is gone
        # (lost): imported, it would be gold on words nobody annotated.
        refused = [
            f"  {describe(o)}" for o in result.outcomes if o.status in (Status.CHANGED, Status.LOST)
        ]
        if refused:
            raise NewscorpusError(
                "E166",
                f"the tool's text differs from corpus/{doc_id}/text.txt and {len(refused)} "
                "annotation(s) lie in text that is no longer there or would cover other text "
                "there; nothing was written:\n" + "\n".join(refused) + "\n",
                fix="Re-create them on the current text (export again), or delete them in the "
                "tool.",
                where=regions.where,
            )
        counts = ", ".join(f"{n} {status}" for status, n in result.counts().items())
        self.plan.warnings.append(
            f"{doc_id}: the tool's text differs from text.txt; annotations re-anchored: {counts}"
        )
        moved = {e.id: e for e in result.entities}
        return [(moved[i].start, moved[i].end, moved[i].label) for i in regions.ids if i in moved]

    def finish(self) -> ImportPlan:
        """The plan, with one warning per kind of offset repair made."""
        for repair, count in sorted(self.repairs.items()):
            self.plan.warnings.append(f"{count} {REPAIRS[repair]}")
        return self.plan
