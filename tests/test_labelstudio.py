"""Label Studio export and import: exact round trips, every bad input refused with a code, and a
round trip through a real Label Studio server."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import labelstudio_server
from conftest import REPO_ROOT, run, tree
from newscorpus.formats.labelstudio import label_config
from newscorpus.schema import Schema

DOC = "india-japan-5g-agreement"


@pytest.fixture
def exported(seed_project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "ls"
    assert run(seed_project, "export", "labelstudio", str(out)) == (
        0,
        f"exported 1 document(s) to {out} (labelstudio)\n",
        "",
    )
    return out


def accepted(out: Path, **annotation: Any) -> list[dict[str, Any]]:
    """The exported tasks as Label Studio exports them once an annotator accepted each
    prediction as it is."""
    tasks: list[dict[str, Any]] = json.loads((out / "tasks.json").read_text("utf-8"))
    for number, task in enumerate(tasks, start=1):
        task["id"] = number
        result = task.pop("predictions")[0]["result"]
        task["annotations"] = [
            {"id": number, "completed_by": 1, "result": result, "was_cancelled": False} | annotation
        ]
    return tasks


def write(path: Path, tasks: object) -> Path:
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return path


def refused(project: Path, export: Path, error: str, *args: str) -> None:
    """Importing ``export`` (with ``args``) exits 1 with exactly ``error`` and changes no file."""
    before = tree(project)
    assert run(project, "import", "labelstudio", str(export), *args) == (1, "", error)
    assert tree(project) == before


def test_export_holds_the_annotations_as_a_prediction(seed_project: Path, exported: Path) -> None:
    assert sorted(p.name for p in exported.iterdir()) == ["label_config.xml", "tasks.json"]
    (task,) = json.loads((exported / "tasks.json").read_text("utf-8"))
    text = (seed_project / "corpus" / DOC / "text.txt").read_text("utf-8")
    assert task["data"]["text"] == text
    assert task["data"]["doc_id"] == DOC
    assert task["data"]["title"].startswith("India and Japan finalize")
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "test-corpus 0.1.0"
    assert prediction["result"][0] == {
        "id": "T1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 5, "text": "India", "labels": ["GPE"]},
    }
    relations = [r for r in prediction["result"] if r["type"] == "relation"]
    assert relations[0] == {
        "from_id": "T1",
        "to_id": "T2",
        "type": "relation",
        "direction": "bi",
        "labels": ["agreement_with"],
    }
    assert relations[13]["direction"] == "right"  # role_in is directed
    assert len(relations) == 35


def test_label_config_is_derived_from_the_schema() -> None:
    schema = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")
    config = label_config(schema)
    assert config.startswith('<View>\n  <Relations>\n    <Relation value="role_in"/>\n')
    assert '  <Labels name="label" toName="text">\n    <Label value="PERSON"/>\n' in config
    assert config.count("<Label value=") == len(schema.entity_labels)
    assert config.count("<Relation value=") == len(schema.relation_labels)
    assert config.endswith('  <Text name="text" value="$text"/>\n</View>\n')


def test_round_trip_is_identical(seed_project: Path, exported: Path, tmp_path: Path) -> None:
    before = tree(seed_project)
    export = write(tmp_path / "export.json", accepted(exported))
    assert run(seed_project, "import", "labelstudio", str(export)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (labelstudio): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_integer_region_ids_are_read_as_their_strings(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    tasks = accepted(exported)
    for item in tasks[0]["annotations"][0]["result"]:
        for key in ("id", "from_id", "to_id"):
            if key in item:
                item[key] = int(item[key].removeprefix("T"))
    before = tree(seed_project)
    export = write(tmp_path / "export.json", tasks)
    assert run(seed_project, "import", "labelstudio", str(export)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (labelstudio): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_edits_come_back_as_gold_and_left_swaps(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    tasks = accepted(exported)
    result = tasks[0]["annotations"][0]["result"]
    result[19]["value"]["labels"] = ["ORG"]  # T20 "Chinese"
    result.append(
        {
            "from_id": "T25",
            "to_id": "T77",
            "type": "relation",
            "direction": "left",
            "labels": ["role_in"],
        }
    )
    export = write(tmp_path / "export.json", tasks)
    before = tree(seed_project)
    code, _, err = run(seed_project, "import", "labelstudio", str(export))
    assert code == 1
    assert err.startswith(f"error: {export}: E155 the import would change or remove curated ")
    assert "    ~ T20 NORP 'Chinese' [918, 925) -> ORG 'Chinese'" in err
    assert tree(seed_project) == before
    code, out, err = run(seed_project, "import", "labelstudio", str(export), "--replace")
    assert (code, out, err) == (
        0,
        f"{DOC}: entities +0 ~1 -0, relations +1 -0\n"
        "imported 1 document(s) (labelstudio): 1 annotation file(s) written\n",
        "",
    )
    data = json.loads((seed_project / "annotations" / f"{DOC}.json").read_text("utf-8"))
    assert data["entities"][19] == {
        "id": "T20",  # relabelled: the same entity, its id kept
        "start": 918,
        "end": 925,
        "label": "ORG",
        "text": "Chinese",
        "source": "gold",
    }
    assert data["relations"][-1] == {
        "id": "R36",
        "head": "T77",
        "tail": "T25",
        "label": "role_in",
        "source": "gold",
    }


def test_ground_truth_cancelled_and_annotator_sets(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    tasks = accepted(exported)
    first = tasks[0]["annotations"][0]
    reviewer = first | {"id": 2, "completed_by": 2, "result": first["result"][:3]}
    cancelled = first | {"id": 3, "completed_by": 3, "was_cancelled": True}
    tasks[0]["annotations"] += [reviewer, cancelled]
    export = write(tmp_path / "export.json", tasks)
    code, _, err = run(seed_project, "import", "labelstudio", str(export))
    assert (code, err) == (
        1,
        f"error: {export}: task 1: E164 has 2 annotations and none of them marked ground truth "
        "(1 (by user1), 2 (by user2)), so it is not clear which one is gold. Mark one as ground "
        "truth in Label Studio and export again, or import each into its annotator's set with "
        "--annotator '{user}'.\n",
    )
    first["ground_truth"] = True
    write(export, tasks)
    assert run(seed_project, "import", "labelstudio", str(export)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "skipped: 1 cancelled annotations\n"
        "imported 1 document(s) (labelstudio): 0 annotation file(s) written\n",
        "",
    )
    args = ("--annotator", "{user}", "--annotator-map", "2=bob")
    code, out, err = run(seed_project, "import", "labelstudio", str(export), *args)
    assert (code, out, err) == (
        0,
        f"{DOC} [user1]: entities +89 ~0 -0, relations +35 -0\n"
        f"{DOC} [bob]: entities +3 ~0 -0, relations +0 -0\n"
        "skipped: 1 cancelled annotations\n"
        "imported 2 document(s) (labelstudio): 2 annotation file(s) written\n",
        "",
    )
    gold = (seed_project / "annotations" / f"{DOC}.json").read_text("utf-8")
    sets = seed_project / "annotations" / "annotators"
    assert (sets / "user1" / f"{DOC}.json").read_text("utf-8") == gold
    bob = json.loads((sets / "bob" / f"{DOC}.json").read_text("utf-8"))
    assert [e["text"] for e in bob["entities"]] == ["India", "Japan", "5G"]


@pytest.mark.parametrize(
    ("email", "problem"),
    [
        ("a" * 101 + "@example.org", f"annotator name {'a' * 101!r} is not a safe slug"),
        ("gold@example.org", "'gold' is reserved for the gold annotations (`--against gold`)"),
    ],
    ids=["too-long", "gold"],
)
def test_a_user_whose_name_cannot_name_a_set_is_e171_and_nothing_is_written(
    seed_project: Path, exported: Path, tmp_path: Path, email: str, problem: str
) -> None:
    tasks = accepted(exported, completed_by={"id": 3, "email": email})
    export = write(tmp_path / "export.json", tasks)
    before = tree(seed_project)
    args = ("--annotator", "{user}")
    code, out, err = run(seed_project, "import", "labelstudio", str(export), *args)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {export}: task 1, annotation 1: E171 {problem}")
    assert err.endswith(". Map the user to a set with --annotator-map 3=NAME.\n")
    assert tree(seed_project) == before
    # Mapped, the same user's work is imported.
    mapped = (*args, "--annotator-map", "3=carol")
    assert run(seed_project, "import", "labelstudio", str(export), *mapped)[0] == 0
    assert (seed_project / "annotations" / "annotators" / "carol" / f"{DOC}.json").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--annotator", "gold"),
            "error: --annotator: E171 'gold' is reserved for the gold annotations (`--against "
            "gold`). Name the set otherwise (e.g. alice).\n",
        ),
        (
            ("--annotator", "{user}", "--annotator-map", "1=gold"),
            "error: --annotator-map: E171 'gold' is reserved for the gold annotations "
            "(`--against gold`). Name the set otherwise (e.g. alice).\n",
        ),
        (
            ("--annotator", "Bob Smith"),
            "error: --annotator: E171 annotator name 'Bob Smith' is not a safe slug: use 1-100 "
            "characters from a-z, 0-9, '-', '_' and '.', starting with a letter or digit, with "
            "no '/', '\\', '..', spaces, capitals or control characters. Name the set "
            "otherwise (e.g. alice).\n",
        ),
    ],
    ids=["gold", "mapped-to-gold", "not-a-slug"],
)
def test_annotator_options_that_cannot_name_a_set_are_e171(
    seed_project: Path, exported: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    export = write(tmp_path / "export.json", accepted(exported))
    refused(seed_project, export, message, *args)


def test_a_user_mapped_twice_is_a_usage_error(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    export = write(tmp_path / "export.json", accepted(exported))
    args = ("--annotator", "{user}", "--annotator-map", "1=bob", "--annotator-map", "1=carol")
    code, out, err = run(seed_project, "import", "labelstudio", str(export), *args)
    assert (code, out) == (2, "")
    assert "--annotator-map maps user '1' twice (bob, carol); map each user once" in err


def test_the_library_refuses_a_set_named_gold(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    from newscorpus.errors import InputError
    from newscorpus.formats import ImportOptions, get
    from newscorpus.project import load_project

    export = write(tmp_path / "export.json", accepted(exported))
    with pytest.raises(InputError) as raised:
        get("labelstudio").read(export, load_project(seed_project), ImportOptions(annotator="gold"))
    assert (raised.value.code, raised.value.where) == ("E171", "--annotator")


def _set(tasks: list[dict[str, Any]], path: str, value: Any) -> None:
    """Set ``a.b.0.c`` in the first task (``None`` deletes the key)."""
    *parents, last = path.split(".")
    node: Any = tasks[0]
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is None:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value


REL = "annotations.0.result.89"  # the first relation item: T1 <-> T2 agreement_with
BAD_TASKS = [
    (
        "annotations.0.result.0.id",
        True,
        "task 1, annotation 1: E161 a region's id must be a string, not true. Fix the file, or "
        "export it from the tool again.",
    ),
    (
        "data.text",
        None,
        "task 1: E162 has no data.text, so its offsets cannot be checked. Export the project "
        "from Label Studio with its task data (JSON export).",
    ),
    (
        "annotations",
        {"a": 1},
        'task 1: E161 annotations must be a list, not {"a": 1}. Fix the file, or export it '
        "from the tool again.",
    ),
    (
        "annotations.0.result.0.value.start",
        "0",
        "task 1, annotation 1, region T1: E151 span offsets ['0', 5) are not two integers with "
        "0 <= start < end. Fix the offsets in the file.",
    ),
    (
        "annotations.0.result.0.value.labels",
        ["COUNTRY"],
        "task 1, annotation 1, region T1: E153 entity label 'COUNTRY' is not in the schema; "
        "allowed: PERSON, ORG, GPE, LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the "
        "schema's labels (the exported label config lists them), or declare this one in "
        "schema.yaml.",
    ),
    (
        "annotations.0.result.0.value.labels",
        ["GPE", "LOC"],
        "task 1, annotation 1, region T1: E161 value.labels must hold exactly one label, not "
        '["GPE", "LOC"]; a span has one label in this corpus. Give the region one label in '
        "Label Studio (two labels: two regions).",
    ),
    (
        "annotations.0.result.0.value.end",
        6,
        "task 1, annotation 1, region T1: E151 span [0, 6) holds 'India ' in the text, not "
        "'India', and no known offset convention (UTF-16 code units, CRLF line ends) gives it "
        "back. Check that the file was exported from the same text; a shifted span is never "
        "imported.",
    ),
    (
        f"{REL}.to_id",
        "T999",
        "task 1, annotation 1, relation T1 -> T999: E165 relation 'agreement_with' points to "
        "region 'T999', which is not among the region ids of this annotation (T1, T2, T3, T4, "
        "T5, T6, T7, T8, T9, T10). Remove the relation, or restore the region it links.",
    ),
    (
        f"{REL}.labels",
        [],
        "task 1, annotation 1, relation T1 -> T2: E167 relation from region T1 to region T2 "
        "has no label(s); a relation needs exactly one. Choose one relation label for it in "
        "Label Studio (or delete it).",
    ),
    (
        f"{REL}.labels",
        ["agreement_with", "alias_of"],
        "task 1, annotation 1, relation T1 -> T2: E167 relation from region T1 to region T2 "
        'has 2 label(s) ["agreement_with", "alias_of"]; a relation needs exactly one. Choose '
        "one relation label for it in Label Studio (or delete it).",
    ),
    (
        f"{REL}.labels",
        ["is_near"],
        "task 1, annotation 1, relation T1 -> T2: E153 relation label 'is_near' is not in the "
        "schema; allowed: role_in, agreement_with, cooperates_on, restricts, based_in, "
        "located_in, participates_in, proposed, alias_of. Use one of the schema's labels (the "
        "exported label config lists them), or declare this one in schema.yaml.",
    ),
    (
        "annotations.0.result.90.direction",
        "bi",
        "task 1, annotation 1, relation T1 -> T3: E168 relation 'cooperates_on' from region T1 "
        "to region T3 has direction 'bi', but cooperates_on is directed (GPE|ORG -> "
        "TECHNOLOGY|INITIATIVE). Set the direction to right (from head to tail) or left in "
        "Label Studio.",
    ),
    (
        "data.doc_id",
        "no-such-doc",
        "task 1: E152 doc_id 'no-such-doc' is not a document of this corpus. Check the id (`ls "
        "corpus/`), or `newscorpus add` the article first.",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_TASKS)
def test_bad_tasks_are_refused(
    seed_project: Path, exported: Path, tmp_path: Path, path: str, value: Any, message: str
) -> None:
    tasks = accepted(exported)
    _set(tasks, path, value)
    export = write(tmp_path / "export.json", tasks)
    refused(seed_project, export, f"error: {export}: {message}\n")


def test_json_syntax_duplicates_and_wrong_shapes(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[\n  {"data": {"text": "x"},\n   "annotations": [}\n]\n', encoding="utf-8")
    assert run(seed_project, "import", "labelstudio", str(bad)) == (
        1,
        "",
        f"error: {bad}:3:20: E160 is not valid JSON: Expecting value. Fix the file at that "
        "position, or export it from the tool again.\n",
    )
    write(bad, {"tasks": []})
    assert run(seed_project, "import", "labelstudio", str(bad))[2] == (
        f"error: {bad}: E161 the file must be a list of tasks (Label Studio's JSON export), not "
        '{"tasks": []}. Fix the file, or export it from the tool again.\n'
    )
    tasks = accepted(exported)
    twice = write(tmp_path / "twice.json", [*tasks, dict(tasks[0], id=2)])
    assert run(seed_project, "import", "labelstudio", str(twice))[2] == (
        f"error: {twice}: task 2, annotation 1: E163 is a second item for document {DOC!r} "
        f"(the first is {twice}: task 1, annotation 1); an import holds each document once. "
        "Remove the duplicate task or line, or import the copies one at a time.\n"
    )


def test_unrelated_output_is_not_overwritten(seed_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert run(seed_project, "export", "labelstudio", str(out)) == (
        1,
        "",
        f"error: {out}: E159 holds files that a labelstudio export does not write (notes.txt), "
        "so it is not a previous labelstudio export and nothing was written. Export into a new "
        "or empty folder, or into a folder a previous export of the same format wrote.\n",
    )
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


# --- the real Label Studio --------------------------------------------------------------------


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not labelstudio_server.installed():
        pytest.skip(
            f"Label Studio {labelstudio_server.VERSION} is not installed in "
            f"{labelstudio_server.VENV} (scripts/test installs it with `python "
            "tests/labelstudio_server.py --install`, which needs PyPI)"
        )
    with labelstudio_server.session(tmp_path_factory.mktemp("labelstudio")) as url:
        yield url


def api(url: str, method: str, path: str, body: object = None) -> Any:
    request = urllib.request.Request(
        f"{url}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode("utf-8"),
        headers={
            "Authorization": f"Token {labelstudio_server.TOKEN}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@pytest.mark.labelstudio
def test_round_trip_through_real_label_studio(
    labelstudio: str, seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    config = (exported / "label_config.xml").read_text("utf-8")
    project = api(labelstudio, "POST", "/api/projects", {"title": "seed", "label_config": config})
    assert project["label_config"] == config.rstrip("\n")  # accepted as it is
    pid = project["id"]
    tasks = json.loads((exported / "tasks.json").read_text("utf-8"))
    imported = api(labelstudio, "POST", f"/api/projects/{pid}/import", tasks)
    assert (imported["task_count"], imported["prediction_count"]) == (1, 1)
    (task,) = api(labelstudio, "GET", f"/api/tasks?project={pid}")["tasks"]
    (prediction,) = api(labelstudio, "GET", f"/api/predictions?task={task['id']}")
    assert prediction["model_version"] == "test-corpus 0.1.0"
    assert prediction["result"] == tasks[0]["predictions"][0]["result"]
    # The annotator accepts the prediction, relabels "Chinese", deletes "Cabinet", marks
    # "Motegi" as speaking for Japan (drawn from Japan to Motegi, so direction left), and adds
    # a span of their own.
    result = [r for r in prediction["result"] if r.get("id") != "T49"]
    result[19]["value"]["labels"] = ["ORG"]
    result.append(
        {
            "id": "k9Xa2bQ7pL",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 15, "text": "India and Japan", "labels": ["LOC"]},
        }
    )
    result.append(
        {
            "from_id": "T25",
            "to_id": "T77",
            "type": "relation",
            "direction": "left",
            "labels": ["role_in"],
        }
    )
    body = {"result": result, "parent_prediction": prediction["id"], "lead_time": 12.5}
    api(labelstudio, "POST", f"/api/tasks/{task['id']}/annotations", body)
    skipped = {"result": [], "was_cancelled": True}
    api(labelstudio, "POST", f"/api/tasks/{task['id']}/annotations", skipped)
    export = tmp_path / "label-studio-export.json"
    export.write_text(
        json.dumps(api(labelstudio, "GET", f"/api/projects/{pid}/export?exportType=JSON")),
        encoding="utf-8",
    )
    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    expected = json.loads(annotation_file.read_text("utf-8"))
    assert run(seed_project, "import", "labelstudio", str(export), "--replace") == (
        0,
        f"{DOC}: entities +1 ~1 -1, relations +1 -0\n"
        "skipped: 1 cancelled annotations\n"
        "imported 1 document(s) (labelstudio): 1 annotation file(s) written\n",
        "",
    )
    entities = [e for e in expected["entities"] if e["id"] != "T49"]
    entities[19] = entities[19] | {"label": "ORG", "source": "gold"}  # relabelled: same id
    new = {"id": "T90", "start": 0, "end": 15, "label": "LOC", "text": "India and Japan"}
    expected["entities"] = [new | {"source": "gold"}, *entities]
    expected["relations"].append(
        {"id": "R36", "head": "T77", "tail": "T25", "label": "role_in", "source": "gold"}
    )
    assert json.loads(annotation_file.read_text("utf-8")) == expected
    assert run(seed_project, "validate", "--strict")[0] == 0


def test_a_deeply_nested_export_is_e160(seed_project: Path, tmp_path: Path) -> None:
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 5000 + "]" * 5000, "utf-8")
    assert run(seed_project, "import", "labelstudio", str(bad)) == (
        1,
        "",
        f"error: {bad}: E160 nests arrays or objects more deeply than can be read (about 990 "
        "levels). No tool exports such a file: export it from the tool again.\n",
    )


def test_an_export_that_is_not_utf8_is_e204_and_a_bom_is_allowed(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    data = json.dumps(accepted(exported), ensure_ascii=False).encode()
    at = data.index(b"Japan")
    before = tree(seed_project)
    for name, bad, byte in [("ff", b"\xff", "0xff"), ("surrogate", b"\xed\xa0\x80", "0xed")]:
        path = tmp_path / f"{name}.json"
        path.write_bytes(data[:at] + bad + data[at + 1 :])
        assert run(seed_project, "import", "labelstudio", str(path)) == (
            1,
            "",
            f"error: {path}: E204 is not valid UTF-8 (byte {byte} at offset {at}). Export it "
            "from the tool again as UTF-8 JSON.\n",
        )
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + data)
    assert run(seed_project, "import", "labelstudio", str(bom))[0] == 0
    assert tree(seed_project) == before


def test_a_relabelled_entity_keeps_its_id_and_note(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    """Relabelled in the tool, an entity is the same entity: its id (and so its relations)
    and a curator's note stay, where they went with a new id before."""
    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(annotation_file.read_text("utf-8"))
    data["entities"][19]["note"] = "nationality here, not the state"
    annotation_file.write_text(json.dumps(data), encoding="utf-8")
    run(seed_project, "export", "labelstudio", str(exported))
    tasks = accepted(exported)
    result = tasks[0]["annotations"][0]["result"]
    result[19]["value"]["labels"] = ["ORG"]  # T20 "Chinese"
    export = write(tmp_path / "export.json", tasks)
    assert run(seed_project, "import", "labelstudio", str(export), "--replace")[0] == 0
    entity = json.loads(annotation_file.read_text("utf-8"))["entities"][19]
    assert entity == {
        "id": "T20",
        "start": 918,
        "end": 925,
        "label": "ORG",
        "text": "Chinese",
        "source": "gold",
        "note": "nationality here, not the state",
    }


