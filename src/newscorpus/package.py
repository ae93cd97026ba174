"""Build the dataset folder: Parquet views, dataset card, Croissant and manifest, atomically.

``newscorpus build`` writes ``dist/<name>/`` (or ``--out``), a folder ready to upload as a Hub
dataset repo::

    README.md                       card: YAML (configs, features, split sizes) + prose + tables
    croissant.json                  Croissant 1.0 description of the files and record sets
    manifest.json                   version, tool versions, source commit, sha256 of every file
    data/<config>/<split>-<k>-of-<n>.parquet

The build refuses to run while ``newscorpus validate`` reports errors (E301). Documents go in
id order into shards of ``docs_per_shard``; every config's shard ``k`` holds the rows of the
same documents. Each shard is one call of :func:`newscorpus.shards.run_shard`, run here, on a
process pool or on Dask (:mod:`newscorpus.engines`); it validates each document and makes its
rows in one pass (:func:`newscorpus.docunit.process_document`, or its cached result) and
streams them into Parquet a row group at a time, so memory does not grow with the corpus. The
parent adds the shards' results up in shard order, so the output is the same for any engine.
A shard that meets an error writes nothing more, but validation goes on to the last document,
so that E301 reports what ``newscorpus validate`` would, and wins over a bad output folder
(E306) or a row error (E302, E303). Parquet is written through the configs' ``Features``
(:mod:`newscorpus.parquet`), so its ``huggingface`` metadata and the card YAML agree. Nothing in
the output depends on time, machine, engine or cache: two builds of the same sources with the
same pinned library versions are byte-identical.

A shard whose documents are all unchanged (by their cache keys, :mod:`newscorpus.cache`) and
whose file in the previous build still has the sha256 its manifest lists is linked from there
instead of written again; the card and Croissant come from the cache when their inputs are
unchanged, so a no-op rebuild imports neither spaCy nor ``datasets``.

A split without rows in a config is neither written nor declared for that config (``datasets``
cannot load an empty split), and a config without rows is left out.

Everything is written into a hidden temporary sibling folder, which replaces the output folder
only once complete; a failed or interrupted build leaves the previous output as it was.

Build options live in ``[tool.newscorpus.build]`` (see :class:`BuildSettings`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import fields, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus import collector
from newscorpus.annotations import (
    annotation_path,
    read_annotations,
)
from newscorpus.annotators import all_annotation_files
from newscorpus.buildinfo import BuildResult, BuildSettings, Stats, metadata_warnings
from newscorpus.cache import Cache, FileHashes, cache_dir, metadata_key, prune
from newscorpus.card import quality_section
from newscorpus.corpus import doc_ids, load_article
from newscorpus.docunit import DocumentInputs, DocumentKeys, ProcessSettings, document_of
from newscorpus.engines import Background, EngineSettings, map_shards, runs_here
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.io import dumps_json
from newscorpus.manifest import CARD_PROSE, MANIFEST, sha256
from newscorpus.model import Document
from newscorpus.output import not_built, recover_output, swap, work_dir
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.shards import (
    BATCH_SIZES,
    DATA_DIR,
    DocSpec,
    ShardResult,
    ShardSpec,
    merge_stats,
    run_shard,
    shard_path,
    stats_from_json,
    stats_to_json,
)
from newscorpus.splits import SPLITS, assign_split, check_overrides
from newscorpus.views import CONFIGS

if TYPE_CHECKING:
    from newscorpus.normalise import Normalised
    from newscorpus.parquet import ConfigSchema

__all__ = ["BATCH_SIZES", "DATA_DIR", "build", "default_out", "load_document", "shard_path"]

README = "README.md"
CROISSANT = "croissant.json"


def default_out(project: Project) -> Path:
    """``dist/<name>`` under the project root."""
    return project.root / "dist" / project.name


def build(
    project: Project,
    out: Path | None = None,
    *,
    on_document: Callable[[str], None] | None = None,
    engine: EngineSettings | None = None,
    use_cache: bool = True,
) -> BuildResult:
    """Build the dataset folder of ``project`` at ``out`` (default :func:`default_out`).

    Args:
        project: the corpus project.
        out: the output folder; replaced as a whole when the build succeeds.
        on_document: called with each document id once it is done with (progress): per
            document when shards run here, per shard when they run in workers.
        engine: where shards run (default: a process pool on every core).
        use_cache: look results up in, and store them to, ``.newscorpus/cache/``; the output is
            the same either way.

    Raises:
        NewscorpusError: E301 the project has validation errors; E302 an entity does not align
            to token boundaries; E303 a relation names a missing entity; E304 a bad build
            setting; E305 a bad split override; E306 ``out`` is not a previous build; E315 bad
            dataset metadata; E003 the schema is invalid; E010 another command holds the project
            lock; E320-E322 a bad engine option or an unreachable Dask scheduler.
    """
    from newscorpus.txn import writing

    # Under the lock: builds to one output folder take turns, and no corpus change lands
    # half-way through a build.
    with writing(project, "build"):
        return _build(project, out, on_document, engine, use_cache)


def _build(
    project: Project,
    out: Path | None,
    on_document: Callable[[str], None] | None,
    engine: EngineSettings | None,
    use_cache: bool,
) -> BuildResult:
    from newscorpus.signals import signals_deferred
    from newscorpus.txn import completed, recovered_messages
    from newscorpus.validate import project_issues
    from newscorpus.validate_file import files_by_id

    engine = engine if engine is not None else EngineSettings()
    engine.workers()  # a bad option fails before any work
    schema = Schema.load(project.schema_path)
    settings = BuildSettings.from_project(project)
    check_overrides(project.split_overrides)
    target = (out if out is not None else default_out(project)).resolve()
    refused = _target_problem(target, project)
    if refused is None:
        recovered_messages.extend(recover_output(target))
    ids = doc_ids(project)
    # Every file validate checks: the build refuses what validate reports (an annotator's
    # set or a review file that does not validate too), and shares its cache entries.
    files = all_annotation_files(project)
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
    run = _Run(project, schema, settings, work, target, use_cache)
    try:
        run.stream(by_split, files_by_id(files), engine, on_document)
        # validate_project's order: the documents' issues, then the project's. The documents
        # came in shard order, not id order, but their issues name their own files, so sorting
        # by file puts them where the report has them.
        _refuse([*run.errors, *errors], refused)
        if run.row_error is not None:
            raise run.row_error
        assert work is not None  # no error: the build went on to the end
        _drop_empty(work, run.stats)
        _write_metadata(project, schema, settings, run, work, _card_engine(engine))
        # Ctrl-C or SIGTERM lands after the swap (the CLI then says the build completed), not
        # between its two renames.
        with signals_deferred():
            swap(work, target)
            completed.append("build")
    except BaseException:
        # A second Ctrl-C or SIGTERM waits for the clean-up rather than cut it short.
        with signals_deferred():
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
                for folder in made:
                    with suppress(OSError):  # not empty: someone else wrote there meanwhile
                        folder.rmdir()
        raise
    finally:
        if run.quality is not None:  # unused when the card came from the cache, or refused
            run.quality.cancel()
    if use_cache:
        prune(project)  # after the swap: deleting old generations does not delay the output
    return BuildResult(target, run.stats, warnings, run.cached)


def _errors(issues: Sequence[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


def _refuse(errors: list[Issue], refused: NewscorpusError | None) -> None:
    """Raise E301 when there are validation errors (exactly what ``newscorpus validate`` would
    list first), else the output folder's problem, if any."""
    from newscorpus.validate_file import sort_issues

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
    foreign = None
    if target.exists():
        if not target.is_dir():
            foreign = "it is not a folder"
        elif any(target.iterdir()):
            foreign = not_built(target)
    if inside or foreign:
        what = "holds the project itself" if inside else f"is not a newscorpus build ({foreign})"
        return NewscorpusError(
            "E306",
            f"the output folder {target} {what}; the build replaces its output folder as a "
            "whole, so it refuses to use this one.",
            fix="Pass a new or empty folder with --out, or remove this one.",
        )
    return None


