"""Pre-annotation (`newscorpus preannotate`) and the schema-derived label index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT, run, tree
from newscorpus.annotate import Proposal, _drop_crossing, merge, propose
from newscorpus.docs import label_tables, replace_generated
from newscorpus.model import Entity, Relation
from newscorpus.relation_rules import Context, _nearest
from newscorpus.schema import Schema
from newscorpus.validate import validate_project

DOC = "india-japan-5g-agreement"
SCHEMA = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")


def gold(project: Path) -> dict:
    return json.loads((REPO_ROOT / "annotations" / f"{DOC}.json").read_text(encoding="utf-8"))


def test_preannotation_recovers_the_gold_seed_annotation(seed_project: Path) -> None:
    (seed_project / "annotations" / f"{DOC}.json").unlink()
    code, out, _ = run(seed_project, "preannotate", DOC)
    assert code == 0
    assert out == f"annotations/{DOC}.json: added 87 entities, 29 relations\n"
    made = json.loads((seed_project / "annotations" / f"{DOC}.json").read_text("utf-8"))
    reference = gold(seed_project)
    spans = {(e["start"], e["end"], e["label"]) for e in made["entities"]}
    gold_spans = {(e["start"], e["end"], e["label"]) for e in reference["entities"]}
    assert len(spans & gold_spans) / len(gold_spans) >= 0.95
    assert spans <= gold_spans  # the gazetteer proposes nothing the curators rejected
    by_id = {e["id"]: (e["start"], e["end"]) for e in made["entities"]}
    gold_by_id = {e["id"]: (e["start"], e["end"]) for e in reference["entities"]}
    relations = {(by_id[r["head"]], by_id[r["tail"]], r["label"]) for r in made["relations"]}
    gold_relations = {
        (gold_by_id[r["head"]], gold_by_id[r["tail"]], r["label"]) for r in reference["relations"]
    }
    # Missed: the six relations "the two sides" states without naming India and Japan, and
    # Japan's participation in the pillar, whose garbled name the gazetteer lacks (it is
    # proposed for the initiative name nested inside it instead).
    missed = gold_relations - relations
    assert len(missed) == 7
    assert {tail[0] for _, tail, _ in missed} == {615, 634, 660, 1192}
    assert relations - gold_relations == {((1141, 1146), (1192, 1211), "participates_in")}
    assert {e["source"] for e in made["entities"]} == {"rule"}
    assert validate_project_ok(seed_project)


def validate_project_ok(project: Path) -> bool:
    from newscorpus.project import load_project

    return not validate_project(load_project(project)).errors


def test_preannotation_never_changes_or_duplicates_existing_annotations(
    seed_project: Path,
) -> None:
    path = seed_project / "annotations" / f"{DOC}.json"
    before = json.loads(path.read_text("utf-8"))
    code, out, _ = run(seed_project, "preannotate", DOC)
    assert (code, out) == (0, f"annotations/{DOC}.json: added 0 entities, 1 relations\n")
    after = json.loads(path.read_text("utf-8"))
    assert sorted(after["entities"], key=lambda e: e["id"]) == sorted(
        before["entities"], key=lambda e: e["id"]
    )
    assert after["relations"][:-1] == before["relations"]
    assert after["relations"][-1] == {
        "id": "R36",
        "head": "T25",
        "tail": "T27",
        "label": "participates_in",
        "source": "rule",
    }
    assert run(seed_project, "preannotate", DOC)[1].endswith("added 0 entities, 0 relations\n")


def test_merge_keeps_curated_labels_and_continues_ids() -> None:
    text = "Huawei and India met in Tokyo."
    existing = (Entity("T7", 0, 6, "GPE", "Huawei", "gold"),)
    proposal = propose(_nlp(), text, SCHEMA)
    result = merge(existing, (Relation("R3", "T7", "T7", "alias_of"),), proposal, SCHEMA)
    assert [e.to_dict() for e in result.entities] == [
        {"id": "T7", "start": 0, "end": 6, "label": "GPE", "text": "Huawei", "source": "gold"},
        {"id": "T8", "start": 11, "end": 16, "label": "GPE", "text": "India", "source": "rule"},
        {"id": "T9", "start": 24, "end": 29, "label": "GPE", "text": "Tokyo", "source": "rule"},
    ]
    assert (result.added_entities, result.added_relations) == (2, 0)


def _nlp():  # type: ignore[no-untyped-def]
    from newscorpus.annotate import make_ruler_nlp, read_patterns

    return make_ruler_nlp(read_patterns(REPO_ROOT / "annotations" / "patterns.jsonl", SCHEMA))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("India\u2019s Foreign Minister S Jaishankar spoke.", ("S Jaishankar", "India")),
        (
            "India hosted talks. Foreign Minister S Jaishankar and his Japanese counterpart "
            "Toshimitsu Motegi met. Japan agreed.",
            ("Toshimitsu Motegi", "Japan"),
        ),
        ("The US has also blocked Huawei.", ("US", "Huawei")),
        ("The Internet of Things (IoT) grows.", ("IoT", "Internet of Things")),
    ],
)
def test_relation_rules(text: str, expected: tuple[str, str]) -> None:
    proposal = propose(_nlp(), text, SCHEMA)
    by_id = {e.id: e.text for e in proposal.entities}
    pairs = {(by_id[r.head], by_id[r.tail]) for r in proposal.relations}
    assert expected in pairs


def test_unknown_document_id(seed_project: Path) -> None:
    before = tree(seed_project)
    code, _, err = run(seed_project, "preannotate", "nope")
    assert (code, err) == (
        1,
        "error: E213 no article with id 'nope' in the corpus. Run `newscorpus add` first, or "
        f"pick one of: {DOC}.\n",
    )
    assert tree(seed_project) == before


def test_bad_pattern_line(seed_project: Path) -> None:
    patterns = seed_project / "annotations" / "patterns.jsonl"
    patterns.write_text('{"label": "GPE", "pattern": "India"}\n{"label": "CITY", "pattern": "X"}\n')
    code, _, err = run(seed_project, "preannotate", DOC)
    assert (code, err) == (
        1,
        f"error: {patterns}:2: E120 pattern has label 'CITY', or no pattern; allowed labels: "
        "PERSON, ORG, GPE, LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use a label from "
        "annotations/schema.yaml and a `pattern` value.\n",
    )


def test_missing_model_is_never_downloaded(seed_project: Path) -> None:
    code, _, err = run(seed_project, "preannotate", DOC, "--model", "en_core_web_nonexistent")
    assert (code, err) == (
        2,
        "error: E121 the spaCy pipeline 'en_core_web_nonexistent' is not installed, and nothing "
        "is downloaded at run time. Install it first (pip install 'newscorpus[model]' gives "
        "en_core_web_sm), or drop --model to use the rule-based pipeline.\n",
    )


def test_invalid_existing_annotations_are_not_merged_into(seed_project: Path) -> None:
    path = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(path.read_text("utf-8"))
    data["entities"][0]["label"] = "COUNTRY"
    path.write_text(json.dumps(data), encoding="utf-8")
    before = tree(seed_project)
    code, _, err = run(seed_project, "preannotate", DOC)
    assert code == 1
    assert err.startswith(
        f"error: annotations/{DOC}.json: E122 the existing annotations have 1 error(s), e.g. "
    )
    assert tree(seed_project) == before


def test_guidelines_label_index_is_generated_from_the_schema() -> None:
    guidelines = (REPO_ROOT / "annotations" / "GUIDELINES.md").read_text(encoding="utf-8")
    assert replace_generated(guidelines, label_tables(SCHEMA)) == guidelines


def test_schema_command_prints_the_tables(seed_project: Path) -> None:
    code, out, _ = run(seed_project, "schema")
    assert (code, out) == (0, label_tables(SCHEMA))
    guidelines = seed_project / "annotations" / "GUIDELINES.md"
    guidelines.write_text(
        guidelines.read_text("utf-8").replace("| `PERSON` |", "| `HUMAN` |"), encoding="utf-8"
    )
    assert run(seed_project, "schema", "--update-guidelines")[1] == (
        "updated annotations/GUIDELINES.md\n"
    )
    assert guidelines.read_bytes() == (REPO_ROOT / "annotations" / "GUIDELINES.md").read_bytes()


SPANS = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 8), st.sampled_from(["ORG", "GPE"])),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(SPANS)
def test_crossing_spans_are_dropped_as_the_pairwise_rule_says(drawn: list[Any]) -> None:
    """The bisection in _drop_crossing keeps exactly what comparing every pair keeps: a span is
    dropped when a kept one has its edges, crosses it, or holds it with the same label."""
    spans = sorted(
        {(start, start + length, label, "rule", "") for start, length, label in drawn},
        key=lambda s: (s[0], -s[1], s[2], s[3], s[4]),
    )
    expected: list[Any] = []
    for span in spans:
        start, end, label = span[0], span[1], span[2]
        if not any(
            (k[0], k[1]) == (start, end)
            or k[0] < start < k[1] < end
            or (k[0] <= start and end <= k[1] and k[2] == label)
            for k in expected
        ):
            expected.append(span)
    assert _drop_crossing(spans) == expected


@settings(max_examples=200, deadline=None)
@given(SPANS, SPANS)
def test_merge_skips_proposals_that_an_entity_has_or_crosses(
    existing: list[Any], proposed: list[Any]
) -> None:
    def entities(drawn: list[Any], prefix: str) -> list[Entity]:
        return [
            Entity(f"{prefix}{i}", start, start + length, label, "x" * length, "gold")
            for i, (start, length, label) in enumerate(drawn, start=1)
        ]

    old = entities(existing, "T")
    new = entities(proposed, "P")
    result = merge(old, [], Proposal(tuple(new), ()), SCHEMA)
    kept = list(old)
    for p in new:
        crosses = any(
            e.start < p.start < e.end < p.end or p.start < e.start < p.end < e.end for e in kept
        )
        if not any((e.start, e.end) == (p.start, p.end) for e in kept) and not crosses:
            kept.append(p)
    assert [(e.start, e.end, e.label) for e in result.entities] == sorted(
        ((e.start, e.end, e.label) for e in kept), key=lambda s: (s[0], -s[1], s[2])
    )


def _add_long_article(project: Path, tmp_path: Path) -> str:
    """An article of more than spaCy's default million characters."""
    long = tmp_path / "long.txt"
    long.write_text("Long read\n\n" + "India and Japan met in Tokyo. " * 36_000, encoding="utf-8")
    assert run(project, "add", str(long), "--id", "long-read")[0] == 0
    return "long-read"


