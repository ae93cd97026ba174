"""Re-anchoring annotations when the text changes: `renormalise` and `reanchor`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git, run, tree
from newscorpus.model import Entity, Relation
from newscorpus.project import load_project
from newscorpus.reanchor import Status, diff_alignment, reanchor
from newscorpus.validate import validate_project

DOC = "india-japan-5g-agreement"


def test_statuses_and_relations_following_their_arguments() -> None:
    old = "Japan and India met in Tokyo on 5 G ."
    new = "Japan and India met on 5G."
    entities = (
        Entity("T1", 0, 5, "GPE", "Japan"),
        Entity("T2", 10, 15, "GPE", "India"),
        Entity("T3", 23, 28, "GPE", "Tokyo"),
        Entity("T4", 32, 35, "TECHNOLOGY", "5 G"),
    )
    relations = (
        Relation("R1", "T1", "T2", "agreement_with"),
        Relation("R2", "T2", "T3", "located_in"),
        Relation("R3", "T1", "T4", "cooperates_on"),
    )
    result = reanchor(old, new, entities, relations)
    assert [(o.id, o.status) for o in result.outcomes] == [
        ("T1", Status.UNCHANGED),
        ("T2", Status.UNCHANGED),
        ("T3", Status.LOST),
        ("T4", Status.CHANGED),
        ("R1", Status.UNCHANGED),
        ("R2", Status.LOST),
        ("R3", Status.CHANGED),
    ]
    assert result.entities[-1] == Entity("T4", 23, 25, "TECHNOLOGY", "5G")
    assert [r.id for r in result.relations] == ["R1", "R3"]
    assert result.counts() == {"unchanged": 3, "moved": 0, "changed": 2, "lost": 2}


def test_diff_alignment_keeps_untouched_words_exact() -> None:
    old = "The 5 G rollout , said India ."
    new = "The 5G rollout, said India."
    alignment = diff_alignment(old, new)
    for word in ("The", "rollout", "said", "India"):
        start = old.index(word)
        mapped = alignment.to_dst(start, start + len(word))
        assert new[mapped[0] : mapped[1]] == word


def _set_rules(project: Path, rules: list[str] | None) -> None:
    config = project / "pyproject.toml"
    text = config.read_text(encoding="utf-8").split("\n[tool.newscorpus.normalise]")[0]
    if rules is not None:
        text += "\n[tool.newscorpus.normalise]\nrules = " + json.dumps(rules) + "\n"
    config.write_text(text, encoding="utf-8")


def test_a_rule_change_moves_annotations_and_reverting_it_restores_them(
    seed_project: Path,
) -> None:
    from newscorpus.normalise import DEFAULT_RULES

    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    gold = annotation_file.read_bytes()
    _set_rules(seed_project, [r for r in DEFAULT_RULES if r != "generation_names"])
    code, out, _ = run(seed_project, "renormalise")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{DOC}: annotations 3 unchanged, 106 moved, 15 changed, 0 lost"
    assert lines[1] == '  T3 changed TECHNOLOGY "5G" [77, 79) -> [77, 80) "5 G"'
    assert lines[-1] == "1 document(s) renormalised"
    assert not validate_project(load_project(seed_project)).errors
    _set_rules(seed_project, None)
    code, out, _ = run(seed_project, "renormalise")
    assert out.splitlines()[0] == f"{DOC}: annotations 3 unchanged, 106 moved, 15 changed, 0 lost"
    assert annotation_file.read_bytes() == gold


def test_removed_text_is_never_dropped_silently(seed_project: Path) -> None:
    raw_file = seed_project / "corpus" / DOC / "raw.txt"
    raw = raw_file.read_text(encoding="utf-8")
    raw_file.write_text(raw.replace(" and Washington has been advising", " and has been"), "utf-8")
    before = tree(seed_project)
    code, _, err = run(seed_project, "renormalise")
    assert code == 1
    assert err.startswith(
        f"error: corpus/{DOC}/raw.txt: E215 raw.txt no longer matches the sha256 recorded when "
        "it was added ("
    )
    assert err.endswith(
        "Restore it from version control; if the edit is a deliberate correction, run "
        "`newscorpus renormalise --accept-raw-edits`.\n"
    )
    code, _, err = run(seed_project, "renormalise", "--accept-raw-edits")
    assert (code, err) == (
        1,
        f"error: annotations/{DOC}.json: E217 1 annotation(s) would be lost because their text "
        'was removed: T45 lost GPE "Washington" [1953, 1963). No file was changed. Check the '
        "change; to drop them, run the command again with --drop-lost.\n",
    )
    assert tree(seed_project) == before
    code, out, _ = run(seed_project, "renormalise", "--accept-raw-edits", "--drop-lost")
    assert code == 0
    assert out.splitlines()[:2] == [
        f"{DOC}: annotations 70 unchanged, 53 moved, 0 changed, 1 lost",
        '  T45 lost GPE "Washington" [1953, 1963)',
    ]
    assert not validate_project(load_project(seed_project)).errors


@pytest.mark.parametrize("from_git", [True, False])
def test_reanchor_finds_the_annotated_text(seed_project: Path, from_git: bool) -> None:
    text_file = seed_project / "corpus" / DOC / "text.txt"
    old = text_file.read_text(encoding="utf-8")
    old_copy = seed_project.parent / "old.txt"
    old_copy.write_text(old, encoding="utf-8")
    git(seed_project, "init", "-q")
    git(seed_project, "add", "-A")
    git(seed_project, "commit", "-qm", "seed")
    text_file.write_text("Breaking: " + old, encoding="utf-8")
    args = ["reanchor", DOC] if from_git else ["reanchor", DOC, "--old-text", str(old_copy)]
    code, out, _ = run(seed_project, *args)
    assert (code, out) == (0, f"{DOC}: annotations 0 unchanged, 124 moved, 0 changed, 0 lost\n")
    entities = json.loads((seed_project / "annotations" / f"{DOC}.json").read_text("utf-8"))
    assert entities["entities"][0] == {
        "id": "T1",
        "start": 10,
        "end": 15,
        "label": "GPE",
        "text": "India",
        "source": "gold",
    }
    assert run(seed_project, "reanchor", DOC)[1] == (
        f"{DOC}: annotations not moved (already anchored to the current text)\n"
    )


def test_reanchor_without_the_old_text(seed_project: Path) -> None:
    text_file = seed_project / "corpus" / DOC / "text.txt"
    text_file.write_text("Changed. " + text_file.read_text("utf-8"), encoding="utf-8")
    code, _, err = run(seed_project, "reanchor", DOC)
    assert code == 1
    assert err.startswith(
        f"error: annotations/{DOC}.json: E218 cannot find the text these annotations were made "
        "on (sha256 "
    )
    assert err.endswith(
        f"in the git history of corpus/{DOC}/text.txt. Pass that earlier text with "
        "--old-text FILE.\n"
    )


def test_extra_keys_survive_every_rewrite(seed_project: Path, tmp_path: Path) -> None:
    """A curator's note on an entity or relation is kept by every command that rewrites."""
    from newscorpus.normalise import DEFAULT_RULES

    path = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(path.read_text("utf-8"))
    data["entities"][2]["note"] = "5G as written in the headline"
    data["relations"][0]["note"] = "stated twice"
    path.write_text(json.dumps(data), encoding="utf-8")

    def notes() -> tuple[str | None, str | None]:
        current = json.loads(path.read_text("utf-8"))
        return current["entities"][2].get("note"), current["relations"][0].get("note")

    expected = ("5G as written in the headline", "stated twice")
    assert run(seed_project, "preannotate", DOC)[0] == 0
    assert notes() == expected
    _set_rules(seed_project, [r for r in DEFAULT_RULES if r != "generation_names"])
    assert run(seed_project, "renormalise")[0] == 0
    assert notes() == expected
    _set_rules(seed_project, None)
    assert run(seed_project, "renormalise")[0] == 0
    assert notes() == expected
    brat = tmp_path / "brat"
    assert run(seed_project, "export", "brat", str(brat))[0] == 0
    assert run(seed_project, "import", "brat", str(brat))[0] == 0
    assert notes() == expected


