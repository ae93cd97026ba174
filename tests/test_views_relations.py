"""The ``relations`` view: every candidate pair of a window, matched window sizes, the cap."""

from __future__ import annotations

import hashlib
import math
import random
import tracemalloc
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language

from build_helpers import (
    AGREEMENT,
    AGREEMENT_ENTITIES,
    AGREEMENT_RELATIONS,
    Ent,
    add_document,
    entity,
    small_project,
)
from conftest import REPO_ROOT
from newscorpus.annotations import read_annotations
from newscorpus.errors import NewscorpusError
from newscorpus.model import Document, Entity, Relation
from newscorpus.nlp import make_nlp, segment
from newscorpus.normalise import normalise
from newscorpus.package import build
from newscorpus.schema import NO_RELATION, Schema
from newscorpus.views import Sentence, merge_sentences
from newscorpus.views_relations import RelationOptions, RelationRows, relation_rows

SCHEMA = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")
SEED = "india-japan-5g-agreement"


@pytest.fixture(scope="module")
def nlp() -> Language:
    return make_nlp()


def agreement() -> Document:
    text = normalise(AGREEMENT).text
    return Document(
        "agreement",
        text,
        tuple(entity(text, e) for e in AGREEMENT_ENTITIES),
        tuple(Relation(i, h, t, label) for i, h, t, label in AGREEMENT_RELATIONS),
    )


def seed() -> Document:
    text = (REPO_ROOT / "corpus" / SEED / "text.txt").read_text(encoding="utf-8")
    annotations = read_annotations(REPO_ROOT / "annotations" / f"{SEED}.json")
    return Document(SEED, text, annotations.entities, annotations.relations)


def rows_of(nlp: Language, doc: Document, options: RelationOptions) -> RelationRows:
    sentences, _ = merge_sentences(segment(nlp(doc.text)), doc.entities)
    return relation_rows(doc, sentences, SCHEMA, options)


def pairs(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["id"], r["label"], r["head"]["id"], r["tail"]["id"]) for r in rows]


def test_gold_rows_and_their_offsets(nlp: Language) -> None:
    doc = agreement()
    rows = rows_of(nlp, doc, RelationOptions("none")).rows
    # agreement_with is symmetric: both directions; the others once, as annotated.
    assert pairs(rows) == [
        ("agreement-R1", "agreement_with", "T4", "T5"),
        ("agreement-R2", "cooperates_on", "T4", "T6"),
        ("agreement-R1-rev", "agreement_with", "T5", "T4"),
        ("agreement-R3", "role_in", "T7", "T4"),
        ("agreement-R4", "located_in", "T10", "T9"),
    ]
    context = (
        "India and Japan signed an agreement on 5G. Foreign Minister S Jaishankar met Motegi "
        "in Tokyo."
    )
    start = doc.text.index(context)
    assert rows[3] == {
        "id": "agreement-R3",
        "doc_id": "agreement",
        "relation_id": "R3",
        "label": "role_in",
        "window_sentences": 2,
        "nested": False,
        "context": context,
        "context_doc_start": start,
        "context_doc_end": start + len(context),
        "tokens": [
            *["India", "and", "Japan", "signed", "an", "agreement", "on", "5G", "."],
            *["Foreign", "Minister", "S", "Jaishankar", "met", "Motegi", "in", "Tokyo", "."],
        ],
        "head": {
            "id": "T7",
            "label": "PERSON",
            "text": "S Jaishankar",
            "doc_start": start + 60,
            "doc_end": start + 72,
            "context_start": 60,
            "context_end": 72,
            "token_start": 11,
            "token_end": 13,
        },
        "tail": {
            "id": "T4",
            "label": "GPE",
            "text": "India",
            "doc_start": start,
            "doc_end": start + 5,
            "context_start": 0,
            "context_end": 5,
            "token_start": 0,
            "token_end": 1,
        },
    }
    for row in rows:
        for side in ("head", "tail"):
            arg = row[side]
            assert doc.text[arg["doc_start"] : arg["doc_end"]] == arg["text"]
            assert row["context"][arg["context_start"] : arg["context_end"]] == arg["text"]
            words = row["tokens"][arg["token_start"] : arg["token_end"]]
            assert arg["text"].startswith(words[0]) and arg["text"].endswith(words[-1])