def test_a_user_id_that_is_a_boolean_names_no_user() -> None:
    from newscorpus.formats.labelstudio import _user

    assert [_user(3), _user(True), _user({"id": False}), _user({"email": "A.Bo@x.org"})] == [
        "user3",
        "unknown-user",
        "unknown-user",
        "a.bo",
    ]


@pytest.mark.parametrize(
    ("completed_by", "maps", "message"),
    [
        (
            {"id": 7, "email": "bob@example.org"},
            ("--annotator-map", "bob@example.org=alice", "--annotator-map", "7=carol"),
            "E161 annotation 1's user is mapped to 2 sets (alice, carol) by its id and its "
            "e-mail. Map each user once with --annotator-map (by id or by e-mail).\n",
        ),
        (
            True,
            (),
            "E161 annotation 1 has no completed_by user id or e-mail (true), so it names no "
            "user for --annotator '{user}'. Import with --annotator NAME, or map it with "
            "--annotator-map.\n",
        ),
    ],
    ids=["mapped-twice", "no-user"],
)
def test_a_user_that_names_no_set_or_two_is_e161(
    seed_project: Path,
    exported: Path,
    tmp_path: Path,
    completed_by: object,
    maps: tuple[str, ...],
    message: str,
) -> None:
    export = write(tmp_path / "export.json", accepted(exported, completed_by=completed_by))
    refused(
        seed_project, export, f"error: {export}: task 1: {message}", "--annotator", "{user}", *maps
    )


def test_two_users_who_make_one_set_name_are_e161(
    seed_project: Path, exported: Path, tmp_path: Path
) -> None:
    tasks = accepted(exported, completed_by={"id": 1, "email": "Alice@example.org"})
    first = tasks[0]["annotations"][0]
    tasks[0]["annotations"].append(
        first | {"id": 2, "completed_by": {"id": 2, "email": "alice@example.com"}}
    )
    export = write(tmp_path / "export.json", tasks)
    refused(
        seed_project,
        export,
        f"error: {export}: task 1, annotation 2: E161 users 1 and 2 both make the set name "
        "'alice', so their work would be merged into one annotator's set. Map one of them to "
        "a set of its own with --annotator-map 2=NAME.\n",
        "--annotator",
        "{user}",
    )
    args = ("--annotator", "{user}", "--annotator-map", "2=alice2")
    assert run(seed_project, "import", "labelstudio", str(export), *args)[0] == 0
