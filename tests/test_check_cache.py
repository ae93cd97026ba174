"""``check`` keeps each part of gold's passes in the cache: an unchanged part is not read again,
an edited one is, and the report is always the one a fresh check gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import newscorpus.cache
import newscorpus.check
from newscorpus.annotations import annotation_path
from newscorpus.cache import CACHE_DIR, generation
from newscorpus.check import CheckCounts, CheckReport, check_counts, check_project
from newscorpus.check_gold import Link, Mention
from newscorpus.engines import EngineSettings
from newscorpus.errors import NewscorpusError
from newscorpus.project import Project
from newscorpus.schema import Schema
from test_scale import seed_and_synthetic

SERIAL = EngineSettings("serial", 1)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The seed and ten synthetic documents, read in parts of four; files made seconds ago
    count as settled, so their hashes are remembered."""
    monkeypatch.setattr(newscorpus.check, "_PART", 4)
    monkeypatch.setattr(newscorpus.cache, "RACY_NS", 0)
    return seed_and_synthetic(tmp_path / "proj")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, str]]:
    """Each gold file read, as (first pass, document id)."""
    seen: list[tuple[bool, str]] = []
    real = newscorpus.check.gold_documents

    def counted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for document in real(*args, **kwargs):
            seen.append((kwargs["checked"], document[0]))
            yield document

    monkeypatch.setattr(newscorpus.check, "gold_documents", counted)
    return seen


def check(project: Project, *, use_cache: bool = True) -> CheckReport:
    return check_project(
        project, Schema.load(project.schema_path), engine=SERIAL, use_cache=use_cache
    )


