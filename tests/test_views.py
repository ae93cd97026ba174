"""Rows of the documents and sentences (BIO) configs from one document."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.language import Language
from spacy.training import biluo_to_iob, offsets_to_biluo_tags

from build_helpers import AGREEMENT, AGREEMENT_ENTITIES, AGREEMENT_RELATIONS, Ent, entity
from conftest import REPO_ROOT
from newscorpus.errors import NewscorpusError
from newscorpus.model import Document, Entity, Relation, outermost
from newscorpus.nlp import make_nlp, segment
from newscorpus.normalise import normalise
from newscorpus.schema import Schema
from newscorpus.views import Sentence, document_row, locate, merge_sentences, sentence_rows

SCHEMA = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")


@pytest.fixture(scope="module")
def nlp() -> Language:
    return make_nlp()


def make_doc(text: str, ents: tuple[Ent, ...], rels: tuple[tuple[str, str, str, str], ...] = ()):
    return Document(
        "d1",
        text,
        tuple(entity(text, e) for e in ents),
        tuple(Relation(i, h, t, label) for i, h, t, label in rels),
    )


def agreement() -> Document:
    text = normalise(AGREEMENT).text
    return Document(
        "agreement",
        text,
        tuple(entity(text, e) for e in AGREEMENT_ENTITIES),
        tuple(Relation(i, h, t, label) for i, h, t, label in AGREEMENT_RELATIONS),
    )


def test_document_row() -> None:
    doc = Document(
        "d1",
        "India",
        (Entity("T1", 0, 5, "GPE", "India", "gold"),),
        (Relation("R1", "T1", "T1", "alias_of"),),
        title="A title",
        meta={"category": "News", "raw_text": "India ", "url": None, "language": "en"},
    )
    assert document_row(doc) == {
        "id": "d1",
        "title": "A title",
        "text": "India",
        "category": "News",
        "raw_text": "India ",
        "alignment": None,
        "source_file": None,
        "url": None,
        "published": None,
        "language": "en",
        "license": None,
        "raw_sha256": None,
        "text_sha256": hashlib.sha256(b"India").hexdigest(),
        "entities": [
            {"id": "T1", "start": 0, "end": 5, "label": "GPE", "text": "India", "source": "gold"}
        ],
        "relations": [
            {"id": "R1", "head": "T1", "tail": "T1", "label": "alias_of", "source": None}
        ],
    }


ORACLE_CASES = [
    ("India and Japan agree on 5G.", (Ent("T1", "India", "GPE"), Ent("T2", "5G", "TECHNOLOGY"))),
    (
        "It covers the IoT.\n\nAnd AI.",
        (Ent("T1", "IoT", "TECHNOLOGY"), Ent("T2", "AI", "TECHNOLOGY")),
    ),
    (
        "The India-Japan Strategic Dialog met in Tokyo.",
        (
            Ent("T1", "India-Japan Strategic Dialog", "EVENT"),
            Ent("T2", "India", "GPE"),
            Ent("T3", "Japan", "GPE"),
            Ent("T4", "Tokyo", "GPE"),
        ),
    ),
    (
        "Minister S Jaishankar said: 4G LTE lags 5G.",
        (Ent("T1", "S Jaishankar", "PERSON"), Ent("T2", "4G LTE", "TECHNOLOGY")),
    ),
]


@pytest.mark.parametrize(("text", "ents"), ORACLE_CASES)
def test_bio_tags_match_spacy(nlp: Language, text: str, ents: tuple[Ent, ...]) -> None:
    doc = make_doc(text, ents)
    sentences, _ = merge_sentences(segment(nlp(text)), doc.entities)
    rows = sentence_rows(doc, sentences)
    ours = [tag for row in rows for tag in row["ner_tags"]]
    spacy_doc = nlp(text)
    flat = [(e.start, e.end, e.label) for e in outermost(doc.entities)]
    oracle = biluo_to_iob(offsets_to_biluo_tags(spacy_doc, flat))
    assert ours == [tag for tag, token in zip(oracle, spacy_doc, strict=True) if not token.is_space]


def test_sentence_rows(nlp: Language) -> None:
    text = "Tokyo hosts 5G talks.\n\nIndia joins."
    doc = make_doc(text, (Ent("T1", "Tokyo", "GPE"), Ent("T2", "5G", "TECHNOLOGY")))
    assert sentence_rows(doc, segment(nlp(text))) == [
        {
            "id": "d1-s0",
            "doc_id": "d1",
            "text": "Tokyo hosts 5G talks.",
            "start": 0,
            "end": 21,
            "tokens": ["Tokyo", "hosts", "5G", "talks", "."],
            "token_starts": [0, 6, 12, 15, 20],
            "token_ends": [5, 11, 14, 20, 21],
            "ner_tags": ["B-GPE", "O", "B-TECHNOLOGY", "O", "O"],
        },
        {
            "id": "d1-s1",
            "doc_id": "d1",
            "text": "India joins.",
            "start": 23,
            "end": 35,
            "tokens": ["India", "joins", "."],
            "token_starts": [23, 29, 34],
            "token_ends": [28, 34, 35],
            "ner_tags": ["O", "O", "O"],
        },
    ]


def test_misaligned_entity_fails(nlp: Language) -> None:
    text = "Huawei is limited in the U.S. market."
    doc = make_doc(text, (Ent("T1", "Huawei", "ORG"), Ent("T2", "U.S", "GPE")))
    with pytest.raises(NewscorpusError) as err:
        sentence_rows(doc, segment(nlp(text)))
    assert err.value.render() == (
        "document d1: E302 [T2] entity [25, 28) 'U.S' (GPE) does not start and end on token "
        "boundaries (it overlaps the tokens ['U.S.']), so the token views would lose it. "
        "Move the span edges to word boundaries (`newscorpus validate` shows span edges), or "
        "extend the tokenizer fix in newscorpus.nlp if the tokenizer splits wrongly."
    )


def test_entity_across_a_sentence_boundary_merges_the_sentences(nlp: Language) -> None:
    text = "Staff at Yahoo! Japan agreed. Nobody else did."
    doc = make_doc(text, (Ent("T1", "Yahoo! Japan", "ORG"),))
    plain = segment(nlp(text))
    assert [text[s.start : s.end] for s in plain] == [
        "Staff at Yahoo!",
        "Japan agreed.",
        "Nobody else did.",
    ]
    merged, removed = merge_sentences(plain, doc.entities)
    assert removed == 1
    assert [text[s.start : s.end] for s in merged] == [
        "Staff at Yahoo! Japan agreed.",
        "Nobody else did.",
    ]
    assert sentence_rows(doc, merged)[0]["ner_tags"] == [
        "O",
        "O",
        "B-ORG",
        "I-ORG",
        "I-ORG",
        "O",
        "O",
    ]


def test_merge_sentences_over_several_boundaries() -> None:
    sentences = [Sentence(0, 2, ((0, 2),)), Sentence(3, 5, ((3, 5),)), Sentence(6, 8, ((6, 8),))]
    merged, removed = merge_sentences(sentences, [Entity("T1", 0, 8, "ORG", "")])
    assert (merged, removed) == ([Sentence(0, 8, ((0, 2), (3, 5), (6, 8)))], 2)


#: Three sentences of tokens (offsets into a text of 30 characters), and the spans tried.
SENTENCES = [
    Sentence(0, 9, ((0, 3), (4, 6), (8, 9))),
    Sentence(10, 17, ((10, 17),)),
    Sentence(20, 28, ((20, 22), (22, 23), (25, 28))),
]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 30), st.integers(1, 6))
def test_locate_finds_exactly_the_token_aligned_spans(start: int, length: int) -> None:
    """An entity is placed when one sentence holds it with a token starting at its start and
    one ending at its end, and is E302 otherwise: each edge looked up by bisection."""
    end = start + length
    doc = Document("d", "x" * 30, (Entity("T1", start, end, "ORG", ""),))
    holding = [
        n
        for n, s in enumerate(SENTENCES)
        if s.start <= start
        and end <= s.end
        and start in {a for a, _ in s.tokens}
        and end in {b for _, b in s.tokens}
    ]
    if holding:
        assert locate(doc, SENTENCES) == {"T1": holding[0]}
    else:
        with pytest.raises(NewscorpusError, match="E302"):
            locate(doc, SENTENCES)


WORDS = ["The", "India", "Japan", "Strategic", "Dialog", "met", "in", "Tokyo", "on", "Friday"]
TEXT = " ".join(WORDS)
STARTS = [sum(len(w) + 1 for w in WORDS[:i]) for i in range(len(WORDS))]


@st.composite
def nested_spans(draw: st.DrawFn) -> list[Entity]:
    """Token-aligned spans where any two either nest or are disjoint (never cross)."""
    spans: list[tuple[int, int]] = []
    for _ in range(draw(st.integers(0, 6))):
        first = draw(st.integers(0, len(WORDS) - 1))
        last = draw(st.integers(first, min(first + 3, len(WORDS) - 1)))
        crosses = any(a < first <= b < last or first < a <= last < b for a, b in spans)
        if (first, last) not in spans and not crosses:
            spans.append((first, last))
    labels = st.sampled_from(SCHEMA.entity_labels)
    return [
        Entity(f"T{i}", STARTS[a], STARTS[b] + len(WORDS[b]), draw(labels), "")
        for i, (a, b) in enumerate(spans)
    ]


@settings(max_examples=60, deadline=None)
@given(nested_spans())
def test_bio_decodes_to_the_outermost_entities(entities: list[Entity]) -> None:
    tokens = tuple((s, s + len(w)) for s, w in zip(STARTS, WORDS, strict=True))
    doc = Document("d", TEXT, tuple(entities))
    (row,) = sentence_rows(doc, [Sentence(0, len(TEXT), tokens)])
    decoded = []
    for i, tag in enumerate(row["ner_tags"]):
        if tag.startswith("B-"):
            decoded.append([tokens[i][0], tokens[i][1], tag[2:]])
        elif tag.startswith("I-"):
            decoded[-1][1] = tokens[i][1]
    assert decoded == [[e.start, e.end, e.label] for e in outermost(entities)]


def test_the_table_of_the_columns_is_the_table_of_the_rows(nlp: Language) -> None:
    from newscorpus.features import sentences_features
    from newscorpus.parquet import ConfigSchema, encode_rows
    from newscorpus.sentence_tokens import from_columns, from_rows
    from newscorpus.view_tables import sentence_table
    from newscorpus.views import sentence_columns

    schema = ConfigSchema(sentences_features(SCHEMA))
    seed = (REPO_ROOT / "corpus" / "india-japan-5g-agreement" / "text.txt").read_text("utf-8")
    docs = [
        agreement(),  # nested entities: the outermost are tagged
        Document("empty", "", (), ()),
        make_doc(seed, ()),
    ]
    parts = []
    for doc in docs:
        sentences, _ = merge_sentences(segment(nlp(doc.text)), doc.entities)
        parts.append(sentence_columns(doc, sentences))
        assert parts[-1].rows == sentence_rows(doc, sentences)
        tokens = from_columns(parts[-1], SCHEMA.bio_ids, 1, 2)
        assert tokens == from_rows(doc.id, parts[-1].rows, SCHEMA.bio_ids, 1, 2)
    rows = [row for part in parts for row in part.rows]
    assert len(rows) == sum(map(len, parts)) == 26
    assert sentence_table(parts, schema).equals(encode_rows(rows, schema))
