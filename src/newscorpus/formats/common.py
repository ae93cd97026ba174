"""What every format shares: the documents to export, offsets that cross a tool's boundary,
matching imported texts to corpus documents, and applying an import plan in one transaction.

Every importer calls :func:`check_span` for each span (a tool that counted UTF-16 code units,
or CRLF line ends, is repaired with a warning; anything else is an error, never a silent
shift), :func:`match_document` for each imported text, :func:`annotation_data` to turn spans
and relations into an annotation file that keeps the ids and provenance of annotations that did
not change, and :func:`plan_change` to validate each document's new file and add it to the
plan. :func:`apply_plan` refuses to overwrite curated gold without ``replace``, and writes
through :func:`newscorpus.txn.transaction`.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from newscorpus import collector, fastjson, txn
from newscorpus.annotations import (
    AnnotationFile,
    annotation_path,
    entity_extra,
    parse_annotations,
    relation_extra,
    text_sha256,
)
from newscorpus.corpus import (
    META_FILE,
    TEXT_FILE,
    ArticleMeta,
    article_dir,
    doc_ids,
    load_meta,
    load_text,
)
from newscorpus.errors import InputError, NewscorpusError
from newscorpus.formats.base import UNANNOTATED, Change, ImportOptions, ImportPlan
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.signals import signals_deferred

if TYPE_CHECKING:
    from newscorpus.validate_memo import ProjectState


@dataclass(frozen=True)
class ExportDocument:
    """One document as every export sees it: id, metadata, normalised text, annotations.

    ``data`` is the annotation file as parsed, after it validated (None without one). Exports
    that turn each entity into another tool's JSON object read :attr:`entity_items` and
    :attr:`relation_items` straight from it: building the typed :attr:`annotations` first
    costs more than the rest of such an export's work on an entity.
    """

    doc_id: str
    meta: ArticleMeta
    text: str
    data: dict[str, Any] | None

    @cached_property
    def annotations(self) -> AnnotationFile | None:
        """The typed annotations (parsed on first use), or None without an annotation file."""
        return parse_annotations(self.data) if self.data is not None else None

    @property
    def entity_items(self) -> list[dict[str, Any]]:
        """The annotation file's entity objects (validated: every entity key is there)."""
        return self.data.get("entities", []) if self.data is not None else []

    @property
    def relation_items(self) -> list[dict[str, Any]]:
        """The annotation file's relation objects (validated, as :attr:`entity_items`)."""
        return self.data.get("relations", []) if self.data is not None else []


def checked_ids(project: Project, ids: Sequence[str] | None) -> list[str]:
    """``ids`` (or every stored id), each checked to exist.

    Raises:
        InputError: E213 naming the first unknown id.
    """
    known = doc_ids(project)
    if not ids:
        return known
    stored = set(known)
    unknown = [i for i in ids if i not in stored]
    if unknown:
        raise InputError(
            "E213",
            f"no article with id {unknown[0]!r} in the corpus.",
            fix="Check the id (`ls corpus/`), or `newscorpus add` the article first.",
        )
    return list(ids)


