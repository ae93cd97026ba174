"""Read the corpus as the viewer shows it: every document, valid or not, with its issues.

The viewer exists to look at annotations, most of all broken ones, so it reads what the build
would refuse: the validator's issues come with each document
(:func:`newscorpus.validate_file.check_document`, one pass over the files), and an annotation
file with errors is read leniently, keeping every entity and relation whose fields have the
right types.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from newscorpus.annotations import annotation_path, entity_extra, relation_extra
from newscorpus.cache import Cache, cache_dir
from newscorpus.check_gold import Mentioned
from newscorpus.corpus import META_FILE, article_dir, doc_ids
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.model import Entity, Relation
from newscorpus.normalise import Edit
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import assign_split
from newscorpus.validate import project_issues
from newscorpus.validate_file import check_document, load_schema, sort_issues


class DocumentConsistency(Protocol):
    """A consistency check over the whole project (e.g. the same mention labelled differently
    in two documents) that gives each document's issues as the viewer reads it (see
    :class:`newscorpus.check.DocumentChecks`). The viewer shows them beside validation."""

    def for_document(
        self, doc_id: str, text: str | None, mentions: Sequence[Mentioned]
    ) -> Sequence[Issue]: ...


#: Makes the check for a project, or None when it cannot run.
ConsistencyCheck = Callable[[Project], DocumentConsistency | None]


@dataclass(frozen=True)
class ViewDocument:
    """One document as the viewer shows it."""

    id: str
    split: str
    meta: Mapping[str, Any]
    #: The stored normalised text, or None when it cannot be read.
    text: str | None
    #: The raw text, or None when it cannot be read.
    raw: str | None
    #: What today's normaliser changes in the raw text, or None when it cannot say (no raw
    #: text, or the project's rules are invalid).
    edits: tuple[Edit, ...] | None
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]
    #: Validation issues of the article and its annotation file, sorted.
    issues: tuple[Issue, ...]
    #: Issues of the consistency check, when one was given; None when none was run.
    consistency: tuple[Issue, ...] | None
    has_annotations: bool

    @property
    def title(self) -> str | None:
        title = self.meta.get("title")
        return title if isinstance(title, str) else None

    @property
    def stale(self) -> bool:
        """The annotations were made on another text (E143): their offsets mean nothing here."""
        return any(i.code == "E143" for i in self.issues)


@dataclass(frozen=True)
class Corpus:
    """What the site is built from."""

    schema: Schema | None
    #: Problems that belong to no listed document (schema, stray files).
    project_issues: tuple[Issue, ...]
    doc_ids: tuple[str, ...]
    #: Validation issues of the listed documents that :func:`validate_project` reports apart
    #: (W102, no annotation file), by document id.
    extra_issues: Mapping[str, tuple[Issue, ...]]
    consistency: DocumentConsistency | None
    #: Where normalisations are remembered (as ``validate`` and ``add`` remember them), or None.
    cache: Cache | None = None


def open_corpus(
    project: Project,
    wanted: Sequence[str] | None = None,
    consistency: ConsistencyCheck | None = None,
    *,
    use_cache: bool = True,
) -> Corpus:
    """The schema, the document ids (``wanted``, or all) and the project-wide issues; with
    ``use_cache``, the documents' normalisations are looked up in, and stored to,
    ``.newscorpus/cache/`` (the pages are the same either way).

    Raises:
        NewscorpusError: E213 when a wanted id is not a stored article.
    """
    from newscorpus.annotations import annotation_files
    from newscorpus.errors import InputError

    schema, issues = load_schema(project)
    stored = doc_ids(project)
    if wanted:
        known = set(stored)
        for doc_id in wanted:
            if doc_id not in known:
                raise InputError(
                    "E213",
                    f"no article with document id {doc_id!r} in {project.corpus_dir}/.",
                    fix="Pass ids of stored articles (folders of the corpus), or no id to view "
                    "every document.",
                )
        ids = tuple(sorted(set(wanted)))
    else:
        ids = tuple(stored)
    files = annotation_files(project)
    by_doc: dict[str, list[Issue]] = {}
    rest = list(issues)
    folders = {project.relative(article_dir(project, d)): d for d in ids}
    for found in project_issues(project, schema, files, stored, whole=True):
        owner = folders.get(found.path)
        if owner is not None:
            by_doc.setdefault(owner, []).append(found)
        elif not wanted:
            rest.append(found)
    checked = consistency(project) if consistency is not None else None
    return Corpus(
        schema,
        sort_issues(rest),
        ids,
        {k: tuple(v) for k, v in by_doc.items()},
        checked,
        Cache(cache_dir(project)) if use_cache else None,
    )


def iter_documents(project: Project, corpus: Corpus) -> Iterator[ViewDocument]:
    """The listed documents in id order, read one at a time."""
    for doc_id in corpus.doc_ids:
        yield read_document(project, corpus, doc_id)


def read_document(project: Project, corpus: Corpus, doc_id: str) -> ViewDocument:
    """One document with its validation (and, when run, consistency) issues."""
    path = annotation_path(project, doc_id)
    present = path.is_file()
    cache = corpus.cache
    # A folder or dangling link where the file belongs is checked too: validate reports it.
    files = [path] if present or path.exists() or path.is_symlink() else []
    checked = check_document(project, doc_id, files, corpus.schema, cache=cache, normalised=False)
    annotations = checked.annotations()
    if annotations is not None:
        entities, relations = annotations.entities, annotations.relations
    elif present:
        entities, relations = _lenient(path)
    else:
        entities, relations = (), ()
    meta = checked.article.meta or _meta(project, doc_id)
    raw = checked.article.raw
    edits = checked.article.edits()
    if edits is None and raw is not None:
        edits = _edits(project, raw, cache)
    consistency = None
    if corpus.consistency is not None:
        found = corpus.consistency.for_document(doc_id, checked.article.text, entities)
        consistency = sort_issues(found)
    return ViewDocument(
        id=doc_id,
        split=assign_split(doc_id, project.split_overrides),
        meta=meta,
        text=checked.article.text,
        raw=raw,
        edits=edits,
        entities=entities,
        relations=relations,
        issues=sort_issues([*checked.issues, *corpus.extra_issues.get(doc_id, ())]),
        consistency=consistency,
        has_annotations=present,
    )


def _edits(project: Project, raw: str, cache: Cache | None) -> tuple[Edit, ...] | None:
    """What the normaliser changes in ``raw`` when validation did not find out (``text.txt``
    cannot be read, so it was not compared), remembered in ``cache``; None when the project's
    rules are invalid (E002, reported)."""
    from newscorpus.cache import remember_normalised
    from newscorpus.normalise import normalise

    try:
        normalised = normalise(raw, project.normalise_rules)
    except NewscorpusError:
        return None
    if cache is not None:
        raw_sha256 = hashlib.sha256(raw.encode("utf-8")).hexdigest()
        remember_normalised(cache, project, raw_sha256, normalised)
    return normalised.edits


def _meta(project: Project, doc_id: str) -> dict[str, Any]:
    """``meta.json`` as far as it parses (the validator has said what is wrong with it)."""
    try:
        data = json.loads((article_dir(project, doc_id) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _lenient(path: Path) -> tuple[tuple[Entity, ...], tuple[Relation, ...]]:
    """The entities and relations of an annotation file with errors whose fields are usable."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return (), ()
    if not isinstance(data, dict):
        return (), ()
    return lenient_annotations(data)


