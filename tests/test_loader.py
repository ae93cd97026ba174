"""Loading a build: plain ``load_dataset`` in a fresh process, ``newscorpus.load``, round trips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from datasets import DatasetDict

import newscorpus
from build_helpers import small_project
from newscorpus.errors import NewscorpusError, UsageError
from newscorpus.features import CONFIGS, config_features
from newscorpus.loader import iter_documents
from newscorpus.model import Document, Entity
from newscorpus.nlp import make_nlp
from newscorpus.package import build, load_document
from newscorpus.project import Project, load_project
from newscorpus.schema import Schema


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    project = small_project(tmp_path_factory.mktemp("small") / "proj")
    return project, build(project).out


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    from conftest import make_project

    project = load_project(make_project(tmp_path_factory.mktemp("seed") / "proj", with_seed=True))
    return project, build(project).out


FRESH_LOAD = """
import json, sys
from datasets import load_dataset
ds = load_dataset(sys.argv[1], sys.argv[2])
print(json.dumps({
    "splits": {name: len(split) for name, split in ds.items()},
    "features": {name: split.features.to_dict() for name, split in ds.items()},
    "ours": sorted(m for m in sys.modules if m.startswith("newscorpus")),
}))
"""


def fresh_python(tmp_path: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_HOME=str(tmp_path / "hf"),
        HF_DATASETS_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("config", CONFIGS)
def test_plain_load_dataset_gives_the_declared_features(
    small: tuple[Project, Path], tmp_path: Path, config: str
) -> None:
    project, out = small
    loaded = json.loads(fresh_python(tmp_path, FRESH_LOAD, str(out), config))
    expected = config_features(Schema.load(project.schema_path))[config].to_dict()
    sizes = {
        "documents": {"train": 1, "validation": 1, "test": 1},
        "sentences": {"train": 5, "validation": 3, "test": 2},
        "relations": {"train": 56, "validation": 4},
        "bigbio_kb": {"train": 1, "validation": 1, "test": 1},
    }
    assert loaded["splits"] == sizes[config]
    assert all(features == expected for features in loaded["features"].values())
    assert loaded["ours"] == []


def test_importing_newscorpus_stays_light(tmp_path: Path) -> None:
    script = (
        "import sys, newscorpus\n"
        "print(sorted(m for m in ('datasets', 'spacy', 'pyarrow') if m in sys.modules))\n"
        "print(newscorpus.load.__module__)\n"
    )
    assert fresh_python(tmp_path, script) == "[]\nnewscorpus.loader\n"


def test_load_a_local_build(small: tuple[Project, Path]) -> None:
    _, out = small
    sentences = newscorpus.load(out, "sentences")
    assert isinstance(sentences, DatasetDict)
    assert sorted(sentences) == ["test", "train", "validation"]
    assert sentences["train"][0]["id"] == "agreement-s0"


def test_load_errors(small: tuple[Project, Path], tmp_path: Path) -> None:
    _, out = small
    with pytest.raises(UsageError) as err:
        newscorpus.load(out, "tokens")
    assert err.value.render() == (
        "E308 unknown config 'tokens'; allowed: documents, sentences, relations, bigbio_kb. "
        "Pass one of the configs."
    )
    with pytest.raises(UsageError) as err:
        newscorpus.load(out, revision="v0.1.0")
    assert err.value.render() == (
        f"E308 revision 'v0.1.0' was given for the local folder {out}; a local build has no "
        "revisions. Drop the revision, or pass the Hub dataset id to load a tagged release."
    )
    with pytest.raises(UsageError) as err:
        newscorpus.load(tmp_path)
    assert err.value.render() == (
        f"E308 {tmp_path} is not a built dataset (no README.md or no data/documents/). "
        "Pass the folder `newscorpus build` wrote (default dist/<project name>)."
    )


SAMPLES = [
    ("small", "agreement"),
    ("small", "huawei-ban"),
    ("small", "forecast"),
    ("seed", "india-japan-5g-agreement"),
]


@pytest.mark.parametrize(("build_name", "doc_id"), SAMPLES)
def test_round_trip(request: pytest.FixtureRequest, build_name: str, doc_id: str) -> None:
    project, out = request.getfixturevalue(build_name)
    original = load_document(project, doc_id)
    documents = newscorpus.load(out)
    (found,) = [
        doc for split in documents.values() for doc in iter_documents(split) if doc.id == doc_id
    ]
    assert found == original


def test_from_row_of_a_loaded_row_needs_nothing_else(small: tuple[Project, Path]) -> None:
    project, out = small
    loaded = newscorpus.load(out)["train"]
    row = loaded[0]
    assert Document.from_row(row) == Document.from_row(
        newscorpus.load(out, decode_labels=False)["train"][0], features=loaded.features
    )
    assert Document.from_row(row).entities == load_document(project, row["id"]).entities
    assert [e["label"] for e in loaded["entities"][0]][:1] == [row["entities"][0]["label"]]


def test_from_row_needs_features_for_label_ids(small: tuple[Project, Path]) -> None:
    _, out = small
    row = newscorpus.load(out, decode_labels=False)["train"][0]
    with pytest.raises(ValueError) as err:
        Document.from_row(row)
    assert str(err.value) == (
        "label 2 is a ClassLabel id; pass the dataset's features to "
        "Document.from_row(row, features=ds.features) to turn ids into names."
    )


def test_to_spacy(small: tuple[Project, Path]) -> None:
    project, _ = small
    doc = load_document(project, "agreement")
    spacy_doc = doc.to_spacy(make_nlp())
    dialog = "India-Japan Strategic Dialog"
    assert [(e.text, e.label_) for e in spacy_doc.ents][-2:] == [
        (dialog, "EVENT"),
        ("IoT", "TECHNOLOGY"),
    ]
    assert len(spacy_doc.ents) == 11  # 13 entities, India and Japan nested in the dialog
    spans = spacy_doc.spans["entities"]
    assert [(s.id_, s.text, s.label_) for s in spans] == [
        (e.id, e.text, e.label) for e in doc.entities
    ]


def test_to_spacy_refuses_to_drop_a_misaligned_entity() -> None:
    doc = Document("d1", "They agreed on 5G.", (Entity("T1", 15, 17, "TECHNOLOGY", "5G"),))
    with pytest.raises(NewscorpusError) as err:
        doc.to_spacy(spacy.blank("en"))  # the default tokenizer keeps "5G." whole
    assert err.value.render() == (
        "document d1: E302 [T1] entity [15, 17) '5G' (TECHNOLOGY) does not start and end on "
        "token boundaries of this tokenizer, so spaCy would drop it. Use the project's tokenizer "
        "(newscorpus.nlp.make_nlp), or move the span edges to word boundaries."
    )
    assert [e.text for e in doc.to_spacy(make_nlp()).ents] == ["5G"]