def _with_sets(project: Path, *names: str) -> bytes:
    """Copies of gold as annotator sets ``names``; returns gold's bytes."""
    gold = (project / "annotations" / f"{DOC}.json").read_bytes()
    for name in names:
        folder = project / "annotations" / "annotators" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{DOC}.json").write_bytes(gold)
    return gold


def test_renormalise_moves_every_annotator_set_with_gold(seed_project: Path) -> None:
    """An annotator's file is anchored to the text like gold's: left behind, it went stale
    (E143) with nothing able to move it, and agree and the build stopped on it."""
    _with_sets(seed_project, "alice", "bob")
    raw_file = seed_project / "corpus" / DOC / "raw.txt"
    raw_file.write_text("Breaking: " + raw_file.read_text("utf-8"), "utf-8")
    code, out, err = run(seed_project, "renormalise", "--accept-raw-edits")
    assert (code, err) == (0, "")
    moved = "annotations 0 unchanged, 124 moved, 0 changed, 0 lost"
    assert out.splitlines() == [
        f"{DOC}: {moved}",
        f"{DOC} [alice]: {moved}",
        f"{DOC} [bob]: {moved}",
        "1 document(s) renormalised",
    ]
    gold = (seed_project / "annotations" / f"{DOC}.json").read_bytes()
    for name in ("alice", "bob"):
        assert (
            seed_project / "annotations" / "annotators" / name / f"{DOC}.json"
        ).read_bytes() == gold
    assert run(seed_project, "validate", "--strict")[0] == 0