def lenient_annotations(data: Mapping[str, Any]) -> tuple[tuple[Entity, ...], tuple[Relation, ...]]:
    """Every entity and relation of parsed annotation JSON whose fields have the right types.

    >>> lenient_annotations({"entities": [{"id": "T1", "start": 0, "end": 2, "label": "X"},
    ...                                   {"id": "T2", "start": "0"}]})[0][0].id
    'T1'
    """
    entities = tuple(
        Entity(
            e["id"],
            e["start"],
            e["end"],
            e["label"],
            e["text"] if isinstance(e.get("text"), str) else "",
            e["source"] if isinstance(e.get("source"), str) else None,
            entity_extra(e),
        )
        for e in _items(data, "entities")
        if _entity_ok(e)
    )
    relations = tuple(
        Relation(
            r["id"],
            r["head"],
            r["tail"],
            r["label"],
            r["source"] if isinstance(r.get("source"), str) else None,
            relation_extra(r),
        )
        for r in _items(data, "relations")
        if _relation_ok(r)
    )
    return entities, relations


def _items(data: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key)
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _entity_ok(e: Mapping[str, Any]) -> bool:
    return all(isinstance(e.get(k), str) for k in ("id", "label")) and all(
        type(e.get(k)) is int for k in ("start", "end")
    )


def _relation_ok(r: Mapping[str, Any]) -> bool:
    return all(isinstance(r.get(k), str) for k in ("id", "head", "tail", "label"))
