"""brat standoff export and import: exact round trips, nothing dropped silently."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT, run, tree
from newscorpus.formats.brat import annotation_conf
from newscorpus.schema import Schema

DOC = "india-japan-5g-agreement"


@pytest.fixture
def exported(seed_project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "brat"
    assert run(seed_project, "export", "brat", str(out)) == (
        0,
        f"exported 1 document(s) to {out} (brat)\n",
        "",
    )
    return out


def test_export_then_import_is_byte_identical(seed_project: Path, exported: Path) -> None:
    before = tree(seed_project)
    assert sorted(p.name for p in exported.iterdir()) == [
        "annotation.conf",
        f"{DOC}.ann",
        f"{DOC}.txt",
    ]
    ann = (exported / f"{DOC}.ann").read_text("utf-8").splitlines()
    assert ann[0] == "T1\tGPE 0 5\tIndia"
    assert ann[89] == "R1\tagreement_with Arg1:T1 Arg2:T2"
    assert len(ann) == 89 + 35
    code, out, _ = run(seed_project, "import", "brat", str(exported))
    assert (code, out) == (
        0,
        f"{DOC}: entities +0 ~0 -0, relations +0 -0\n"
        "imported 1 document(s) (brat): 0 annotation file(s) written\n",
    )
    assert tree(seed_project) == before


def test_an_unannotated_document_stays_unannotated(seed_project: Path, tmp_path: Path) -> None:
    (seed_project / "annotations" / f"{DOC}.json").unlink()
    out = tmp_path / "brat"
    assert run(seed_project, "export", "brat", str(out))[0] == 0
    assert (out / f"{DOC}.ann").read_text("utf-8") == ""
    before = tree(seed_project)
    assert run(seed_project, "import", "brat", str(out)) == (
        0,
        "skipped: 1 document(s) without entities or an annotation file (none made)\n"
        "imported 0 document(s) (brat): 0 annotation file(s) written\n",
        "",
    )
    assert tree(seed_project) == before


def test_curated_edits_come_back_as_gold_with_notes(seed_project: Path, exported: Path) -> None:
    ann = exported / f"{DOC}.ann"
    lines = ann.read_text("utf-8").splitlines()
    lines[0] = "T1\tLOC 0 5\tIndia"
    lines.append("#1\tAnnotatorNotes T1\tcountry or region? checked")
    ann.write_text("\n".join(lines) + "\n", encoding="utf-8")
    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(annotation_file.read_text("utf-8"))
    data["entities"][1]["source"] = "rule"
    annotation_file.write_text(json.dumps(data), encoding="utf-8")
    assert run(seed_project, "import", "brat", str(exported), "--replace")[0] == 1  # R1: LOC
    lines = [line for line in lines if not re.search(r"Arg[12]:T1\b", line)]
    ann.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree(seed_project)
    code, _, err = run(seed_project, "import", "brat", str(exported))
    assert code == 1
    assert err.startswith("error: " + str(exported) + ": E155 the import would change or remove ")
    assert "    ~ T1 GPE 'India' [0, 5) -> LOC 'India'" in err
    assert tree(seed_project) == before
    code, _, err = run(seed_project, "import", "brat", str(exported), "--replace")
    assert (code, err) == (0, "")
    data = json.loads(annotation_file.read_text("utf-8"))
    assert data["entities"][0] == {
        "id": "T1",
        "start": 0,
        "end": 5,
        "label": "LOC",
        "text": "India",
        "source": "gold",
    }
    assert data["entities"][1]["source"] == "rule"  # unchanged annotations keep provenance
    assert data["notes"] == {"T1": "country or region? checked"}
    run(seed_project, "export", "brat", str(exported))
    assert "#1\tAnnotatorNotes T1\tcountry or region? checked" in ann.read_text("utf-8")


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("E1\tMeeting:T1 Arg:T2", "an event"),
        ("A1\tNegated T1", "an attribute"),
        ("T99\tGPE 0 5;10 15\tIndia Japan", "a discontinuous span"),
        ("*\tEquiv T1 T4", "an equivalence"),
    ],
)
def test_unrepresentable_lines_are_refused(
    seed_project: Path, exported: Path, line: str, kind: str
) -> None:
    ann = exported / f"{DOC}.ann"
    ann.write_text(ann.read_text("utf-8") + line + "\n", encoding="utf-8")
    before = tree(seed_project)
    code, _, err = run(seed_project, "import", "brat", str(exported))
    assert (code, err) == (
        1,
        f"error: {ann}:125: E130 {kind} cannot be represented in this corpus: {line!r}. Remove "
        "it, or model it as entities and binary relations; nothing is dropped silently.\n",
    )
    assert tree(seed_project) == before


def test_text_mismatch_is_refused(seed_project: Path, exported: Path) -> None:
    txt = exported / f"{DOC}.txt"
    txt.write_text("Edited. " + txt.read_text("utf-8"), encoding="utf-8")
    code, _, err = run(seed_project, "import", "brat", str(exported))
    assert (code, err) == (
        1,
        f"error: {txt}: E131 the text beside the annotations differs from corpus/{DOC}/text.txt, "
        "so their offsets point at other characters. Export again with `newscorpus export "
        "brat`, redo the edits there, or re-anchor the annotations first.\n",
    )


def test_invalid_import_changes_nothing(seed_project: Path, exported: Path) -> None:
    ann = exported / f"{DOC}.ann"
    ann.write_text(
        ann.read_text("utf-8").replace("T1\tGPE 0 5\tIndia", "T1\tCOUNTRY 0 5\tIndia"), "utf-8"
    )
    before = tree(seed_project)
    code, _, err = run(seed_project, "import", "brat", str(exported))
    assert code == 1
    assert err.startswith(f"error: {ann}: E154 the imported annotations of {DOC} have ")
    assert "COUNTRY" in err
    assert tree(seed_project) == before


def test_annotation_conf_is_derived_from_the_schema() -> None:
    schema = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")
    conf = annotation_conf(schema)
    entities = conf.split("[entities]\n")[1].split("\n\n")[0].splitlines()
    assert entities == list(schema.entity_labels)
    assert "role_in\tArg1:PERSON, Arg2:GPE|ORG" in conf
    assert "agreement_with\tArg1:GPE|ORG, Arg2:GPE|ORG, <REL-TYPE>:symmetric" in conf


def test_ann_lines_end_at_newlines_only() -> None:
    from newscorpus.formats.brat import parse_ann, to_ann

    # U+0085 and U+2028 end a line for str.splitlines, not for brat; CRLF is one line end.
    content = "T1\tGPE 0 11\tdeal\x85Tokyo\r\nT2\tGPE 12 17\tOsaka\u2028\n"
    parsed = parse_ann(content, "x.ann")
    assert [(e.id, e.text) for e in parsed.entities] == [
        ("T1", "deal\x85Tokyo"),
        ("T2", "Osaka\u2028"),
    ]
    assert parse_ann(to_ann(parsed.entities, (), {}), "x.ann") == parsed


@pytest.mark.parametrize("kind", ["fifo", "folder", "not-utf8"])
def test_a_txt_that_cannot_be_read_as_text_is_refused(
    seed_project: Path, exported: Path, kind: str
) -> None:
    txt = exported / f"{DOC}.txt"
    txt.unlink()
    if kind == "fifo":
        os.mkfifo(txt)  # read, it would block the import for ever, holding the project's lock
    elif kind == "folder":
        txt.mkdir()
    else:
        txt.write_bytes(b"India \xff")
    before = tree(seed_project)
    code, out, err = run(seed_project, "import", "brat", str(exported))
    expected = {
        "fifo": f"error: {txt}: E219 is not a regular file",
        "folder": f"error: {txt}: E219 is not a regular file",
        "not-utf8": f"error: {txt}: E204 is not valid UTF-8 (byte 0xff at offset 6)",
    }[kind]
    assert (code, out) == (1, "")
    assert err.startswith(expected)
    assert tree(seed_project) == before


def test_an_offset_too_long_to_read_is_e130(seed_project: Path, exported: Path) -> None:
    ann = exported / f"{DOC}.ann"
    line = f"T99\tGPE 0 {'9' * 5000}\tIndia"
    ann.write_text(ann.read_text("utf-8") + line + "\n", encoding="utf-8")
    assert run(seed_project, "import", "brat", str(exported)) == (
        1,
        "",
        f"error: {ann}:125: E130 an offset of more than 20 digits cannot be read: {line[:60]!r}. "
        "Keep the character offsets brat wrote.\n",
    )


def test_a_note_stays_with_its_entity_not_with_its_reused_id(
    seed_project: Path, exported: Path
) -> None:
    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(annotation_file.read_text("utf-8"))
    assert data["entities"][0]["id"] == "T1"
    data["entities"][0]["note"] = "verified: India the country"
    annotation_file.write_text(json.dumps(data), encoding="utf-8")
    run(seed_project, "export", "brat", str(exported))
    ann = exported / f"{DOC}.ann"
    text = (exported / f"{DOC}.txt").read_text("utf-8")
    lines = [
        line
        for line in ann.read_text("utf-8").splitlines()
        if not line.startswith("T1\t") and not re.search(r"Arg[12]:T1\b", line)
    ]
    start = text.index("meeting")
    # brat gives the deleted T1's id to the next entity made: another entity, not India.
    ann.write_text("\n".join([f"T1\tEVENT {start} {start + 7}\tmeeting", *lines]) + "\n", "utf-8")
    assert run(seed_project, "import", "brat", str(exported), "--replace")[0] == 0
    entity = next(
        e for e in json.loads(annotation_file.read_text("utf-8"))["entities"] if e["id"] == "T1"
    )
    assert entity == {
        "id": "T1",
        "start": start,
        "end": start + 7,
        "label": "EVENT",
        "text": "meeting",
        "source": "gold",
    }
    # An edit of the same entity (its label here) keeps the note.
    annotation_file.write_text(json.dumps(data), encoding="utf-8")
    run(seed_project, "export", "brat", str(exported))
    ann.write_text(
        ann.read_text("utf-8").replace("T1\tGPE 0 5\tIndia", "T1\tLOC 0 5\tIndia"), "utf-8"
    )
    lines = [
        line for line in ann.read_text("utf-8").splitlines() if not re.search(r"Arg[12]:T1\b", line)
    ]
    ann.write_text("\n".join(lines) + "\n", "utf-8")
    assert run(seed_project, "import", "brat", str(exported), "--replace")[0] == 0
    entity = json.loads(annotation_file.read_text("utf-8"))["entities"][0]
    assert (entity["label"], entity["note"]) == ("LOC", "verified: India the country")


def test_a_note_with_line_breaks_is_written_on_one_line_and_reported(
    seed_project: Path, tmp_path: Path
) -> None:
    """A note written as it is ended at its line break, and its next line became an entity of
    its own on import (T999 here)."""
    annotation_file = seed_project / "annotations" / f"{DOC}.json"
    data = json.loads(annotation_file.read_text("utf-8"))
    data["notes"] = {"T1": "see below\nT999\tEVENT 27 35\thistoric"}
    annotation_file.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "brat"
    assert run(seed_project, "export", "brat", str(out)) == (
        0,
        "not representable in brat: 1 line breaks in notes (written as spaces: a brat note is "
        f"one line)\nexported 1 document(s) to {out} (brat)\n",
        "",
    )
    assert (
        (out / f"{DOC}.ann")
        .read_text("utf-8")
        .endswith("#1\tAnnotatorNotes T1\tsee below T999\tEVENT 27 35\thistoric\n")
    )
    assert run(seed_project, "import", "brat", str(out))[0] == 0
    data = json.loads(annotation_file.read_text("utf-8"))
    assert "T999" not in {e["id"] for e in data["entities"]}
    assert data["notes"] == {"T1": "see below T999\tEVENT 27 35\thistoric"}
