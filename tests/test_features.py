"""The Arrow features of every config are derived from the schema, and rows encode under them."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, Features

from conftest import REPO_ROOT
from newscorpus.features import (
    CONFIGS,
    config_features,
    dataset_from_rows,
    relation_class_names,
)
from newscorpus.schema import Schema

SCHEMA = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")
FEATURES = config_features(SCHEMA)


def test_label_names_come_from_the_schema() -> None:
    documents = FEATURES["documents"]
    assert documents["entities"].feature["label"].names == list(SCHEMA.entity_labels)
    assert documents["relations"].feature["label"].names == list(SCHEMA.relation_labels)
    assert FEATURES["sentences"]["ner_tags"].feature.names == list(SCHEMA.bio_tags)
    relations = FEATURES["relations"]
    assert relations["label"].names == ["no_relation", *SCHEMA.relation_labels]
    assert relations["head"]["label"].names == list(SCHEMA.entity_labels)


def test_no_relation_is_id_zero_so_appending_labels_keeps_ids() -> None:
    grown = Schema.from_dict(
        {
            "entities": [{"label": "ORG"}],
            "relations": [
                {"label": "a", "head": ["ORG"], "tail": ["ORG"]},
                {"label": "b", "head": ["ORG"], "tail": ["ORG"]},
            ],
        }
    )
    assert relation_class_names(grown) == ("no_relation", "a", "b")


def test_bio_tags_of_a_small_schema() -> None:
    schema = Schema.from_dict({"entities": [{"label": "ORG"}, {"label": "GPE"}], "relations": []})
    features = config_features(schema)
    assert features["sentences"]["ner_tags"].feature.names == [
        "O",
        "B-ORG",
        "I-ORG",
        "B-GPE",
        "I-GPE",
    ]
    assert features["documents"]["relations"].feature["label"].names == []


@pytest.mark.parametrize("config", CONFIGS)
def test_features_survive_the_card_yaml(config: str) -> None:
    features = FEATURES[config]
    assert Features._from_yaml_list(features._to_yaml_list()) == features
    assert Features.from_dict(features.to_dict()) == features


def test_rows_encode_labels_by_name() -> None:
    row = {
        "id": "d-s0",
        "doc_id": "d",
        "text": "India",
        "start": 0,
        "end": 5,
        "tokens": ["India"],
        "token_starts": [0],
        "token_ends": [5],
        "ner_tags": ["B-GPE"],
    }
    features = FEATURES["sentences"]
    dataset = Dataset.from_dict({k: [row[k]] for k in features}, features=features)
    assert dataset[0]["ner_tags"] == [SCHEMA.bio_tags.index("B-GPE")]


def test_unknown_label_is_refused() -> None:
    features = Features({"label": ClassLabel(names=list(relation_class_names(SCHEMA)))})
    with pytest.raises(ValueError, match="Invalid string class label located_near"):
        Dataset.from_dict({"label": ["located_near"]}, features=features)


def seed_rows() -> dict[str, list[dict[str, object]]]:
    from newscorpus.annotations import read_annotations
    from newscorpus.bigbio import kb_row
    from newscorpus.model import Document
    from newscorpus.nlp import make_nlp, segment
    from newscorpus.views import document_row, merge_sentences, sentence_rows
    from newscorpus.views_relations import RelationOptions, relation_rows

    annotations = read_annotations(REPO_ROOT / "annotations" / "india-japan-5g-agreement.json")
    text = (REPO_ROOT / "corpus" / "india-japan-5g-agreement" / "text.txt").read_text("utf-8")
    doc = Document("seed", text, annotations.entities, annotations.relations, "Title", {})
    sentences, _ = merge_sentences(segment(make_nlp()(text)), doc.entities)
    return {
        "documents": [document_row(doc)],
        "sentences": sentence_rows(doc, sentences),
        "relations": relation_rows(doc, sentences, SCHEMA, RelationOptions()).rows,
        "bigbio_kb": [kb_row(doc)],
    }


@pytest.mark.parametrize("config", CONFIGS)
def test_fast_encoding_writes_the_same_bytes_as_datasets(config: str, tmp_path: Path) -> None:
    rows = seed_rows()[config]
    features = FEATURES[config]
    dataset_from_rows(rows, features).to_parquet(str(tmp_path / "ours.parquet"), batch_size=7)
    Dataset.from_list(rows, features=features).to_parquet(
        str(tmp_path / "datasets.parquet"), batch_size=7
    )
    ours = (tmp_path / "ours.parquet").read_bytes()
    assert ours == (tmp_path / "datasets.parquet").read_bytes()


def test_fast_encoding_refuses_bad_rows() -> None:
    features = FEATURES["relations"]
    (row,) = seed_rows()["relations"][:1]
    with pytest.raises(ValueError) as err:
        dataset_from_rows([{**row, "label": "located_near"}], features)
    assert str(err.value) == (
        "unknown label 'located_near'; allowed: no_relation, " + ", ".join(SCHEMA.relation_labels)
    )
    with pytest.raises(ValueError) as err:
        dataset_from_rows([{k: v for k, v in row.items() if k != "context"}], features)
    assert str(err.value).startswith(
        "row columns ['context_doc_end', 'context_doc_start', 'doc_id',"
    )
