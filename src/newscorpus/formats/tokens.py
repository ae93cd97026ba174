"""Exported documents as the ``sentences`` config sees them: split, sentences, tokens, BIO tags.

The ``spacy`` and ``conll`` exports both go through :func:`tokenised`, which makes each
document's sentences with the project's pipeline (:func:`newscorpus.nlp.segment_text`), merges
those an entity crosses, checks that every entity starts and ends on token boundaries, and makes
the rows with :func:`newscorpus.views.sentence_rows` when they are asked for: what they write
are the tokens and tags of the dataset's ``sentences`` config, not a second derivation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from newscorpus.annotations import annotation_path
from newscorpus.errors import NewscorpusError
from newscorpus.formats.common import ExportDocument
from newscorpus.model import Document
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import assign_split, check_overrides
from newscorpus.views import Sentence, locate, merge_sentences, sentence_rows

if TYPE_CHECKING:
    from spacy.language import Language


@dataclass(frozen=True)
class Tokenised:
    """One document, its split, and its ``sentences`` view."""

    document: Document
    split: str
    #: The sentences after merging those an entity crosses, as the view uses them.
    sentences: list[Sentence]

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        """The ``sentences`` rows (``tokens``, ``token_starts``, ``token_ends``, ``ner_tags``...),
        made when first asked for: the spaCy export needs only the sentences."""
        return sentence_rows(self.document, self.sentences)


def tokenised(
    project: Project, documents: Iterable[ExportDocument], nlp: Language | None = None
) -> Iterator[Tokenised]:
    """Each document with its split and its ``sentences`` view, tokenised with ``nlp`` (by
    default :func:`newscorpus.nlp.make_nlp` with the schema's abbreviations, as the build).

    Raises:
        NewscorpusError: E305 for a bad split override; E302 naming the annotation file of an
            entity that does not start and end on token boundaries.
    """
    from newscorpus.nlp import make_nlp, segment_text

    check_overrides(project.split_overrides)
    if nlp is None:
        nlp = make_nlp(Schema.load(project.schema_path).abbreviations)
    for doc in documents:
        stored = doc.annotations
        document = Document(
            doc.doc_id,
            doc.text,
            stored.entities if stored else (),
            stored.relations if stored else (),
        )
        sentences, _ = merge_sentences(segment_text(nlp, doc.text), document.entities)
        try:
            locate(document, sentences)  # every entity on token boundaries of one sentence
        except NewscorpusError as err:
            where = project.relative(annotation_path(project, doc.doc_id))
            raise NewscorpusError(err.code, err.message, fix=err.fix, where=where) from None
        split = assign_split(doc.doc_id, project.split_overrides)
        yield Tokenised(document, split, sentences)
