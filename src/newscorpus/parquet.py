"""Rows to Arrow and Parquet with pyarrow alone, byte for byte as ``Dataset.to_parquet`` wrote them.

The build used to go through ``datasets`` (``Dataset.from_list(...).to_parquet``): a generic
per-value label encoder, fingerprinting and a table of the whole shard in memory. Here:

* :func:`encode_rows` turns rows, several documents' at once (see
  :func:`~newscorpus.docunit.encode_results`), into an Arrow table of the config's schema,
  ClassLabel names turned into ids by a dictionary lookup per label, then each column converted
  to Arrow once;
* :class:`ShardWriter` streams such tables into one Parquet file, a row group every
  ``batch_size`` rows, with the writer options ``datasets`` uses (content-defined chunking,
  page index, snappy and dictionary on every leaf column, the ``huggingface`` schema metadata),
  so the files and their metadata are the bytes ``Dataset.to_parquet(batch_size=...)`` made;
* the writer also gives the in-memory size of the whole file's table (``dataset_info``
  ``num_bytes``, what ``Table.nbytes`` said of it) from its pieces, never holding it whole.

Only the rows of one row group are held at a time, so memory does not grow with the shard.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from datasets import Features

#: ``datasets.config.DEFAULT_CDC_OPTIONS`` of the pinned ``datasets``: the bytes depend on it.
CDC_OPTIONS = {"min_chunk_size": 256 * 1024, "max_chunk_size": 1024 * 1024, "norm_level": 0}


class ConfigSchema:
    """A config's Arrow schema (with the ``huggingface`` metadata) and its ClassLabel names,
    derived once from its :class:`datasets.Features`; picklable, so workers need no
    ``datasets``."""

    def __init__(self, features: Features) -> None:
        self._set(
            features.arrow_schema,
            {name: _label_names(feature) for name, feature in features.items()},
        )

    def _set(self, schema: pa.Schema, labels: dict[str, Any]) -> None:
        self.schema = schema
        self.labels = labels
        self._encoders: dict[str, Callable[[list[Any]], list[Any]] | None] | None = None

    def encoders(self) -> dict[str, Callable[[list[Any]], list[Any]] | None]:
        """Per column, the function that turns a column's values (labels as names) into ids,
        or None where it holds no label. Made on first use in each process (they do not
        pickle)."""
        if self._encoders is None:
            self._encoders = {name: _encoder(names) for name, names in self.labels.items()}
        return self._encoders

    def label_encoder(self, column: str, *keys: str) -> Callable[[list[Any]], list[Any]]:
        """The function that turns the label names of ``column`` (or of its struct's field at
        ``keys``; lists are looked through) into ids, as :meth:`encoders` does inside the whole
        column's values.

        Raises:
            ValueError: (from the function) for a name that is not a label.
        """
        names = self.labels[column]
        for key in (None, *keys):
            while isinstance(names, list):
                names = names[0]
            if key is not None:
                names = names[key]
        encode = _encoder(names)
        if encode is None or not isinstance(names, tuple):
            raise KeyError(f"{column}{''.join(f'.{k}' for k in keys)} holds no labels")
        return encode

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_encoders": None}

    def to_json(self) -> dict[str, Any]:
        """JSON values :meth:`from_json` makes the same schema of (kept in the build's cache,
        so a rebuild that writes a shard need not import ``datasets`` to derive it again)."""
        return {
            "schema": base64.b64encode(self.schema.serialize().to_pybytes()).decode(),
            "labels": {name: _pack(names) for name, names in self.labels.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> ConfigSchema:
        """Raises ValueError (or KeyError, TypeError) when ``data`` is not :meth:`to_json`'s."""
        made = cls.__new__(cls)
        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["schema"])))
        made._set(schema, {name: _unpack(packed) for name, packed in data["labels"].items()})
        return made


