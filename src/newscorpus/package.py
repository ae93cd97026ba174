"""Build the dataset folder: Parquet views, dataset card, Croissant and manifest, atomically.

``newscorpus build`` writes ``dist/<name>/`` (or ``--out``), a folder ready to upload as a Hub
dataset repo::

    README.md                       card: YAML (configs, features, split sizes) + prose + tables
    croissant.json                  Croissant 1.0 description of the files and record sets
    manifest.json                   version, tool versions, source commit, sha256 of every file
    data/<config>/<split>-<k>-of-<n>.parquet

The build refuses to run while ``newscorpus validate`` reports errors (E301). Documents are
streamed from disk in id order, one shard (``docs_per_shard`` documents) at a time, so memory
stays bounded; every config's shard ``k`` holds the rows of the same documents. Each document is
read, validated and normalised once: its rows are made from what validation read
(:func:`newscorpus.validate.check_document`). Once an error is seen no more rows are made, but
validation goes on to the last document, so that E301 reports what ``newscorpus validate``
would, and wins over a bad output folder (E306) or a row error (E302, E303). Rows are written
through :mod:`newscorpus.features`, so the Parquet ``huggingface`` metadata and the card YAML
agree. Nothing in the output depends on time or machine: two builds of the same sources with
the same pinned library versions are byte-identical.

A split without rows in a config is neither written nor declared for that config (``datasets``
cannot load an empty split), and a config without rows is left out.

Everything is written into a hidden temporary sibling folder, which replaces the output folder
only once complete; a failed or interrupted build leaves the previous output as it was.

Build options live in ``[tool.newscorpus.build]`` (see :class:`BuildSettings`).
"""

from __future__ import annotations

import gc
import math
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.annotations import (
    AnnotationFile,
    annotation_files,
    annotation_path,
    read_annotations,
)
from newscorpus.buildinfo import BuildResult, BuildSettings, Stats, metadata_warnings
from newscorpus.corpus import ArticleMeta, doc_ids, load_article
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.io import dumps_json
from newscorpus.manifest import CARD_PROSE, MANIFEST
from newscorpus.model import Document, outermost
from newscorpus.output import recover_output, swap, work_dir
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import SPLITS, assign_split, check_overrides
from newscorpus.views import (
    BIGBIO_KB,
    CONFIGS,
    DOCUMENTS,
    RELATIONS,
    SENTENCES,
    document_row,
    merge_sentences,
    sentence_rows,
)
from newscorpus.views_relations import relation_rows

if TYPE_CHECKING:
    from datasets import Features

    from newscorpus.normalise import Normalised
    from newscorpus.validate import CheckedDocument

README = "README.md"
CROISSANT = "croissant.json"
DATA_DIR = "data"
#: Rows per Parquet row group, per config: fixed so the bytes do not depend on library defaults.
BATCH_SIZES = {DOCUMENTS: 100, SENTENCES: 1000, RELATIONS: 1000, BIGBIO_KB: 100}


def default_out(project: Project) -> Path:
    """``dist/<name>`` under the project root."""
    return project.root / "dist" / project.name


