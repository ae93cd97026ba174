"""The spaCy export's DocBin sections, made from a document's tokens without a Doc
(``DocRecords``), are the bytes ``DocBin`` writes for the Doc spaCy's own API makes of the same
tokens, sentences, entities and relations."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, DocBin, Span

from newscorpus.formats.docbin import DocBinWriter
from newscorpus.formats.spacy import (
    DOCBIN_ATTRS,
    DocRecords,
    msgpack_hooks_resolved,
    register_extensions,
)
from newscorpus.formats.tokens import Tokenised
from newscorpus.model import Document, Entity, Relation, outermost
from newscorpus.nlp import make_nlp
from newscorpus.views import Sentence

# Tokens hold no whitespace; some are spaCy symbol names (their hash is the symbol's id), some
# are outside the Basic Multilingual Plane, one is long.
TOKENS = ["India", "5G", ",", "(", "IoT", ")", "🚀", "ORTH", "GPE", "PERSON", "Ünïcode", "n't"]
TOKENS.append("x" * 300)
# What comes between two tokens; "" makes them adjacent.
GAPS = ["", " ", " ", "  ", "\n", "\n\n", " \n", "\t", "\xa0", " \r\n "]
LABELS = ["GPE", "ORG", "PERSON", "EVENT"]


@st.composite
def items(draw: st.DrawFn) -> Tokenised:
    words = draw(st.lists(st.sampled_from(TOKENS), max_size=14))
    gaps = draw(st.lists(st.sampled_from(GAPS), min_size=len(words) + 1, max_size=len(words) + 1))
    if not words:
        gaps = [draw(st.sampled_from(["", " ", "\n\n "]))]
    text, spans = gaps[0], []
    for word, gap in zip(words, gaps[1:], strict=True):
        spans.append((len(text), len(text) + len(word)))
        text += word + gap
    cuts = sorted(draw(st.sets(st.integers(1, max(len(spans) - 1, 1)), max_size=4)))
    bounds = [0, *(c for c in cuts if c < len(spans)), len(spans)] if spans else []
    sentences = [
        Sentence(spans[a][0], spans[b - 1][1], tuple(spans[a:b]))
        for a, b in pairwise(bounds)
        if a < b
    ]
    entities: list[Entity] = []
    for first, last, label in draw(
        st.lists(
            st.tuples(st.integers(0, 13), st.integers(0, 13), st.sampled_from(LABELS)),
            max_size=8,
        )
    ):
        first, last = sorted((first, last))
        if last >= len(spans):
            continue
        start, end = spans[first][0], spans[last][1]
        # Nested or apart, never crossing (the validator refuses crossing entities).
        if not any(
            start < e.start < end < e.end or e.start < start < e.end < end for e in entities
        ):
            entities.append(Entity(f"T{len(entities) + 1}", start, end, label, text[start:end]))
    relations = [
        Relation(f"R{n}", head.id, tail.id, "located_in")
        for n, (head, tail) in enumerate(zip(entities, reversed(entities), strict=True), start=1)
    ]
    return Tokenised(Document("doc-1", text, tuple(entities), tuple(relations)), "train", sentences)


def usual_doc(vocab: object, item: Tokenised) -> Doc:
    """The Doc spaCy's API makes of ``item``, whitespace as spaCy's tokenizer keeps it: one
    space after a token is its trailing space; any other whitespace is a token of its own."""
    text = item.document.text
    spans = [span for sentence in item.sentences for span in sentence.tokens]
    sentence_starts = {sentence.tokens[0] for sentence in item.sentences}
    words: list[str] = []
    spaces: list[bool] = []
    starts: list[bool] = []
    index: dict[int, int] = {}  # the Doc token of each view token

    def whitespace(gap: str, first: bool) -> None:
        if gap:
            words.append(gap)
            spaces.append(False)
            starts.append(first)

    whitespace(text[: spans[0][0]] if spans else text, True)
    for n, (start, end) in enumerate(spans):
        index[n] = len(words)
        gap = text[end : spans[n + 1][0] if n + 1 < len(spans) else len(text)]
        words.append(text[start:end])
        spaces.append(gap.startswith(" "))
        starts.append((start, end) in sentence_starts)
        whitespace(gap[1:] if gap.startswith(" ") else gap, False)
    doc = Doc(vocab, words=words, spaces=spaces, sent_starts=starts)
    assert doc.text == text
    firsts = {start: index[n] for n, (start, _) in enumerate(spans)}
    lasts = {end: index[n] for n, (_, end) in enumerate(spans)}

    def span(entity: Entity, **ids: str) -> Span:
        return Span(doc, firsts[entity.start], lasts[entity.end] + 1, label=entity.label, **ids)

    doc.ents = [span(e) for e in outermost(item.document.entities)]
    doc.spans["entities"] = [span(e, span_id=e.id) for e in item.document.entities]
    doc._.relations = [[r.id, r.head, r.tail, r.label] for r in item.document.relations]
    doc._.doc_id = item.document.id
    return doc


@pytest.fixture(scope="module")
def nlp() -> object:
    register_extensions()
    return make_nlp()


@settings(max_examples=300, deadline=None)
@given(item=items())
def test_a_record_is_what_docbin_files_for_the_usual_doc(
    nlp: object, item: Tokenised, tmp_path_factory: pytest.TempPathFactory
) -> None:
    vocab = nlp.vocab  # type: ignore[attr-defined]
    with msgpack_hooks_resolved():
        writer = DocBinWriter(DOCBIN_ATTRS, tmp_path_factory.mktemp("spool"))
        writer.file(DocRecords(vocab, writer.attrs).record(item))
        pieces: list[bytes] = []
        writer.finish(pieces.append)
        usual = DocBin(DOCBIN_ATTRS, docs=[usual_doc(vocab, item)], store_user_data=True)
        assert b"".join(pieces) == usual.to_bytes()


def test_the_strategy_makes_what_the_record_must_handle(nlp: object) -> None:
    """The generated documents reach the cases above: whitespace tokens, adjacent and nested
    entities, symbol names, an empty text."""
    seen = {"gap token": False, "nested": False, "symbol": False, "empty": False}

    @settings(max_examples=300, deadline=None)
    @given(item=items())
    def look(item: Tokenised) -> None:
        text = item.document.text
        seen["gap token"] |= bool(re.search(r"\S(\s{2,}|[^ \S])", text))
        seen["empty"] |= not text.strip()
        seen["symbol"] |= "ORTH" in text.split()
        entities = item.document.entities
        seen["nested"] |= len(outermost(entities)) < len(entities)

    look()
    assert seen == dict.fromkeys(seen, True)


def test_records_share_one_vocabulary_across_documents(nlp: object, tmp_path: Path) -> None:
    """Hashes and norms learnt from one document are reused for the next (the memo), and
    each file's string table still holds every string its own Docs need."""
    vocab = nlp.vocab  # type: ignore[attr-defined]
    first = Tokenised(Document("a", "India signed"), "train", [Sentence(0, 12, ((0, 5), (6, 12)))])
    second = Tokenised(Document("b", "India"), "train", [Sentence(0, 5, ((0, 5),))])
    with msgpack_hooks_resolved():
        writer = DocBinWriter(DOCBIN_ATTRS, tmp_path)
        records = DocRecords(vocab, writer.attrs)
        records.record(first)
        writer.file(records.record(second))
        pieces: list[bytes] = []
        writer.finish(pieces.append)
    usual = DocBin(DOCBIN_ATTRS, docs=[usual_doc(vocab, second)], store_user_data=True)
    assert b"".join(pieces) == usual.to_bytes()
    assert writer.strings == {"", "India", "india"}
