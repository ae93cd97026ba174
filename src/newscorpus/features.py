"""The Arrow schema of every dataset config, derived from the annotation schema.

One :class:`datasets.Features` object per config is the single description of its columns: the
build writes Parquet through it (so each file's ``huggingface`` metadata holds it) and the card's
``dataset_info`` YAML is generated from it, so the two always agree. Label lists are never typed
here: ClassLabel names come from :class:`~newscorpus.schema.Schema`, in schema order, so the
integer ids stay stable when labels are appended.

Importing this module imports ``datasets``; import it only where features are needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa
from datasets import ClassLabel, Dataset, Features, List, Value
from datasets.info import DatasetInfo
from datasets.table import InMemoryTable

from newscorpus.schema import NO_RELATION, Schema
from newscorpus.views import BIGBIO_KB, CONFIGS, DEFAULT_CONFIG, DOCUMENTS, RELATIONS, SENTENCES

__all__ = [
    "BIGBIO_KB",
    "CONFIGS",
    "DEFAULT_CONFIG",
    "DOCUMENTS",
    "RELATIONS",
    "SENTENCES",
    "bigbio_kb_features",
    "config_features",
    "dataset_from_rows",
    "documents_features",
    "relation_class_names",
    "relations_features",
    "sentences_features",
]

_OFFSET = "int32"


def relation_class_names(schema: Schema) -> tuple[str, ...]:
    """Labels of the ``relations`` config: ``no_relation`` first, then the schema's relations.

    ``no_relation`` is id 0 so that appending a relation label to the schema never renumbers
    the existing ones.
    """
    return (NO_RELATION, *schema.relation_labels)


def _entity_struct(schema: Schema, *, with_source: bool) -> dict[str, object]:
    struct: dict[str, object] = {
        "id": Value("string"),
        "start": Value(_OFFSET),
        "end": Value(_OFFSET),
        "label": ClassLabel(names=list(schema.entity_labels)),
        "text": Value("string"),
    }
    if with_source:
        struct["source"] = Value("string")
    return struct


def documents_features(schema: Schema) -> Features:
    """One row per article: normalised and raw text, alignment, metadata, annotations."""
    return Features(
        {
            "id": Value("string"),
            "title": Value("string"),
            "category": Value("string"),
            "text": Value("string"),
            "raw_text": Value("string"),
            "alignment": List(
                {
                    "raw_start": Value(_OFFSET),
                    "raw_end": Value(_OFFSET),
                    "start": Value(_OFFSET),
                    "end": Value(_OFFSET),
                }
            ),
            "source_file": Value("string"),
            "url": Value("string"),
            "published": Value("string"),
            "language": Value("string"),
            "license": Value("string"),
            "raw_sha256": Value("string"),
            "text_sha256": Value("string"),
            "entities": List(_entity_struct(schema, with_source=True)),
            "relations": List(
                {
                    "id": Value("string"),
                    "head": Value("string"),
                    "tail": Value("string"),
                    "label": ClassLabel(names=list(schema.relation_labels)),
                    "source": Value("string"),
                }
            ),
        }
    )


def sentences_features(schema: Schema) -> Features:
    """One row per sentence: tokens with document-level character offsets and BIO tags."""
    return Features(
        {
            "id": Value("string"),
            "doc_id": Value("string"),
            "text": Value("string"),
            "start": Value(_OFFSET),
            "end": Value(_OFFSET),
            "tokens": List(Value("string")),
            "token_starts": List(Value(_OFFSET)),
            "token_ends": List(Value(_OFFSET)),
            "ner_tags": List(ClassLabel(names=list(schema.bio_tags))),
        }
    )


def _argument_struct(schema: Schema) -> dict[str, object]:
    """A relation argument, with its offsets into each text named after that text."""
    return {
        "id": Value("string"),
        "label": ClassLabel(names=list(schema.entity_labels)),
        "text": Value("string"),
        "doc_start": Value(_OFFSET),
        "doc_end": Value(_OFFSET),
        "context_start": Value(_OFFSET),
        "context_end": Value(_OFFSET),
        "token_start": Value(_OFFSET),
        "token_end": Value(_OFFSET),
    }


def relations_features(schema: Schema) -> Features:
    """One row per ordered entity pair of a window: the label (or ``no_relation``), the context
    as text and tokens, and each argument's offsets into the document, context and tokens."""
    return Features(
        {
            "id": Value("string"),
            "doc_id": Value("string"),
            "relation_id": Value("string"),
            "label": ClassLabel(names=list(relation_class_names(schema))),
            "window_sentences": Value(_OFFSET),
            "nested": Value("bool"),
            "context": Value("string"),
            "context_doc_start": Value(_OFFSET),
            "context_doc_end": Value(_OFFSET),
            "tokens": List(Value("string")),
            "head": _argument_struct(schema),
            "tail": _argument_struct(schema),
        }
    )


