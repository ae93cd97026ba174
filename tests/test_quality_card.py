"""The card's annotation-quality section: agreement figures and the consistency summary."""

from __future__ import annotations

from pathlib import Path

from newscorpus.card import quality_section
from newscorpus.project import load_project
from newscorpus.schema import Schema
from quality_helpers import two_docs, write_set
from test_annotators import ALICE, BOB, RESTRICTS


def test_agreement_table_and_consistency_summary(tmp_path: Path) -> None:
    project = two_docs(tmp_path / "proj")
    schema = Schema.load(project.schema_path)
    write_set(project, "ban", ALICE, RESTRICTS)
    write_set(project, "ban", ALICE, RESTRICTS, annotator="alice")
    write_set(project, "ban", BOB, RESTRICTS, annotator="bob")
    write_set(project, "ban", ALICE, RESTRICTS, annotator="carol")
    text = quality_section(project, schema)
    assert text.splitlines()[4:10] == [
        "| pair | documents | entity F1 (exact) | entity F1 (overlap) | token kappa | relation F1 "
        "| relation F1 (matched arguments) |",
        "|---|---|---|---|---|---|---|",
        "| alice / bob | 1 | 0.333 | 0.667 | 0.318 | 0.000 | n/a |",
        "| alice / carol | 1 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |",
        "| bob / carol | 1 | 0.333 | 0.667 | 0.318 | 0.000 | n/a |",
        "| **mean of 3 pairs** | 1 | 0.556 | 0.778 | 0.545 | 0.333 | 1.000 |",
    ]
    # Gold is alice's: "Huawei" of "Huawei Technologies" and the last "US" are not annotated.
    assert text.splitlines()[-3:] == [
        "| warning | what | count |",
        "|---|---|---|",
        "| `W170` | likely missed mention: annotated text occurs elsewhere unannotated | 2 |",
    ]


def test_without_annotators_and_with_a_clean_seed(seed_project: Path) -> None:
    project = load_project(seed_project)
    text = quality_section(project, Schema.load(project.schema_path))
    assert text == (
        "## Annotation quality\n\n"
        "No agreement figures: the project has fewer than two annotator sets "
        "(`annotations/annotators/<name>/`).\n\n"
        "Corpus-wide consistency of the gold annotations (`newscorpus check`: missed mentions, "
        "one text with different labels, boundary variation, one pair of texts with different "
        "relation labels) over 1 annotated document(s): no open warnings. 2 reviewed "
        "exception(s) are accepted in `annotations/checks.yaml`, each with its reason."
    )
