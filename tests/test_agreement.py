"""Agreement figures: each compared with one computed by hand, plus properties."""

from __future__ import annotations

from collections import Counter
from itertools import permutations
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT
from newscorpus.agreement import (
    PairFigures,
    bio_tags,
    compare_document,
    kappa,
    overlap_matching,
)
from newscorpus.annotations import AnnotationFile
from newscorpus.model import Entity, Relation
from newscorpus.nlp import make_nlp, segment
from newscorpus.schema import Schema
from newscorpus.views import bio_tags as view_bio_tags

SCHEMA = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")
#: One token per character: hand computations stay small.
TOKENS = [(i, i + 1) for i in range(40)]


def ent(id: str, start: int, end: int, label: str) -> Entity:
    return Entity(id, start, end, label, "x" * (end - start))


def doc(entities: list[Entity], relations: list[Relation] | None = None) -> AnnotationFile:
    return AnnotationFile("d", "sha", tuple(entities), tuple(relations or ()))


def compare(a: AnnotationFile, b: AnnotationFile, tokens: Any = TOKENS) -> dict[str, Any]:
    figures = PairFigures()
    compare_document(figures, "d", a, b, tokens, SCHEMA)
    return figures.to_dict(SCHEMA)


def test_both_sides_empty_define_nothing() -> None:
    f = compare(doc([]), doc([]))
    none = {"precision": None, "recall": None, "f1": None, "matched": 0, "a": 0, "b": 0}
    assert f["entities"]["exact"] == {"overall": none, "labels": {}}
    assert f["entities"]["overlap"]["overall"] == none
    assert f["relations"]["exact"]["overall"] == none
    # Every token is O on both sides: chance agreement is 1, so kappa is undefined.
    assert f["tokens"]["overall"] == {"kappa": None, "tokens": 40}
    assert f["disagreements"] == []


def test_one_side_empty() -> None:
    f = compare(doc([ent("T1", 0, 5, "GPE"), ent("T2", 6, 9, "GPE")]), doc([]))
    exact = f["entities"]["exact"]["overall"]
    assert exact == {"precision": 0.0, "recall": None, "f1": 0.0, "matched": 0, "a": 2, "b": 0}
    assert [d["type"] for d in f["disagreements"]] == ["missing", "missing"]
    assert f["disagreements"][0]["b"] is None


def test_kappa_by_hand_and_a_label_only_one_side_uses() -> None:
    # Four tokens: A tags B-GPE O O O, B tags B-GPE O B-ORG O.
    a = doc([ent("T1", 0, 1, "GPE")])
    b = doc([ent("T1", 0, 1, "GPE"), ent("T2", 2, 3, "ORG")])
    f = compare(a, b, TOKENS[:4])
    # p_o = 3/4; p_e = (1*1 + 3*2) / 16 = 7/16; kappa = (12/16 - 7/16) / (9/16) = 5/9.
    assert abs(f["tokens"]["overall"]["kappa"] - 5 / 9) < 1e-12
    assert f["tokens"]["labels"]["GPE"]["kappa"] == 1.0
    # ORG alone: p_o = 3/4, p_e = (4*3)/16 = 3/4: kappa 0.
    assert f["tokens"]["labels"]["ORG"]["kappa"] == 0.0
    org = f["entities"]["exact"]["labels"]["ORG"]
    assert org == {"precision": None, "recall": 0.0, "f1": 0.0, "matched": 0, "a": 0, "b": 1}
    gpe = f["entities"]["exact"]["labels"]["GPE"]
    assert (gpe["precision"], gpe["recall"], gpe["f1"]) == (1.0, 1.0, 1.0)
    assert f["entities"]["exact"]["overall"]["f1"] == 2 * 1 / (1 + 2)


def test_kappa_function_by_hand() -> None:
    assert kappa(Counter({("O", "O"): 2, ("B-GPE", "B-GPE"): 1, ("B-GPE", "O"): 1})) == 0.5
    assert kappa(Counter()) is None
    assert kappa(Counter({("O", "O"): 5})) is None


def test_nested_spans_count_as_entities_and_only_outermost_ones_are_tagged() -> None:
    a = doc([ent("T1", 0, 20, "EVENT"), ent("T2", 0, 5, "GPE")])
    b = doc([ent("T1", 0, 20, "EVENT"), ent("T2", 6, 11, "GPE")])
    f = compare(a, b)
    assert f["entities"]["exact"]["overall"]["f1"] == 0.5
    assert f["entities"]["overlap"]["overall"]["f1"] == 0.5  # [0,5) and [6,11) do not overlap
    assert f["tokens"]["overall"]["kappa"] == 1.0  # both tag the EVENT only
    assert [d["type"] for d in f["disagreements"]] == ["missing", "missing"]