def oracle_candidates(doc: Document, sentences: Sequence[Sentence], window: int) -> set[Any]:
    """Every candidate pair, listed the slow obvious way: (head id, tail id, window size)."""
    starts = [s.start for s in sentences]
    where = {e.id: bisect_right(starts, e.start) - 1 for e in doc.entities}
    gold = {(r.head, r.tail) for r in doc.relations}
    gold |= {(r.tail, r.head) for r in doc.relations if SCHEMA.relation(r.label).symmetric}  # type: ignore[union-attr]
    sizes = {abs(where[h] - where[t]) + 1 for h, t in gold} | set(range(1, window + 1))
    found = set()
    for head in doc.entities:
        for tail in doc.entities:
            size = abs(where[head.id] - where[tail.id]) + 1
            typed = any(k.allows(head.label, tail.label) for k in SCHEMA.relation_types)
            if head is not tail and typed and size in sizes and (head.id, tail.id) not in gold:
                found.add((head.id, tail.id, size))
    return found


@pytest.mark.parametrize("window", [1, 2])
@pytest.mark.parametrize("make", [agreement, seed])
def test_every_candidate_is_a_row(nlp: Language, make: Any, window: int) -> None:
    doc = make()
    sentences, _ = merge_sentences(segment(nlp(doc.text)), doc.entities)
    result = relation_rows(doc, sentences, SCHEMA, RelationOptions("all", window=window))
    negatives = [r for r in result.rows if r["label"] == NO_RELATION]
    found = {(r["head"]["id"], r["tail"]["id"], r["window_sentences"]) for r in negatives}
    assert len(found) == len(negatives)
    assert found == oracle_candidates(doc, sentences, window)
    assert all(r["relation_id"] is None and r["id"].endswith("-neg") for r in negatives)
    assert (result.capped_pairs, result.capped_windows, result.sampled_out) == (0, 0, 0)


def test_seed_counts(nlp: Language) -> None:
    result = rows_of(nlp, seed(), RelationOptions())
    sizes: dict[tuple[int, bool], int] = defaultdict(int)
    for row in result.rows:
        sizes[row["window_sentences"], row["label"] != NO_RELATION] += 1
    assert dict(sizes) == {
        (1, True): 33,
        (1, False): 187,
        (2, True): 7,
        (2, False): 386,
        (3, True): 2,
        (3, False): 374,
    }
    # None of the seed's relations joins nested mentions; 11 candidate pairs do.
    assert sum(r["nested"] for r in result.rows if r["label"] != NO_RELATION) == 0
    assert sum(r["nested"] for r in result.rows) == 11


def test_nested_pairs_are_marked(nlp: Language) -> None:
    text = "The India-Japan Strategic Dialog met in Tokyo."
    ents = (Ent("T1", "India-Japan Strategic Dialog", "EVENT"), Ent("T2", "India", "GPE"))
    doc = Document("d", text, tuple(entity(text, e) for e in (*ents, Ent("T3", "Tokyo", "GPE"))))
    rows = rows_of(nlp, doc, RelationOptions()).rows
    marked = {(r["head"]["id"], r["tail"]["id"]): r["nested"] for r in rows}
    # located_in allows EVENT -> GPE and GPE -> GPE, participates_in GPE -> EVENT.
    assert marked == {
        ("T1", "T2"): True,
        ("T2", "T1"): True,
        ("T1", "T3"): False,
        ("T3", "T1"): False,
        ("T2", "T3"): False,
        ("T3", "T2"): False,
    }