def drop_last_relation(project: Project, doc_id: str) -> None:
    path = annotation_path(project, doc_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["relations"] = data["relations"][:-1]
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def relabel_first_entity(project: Project, doc_id: str) -> None:
    path = annotation_path(project, doc_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    entity = data["entities"][0]
    data["entities"][0] = {**entity, "label": "EVENT" if entity["label"] != "EVENT" else "LAW"}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def gold_ids(project: Project) -> list[str]:
    return [p.stem for p in sorted(project.annotations.glob("*.json"))]


def test_an_unchanged_corpus_is_not_read_again(
    project: Project, reads: list[tuple[bool, str]]
) -> None:
    first = check(project)
    assert len(reads) == 2 * 11 and first.counts
    reads.clear()
    assert check(project) == first
    assert reads == []
    assert check(project, use_cache=False) == first
    counts = check_counts(project, Schema.load(project.schema_path), engine=SERIAL, use_cache=True)
    assert counts == CheckCounts(first.accepted, first.documents, first.counts)


def test_an_edit_reads_its_part_again(project: Project, reads: list[tuple[bool, str]]) -> None:
    check(project)
    ids = gold_ids(project)
    drop_last_relation(project, ids[5])
    reads.clear()
    report = check(project)
    # The relation's texts are still annotated: the vocabulary holds, and only the edited
    # file's part (the second of three) is read, in both passes.
    assert reads == [(True, i) for i in ids[4:8]] + [(False, i) for i in ids[4:8]]
    assert report == check(project, use_cache=False)


def test_a_new_name_searches_every_part_again(
    project: Project, reads: list[tuple[bool, str]]
) -> None:
    check(project)
    ids = gold_ids(project)
    relabel_first_entity(project, ids[0])
    reads.clear()
    report = check(project)
    assert [r for r in reads if r[0]] == [(True, i) for i in ids[:4]]
    assert [r for r in reads if not r[0]] == [(False, i) for i in ids]
    assert report == check(project, use_cache=False)


def test_a_bad_file_is_reported_every_time(project: Project) -> None:
    check(project)
    path = annotation_path(project, gold_ids(project)[9])
    path.write_text(path.read_text(encoding="utf-8").replace('"GPE"', '"COUNTRY"', 1))
    for _ in range(2):
        with pytest.raises(NewscorpusError) as err:
            check(project)
        assert err.value.code == "E173"
    path.write_text(path.read_text(encoding="utf-8").replace('"COUNTRY"', '"GPE"', 1))
    assert check(project) == check(project, use_cache=False)


def test_damaged_entries_are_read_again(project: Project) -> None:
    first = check(project)
    entries = sorted((project.root / CACHE_DIR / generation()).glob("check-*/*/*"))
    assert len(entries) == 6  # three parts, two passes
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[:-5] + b"xxxxx")
    assert check(project) == first


def test_an_edit_while_a_part_is_read_is_not_kept(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys are made before the files are read: a file edited in between must not leave what
    was read kept under the key of what is there now."""
    ids = gold_ids(project)
    second = annotation_path(project, ids[1])
    before = second.read_bytes()
    real = newscorpus.check.gold_documents
    edited: list[str] = []

    def edit_midway(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for document in real(*args, **kwargs):
            yield document
            if not edited:
                edited.append(document[0])
                relabel_first_entity(project, ids[1])  # the next file of the same part

    monkeypatch.setattr(newscorpus.check, "gold_documents", edit_midway)
    check(project)
    monkeypatch.setattr(newscorpus.check, "gold_documents", real)
    assert edited == [ids[0]]
    second.write_bytes(before)  # the files are those the first check's keys were made of
    assert check(project) == check(project, use_cache=False)


def test_odd_gold_names_ids_and_hash_files(project: Project) -> None:
    """A gold file name that is not UTF-8, an id that is a lone surrogate, a relation id that
    is a number, and a hash index of the wrong shape: errors as without the cache, or the
    same report."""
    import os

    ids = gold_ids(project)
    path = annotation_path(project, ids[2])
    data = json.loads(path.read_text(encoding="utf-8"))
    old = data["entities"][0]["id"]
    data["entities"][0]["id"] = "\udc80"
    for relation in data["relations"]:
        for end in ("head", "tail"):
            if relation[end] == old:
                relation[end] = "\udc80"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")  # ASCII escapes
    assert check(project) == check(project, use_cache=False)
    files = project.root / CACHE_DIR / "files.json"
    for shape in ('{"format": 1, "files": null}', "[1, 2]"):
        files.write_text(shape, encoding="utf-8")
        assert check(project) == check(project, use_cache=False)
    number = annotation_path(project, ids[3])
    data = json.loads(number.read_text(encoding="utf-8"))
    data["relations"].append({**data["relations"][0], "id": 7})
    number.write_text(json.dumps(data, indent=2), encoding="utf-8")
    errors = []
    for use_cache in (True, False):
        with pytest.raises(NewscorpusError) as err:
            check(project, use_cache=use_cache)
        errors.append(str(err.value))
    assert errors[0] == errors[1] and f"{number.name}: E173 " in errors[0]
    number.unlink()
    (project.annotations / os.fsdecode(b"bad\xff.json")).write_text("{}", encoding="utf-8")
    errors = []
    for use_cache in (True, False):
        with pytest.raises(NewscorpusError) as err:
            check(project, use_cache=use_cache)
        errors.append(err.value.code)
    assert errors == ["E172", "E172"]


def test_a_first_pass_read_back_from_json_holds_one_str_per_document() -> None:
    corpus = newscorpus.check._Corpus()
    for doc_id in ("a-1", "b-2"):
        mentions = [Mention("T1", 0, 5, "ORG", "Nokia"), Mention("T2", 9, 14, "ORG", "Nokia")]
        corpus.gather(doc_id, mentions, [Link("R1", "T1", "T2", "partner_of")])
    back = newscorpus.check._Corpus.from_json(json.loads(json.dumps(corpus.to_json())))
    assert back is not None
    assert back.to_json() == corpus.to_json()
    (seen,) = back.names["Nokia"].values()
    (link,) = back.links[("Nokia", "Nokia")].values()
    one = {id(d) for d in back.documents}
    assert {id(d) for d in back.doc_ids([seen])} == one
    assert {id(d) for d in back.doc_ids([link])} == one
    assert id(seen.first.doc_id) in one
    assert back.doc_ids([seen]) == ("a-1", "b-2")


def test_first_passes_merged_name_the_documents_of_both() -> None:
    def learnt(*doc_ids: str) -> newscorpus.check._Corpus:
        corpus = newscorpus.check._Corpus()
        for doc_id in doc_ids:
            corpus.gather(doc_id, [Mention("T1", 0, 5, "ORG", doc_id[0].upper() + "ok")], [])
        return corpus

    corpus = learnt("a-1", "b-2", "c-3")
    corpus.merge(learnt("b-4", "c-5", "d-6"))
    assert corpus.documents == ["a-1", "b-2", "c-3", "b-4", "c-5", "d-6"]
    assert {text: corpus.doc_ids(t.values()) for text, t in corpus.names.items()} == {
        "Aok": ("a-1",),
        "Bok": ("b-2", "b-4"),
        "Cok": ("c-3", "c-5"),
        "Dok": ("d-6",),
    }


def test_a_first_pass_naming_a_document_it_does_not_list_is_not_trusted() -> None:
    data = {"documents": ["a-1"], "names": [["Nokia", "ORG", 1, ["b-2", 0, 5, "T1"], "1"]]}
    assert newscorpus.check._Corpus.from_json({**data, "links": []}) is None


@pytest.mark.parametrize("docs", ["2", "0", "-1", "zz", ["a-1"]])
def test_a_first_pass_with_documents_beyond_its_list_is_not_trusted(docs: object) -> None:
    data = {"documents": ["a-1"], "names": [["Nokia", "ORG", 1, ["a-1", 0, 5, "T1"], docs]]}
    assert newscorpus.check._Corpus.from_json({**data, "links": []}) is None