def bigbio_kb_features() -> Features:
    """BigBIO's KB schema (``bigbio/utils/schemas/kb.py`` of bigscience-workshop/biomedical),
    type for type, so a KB-schema consumer reads it as any BigBIO dataset: labels are strings
    there, and offsets lists of ``[start, end]`` pairs."""
    text = List(Value("string"))
    offsets = List(List(Value("int32")))
    normalized = List({"db_name": Value("string"), "db_id": Value("string")})
    return Features(
        {
            "id": Value("string"),
            "document_id": Value("string"),
            "passages": List(
                {"id": Value("string"), "type": Value("string"), "text": text, "offsets": offsets}
            ),
            "entities": List(
                {
                    "id": Value("string"),
                    "type": Value("string"),
                    "text": text,
                    "offsets": offsets,
                    "normalized": normalized,
                }
            ),
            "events": List(
                {
                    "id": Value("string"),
                    "type": Value("string"),
                    "trigger": {"text": text, "offsets": offsets},
                    "arguments": List({"role": Value("string"), "ref_id": Value("string")}),
                }
            ),
            "coreferences": List({"id": Value("string"), "entity_ids": List(Value("string"))}),
            "relations": List(
                {
                    "id": Value("string"),
                    "type": Value("string"),
                    "arg1_id": Value("string"),
                    "arg2_id": Value("string"),
                    "normalized": normalized,
                }
            ),
        }
    )


def config_features(schema: Schema) -> dict[str, Features]:
    """The features of every config, keyed by config name, in :data:`CONFIGS` order."""
    return {
        DOCUMENTS: documents_features(schema),
        SENTENCES: sentences_features(schema),
        RELATIONS: relations_features(schema),
        BIGBIO_KB: bigbio_kb_features(),
    }


Encoder = Callable[[Any], Any]


def _label_encoder(feature: Any) -> Encoder | None:
    """A function turning the label names inside ``feature``'s values into ClassLabel ids, or
    None when ``feature`` holds no ClassLabel."""
    if isinstance(feature, ClassLabel):
        ids = {name: i for i, name in enumerate(feature.names)}

        def label(value: Any) -> Any:
            if value is None or isinstance(value, int):
                return value
            if value not in ids:
                raise ValueError(f"unknown label {value!r}; allowed: {', '.join(feature.names)}")
            return ids[value]

        return label
    if isinstance(feature, List):
        inner = _label_encoder(feature.feature)
        if inner is None:
            return None
        return lambda values: None if values is None else [inner(v) for v in values]
    if isinstance(feature, dict):
        parts = {key: enc for key, sub in feature.items() if (enc := _label_encoder(sub))}
        if not parts:
            return None
        return lambda struct: (
            None
            if struct is None
            else {**struct, **{key: enc(struct[key]) for key, enc in parts.items()}}
        )
    return None


def dataset_from_rows(rows: Sequence[dict[str, Any]], features: Features) -> Dataset:
    """An in-memory :class:`datasets.Dataset` of ``rows`` (labels as names or ids).

    It holds the same Arrow data as ``Dataset.from_list(rows, features=features)`` (so the
    Parquet bytes are the same) but encodes labels with one dict lookup each instead of
    ``datasets``' generic per-value walk, which was half the build time.

    Raises:
        ValueError: a row's columns differ from the features', or a label is unknown.
    """
    columns = set(features)
    encoder = _label_encoder(dict(features))
    encoded = []
    for row in rows:
        if row.keys() != columns:
            raise ValueError(
                f"row columns {sorted(row)} differ from the features' {sorted(columns)}"
            )
        encoded.append(encoder(row) if encoder else row)
    table = pa.Table.from_pylist(encoded, schema=features.arrow_schema)
    return Dataset(InMemoryTable(table), info=DatasetInfo(features=features))
