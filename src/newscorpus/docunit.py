"""The per-document unit of work: one article and its annotations in, issues, rows and counts out.

:func:`process_document` is the only place a document is validated and turned into rows; the
serial build, the process pool and Dask all call it (through :mod:`newscorpus.shards`), and so
does ``newscorpus validate`` (without rows). Its result depends only on the document's files and
on :class:`ProcessSettings`, which is what makes it safe to cache (:mod:`newscorpus.cache`) and
to run anywhere: :func:`cached_document` looks a result up by the hash of those inputs first.

Rows are made by the views (:mod:`newscorpus.views`) and encoded to Arrow by
:func:`encode_results`, for many documents at once: converting one document's few rows column by
column paid pyarrow's fixed cost per call more than the conversion itself. Each document then
holds its slice of those tables, one per config, so a result is compact and is stored as Arrow
IPC: a rebuild reads it back without converting anything.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterable, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from newscorpus import sentence_tokens
from newscorpus.annotations import AnnotationFile, annotation_path, text_sha256
from newscorpus.buildinfo import BuildSettings
from newscorpus.cache import (
    Cache,
    FileHashes,
    cache_dir,
    document_key,
    segments_key,
    settings_key,
)
from newscorpus.corpus import META_FILE, RAW_FILE, TEXT_FILE, ArticleMeta, article_dir
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.model import Document, outermost
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.sentence_tokens import SentenceTokens
from newscorpus.views import (
    BIGBIO_KB,
    CONFIGS,
    DOCUMENTS,
    RELATIONS,
    SENTENCES,
    Sentence,
    SentenceRows,
    document_row,
    locate,
    merge_sentences,
    sentence_columns,
)
from newscorpus.views_relations import RelationRows, relation_rows

if TYPE_CHECKING:
    import pyarrow as pa
    from spacy.language import Language

    from newscorpus.normalise import Normalised
    from newscorpus.parquet import ConfigSchema
    from newscorpus.validate_file import CheckedDocument


#: An article's files that its result depends on, in the order they are hashed.
_ARTICLE_FILES = (META_FILE, RAW_FILE, TEXT_FILE)


@dataclass(frozen=True)
class DocumentInputs:
    """Where a document is: its project, id and annotation files (usually one, or none)."""

    project: Project
    doc_id: str
    files: tuple[Path, ...]

    def paths(self) -> list[Path]:
        """Every file the document's result depends on, in a fixed order."""
        folder = article_dir(self.project, self.doc_id)
        return [*(folder / name for name in _ARTICLE_FILES), *self.files]

    def hashed(self, hashes: FileHashes) -> list[tuple[str, str | None]]:
        """The :meth:`~newscorpus.cache.FileHashes.name` and sha256 of each of :meth:`paths`."""
        folder = article_dir(self.project, self.doc_id)
        # Names and paths as strings from the folder's: a Path and a name per file took a
        # third of the time a rebuild spent finding its 10,000 documents' cache keys.
        name, path = hashes.name(folder), str(folder)
        found = [
            (f"{name}/{file}", hashes.sha256_named(f"{name}/{file}", f"{path}/{file}"))
            for file in _ARTICLE_FILES
        ]
        return found + [(hashes.name(file), hashes.sha256(file)) for file in self.files]


@dataclass(frozen=True)
class ProcessSettings:
    """Everything besides the document that decides its result: ``building`` asks for rows
    too, made with ``rows`` (each config's Arrow schema, filled in where rows are made)."""

    schema: Schema
    build: BuildSettings
    building: bool = False
    rows: dict[str, ConfigSchema] | None = None

    def key_inputs(self, project: Project) -> dict[str, Any]:
        rules = list(project.normalise_rules) if project.normalise_rules is not None else None
        inputs: dict[str, Any] = {
            "schema": self.schema.sha256,
            "rules": rules,
            "corpus": project.corpus_dir,
            "annotations": project.annotations_dir,
        }
        if self.building:
            inputs["build"] = self.build.to_dict()
        return inputs


