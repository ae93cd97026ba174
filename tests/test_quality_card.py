"""The card's annotation-quality section: agreement figures and the consistency summary."""

from __future__ import annotations

from pathlib import Path

from newscorpus.card import quality_section
from newscorpus.package import build
from newscorpus.project import Project, load_project
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


def fresh_card(project: Project) -> str:
    """The card of a build without the cache."""
    build(project, project.root / "fresh", use_cache=False)
    return (project.root / "fresh" / "README.md").read_text(encoding="utf-8")


def test_a_cached_rebuild_shows_what_only_the_quality_section_reads(tmp_path: Path) -> None:
    """Accepting a warning or changing an annotator set changes no row, so the counts the card
    was cached by stay the same; the card must still be rebuilt, as a fresh build makes it."""
    project = two_docs(tmp_path / "proj")
    write_set(project, "ban", ALICE, RESTRICTS)
    write_set(project, "ban", ALICE, RESTRICTS, annotator="alice")
    write_set(project, "ban", ALICE, RESTRICTS, annotator="bob")
    out = project.root / "dist"
    build(project, out)
    assert "| alice / bob | 1 | 1.000 |" in (out / "README.md").read_text(encoding="utf-8")
    write_set(project, "ban", BOB, RESTRICTS, annotator="bob")
    (project.annotations / "checks.yaml").write_text(
        "accept:\n  - code: W170\n    text: US\n    reason: a test accepts it.\n", encoding="utf-8"
    )
    build(project, out)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "| alice / bob | 1 | 0.333 |" in card
    assert "1 reviewed exception(s) are accepted" in card
    assert card == fresh_card(project)


def test_a_cached_rebuild_sees_an_empty_annotator_set(tmp_path: Path) -> None:
    project = two_docs(tmp_path / "proj")
    write_set(project, "ban", ALICE, RESTRICTS)
    alice = write_set(project, "ban", ALICE, RESTRICTS, annotator="alice")
    out = project.root / "dist"
    build(project, out)
    (alice.parent.parent / "bob").mkdir()
    build(project, out)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Agreement between the 2 annotator sets (alice, bob)" in card
    assert card == fresh_card(project)


def test_a_set_that_shares_no_document_leaves_the_mean_to_the_others(tmp_path: Path) -> None:
    project = two_docs(tmp_path / "proj")
    write_set(project, "ban", ALICE, RESTRICTS)
    write_set(project, "ban", ALICE, RESTRICTS, annotator="alice")
    bob = write_set(project, "ban", ALICE, RESTRICTS, annotator="bob")
    (bob.parent.parent / "carol").mkdir()
    lines = quality_section(project, Schema.load(project.schema_path)).splitlines()
    assert lines[6:10] == [
        "| alice / bob | 1 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |",
        "| alice / carol | 0 | n/a | n/a | n/a | n/a | n/a |",
        "| bob / carol | 0 | n/a | n/a | n/a | n/a | n/a |",
        "",
    ]
    # The mean is of the pairs that compared something: one here, so there is none.
    carol = bob.parent.parent / "carol" / "ban.json"
    carol.write_bytes(bob.read_bytes())
    lines = quality_section(project, Schema.load(project.schema_path)).splitlines()
    assert lines[9] == "| **mean of 3 pairs** | 1 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |"
    (project.annotations / "annotators" / "dave").mkdir()
    lines = quality_section(project, Schema.load(project.schema_path)).splitlines()
    assert lines[12] == "| **mean of 3 pairs** | 1 | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 |"