def _pack(names: Any) -> Any:
    """:func:`_label_names`'s value as JSON, which has no tuples: each kind tagged."""
    if names is None:
        return None
    if isinstance(names, tuple):
        return {"labels": list(names)}
    if isinstance(names, list):
        return {"list": _pack(names[0])}
    return {"struct": {key: _pack(value) for key, value in names.items()}}


def _unpack(packed: Any) -> Any:
    if packed is None:
        return None
    if "labels" in packed:
        return tuple(str(n) for n in packed["labels"])
    if "list" in packed:
        return [_unpack(packed["list"])]
    return {key: _unpack(value) for key, value in packed["struct"].items()}


def _label_names(feature: Any) -> Any:
    """Where ``feature`` holds ClassLabels: their names (a tuple) at the ClassLabel, a dict per
    struct, the inner value per list; None where there are none."""
    from datasets import ClassLabel, List

    if isinstance(feature, ClassLabel):
        return tuple(feature.names)
    if isinstance(feature, List):
        inner = _label_names(feature.feature)
        return None if inner is None else [inner]
    if isinstance(feature, dict):
        parts = {key: _label_names(sub) for key, sub in feature.items()}
        return parts if any(v is not None for v in parts.values()) else None
    return None


def encode_rows(rows: Sequence[dict[str, Any]], schema: ConfigSchema) -> pa.Table:
    """The Arrow table of ``rows`` (labels as names) in ``schema``, labels as ClassLabel ids.

    Labels become ids in Python, column by column, before each column is converted once: a
    dictionary lookup per label costs less than the Arrow kernels' fixed cost per call. Each
    column's conversion has a fixed cost too: give it many rows at once.

    Raises:
        ValueError: a row's columns differ from the schema's, or a label is unknown.
    """
    columns = set(schema.schema.names)
    for row in rows:
        if row.keys() != columns:
            raise ValueError(
                f"row columns {sorted(row)} differ from the features' {sorted(columns)}"
            )
    encoders = schema.encoders()
    arrays = []
    for f in schema.schema:
        values = [row[f.name] for row in rows]
        encode = encoders[f.name]
        arrays.append(pa.array(values if encode is None else encode(values), type=f.type))
    return pa.Table.from_arrays(arrays, schema=schema.schema)


def _encoder(names: Any) -> Callable[[list[Any]], list[Any]] | None:
    """The function that replaces the label names inside a column's values by their ids
    (``names`` as :func:`_label_names` gives them), or None when there are none. Nulls stay."""
    if names is None:
        return None
    if isinstance(names, tuple):
        ids = {name: i for i, name in enumerate(names)}

        def labels(values: list[Any]) -> list[Any]:
            try:
                return [None if v is None else ids[v] for v in values]
            except KeyError as err:
                raise ValueError(
                    f"unknown label {err.args[0]!r}; allowed: {', '.join(names)}"
                ) from None

        return labels
    if isinstance(names, list):
        inner = _encoder(names[0])
        assert inner is not None  # _label_names gives None for a list without labels

        def lists(values: list[Any]) -> list[Any]:
            return [None if v is None else inner(v) for v in values]

        return lists
    fields = [(key, _encoder(sub)) for key, sub in names.items() if sub is not None]

    def structs(values: list[Any]) -> list[Any]:
        copies = [None if v is None else dict(v) for v in values]
        present = [v for v in copies if v is not None]
        for key, encode in fields:
            assert encode is not None
            for value, encoded in zip(present, encode([v.get(key) for v in present]), strict=True):
                value[key] = encoded
        return copies

    return structs


def _leaf_paths(path: str, arrow_type: pa.DataType) -> list[str]:
    """Parquet's leaf column paths (``col.list.element.field``), as ``datasets`` names them."""
    if pa.types.is_struct(arrow_type):
        return [leaf for f in arrow_type for leaf in _leaf_paths(f"{path}.{f.name}", f.type)]
    if pa.types.is_list(arrow_type):
        return _leaf_paths(f"{path}.list.element", arrow_type.value_type)
    return [path]