def test_an_article_longer_than_spacys_limit_is_preannotated_by_the_rules(
    seed_project: Path, tmp_path: Path
) -> None:
    doc_id = _add_long_article(seed_project, tmp_path)
    code, out, err = run(seed_project, "preannotate", doc_id)
    assert (code, err) == (0, "")
    assert out == f"annotations/{doc_id}.json: added 108000 entities, 0 relations\n"


def test_an_article_longer_than_spacys_limit_is_e125_with_a_model(
    seed_project: Path, tmp_path: Path
) -> None:
    import spacy

    model = spacy.blank("en")
    model.add_pipe("ner").add_label("ORG")  # type: ignore[attr-defined]
    model.initialize()
    model.to_disk(tmp_path / "model")
    doc_id = _add_long_article(seed_project, tmp_path)
    before = tree(seed_project)
    code, out, err = run(seed_project, "preannotate", doc_id, "--model", str(tmp_path / "model"))
    assert (code, out) == (1, "")
    assert err == (
        f"error: annotations/{doc_id}.json: E125 the article has 1,080,010 characters, more "
        f"than the 1,000,000 that spaCy lets the pretrained model '{tmp_path / 'model'}' read "
        "at once (its NER needs about 1 GB of memory per 100,000 characters). Pre-annotate it "
        "without --model (the rules have no limit), or split it.\n"
    )
    assert tree(seed_project) == before


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=1, max_size=12),
    st.integers(0, 45),
    st.integers(0, 12),
)
def test_the_nearest_mention_by_bisection_is_the_nearest_by_comparison(
    offsets: list[int], at: int, size: int
) -> None:
    """Of mentions in order of their start, the one starting nearest an offset (the earlier
    of two as near, the first of several at one offset), whether found by bisection or by
    comparing each."""
    found = [
        Entity(f"P{i}", start, start + 2, "GPE", "xx", "rule")
        for i, start in enumerate(sorted(offsets))
    ]
    size = min(max(size, 1), len(found))
    entity = Entity("Q", at, at + 1, "PERSON", "x", "rule")
    context = Context("x" * 50, tuple(found), [(0, 50)], {})
    expected = context.nearest(entity, found[:size])
    assert _nearest(entity, found, [e.start for e in found], size) is expected
