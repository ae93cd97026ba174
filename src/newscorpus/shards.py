"""One shard of the build: its documents through :func:`~newscorpus.docunit.process_document`
(or the cache), their rows into one Parquet file per config.

:func:`run_shard` is what every engine runs (:func:`newscorpus.engines.map_shards`): a top-level
function of a small, picklable :class:`ShardSpec` (paths, ids and cache keys, no data), so a
process pool or a Dask worker can run it wherever the project and the output folder are
readable. It returns a :class:`ShardResult`; the parent puts the results together in shard
order, which is what makes the output the same for any number of workers.

A shard that meets an error (a validation error, or a row error E302/E303) goes on validating
its documents but writes nothing: the build will refuse anyway, and E301 must list every error.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus.buildinfo import Stats
from newscorpus.cache import Cache
from newscorpus.docunit import (
    DocumentInputs,
    DocumentKey,
    DocumentResult,
    ProcessSettings,
    cached_document,
    encode_results,
    store_result,
)
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.project import Project
from newscorpus.views import BIGBIO_KB, CONFIGS, DOCUMENTS, RELATIONS, SENTENCES
from newscorpus.views_relations import PairTally

DATA_DIR = "data"
#: Rows per Parquet row group, per config: fixed so the bytes do not depend on library defaults.
#: 1,000 as ``datasets`` writes text: ``load_dataset`` casts each row group it reads to the
#: features, a fixed cost per group that 100-document groups paid ten times over (a document
#: row group is some 25 MB before compression, well within what the Hub's viewer pages).
BATCH_SIZES = {DOCUMENTS: 1000, SENTENCES: 1000, RELATIONS: 1000, BIGBIO_KB: 1000}
#: Documents held back at most so that the new ones among them are encoded to Arrow together
#: (:func:`encode_results`): enough to spread pyarrow's cost per call, few enough that their
#: rows in Python stay small.
ENCODE_BATCH = 32


def shard_path(config: str, split: str, index: int, count: int) -> str:
    """``data/<config>/<split>-<index>-of-<count>.parquet`` (five digits each)."""
    return f"{DATA_DIR}/{config}/{split}-{index:05d}-of-{count:05d}.parquet"


@dataclass(frozen=True)
class DocSpec:
    """A document of a shard: its id, annotation files and cache keys (None: no cache)."""

    doc_id: str
    files: tuple[Path, ...]
    key: DocumentKey | None = None


@dataclass(frozen=True)
class ShardSpec:
    """Shard ``index`` of ``count`` of ``split``: which documents, and where rows go (``work``
    None: validate only)."""

    project: Project
    settings: ProcessSettings
    split: str
    index: int
    count: int
    docs: tuple[DocSpec, ...]
    work: Path | None
    cache_dir: Path | None

    def paths(self) -> dict[str, str]:
        return {c: shard_path(c, self.split, self.index, self.count) for c in CONFIGS}

    def key(self) -> str | None:
        """The key of the shard's files: the documents' keys in order and the file names."""
        rows = [doc.key.rows if doc.key is not None else None for doc in self.docs]
        if None in rows:
            return None
        parts = [*self.paths().values(), *map(str, rows)]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass
class ShardResult:
    """What a shard found and wrote: every validation error, the first row error, its counts,
    and per config the file written (path, sha256) when it wrote one."""

    errors: list[Issue] = field(default_factory=list)
    row_error: tuple[str, str, str, str] | None = None
    stats: Stats = field(default_factory=Stats)
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    cached: int = 0
    documents: int = 0
    #: Whether a document was made from other bytes than its key's (see
    #: :func:`~newscorpus.docunit.cached_document`): the shard's files are then not kept
    #: under the shard's key either.
    unsettled: bool = False

    def error(self) -> NewscorpusError | None:
        if self.row_error is None:
            return None
        code, message, fix, where = self.row_error
        return NewscorpusError(code, message, fix=fix, where=where)


def run_shard(spec: ShardSpec, on_document: Callable[[str], None] | None = None) -> ShardResult:
    """Validate the shard's documents and, while none has an error, write their rows."""
    from newscorpus.parquet import ShardWriter

    cache = Cache(spec.cache_dir)
    result = ShardResult(documents=len(spec.docs))
    writers: dict[str, Any] = {}
    building = spec.work is not None and spec.settings.building
    paths = spec.paths()
    # Documents in order, waiting for the new ones among them (``fresh``) to be encoded
    # together: each with the key to store it under once encoded (None: from the cache).
    pending: list[tuple[DocumentResult, str | None]] = []
    fresh = 0

    def flush() -> None:
        nonlocal writers, fresh
        encode_results([outcome for outcome, _ in pending], spec.settings)
        for outcome, key in pending:
            if key is not None:
                store_result(cache, key, outcome)
        if not result.errors and result.row_error is None:
            assert spec.work is not None and spec.settings.rows is not None
            if not writers:
                writers = {
                    c: ShardWriter(spec.work / paths[c], spec.settings.rows[c], BATCH_SIZES[c])
                    for c in CONFIGS
                }
            for outcome, _ in pending:
                _add(outcome, spec.split, result.stats, writers)
        pending.clear()
        fresh = 0

    try:
        for doc in spec.docs:
            inputs = DocumentInputs(spec.project, doc.doc_id, doc.files)
            settings = spec.settings
            if not building or result.errors or result.row_error:
                # Rows are no longer wanted: validation only (cached as such).
                settings = ProcessSettings(settings.schema, settings.build)
            outcome, hit = cached_document(inputs, settings, cache, doc.key)
            result.cached += hit
            result.unsettled |= outcome.unsettled
            result.errors += outcome.errors
            if outcome.row_error is not None and result.row_error is None:
                err = outcome.row_error
                result.row_error = (err.code, err.message, err.fix, err.where)
            if outcome.tables is not None or outcome.rows is not None:
                new = outcome.rows is not None
                keep = new and doc.key is not None and not outcome.unsettled
                pending.append((outcome, doc.key.rows if keep and doc.key else None))
                fresh += new
                if not fresh or len(pending) >= ENCODE_BATCH:
                    flush()
            if on_document is not None:
                on_document(doc.doc_id)
        if pending:
            flush()
        if writers and not result.errors and result.row_error is None:
            assert spec.work is not None
            for config, writer in writers.items():
                rows, nbytes = writer.close()
                result.stats.count_rows(config, spec.split, rows, nbytes)
                path = spec.work / paths[config]
                result.stats.file_bytes[config] += path.stat().st_size
                result.files[config] = (paths[config], _sha256(path))
            writers = {}
    finally:
        for writer in writers.values():
            writer.abort()
    return result