@dataclass
class DocumentCounts:
    """What a document adds to the build's statistics (labels listed in document order, so
    counters fill in the same order whichever way documents are spread over workers)."""

    entities: int = 0
    nested_left_out: int = 0
    merged_boundaries: int = 0
    unannotated: int = 0
    entity_labels: list[str] = field(default_factory=list)
    relation_labels: list[str] = field(default_factory=list)
    #: The ``relations`` rows as the statistics count them (see
    #: :class:`~newscorpus.views_relations.PairTally`): ``[label, rows, nested rows]`` and
    #: ``[window_sentences, positive, rows]`` lists, and the reversed rows.
    pair_labels: list[list[Any]] = field(default_factory=list)
    window_pairs: list[list[Any]] = field(default_factory=list)
    reversed_pairs: int = 0
    #: What the relation options left out (see :class:`~newscorpus.views_relations.RelationRows`).
    capped_pairs: int = 0
    capped_windows: int = 0
    sampled_out: int = 0
    sources: list[str | None] = field(default_factory=list)
    #: The normaliser's edits, by rule name, in edit order.
    edits: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentRows:
    """A document's rows of every config before :func:`encode_results` makes them Arrow:
    one row each (labels as names) in ``documents`` and ``bigbio_kb``, the others as
    columns."""

    document: dict[str, Any]
    bigbio_kb: dict[str, Any]
    sentences: SentenceRows
    relations: RelationRows

    def size(self, config: str) -> int:
        """The number of rows in ``config``."""
        return {SENTENCES: len(self.sentences), RELATIONS: len(self.relations)}.get(config, 1)


