"""``newscorpus adjudicate``: gold from agreement, review files, resolution runs, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from build_helpers import Ent
from conftest import run, tree
from newscorpus.project import Project, load_project
from newscorpus.txn import recover
from quality_helpers import two_docs, write_set

ALICE = (Ent("T1", "US", "GPE"), Ent("T2", "Huawei", "ORG", 1))
BOB = (Ent("T1", "The US", "GPE"), Ent("T2", "Huawei", "ORG", 1))
RESTRICTS = (("R1", "T1", "T2", "restricts"),)
GOLD = "annotations/ban.json"
REVIEW = "annotations/review/ban.json"


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = two_docs(tmp_path / "proj")
    write_set(project, "ban", ALICE, RESTRICTS, annotator="alice")
    write_set(project, "ban", BOB, RESTRICTS, annotator="bob")
    return project


def read(project: Project, path: str) -> Any:
    return json.loads((project.root / path).read_text(encoding="utf-8"))


def resolve(project: Project, **resolutions: str) -> None:
    review = read(project, REVIEW)
    for conflict in review["conflicts"]:
        if conflict["id"] in resolutions:
            conflict["resolution"] = resolutions[conflict["id"]]
    (project.root / REVIEW).write_text(json.dumps(review, indent=2), encoding="utf-8")


def keys(doc: Any) -> list[tuple[int, int, str, str]]:
    return [(e["start"], e["end"], e["label"], e["text"]) for e in doc["entities"]]


def relations(doc: Any) -> list[tuple[str, str, str]]:
    text = {e["id"]: e["text"] for e in doc["entities"]}
    return [(r["label"], text[r["head"]], text[r["tail"]]) for r in doc["relations"]]


def test_agreed_items_go_to_gold_and_each_conflict_to_the_review_file(project: Project) -> None:
    code, out, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"ban: gold {GOLD} 1 entities, 0 relations; 3 open conflict(s) in {REVIEW}",
        "1 gold file(s) written, 1 document(s) with open conflicts",
    ]
    gold = read(project, GOLD)
    assert keys(gold) == [(29, 35, "ORG", "Huawei")]
    assert [e["source"] for e in gold["entities"]] == ["gold"]
    review = read(project, REVIEW)
    assert review["adjudication"]["annotators"] == ["alice", "bob"]
    assert review["adjudication"]["strategy"] == "unanimous"
    assert keys(review) == keys(gold)
    c1, c2, c3 = review["conflicts"]
    # The two boundaries of the US are one conflict; each side's relation is one.
    assert c1["id"] == "C1" and c1["resolution"] is None
    assert {name: keys(v) for name, v in c1["versions"].items()} == {
        "alice": [(18, 20, "GPE", "US")],
        "bob": [(14, 20, "GPE", "The US")],
    }
    assert c2["versions"]["alice"] == {"entities": [], "relations": []}
    assert relations(c2["versions"]["bob"]) == [("restricts", "The US", "Huawei")]
    assert relations(c3["versions"]["alice"]) == [("restricts", "US", "Huawei")]
    assert run(project.root, "validate")[0] == 0  # talks has no gold: W102 only


def test_a_second_run_moves_resolved_conflicts_into_gold(project: Project) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, out.splitlines()[0]) == (
        0,
        f"ban: waiting for review, 3 open conflict(s) in {REVIEW}",
    )
    resolve(project, C1="bob", C2="bob")
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert out.splitlines()[0] == (
        f"ban: 2 conflict(s) resolved, gold {GOLD} 2 entities, 1 relations; 1 open conflict(s) "
        f"in {REVIEW}"
    )
    gold = read(project, GOLD)
    assert keys(gold) == [(29, 35, "ORG", "Huawei"), (14, 20, "GPE", "The US")]
    assert relations(gold) == [("restricts", "The US", "Huawei")]
    assert [c["id"] for c in read(project, REVIEW)["conflicts"]] == ["C3"]
    # Choosing bob's empty version drops alice's relation; the review file is done.
    resolve(project, C3="bob")
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (
        out.splitlines()[0]
        == f"ban: 1 conflict(s) resolved, gold {GOLD} 2 entities, 1 relations; no open conflicts"
    )
    assert not (project.root / REVIEW).exists()
    assert read(project, GOLD) == gold
    assert run(project.root, "validate")[0] == 0  # talks has no gold: W102 only
    # Done: gold exists and no review file tracks it.
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert out.splitlines()[0] == (f"ban: skipped, gold exists ({GOLD}); --replace overwrites it")


def test_a_manual_resolution_keeps_what_the_reviewer_wrote(project: Project) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    review["entities"].append(
        {"id": "T9", "start": 18, "end": 20, "label": "GPE", "text": "US", "source": "gold"}
    )
    for conflict in review["conflicts"]:
        conflict["resolution"] = "manual"
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    code, _, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert code == 0
    assert keys(read(project, GOLD)) == [(29, 35, "ORG", "Huawei"), (18, 20, "GPE", "US")]
    assert not (project.root / REVIEW).exists()


def test_majority_of_three_drops_what_most_lack(project: Project) -> None:
    write_set(project, "ban", ALICE, RESTRICTS, annotator="carol")
    code, out, _ = run(
        project.root,
        "adjudicate",
        "--annotators",
        "alice",
        "bob",
        "carol",
        "--strategy",
        "majority",
    )
    assert code == 0
    assert out.splitlines()[0] == f"ban: gold {GOLD} 2 entities, 1 relations; no open conflicts"
    assert relations(read(project, GOLD)) == [("restricts", "US", "Huawei")]
    assert not (project.root / REVIEW).exists()


def test_existing_gold_is_never_overwritten_without_replace(project: Project) -> None:
    write_set(project, "ban", (Ent("T1", "Huawei", "ORG"),))
    before = tree(project.root)
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, out.splitlines()[0]) == (
        0,
        f"ban: skipped, gold exists ({GOLD}); --replace overwrites it",
    )
    assert tree(project.root) == before
    code, _, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob", "--replace")
    assert keys(read(project, GOLD)) == [(29, 35, "ORG", "Huawei")]


def test_gold_edited_after_adjudication_is_refused(project: Project) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    gold = read(project, GOLD)
    gold["entities"][0]["note"] = "checked"
    (project.root / GOLD).write_text(json.dumps(gold), encoding="utf-8")
    resolve(project, C1="alice")
    before = tree(project.root)
    code, out, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {GOLD}: E177 was changed after adjudicate wrote it")
    assert "run again with --replace" in err
    assert tree(project.root) == before
    code, _, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob", "--replace")
    assert code == 0
    assert "note" not in read(project, GOLD)["entities"][0]


def test_dry_run_writes_nothing(project: Project) -> None:
    before = tree(project.root)
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob", "--dry-run")
    assert (code, out.splitlines()[-1]) == (0, "dry run: nothing was written")
    assert tree(project.root) == before


def test_a_resolution_that_breaks_gold_is_refused(project: Project) -> None:
    write_set(project, "ban", (Ent("T1", "Huawei", "GPE", 1),), annotator="carol")
    write_set(project, "ban", (Ent("T1", "Huawei", "ORG", 1),), annotator="dave")
    run(project.root, "adjudicate", "--annotators", "carol", "dave")
    review = read(project, REVIEW)
    # The reviewer writes Huawei as ORG by hand, and also takes carol's GPE: one span, twice.
    review["entities"].append(
        {"id": "T1", "start": 29, "end": 35, "label": "ORG", "text": "Huawei", "source": "gold"}
    )
    review["conflicts"][0]["resolution"] = "carol"
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    before = tree(project.root)
    code, out, err = run(project.root, "adjudicate", "--annotators", "carol", "dave")
    assert (code, out) == (1, "")
    # The hand-written ORG is what C1's choice (carol's GPE) leaves out.
    assert err.startswith(
        f"error: {REVIEW}: E182 C1 is resolved to carol, which leaves out ORG 'Huawei' [29, 35), "
        "but the review file's gold holds it (from an earlier resolution, or written by hand)."
    )
    assert err.rstrip().endswith("Nothing was written.")
    assert tree(project.root) == before
    # Resolved manually instead, the same span twice is still refused by validation.
    resolve(project, C1="manual")
    review = read(project, REVIEW)
    review["entities"].append(
        {"id": "T2", "start": 29, "end": 35, "label": "GPE", "text": "Huawei", "source": "gold"}
    )
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    code, out, err = run(project.root, "adjudicate", "--annotators", "carol", "dave")
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {REVIEW}: E173 does not validate")


@pytest.mark.parametrize(
    ("args", "exit_code", "start"),
    [
        (("--annotators", "alice", "nobody"), 2, "error: E170 there is no annotator set 'nobody'"),
        (("--annotators", "alice"), 2, "error: E179 adjudicate needs two or more annotator sets"),
        (("--annotators", "alice", "Bad/x"), 2, "error: E171 annotator name 'Bad/x' is not a safe"),
        (
            ("talks", "--annotators", "alice", "bob"),
            2,
            "error: E181 document 'talks' is not in the set of alice, bob",
        ),
        (("gone", "--annotators", "alice", "bob"), 2, "error: E213 there is no article 'gone'"),
    ],
)
def test_bad_names_are_usage_errors(
    project: Project, args: tuple[str, ...], exit_code: int, start: str
) -> None:
    before = tree(project.root)
    code, out, err = run(project.root, "adjudicate", *args)
    assert (code, out) == (exit_code, "")
    assert err.startswith(start)
    assert tree(project.root) == before


def test_a_set_with_a_document_not_in_the_corpus(project: Project) -> None:
    path = project.annotations / "annotators" / "bob" / "nope.json"
    path.write_text((project.annotations / "annotators" / "bob" / "ban.json").read_text())
    before = tree(project.root)
    code, _, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert code == 1
    assert err == (
        "error: annotations/annotators/bob/nope.json: E172 bob's set holds document 'nope', "
        "which is not in the corpus; the file name is the document id. Add the article with "
        "`newscorpus add`, rename the file after its article, or delete it.\n"
    )
    assert tree(project.root) == before


def test_an_annotator_file_that_does_not_validate(project: Project) -> None:
    path = project.annotations / "annotators" / "bob" / "ban.json"
    path.write_text(path.read_text().replace('"GPE"', '"COUNTRY"'))
    before = tree(project.root)
    code, _, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert code == 1
    assert err.startswith(
        "error: annotations/annotators/bob/ban.json: E173 does not validate (1 error(s)); the "
        'first: line 5: E109 T1 label is "COUNTRY"'
    )
    assert err.rstrip().endswith("`newscorpus validate --annotator bob` lists every problem.")
    assert tree(project.root) == before


def test_validate_understands_review_files(project: Project) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C1="carol", C2="bob")
    review = read(project, REVIEW)
    review["conflicts"][1]["versions"]["bob"]["entities"][0]["label"] = "COUNTRY"
    (project.root / REVIEW).write_text(json.dumps(review, indent=2), encoding="utf-8")
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert out.splitlines()[:2] == [
        f'{REVIEW}:13:5: E175 conflict C1: resolution is "carol" (a string); allowed: null (not '
        "yet resolved), 'manual', or one side: alice, bob. Set it to the side whose version is "
        'right, or to "manual" after writing the right items into entities/relations yourself.',
        f'{REVIEW}:52:13: E109 C2/bob/T1 label is "COUNTRY"; allowed: PERSON, ORG, GPE, LOC, '
        "TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the schema's entity labels, or declare "
        "this one in schema.yaml.",
    ]
    code, _, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert code == 1
    assert err.startswith(f"error: {REVIEW}: E173 does not validate")


def test_a_malformed_review_file(project: Project) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    del review["adjudication"]
    review["conflicts"][0]["versions"]["bob"] = []
    review["conflicts"][1]["id"] = "C1"
    (project.root / REVIEW).write_text(json.dumps(review, indent=2), encoding="utf-8")
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert [line for line in out.splitlines() if "E174" in line] == [
        f"{REVIEW}:1:1: E174 adjudication is missing; a review file records the annotators it "
        'was made from: {"annotators": [...], "strategy": ..., "gold_sha256": ...}. Regenerate '
        "it with `newscorpus adjudicate` (delete the review file first), or fix the entry.",
        f"{REVIEW}:5:5: E174 conflict C1: bob's version is an array; it must be "
        '{"entities": [...], "relations": [...]}. Regenerate it with `newscorpus adjudicate` '
        "(delete the review file first), or fix the entry.",
        f'{REVIEW}:24:5: E174 two conflicts have the id "C1". Regenerate it with `newscorpus '
        "adjudicate` (delete the review file first), or fix the entry.",
    ]


@pytest.mark.parametrize("step", range(1, 6))
def test_a_kill_at_any_step_leaves_gold_and_review_both_or_neither(
    project: Project, step: int
) -> None:
    # Two files: staged (steps 1-2), committed (3: the journal), applied (4-5).
    env = {**os.environ, "NEWSCORPUS_FAULT_AFTER": str(step)}
    command = [sys.executable, "-c", "from newscorpus.cli import main; main()"]
    args = ["--root", str(project.root), "adjudicate", "--annotators", "alice", "bob"]
    child = subprocess.run([*command, *args], env=env, capture_output=True, check=False)
    assert child.returncode == 137
    recover(load_project(project.root))
    written = {(project.root / GOLD).exists(), (project.root / REVIEW).exists()}
    assert written == ({False} if step < 3 else {True})
    if step >= 3:
        assert keys(read(project, GOLD)) == [(29, 35, "ORG", "Huawei")]


def test_ids_with_digits_int_cannot_read_get_new_ids_after_them(project: Project) -> None:
    """A reviewer's id such as T² passes validate (any string is an id); new ids count on
    from the ASCII-numbered ones rather than stopping on it with a traceback."""
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    review["entities"][0]["id"] = "T\u00b2"
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    assert run(project.root, "validate")[0] == 0
    resolve(project, C1="alice")
    code, _, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, err) == (0, "")
    assert [(e["id"], e["text"]) for e in read(project, GOLD)["entities"]] == [
        ("T\u00b2", "Huawei"),
        ("T1", "US"),
    ]


def test_a_review_file_without_conflicts_is_done(project: Project) -> None:
    """Its last conflicts deleted by hand: gold is written and the file goes, rather than
    'waiting for review' with nothing to review, for ever."""
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    review["conflicts"] = []
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    code, out, _ = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, out.splitlines()[0]) == (
        0,
        f"ban: 0 conflict(s) resolved, gold {GOLD} 1 entities, 0 relations; no open conflicts",
    )
    assert not (project.root / REVIEW).exists()
    assert keys(read(project, GOLD)) == [(29, 35, "ORG", "Huawei")]


def test_manual_cannot_name_a_set(project: Project) -> None:
    """A conflict resolved "manual" keeps the reviewer's hand edits: a set of that name could
    never be chosen."""
    (project.annotations / "annotators" / "bob").rename(
        project.annotations / "annotators" / "manual"
    )
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert "E171 'manual' is reserved for a review's hand-made resolution" in out
    code, _, err = run(project.root, "adjudicate", "--annotators", "alice", "manual")
    assert code == 2
    assert "E171 'manual' is reserved for a review's hand-made resolution" in err


def test_resolutions_that_undo_each_other_are_refused(project: Project) -> None:
    """C1 takes bob's "The US", leaving alice's "US" out; C3 takes alice's relation, whose
    version holds "US" as its head: gold would hold the entity C1 left out."""
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C1="bob", C2="bob", C3="alice")
    before = tree(project.root)
    assert run(project.root, "adjudicate", "--annotators", "alice", "bob") == (
        1,
        "",
        f"error: {REVIEW}: E182 C1 is resolved to bob, which leaves out GPE 'US' [18, 20), but "
        "another resolution (a relation's, whose version holds its arguments) brings it into "
        "gold. Resolve the two alike: keep the entity in C1, or resolve the relation's conflict "
        "to a version without it (or remove it from the review file's entities). Nothing was "
        "written.\n",
    )
    assert tree(project.root) == before
    resolve(project, C3="bob")
    assert run(project.root, "adjudicate", "--annotators", "alice", "bob")[0] == 0


def test_resolutions_that_undo_each_other_in_two_runs_are_refused(project: Project) -> None:
    """The relation first (its version brings "US" into the review's gold), then C1 to bob,
    which leaves "US" out: the second run sees gold holding it."""
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C2="bob", C3="alice")
    assert run(project.root, "adjudicate", "--annotators", "alice", "bob")[0] == 0
    resolve(project, C1="bob")
    code, out, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {REVIEW}: E182 C1 is resolved to bob, which leaves out GPE 'US' [18, 20), but "
        "the review file's gold holds it (from an earlier resolution, or written by hand)."
    )


def test_resolutions_that_undo_each_other_entity_first_are_refused(project: Project) -> None:
    """C1 to bob first, leaving "US" out (the review file records it), then the relation to
    alice, whose version would bring "US" back: refused, unless a reviewer has written "US" into
    the review file's gold by hand."""
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C1="bob", C2="bob")
    assert run(project.root, "adjudicate", "--annotators", "alice", "bob")[0] == 0
    recorded = {"start": 18, "end": 20, "label": "GPE", "conflict": "C1", "resolution": "bob"}
    assert read(project, REVIEW)["adjudication"]["left_out"] == [recorded]
    assert run(project.root, "validate")[0] == 0
    resolve(project, C3="alice")
    before = tree(project.root)
    assert run(project.root, "adjudicate", "--annotators", "alice", "bob") == (
        1,
        "",
        f"error: {REVIEW}: E182 C1 is resolved in an earlier run to bob, which leaves out GPE "
        "'US' [18, 20), but another resolution (a relation's, whose version holds its "
        "arguments) brings it into gold. Resolve the relation's conflict to a version without "
        'it, or to "manual" after writing what gold should hold into the review file\'s '
        "entities and relations (an entity written there by hand is kept). Nothing was "
        "written.\n",
    )
    assert tree(project.root) == before
    review = read(project, REVIEW)
    review["entities"].append(
        {"id": "T9", "start": 18, "end": 20, "label": "GPE", "text": "US", "source": "gold"}
    )
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    assert run(project.root, "adjudicate", "--annotators", "alice", "bob")[0] == 0
    assert (18, 20, "GPE", "US") in keys(read(project, GOLD))
    assert not (project.root / REVIEW).exists()


