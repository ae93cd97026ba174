"""Offsets that cross into Label Studio and doccano and back: emoji (UTF-16 code units), CRLF line
ends, nested spans. Every shift is repaired with a count or re-anchored with statuses, never
imported silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conftest import run, tree
from newscorpus.annotations import text_sha256

DOC = "emoji-summit"
RAW = (
    "Tokyo \U0001f38c hosts the India-Japan Summit \U0001f389 \U0001f38a\r\n\r\n"
    "Modi \U0001f64f met Motegi in Tokyo.\r\n"
)
#: (text, label, occurrence) of each entity; India and Japan are nested in the summit.
ENTITIES = [
    ("Tokyo", "GPE", 0),
    ("India-Japan Summit", "EVENT", 0),
    ("India", "GPE", 0),
    ("Japan", "GPE", 0),
    ("Modi", "PERSON", 0),
    ("Motegi", "PERSON", 0),
    ("Tokyo", "GPE", 1),
]
RELATIONS = [
    ("T2", "T1", "located_in"),
    ("T3", "T4", "agreement_with"),
    ("T5", "T2", "participates_in"),
]


@pytest.fixture
def project(empty_project: Path, tmp_path: Path) -> Path:
    raw = tmp_path / "emoji.txt"
    raw.write_bytes(RAW.encode("utf-8"))
    assert run(empty_project, "add", str(raw), "--id", DOC)[0] == 0
    text = (empty_project / "corpus" / DOC / "text.txt").read_text("utf-8")
    entities = []
    for number, (word, label, occurrence) in enumerate(ENTITIES, start=1):
        start = -1
        for _ in range(occurrence + 1):
            start = text.index(word, start + 1)
        entities.append(
            {"id": f"T{number}", "start": start, "end": start + len(word), "label": label}
            | {"text": word, "source": "gold"}
        )
    entities.sort(key=lambda e: (e["start"], -e["end"]))
    relations = [
        {"id": f"R{n}", "head": h, "tail": t, "label": label, "source": "gold"}
        for n, (h, t, label) in enumerate(RELATIONS, start=1)
    ]
    data = {"doc_id": DOC, "text_sha256": text_sha256(text), "entities": entities}
    data["relations"] = relations
    path = empty_project / "annotations" / f"{DOC}.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert run(empty_project, "validate", "--strict")[0] == 0
    return empty_project


def utf16(text: str, index: int) -> int:
    """``index`` counted in UTF-16 code units, as JavaScript counts."""
    return len(text[:index].encode("utf-16-le")) // 2


def crlf_text(text: str) -> str:
    return text.replace("\n", "\r\n")


def crlf(text: str, index: int) -> int:
    return index + text[:index].count("\n")


def labelstudio_export(project: Path, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "ls"
    assert run(project, "export", "labelstudio", str(out))[0] == 0
    tasks: list[dict[str, Any]] = json.loads((out / "tasks.json").read_text("utf-8"))
    for task in tasks:
        task["annotations"] = [{"id": 1, "result": task.pop("predictions")[0]["result"]}]
    return tasks


def regions(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["value"] for r in tasks[0]["annotations"][0]["result"] if r["type"] == "labels"]


@pytest.mark.parametrize(
    ("convention", "warning"),
    [
        (utf16, "6 span(s) converted from UTF-16 code units to characters"),
        (crlf, "3 span(s) converted from CRLF-counted offsets to the corpus's LF text"),
    ],
)
def test_labelstudio_offsets_are_repaired_and_counted(
    project: Path, tmp_path: Path, convention: Any, warning: str
) -> None:
    tasks = labelstudio_export(project, tmp_path)
    text = tasks[0]["data"]["text"]
    for value in regions(tasks):
        value["start"], value["end"] = (
            convention(text, value["start"]),
            convention(text, value["end"]),
        )
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    before = tree(project)
    assert run(project, "import", "labelstudio", str(export)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        f"warning: {warning}\n"
        "imported 1 document(s) (labelstudio): 0 annotation file(s) written\n",
        "",
    )
    assert tree(project) == before


def test_labelstudio_text_with_crlf_is_reanchored(project: Path, tmp_path: Path) -> None:
    tasks = labelstudio_export(project, tmp_path)
    text = tasks[0]["data"]["text"]
    del tasks[0]["data"]["doc_id"]  # matched by the text, CRLF made LF
    tasks[0]["data"]["text"] = crlf_text(text)
    for value in regions(tasks):
        value["start"], value["end"] = crlf(text, value["start"]), crlf(text, value["end"])
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    before = tree(project)
    assert run(project, "import", "labelstudio", str(export)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        f"warning: {DOC}: the tool's text differs from text.txt; annotations re-anchored: "
        "6 unchanged, 4 moved, 0 changed, 0 lost\n"
        "imported 1 document(s) (labelstudio): 0 annotation file(s) written\n",
        "",
    )
    assert tree(project) == before


def test_labelstudio_annotation_on_text_not_in_the_corpus_is_refused(
    project: Path, tmp_path: Path
) -> None:
    tasks = labelstudio_export(project, tmp_path)
    text = tasks[0]["data"]["text"] + "\nAbe stayed in Osaka."
    tasks[0]["data"]["text"] = text
    start = text.index("Osaka")
    value = {"start": start, "end": start + 5, "text": "Osaka", "labels": ["GPE"]}
    item = {"id": "osaka", "from_name": "label", "to_name": "text", "type": "labels"}
    tasks[0]["annotations"][0]["result"].append(item | {"value": value})
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    before = tree(project)
    assert run(project, "import", "labelstudio", str(export)) == (
        1,
        "",
        f"error: {export}: task #1, annotation 1: E166 the tool's text differs from "
        f"corpus/{DOC}/text.txt and 1 annotation(s) lie in text that is no longer there or "
        "would cover other text there; nothing was written:\n"
        f'  osaka lost GPE "Osaka" [{start}, {start + 5})\n Re-create '
        "them on the current text (export again), or delete them in the tool.\n",
    )
    assert tree(project) == before


def test_labelstudio_annotation_that_would_cover_other_text_is_refused(
    project: Path, tmp_path: Path
) -> None:
    """A tool's text edited under an annotation: moved onto the corpus's text, the span would
    make gold of words nobody annotated (Motegi, annotated as Suzuki)."""
    tasks = labelstudio_export(project, tmp_path)
    tasks[0]["data"]["text"] = tasks[0]["data"]["text"].replace("Motegi", "Suzuki")
    (value,) = [v for v in regions(tasks) if v["text"] == "Motegi"]
    value["text"] = "Suzuki"
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    before = tree(project)
    code, out, err = run(project, "import", "labelstudio", str(export))
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {export}: task #1, annotation 1: E166 the tool's text differs from "
        f"corpus/{DOC}/text.txt and 1 annotation(s) lie in text that is no longer there or "
        "would cover other text there; nothing was written:\n  T6 changed PERSON "
    )
    assert tree(project) == before


#: doccano gives no entity's text: past the first emoji, its offsets cannot be checked.
UNCHECKED = (
    "warning: 6 span(s) came without their text after a character outside the Basic "
    "Multilingual Plane (an emoji), so their offsets could not be checked: they were read as "
    "characters; a tool that counts UTF-16 code units puts them elsewhere, so check them\n"
)


def test_doccano_round_trip_and_crlf(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "doccano"
    assert run(project, "export", "doccano", str(out))[0] == 0
    before = tree(project)
    jsonl = out / "doccano.jsonl"
    assert run(project, "import", "doccano", str(jsonl)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n" + UNCHECKED + "imported 1 document(s) "
        "(doccano): 0 annotation file(s) written\n",
        "",
    )
    (line,) = [json.loads(x) for x in jsonl.read_text("utf-8").splitlines()]
    text = line["text"]
    line["text"] = crlf_text(text)
    del line["doc_id"]
    for entity in line["entities"]:
        entity["start_offset"] = crlf(text, entity["start_offset"])
        entity["end_offset"] = crlf(text, entity["end_offset"])
    jsonl.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert run(project, "import", "doccano", str(jsonl)) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        f"warning: {DOC}: the tool's text differs from text.txt; annotations re-anchored: "
        "6 unchanged, 4 moved, 0 changed, 0 lost\n" + UNCHECKED + "imported 1 document(s) "
        "(doccano): 0 annotation file(s) written\n",
        "",
    )
    assert tree(project) == before