def export_documents(
    project: Project, ids: Sequence[str] | None, skip: Container[str] = ()
) -> Iterator[ExportDocument]:
    """The documents to export, in id order, one at a time, each once its annotations validate.

    An export carries ``text.txt`` and the annotations on it, so each annotation file is
    validated against that text (labels, offsets, covered text, hash, relations), each file read
    once, and the text fields of each ``meta.json`` are checked to be text that UTF-8 can hold
    (:func:`~newscorpus.validate_corpus.meta_field_issues`), since the title and url go out
    with it. Whether ``text.txt`` is still what today's normaliser makes of ``raw.txt`` is for
    ``validate`` and the build to say: re-normalising every article would cost more than the
    export itself. Documents are read one at a time, so memory holds one document and what the
    caller makes of the others, not every document's annotations.

    A whole export (``ids`` None) right after a clean ``newscorpus validate`` does not validate
    again: when the report ``validate`` kept (:mod:`newscorpus.validate_memo`) is for the
    project's files exactly as they are listed now and holds no error, a document whose
    ``text.txt`` and annotation file are still, after they were read, the files that listing
    saw is only parsed. A document written during the export is validated as above.

    Documents in ``skip`` are neither read nor yielded: the caller has them from elsewhere
    already validated (the token formats, from the build cache: :mod:`newscorpus.formats.tokens`).

    Raises:
        NewscorpusError: E150 with the validator's report when any chosen document has errors,
            after the last document: a caller writes nothing until it has them all, so an
            export never writes junk.
    """
    from newscorpus.validate_corpus import meta_field_issues
    from newscorpus.validate_file import check_file, load_schema, sort_issues
    from newscorpus.validate_json import printable

    chosen = list(dict.fromkeys(checked_ids(project, ids)))  # an id named twice goes once
    schema, issues = load_schema(project)
    # Only looked for when some document is read: it lists the whole project.
    validated: ProjectState | None = None
    looked = ids is not None or schema is None
    # After the first error the rest are only checked, for the report.
    failed = any(i.severity == "error" for i in issues)
    for doc_id in chosen:
        if doc_id in skip:
            continue
        if not looked:
            validated, looked = _validated_state(project), True
        meta, text = load_meta(project, doc_id), load_text(project, doc_id)
        meta_path = printable(project.relative(article_dir(project, doc_id) / META_FILE))
        found = meta_field_issues(meta.to_dict(), meta_path)
        issues += found
        failed = failed or bool(found)
        path = annotation_path(project, doc_id)
        data = None
        if path.exists() or path.is_symlink():
            data = _trusted(path, article_dir(project, doc_id) / TEXT_FILE, validated)
            if data is None:
                found, data = check_file(project, path, schema, text, known=True)
                issues += found
                failed = failed or any(i.severity == "error" for i in found)
        if not failed:
            yield ExportDocument(doc_id, meta, text, data)
    errors = [i for i in sort_issues(issues) if i.severity == "error"]
    if errors:
        shown = "\n".join(i.render() for i in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise NewscorpusError(
            "E150",
            f"the documents do not validate ({len(errors)} error(s)), so nothing was "
            f"exported:\n{shown}{more}\n",
            fix="Fix them (`newscorpus validate` lists every problem), then export again.",
        )


def _validated_state(project: Project) -> ProjectState | None:
    """The project's files as listed now, when ``validate`` kept a report without errors for
    exactly them; else None."""
    from newscorpus.validate_memo import ProjectState, recall

    state = ProjectState(project, keep_files=True)
    kept = recall(project, state)
    if kept is None or any(i.severity == "error" for i in kept[0]):
        return None
    return state


def _trusted(path: Path, text_path: Path, validated: ProjectState | None) -> Any:
    """The parsed annotation file when ``validated`` vouches for it and for the text it was
    read with (both unchanged since they were listed, checked after reading), else None.
    Links are not vouched for: the times of what they lead to need not follow its content
    (``/proc``, some network file systems)."""
    # Looked at before reading too: a file put in its place since (a pipe, say) is not opened.
    if validated is None or path.is_symlink() or text_path.is_symlink():
        return None
    if not validated.unchanged(path):
        return None
    try:
        data = fastjson.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if validated.unchanged(path) and validated.unchanged(text_path) and _shaped(data):
        return data
    return None


def _shaped(data: Any) -> bool:
    """Whether ``data`` has every field that exports and imports read, of its type: a file that
    changed without moving its times (see :mod:`newscorpus.validate_memo`) is then validated,
    and its errors reported, rather than failing where it is used."""
    return (
        type(data) is dict
        and type(data.get("doc_id")) is str
        and type(data.get("text_sha256")) is str
        and _all(data.get("entities", []), _entity_shaped)
        and _all(data.get("relations", []), _relation_shaped)
    )


def _all(items: Any, shaped: Callable[[Any], bool]) -> bool:
    return type(items) is list and all(map(shaped, items))


# One expression per kind: these run for every annotation of a trusted file.
def _entity_shaped(e: Any) -> bool:
    return (
        type(e) is dict
        and type(e.get("id")) is str
        and type(e.get("start")) is int
        and type(e.get("end")) is int
        and type(e.get("label")) is str
        and type(e.get("text")) is str
    )


def _relation_shaped(r: Any) -> bool:
    return (
        type(r) is dict
        and type(r.get("id")) is str
        and type(r.get("head")) is str
        and type(r.get("tail")) is str
        and type(r.get("label")) is str
    )


# --- offsets --------------------------------------------------------------------------------


def utf16_to_index(text: str, offset: int) -> int | None:
    """The code-point index of UTF-16 code-unit ``offset`` in ``text``, or None when it falls
    inside a surrogate pair or past the end."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def crlf_to_index(text: str, offset: int) -> int | None:
    """The index in ``text`` (LF line ends) of ``offset`` counted in the same text with CRLF
    line ends, or None when it falls between a CR and its LF."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if char == "\n" else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


@dataclass(frozen=True)
class Span:
    """A checked span: offsets into the text, and the repair made to reach them, if any."""

    start: int
    end: int
    repair: str | None = None


def check_span(text: str, start: object, end: object, expected: str | None, where: str) -> Span:
    """Check that ``[start, end)`` holds ``expected`` in ``text``, repairing known shifts.

    Tries the offsets as given, then as UTF-16 code units (text beyond the Basic Multilingual
    Plane, such as emoji, counted twice by JavaScript front ends), then as counted over CRLF
    line ends. ``expected`` None checks the offsets only (without the text a shift cannot be
    told from a deliberate span, so nothing is repaired).

    Raises:
        InputError: E151 naming ``where``, the offsets, and both texts.
    """
    if type(start) is not int or type(end) is not int or not 0 <= start < end:
        raise InputError(
            "E151",
            f"span offsets [{start!r}, {end!r}) are not two integers with 0 <= start < end.",
            fix="Fix the offsets in the file.",
            where=where,
        )
    # The alternatives cost a pass over the text each, so they are tried only on a mismatch.
    if end <= len(text) and (expected is None or text[start:end] == expected):
        return Span(start, end)
    candidates: list[tuple[int | None, int | None, str]] = []
    if expected is not None and any(ord(c) > 0xFFFF for c in text):
        candidates.append((utf16_to_index(text, start), utf16_to_index(text, end), "utf16"))
    if expected is not None and "\n" in text:
        candidates.append((crlf_to_index(text, start), crlf_to_index(text, end), "crlf"))
    for s, e, repair in candidates:
        if s is not None and e is not None and 0 <= s < e <= len(text) and text[s:e] == expected:
            return Span(s, e, repair)
    if expected is None:
        raise InputError(
            "E151",
            f"span [{start}, {end}) ends past the end of the text ({len(text)} characters).",
            fix="Check that the file was exported from the same text.",
            where=where,
        )
    found = repr(text[start:end]) if end <= len(text) else f"nothing (the text ends at {len(text)})"
    raise InputError(
        "E151",
        f"span [{start}, {end}) holds {found} in the text, not {expected!r}, and no known "
        "offset convention (UTF-16 code units, CRLF line ends) gives it back.",
        fix="Check that the file was exported from the same text; a shifted span is never "
        "imported.",
        where=where,
    )


REPAIRS = {
    "utf16": "span(s) converted from UTF-16 code units to characters",
    "crlf": "span(s) converted from CRLF-counted offsets to the corpus's LF text",
    "unchecked": "span(s) came without their text after a character outside the Basic "
    "Multilingual Plane (an emoji), so their offsets could not be checked: they were read as "
    "characters; a tool that counts UTF-16 code units puts them elsewhere, so check them",
}


# --- documents ------------------------------------------------------------------------------


class DocumentIndex:
    """Corpus documents by id, and by the sha256 of their normalised text (computed on the first
    lookup by text, since most imports carry ids), and the annotation files an import replaces
    (:meth:`current`)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        # Listed before any text is read, so a text changed since is seen as changed.
        self.validated = _validated_state(project)
        self.ids = set(doc_ids(project))
        self._by_hash: dict[str, str] | None = None

    @property
    def by_hash(self) -> dict[str, str]:
        if self._by_hash is None:
            self._by_hash = {}
            for doc_id in sorted(self.ids):
                self._by_hash.setdefault(text_sha256(self.text(doc_id)), doc_id)
        return self._by_hash

    def text(self, doc_id: str) -> str:
        return load_text(self.project, doc_id)

    def current(
        self, schema: Schema, doc_id: str, text: str, annotator: str | None
    ) -> dict[str, Any] | None:
        """The annotation file an import would replace, as read and validated against ``text``
        (the document's current text), or None when there is none: its ids and provenance are
        kept, and what the import changes is told against it, so it must hold what it says.

        As in an export, the file is only parsed when ``validate`` kept a report without errors
        for the project's files as listed when the index was made, and the file and its
        ``text.txt`` are still those files after reading (see :func:`_trusted`): a round trip
        right after ``validate`` does not validate every file a second time.

        Raises:
            NewscorpusError: E173 when it does not validate; E171 when ``annotator`` cannot
                name a set.
        """
        from newscorpus.annotators import check_annotator_name, checked_data

        if annotator is not None:
            check_annotator_name(annotator, "--annotator")
        path = annotation_path(self.project, doc_id, annotator)
        if not path.exists() and not path.is_symlink():
            return None
        trusted = _trusted(path, article_dir(self.project, doc_id) / TEXT_FILE, self.validated)
        if trusted is not None:
            return cast(dict[str, Any], trusted)
        return checked_data(self.project, path, schema, text, annotator)


def match_document(
    index: DocumentIndex, doc_id: object, text: str | None, where: str
) -> tuple[str, str]:
    """The corpus document an imported item belongs to, and its current text.

    Matched by ``doc_id`` when given, else by the sha256 of ``text`` (as given, or with CRLF
    line ends made LF, as the corpus stores them).

    Raises:
        InputError: E152 when it names no stored document or its text matches none.
    """
    if isinstance(doc_id, str) and doc_id:
        if doc_id not in index.ids:
            raise InputError(
                "E152",
                f"doc_id {doc_id!r} is not a document of this corpus.",
                fix="Check the id (`ls corpus/`), or `newscorpus add` the article first.",
                where=where,
            )
        return doc_id, index.text(doc_id)
    if text is not None:
        for candidate in dict.fromkeys((text, text.replace("\r\n", "\n"))):
            found = index.by_hash.get(text_sha256(candidate))
            if found is not None:
                return found, index.text(found)
    raise InputError(
        "E152",
        "matches no corpus document: it has no doc_id and its text is not the normalised text "
        "of any stored article.",
        fix="Export the tasks with `newscorpus export` (which sets doc_id), or add the article.",
        where=where,
    )


def annotation_data(
    doc_id: str,
    text: str,
    spans: Sequence[tuple[int, int, str]],
    relations: Sequence[tuple[int, int, str]],
    previous: dict[str, Any] | None,
) -> dict[str, Any]:
    """An annotation file, in its JSON form, from imported spans and relations.

    Args:
        spans: ``(start, end, label)`` in the order the tool gave them.
        relations: ``(head, tail, label)`` as indices into ``spans``.
        previous: the file being replaced (as read, validated): an entity with the same span
            and label keeps its id, provenance and extra keys (a relation likewise, by label
            and arguments); an entity relabelled in the tool (the one entity of its span that
            no imported span keeps) keeps its id and extra keys (a curator's note), with
            ``source: gold``; new ones get the next free ids and ``source: gold`` (made by a
            person in the tool).

    Returns ``previous`` itself when the import gives back exactly what it holds (a round
    trip, or a re-import of a tool's export in which most documents were not touched).
    """
    if previous is not None and _as_before(doc_id, text, spans, relations, previous):
        return previous
    old_entities = {(e["start"], e["end"], e["label"]): e for e in _listed(previous, "entities")}
    relabelled = _relabelled(old_entities, spans)
    counter = _Ids("T", {e["id"] for e in old_entities.values()})
    entities: list[dict[str, Any]] = []
    ids: list[str] = []
    seen: dict[tuple[int, int, str], str] = {}
    for start, end, label in spans:
        key = (start, end, label)
        if key in seen:
            ids.append(seen[key])
            continue
        before = old_entities.get(key)
        if before is not None:
            entity = _kept_entity(before, text[start:end])
        elif (start, end) in relabelled:
            old = relabelled.pop((start, end))
            entity = _kept_entity({**old, "label": label, "source": "gold"}, text[start:end])
        else:
            entity = {
                "id": counter.next(),
                "start": start,
                "end": end,
                "label": label,
                "text": text[start:end],
                "source": "gold",
            }
        entities.append(entity)
        seen[key] = entity["id"]
        ids.append(entity["id"])
    old_relations: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in _listed(previous, "relations"):
        old_relations.setdefault((r["head"], r["tail"], r["label"]), r)
    rel_counter = _Ids("R", {r["id"] for r in old_relations.values()})
    out: list[dict[str, Any]] = []
    done: set[tuple[str, str, str]] = set()
    for head, tail, label in relations:
        rel_key = (ids[head], ids[tail], label)
        if rel_key in done:
            continue
        done.add(rel_key)
        kept = old_relations.get(rel_key)
        if kept is not None:
            out.append(_kept_relation(kept))
        else:
            head_id, tail_id, _ = rel_key
            new_id = rel_counter.next()
            out.append(
                {"id": new_id, "head": head_id, "tail": tail_id, "label": label, "source": "gold"}
            )
    entities.sort(key=lambda e: (e["start"], -e["end"], e["label"], e["id"]))
    extra = {k: v for k, v in (previous or {}).items() if k not in _FILE_KEYS}
    return {
        "doc_id": doc_id,
        "text_sha256": text_sha256(text),
        **extra,
        "entities": entities,
        "relations": out,
    }


def _relabelled(
    old_entities: dict[tuple[int, int, str], dict[str, Any]],
    spans: Sequence[tuple[int, int, str]],
) -> dict[tuple[int, int], dict[str, Any]]:
    """The current entities an import relabels, by span: each the only current entity of its
    span, which no imported span keeps as it is, where the import has one span of another
    label (one relabelling, not a new entity beside it)."""
    imported = set(spans)
    labels: dict[tuple[int, int], list[str]] = {}
    for start, end, label in imported:
        labels.setdefault((start, end), []).append(label)
    current: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for (start, end, _), entity in old_entities.items():
        current.setdefault((start, end), []).append(entity)
    return {
        span: found[0]
        for span, found in current.items()
        if len(found) == 1
        and (*span, found[0]["label"]) not in imported
        and len(labels.get(span, ())) == 1
    }


def _as_before(
    doc_id: str,
    text: str,
    spans: Sequence[tuple[int, int, str]],
    relations: Sequence[tuple[int, int, str]],
    previous: dict[str, Any],
) -> bool:
    """Whether :func:`annotation_data` would make a file equal to ``previous``: the same
    spans in the same (sorted) order, each entity and relation kept as written, nothing new,
    nothing twice. Checked in a few list comparisons; when in doubt, False (the caller then
    makes the file, which decides)."""
    entities, links = previous.get("entities"), previous.get("relations")
    if entities is None or links is None or len(entities) != len(spans):
        return False
    if previous.get("doc_id") != doc_id or previous.get("text_sha256") != text_sha256(text):
        return False
    if [(e["start"], e["end"], e["label"]) for e in entities] != spans:
        return False
    # In the order the file is written in, each span once (sorted and set run in C).
    order = [(start, -end, label) for start, end, label in spans]
    if order != sorted(order) or len(set(order)) != len(order):
        return False
    # Kept as they are (see _kept_entity, _kept_relation): same text, and no source of None,
    # which the writer leaves out. (The order of keys does not count, as in Change.unchanged.)
    if [e["text"] for e in entities] != [text[start:end] for start, end, _ in spans]:
        return False
    if None in [e.get("source", "") for e in entities]:
        return False
    ids = [e["id"] for e in entities]
    asked = [(ids[head], ids[tail], label) for head, tail, label in relations]
    return (
        asked == [(r["head"], r["tail"], r["label"]) for r in links]
        and len(set(asked)) == len(asked)
        and None not in [r.get("source", "") for r in links]
    )


#: The keys of an annotation file that are not kept as the file's extra keys.
_FILE_KEYS = frozenset({"doc_id", "text_sha256", "entities", "relations"})


def _listed(data: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    return data.get(key, []) if data is not None else []


#: An entity's keys in the order the annotation-file writer gives them (:meth:`Entity.to_dict`).
_ENTITY_ORDER = ("id", "start", "end", "label", "text", "source")


def _kept_entity(e: dict[str, Any], text: str) -> dict[str, Any]:
    """``e`` as the annotation-file writer spells it (:meth:`Entity.to_dict`), with ``text``."""
    if e["text"] == text and tuple(e) == _ENTITY_ORDER and e["source"] is not None:
        return e  # as written by this project: nothing to respell
    data = {"id": e["id"], "start": e["start"], "end": e["end"], "label": e["label"], "text": text}
    if e.get("source") is not None:
        data["source"] = e["source"]
    extra = entity_extra(e)
    return {**extra, **data} if extra else data


def _kept_relation(r: dict[str, Any]) -> dict[str, Any]:
    """``r`` as the annotation-file writer spells it (:meth:`Relation.to_dict`)."""
    data = {"id": r["id"], "head": r["head"], "tail": r["tail"], "label": r["label"]}
    if r.get("source") is not None:
        data["source"] = r["source"]
    extra = relation_extra(r)
    return {**extra, **data} if extra else data


class _Ids:
    """Fresh ids ``T1, T2, ...`` that skip the ones in use."""

    def __init__(self, prefix: str, used: set[str]) -> None:
        self.prefix = prefix
        self.used = used
        self.n = 0

    def next(self) -> str:
        while True:
            self.n += 1
            ident = f"{self.prefix}{self.n}"
            if ident not in self.used:
                self.used.add(ident)
                return ident


def label_error(label: object, kind: str, schema: Schema, where: str) -> InputError | None:
    """E153 when ``label`` is not one of the schema's ``kind`` labels (entity or relation)."""
    allowed = schema.entity_labels if kind == "entity" else schema.relation_labels
    if isinstance(label, str) and label in allowed:
        return None
    return InputError(
        "E153",
        f"{kind} label {label!r} is not in the schema; allowed: {', '.join(allowed)}.",
        fix="Use one of the schema's labels (the exported label config lists them), or "
        "declare this one in schema.yaml.",
        where=where,
    )


# --- applying -------------------------------------------------------------------------------


def describe_change(change: Change) -> str:
    """``doc-id: entities +2 ~1 -0, relations +1 -0`` (``~`` changed label or text), and for a
    file written though no annotation changed, what is left to differ."""
    added, changed, removed = change.entity_changes()
    rel_added, rel_removed = change.relation_changes()
    counts = (len(added), len(changed), len(removed), len(rel_added), len(rel_removed))
    line = _counts_line(change.doc_id, change.annotator, *counts)
    if change.unchanged or any(counts):
        return line
    return f"{line} (written again: the order, ids or sources differ)"


def _counts_line(
    doc_id: str,
    annotator: str | None,
    added: int = 0,
    changed: int = 0,
    removed: int = 0,
    rel_added: int = 0,
    rel_removed: int = 0,
) -> str:
    who = f" [{annotator}]" if annotator else ""
    return (
        f"{doc_id}{who}: entities +{added} ~{changed} -{removed}, "
        f"relations +{rel_added} -{rel_removed}"
    )


def describe_plan(plan: ImportPlan) -> list[str]:
    """The plan as lines: one per document (in the import's order), then warnings and skipped
    counts."""
    changes = {(c.doc_id, c.annotator): c for c in plan.changes}
    lines = []
    for doc_id, annotator in plan.documents:
        change = changes.get((doc_id, annotator))
        lines.append(_counts_line(doc_id, annotator) if change is None else describe_change(change))
    lines += [f"warning: {w}" for w in plan.warnings]
    lines += [f"skipped: {n} {what}" for what, n in sorted(plan.skipped.items())]
    return lines


def plan_change(
    plan: ImportPlan,
    schema: Schema,
    text: str,
    change: Change,
    options: ImportOptions,
    *,
    unannotated_is_none: bool = False,
) -> None:
    """Validate ``change.after`` against ``text`` (the document's current text) and add the
    document to ``plan``; its change is kept only when it would write something, so a plan
    holds what an import changes, not the whole corpus. Reports the document to
    ``options.on_document``. With ``unannotated_is_none`` (a format that cannot say "annotated,
    nothing found"), a document without an annotation file that the import gives no entity is
    skipped and counted (:data:`~newscorpus.formats.base.UNANNOTATED`): no file is made.

    Raises:
        NewscorpusError: E154 when the imported annotations do not validate.
    """
    from newscorpus.validate_document import document_errors

    if unannotated_is_none and change.before is None and not change.after["entities"]:
        plan.skipped[UNANNOTATED] += 1
        return
    # The file as it is was validated when read (:func:`current`): the same again needs no
    # second look, and is not written.
    if not change.unchanged:
        where = change.where or plan.source
        errors = document_errors(change.after, schema, text, path=where, doc_id=change.doc_id)
        if errors:
            shown = "\n".join(i.render() for i in errors[:10])
            raise NewscorpusError(
                "E154",
                f"the imported annotations of {change.doc_id} have {len(errors)} error(s); "
                f"nothing was written:\n{shown}\n",
                fix="Fix them in the tool and import again.",
                where=where,
            )
        plan.changes.append(change)
    plan.documents.append((change.doc_id, change.annotator))
    if options.on_document is not None:
        options.on_document(change.doc_id)


@collector.paused()
def apply_plan(project: Project, plan: ImportPlan, *, replace: bool, dry_run: bool) -> list[Change]:
    """Write the plan's changes in one transaction (unless ``dry_run``); its documents were
    validated as it was made (:func:`plan_change`).

    Returns:
        The changes that write something (unchanged documents left out).

    Raises:
        NewscorpusError: E155 when it would change or remove curated gold annotations without
            ``replace``; E191 when a file to be written is no longer the one the plan was made
            from (another command changed it meanwhile: see
            :func:`newscorpus.formats.import_path`). Nothing is written.
    """
    from newscorpus.txn import transaction

    writes = plan.changes
    guarded = [c for c in writes if c.annotator is None and c.before is not None and c.overwrites]
    if guarded and not replace:
        lines = "\n".join(_overwrite_lines(c) for c in guarded)
        raise NewscorpusError(
            "E155",
            f"the import would change or remove curated annotations in {len(guarded)} "
            f"document(s); nothing was written:\n{lines}\n",
            fix="Check them; to let the import replace them, run it again with --replace (or "
            "import into an annotator's set with --annotator NAME).",
            where=plan.source,
        )
    if dry_run or not writes:
        return writes
    with transaction(project, f"import {plan.format}") as txn:
        for change in writes:
            path = annotation_path(project, change.doc_id, change.annotator)
            # Under the lock: the file is still the one the plan was made from, or nothing is
            # written (a plan made from an older copy would undo what came in between).
            if not _still(path, change.before):
                raise NewscorpusError(
                    "E191",
                    f"{project.relative(path)} changed after this import read it (another "
                    "command wrote it meanwhile); nothing was written.",
                    fix="Run the import again: it reads the file as it is now.",
                    where=plan.source,
                )
            txn.write_json(path, change.after)
    return writes


def _still(path: Path, before: dict[str, Any] | None) -> bool:
    """Whether the annotation file at ``path`` still holds ``before`` (None: there is none)."""
    if before is None:
        return not (path.exists() or path.is_symlink())
    try:
        return bool(fastjson.loads(path.read_bytes()) == before)
    except (OSError, ValueError, RecursionError):
        return False


def _overwrite_lines(change: Change) -> str:
    _, changed, removed = change.entity_changes()
    _, rel_removed = change.relation_changes()
    lines = [f"  {change.doc_id}:"]
    lines += [
        f"    ~ {old.id} {old.label} {old.text!r} [{old.start}, {old.end}) -> {new.label} "
        f"{new.text!r}"
        for old, new in changed
    ]
    lines += [f"    - {e.id} {e.label} {e.text!r} [{e.start}, {e.end})" for e in removed]
    lines += [f"    - {r.id} {r.label} {r.head} -> {r.tail}" for r in rel_removed]
    return "\n".join(lines)


def write_new_file(out: Path, name: str, data: str | bytes, report_files: list[str]) -> None:
    """Write one export file atomically and record its name."""
    from newscorpus.io import write_bytes_atomic

    write_bytes_atomic(out / name, data.encode("utf-8") if isinstance(data, str) else data)
    report_files.append(name)


#: Appends to one of an export's files: text (UTF-8) or bytes.
Writer = Callable[[str | bytes], None]


@contextmanager
def staged_files(out: Path, names: Sequence[str]) -> Iterator[dict[str, Writer]]:
    """A writer per export file ``out/<name>``, each writing into a temp file beside it; when
    the block ends without error every file is flushed to disk, then all are renamed into
    place one after another.

    So an export streams its documents to disk (its memory does not grow with the corpus), and
    whatever stops it before the end (a document that fails validation, a full disk,
    Ctrl-C) changes no file and leaves no folder it made. Temp files that an export killed
    with SIGKILL left behind are deleted by the next export into the folder, once no process
    holds them (:func:`newscorpus.io.remove_abandoned`). Ctrl-C and SIGTERM wait for the
    renames; only a SIGKILL in the microseconds between two renames, or a rename that fails
    after others succeeded (which the error says), could leave files of two exports side by
    side.

    Raises:
        NewscorpusError: E190 when the files cannot be written (no space, no permission, a
            path that is not a folder); nothing is changed unless the error says otherwise.
    """
    from newscorpus.io import PendingFile, remove_abandoned

    made = [folder for folder in (out, *out.parents) if not folder.exists()]
    pending: dict[str, PendingFile] = {}
    if not made:
        remove_abandoned(out, set(names))  # what an export killed with SIGKILL left here
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name in names:
                # An interrupt between making the temp file and keeping it here would leave it.
                with signals_deferred():
                    pending[name] = PendingFile(out / name)
        except OSError as err:
            raise unwritable(out, err) from None

        def writer(file: PendingFile) -> Writer:
            def write(data: str | bytes) -> None:
                try:
                    file.write(data.encode("utf-8") if isinstance(data, str) else data)
                except OSError as err:
                    raise unwritable(out, err) from None

            return write

        yield {name: writer(file) for name, file in pending.items()}
        try:
            for file in pending.values():
                file.finish()
        except OSError as err:
            raise unwritable(out, err) from None
        replaced: list[str] = []
        # Ctrl-C lands after the renames (the CLI then says the export completed), not between.
        with signals_deferred():
            try:
                for name, file in pending.items():
                    file.commit()
                    replaced.append(name)
            except OSError as err:
                if not replaced:
                    raise unwritable(out, err) from None
                raise _part_replaced(out, err, replaced, len(pending)) from None
            txn.completed.append("export")
    except BaseException:
        for file in pending.values():
            file.discard()
        for folder in made:  # innermost first; one that holds something else stays
            with suppress(OSError):
                folder.rmdir()
        raise


def _part_replaced(out: Path, err: OSError, replaced: list[str], total: int) -> NewscorpusError:
    reason = err.strerror or type(err).__name__
    return NewscorpusError(
        "E190",
        f"cannot write the export: {reason} ({err.filename or out}) after {len(replaced)} of "
        f"its {total} files were replaced ({', '.join(replaced)}); the folder now mixes two "
        "exports.",
        fix="Fix the cause and export again: the export replaces every file.",
        where=str(out),
    )


def unwritable(out: Path, err: OSError) -> NewscorpusError:
    """E190 for an export into ``out`` that a file system error stopped."""
    reason = err.strerror or type(err).__name__
    return NewscorpusError(
        "E190",
        f"cannot write the export: {reason} ({err.filename or out}); nothing was exported.",
        fix="Free some space, or export into a folder you can write to.",
        where=str(out),
    )


def _leftover_of(name: str, owned: Callable[[str], bool]) -> bool:
    """True for the temp file of an owned name that an interrupted export left behind."""
    from newscorpus.io import temp_target

    target = temp_target(name)
    return target is not None and owned(target)


def check_output(out: Path, owned: Callable[[str], bool], fmt: str) -> None:
    """Refuse to export into a folder that holds files this format would not write.

    ``out`` may be missing, empty, or a previous export of the same format (every entry's name
    is ``owned``): re-exporting refreshes it. Anything else could be someone's work that a
    same-named file would overwrite, so the export stops before writing.

    Raises:
        InputError: E159 naming the folder and up to five foreign entries.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(
            "E159",
            "exists and is not a folder; an export writes a folder.",
            fix="Choose a new folder name.",
            where=str(out),
        )
    foreign = sorted(
        p.name
        for p in out.iterdir()
        if not (
            p.is_file() and (owned(p.name) or (_leftover_of(p.name, owned) and not p.is_symlink()))
        )
    )
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        shown = ", ".join(foreign[:5]) + more
        raise InputError(
            "E159",
            f"holds files that a {fmt} export does not write ({shown}), so it is not a previous "
            f"{fmt} export and nothing was written.",
            fix="Export into a new or empty folder, or into a folder a previous export of the same "
            "format wrote.",
            where=str(out),
        )