def test_left_out_names_one_of_the_annotators_and_prints_on_one_line(project: Project) -> None:
    """A hand-edited record: a resolution no annotator has is E174; a conflict id holding a line
    break is escaped in E182, so it cannot forge another line of output."""
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C1="bob", C2="bob")
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    review["adjudication"]["left_out"][0]["resolution"] = "nobody"
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert 'E174 adjudication.left_out[0] was resolved to "nobody", which is none of the ' in out
    review["adjudication"]["left_out"][0].update(resolution="bob", conflict="C1\nrecovered: x")
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    resolve(project, C3="alice")
    code, _, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert code == 1
    assert err.count("\n") == 1
    assert "E182 C1\\u000arecovered: x is resolved in an earlier run to bob" in err


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"start": 20}, "has the span [20, 20), which is no span of a text"),
        ({"start": -1}, "has the span [-1, 20), which is no span of a text"),
        ({"label": "CITY\u202e"}, 'has the label "CITY\\u202e", which the schema does not have'),
        (None, 'repeats the span [18, 20) "GPE"'),
    ],
)
def test_a_left_out_record_must_be_a_span_of_the_schema_once(
    project: Project, change: dict[str, object] | None, problem: str
) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C1="bob", C2="bob")
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    records = review["adjudication"]["left_out"]
    if change is None:
        records.append(dict(records[0]))
    else:
        records[0].update(change)
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert f"E174 adjudication.left_out[{1 if change is None else 0}] {problem}." in out


