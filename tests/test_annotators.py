"""Annotator sets: validate covers them (and review files); ``newscorpus agree`` on a project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from build_helpers import Ent
from conftest import run, tree
from newscorpus.project import Project
from quality_helpers import two_docs, write_set

ALICE = (Ent("T1", "US", "GPE"), Ent("T2", "Huawei", "ORG", 1), Ent("T3", "Huawei", "ORG"))
BOB = (Ent("T1", "The US", "GPE"), Ent("T2", "Huawei", "ORG", 1), Ent("T3", "Curbs", "ORG"))
RESTRICTS = (("R1", "T1", "T2", "restricts"),)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = two_docs(tmp_path / "proj")
    write_set(project, "ban", ALICE[:2], RESTRICTS)
    write_set(project, "talks", (Ent("T1", "China", "GPE"),))
    write_set(project, "ban", ALICE, RESTRICTS, annotator="alice")
    write_set(project, "ban", BOB, RESTRICTS, annotator="bob")
    return project


# --- validate --------------------------------------------------------------------------------


def test_validate_checks_every_set_with_the_same_validator(project: Project) -> None:
    assert run(project.root, "validate", "--strict")[1] == (
        "ok: 4 annotation files, 2 articles, no problems\n"
    )
    bob = project.annotations / "annotators" / "bob" / "ban.json"
    bob.write_text(bob.read_text().replace('"ORG"', '"COMPANY"', 1))
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert out.splitlines()[0].startswith(
        'annotations/annotators/bob/ban.json:13:5: E109 T2 label is "COMPANY"'
    )
    # --annotator narrows the check to one set (and its articles).
    assert run(project.root, "validate", "--annotator", "alice")[1] == (
        "ok: 1 annotation file, 1 article, no problems\n"
    )
    assert run(project.root, "validate", "--annotator", "bob")[0] == 1


@pytest.mark.parametrize("broken", ["annotators/bob/ban.json", "review/ban.json"])
def test_build_refuses_what_validate_reports_in_a_set_or_a_review_file(
    project: Project, broken: str
) -> None:
    """The build checks every file validate checks: it built while a set or review file
    failed validate (the card's agreement step stopped it only with two sets or more)."""
    (project.annotations / "annotators" / "alice" / "ban.json").unlink()
    path = project.annotations / broken
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{", "utf-8")
    assert run(project.root, "validate")[0] == 1
    code, out, err = run(project.root, "build")
    assert (code, out) == (1, "")
    assert err.startswith(
        "error: E301 the project has 1 validation error, so nothing was built. Run `newscorpus "
        f"validate` for the full report and fix them; it is:\n  annotations/{broken}:1:2: E103 "
    )
    assert not (project.root / "dist").exists()
    path.unlink()
    assert run(project.root, "build")[0] == 0


def test_only_gold_counts_as_annotated(project: Project) -> None:
    (project.annotations / "talks.json").unlink()
    write_set(project, "talks", (Ent("T1", "China", "GPE"),), annotator="alice")
    code, out, _ = run(project.root, "validate")
    assert (code, out.splitlines()[0]) == (
        0,
        "corpus/talks: W102 article talks has no annotation file (annotations/talks.json). "
        "Annotate it, or remove the article from the corpus.",
    )


def test_stray_entries_of_the_annotators_folder(project: Project) -> None:
    folder = project.annotations / "annotators"
    (folder / "Bad Name").mkdir()
    (folder / "loose.json").write_text("{}")
    (folder / "gold").mkdir()
    orphan = folder / "alice" / "gone.json"
    orphan.write_text((folder / "alice" / "ban.json").read_text().replace('"ban"', '"gone"'))
    code, out, _ = run(project.root, "validate")
    assert code == 1
    assert out.splitlines() == [
        "annotations/annotators/Bad Name: E171 annotator name 'Bad Name' is not a safe slug: use "
        "1-100 characters from a-z, 0-9, '-', '_' and '.', starting with a letter or digit, with "
        "no '/', '\\', '..', spaces, capitals or control characters, so no command reads this "
        "set. Rename the folder.",
        "annotations/annotators/alice/gone.json: E144 there is no article gone in the corpus "
        "(corpus/gone/ is missing); the file name is the document id. Add the article with "
        "`newscorpus add`, rename the file after its article, or delete it.",
        "annotations/annotators/gold: E171 'gold' is reserved for the gold annotations "
        "(`--against gold`), so no command reads this set. Rename the folder.",
        "annotations/annotators/loose.json: E176 is not a folder; annotations/annotators/ holds "
        "one folder per annotator, each with that annotator's <doc_id>.json files. Move it into "
        "an annotator's folder (annotations/annotators/NAME/), or remove it.",
        "4 errors, 0 warnings in 4 files",
    ]


def test_paths_into_the_annotator_folders(project: Project) -> None:
    root = project.root
    assert run(root, "validate", str(root / "annotations" / "annotators"))[1] == (
        "ok: 2 annotation files, 1 article, no problems\n"
    )
    assert run(root, "validate", str(root / "annotations" / "annotators" / "bob"))[1] == (
        "ok: 1 annotation file, 1 article, no problems\n"
    )
    (root / "annotations" / "review").mkdir()
    code, _, err = run(root, "validate", str(root / "annotations" / "review"))
    assert code == 2
    assert "E145" in err and "holds no annotation files" in err


def test_unknown_annotator_and_paths_with_annotator(project: Project) -> None:
    code, _, err = run(project.root, "validate", "--annotator", "carol")
    assert (code, err) == (
        2,
        "error: E170 there is no annotator set 'carol' (annotations/annotators/carol/ is "
        "missing); annotator sets: alice, bob. Check the spelling, or import that annotator's "
        "work first (e.g. `newscorpus import ... --annotator carol`).\n",
    )
    code, _, err = run(project.root, "validate", "--annotator", "../x")
    assert code == 2 and err.startswith("error: E171 annotator name '../x' is not a safe slug")
    code, _, err = run(project.root, "validate", "--annotator", "bob", str(project.annotations))
    assert code == 2 and "E145 pass either PATHs or --annotator, not both." in err


# --- agree -----------------------------------------------------------------------------------


def test_agree_text_output(project: Project) -> None:
    code, out, err = run(project.root, "agree", "--annotators", "alice", "bob")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "alice vs bob: 1 shared document(s)",
        "  figure                            P      R     F1  items (alice / bob)",
        "  entities, exact               0.333  0.333  0.333  1 matched of 3 / 3",
        "    ORG                         0.500  0.500  0.500  1 matched of 2 / 2",
        "    GPE                         0.000  0.000  0.000  0 matched of 1 / 1",
        "  entities, overlap             0.667  0.667  0.667  2 matched of 3 / 3",
        "    ORG                         0.500  0.500  0.500  1 matched of 2 / 2",
        "    GPE                         1.000  1.000  1.000  1 matched of 1 / 1",
        # 15 tokens; A tags Huawei B-ORG, US B-GPE, Huawei B-ORG; B tags Curbs B-ORG, The B-GPE,
        # US I-GPE, Huawei B-ORG. p_o = 11/15, p_e = (2*2 + 1*1 + 12*11)/225 = 137/225:
        # kappa = 28/88. ORG alone: 22/52; GPE alone: 12/42.
        "  token kappa (BIO)                           0.318  15 tokens",
        "    ORG                                       0.423",
        "    GPE                                       0.286",
        "  relations                     0.000  0.000  0.000  0 matched of 1 / 1",
        "    restricts                   0.000  0.000  0.000  0 matched of 1 / 1",
        "  relations, matched args         n/a    n/a    n/a  0 matched of 0 / 0",
        "    restricts                     n/a    n/a    n/a  0 matched of 0 / 0",
        "  disagreements: 5",
        "    ban entity missing: alice [0, 6) 'Huawei' ORG; bob -",
        "    ban entity missing: alice -; bob [7, 12) 'Curbs' ORG",
        "    ban entity boundary: alice [18, 20) 'US' GPE; bob [14, 20) 'The US' GPE",
        "    ban relation: alice -; bob restricts('The US' [14, 20), 'Huawei' [29, 35))",
        "    ban relation: alice restricts('US' [18, 20), 'Huawei' [29, 35)); bob -",
    ]


def test_agree_json_against_gold_and_three_sets(project: Project) -> None:
    write_set(project, "ban", ALICE, RESTRICTS, annotator="carol")
    code, out, _ = run(project.root, "agree", "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert [(p["a"], p["b"]) for p in report["pairs"]] == [
        ("alice", "bob"),
        ("alice", "carol"),
        ("bob", "carol"),
    ]
    alice_carol = report["pairs"][1]["figures"]
    assert alice_carol["entities"]["exact"]["overall"]["f1"] == 1.0
    assert alice_carol["disagreements"] == []
    mean = report["mean"]
    assert mean["pairs"] == 3
    assert mean["entities"]["exact"]["overall"]["f1"] == pytest.approx((1 / 3 + 1 + 1 / 3) / 3)
    code, out, _ = run(
        project.root, "agree", "--annotators", "bob", "--against", "gold", "--format", "json"
    )
    report = json.loads(out)
    assert [(p["a"], p["b"]) for p in report["pairs"]] == [("bob", "gold")]
    exact = report["pairs"][0]["figures"]["entities"]["exact"]["overall"]
    assert (exact["matched"], exact["a"], exact["b"], exact["recall"]) == (1, 3, 2, 0.5)


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (("--annotators", "alice"), "error: E179 agree needs two annotator sets; found 1 (alice)."),
        (("--annotators", "alice", "zed"), "error: E170 there is no annotator set 'zed'"),
        (("nope",), "error: E213 there is no article 'nope' in the corpus."),
    ],
)
def test_agree_usage_errors(project: Project, args: tuple[str, ...], start: str) -> None:
    code, out, err = run(project.root, "agree", *args)
    assert (code, out) == (2, "")
    assert err.startswith(start)


def test_agree_names_a_file_that_does_not_validate(project: Project) -> None:
    bob = project.annotations / "annotators" / "bob" / "ban.json"
    bob.write_text("{")
    before = tree(project.root)
    code, _, err = run(project.root, "agree")
    assert code == 1
    assert err.startswith(
        "error: annotations/annotators/bob/ban.json: E173 does not validate (1 error(s)); the "
        "first: line 1: E103"
    )
    assert tree(project.root) == before


def test_agree_means_only_the_pairs_that_share_a_document(project: Project) -> None:
    write_set(project, "ban", ALICE, RESTRICTS, annotator="carol")
    write_set(project, "talks", (Ent("T1", "China", "GPE"),), annotator="dave")
    code, out, _ = run(project.root, "agree")
    assert code == 0
    assert "3 of 6 pairs share no document (not in the mean)\nmean over 3 pairs:\n" in out
    code, out, _ = run(project.root, "agree", "--format", "json")
    mean = json.loads(out)["mean"]
    assert mean["pairs"] == 3
    assert mean["entities"]["exact"]["overall"]["f1"] == pytest.approx((1 / 3 + 1 + 1 / 3) / 3)
