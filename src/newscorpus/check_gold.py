"""Read gold for the corpus-wide checks: every file checked, quickly, one document at a time.

``newscorpus check`` reads all of gold twice (once to learn every annotated text, once to scan
the texts), so reading must cost little more than parsing the JSON, and must keep nothing
beyond the document at hand. Entities and relations come back as small tuples
(:class:`Mention`, :class:`Link`) rather than annotation objects.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from newscorpus.annotations import annotation_files, text_sha256
from newscorpus.annotators import orphan_error, read_checked
from newscorpus.corpus import TEXT_FILE, article_dir, doc_ids, load_article
from newscorpus.project import Project
from newscorpus.schema import Schema


class Mention(NamedTuple):
    """An entity as the checks need it."""

    id: str
    start: int
    end: int
    label: str
    text: str


class Mentioned(Protocol):
    """Anything with an entity's fields: a :class:`Mention`, or a
    :class:`~newscorpus.model.Entity` the caller already has (no copy needed)."""

    @property
    def id(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def label(self) -> str: ...
    @property
    def text(self) -> str: ...


class Link(NamedTuple):
    """A relation as the checks need it."""

    id: str
    head: str
    tail: str
    label: str


def gold_documents(
    project: Project,
    schema: Schema,
    *,
    checked: bool,
    files: Sequence[Path] | None = None,
    stored: Collection[str] | None = None,
) -> Iterator[tuple[str, str, list[Mention], list[Link]]]:
    """Each gold file's document id, article text, entities and relations, in id order, one
    document at a time.

    With ``checked``, a file is first read with a quick check of what the checks rely on (JSON
    shape, the document id and text hash, ids, offsets and texts, schema labels, relation
    arguments); only a file that fails it goes through the full validator, for its first error
    (E173). On a valid corpus this costs little more than parsing the JSON. Without it (the
    second pass, over files the first has checked) the file is only parsed, and goes to the
    validator only if it cannot be.

    ``files`` (default: every gold file) and ``stored`` (default: the stored article ids) let
    a worker read its part of gold without listing the project again.

    Raises:
        NewscorpusError: E172 a file without an article, E173 a file that does not validate,
            E212 an article that cannot be read.
    """
    if stored is None:
        stored = set(doc_ids(project))
    labels = frozenset(schema.entity_labels)
    for file in annotation_files(project) if files is None else files:
        doc_id = file.stem
        if doc_id not in stored:
            raise orphan_error(project, file, None)
        try:
            text = (article_dir(project, doc_id) / TEXT_FILE).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            text = load_article(project, doc_id).text  # raises E212 with the reason
        read = _quick(file, doc_id, text, labels if checked else None)
        if read is None:
            gold = read_checked(project, file, schema, text, None)
            read = (
                [Mention(e.id, e.start, e.end, e.label, e.text) for e in gold.entities],
                [Link(r.id, r.head, r.tail, r.label) for r in gold.relations],
            )
        yield doc_id, text, read[0], read[1]


def _quick(
    file: Path, doc_id: str, text: str, labels: frozenset[str] | None
) -> tuple[list[Mention], list[Link]] | None:
    """The file's entities and relations when it parses (and, with ``labels``, when the quick
    check passes), else None."""
    try:
        data = json.loads(file.read_bytes())
        mentions = [
            Mention(e["id"], e["start"], e["end"], e["label"], e["text"]) for e in data["entities"]
        ]
        links = [Link(r["id"], r["head"], r["tail"], r["label"]) for r in data["relations"]]
    except (OSError, ValueError, RecursionError, KeyError, TypeError):
        return None
    if labels is None:
        return mentions, links
    if data.get("doc_id") != doc_id or data.get("text_sha256") != text_sha256(text):
        return None
    ids: set[str] = set()
    # Types before membership: a list or a dict where a string belongs cannot be hashed.
    for e in mentions:
        if (
            type(e.start) is not int
            or type(e.end) is not int
            or not isinstance(e.label, str)
            or not isinstance(e.id, str)
            or not 0 <= e.start < e.end
            or text[e.start : e.end] != e.text
            or e.label not in labels
            or e.id in ids
        ):
            return None
        ids.add(e.id)
    if any(
        not isinstance(r.head, str)
        or not isinstance(r.tail, str)
        or not isinstance(r.label, str)
        or not isinstance(r.id, str)
        or r.head not in ids
        or r.tail not in ids
        for r in links
    ):
        return None
    return mentions, links