def test_reanchor_moves_a_stale_annotator_set(seed_project: Path) -> None:
    old = _with_sets(seed_project, "alice")
    text_file = seed_project / "corpus" / DOC / "text.txt"
    old_copy = seed_project.parent / "old.txt"
    old_copy.write_text(text_file.read_text("utf-8"), "utf-8")
    text_file.write_text("Breaking: " + old_copy.read_text("utf-8"), "utf-8")
    (seed_project / "annotations" / f"{DOC}.json").write_bytes(old)
    code, out, _ = run(seed_project, "reanchor", DOC, "--old-text", str(old_copy))
    assert (code, out.splitlines()) == (
        0,
        [
            f"{DOC}: annotations 0 unchanged, 124 moved, 0 changed, 0 lost",
            f"{DOC} [alice]: annotations 0 unchanged, 124 moved, 0 changed, 0 lost",
        ],
    )
    gold = (seed_project / "annotations" / f"{DOC}.json").read_bytes()
    assert (
        seed_project / "annotations" / "annotators" / "alice" / f"{DOC}.json"
    ).read_bytes() == gold


def test_a_document_under_review_keeps_its_text_until_the_review_is_done(
    seed_project: Path,
) -> None:
    _with_sets(seed_project, "alice")
    review = seed_project / "annotations" / "review"
    review.mkdir()
    (review / f"{DOC}.json").write_text("{}", "utf-8")
    raw_file = seed_project / "corpus" / DOC / "raw.txt"
    raw_file.write_text("Breaking: " + raw_file.read_text("utf-8"), "utf-8")
    before = tree(seed_project)
    assert run(seed_project, "renormalise", "--accept-raw-edits") == (
        1,
        "",
        f"error: annotations/review/{DOC}.json: E223 document {DOC} is under review, and the "
        "review's conflicts hold each annotator's version on the current text; no file was "
        "changed. Finish the review first (resolve its conflicts, then `newscorpus "
        "adjudicate`), or delete the review file: adjudicate makes it again from the moved "
        "sets.\n",
    )
    assert tree(seed_project) == before


def test_an_entity_past_the_end_of_its_text_is_e112_not_a_traceback(seed_project: Path) -> None:
    _with_sets(seed_project, "alice")
    alice = seed_project / "annotations" / "annotators" / "alice" / f"{DOC}.json"
    data = json.loads(alice.read_text("utf-8"))
    data["entities"][0]["start"], data["entities"][0]["end"] = 99990, 99999
    alice.write_text(json.dumps(data), encoding="utf-8")
    raw_file = seed_project / "corpus" / DOC / "raw.txt"
    raw_file.write_text("Breaking: " + raw_file.read_text("utf-8"), "utf-8")
    before = tree(seed_project)
    code, out, err = run(seed_project, "renormalise", "--accept-raw-edits")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: annotations/annotators/alice/{DOC}.json: E112 T1 [99990, 99999) ends past the "
        "end of the text it was made on ("
    )
    assert tree(seed_project) == before


def test_sets_stale_on_different_texts_are_moved_one_old_text_at_a_time(
    seed_project: Path,
) -> None:
    """Gold made on T0, alice's set on T1, the text now T2, none of them in git: each
    --old-text moves the files made on it and names the others, where it refused them all
    (E218)."""
    gold_file = seed_project / "annotations" / f"{DOC}.json"
    text_file = seed_project / "corpus" / DOC / "text.txt"
    t0, t1 = seed_project.parent / "t0.txt", seed_project.parent / "t1.txt"
    t0.write_text(text_file.read_text("utf-8"), "utf-8")
    t1.write_text("Breaking: " + t0.read_text("utf-8"), "utf-8")
    gold_on_t0 = _with_sets(seed_project, "alice")
    text_file.write_text(t1.read_text("utf-8"), "utf-8")
    assert run(seed_project, "reanchor", DOC, "--old-text", str(t0))[0] == 0
    gold_file.write_bytes(gold_on_t0)  # gold on T0 again, alice on T1
    text_file.write_text("Update: " + t1.read_text("utf-8"), "utf-8")
    code, out, _ = run(seed_project, "reanchor", DOC, "--old-text", str(t1))
    assert (code, out.splitlines()) == (
        0,
        [
            f"{DOC} [alice]: annotations 0 unchanged, 124 moved, 0 changed, 0 lost",
            f"{DOC}: annotations not moved (made on another text than --old-text; move them "
            f"with `newscorpus reanchor {DOC} --old-text FILE` naming that text)",
        ],
    )
    code, out, _ = run(seed_project, "reanchor", DOC, "--old-text", str(t0))
    assert (code, out.splitlines()[0]) == (
        0,
        f"{DOC}: annotations 0 unchanged, 124 moved, 0 changed, 0 lost",
    )
    assert run(seed_project, "reanchor", DOC)[1].splitlines() == [
        f"{DOC}: annotations not moved (already anchored to the current text)",
        f"{DOC} [alice]: annotations not moved (already anchored to the current text)",
    ]
