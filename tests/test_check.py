"""``newscorpus check``: corpus-wide consistency warnings, accepted exceptions, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from build_helpers import Ent
from conftest import run, tree
from newscorpus.project import Project
from quality_helpers import two_docs, write_set


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = two_docs(tmp_path / "proj")
    write_set(
        project,
        "ban",
        (
            Ent("T1", "US", "GPE"),
            Ent("T2", "Huawei", "ORG", 1),
            Ent("T3", "Huawei Technologies", "ORG"),
            Ent("T4", "US", "GPE", 1),
        ),
        (("R1", "T1", "T2", "restricts"),),
    )
    write_set(
        project,
        "talks",
        (
            Ent("T1", "the US", "GPE"),
            Ent("T2", "China", "GPE"),
            Ent("T3", "China", "ORG", 1),
            Ent("T4", "Huawei", "ORG"),
            Ent("T5", "US", "GPE"),
        ),
        (("R1", "T4", "T5", "based_in"),),
    )
    return project


EXPECTED = [
    # "Huawei" in the headline of ban is a whole word, not annotated; the one inside the
    # annotated ORG "Huawei Technologies" is part of that name and not reported.
    'annotations/ban.json: W170 "Huawei" at [0, 6) is not annotated, but "Huawei" is annotated '
    "ORG at ban T2 [29, 35) (2 annotated mentions in all): a likely missed mention. Annotate it "
    "as ORG, if it names the same thing. If it is right, accept it in annotations/checks.yaml "
    "with a reason.",
    'annotations/ban.json: W170 "the US" at [71, 77) is not annotated, but "the US" is annotated '
    "GPE at talks T1 [57, 63): a likely missed mention. Annotate it as GPE, if it names the same "
    "thing. If it is right, accept it in annotations/checks.yaml with a reason.",
    'annotations/ban.json: W172 ORG "Huawei" (2x, first at ban T2 [29, 35)) is also annotated '
    'with a neighbouring word as "Huawei Technologies" (1x, first at ban T3 [37, 56)). Pick one '
    "boundary for the name (see GUIDELINES.md) and apply it everywhere. If it is right, accept "
    "it in annotations/checks.yaml with a reason.",
    'annotations/ban.json: W173 "Huawei" and "US" are linked by different relation labels: '
    "based_in 1x (first talks R1); restricts 1x (first ban R1). Use one label where the text "
    "states the same relation. If it is right, accept it in annotations/checks.yaml with a "
    "reason.",
    # "The US" at the start of a sentence: the US inside it is not annotated on its own.
    'annotations/talks.json: W170 "US" at [20, 22) is not annotated, but "US" is annotated GPE '
    "at talks T5 [0, 2) (3 annotated mentions in all): a likely missed mention. Annotate it as "
    "GPE, if it names the same thing. If it is right, accept it in annotations/checks.yaml with "
    "a reason.",
    'annotations/talks.json: W171 "China" is annotated with different labels: GPE 1x (first at '
    "talks T2 [27, 32)); ORG 1x (first at talks T3 [39, 44)). Use one label where it names the "
    "same kind of thing (see GUIDELINES.md). If it is right, accept it in "
    "annotations/checks.yaml with a reason.",
    'annotations/talks.json: W172 GPE "US" (3x, first at ban T1 [18, 20)) is also annotated '
    'with a neighbouring word as "the US" (1x, first at talks T1 [57, 63)). Pick one boundary '
    "for the name (see GUIDELINES.md) and apply it everywhere. If it is right, accept it in "
    "annotations/checks.yaml with a reason.",
]


def test_every_check_names_both_places(project: Project) -> None:
    code, out, err = run(project.root, "check")
    assert (code, err) == (0, "")
    assert out.splitlines() == [*EXPECTED, "7 warnings in 2 documents"]


def test_strict_fails_on_warnings_and_doc_ids_narrow_the_report(project: Project) -> None:
    code, out, _ = run(project.root, "check", "--strict", "talks")
    assert code == 1
    # Warnings that involve talks, wherever they are reported.
    assert [" ".join(line.split(" ")[:2]) for line in out.splitlines()] == [
        "annotations/ban.json: W172",  # Huawei is annotated in talks too
        "annotations/ban.json: W173",
        "annotations/talks.json: W170",
        "annotations/talks.json: W171",
        "annotations/talks.json: W172",
        "5 warnings",
    ]
    assert out.splitlines()[-1] == "5 warnings in 1 document"


def test_accepted_exceptions_and_stale_ones(project: Project) -> None:
    (project.annotations / "checks.yaml").write_text(
        "accept:\n"
        "  - {code: W172, text: US, other: the US, reason: both boundaries are right here}\n"
        "  - {code: W170, text: Huawei, doc: ban, start: 0, reason: the headline}\n"
        "  - {code: W170, text: the US, doc: ban, reason: the US inside it is annotated}\n"
        "  - {code: W171, text: China, reason: one is the state company}\n"
        "  - {code: W173, text: Huawei, other: US, reason: two statements}\n"
        "  - {code: W172, text: Huawei, reason: the company and its full name}\n"
        "  - {code: W170, text: US, doc: talks, start: 20, reason: part of The US}\n"
        "  - {code: W171, text: Japan, reason: gone}\n",
        encoding="utf-8",
    )
    code, out, _ = run(project.root, "check", "--strict")
    assert code == 1
    assert out.splitlines() == [
        'annotations/checks.yaml: W174 accept[7] (W171 "Japan") matches no warning: the '
        "annotations it excused have changed. Remove the entry.",
        "1 warning in 2 documents (7 accepted in checks.yaml)",
    ]
    # Narrowed to one document, an entry used only by the other is still not stale.
    code, out, _ = run(project.root, "check", "ban")
    assert (code, out.splitlines()[-1]) == (
        0,
        "1 warning in 1 document (5 accepted in checks.yaml)",
    )
    assert 'W174 accept[7] (W171 "Japan")' in out and "accept[6]" not in out
    # What the card shows, counted without wording each warning.
    from newscorpus.check import CheckCounts, check_counts
    from newscorpus.schema import Schema

    assert check_counts(project, Schema.load(project.schema_path)) == CheckCounts(7, 2, {"W174": 1})


def test_json_and_github_formats(project: Project) -> None:
    code, out, _ = run(project.root, "check", "--format", "json")
    document = json.loads(out)
    assert (code, document["ok"], document["warnings"], document["accepted"]) == (0, True, 7, 0)
    assert document["issues"][0]["code"] == "W170"
    assert document["issues"][0]["severity"] == "warning"
    _, out, _ = run(project.root, "check", "--format", "github")
    assert out.splitlines()[0].startswith("::warning file=annotations/ban.json,title=W170::")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("accept: [1, 2", "cannot be read as YAML"),
        ("accept: " + "[" * 5000 + "]" * 5000, "is nested too deeply to be read as YAML."),
        ("skip: []\n", "must be a mapping with one key, accept"),
        ("accept:\n  - {code: W999, text: x, reason: y}\n", "accept[0] code is 'W999'"),
        ("accept:\n  - {code: W170, text: x}\n", "accept[0] needs a non-empty reason."),
        ("accept:\n  - {code: W170, text: x, reason: y, when: z}\n", "unknown key 'when'"),
        ("accept:\n  - {code: W170, text: x, reason: y, start: -1}\n", "start must be"),
    ],
)
def test_a_bad_exceptions_file_is_a_coded_error(
    project: Project, content: str, message: str
) -> None:
    (project.annotations / "checks.yaml").write_text(content, encoding="utf-8")
    code, out, err = run(project.root, "check")
    assert (code, out) == (1, "")
    assert err.startswith("error: annotations/checks.yaml: E178 ")
    assert message in err


def test_a_gold_file_that_does_not_validate_is_named(project: Project) -> None:
    path = project.annotations / "talks.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"GPE"', '"COUNTRY"', 1))
    before = tree(project.root)
    code, out, err = run(project.root, "check")
    assert (code, out) == (1, "")
    assert err.startswith(
        "error: annotations/talks.json: E173 does not validate (1 error(s)); the first: line "
    )
    assert 'E109 T1 label is "COUNTRY"' in err
    assert err.rstrip().endswith("Fix it first: `newscorpus validate` lists every problem.")
    assert tree(project.root) == before


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("entities", ["GPE"], "E106 T1 label is an array"),
        ("entities", {"l": 1}, "E106 T1 label is an object"),
        ("relations", ["T1"], "E106 R1 head is an array"),
    ],
)
def test_a_list_where_a_string_belongs_is_named_not_a_traceback(
    project: Project, where: str, value: object, message: str
) -> None:
    """The quick pass looked a label or head up in a set before checking it was a string."""
    path = project.annotations / "talks.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data[where][0]["label" if where == "entities" else "head"] = value
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run(project.root, "check")
    assert (code, out) == (1, "")
    assert err.startswith("error: annotations/talks.json: E173 does not validate")
    assert message in err


def test_unknown_doc_id(project: Project) -> None:
    code, _, err = run(project.root, "check", "nope")
    assert code == 2
    assert err == (
        "error: E213 there is no gold annotation file for 'nope' (annotations/nope.json). "
        "Check the id; check reads gold only.\n"
    )


def test_the_seed_corpus_passes_strict(seed_project: Path) -> None:
    code, out, _ = run(seed_project, "check", "--strict")
    assert (code, out) == (
        0,
        "ok: no consistency warnings in 1 document (2 accepted in checks.yaml)\n",
    )


@pytest.mark.parametrize("accepted", [False, True])
def test_the_viewers_document_checks_file_what_check_reports(
    project: Project, accepted: bool
) -> None:
    from newscorpus.annotations import annotation_path, read_annotations
    from newscorpus.check import document_checks
    from newscorpus.check_gold import Mention
    from newscorpus.corpus import load_article

    if accepted:
        (project.annotations / "checks.yaml").write_text(
            "accept:\n  - {code: W170, text: Huawei, doc: ban, start: 0, reason: the headline}\n"
            "  - {code: W171, text: China, reason: one is the state company}\n",
            encoding="utf-8",
        )
    _, out, _ = run(project.root, "check")
    checks = document_checks(project)
    assert checks is not None
    filed = []
    for doc_id in ("ban", "talks"):
        gold = read_annotations(annotation_path(project, doc_id))
        mentions = [Mention(e.id, e.start, e.end, e.label, e.text) for e in gold.entities]
        text = load_article(project, doc_id).text
        filed += [i.render() for i in checks.for_document(doc_id, text, mentions)]
    assert filed == out.splitlines()[:-1]
    assert len(filed) == (5 if accepted else 7)


def test_any_number_of_workers_gives_one_report(tmp_path: Path) -> None:
    """Gold is read in parts by worker processes; their first passes merge into what one pass
    learns, and the first bad file in file order is the one named, whichever part ends first."""
    from newscorpus.check import check_project
    from newscorpus.engines import EngineSettings
    from newscorpus.errors import NewscorpusError
    from newscorpus.schema import Schema
    from test_scale import seed_and_synthetic

    project = seed_and_synthetic(tmp_path / "proj")
    schema = Schema.load(project.schema_path)
    engines = [EngineSettings("serial", 1), EngineSettings("process", 2), EngineSettings(jobs=3)]
    reports = [check_project(project, schema, engine=e) for e in engines]
    assert reports[0].counts and reports[0].documents == 11
    assert all(r == reports[0] for r in reports)
    gold = sorted(project.annotations.glob("*.json"))
    wanted = [path.stem for path in gold[-2:]]
    narrowed = [check_project(project, schema, wanted, engine=e) for e in engines]
    assert all(r == narrowed[0] for r in narrowed) and narrowed[0].documents == 2
    for path in (gold[-1], gold[5]):
        path.write_text(path.read_text(encoding="utf-8").replace('"GPE"', '"COUNTRY"'))
    errors = []
    for engine in engines:
        with pytest.raises(NewscorpusError) as err:
            check_project(project, schema, engine=engine)
        errors.append(str(err.value))
    assert errors[0].startswith(f"annotations/{gold[5].name}: E173 ")
    assert errors == [errors[0]] * 3


def test_errors_cross_process_boundaries_whole() -> None:
    """A worker's errors and warnings are pickled to the parent with every field."""
    import pickle

    from newscorpus.check_exceptions import Subject
    from newscorpus.errors import Issue, NewscorpusError, SpanRemovedError, UsageError

    for err in (
        NewscorpusError("E173", "does not validate.", fix="Fix it.", where="a.json"),
        UsageError("E213", "no such id."),
        SpanRemovedError(3, 5, "source"),
    ):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.__dict__ == err.__dict__
        assert str(back) == str(err)
    found = Issue("W170", "warning", "annotations/a.json", "missed.", "Annotate it.", "T1", 2, 3)
    about = Subject("W172", "US", "the US", ("a", "b"), 4)
    assert pickle.loads(pickle.dumps([found, about])) == [found, about]