class ShardWriter:
    """One Parquet file of a config: tables go in as they come, a row group leaves every
    ``batch_size`` rows. :meth:`close` returns the rows written and their Arrow size."""

    def __init__(self, path: Path, schema: ConfigSchema, batch_size: int) -> None:
        leaves = [leaf for f in schema.schema for leaf in _leaf_paths(f.name, f.type)]
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.batch_size = batch_size
        self._writer = pq.ParquetWriter(
            str(path),
            schema=schema.schema,
            use_content_defined_chunking=CDC_OPTIONS,
            write_page_index=True,
            compression=dict.fromkeys(leaves, "snappy"),
            use_dictionary=leaves,
            column_encoding={},
        )
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._schema = schema.schema
        self._tally: dict[str, list[int]] = {}
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Add ``table``'s rows (in ``schema``), writing every full row group."""
        if not table.num_rows:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= self.batch_size:
            self._flush(self.batch_size)

    def _flush(self, size: int) -> None:
        # Each row group is written from one contiguous table, as datasets wrote slices of its
        # single-chunk table: page boundaries follow the chunks the writer is given.
        whole = pa.concat_tables(self._pending).combine_chunks()
        group, rest = whole.slice(0, size), whole.slice(size)
        self._writer.write_table(group)
        self._count(group)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def _count(self, group: pa.Table) -> None:
        self.rows += group.num_rows
        for name, column in zip(group.column_names, group.columns, strict=True):
            for chunk in column.chunks:
                _tally(chunk, name, self._tally)

    def close(self) -> tuple[int, int]:
        """Write the last row group and the footer; return (rows, Arrow bytes of the table)."""
        if self._pending_rows:
            self._flush(self._pending_rows)
        self._writer.add_key_value_metadata({"content_defined_chunking": json.dumps(CDC_OPTIONS)})
        self._writer.close()
        nbytes = sum(_nbytes(f.type, f.name, self._tally) for f in self._schema)
        return self.rows, nbytes

    def abort(self) -> None:
        """Close and remove the unfinished file."""
        self._writer.close()
        self.path.unlink(missing_ok=True)


# The in-memory size of a whole table (``Table.nbytes``) is a sum over its arrays' buffers as
# pyarrow counts them: a validity bitmap (only when the array has nulls, as builders make them),
# 4 bytes of offsets per string or list value, the string bytes, the fixed-width values. All
# but the bitmap add up over pieces, so a file's pieces are tallied per column path (length,
# nulls, string bytes) and the whole file's size is computed from the totals.


def _tally(array: pa.Array, path: str, tally: dict[str, list[int]]) -> None:
    counts = tally.setdefault(path, [0, 0, 0])
    counts[0] += len(array)
    counts[1] += array.null_count
    kind = array.type
    if pa.types.is_string(kind):
        counts[2] += pc.sum(pc.binary_length(array)).as_py() or 0
    elif pa.types.is_list(kind) and len(array):
        offsets = array.offsets
        values = array.values.slice(offsets[0].as_py(), offsets[-1].as_py() - offsets[0].as_py())
        _tally(values, f"{path}.item", tally)
    elif pa.types.is_struct(kind):
        for f in kind:
            _tally(array.field(f.name), f"{path}.{f.name}", tally)


def _nbytes(kind: pa.DataType, path: str, tally: dict[str, list[int]]) -> int:
    length, nulls, data = tally.get(path, (0, 0, 0))
    size = -(-length // 8) if nulls else 0
    if pa.types.is_string(kind):
        return size + 4 * length + data
    if pa.types.is_list(kind):
        return size + 4 * length + _nbytes(kind.value_type, f"{path}.item", tally)
    if pa.types.is_struct(kind):
        return size + sum(_nbytes(f.type, f"{path}.{f.name}", tally) for f in kind)
    if pa.types.is_boolean(kind):
        return size + -(-length // 8)  # bit-packed
    return size + length * int(kind.bit_width) // 8