class _Run:
    """One pass over the documents, shard by shard: validate each, and make and write its rows
    until an error is seen (then only validate). A shard whose documents are all unchanged, and
    whose previous files are the ones made from them, is taken over from the previous build."""

    def __init__(
        self,
        project: Project,
        schema: Schema,
        settings: BuildSettings,
        work: Path | None,
        target: Path,
        use_cache: bool,
    ) -> None:
        self.project = project
        self.schema = schema
        self.settings = settings
        #: The temporary output folder; None when nothing is to be written.
        self.work = work
        self.target = target
        self.cache_root = cache_dir(project) if use_cache else None
        self.cache = Cache(self.cache_root)
        self.stats = Stats()
        #: Validation errors of the documents, in document order.
        self.errors: list[Issue] = []
        #: The first E302/E303 met while making rows.
        self.row_error: NewscorpusError | None = None
        #: sha256 of the data files written, by path (the manifest need not read them again).
        self.known: dict[str, str] = {}
        #: Documents whose result came from the cache.
        self.cached = 0
        #: The keys of every shard's inputs, in order (None: no cache), set by :meth:`stream`.
        self.sources: list[str | None] = []
        #: The project's remembered file hashes, read by :meth:`stream`.
        self.hashes = FileHashes(project, None)
        #: The card's quality section, made beside the shards when some must be made (when
        #: none must, the card usually comes from the cache), or found in the cache.
        self.quality: Background[str] | None = None
        self._quality_text: str | None = None
        self._quality_key: str | None = None
        self._quality_inputs: list[Any] | None = None

    def stream(
        self,
        by_split: dict[str, list[str]],
        files: dict[str, list[Path]],
        engine: EngineSettings,
        on_document: Callable[[str], None] | None,
    ) -> None:
        """Run every shard (reused ones aside) on ``engine`` and add up their results in shard
        order."""
        specs = self._specs(by_split, files)
        self.sources = [spec.key() for spec in specs]
        results: dict[int, ShardResult] = {}
        previous = _previous_files(self.target) if self.work is not None else {}
        for i, spec in enumerate(specs):
            reused = self._reuse(spec, previous)
            if reused is not None:
                results[i] = reused
                _report(spec, on_document)
        todo = [i for i in range(len(specs)) if i not in results]
        if todo and self.work is not None:
            self._start_quality()
            rows = _config_schemas(self.schema, self.cache)
            for i in todo:
                specs[i] = replace(specs[i], settings=replace(specs[i].settings, rows=rows))
        # Shards run here report each document; in workers, each shard as it comes back.
        here = runs_here(engine, len(todo))
        fn: Callable[[ShardSpec], ShardResult] = (
            partial(run_shard, on_document=on_document) if here else run_shard
        )

        def done(k: int, result: ShardResult) -> None:
            if not here:
                _report(specs[todo[k]], on_document)

        with collector.paused():
            computed = map_shards(fn, [specs[i] for i in todo], engine, done)
        for i, result in zip(todo, computed, strict=True):
            results[i] = result
            self._remember(specs[i], result)
        for i in range(len(specs)):
            result = results[i]
            self.errors += result.errors
            if self.row_error is None:
                self.row_error = result.error()
            merge_stats(self.stats, result.stats)
            self.cached += result.cached
            self.known.update(dict(result.files.values()))

    def quality_inputs(self) -> list[Any]:
        """What the quality section reads besides gold (see :func:`_quality_inputs`), hashed
        once per build."""
        if self._quality_inputs is None:
            self._quality_inputs = _quality_inputs(self.project, self.hashes)
        return self._quality_inputs

    def _start_quality(self) -> None:
        """Find the card's quality section in the cache, or start making it in a process of
        its own: it needs only the project's files (the shards' keys cover gold and texts), and
        there it takes a core that a rebuild of one shard leaves idle. Serial there: a daemon
        process has no pool."""
        if None not in self.sources:
            project = self.project
            inputs = [
                "quality",
                self.sources,
                self.quality_inputs(),
                {f.name: getattr(project, f.name) for f in fields(project) if f.name != "root"},
            ]
            self._quality_key = metadata_key(inputs)
            kept = self.cache.get_json("quality", self._quality_key)
            if isinstance(kept, str):
                self._quality_text = kept
                return
        self.quality = Background(
            quality_section,
            self.project,
            self.schema,
            EngineSettings("serial", 1),
            use_cache=self.cache_root is not None,
        )

    def quality_text(self, engine: EngineSettings | None) -> str:
        """The card's quality section: from the cache or the process :meth:`stream` started,
        else made here with ``engine``."""
        text = self._quality_text
        if text is None and self.quality is not None:
            text = self.quality.result()
        if text is None:
            use_cache = self.cache_root is not None
            text = quality_section(self.project, self.schema, engine, use_cache=use_cache)
        if self._quality_key is not None:
            self.cache.put_json("quality", self._quality_key, text)
        return text

    def _specs(
        self, by_split: dict[str, list[str]], files: dict[str, list[Path]]
    ) -> list[ShardSpec]:
        process = ProcessSettings(self.schema, self.settings, building=self.work is not None)
        hashes = self.hashes = FileHashes(self.project, self.cache_root)
        keys_of = DocumentKeys(self.project, process, hashes).both if self.cache_root else None
        specs = []
        size = self.settings.docs_per_shard
        for split in SPLITS:
            ids = by_split[split]
            count = max(1, math.ceil(len(ids) / size))
            for index in range(count):
                docs = []
                for doc_id in ids[index * size : (index + 1) * size]:
                    inputs = DocumentInputs(self.project, doc_id, tuple(files.get(doc_id, ())))
                    docs.append(DocSpec(doc_id, inputs.files, keys_of(inputs) if keys_of else None))
                specs.append(
                    ShardSpec(
                        self.project,
                        process,
                        split,
                        index,
                        count,
                        tuple(docs),
                        self.work,
                        self.cache_root,
                    )
                )
        hashes.save()
        return specs

    def _reuse(self, spec: ShardSpec, previous: dict[str, str]) -> ShardResult | None:
        """The shard's result, its files linked from the previous build, when every document
        is unchanged and the previous files are the ones made from them; else None."""
        key = spec.key()
        if key is None or self.work is None or not previous:
            return None
        entry = self.cache.get_json("shards", key)
        try:
            stats = stats_from_json(entry["stats"])
            files = {str(c): (str(p), str(h)) for c, (p, h) in entry["files"].items()}
        except (TypeError, KeyError, ValueError):
            return None
        if sorted(files) != sorted(CONFIGS):
            return None
        linked: list[Path] = []
        try:
            for path, digest in files.values():
                old = self.target / path
                if previous.get(path) != digest or sha256(old) != digest:
                    return None
                new = self.work / path
                new.parent.mkdir(parents=True, exist_ok=True)
                linked.append(new)
                try:
                    os.link(old, new)
                except OSError:  # another file system, or links not allowed
                    shutil.copyfile(old, new)
        except OSError:
            return None
        finally:
            if len(linked) < len(files):
                for new in linked:
                    new.unlink(missing_ok=True)
        return ShardResult(
            stats=stats, files=files, cached=len(spec.docs), documents=len(spec.docs)
        )

    def _remember(self, spec: ShardSpec, result: ShardResult) -> None:
        """Note a shard that wrote all its files, for the next build to reuse."""
        key = spec.key()
        if key is not None and not result.unsettled and sorted(result.files) == sorted(CONFIGS):
            entry = {"stats": stats_to_json(result.stats), "files": result.files}
            self.cache.put_json("shards", key, entry)