@dataclass
class DocumentResult:
    """The outcome of one document: its issues, and when it has no error and rows were asked
    for, its rows and counts; or the row error (E302, E303) that stopped its rows. The rows are
    ``rows`` as :func:`process_document` makes them, and ``tables`` (one Arrow table per
    config, labels as ids) once :func:`encode_results` has encoded them, or when the result
    comes from the cache."""

    doc_id: str
    issues: tuple[Issue, ...]
    tables: dict[str, pa.Table] | None = None
    rows: DocumentRows | None = None
    counts: DocumentCounts | None = None
    row_error: NewscorpusError | None = None
    #: The ``sentences`` rows for the token formats, when they were just made (not stored with
    #: the result: the cache keeps them apart, see :class:`BuiltTokens`).
    tokens: SentenceTokens | None = None
    #: The sha256 of each of the document's files as :func:`process_document` read them
    #: (see :attr:`~newscorpus.validate_file.CheckedDocument.read_sha256`; not stored).
    read_sha256: tuple[str | None, ...] = ()
    #: Whether the result was made from other bytes than its cache key's (a file edited while
    #: the run read it): such a result is used, and not stored under that key.
    unsettled: bool = False

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def to_bytes(self) -> bytes:
        """Serialised: a JSON header, then each config's table as an Arrow IPC stream (rows
        not yet encoded are not stored)."""
        assert self.rows is None, "encode_results first"
        error = self.row_error
        header = {
            "doc_id": self.doc_id,
            "issues": [asdict(i) for i in self.issues],
            # Shallow: asdict would deep-copy every relation pair, and cost more than the rest.
            "counts": _shallow(self.counts) if self.counts is not None else None,
            "row_error": [error.code, error.message, error.fix, error.where] if error else None,
            "tables": list(self.tables) if self.tables is not None else None,
        }
        # ASCII escapes: a folder name that is not UTF-8 reaches the header as lone
        # surrogates, which UTF-8 cannot hold and the escapes give back exactly.
        parts = [json.dumps(header).encode()]
        for table in (self.tables or {}).values():
            import pyarrow as pa

            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            parts.append(sink.getvalue())
        return b"".join(struct.pack("<Q", len(part)) + part for part in parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> DocumentResult:
        """The inverse of :meth:`to_bytes`. Raises ValueError (or another error) when the data
        is not one. (pyarrow is imported only for an entry with tables: ``validate`` reads
        entries without.)"""
        parts = []
        offset = 0
        while offset < len(data):
            (size,) = struct.unpack_from("<Q", data, offset)
            parts.append(data[offset + 8 : offset + 8 + size])
            offset += 8 + size
        if offset != len(data) or not parts:
            raise ValueError("truncated cache entry")
        header = json.loads(parts[0])
        tables = None
        if header["tables"] is not None:
            import pyarrow as pa

            streams = parts[1:]
            if len(streams) != len(header["tables"]):
                raise ValueError("cache entry lacks tables")
            tables = {
                name: pa.ipc.open_stream(stream).read_all()
                for name, stream in zip(header["tables"], streams, strict=True)
            }
        error = header["row_error"]
        return cls(
            doc_id=header["doc_id"],
            issues=tuple(Issue(**i) for i in header["issues"]),
            tables=tables,
            counts=DocumentCounts(**header["counts"]) if header["counts"] is not None else None,
            row_error=(
                NewscorpusError(error[0], error[1], fix=error[2], where=error[3]) if error else None
            ),
        )


#: The cache kind of a document's :class:`~newscorpus.sentence_tokens.SentenceTokens`, stored
#: beside its ``rows`` entry.
TOKENS = "tokens"
#: The cache kind of a text's sentences (:func:`newscorpus.cache.segments_key`).
SEGMENTS = "segments"
#: The ``sentences`` columns they hold.
_TOKEN_COLUMNS = ("start", "end", "tokens", "token_starts", "token_ends", "ner_tags")


def _shallow(counts: DocumentCounts) -> dict[str, Any]:
    return {f.name: getattr(counts, f.name) for f in fields(counts)}


#: The project's pipelines by the schema's abbreviations, one per process.
_NLP: dict[tuple[str, ...], Language] = {}


def _nlp(abbreviations: tuple[str, ...]) -> Language:
    """The project's pipeline, made once per process (importing spaCy only when rows are made)."""
    if abbreviations not in _NLP:
        from newscorpus.nlp import make_nlp

        _NLP[abbreviations] = make_nlp(abbreviations)
    return _NLP[abbreviations]


def process_document(
    inputs: DocumentInputs, settings: ProcessSettings, cache: Cache | None = None
) -> DocumentResult:
    """Validate one document and, when it has no error and ``settings.building`` asks for them,
    make its rows of every config. Reads the document's files once; never raises on their
    content (problems are issues, or the row error). A ``cache`` spares validation-only runs
    from normalising an unchanged raw text again (and remembers each normalisation)."""
    from newscorpus.validate_file import check_document

    checked = check_document(
        inputs.project,
        inputs.doc_id,
        inputs.files,
        settings.schema,
        cache=cache,
        normalised=settings.building,
    )
    result = DocumentResult(inputs.doc_id, checked.issues, read_sha256=checked.read_sha256)
    if not settings.building or checked.errors:
        return result
    assert settings.rows is not None, "rows are made with the configs' Arrow schemas"
    doc, counts = _document(inputs.doc_id, checked)
    del checked
    sentences, counts.merged_boundaries = merge_sentences(
        _segment(doc.text, tuple(settings.schema.abbreviations), cache), doc.entities
    )
    from newscorpus.bigbio import kb_row

    try:
        where = locate(doc, sentences)
        tokens = sentence_columns(doc, sentences, where)
        pairs = relation_rows(doc, sentences, settings.schema, settings.build.relations, where)
    except NewscorpusError as err:
        # The views know the document, not its file: point at the annotation file.
        project = inputs.project
        path = project.relative(annotation_path(project, doc.id))
        result.row_error = NewscorpusError(err.code, err.message, fix=err.fix, where=path)
        return result
    result.tokens = sentence_tokens.from_columns(
        tokens, settings.schema.bio_ids, counts.nested_left_out, len(doc.relations)
    )
    tally = pairs.tally()
    counts.pair_labels, counts.window_pairs = tally.labels, tally.windows
    counts.reversed_pairs = tally.reversed
    counts.capped_pairs = pairs.capped_pairs
    counts.capped_windows = pairs.capped_windows
    counts.sampled_out = pairs.sampled_out
    result.rows = DocumentRows(document_row(doc), kb_row(doc), tokens, pairs)
    result.counts = counts
    return result


def encode_results(results: Sequence[DocumentResult], settings: ProcessSettings) -> None:
    """Encode the rows of ``results`` (those that have rows) into Arrow, each config's rows of
    all of them as one table, and give each result its slice (sharing the table's buffers).

    Raises:
        ValueError: as :func:`newscorpus.parquet.encode_rows`, for rows the features refuse.
    """
    from newscorpus.parquet import encode_rows
    from newscorpus.view_tables import relation_table, sentence_table

    schemas = settings.rows
    assert schemas is not None, "rows are made with the configs' Arrow schemas"
    fresh = [(result, result.rows) for result in results if result.rows is not None]
    if not fresh:
        return
    made = [rows for _, rows in fresh]
    tables = {
        DOCUMENTS: encode_rows([rows.document for rows in made], schemas[DOCUMENTS]),
        SENTENCES: sentence_table([rows.sentences for rows in made], schemas[SENTENCES]),
        RELATIONS: relation_table([rows.relations for rows in made], schemas[RELATIONS]),
        BIGBIO_KB: encode_rows([rows.bigbio_kb for rows in made], schemas[BIGBIO_KB]),
    }
    offsets = dict.fromkeys(CONFIGS, 0)
    for result, rows in fresh:
        own = {}
        for config in CONFIGS:
            size = rows.size(config)
            own[config] = tables[config].slice(offsets[config], size)
            offsets[config] += size
        result.tables, result.rows = own, None


def _segment(text: str, abbreviations: tuple[str, ...], cache: Cache | None) -> list[Sentence]:
    """The text's sentences (:func:`newscorpus.nlp.segment_text`), from ``cache`` when it has
    them (they depend on the text and the abbreviations only: after an annotation edit, the
    document's rows are made again without loading spaCy), else made and stored there."""
    key = None
    if cache is not None and cache.root is not None:
        key = segments_key(text_sha256(text), abbreviations)
        payload = cache.get(SEGMENTS, key)
        if payload is not None:
            try:
                return sentence_tokens.decode_sentences(payload, text)
            except ValueError:  # foreign: made again below
                cache.discard(SEGMENTS, key)
    from newscorpus.nlp import segment_text

    sentences = segment_text(_nlp(abbreviations), text)
    if key is not None:
        assert cache is not None
        cache.put(SEGMENTS, key, sentence_tokens.encode_sentences(sentences))
    return sentences


def document_of(
    doc_id: str,
    meta: ArticleMeta,
    raw: str,
    text: str,
    result: Normalised,
    annotations: AnnotationFile | None,
) -> Document:
    """The document as the views read it: text and annotations, and in ``meta`` the
    ``documents`` row's other columns (raw text, alignment, source metadata)."""
    return Document(
        id=doc_id,
        text=text,
        entities=annotations.entities if annotations else (),
        relations=annotations.relations if annotations else (),
        title=meta.title,
        meta={
            "category": meta.category,
            "raw_text": raw,
            "alignment": [
                {"raw_start": a, "raw_end": b, "start": c, "end": d}
                for a, b, c, d in result.alignment.to_list()
            ],
            "source_file": meta.source_file,
            "url": meta.url,
            "published": meta.published,
            "language": meta.language,
            "license": meta.license,
            "raw_sha256": meta.raw_sha256,
        },
    )


def _document(doc_id: str, result: CheckedDocument) -> tuple[Document, DocumentCounts]:
    """The document from what validation read and computed (nothing is read again), and the
    counts that do not need its rows."""
    article = result.article
    # A document without validation errors has all of these.
    assert article.meta is not None and article.raw is not None
    assert article.text is not None and article.normalised is not None
    annotations = result.annotations()
    meta = ArticleMeta.from_dict(article.meta)
    doc = document_of(doc_id, meta, article.raw, article.text, article.normalised, annotations)
    counts = DocumentCounts(
        entities=len(doc.entities),
        nested_left_out=len(doc.entities) - len(outermost(doc.entities)),
        unannotated=int(annotations is None),
        entity_labels=[e.label for e in doc.entities],
        relation_labels=[r.label for r in doc.relations],
        sources=[e.source for e in doc.entities],
        edits=_edit_rules(article.normalised),
    )
    return doc, counts


def _edit_rules(result: Normalised) -> list[str]:
    return [edit.rule for edit in result.edits]


def cached_document(
    inputs: DocumentInputs,
    settings: ProcessSettings,
    cache: Cache,
    key: DocumentKey | None,
) -> tuple[DocumentResult, bool]:
    """:func:`process_document` through the cache: the stored result under ``key`` when it is
    intact, else a new one, stored (and its issues alone under the key's ``check``, for
    ``validate``). A new result with rows is not stored yet: :func:`store_result` stores it
    once :func:`encode_results` has encoded them. A new result made from other bytes than the
    key's (a file edited since it was hashed) is not stored, and is marked ``unsettled``: under
    that key it would stand for the bytes hashed, and be served for them once they are back.
    Returns the result and whether it came from the cache."""
    kind = "rows" if settings.building else "check"
    if key is None:
        return process_document(inputs, settings, cache), False
    wanted = key.rows if settings.building else key.check
    assert wanted is not None, "a build's documents have keys of their rows"
    payload = cache.get(kind, wanted)
    if payload is not None:
        try:
            result = DocumentResult.from_bytes(payload)
        except Exception:  # foreign or damaged (pyarrow has its own errors): compute again
            result = None
        if result is not None and _fits(result, inputs.doc_id, settings):
            if kind == "rows" and not cache.has(TOKENS, wanted):
                _keep_tokens(cache, wanted, result)
            return result, True
        cache.discard(kind, wanted)
    result = process_document(inputs, settings, cache)
    if result.read_sha256 != key.sha256:
        result.unsettled = True
        return result, False
    if result.rows is None:
        store_result(cache, wanted, result, kind)
    if kind == "rows":
        cache.put("check", key.check, DocumentResult(result.doc_id, result.issues).to_bytes())
    return result, False


def _fits(result: DocumentResult, doc_id: str, settings: ProcessSettings) -> bool:
    """Whether a stored result has the shape of one :func:`process_document` makes for
    ``doc_id`` under ``settings``: each config's table in its Arrow schema, one row for the
    document, counts of their types. Checksums catch damage; this catches an entry written by
    hand (or by other code with the same key), which would otherwise stop the build with a
    traceback, or fill it with a document's wrong rows."""
    if result.doc_id != doc_id or result.rows is not None:
        return False
    if result.tables is None:
        return result.counts is None
    if settings.rows is None or result.counts is None or list(result.tables) != list(CONFIGS):
        return False
    for config, table in result.tables.items():
        if not table.schema.equals(settings.rows[config].schema):
            return False
    if result.tables[DOCUMENTS].num_rows != 1 or result.tables[BIGBIO_KB].num_rows != 1:
        return False
    # The fields made by a factory are lists; the others are integers.
    return all(
        isinstance(getattr(result.counts, f.name), int if f.default_factory is MISSING else list)
        for f in fields(DocumentCounts)
    )


def store_result(cache: Cache, key: str, result: DocumentResult, kind: str = "rows") -> None:
    """Store ``result`` (encoded) under ``key``, and its tokens beside it when it has rows."""
    cache.put(kind, key, result.to_bytes())
    if kind == "rows":
        _keep_tokens(cache, key, result)


def _keep_tokens(cache: Cache, key: str, result: DocumentResult) -> None:
    """Store the ``sentences`` rows of a document that has them for the token formats, under
    the key of its rows (see :class:`BuiltTokens`)."""
    if result.tables is None or result.counts is None:
        return
    tokens = result.tokens
    if tokens is None:  # a result read from the cache: its rows are in Arrow
        rows = result.tables[SENTENCES].select(list(_TOKEN_COLUMNS)).to_pylist()
        counts = result.counts
        tokens = sentence_tokens.from_rows(
            result.doc_id, rows, None, counts.nested_left_out, len(counts.relation_labels)
        )
    cache.put(TOKENS, key, sentence_tokens.encode(tokens))


@dataclass(frozen=True)
class DocumentKey:
    """A document's cache keys, and the sha256 of its files they were made from (in the order
    of :meth:`DocumentInputs.paths`)."""

    check: str
    #: None when only its issues are wanted (``validate``).
    rows: str | None
    sha256: tuple[str | None, ...]


class DocumentKeys:
    """The cache keys of a project's documents under one set of settings (see
    :func:`newscorpus.cache.document_key`): what all of them share is hashed once."""

    def __init__(self, project: Project, settings: ProcessSettings, hashes: FileHashes) -> None:
        self.hashes = hashes
        self._rows = settings_key(**settings.key_inputs(project))
        check = ProcessSettings(settings.schema, settings.build)
        self._check = settings_key(**check.key_inputs(project))

    def check(self, inputs: DocumentInputs) -> DocumentKey:
        """The key of the document's issues alone."""
        files = inputs.hashed(self.hashes)
        check = document_key("check", inputs.doc_id, files, self._check)
        return DocumentKey(check, None, tuple(sha for _, sha in files))

    def both(self, inputs: DocumentInputs) -> DocumentKey:
        """The keys of the document's result with rows and of its issues alone."""
        files = inputs.hashed(self.hashes)
        return DocumentKey(
            document_key("check", inputs.doc_id, files, self._check),
            document_key("rows", inputs.doc_id, files, self._rows),
            tuple(sha for _, sha in files),
        )


class BuiltTokens:
    """The ``sentences`` rows the builds left in the cache, by document: what the token formats
    (``conll``, ``spacy``) export, without tokenising again.

    A document's entry is found under the key of the rows a build would make of it now (its
    files' hashes, the schema, the rules, the build settings, the code), so an entry is there
    only for a document whose files are byte for byte those a build validated without error
    and made rows of, with this code: the rows are the ones tokenising again would give. The
    build keeps these entries (:mod:`newscorpus.sentence_tokens`, a third of the size of the
    same columns in Arrow) beside its ``rows`` ones, so that a reader neither loads nor checks
    every config's rows. A missing or damaged entry is None: the caller tokenises that
    document as if there were no cache.
    """

    def __init__(self, project: Project, schema: Schema) -> None:
        """The entries of ``project`` under the build settings it has now (none when they are
        not valid: a build would refuse them)."""
        from newscorpus.annotators import all_annotation_files
        from newscorpus.validate_file import files_by_id

        self.project = project
        root = cache_dir(project)
        self.cache = Cache(root)
        self.hashes = FileHashes(project, root)
        self.files = files_by_id(all_annotation_files(project))
        try:
            settings = ProcessSettings(schema, BuildSettings.from_project(project), building=True)
        except NewscorpusError:
            self.settings: str | None = None
        else:
            self.settings = settings_key(**settings.key_inputs(project))

    def key(self, doc_id: str) -> str | None:
        """The key of the document's entry (None when entries cannot be found, or when the
        document's annotation file is something the key cannot see: a pipe, a folder or a
        dangling link where the file belongs, which validation refuses)."""
        if self.settings is None:
            return None
        files = tuple(self.files.get(doc_id, ()))
        if not files:
            path = annotation_path(self.project, doc_id)
            if path.exists() or path.is_symlink():
                return None
        inputs = DocumentInputs(self.project, doc_id, files)
        return document_key("rows", doc_id, inputs.hashed(self.hashes), self.settings)

    def find(self, doc_ids: Iterable[str]) -> dict[str, str]:
        """The keys of those of ``doc_ids`` that have an entry (intact or not: :meth:`get`
        tells)."""
        keys = ((doc_id, self.key(doc_id)) for doc_id in doc_ids)
        return {d: k for d, k in keys if k is not None and self.cache.has(TOKENS, k)}

    def get(self, doc_id: str, key: str | None = None) -> SentenceTokens | None:
        """The document's tokens under ``key`` (by default the document's :meth:`key`), or
        None."""
        key = key if key is not None else self.key(doc_id)
        if key is None:
            return None
        payload = self.cache.get(TOKENS, key)
        if payload is None:
            return None
        try:
            tokens = sentence_tokens.decode(payload)
        except (msgspec.DecodeError, msgspec.ValidationError):
            tokens = None
        if tokens is None or tokens.doc_id != doc_id:
            # Gone, the next build that makes this document's rows, or finds them, keeps its
            # tokens again; while it is there, the build takes it for intact.
            self.cache.discard(TOKENS, key)
            return None
        return tokens