def _add(outcome: DocumentResult, split: str, stats: Stats, writers: dict[str, Any]) -> None:
    """Count a document and hand its rows to the writers."""
    counts, tables = outcome.counts, outcome.tables
    assert counts is not None and tables is not None
    for config in CONFIGS:
        writers[config].write(tables[config])
    stats.documents[split] += 1
    stats.entities += counts.entities
    stats.nested_left_out += counts.nested_left_out
    stats.merged_boundaries += counts.merged_boundaries
    stats.unannotated += counts.unannotated
    stats.entity_labels.update((label, split) for label in counts.entity_labels)
    stats.relation_labels.update((label, split) for label in counts.relation_labels)
    tally = PairTally(counts.pair_labels, counts.window_pairs, counts.reversed_pairs)
    stats.count_pairs(tally, split)
    stats.capped_pairs += counts.capped_pairs
    stats.capped_windows += counts.capped_windows
    stats.sampled_out += counts.sampled_out
    stats.sources.update(counts.sources)
    rules = Counter(counts.edits)
    stats.edits.update(rules)
    stats.edited_documents.update(rules.keys())


def _sha256(path: Path) -> str:
    from newscorpus.manifest import sha256

    return sha256(path)


# --- statistics as JSON, for the shard cache -------------------------------------------------

_COUNTERS = (
    "documents",
    "file_bytes",
    "entity_labels",
    "relation_labels",
    "pair_labels",
    "edits",
    "edited_documents",
    "sources",
    "window_pairs",
    "nested_pairs",
)
_NUMBERS = (
    "reversed_pairs",
    "capped_pairs",
    "capped_windows",
    "sampled_out",
    "entities",
    "nested_left_out",
    "merged_boundaries",
    "unannotated",
)


def stats_to_json(stats: Stats) -> dict[str, Any]:
    """``stats`` as JSON, counters as ``[key, count]`` lists in their order."""
    data: dict[str, Any] = {name: list(getattr(stats, name).items()) for name in _COUNTERS}
    data.update({name: getattr(stats, name) for name in _NUMBERS})
    data["rows"] = {c: list(stats.rows[c].items()) for c in CONFIGS}
    data["num_bytes"] = {c: list(stats.num_bytes[c].items()) for c in CONFIGS}
    return data


def stats_from_json(data: dict[str, Any]) -> Stats:
    """The inverse of :func:`stats_to_json` (raises on anything else)."""

    def counter(pairs: list[Any]) -> Counter[Any]:
        return Counter({tuple(k) if isinstance(k, list) else k: int(n) for k, n in pairs})

    stats = Stats()
    for name in _COUNTERS:
        setattr(stats, name, counter(data[name]))
    for name in _NUMBERS:
        setattr(stats, name, int(data[name]))
    stats.rows = {c: counter(data["rows"][c]) for c in CONFIGS}
    stats.num_bytes = {c: counter(data["num_bytes"][c]) for c in CONFIGS}
    return stats


def merge_stats(total: Stats, part: Stats) -> None:
    """Add ``part`` to ``total`` (in call order, so counters keep the serial build's order)."""
    for name in _COUNTERS:
        getattr(total, name).update(getattr(part, name))
    for name in _NUMBERS:
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for config in CONFIGS:
        total.rows[config].update(part.rows[config])
        total.num_bytes[config].update(part.num_bytes[config])