@pytest.mark.parametrize(
    "left_out",
    [{"start": 18}, [{"start": 18, "end": 20, "label": "GPE"}], [["C1", 18, 20, "GPE", "bob"]]],
)
def test_a_malformed_left_out_record_is_e174(project: Project, left_out: object) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    review = read(project, REVIEW)
    review["adjudication"]["left_out"] = left_out
    (project.root / REVIEW).write_text(json.dumps(review), encoding="utf-8")
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert "E174 adjudication.left_out is " in out
    assert "it lists the entities earlier resolutions left out" in out


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_gold_that_is_no_regular_file_is_e173(project: Project, kind: str) -> None:
    run(project.root, "adjudicate", "--annotators", "alice", "bob")
    resolve(project, C1="bob", C2="bob", C3="bob")
    gold = project.root / GOLD
    gold.unlink()
    if kind == "folder":
        gold.mkdir()
    else:
        os.mkfifo(gold)  # read, it would block adjudicate for ever
    code, out, err = run(project.root, "adjudicate", "--annotators", "alice", "bob")
    assert (code, out, err) == (
        1,
        "",
        f"error: {GOLD}: E173 is not a regular file (a folder, pipe or dangling link) where "
        "gold belongs. Move it away (gold is a JSON file), then run adjudicate again. Nothing "
        "was written.\n",
    )
