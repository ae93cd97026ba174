"""Span edges and abbreviations: a final period that belongs to the word is part of the name.

"Huawei Technologies Co., Ltd." must pass ``validate --strict`` and build: the span checks spare
the period of a listed abbreviation, a dotted one (``U.S.``) and an initial, and the project's
tokenizer keeps each listed abbreviation whole, while a sentence's full stop is still E114.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from datasets import load_dataset

from build_helpers import Ent, add_document
from conftest import REPO_ROOT, make_project, run
from newscorpus.errors import NewscorpusError
from newscorpus.nlp import make_nlp
from newscorpus.package import build
from newscorpus.project import load_project
from newscorpus.schema import DEFAULT_ABBREVIATIONS, Schema
from newscorpus.validate_document import validate_document

TEXT = (
    "Huawei Technologies Co., Ltd. hired John F. Kennedy Jr. in the U.S. on Friday. "
    "Talks went on in India. Bharti Pvt. Ltd said so."
)
SCHEMA = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")


def edge_codes(fragment: str, schema: Schema | None = SCHEMA) -> list[str]:
    start = TEXT.index(fragment)
    doc = {
        "doc_id": "d",
        "text_sha256": hashlib.sha256(TEXT.encode("utf-8")).hexdigest(),
        "entities": [
            {
                "id": "T1",
                "start": start,
                "end": start + len(fragment),
                "label": "ORG",
                "text": fragment,
            }
        ],
        "relations": [],
    }
    return [i.code for i in validate_document(doc, schema, TEXT, "d.json", doc_id="d")]


@pytest.mark.parametrize(
    ("fragment", "codes"),
    [
        ("Huawei Technologies Co., Ltd.", []),  # listed abbreviations
        ("Huawei Technologies Co.", []),
        ("John F.", []),  # an initial
        ("John F. Kennedy Jr.", []),
        ("U.S.", []),  # a dotted abbreviation
        ("Bharti Pvt.", []),
        ("Friday.", ["E114"]),  # a sentence's full stop after any other word
        ("India.", ["E114"]),
        ("Huawei Technologies Co., Ltd. ", ["E114"]),
    ],
)
def test_span_edges_with_abbreviations(fragment: str, codes: list[str]) -> None:
    assert edge_codes(fragment) == codes
    # Without a schema the default list applies.
    assert edge_codes(fragment, None) == codes


def test_the_schema_list_replaces_the_default() -> None:
    schema = Schema.from_dict(
        {"entities": [{"label": "ORG"}], "abbreviations": ["Pvt."]}, where="schema.yaml"
    )
    assert schema.abbreviations == ("Pvt.",)
    assert edge_codes("Bharti Pvt.", schema) == []
    assert edge_codes("Huawei Technologies Co., Ltd.", schema) == ["E114"]
    assert Schema.from_dict({"entities": [{"label": "ORG"}]}).abbreviations == (
        DEFAULT_ABBREVIATIONS
    )


@pytest.mark.parametrize("value", ["Ltd.", ["Ltd"], ["Pty Ltd."], [3]])
def test_bad_abbreviations_are_e003(value: object) -> None:
    with pytest.raises(NewscorpusError) as err:
        Schema.from_dict({"entities": [{"label": "ORG"}], "abbreviations": value}, where="s.yaml")
    assert err.value.render() == (
        "s.yaml: E003 `abbreviations` must be a list of words that end with a period. Write "
        "e.g. abbreviations: [Inc., Co., Ltd.], or remove the key for the default list."
    )


def test_every_default_abbreviation_is_one_token() -> None:
    nlp = make_nlp()
    for word in DEFAULT_ABBREVIATIONS:
        assert [t.text for t in nlp(f"Acme {word} said")] == ["Acme", word, "said"]
        assert [t.text for t in nlp(f"met Acme {word}")] == ["met", "Acme", word]


def test_a_company_name_with_ltd_validates_strictly_and_builds(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    schema = root / "annotations" / "schema.yaml"
    # A suffix the default list lacks, added in the schema: the tokenizer keeps it whole too.
    schema.write_text(schema.read_text() + "abbreviations: [Co., Ltd., Ltda.]\n")
    project = load_project(root)
    raw = (
        "Huawei deal\n\nHuawei Technologies Co., Ltd. signed with Oi Ltda. in Brazil.\n"
        "India welcomed it.\n"
    )
    names = (
        Ent("T1", "Huawei Technologies Co., Ltd.", "ORG"),
        Ent("T2", "Oi Ltda.", "ORG"),
        Ent("T3", "Brazil", "GPE"),
        Ent("T4", "India", "GPE"),
    )
    add_document(project, "huawei-deal", raw, names)
    assert run(root, "validate", "--strict") == (
        0,
        "ok: 1 annotation file, 1 article, no problems\n",
        "",
    )
    out = build(project).out
    (split,) = load_dataset(str(out), "sentences").values()
    tags = split.features["ner_tags"].feature.names
    (sentence,) = (row for row in split if row["text"].startswith("Huawei Technologies"))
    assert list(zip(sentence["tokens"], [tags[t] for t in sentence["ner_tags"]], strict=True)) == [
        ("Huawei", "B-ORG"),
        ("Technologies", "I-ORG"),
        ("Co.", "I-ORG"),
        (",", "I-ORG"),
        ("Ltd.", "I-ORG"),
        ("signed", "O"),
        ("with", "O"),
        ("Oi", "B-ORG"),
        ("Ltda.", "I-ORG"),
        ("in", "O"),
        ("Brazil", "B-GPE"),
        (".", "O"),
    ]
