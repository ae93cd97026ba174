"""doccano export and import: exact round trips, sequence labelling, bad lines refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import lock_held, run, tree

DOC = "india-japan-5g-agreement"


@pytest.fixture
def jsonl(seed_project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "doccano"
    assert run(seed_project, "export", "doccano", str(out)) == (
        0,
        f"exported 1 document(s) to {out} (doccano)\n",
        "",
    )
    assert sorted(p.name for p in out.iterdir()) == ["doccano.jsonl"]
    return out / "doccano.jsonl"


def read(path: Path) -> dict[str, Any]:
    (line,) = path.read_text("utf-8").splitlines()
    data: dict[str, Any] = json.loads(line)
    return data


def write(path: Path, *lines: object) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_export_is_doccano_relation_extraction(seed_project: Path, jsonl: Path) -> None:
    line = read(jsonl)
    assert list(line) == ["text", "doc_id", "title", "url", "entities", "relations"]
    assert line["text"] == (seed_project / "corpus" / DOC / "text.txt").read_text("utf-8")
    assert line["entities"][0] == {"id": 1, "label": "GPE", "start_offset": 0, "end_offset": 5}
    assert line["relations"][0] == {"id": 1, "from_id": 1, "to_id": 2, "type": "agreement_with"}
    assert (len(line["entities"]), len(line["relations"])) == (89, 35)


def test_round_trip_is_identical(seed_project: Path, jsonl: Path) -> None:
    before = tree(seed_project)
    assert run(seed_project, "import", "doccano", str(jsonl)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (doccano): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_sequence_labelling_import(seed_project: Path, jsonl: Path, tmp_path: Path) -> None:
    line = read(jsonl)
    labels = [[e["start_offset"], e["end_offset"], e["label"]] for e in line["entities"]]
    sequence = {"id": 7, "text": line["text"], "label": labels, "Comments": []}
    path = write(tmp_path / "sl.jsonl", sequence)
    code, out, err = run(seed_project, "import", "doccano", str(path), "--annotator", "carol")
    assert (code, out, err) == (
        0,
        f"{DOC} [carol]: entities +89 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (doccano): 1 annotation file(s) written\n",
        "",
    )
    gold = json.loads((seed_project / "annotations" / f"{DOC}.json").read_text("utf-8"))
    carol_file = seed_project / "annotations" / "annotators" / "carol" / f"{DOC}.json"
    carol = json.loads(carol_file.read_text("utf-8"))
    assert carol["entities"] == gold["entities"]
    assert carol["relations"] == []
    # Into gold, the sequence-labelling file would remove every relation: reported, refused.
    code, _, err = run(seed_project, "import", "doccano", str(path))
    assert code == 1
    assert err.startswith(f"error: {path}: E155 the import would change or remove curated ")
    assert "    - R1 agreement_with T1 -> T2\n" in err


BAD_LINES = [
    (
        "text",
        None,
        "E162 has no text, so its offsets cannot be checked. Export the dataset from doccano "
        "as JSONL (which writes each text).",
    ),
    (
        "entities",
        "T1",
        'E161 entities must be a list, not "T1". Fix the file, or export it from the tool again.',
    ),
    (
        "entities.0.start_offset",
        None,
        "entity 1: E151 span offsets [None, 5) are not two integers with 0 <= start < end. "
        "Fix the offsets in the file.",
    ),
    (
        "entities.0.end_offset",
        99999,
        "entity 1: E151 span [0, 99999) ends past the end of the text (4563 characters). Check "
        "that the file was exported from the same text.",
    ),
    (
        "entities.0.label",
        "COUNTRY",
        "entity 1: E153 entity label 'COUNTRY' is not in the schema; allowed: PERSON, ORG, GPE, "
        "LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the schema's labels (the exported "
        "label config lists them), or declare this one in schema.yaml.",
    ),
    (
        "relations.0.to_id",
        999,
        "relation 1: E165 relation 'agreement_with' points to entity '999', which is not among "
        "the entity ids of this annotation (1, 2, 3, 4, 5, 6, 7, 8, 9, 10). Remove the "
        "relation, or restore the entity it links.",
    ),
    (
        "relations.0.type",
        "is_near",
        "relation 1: E153 relation label 'is_near' is not in the schema; allowed: role_in, "
        "agreement_with, cooperates_on, restricts, based_in, located_in, participates_in, "
        "proposed, alias_of. Use one of the schema's labels (the exported label config lists "
        "them), or declare this one in schema.yaml.",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_LINES)
def test_bad_lines_are_refused(
    seed_project: Path, jsonl: Path, path: str, value: Any, message: str
) -> None:
    line = read(jsonl)
    *parents, last = path.split(".")
    node: Any = line
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is None and last == "text":
        del node[last]
    else:
        node[last] = value
    write(jsonl, line)
    before = tree(seed_project)
    where = f"{jsonl}:1" + ("" if message.startswith("E") else ", ")
    assert run(seed_project, "import", "doccano", str(jsonl)) == (
        1,
        "",
        f"error: {where}{': ' if message.startswith('E') else ''}{message}\n",
    )
    assert tree(seed_project) == before


def test_syntax_errors_and_duplicates(seed_project: Path, jsonl: Path, tmp_path: Path) -> None:
    line = read(jsonl)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(line) + '\n\n{"text": "x", "label": [[0, 1, "GPE"]\n', "utf-8")
    assert run(seed_project, "import", "doccano", str(bad)) == (
        1,
        "",
        f"error: {bad}:3:38: E160 is not valid JSON: Expecting ',' delimiter. Fix the file at "
        "that position, or export it from the tool again.\n",
    )
    write(bad, line, [1, 2])
    assert run(seed_project, "import", "doccano", str(bad))[2] == (
        f"error: {bad}:2: E161 a line must be a JSON object, not [1, 2]. Fix the file, or "
        "export it from the tool again.\n"
    )
    write(bad, line, line)
    assert run(seed_project, "import", "doccano", str(bad))[2] == (
        f"error: {bad}:2: E163 is a second item for document {DOC!r} (the first is {bad}:1); "
        "an import holds each document once. Remove the duplicate task or line, or import the "
        "copies one at a time.\n"
    )


def test_unrelated_output_is_not_overwritten(seed_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "doccano.jsonl").write_text("mine\n", encoding="utf-8")
    (out / "labels.json").write_text("[]", encoding="utf-8")
    code, _, err = run(seed_project, "export", "doccano", str(out))
    assert (code, err) == (
        1,
        f"error: {out}: E159 holds files that a doccano export does not write (labels.json), so "
        "it is not a previous doccano export and nothing was written. Export into a new or "
        "empty folder, or into a folder a previous export of the same format wrote.\n",
    )
    assert (out / "doccano.jsonl").read_text("utf-8") == "mine\n"


def test_annotator_options_are_checked(seed_project: Path, jsonl: Path) -> None:
    code, _, err = run(seed_project, "import", "doccano", str(jsonl), "--annotator", "{user}")
    assert (code, err.splitlines()[-1]) == (
        2,
        "Error: doccano files do not name their users: give --annotator NAME",
    )
    code, _, err = run(seed_project, "import", "doccano", str(jsonl), "--annotator-map", "1=a")
    assert (code, err.splitlines()[-1]) == (
        2,
        "Error: --annotator-map needs --annotator (the set of unmapped users)",
    )


def test_export_refuses_a_title_that_is_not_text(seed_project: Path, tmp_path: Path) -> None:
    meta = seed_project / "corpus" / DOC / "meta.json"
    data = json.loads(meta.read_text("utf-8"))
    meta.write_text(json.dumps({**data, "title": 1e16, "url": float("nan")}), encoding="utf-8")
    code, out, err = run(seed_project, "export", "doccano", str(tmp_path / "out"))
    assert (code, out) == (1, "")
    where = f"corpus/{DOC}/meta.json"
    assert err == (
        "error: E150 the documents do not validate (2 error(s)), so nothing was exported:\n"
        f"{where}: E212 title is 1e+16 (a number with a fraction); it must be text or null. "
        "Correct title in meta.json.\n"
        f"{where}: E212 url is nan (a number with a fraction); it must be text or null. "
        "Correct url in meta.json.\n"
        " Fix them (`newscorpus validate` lists every problem), then export again.\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[" * 5000 + "]" * 5000,
            "nests arrays or objects more deeply than can be read (about 990 levels)",
        ),
        (
            '{"text": "x", "entities": [[0, ' + "9" * 5000 + "]]}",
            "holds an integer of more than 4,300 digits, which cannot be read",
        ),
    ],
)
def test_json_that_python_cannot_hold_is_e160(
    seed_project: Path, jsonl: Path, tmp_path: Path, content: str, message: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(jsonl.read_text("utf-8") + content + "\n", "utf-8")
    before = tree(seed_project)
    assert run(seed_project, "import", "doccano", str(bad)) == (
        1,
        "",
        f"error: {bad}:2: E160 {message}. No tool exports such a file: export it from the tool "
        "again.\n",
    )
    assert tree(seed_project) == before


def test_a_lone_surrogate_in_the_tool_s_text_is_reported_escaped(
    seed_project: Path, jsonl: Path, tmp_path: Path
) -> None:
    line = read(jsonl)
    line["text"] = "\ud800" + line["text"][1:]  # the first letter, I of India, made unreadable
    bad = tmp_path / "surrogate.jsonl"
    bad.write_text(json.dumps(line) + "\n", "utf-8")  # ASCII JSON: the escape \\ud800
    code, out, err = run(seed_project, "import", "doccano", str(bad), "--dry-run")
    assert (code, out) == (1, "")
    assert '\n  1 changed GPE "\\ud800ndia" [0, 5) -> [0, 5) "India"\n' in err


def test_a_plan_holds_only_the_documents_it_changes(seed_project: Path, jsonl: Path) -> None:
    from newscorpus.formats import ImportOptions, get
    from newscorpus.project import load_project

    project = load_project(seed_project)
    seen: list[str] = []
    plan = get("doccano").read(jsonl, project, ImportOptions(on_document=seen.append))
    assert (plan.documents, plan.changes, seen) == ([(DOC, None)], [], [DOC])
    line = read(jsonl)
    line["entities"] = line["entities"][1:]
    line["relations"] = [r for r in line["relations"] if 1 not in (r["from_id"], r["to_id"])]
    edited = write(jsonl, line)
    plan = get("doccano").read(edited, project, ImportOptions())
    (change,) = plan.changes
    assert plan.documents == [(DOC, None)]
    assert [e.id for e in change.entity_changes()[2]] == ["T1"]


def test_kept_entities_are_written_as_the_writer_spells_them(
    seed_project: Path, jsonl: Path
) -> None:
    gold_path = seed_project / "annotations" / f"{DOC}.json"
    gold = json.loads(gold_path.read_text("utf-8"))
    # By hand: keys in another order, a curator's note.
    gold["entities"][1] = {"note": "checked", **gold["entities"][1]}
    gold["entities"][2] = dict(reversed(gold["entities"][2].items()))
    gold_path.write_text(json.dumps(gold, indent=2), encoding="utf-8")
    line = read(jsonl)
    line["entities"] = line["entities"][1:]
    line["relations"] = [r for r in line["relations"] if 1 not in (r["from_id"], r["to_id"])]
    code, out, _ = run(seed_project, "import", "doccano", str(write(jsonl, line)), "--replace")
    assert (code, out.splitlines()[0]) == (0, f"{DOC}: entities +0 ~0 -1, relations +0 -2")
    written = json.loads(gold_path.read_text("utf-8"))["entities"]
    assert [list(e) for e in written[:2]] == [
        ["note", "id", "start", "end", "label", "text", "source"],
        ["id", "start", "end", "label", "text", "source"],
    ]
    assert written[0]["note"] == "checked"


@pytest.mark.parametrize(
    ("content", "first"),
    [
        ('{"doc_id": 5', "line 2: E103 is not valid JSON: Expecting ',' delimiter"),
        ("[1, 2]", "E106 holds an array; an annotation file holds one JSON object"),
    ],
)
def test_a_current_file_that_does_not_validate_is_e173(
    seed_project: Path, jsonl: Path, content: str, first: str
) -> None:
    gold = seed_project / "annotations" / f"{DOC}.json"
    gold.write_text(content + "\n", encoding="utf-8")
    before = tree(seed_project)
    assert run(seed_project, "import", "doccano", str(jsonl), "--replace") == (
        1,
        "",
        f"error: annotations/{DOC}.json: E173 does not validate (1 error(s)); the first: "
        f"{first}. Fix it first: `newscorpus validate` lists every problem.\n",
    )
    assert tree(seed_project) == before


def _without_first_entity(jsonl: Path) -> dict[str, Any]:
    line = read(jsonl)
    line["entities"] = line["entities"][1:]
    line["relations"] = [r for r in line["relations"] if 1 not in (r["from_id"], r["to_id"])]
    return line


def test_a_file_changed_after_the_import_read_it_is_e191(seed_project: Path, jsonl: Path) -> None:
    from newscorpus.errors import NewscorpusError
    from newscorpus.formats import ImportOptions, get
    from newscorpus.formats.common import apply_plan
    from newscorpus.project import load_project

    project = load_project(seed_project)
    edited = write(jsonl, _without_first_entity(jsonl))
    plan = get("doccano").read(edited, project, ImportOptions())
    gold = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(gold.read_text("utf-8"))
    data["entities"][5]["note"] = "written by another command meanwhile"
    gold.write_text(json.dumps(data), encoding="utf-8")
    before = tree(seed_project)
    with pytest.raises(NewscorpusError) as err:
        apply_plan(project, plan, replace=True, dry_run=False)
    assert str(err.value) == (
        f"{edited}: E191 annotations/{DOC}.json changed after this import read it (another "
        "command wrote it meanwhile); nothing was written. Run the import again: it reads the "
        "file as it is now."
    )
    assert tree(seed_project) == before


def test_an_import_reads_and_writes_under_the_lock(
    seed_project: Path, jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with lock_held(seed_project, "import doccano"):
        monkeypatch.setenv("NEWSCORPUS_LOCK_TIMEOUT", "0.2")
        edited = write(jsonl, _without_first_entity(jsonl))
        code, out, err = run(seed_project, "import", "doccano", str(edited), "--replace")
        assert (code, out) == (1, "")
        assert err.startswith("error: E010 another newscorpus command is changing this project")
        # A dry run writes nothing, so it takes no lock.
        code, out, _ = run(seed_project, "import", "doccano", str(edited), "--dry-run", "--replace")
        assert (code, out.splitlines()[-1]) == (
            0,
            "dry run: 1 annotation file(s) would be written; nothing was",
        )


def test_an_unannotated_document_stays_unannotated(seed_project: Path, tmp_path: Path) -> None:
    (seed_project / "annotations" / f"{DOC}.json").unlink()
    out = tmp_path / "doccano"
    assert run(seed_project, "export", "doccano", str(out))[0] == 0
    before = tree(seed_project)
    assert run(seed_project, "import", "doccano", str(out / "doccano.jsonl")) == (
        0,
        "skipped: 1 document(s) without entities or an annotation file (none made)\n"
        "imported 0 document(s) (doccano): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_a_file_written_again_for_its_order_says_so(seed_project: Path, jsonl: Path) -> None:
    gold_path = seed_project / "annotations" / f"{DOC}.json"
    gold = json.loads(gold_path.read_text("utf-8"))
    gold["entities"].reverse()
    gold_path.write_text(json.dumps(gold, indent=2), encoding="utf-8")
    assert run(seed_project, "import", "doccano", str(jsonl)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0 (written again: the order, ids or sources "
        "differ)\n"
        "imported 1 document(s) (doccano): 1 annotation file(s) written\n",
        "",
    )
    assert json.loads(gold_path.read_text("utf-8"))["entities"][0]["id"] == "T1"


def test_a_dry_run_reads_under_the_readers_lock(
    seed_project: Path, jsonl: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    import newscorpus.lock
    from newscorpus.formats import ImportOptions, import_path
    from newscorpus.project import load_project

    held: list[bool] = []
    real = newscorpus.lock.apply_lock

    @contextmanager
    def watched(project: Any, *, exclusive: bool) -> Any:
        with real(project, exclusive=exclusive):
            held.append(exclusive)
            yield
            held.append(exclusive)

    def reads_held(self: Any, *args: Any) -> Any:
        assert held == [False], "read outside the readers' lock"
        return read(self, *args)

    from newscorpus.formats.doccano import Doccano

    read = Doccano.read
    monkeypatch.setattr(newscorpus.lock, "apply_lock", watched)
    monkeypatch.setattr(Doccano, "read", reads_held)
    plan, written = import_path(
        load_project(seed_project), "doccano", jsonl, ImportOptions(), dry_run=True
    )
    assert (held, plan.documents, written) == ([False, False], [(DOC, None)], [])


def test_a_file_in_the_way_is_e013_and_leaves_no_change_behind(
    seed_project: Path, jsonl: Path
) -> None:
    (seed_project / "annotations" / "annotators").write_text("x\n", encoding="utf-8")
    before = tree(seed_project)
    assert run(seed_project, "import", "doccano", str(jsonl), "--annotator", "carol") == (
        1,
        "",
        f"error: annotations/annotators/carol/{DOC}.json: E013 cannot write "
        f"annotations/annotators/carol/{DOC}.json: annotations/annotators is a file, not a "
        "folder; nothing was changed. Move what is in the way, then run the command again.\n",
    )
    assert tree(seed_project) == before
    assert not list((seed_project / ".newscorpus" / "txn").iterdir())
    (seed_project / "annotations" / "annotators").unlink()
    assert run(seed_project, "validate")[0] == 0
    assert not (seed_project / "annotations" / "annotators").exists()