def test_overlap_matching_is_maximum_not_greedy() -> None:
    # Greedy exact-first would match [0,10) with [0,10) and stop at one pair; two are possible.
    a = [ent("A1", 0, 10, "ORG"), ent("A2", 5, 6, "ORG")]
    b = [ent("B1", 0, 10, "ORG"), ent("B2", 8, 12, "ORG")]
    pairs = overlap_matching(a, b)
    assert [(x.id, y.id) for x, y in pairs] == [("A1", "B2"), ("A2", "B1")]
    f = compare(doc(a), doc(b))
    assert f["entities"]["exact"]["overall"]["f1"] == 0.5
    assert f["entities"]["overlap"]["overall"]["f1"] == 1.0


def test_overlap_needs_the_same_label_and_one_shared_character() -> None:
    a = [ent("A1", 0, 5, "GPE"), ent("A2", 10, 15, "GPE")]
    b = [ent("B1", 2, 8, "GPE"), ent("B2", 10, 15, "ORG"), ent("B3", 15, 18, "GPE")]
    assert [(x.id, y.id) for x, y in overlap_matching(a, b)] == [("A1", "B1")]
    rows = compare(doc(a), doc(b))["disagreements"]
    assert [(r["type"], r["a"], r["b"]) for r in rows] == [
        (
            "boundary",
            {"start": 0, "end": 5, "text": "xxxxx", "label": "GPE"},
            {"start": 2, "end": 8, "text": "xxxxxx", "label": "GPE"},
        ),
        (
            "label",
            {"start": 10, "end": 15, "text": "xxxxx", "label": "GPE"},
            {"start": 10, "end": 15, "text": "xxxxx", "label": "ORG"},
        ),
        ("missing", None, {"start": 15, "end": 18, "text": "xxx", "label": "GPE"}),
    ]


def test_symmetric_relations_match_in_either_order_and_others_do_not() -> None:
    india, japan, jai = ent("T1", 0, 5, "GPE"), ent("T2", 6, 11, "GPE"), ent("T3", 12, 15, "PERSON")
    a = doc(
        [india, japan, jai],
        [Relation("R1", "T1", "T2", "agreement_with"), Relation("R2", "T3", "T1", "role_in")],
    )
    b = doc(
        [india, japan, jai],
        [Relation("R1", "T2", "T1", "agreement_with"), Relation("R2", "T1", "T3", "role_in")],
    )
    f = compare(a, b)
    rel = f["relations"]["exact"]
    assert rel["labels"]["agreement_with"]["f1"] == 1.0
    assert rel["labels"]["role_in"]["f1"] == 0.0
    assert rel["overall"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "matched": 1,
        "a": 2,
        "b": 2,
    }
    # A reversed role_in is not the same relation: one row shows both directions.
    (row,) = [d for d in f["disagreements"] if d["kind"] == "relation"]
    assert (row["a"]["head"]["start"], row["b"]["head"]["start"]) == (12, 0)


def test_relation_f1_restricted_to_matched_arguments() -> None:
    india, japan = ent("T1", 0, 5, "GPE"), ent("T2", 6, 11, "GPE")
    huawei_a, huawei_b = ent("T3", 12, 18, "ORG"), ent("T3", 12, 20, "ORG")
    a = doc(
        [india, japan, huawei_a],
        [Relation("R1", "T1", "T2", "agreement_with"), Relation("R2", "T1", "T3", "restricts")],
    )
    b = doc(
        [india, japan, huawei_b],
        [Relation("R1", "T1", "T2", "agreement_with"), Relation("R2", "T1", "T3", "restricts")],
    )
    f = compare(a, b)
    # All relations: 1 matched of 2 / 2. Matched arguments only: the restricts relations rest
    # on an entity disagreement and drop out: 1 of 1 / 1.
    assert f["relations"]["exact"]["overall"]["f1"] == 0.5
    restricted = f["relations"]["matched_arguments"]["overall"]
    assert (restricted["f1"], restricted["a"], restricted["b"]) == (1.0, 1, 1)
    assert f["relations"]["matched_arguments"]["labels"]["restricts"]["f1"] is None


def test_same_argument_pair_under_two_labels_is_one_disagreement() -> None:
    huawei, china = ent("T1", 0, 6, "ORG"), ent("T2", 7, 12, "GPE")
    a = doc([huawei, china], [Relation("R1", "T1", "T2", "based_in")])
    b = doc([huawei, china], [Relation("R1", "T1", "T2", "located_in")])
    rows = compare(a, b)["disagreements"]
    assert len(rows) == 1
    assert (rows[0]["a"]["label"], rows[0]["b"]["label"]) == ("based_in", "located_in")


