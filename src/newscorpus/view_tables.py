"""The Arrow tables of the ``sentences`` and ``relations`` configs, made from their columns.

Made from the rows as dicts (:func:`newscorpus.parquet.encode_rows`), pyarrow walked every
nested value in Python: each sentence's four token lists, and each ``relations`` row's copy of
its window's context and tokens (a document has a row per candidate pair, about 170 in a bench
article). That conversion was most of these configs' cost. Here:

* :func:`sentence_table` gathers each list column flat, with its offsets, and makes it one
  ``ListArray``;
* :func:`relation_table` converts each window and each entity once, rows take them by index
  (``Array.take``, in C), and the offsets into a window's context and tokens are differences of
  two such columns.

Each table is the one ``encode_rows`` makes of the same rows as dicts (tests hold them equal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from newscorpus.parquet import ConfigSchema
from newscorpus.views import SentenceRows
from newscorpus.views_relations import RelationRows


def sentence_table(parts: Sequence[SentenceRows], schema: ConfigSchema) -> pa.Table:
    """The Arrow table of the rows of ``parts`` (several documents', in order) in ``schema``,
    tags as ClassLabel ids.

    Raises:
        ValueError: the schema's columns are not the ``sentences`` ones, or a tag is unknown.
    """
    types = _types(schema, "sentences", _SENTENCE_COLUMNS)
    ids: list[str] = []
    doc_ids: list[str] = []
    texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    tokens: list[str] = []
    token_starts: list[int] = []
    token_ends: list[int] = []
    tags: list[str] = []
    offsets = [0]
    for part in parts:
        text = part.text
        ids += part.ids
        doc_ids += [part.doc_id] * len(part)
        for sentence, words, sentence_tags in zip(
            part.sentences, part.tokens, part.tags, strict=True
        ):
            texts.append(text[sentence.start : sentence.end])
            starts.append(sentence.start)
            ends.append(sentence.end)
            tokens += words
            token_starts += [s for s, _ in sentence.tokens]
            token_ends += [e for _, e in sentence.tokens]
            tags += sentence_tags
            offsets.append(len(tokens))
    lists = pa.array(offsets, pa.int32())

    def listed(name: str, values: list[Any]) -> pa.ListArray:
        kind = types[name]
        return pa.ListArray.from_arrays(lists, pa.array(values, kind.value_type), type=kind)

    columns = {
        "id": pa.array(ids, types["id"]),
        "doc_id": pa.array(doc_ids, types["doc_id"]),
        "text": pa.array(texts, types["text"]),
        "start": pa.array(starts, types["start"]),
        "end": pa.array(ends, types["end"]),
        "tokens": listed("tokens", tokens),
        "token_starts": listed("token_starts", token_starts),
        "token_ends": listed("token_ends", token_ends),
        "ner_tags": listed("ner_tags", schema.label_encoder("ner_tags")(tags)),
    }
    return pa.Table.from_arrays([columns[f.name] for f in schema.schema], schema=schema.schema)


#: The columns of the ``sentences`` config.
_SENTENCE_COLUMNS = {
    *("id", "doc_id", "text", "start", "end", "tokens", "token_starts", "token_ends"),
    "ner_tags",
}


def relation_table(parts: Sequence[RelationRows], schema: ConfigSchema) -> pa.Table:
    """The Arrow table of the rows of ``parts`` (several documents', in order) in ``schema``,
    labels as ClassLabel ids.

    Raises:
        ValueError: the schema's columns are not the ``relations`` ones, or a label is unknown.
    """
    types = _types(schema, "relations", _RELATION_COLUMNS)
    windows = _Windows()
    entities = _Entities()
    ids: list[str] = []
    doc_ids: list[str] = []
    relation_ids: list[str | None] = []
    labels: list[str] = []
    nested: list[bool] = []
    row_windows: list[int] = []
    heads: list[int] = []
    tails: list[int] = []
    for part in parts:
        first_window, first_entity = len(windows.contexts), len(entities.ids)
        windows.add(part)
        entities.add(part)
        ids += part.ids
        doc_ids += [part.doc_id] * len(part)
        relation_ids += part.relation_ids
        labels += part.labels
        nested += part.nested
        row_windows += [w + first_window for w in part.window_of]
        heads += [e + first_entity for e in part.heads]
        tails += [e + first_entity for e in part.tails]
    window = pa.array(row_windows, pa.int32())
    argument = types["head"]
    offset = argument.field("token_start").type
    context_start = pa.array(windows.starts, types["context_doc_start"]).take(window)
    first_token = pa.array(windows.first_tokens, offset).take(window)
    # Each entity's values once; rows take them by index.
    of_entity = {
        "id": pa.array(entities.ids, argument.field("id").type),
        "label": pa.array(
            schema.label_encoder("head", "label")(entities.labels), argument.field("label").type
        ),
        "text": pa.array(entities.texts, argument.field("text").type),
        "doc_start": pa.array(entities.starts, argument.field("doc_start").type),
        "doc_end": pa.array(entities.ends, argument.field("doc_end").type),
        "first_token": pa.array(entities.first_tokens, offset),
        "end_token": pa.array(entities.end_tokens, offset),
    }

    def arguments(index: list[int]) -> pa.StructArray:
        rows = pa.array(index, pa.int32())
        values = {name: column.take(rows) for name, column in of_entity.items()}
        fields = {
            "id": values["id"],
            "label": values["label"],
            "text": values["text"],
            "doc_start": values["doc_start"],
            "doc_end": values["doc_end"],
            "context_start": pc.subtract(values["doc_start"], context_start),
            "context_end": pc.subtract(values["doc_end"], context_start),
            "token_start": pc.subtract(values["first_token"], first_token),
            "token_end": pc.subtract(values["end_token"], first_token),
        }
        return pa.StructArray.from_arrays([fields[f.name] for f in argument], fields=list(argument))

    tokens = types["tokens"]
    columns: dict[str, pa.Array] = {
        "id": pa.array(ids, types["id"]),
        "doc_id": pa.array(doc_ids, types["doc_id"]),
        "relation_id": pa.array(relation_ids, types["relation_id"]),
        "label": pa.array(schema.label_encoder("label")(labels), types["label"]),
        "window_sentences": pa.array(windows.sizes, types["window_sentences"]).take(window),
        "nested": pa.array(nested, types["nested"]),
        "context": pa.array(windows.contexts, types["context"]).take(window),
        "context_doc_start": context_start,
        "context_doc_end": pa.array(windows.ends, types["context_doc_end"]).take(window),
        "tokens": pa.ListArray.from_arrays(
            pa.array(windows.token_offsets, pa.int32()),
            pa.array(windows.tokens, tokens.value_type),
            type=tokens,
        ).take(window),
        "head": arguments(heads),
        "tail": arguments(tails),
    }
    return pa.Table.from_arrays([columns[f.name] for f in schema.schema], schema=schema.schema)


#: The columns of the ``relations`` config.
_RELATION_COLUMNS = {
    *("id", "doc_id", "relation_id", "label", "window_sentences", "nested", "context"),
    *("context_doc_start", "context_doc_end", "tokens", "head", "tail"),
}


def _types(schema: ConfigSchema, config: str, columns: set[str]) -> dict[str, pa.DataType]:
    """Each column's Arrow type in ``schema``, once it is checked to hold ``config``'s columns.

    Raises:
        ValueError: when its columns are others.
    """
    types = {f.name: f.type for f in schema.schema}
    if set(types) != columns:
        raise ValueError(
            f"{config} columns {sorted(columns)} differ from the features' {sorted(types)}"
        )
    return types


class _Windows:
    """The windows of several documents, one value per window in each column."""

    def __init__(self) -> None:
        self.contexts: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.sizes: list[int] = []
        self.first_tokens: list[int] = []
        self.tokens: list[str] = []
        self.token_offsets: list[int] = [0]

    def add(self, part: RelationRows) -> None:
        for window in part.windows:
            self.contexts.append(window.context)
            self.starts.append(window.start)
            self.ends.append(window.end)
            self.sizes.append(window.sentences)
            self.first_tokens.append(window.first_token)
            self.tokens += window.tokens
            self.token_offsets.append(len(self.tokens))


class _Entities:
    """The entities of several documents, one value per entity in each column."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.labels: list[str] = []
        self.texts: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.first_tokens: list[int] = []
        self.end_tokens: list[int] = []

    def add(self, part: RelationRows) -> None:
        for entity, (first, end) in zip(part.entities, part.entity_tokens, strict=True):
            self.ids.append(entity.id)
            self.labels.append(entity.label)
            self.texts.append(entity.text)
            self.starts.append(entity.start)
            self.ends.append(entity.end)
            self.first_tokens.append(first)
            self.end_tokens.append(end)