def ks_statistic(a: Sequence[int], b: Sequence[int]) -> float:
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two ECDFs."""
    a, b = sorted(a), sorted(b)
    return max(abs(bisect_right(a, v) / len(a) - bisect_right(b, v) / len(b)) for v in {*a, *b})


def synthetic(rng: random.Random, n: int) -> Document:
    """Sentences of random length with random GPE/ORG mentions; relations between random
    pairs up to two sentences apart, so the label has nothing to do with context length."""
    words: list[str] = []
    entities: list[Entity] = []
    sentence_of: dict[str, int] = {}
    for sentence in range(rng.randint(3, 8)):
        for _ in range(rng.randint(3, 30)):
            if rng.random() < 0.25:
                start = sum(len(w) + 1 for w in words)
                k = len(entities)
                entities.append(Entity(f"T{k}", start, start + 5, rng.choice(["GPE", "ORG"]), ""))
                sentence_of[f"T{k}"] = sentence
                words.append(f"E{k:04d}")
            else:
                words.append("word")
        words[-1] += "."
    text = " ".join(words)
    entities = [Entity(e.id, e.start, e.end, e.label, text[e.start : e.end]) for e in entities]
    # Each pair at most two sentences apart is related with the same probability.
    near = [
        (head, tail)
        for i, head in enumerate(entities)
        for tail in entities[i + 1 :]
        if sentence_of[tail.id] - sentence_of[head.id] <= 2
    ]
    relations = tuple(
        Relation(f"R{i}", head.id, tail.id, "agreement_with")
        for i, (head, tail) in enumerate(near)
        if rng.random() < 0.1
    )
    return Document(f"syn{n}", text, tuple(entities), relations)


def lengths_by_window(rows: list[dict[str, Any]]) -> dict[int, tuple[list[int], list[int]]]:
    found: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for row in rows:
        found[row["window_sentences"]][row["label"] == NO_RELATION].append(len(row["tokens"]))
    return found


def assert_same_length_distribution(rows: list[dict[str, Any]]) -> None:
    """Per window size: negatives exist wherever positives do, and a two-sample KS test does
    not tell their context lengths (in tokens) apart at the 0.1% level."""
    for size, (positives, negatives) in lengths_by_window(rows).items():
        if not positives:
            continue
        assert negatives, f"window size {size} has only positives"
        n, m = len(positives), len(negatives)
        critical = 1.95 * math.sqrt((n + m) / (n * m))  # alpha = 0.001
        assert ks_statistic(positives, negatives) < critical, size


def test_context_length_carries_no_label_on_the_seed(nlp: Language) -> None:
    assert_same_length_distribution(rows_of(nlp, seed(), RelationOptions()).rows)


def test_context_length_carries_no_label_on_synthetic_documents(nlp: Language) -> None:
    rng = random.Random(12)
    rows = []
    for n in range(150):
        rows += rows_of(nlp, synthetic(rng, n), RelationOptions()).rows
    by_size = lengths_by_window(rows)
    # Enough of each size for the test to mean something.
    assert sorted(by_size) == [1, 2, 3]
    assert all(len(pos) >= 40 for pos, _ in by_size.values())
    assert_same_length_distribution(rows)


def test_sampling_keeps_a_ratio_per_window_size_by_sha256(nlp: Language) -> None:
    doc = seed()
    everything = rows_of(nlp, doc, RelationOptions("all")).rows
    sampled = rows_of(nlp, doc, RelationOptions("sample", negatives_per_positive=2.0))

    def rank(row: dict[str, Any]) -> str:
        key = f"{doc.id}\0{row['head']['id']}\0{row['tail']['id']}"
        return hashlib.sha256(key.encode()).hexdigest()

    expected = []
    for size in (1, 2, 3):
        positives = [r for r in everything if r["window_sentences"] == size and r["relation_id"]]
        negatives = [
            r for r in everything if r["window_sentences"] == size and not r["relation_id"]
        ]
        expected += sorted(negatives, key=rank)[: 2 * len(positives)]
    kept = [r for r in sampled.rows if r["label"] == NO_RELATION]
    assert sorted(r["id"] for r in kept) == sorted(r["id"] for r in expected)
    assert len(kept) == 2 * (33 + 7 + 2)
    assert sampled.sampled_out == 187 + 386 + 374 - len(kept)


def one_sentence(count: int) -> Document:
    """``count`` GPE and ORG mentions in one sentence."""
    words = [f"N{i:04d}" for i in range(count)]
    text = " ".join(words) + "."
    entities = tuple(
        Entity(f"T{i}", i * 6, i * 6 + 5, "GPE" if i % 2 else "ORG", words[i]) for i in range(count)
    )
    relations = (Relation("R1", "T0", "T1", "based_in"),)
    return Document("crowd", text, entities, relations)


def test_the_cap_bounds_rows_and_memory_of_a_crowded_sentence() -> None:
    count = 3000
    doc = one_sentence(count)
    tokens = (*tuple((i * 6, i * 6 + 5) for i in range(count)), (count * 6 - 1, count * 6))
    sentences = [Sentence(0, len(doc.text), tokens)]
    tracemalloc.start()
    result = relation_rows(doc, sentences, SCHEMA, RelationOptions(max_pairs_per_window=500))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # GPE and ORG pair every way (agreement_with, based_in, restricts, alias_of...).
    candidates = count * (count - 1) - 1
    kept = [r for r in result.rows if r["label"] == NO_RELATION]
    assert len(kept) == 500 and len(result.rows) == 501
    assert (result.capped_windows, result.capped_pairs) == (1, candidates - 500)
    # Evenly spaced: heads from the whole sentence, not the first few entities.
    heads = sorted(int(r["head"]["id"][1:]) for r in kept)
    assert heads[0] < 10 and heads[-1] > count - 10
    assert len({r["id"] for r in kept}) == 500
    # 9 million candidates, but memory is that of the rows kept (shared context and tokens).
    assert peak < 20_000_000


def test_relation_to_a_missing_entity_fails(nlp: Language) -> None:
    text = "India and Japan agree."
    doc = Document(
        "d1",
        text,
        (entity(text, Ent("T1", "India", "GPE")),),
        (Relation("R1", "T1", "T9", "agreement_with"),),
    )
    with pytest.raises(NewscorpusError) as err:
        rows_of(nlp, doc, RelationOptions())
    assert err.value.render() == (
        "document d1: E303 [R1] relation agreement_with names entity T9, which the document "
        "does not have. Run `newscorpus validate` and fix the relation's head and tail ids."
    )


def test_a_crowded_sentence_builds_and_the_card_counts_what_the_cap_dropped(
    tmp_path: Path,
) -> None:
    count = 3000
    extra = (
        "\n[tool.newscorpus.build]\nmax_pairs_per_window = 200\n"
        '[tool.newscorpus.splits]\ncrowd = "train"\n'
    )
    project = small_project(tmp_path / "proj", extra)
    words = [f"N{i:04d}" for i in range(count)]
    raw = "Crowd\n\n" + " ".join(words) + ".\n"
    ents = tuple(Ent(f"T{i}", w, "GPE" if i % 2 else "ORG") for i, w in enumerate(words))
    add_document(project, "crowd", raw, ents, (("R1", "T0", "T1", "based_in"),))
    result = build(project)
    train = result.stats.rows["relations"]["train"]
    # The agreement document's 56 rows, and the crowd's relation plus 200 candidates.
    assert train == 56 + 1 + 200
    dropped = count * (count - 1) - 1 - 200
    assert (result.stats.capped_pairs, result.stats.capped_windows) == (dropped, 1)
    card = (result.out / "README.md").read_text(encoding="utf-8")
    assert (
        f" **{dropped}** candidate pairs in 1 window(s) with more than 200 candidates were left "
        "out (`max_pairs_per_window`; the kept ones are evenly spaced in head, tail order)."
    ) in card


def test_the_card_states_the_sampling(tmp_path: Path) -> None:
    extra = '\n[tool.newscorpus.build]\nnegatives = "sample"\nnegatives_per_positive = 2\n'
    result = build(small_project(tmp_path / "proj", extra))
    card = (result.out / "README.md").read_text(encoding="utf-8")
    # agreement: 3 + 2 positives in windows of 1 and 2 sentences, so 6 + 4 of its 17 + 34
    # negatives; huawei-ban: 2 positives, so both of its 2 negatives.
    assert result.stats.sampled_out == (17 - 6) + (34 - 4)
    assert (
        'The build sampled them (`negatives = "sample"`): per document and window size, 2 '
        "negative(s) per positive, those with the lowest sha256 of document and entity ids; "
        f"{(17 - 6) + (34 - 4)} were left out, so the rows are not the full candidate set."
    ) in card


def test_the_table_of_the_columns_is_the_table_of_the_rows(nlp: Language) -> None:
    from newscorpus.features import relations_features
    from newscorpus.parquet import ConfigSchema, encode_rows
    from newscorpus.view_tables import relation_table

    schema = ConfigSchema(relations_features(SCHEMA))
    empty = Document("empty", "Nothing here.", (), ())
    parts = [
        rows_of(nlp, seed(), RelationOptions()),
        rows_of(nlp, empty, RelationOptions()),
        # Symmetric relations (reversed rows), windows of two sentences, nested pairs.
        rows_of(nlp, agreement(), RelationOptions("all", window=2)),
        rows_of(nlp, agreement(), RelationOptions("sample", negatives_per_positive=1)),
    ]
    rows = [row for part in parts for row in part.rows]
    assert len(rows) == sum(map(len, parts)) > 300
    assert relation_table(parts, schema).equals(encode_rows(rows, schema))


def test_the_table_refuses_an_unknown_label(nlp: Language) -> None:
    from newscorpus.features import relations_features
    from newscorpus.parquet import ConfigSchema
    from newscorpus.view_tables import relation_table

    doc = agreement()
    doc = Document(doc.id, doc.text, doc.entities, (Relation("R9", "T7", "T4", "friend_of"),))
    part = rows_of(nlp, doc, RelationOptions("none"))
    with pytest.raises(ValueError) as err:
        relation_table([part], ConfigSchema(relations_features(SCHEMA)))
    names = ", ".join(SCHEMA.relation_labels)
    assert str(err.value) == f"unknown label 'friend_of'; allowed: no_relation, {names}"