def build(
    project: Project,
    out: Path | None = None,
    *,
    on_document: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the dataset folder of ``project`` at ``out`` (default :func:`default_out`).

    Args:
        project: the corpus project.
        out: the output folder; replaced as a whole when the build succeeds.
        on_document: called with each document id once it is done with (progress): validated,
            and its rows made while the build has met no error.

    Raises:
        NewscorpusError: E301 the project has validation errors; E302 an entity does not align
            to token boundaries; E303 a relation names a missing entity; E304 a bad build
            setting; E305 a bad split override; E306 ``out`` is not a previous build; E315 bad
            dataset metadata; E003 the schema is invalid; E010 another command holds the project
            lock.
    """
    from newscorpus.txn import writing

    # Under the lock: builds to one output folder take turns, and no corpus change lands
    # half-way through a build.
    with writing(project, "build"):
        return _build(project, out, on_document)


def _build(
    project: Project, out: Path | None, on_document: Callable[[str], None] | None
) -> BuildResult:
    from newscorpus.txn import recovered_messages
    from newscorpus.validate import files_by_id, project_issues

    schema = Schema.load(project.schema_path)
    settings = BuildSettings.from_project(project)
    check_overrides(project.split_overrides)
    target = (out if out is not None else default_out(project)).resolve()
    refused = _target_problem(target, project)
    if refused is None:
        recovered_messages.extend(recover_output(target))
    ids = doc_ids(project)
    files = annotation_files(project)
    errors = _errors(project_issues(project, schema, files, ids))
    if not ids:
        _refuse(errors, refused)
        raise NewscorpusError(
            "E309",
            "the corpus has no documents, so there is nothing to build.",
            fix="Add articles with `newscorpus add`, then build again.",
            where=project.relative(project.corpus),
        )
    by_split: dict[str, list[str]] = {split: [] for split in SPLITS}
    for doc_id in ids:
        by_split[assign_split(doc_id, project.split_overrides)].append(doc_id)
    warnings = tuple(
        f"pyproject.toml [tool.newscorpus.splits]: W301 split override {doc_id} names a "
        "document that is not in the corpus. Remove the entry, or fix the id."
        for doc_id in sorted(set(project.split_overrides) - set(ids))
    ) + metadata_warnings(project)
    work = None
    # The folders made for the output, removed again if the build fails: bad input changes
    # no file, and validation errors may only be found once the build has begun.
    made = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    if refused is None and not errors:
        work = work_dir(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            work.mkdir()
        except OSError as err:
            raise NewscorpusError(
                "E311",
                f"cannot create the build folder {work}: {err.strerror or err}.",
                fix="Pass an output folder you can write to with --out.",
            ) from None
    try:
        run = _Run(project, schema, settings, files_by_id(files), work, on_document)
        run.stream(by_split)
        # validate_project's order: the documents' issues, then the project's. The documents
        # came in shard order, not id order, but their issues name their own files, so sorting
        # by file puts them where the report has them.
        _refuse([*run.errors, *errors], refused)
        if run.row_error is not None:
            raise run.row_error
        assert work is not None  # no error: the build went on to the end
        _write_metadata(project, schema, settings, run.stats, work)
        swap(work, target)
    except BaseException:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
            for folder in made:
                with suppress(OSError):  # not empty: someone else wrote there meanwhile
                    folder.rmdir()
        raise
    return BuildResult(target, run.stats, warnings)


def _errors(issues: Sequence[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def _refuse(errors: list[Issue], refused: NewscorpusError | None) -> None:
    """Raise E301 when there are validation errors (exactly what ``newscorpus validate`` would
    list first), else the output folder's problem, if any."""
    from newscorpus.validate import sort_issues

    if errors:
        _refuse_invalid(sort_issues(errors))
    if refused is not None:
        raise refused


def _refuse_invalid(errors: Sequence[Issue]) -> None:
    """E301 naming the first five of ``errors`` (sorted as in the validation report)."""
    shown = "".join(f"\n  {issue.render()}" for issue in errors[:5])
    more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
    count = f"{len(errors)} validation error{'s' if len(errors) != 1 else ''}"
    first = "it is" if len(errors) == 1 else "the first are"
    raise NewscorpusError(
        "E301",
        f"the project has {count}, so nothing was built.",
        fix=f"Run `newscorpus validate` for the full report and fix them; {first}:{shown}{more}",
    )


def _target_problem(target: Path, project: Project) -> NewscorpusError | None:
    """E306 for an output folder the build would destroy (one that is not a previous build),
    returned rather than raised: validation errors, found later, come first."""
    root = project.root.resolve()
    if target.parent == target:
        return NewscorpusError(
            "E306",
            f"the output folder {target} is the filesystem root; the build replaces its output "
            "folder as a whole, so it refuses to use this one.",
            fix="Pass a new or empty folder with --out.",
        )
    inside = root.is_relative_to(target)
    foreign = False
    if target.exists():
        previous_build = target.is_dir() and (target / MANIFEST).is_file()
        empty = target.is_dir() and not any(target.iterdir())
        foreign = not (previous_build or empty)
    if inside or foreign:
        what = (
            "holds the project itself" if inside else f"is not a newscorpus build (no {MANIFEST})"
        )
        return NewscorpusError(
            "E306",
            f"the output folder {target} {what}; the build replaces its output folder as a "
            "whole, so it refuses to use this one.",
            fix="Pass a new or empty folder with --out, or remove this one.",
        )
    return None


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Silence ``datasets`` progress bars for the build, restoring the caller's setting."""
    import datasets

    was_enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            datasets.enable_progress_bars()


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause automatic cyclic garbage collection, restoring the caller's setting.

    A shard's rows are millions of small dicts, lists and strings that stay alive until the
    shard is written, and every full collection walks all of them again: about a fifth of the
    build's time on a 10,000-document corpus (``scripts/bench_build.py``). The rows form no
    reference cycles, so nothing waits for the collector: peak memory stays the same.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def shard_path(config: str, split: str, index: int, count: int) -> str:
    """``data/<config>/<split>-<index>-of-<count>.parquet`` (five digits each)."""
    return f"{DATA_DIR}/{config}/{split}-{index:05d}-of-{count:05d}.parquet"


class _Run:
    """One pass over the documents: validate each, and make and write its rows until an error
    is seen (then only validate). Holds one shard's documents at a time."""

    def __init__(
        self,
        project: Project,
        schema: Schema,
        settings: BuildSettings,
        files: dict[str, list[Path]],
        work: Path | None,
        on_document: Callable[[str], None] | None,
    ) -> None:
        self.project = project
        self.schema = schema
        self.settings = settings
        self.files = files
        #: The temporary output folder; None once nothing more is to be written.
        self.work = work
        self.on_document = on_document
        self.stats = Stats()
        #: Validation errors of the documents, in document order.
        self.errors: list[Issue] = []
        #: The first E302/E303 met while making rows.
        self.row_error: NewscorpusError | None = None

    def stream(self, by_split: dict[str, list[str]]) -> None:
        """Go through every document in shard order, then tidy the data folder."""
        from newscorpus.features import config_features
        from newscorpus.nlp import make_nlp

        building = self.work is not None
        features = config_features(self.schema) if building else {}
        nlp = make_nlp(self.schema.abbreviations) if building else None
        with _quiet_datasets(), _gc_paused():
            for split in SPLITS:
                ids = by_split[split]
                size = self.settings.docs_per_shard
                count = max(1, math.ceil(len(ids) / size))
                for index in range(count):
                    chunk = ids[index * size : (index + 1) * size]
                    self._shard(split, index, count, chunk, features, nlp)
        if self.work is not None:
            _drop_empty(self.work, self.stats)

    def _shard(
        self,
        split: str,
        index: int,
        count: int,
        chunk: Sequence[str],
        features: dict[str, Features],
        nlp: Any,
    ) -> None:
        from newscorpus.validate import check_document

        checked = []
        for doc_id in chunk:
            result = check_document(self.project, doc_id, self.files.get(doc_id, ()), self.schema)
            self.errors += result.errors
            if self.work is not None:
                checked.append((doc_id, result))
        if self.errors:
            self.work = None
        if self.work is None:
            if self.on_document is not None:
                for doc_id in chunk:
                    self.on_document(doc_id)
            return
        # What validation read and computed goes once the documents are made from it, so the
        # shard's rows grow beside the documents alone, as when the build read them itself.
        docs = [_checked_document(doc_id, result, self.stats) for doc_id, result in checked]
        del checked
        try:
            rows = _shard_rows(
                self.project,
                self.schema,
                self.settings,
                split,
                docs,
                nlp,
                self.stats,
                self.on_document,
            )
        except NewscorpusError as err:
            # Validation goes on: an error in a later document still wins as E301.
            self.row_error, self.work = err, None
            return
        del docs
        for config in CONFIGS:
            # Let each config's rows go once written: kept in `rows` (or in a loop
            # variable) they stayed alive while the next shard's were made, so a build
            # of several shards held two shards' rows at its peak.
            config_rows = rows.pop(config)
            path = self.work / shard_path(config, split, index, count)
            num_bytes = _write_parquet(config_rows, features[config], path, config)
            self.stats.count_rows(config, split, len(config_rows), num_bytes)
            self.stats.file_bytes[config] += path.stat().st_size
            del config_rows


def _drop_empty(work: Path, stats: Stats) -> None:
    """Remove the files of splits without rows, and the folders of configs without any."""
    for config in CONFIGS:
        for split in SPLITS:
            if not stats.rows[config][split]:
                for path in (work / DATA_DIR / config).glob(f"{split}-*.parquet"):
                    stats.file_bytes[config] -= path.stat().st_size
                    path.unlink()
        if not stats.splits(config):
            (work / DATA_DIR / config).rmdir()


def _shard_rows(
    project: Project,
    schema: Schema,
    settings: BuildSettings,
    split: str,
    docs: Sequence[Document],
    nlp: Any,
    stats: Stats,
    on_document: Callable[[str], None] | None,
) -> dict[str, list[dict[str, Any]]]:
    from newscorpus.bigbio import kb_row
    from newscorpus.nlp import segment

    rows: dict[str, list[dict[str, Any]]] = {config: [] for config in CONFIGS}
    # spaCy refuses texts over max_length (a guard for parsers); tokenizing and splitting
    # sentences of a long article is fine.
    nlp.max_length = max([nlp.max_length, *(len(d.text) + 1 for d in docs)])
    for doc, spacy_doc in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        sentences, merged = merge_sentences(segment(spacy_doc), doc.entities)
        rows[DOCUMENTS].append(document_row(doc))
        rows[BIGBIO_KB].append(kb_row(doc))
        try:
            rows[SENTENCES] += sentence_rows(doc, sentences)
            pairs = relation_rows(doc, sentences, schema, settings.relations)
        except NewscorpusError as err:
            # The views know the document, not its file: point at the annotation file.
            where = project.relative(annotation_path(project, doc.id))
            raise NewscorpusError(err.code, err.message, fix=err.fix, where=where) from None
        rows[RELATIONS] += pairs.rows
        stats.documents[split] += 1
        stats.entities += len(doc.entities)
        stats.nested_left_out += len(doc.entities) - len(outermost(doc.entities))
        stats.merged_boundaries += merged
        stats.entity_labels.update((e.label, split) for e in doc.entities)
        stats.relation_labels.update((r.label, split) for r in doc.relations)
        stats.count_pairs(pairs, split)
        stats.sources.update(e.source for e in doc.entities)
        if on_document is not None:
            on_document(doc.id)
    return rows


def _checked_document(doc_id: str, result: CheckedDocument, stats: Stats) -> Document:
    """The document from what validation read and computed: nothing is read again."""
    article = result.article
    # A document without validation errors has all of these (the build checks first).
    assert article.meta is not None and article.raw is not None
    assert article.text is not None and article.normalised is not None
    annotations = result.annotations()
    _count_edits(article.normalised, stats)
    stats.unannotated += annotations is None
    meta = ArticleMeta.from_dict(article.meta)
    return _document(doc_id, meta, article.raw, article.text, article.normalised, annotations)


def load_document(project: Project, doc_id: str, stats: Stats | None = None) -> Document:
    """The document ``doc_id`` as the build sees it: stored text, annotations, raw text,
    alignment and source metadata (the ``documents`` row's columns in ``meta``).

    Raises:
        NewscorpusError: E212 a corpus entry is unreadable; E307 ``text.txt`` is not what the
            normaliser makes of ``raw.txt``.
    """
    from newscorpus.normalise import normalise

    article = load_article(project, doc_id)
    result = normalise(article.raw, project.normalise_rules)
    if result.text != article.text:
        raise NewscorpusError(
            "E307",
            f"the stored text of {doc_id} is not what the normaliser makes of its raw text, so "
            "the alignment would be wrong.",
            fix="Run `newscorpus renormalise` (it moves the annotations too), then build again.",
            where=project.relative(project.corpus / doc_id),
        )
    path = annotation_path(project, doc_id)
    annotations = read_annotations(path) if path.is_file() else None
    if stats is not None:
        _count_edits(result, stats)
        stats.unannotated += annotations is None
    return _document(doc_id, article.meta, article.raw, article.text, result, annotations)


def _document(
    doc_id: str,
    meta: ArticleMeta,
    raw: str,
    text: str,
    result: Normalised,
    annotations: AnnotationFile | None,
) -> Document:
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


def _count_edits(result: Normalised, stats: Stats) -> None:
    rules = Counter(edit.rule for edit in result.edits)
    stats.edits.update(rules)
    stats.edited_documents.update(rules.keys())


def _write_parquet(rows: list[dict[str, Any]], features: Features, path: Path, config: str) -> int:
    """Write ``rows`` through ``features``; return the in-memory Arrow size in bytes."""
    from newscorpus.features import dataset_from_rows

    dataset = dataset_from_rows(rows, features)
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(path), batch_size=BATCH_SIZES[config])
    nbytes: int = dataset.data.nbytes
    return nbytes


def _write_metadata(
    project: Project, schema: Schema, settings: BuildSettings, stats: Stats, work: Path
) -> None:
    """README.md, croissant.json, then manifest.json (which covers the other two)."""
    from newscorpus.card import render_card
    from newscorpus.croissant import croissant
    from newscorpus.features import config_features
    from newscorpus.manifest import write_manifest
    from newscorpus.normalise import DEFAULT_RULES

    features = config_features(schema)
    prose_path = project.root / CARD_PROSE
    prose = prose_path.read_text(encoding="utf-8") if prose_path.is_file() else None
    rules = project.normalise_rules if project.normalise_rules is not None else DEFAULT_RULES
    card = render_card(project, schema, features, stats, settings, rules, prose)
    # Plain writes: the whole folder is swapped into place atomically.
    (work / README).write_text(card, encoding="utf-8")
    (work / CROISSANT).write_text(
        dumps_json(croissant(project, schema, features, stats)), encoding="utf-8"
    )
    write_manifest(work, project, schema, settings.to_dict(), stats, rules)
