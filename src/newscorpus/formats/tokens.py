"""Exported documents as the ``sentences`` config sees them: split, sentences, tokens, BIO tags.

The ``spacy`` and ``conll`` exports both go through :func:`tokenised`, which makes each
document's sentences with the project's pipeline (:func:`newscorpus.nlp.segment_text`), merges
those an entity crosses, checks that every entity starts and ends on token boundaries, and makes
the rows with :func:`newscorpus.views.sentence_columns` when they are asked for: what they write
are the tokens and tags of the dataset's ``sentences`` config, not a second derivation.

Tokenising is most of an export's time, and a build has done it already: it keeps each
document's ``sentences`` rows in the cache (:class:`newscorpus.docunit.BuiltTokens`), under a
key that only the same files, schema, rules, settings and code give. :func:`tokenised` takes a
document's sentences from there when they are, and :func:`token_rows` (the CoNLL export) takes
its tokens and tags without reading the document at all: the entry is proof that a build
validated exactly these files. Either way the output is the same; only the time differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from newscorpus.annotations import annotation_path
from newscorpus.errors import NewscorpusError
from newscorpus.formats.common import ExportDocument, checked_ids, export_documents
from newscorpus.model import Document, outermost
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import assign_split, check_overrides
from newscorpus.views import Sentence, SentenceRows, locate, merge_sentences, sentence_columns

if TYPE_CHECKING:
    from spacy.language import Language

    from newscorpus.docunit import BuiltTokens


@dataclass(frozen=True)
class Tokenised:
    """One document, its split, and its ``sentences`` view."""

    document: Document
    split: str
    #: The sentences after merging those an entity crosses, as the view uses them.
    sentences: list[Sentence]
    #: Each entity's sentence (:func:`~newscorpus.views.locate`), when the alignment check
    #: worked it out (not for sentences from the build's entry).
    where: dict[str, int] | None = None

    @cached_property
    def rows(self) -> SentenceRows:
        """The ``sentences`` rows as columns, made when first asked for: the spaCy export needs
        only the sentences."""
        return sentence_columns(self.document, self.sentences, self.where)


def built_tokens(project: Project, schema: Schema, use_cache: bool) -> BuiltTokens | None:
    """What the builds left in the cache for the token formats (None with ``use_cache`` off)."""
    from newscorpus.docunit import BuiltTokens

    return BuiltTokens(project, schema) if use_cache else None


def tokenised(
    project: Project,
    documents: Iterable[ExportDocument],
    nlp: Language | None = None,
    built: BuiltTokens | None = None,
) -> Iterator[Tokenised]:
    """Each document with its split and its ``sentences`` view: from the build's entry in
    ``built`` when there is one, else tokenised with ``nlp`` (by default
    :func:`newscorpus.nlp.make_nlp` with the schema's abbreviations, as the build; made when a
    document first needs it).

    Raises:
        NewscorpusError: E305 for a bad split override; E302 naming the annotation file of an
            entity that does not start and end on token boundaries.
    """
    check_overrides(project.split_overrides)
    for doc in documents:
        stored = doc.annotations
        document = Document(
            doc.doc_id,
            doc.text,
            stored.entities if stored else (),
            stored.relations if stored else (),
        )
        found = built.get(doc.doc_id) if built is not None else None
        where = None
        if found is not None:
            sentences = found.sentences()
        else:
            if nlp is None:
                nlp = _project_nlp(project)
            sentences, where = _segmented(project, document, nlp)
        split = assign_split(doc.doc_id, project.split_overrides)
        yield Tokenised(document, split, sentences, where)


@dataclass(frozen=True, slots=True)
class FlatTokens:
    """What a flat token format writes of one document: each sentence's tokens and BIO tags,
    and the counts of what it cannot hold."""

    split: str
    tokens: list[list[str]]
    #: Each token's tag, by name (``B-ORG``).
    tags: list[list[str]]
    #: Entities inside another entity, and relations.
    nested: int
    relations: int


def token_rows(
    project: Project, schema: Schema, doc_ids: Sequence[str] | None, use_cache: bool = True
) -> Iterator[FlatTokens]:
    """The tokens and tags of each document to export (``doc_ids``, or all), in
    :func:`~newscorpus.formats.common.export_documents` order: a document with a build's entry
    is not read, the others are read, validated and tokenised as :func:`tokenised` does.

    Raises:
        NewscorpusError: as :func:`~newscorpus.formats.common.export_documents` (E150 once every
            document is checked) and :func:`tokenised`.
    """
    check_overrides(project.split_overrides)
    chosen = list(dict.fromkeys(checked_ids(project, doc_ids)))
    built = built_tokens(project, schema, use_cache)
    keys = built.find(chosen) if built is not None else {}
    read = tokenised(project, export_documents(project, doc_ids, skip=keys))
    names = schema.bio_tags
    for doc_id in chosen:
        split = assign_split(doc_id, project.split_overrides)
        found = built.get(doc_id, keys[doc_id]) if built is not None and doc_id in keys else None
        if found is not None:
            tags = [[names[tag] for tag in sentence] for sentence in found.tags]
            yield FlatTokens(split, found.tokens, tags, found.nested, found.relations)
            continue
        if doc_id in keys:  # an entry that did not hold up: this document the usual way
            item = next(tokenised(project, export_documents(project, [doc_id])))
        else:
            item = next(read)
        assert item.document.id == doc_id, "export_documents keeps the order of the ids"
        entities, relations = item.document.entities, item.document.relations
        nested = len(entities) - len(outermost(entities))
        rows = item.rows
        yield FlatTokens(split, rows.tokens, rows.tags, nested, len(relations))


def _project_nlp(project: Project) -> Language:
    from newscorpus.nlp import make_nlp

    return make_nlp(Schema.load(project.schema_path).abbreviations)


def _segmented(
    project: Project, document: Document, nlp: Language
) -> tuple[list[Sentence], dict[str, int]]:
    """The document's sentences as the build makes them, every entity on token boundaries,
    and each entity's sentence.

    Raises:
        NewscorpusError: E302 naming the annotation file of an entity that does not align.
    """
    from newscorpus.nlp import segment_text

    sentences, _ = merge_sentences(segment_text(nlp, document.text), document.entities)
    try:
        where = locate(document, sentences)  # every entity on token boundaries of one sentence
    except NewscorpusError as err:
        path = project.relative(annotation_path(project, document.id))
        raise NewscorpusError(err.code, err.message, fix=err.fix, where=path) from None
    return sentences, where
