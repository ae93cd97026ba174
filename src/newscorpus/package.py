"""Build the dataset folder: Parquet views, dataset card, Croissant and manifest, atomically.

``newscorpus build`` writes ``dist/<name>/`` (or ``--out``), a folder ready to upload as a Hub
dataset repo::

    README.md                       card: YAML (configs, features, split sizes) + prose + tables
    croissant.json                  Croissant 1.0 description of the files and record sets
    manifest.json                   version, tool versions, source commit, sha256 of every file
    data/<config>/<split>-<k>-of-<n>.parquet

The build refuses to run while ``newscorpus validate`` reports errors (E301). Documents are
streamed from disk in id order, one shard (``docs_per_shard`` documents) at a time, so memory
stays bounded; every config's shard ``k`` holds the rows of the same documents. Rows are written
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
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.annotations import annotation_path, read_annotations
from newscorpus.corpus import doc_ids, load_article
from newscorpus.errors import NewscorpusError
from newscorpus.io import dumps_json, umask
from newscorpus.manifest import CARD_PROSE, MANIFEST
from newscorpus.model import Document, outermost
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import SPLITS, assign_split, check_overrides
from newscorpus.views import (
    CONFIGS,
    DOCUMENTS,
    RELATIONS,
    SENTENCES,
    RelationOptions,
    document_row,
    merge_sentences,
    relation_rows,
    sentence_rows,
)

if TYPE_CHECKING:
    from datasets import Features

    from newscorpus.normalise import Normalised

README = "README.md"
CROISSANT = "croissant.json"
DATA_DIR = "data"
#: Rows per Parquet row group, per config: fixed so the bytes do not depend on library defaults.
BATCH_SIZES = {DOCUMENTS: 100, SENTENCES: 1000, RELATIONS: 1000}
_BUILD_TABLE = "[tool.newscorpus.build]"


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """Options from ``[tool.newscorpus.build]`` in pyproject.toml::

    [tool.newscorpus.build]
    negatives = "same_sentence"   # or "none": negative pairs in the relations config
    max_negatives_per_doc = 50    # cap per document, picked by sha256 (stable)
    docs_per_shard = 1000         # documents per Parquet file
    """

    relations: RelationOptions = field(default_factory=RelationOptions)
    docs_per_shard: int = 1000

    @classmethod
    def from_project(cls, project: Project) -> BuildSettings:
        """Read and check the build table.

        Raises:
            NewscorpusError: E304 naming the bad key or value and what is allowed.
        """
        table = project.settings.get("build", {})
        if not isinstance(table, dict):
            raise _bad_setting("build", table, "a table")
        allowed = ("negatives", "max_negatives_per_doc", "docs_per_shard")
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise NewscorpusError(
                "E304",
                f"unknown key {unknown[0]!r}; allowed keys: {', '.join(allowed)}.",
                fix="Fix the spelling or remove the key.",
                where=f"pyproject.toml {_BUILD_TABLE}",
            )
        negatives = table.get("negatives", "same_sentence")
        if negatives not in ("same_sentence", "none"):
            raise _bad_setting("negatives", negatives, '"same_sentence" or "none"')
        cap = table.get("max_negatives_per_doc", 50)
        if type(cap) is not int or cap < 0:
            raise _bad_setting("max_negatives_per_doc", cap, "an integer >= 0")
        shard = table.get("docs_per_shard", 1000)
        if type(shard) is not int or shard < 1:
            raise _bad_setting("docs_per_shard", shard, "an integer >= 1")
        return cls(RelationOptions(negatives, cap), shard)

    def to_dict(self) -> dict[str, Any]:
        return {
            "negatives": self.relations.negatives,
            "max_negatives_per_doc": self.relations.max_negatives_per_doc,
            "docs_per_shard": self.docs_per_shard,
        }


def _bad_setting(key: str, value: Any, allowed: str) -> NewscorpusError:
    return NewscorpusError(
        "E304",
        f"{key} is {value!r}; allowed: {allowed}.",
        fix=f"Fix `{key}` in the table.",
        where=f"pyproject.toml {_BUILD_TABLE}",
    )


@dataclass
class Stats:
    """What the build counted while streaming: the card's and the manifest's numbers."""

    documents: Counter[str] = field(default_factory=Counter)
    #: ``rows[config][split]``
    rows: dict[str, Counter[str]] = field(default_factory=lambda: {c: Counter() for c in CONFIGS})
    #: In-memory Arrow size per config and split (``dataset_info`` ``num_bytes``).
    num_bytes: dict[str, Counter[str]] = field(
        default_factory=lambda: {c: Counter() for c in CONFIGS}
    )
    #: Parquet bytes per config (``dataset_info`` ``download_size``).
    file_bytes: Counter[str] = field(default_factory=Counter)
    #: ``(label, split)`` -> count, for entities and gold relations.
    entity_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    relation_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: ``(label, split)`` -> rows of the relations config (``no_relation`` included).
    pair_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Rows of the relations config that are reversed copies of symmetric relations.
    reversed_pairs: int = 0
    entities: int = 0
    #: Entities the flat ``sentences`` view leaves out because another entity contains them.
    nested_left_out: int = 0
    #: Sentence boundaries removed because an entity crossed them.
    merged_boundaries: int = 0
    unannotated: int = 0
    #: rule -> number of edits, and rule -> documents it changed.
    edits: Counter[str] = field(default_factory=Counter)
    edited_documents: Counter[str] = field(default_factory=Counter)
    #: ``source`` values of entities (``gold``, ``rule``, ``model``; ``None`` when unknown).
    sources: Counter[str | None] = field(default_factory=Counter)

    def count_rows(self, config: str, split: str, rows: int, num_bytes: int) -> None:
        self.rows[config][split] += rows
        self.num_bytes[config][split] += num_bytes

    def splits(self, config: str) -> list[str]:
        """The splits of ``config`` that have rows, in :data:`SPLITS` order.

        ``datasets`` cannot load a split without rows ("corresponds to no data"), so the build
        writes and declares only these; a config without any is left out of the build.
        """
        return [split for split in SPLITS if self.rows[config][split]]

    def configs(self) -> list[str]:
        """The configs that have rows, in :data:`CONFIGS` order."""
        return [config for config in CONFIGS if self.splits(config)]


@dataclass(frozen=True)
class BuildResult:
    """Where the build went, what it counted, and warnings to show."""

    out: Path
    stats: Stats
    warnings: tuple[str, ...]


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
        on_document: called with each document id once its rows are made (progress).

    Raises:
        NewscorpusError: E301 the project has validation errors; E302 an entity does not align
            to token boundaries; E303 a relation names a missing entity; E304 a bad build
            setting; E305 a bad split override; E306 ``out`` is not a previous build; E307 a
            stored text is stale; E003 the schema is invalid.
    """
    schema = Schema.load(project.schema_path)
    settings = BuildSettings.from_project(project)
    check_overrides(project.split_overrides)
    _refuse_invalid(project)
    target = (out if out is not None else default_out(project)).resolve()
    _check_target(target, project)
    ids = doc_ids(project)
    if not ids:
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
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".building", dir=target.parent))
    try:
        work.chmod(0o777 & ~umask())
        stats = _write_data(project, schema, settings, by_split, work, on_document)
        _write_metadata(project, schema, settings, stats, work)
        _swap(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return BuildResult(target, stats, warnings)


def _refuse_invalid(project: Project) -> None:
    from newscorpus.validate import validate_project

    errors = validate_project(project).errors
    if errors:
        shown = "".join(f"\n  {issue.render()}" for issue in errors[:5])
        more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
        count = f"{len(errors)} validation error{'s' if len(errors) != 1 else ''}"
        first = "it is" if len(errors) == 1 else "the first are"
        raise NewscorpusError(
            "E301",
            f"the project has {count}, so nothing was built.",
            fix=f"Run `newscorpus validate` for the full report and fix them; {first}:"
            f"{shown}{more}",
        )


def _check_target(target: Path, project: Project) -> None:
    """Refuse an output folder the build would destroy: one that is not a previous build."""
    root = project.root.resolve()
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
        raise NewscorpusError(
            "E306",
            f"the output folder {target} {what}; the build replaces its output folder as a "
            "whole, so it refuses to use this one.",
            fix="Pass a new or empty folder with --out, or remove this one.",
        )


def _swap(work: Path, target: Path) -> None:
    """Put the finished build in place: the old output is moved aside, then deleted."""
    if not target.exists():
        work.replace(target)
        return
    old = work.with_name(work.name.replace(".building", ".old"))
    target.replace(old)
    work.replace(target)
    shutil.rmtree(old)


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


def _write_data(
    project: Project,
    schema: Schema,
    settings: BuildSettings,
    by_split: dict[str, list[str]],
    work: Path,
    on_document: Callable[[str], None] | None,
) -> Stats:
    from newscorpus.features import config_features
    from newscorpus.nlp import make_nlp

    features = config_features(schema)
    nlp = make_nlp()
    stats = Stats()
    with _quiet_datasets(), _gc_paused():
        for split in SPLITS:
            ids = by_split[split]
            size = settings.docs_per_shard
            count = max(1, math.ceil(len(ids) / size))
            for index in range(count):
                chunk = ids[index * size : (index + 1) * size]
                rows = _shard_rows(project, schema, settings, split, chunk, nlp, stats, on_document)
                for config in CONFIGS:
                    # Let each config's rows go once written: kept in `rows` (or in a loop
                    # variable) they stayed alive while the next shard's were made, so a build
                    # of several shards held two shards' rows at its peak.
                    config_rows = rows.pop(config)
                    path = work / shard_path(config, split, index, count)
                    num_bytes = _write_parquet(config_rows, features[config], path, config)
                    stats.count_rows(config, split, len(config_rows), num_bytes)
                    stats.file_bytes[config] += path.stat().st_size
                    del config_rows
    for config in CONFIGS:
        for split in SPLITS:
            if not stats.rows[config][split]:
                for path in (work / DATA_DIR / config).glob(f"{split}-*.parquet"):
                    path.unlink()
        if not stats.splits(config):
            (work / DATA_DIR / config).rmdir()
    return stats


def _shard_rows(
    project: Project,
    schema: Schema,
    settings: BuildSettings,
    split: str,
    chunk: Sequence[str],
    nlp: Any,
    stats: Stats,
    on_document: Callable[[str], None] | None,
) -> dict[str, list[dict[str, Any]]]:
    from newscorpus.nlp import segment

    rows: dict[str, list[dict[str, Any]]] = {config: [] for config in CONFIGS}
    docs = [load_document(project, doc_id, stats) for doc_id in chunk]
    # spaCy refuses texts over max_length (a guard for parsers); tokenizing and splitting
    # sentences of a long article is fine.
    nlp.max_length = max([nlp.max_length, *(len(d.text) + 1 for d in docs)])
    for doc, spacy_doc in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
        sentences, merged = merge_sentences(segment(spacy_doc), doc.entities)
        rows[DOCUMENTS].append(document_row(doc))
        try:
            rows[SENTENCES] += sentence_rows(doc, sentences)
            pairs = relation_rows(doc, sentences, schema, settings.relations)
        except NewscorpusError as err:
            # The views know the document, not its file: point at the annotation file.
            where = project.relative(annotation_path(project, doc.id))
            raise NewscorpusError(err.code, err.message, fix=err.fix, where=where) from None
        rows[RELATIONS] += pairs
        stats.documents[split] += 1
        stats.entities += len(doc.entities)
        stats.nested_left_out += len(doc.entities) - len(outermost(doc.entities))
        stats.merged_boundaries += merged
        stats.entity_labels.update((e.label, split) for e in doc.entities)
        stats.relation_labels.update((r.label, split) for r in doc.relations)
        stats.pair_labels.update((p["label"], split) for p in pairs)
        stats.reversed_pairs += sum(p["id"].endswith("-rev") for p in pairs)
        stats.sources.update(e.source for e in doc.entities)
        if on_document is not None:
            on_document(doc.id)
    return rows


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
    meta = article.meta
    return Document(
        id=doc_id,
        text=article.text,
        entities=annotations.entities if annotations else (),
        relations=annotations.relations if annotations else (),
        title=meta.title,
        meta={
            "category": meta.category,
            "raw_text": article.raw,
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