def _config_schemas(schema: Schema, cache: Cache) -> dict[str, ConfigSchema]:
    """Each config's Arrow schema, derived from its features: that imports ``datasets``, so
    it is done only when some shard must be written, and kept in the cache for the next."""
    import pyarrow as pa

    from newscorpus.parquet import ConfigSchema

    key = metadata_key(["config-schemas", schema.sha256])
    kept = cache.get_json("schemas", key)
    if isinstance(kept, dict) and sorted(kept) == sorted(CONFIGS):
        try:
            return {config: ConfigSchema.from_json(value) for config, value in kept.items()}
        except (KeyError, TypeError, ValueError, pa.ArrowException):
            pass
    from newscorpus.features import config_features

    made = {config: ConfigSchema(f) for config, f in config_features(schema).items()}
    cache.put_json("schemas", key, {config: s.to_json() for config, s in made.items()})
    return made


def _report(spec: ShardSpec, on_document: Callable[[str], None] | None) -> None:
    if on_document is not None:
        for doc in spec.docs:
            on_document(doc.doc_id)


def _previous_files(target: Path) -> dict[str, str]:
    """sha256 by path of the files of the previous build at ``target`` (from its manifest)."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        return {str(f["path"]): str(f["sha256"]) for f in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


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
    return document_of(doc_id, article.meta, article.raw, article.text, result, annotations)


def _count_edits(result: Normalised, stats: Stats) -> None:
    rules = Counter(edit.rule for edit in result.edits)
    stats.edits.update(rules)
    stats.edited_documents.update(rules.keys())


def _write_metadata(
    project: Project,
    schema: Schema,
    settings: BuildSettings,
    run: _Run,
    work: Path,
    engine: EngineSettings | None,
) -> None:
    """README.md, croissant.json, then manifest.json (which covers the other two)."""
    from newscorpus.manifest import write_manifest
    from newscorpus.normalise import DEFAULT_RULES

    prose_path = project.root / CARD_PROSE
    prose = prose_path.read_text(encoding="utf-8") if prose_path.is_file() else None
    rules = project.normalise_rules if project.normalise_rules is not None else DEFAULT_RULES
    # Everything the card and Croissant are made from: when nothing changed they come from
    # the cache, and a no-op rebuild never imports datasets to derive the features again. The
    # counts do not cover what only the quality section reads: the exact annotations and texts
    # (the shards' input keys), the accepted exceptions and the annotator sets.
    key = None
    if None not in run.sources:
        key = metadata_key(
            [
                stats_to_json(run.stats),
                schema.sha256,
                settings.to_dict(),
                list(rules),
                prose,
                {f.name: getattr(project, f.name) for f in fields(project) if f.name != "root"},
                run.sources,
                run.quality_inputs(),
            ]
        )
    texts = run.cache.get_json("metadata", key) if key is not None else None
    if not (isinstance(texts, list) and len(texts) == 2 and all(isinstance(t, str) for t in texts)):
        quality = run.quality_text(engine)
        texts = _metadata_texts(project, schema, settings, run.stats, rules, prose, quality)
        if key is not None:
            run.cache.put_json("metadata", key, texts)
    # Plain writes: the whole folder is swapped into place atomically.
    (work / README).write_text(texts[0], encoding="utf-8")
    (work / CROISSANT).write_text(texts[1], encoding="utf-8")
    write_manifest(work, project, schema, settings.to_dict(), run.stats, rules, run.known)


def _quality_inputs(project: Project, hashes: FileHashes) -> list[Any]:
    """The hashes of the card's quality inputs besides gold: ``annotations/checks.yaml``, the
    annotator sets (an empty one counts too) and each set's files."""
    from newscorpus.annotators import annotator_names, set_files
    from newscorpus.check_exceptions import CHECKS_FILE

    sets = [
        [name, [[hashes.name(path), hashes.sha256(path)] for path in set_files(project, name)]]
        for name in annotator_names(project)
    ]
    inputs = [hashes.sha256(project.annotations / CHECKS_FILE), sets]
    hashes.save()
    return inputs


def _card_engine(engine: EngineSettings) -> EngineSettings | None:
    """Where the card's consistency check runs: the build's processes, or on a Dask build,
    this machine's (the check's parts are too small to pay for shipping to a cluster)."""
    return None if engine.engine == "dask" else engine


def _metadata_texts(
    project: Project,
    schema: Schema,
    settings: BuildSettings,
    stats: Stats,
    rules: Sequence[str],
    prose: str | None,
    quality: str,
) -> list[str]:
    """The card and the Croissant JSON (``quality``: the card's quality section)."""
    from newscorpus.card import render_card
    from newscorpus.croissant import croissant
    from newscorpus.features import config_features

    features = config_features(schema)
    card = render_card(project, schema, features, stats, settings, rules, prose, quality)
    return [card, dumps_json(croissant(project, schema, features, stats))]