def test_bio_tags_equal_the_sentences_view_on_aligned_entities() -> None:
    text = "India and Japan signed a 5G pact in New Delhi on Friday."
    sentence = segment(make_nlp()(text))[0]
    entities = [ent("T1", 0, 5, "GPE"), ent("T2", 25, 27, "TECHNOLOGY"), ent("T3", 36, 45, "GPE")]
    assert bio_tags(sentence.tokens, entities) == view_bio_tags(sentence, entities)


# --- properties ------------------------------------------------------------------------------

LABELS = ("GPE", "ORG")


@st.composite
def annotation_sets(draw: st.DrawFn) -> AnnotationFile:
    spans = draw(
        st.lists(
            st.tuples(st.integers(0, 30), st.integers(1, 8), st.sampled_from(LABELS)),
            max_size=8,
            unique_by=lambda s: (s[0], s[1]),
        )
    )
    entities = [ent(f"T{n}", s, s + length, label) for n, (s, length, label) in enumerate(spans)]
    relations = []
    if len(entities) >= 2:
        pairs = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(entities),
                    st.sampled_from(entities),
                    st.sampled_from(("agreement_with", "alias_of", "restricts")),
                ),
                max_size=5,
            )
        )
        seen = set()
        for head, tail, label in pairs:
            if head.id != tail.id and (head.id, tail.id, label) not in seen:
                seen.add((head.id, tail.id, label))
                relations.append(Relation(f"R{len(relations)}", head.id, tail.id, label))
    return doc(entities, relations)


def _numbers(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            found.update(_numbers(item, f"{path}/{key}"))
        return found
    return {path: value}


@settings(max_examples=150, deadline=None)
@given(annotation_sets())
def test_a_set_compared_with_itself_agrees_fully(side: AnnotationFile) -> None:
    f = compare(side, side)
    assert f["disagreements"] == []
    for path, value in _numbers({k: v for k, v in f.items() if k != "disagreements"}).items():
        if path.rsplit("/", 1)[-1] in ("precision", "recall", "f1", "kappa"):
            assert value in (1.0, None), path
    if side.entities:
        assert f["entities"]["exact"]["overall"]["f1"] == 1.0
        assert f["tokens"]["overall"]["kappa"] == 1.0


@settings(max_examples=150, deadline=None)
@given(annotation_sets(), annotation_sets())
def test_figures_are_symmetric_where_they_should_be(a: AnnotationFile, b: AnnotationFile) -> None:
    ab, ba = compare(a, b), compare(b, a)
    for group in (ab["entities"], ab["relations"]):
        for name, figure in group.items():
            other = (ba["entities"] if group is ab["entities"] else ba["relations"])[name]
            for label, counts in [("overall", figure["overall"]), *figure["labels"].items()]:
                mirror = other["overall"] if label == "overall" else other["labels"][label]
                assert counts["f1"] == mirror["f1"]
                assert counts["precision"] == mirror["recall"]
                assert (counts["a"], counts["b"]) == (mirror["b"], mirror["a"])
    assert ab["tokens"] == ba["tokens"]
    assert len(ab["disagreements"]) == len(ba["disagreements"])
    exact, overlap = ab["entities"]["exact"]["overall"], ab["entities"]["overlap"]["overall"]
    assert overlap["matched"] >= exact["matched"]


def _brute_force_matching(a: list[Entity], b: list[Entity]) -> int:
    def fits(x: Entity, y: Entity) -> bool:
        return x.label == y.label and x.start < y.end and y.start < x.end

    small, large = (a, b) if len(a) <= len(b) else (b, a)
    best = 0
    for chosen in permutations(range(len(large)), len(small)):
        best = max(best, sum(fits(small[i], large[j]) for i, j in enumerate(chosen)))
    return best


@settings(max_examples=150, deadline=None)
@given(annotation_sets(), annotation_sets())
def test_overlap_matching_is_one_to_one_and_maximum(a: AnnotationFile, b: AnnotationFile) -> None:
    left, right = list(a.entities)[:6], list(b.entities)[:6]
    pairs = overlap_matching(left, right)
    assert len({x.id for x, _ in pairs}) == len(pairs) == len({y.id for _, y in pairs})
    assert all(x.label == y.label and x.start < y.end and y.start < x.end for x, y in pairs)
    assert len(pairs) == _brute_force_matching(left, right)
