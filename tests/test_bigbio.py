"""The ``bigbio_kb`` config passes what BigBIO's own tests check for the KB schema.

The checks follow ``tests/test_bigbio.py`` of bigscience-workshop/biomedical: the features equal
``bigbio/utils/schemas/kb.py`` (written here the way BigBIO writes it), every ``id`` anywhere in a
split is unique, every referenced id exists, and every passage and entity offset gives back its
text from the passages joined with spaces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import datasets
import pytest
from datasets import DatasetDict, load_dataset

from build_helpers import small_project
from conftest import make_project
from newscorpus.bigbio import kb_row
from newscorpus.model import Document, Entity, Relation
from newscorpus.package import build
from newscorpus.project import load_project

# bigbio/utils/schemas/kb.py, in BigBIO's own spelling (Sequence, bare lists).
BIGBIO_KB = datasets.Features(
    {
        "id": datasets.Value("string"),
        "document_id": datasets.Value("string"),
        "passages": [
            {
                "id": datasets.Value("string"),
                "type": datasets.Value("string"),
                "text": datasets.Sequence(datasets.Value("string")),
                "offsets": datasets.Sequence([datasets.Value("int32")]),
            }
        ],
        "entities": [
            {
                "id": datasets.Value("string"),
                "type": datasets.Value("string"),
                "text": datasets.Sequence(datasets.Value("string")),
                "offsets": datasets.Sequence([datasets.Value("int32")]),
                "normalized": [
                    {"db_name": datasets.Value("string"), "db_id": datasets.Value("string")}
                ],
            }
        ],
        "events": [
            {
                "id": datasets.Value("string"),
                "type": datasets.Value("string"),
                "trigger": {
                    "text": datasets.Sequence(datasets.Value("string")),
                    "offsets": datasets.Sequence([datasets.Value("int32")]),
                },
                "arguments": [
                    {"role": datasets.Value("string"), "ref_id": datasets.Value("string")}
                ],
            }
        ],
        "coreferences": [
            {
                "id": datasets.Value("string"),
                "entity_ids": datasets.Sequence(datasets.Value("string")),
            }
        ],
        "relations": [
            {
                "id": datasets.Value("string"),
                "type": datasets.Value("string"),
                "arg1_id": datasets.Value("string"),
                "arg2_id": datasets.Value("string"),
                "normalized": [
                    {"db_name": datasets.Value("string"), "db_id": datasets.Value("string")}
                ],
            }
        ],
    }
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> list[DatasetDict]:
    """The bigbio_kb config of the small project and of the seed, loaded as users do."""
    small = small_project(tmp_path_factory.mktemp("small") / "proj")
    seed = load_project(make_project(tmp_path_factory.mktemp("seed") / "proj", with_seed=True))
    return [load_dataset(str(build(p).out), "bigbio_kb") for p in (small, seed)]


def ids(value: Any) -> list[str]:
    """Every value of an ``id`` key anywhere in ``value``, as BigBIO's uniqueness test walks."""
    if isinstance(value, dict):
        found = [value["id"]] if "id" in value else []
        for key, sub in value.items():
            if key != "id":
                found += ids(sub)
        return found
    if isinstance(value, list):
        return [i for item in value for i in ids(item)]
    return []


def test_features_are_bigbios(loaded: list[DatasetDict]) -> None:
    for dataset in loaded:
        for split in dataset.values():
            assert split.features == BIGBIO_KB


def test_ids_are_unique_across_each_split(loaded: list[DatasetDict]) -> None:
    for dataset in loaded:
        for split in dataset.values():
            found = [i for example in split for i in ids(example)]
            assert found and len(found) == len(set(found))


def test_referenced_ids_exist_and_offsets_give_back_the_text(loaded: list[DatasetDict]) -> None:
    entities = relations = 0
    for dataset in loaded:
        for split in dataset.values():
            for example in split:
                text = " ".join(t for p in example["passages"] for t in p["text"])
                for passage in example["passages"]:
                    ((start, end),) = passage["offsets"]
                    assert [text[start:end]] == passage["text"]
                for entity in example["entities"]:
                    assert [text[s:e] for s, e in entity["offsets"]] == entity["text"]
                    entities += 1
                known = {e["id"] for e in example["entities"]}
                for relation in example["relations"]:
                    assert {relation["arg1_id"], relation["arg2_id"]} <= known
                    relations += 1
                assert example["events"] == [] and example["coreferences"] == []
    # the small project (17 entities, 6 relations) and the seed (89, 35)
    assert (entities, relations) == (17 + 89, 6 + 35)


def test_kb_row() -> None:
    doc = Document(
        "d1",
        "Huawei, India",
        (Entity("T1", 0, 6, "ORG", "Huawei"), Entity("T2", 8, 13, "GPE", "India")),
        (Relation("R1", "T1", "T2", "based_in"),),
    )
    assert kb_row(doc) == {
        "id": "d1",
        "document_id": "d1",
        "passages": [
            {"id": "d1:passage:0", "type": "text", "text": ["Huawei, India"], "offsets": [[0, 13]]}
        ],
        "entities": [
            {
                "id": "d1:entity:T1",
                "type": "ORG",
                "text": ["Huawei"],
                "offsets": [[0, 6]],
                "normalized": [],
            },
            {
                "id": "d1:entity:T2",
                "type": "GPE",
                "text": ["India"],
                "offsets": [[8, 13]],
                "normalized": [],
            },
        ],
        "events": [],
        "coreferences": [],
        "relations": [
            {
                "id": "d1:relation:R1",
                "type": "based_in",
                "arg1_id": "d1:entity:T1",
                "arg2_id": "d1:entity:T2",
                "normalized": [],
            }
        ],
    }


def test_card_declares_the_config(loaded: list[DatasetDict], tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj")
    text = (build(project).out / "README.md").read_text(encoding="utf-8")
    assert "| `bigbio_kb` | article | BigBIO's KB schema" in text
    assert (
        'bigbio = load_dataset("OWNER/test-corpus", "bigbio_kb", revision="v0.1.0")  # BigBIO KB'
        in text
    )
