"""The annotation validator: every problem of a corpus project, with where it is and the fix.

Checks are pure functions over parsed data that return :class:`~newscorpus.errors.Issue`s; none
prints, none stops at the first problem, none changes a file. The layers:

- :mod:`newscorpus.validate_json`: file bytes -> JSON with positions (E101-E104);
- :mod:`newscorpus.validate_records`: JSON -> typed entity and relation records (E105-E107);
- :mod:`newscorpus.validate_spans` and :mod:`newscorpus.validate_relations`: entities and
  relations against the schema and the text (E109-E119, E140-E142, W101);
- :mod:`newscorpus.validate_document`: one parsed document through the layers above (also
  E108, E143);
- :mod:`newscorpus.validate_corpus`: the stored articles (E212, E214-E216);
- :mod:`newscorpus.validate_file`: one file read and checked
  (:func:`~newscorpus.validate_file.check_file`, also E101, E144), one article with its files
  (:func:`~newscorpus.validate_file.check_document`), and whether a file can be read at all
  (:func:`~newscorpus.validate_file.file_problems`);
- this module: the whole project (:func:`validate_project`, also E003, E101 for entries that
  are not files, E145, W102, and E171, E176 for the annotators' folder).
  :func:`validate_project` is :func:`~newscorpus.validate_file.load_schema`, then
  :func:`~newscorpus.validate_file.check_document` for each article, then
  :func:`project_issues`; the build runs the same three in one pass with its own work.

Gold, every annotator's set (``annotations/annotators/<name>/``) and the review files of
``adjudicate`` (``annotations/review/``, also checked by :mod:`newscorpus.review`) go through
the same per-file checks; only gold counts as an article's annotations (W102).

Every allowed value comes from the schema; no label is spelled here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscorpus.annotations import (
    ANNOTATION_SUFFIX,
    ANNOTATORS_DIR,
    review_dir,
)
from newscorpus.annotators import (
    all_annotation_files,
    annotator_names,
    name_problem,
    require_annotators,
    set_files,
)
from newscorpus.cache import Cache, FileHashes, cache_dir, prune
from newscorpus.corpus import doc_ids
from newscorpus.engines import EngineSettings, map_shards
from newscorpus.errors import Issue, UsageError
from newscorpus.listing import entries
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.validate_corpus import duplicate_articles, stray_entries
from newscorpus.validate_file import (
    check_document,
    check_file,
    entry_name,
    files_by_id,
    irregular_issue,
    load_schema,
    not_a_file,
    sort_issues,
)
from newscorpus.validate_json import issue, printable


@dataclass(frozen=True)
class Report:
    """The outcome of validating a project: issues sorted by file, then position."""

    issues: tuple[Issue, ...]
    #: How many annotation files and articles were checked.
    annotation_files: int
    articles: int

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    def ok(self, strict: bool = False) -> bool:
        """No errors (and, when ``strict``, no warnings either)."""
        return not self.errors and not (strict and self.warnings)

    def summary(self) -> str:
        """One line: ``2 errors, 1 warning in 3 files`` or ``ok: 2 annotation files, ...``."""
        if not self.issues:
            return (
                f"ok: {_count(self.annotation_files, 'annotation file')}, "
                f"{_count(self.articles, 'article')}, no problems"
            )
        files = len({i.path for i in self.issues})
        return (
            f"{_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')} "
            f"in {_count(files, 'file')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def project_issues(
    project: Project,
    schema: Schema | None,
    files: Sequence[Path],
    stored: Collection[str],
    *,
    whole: bool = True,
) -> list[Issue]:
    """The problems that belong to no stored article: annotation files without one (E144, and
    whatever else is wrong with them) and, when ``whole``, corpus entries without ``meta.json``
    (E212), ``*.json`` entries that are not files (E101) and articles without annotations
    (W102).

    Args:
        project: the corpus project.
        schema: the project's schema; None skips the label and signature checks.
        files: the annotation files being validated.
        stored: the ids of the stored articles.
        whole: whether the whole project is validated rather than some files.
    """
    issues: list[Issue] = []
    known = set(stored)
    irregular = _irregular_entries(project) if whole else {}
    if whole:
        issues += stray_entries(project, known)
        issues += irregular.values()
        issues += duplicate_articles(project, stored)
    orphans: dict[str, list[Path]] = {}
    for file in files:
        if file.stem not in known:
            orphans.setdefault(file.stem, []).append(file)
    for group in orphans.values():
        for file in group:
            issues += check_file(project, file, schema, None, known=False)[0]
    if whole:
        issues += _annotator_entries(project)
        # Only gold counts as annotated: an annotator's work is not the dataset's yet.
        gold = {f.stem for f in files if f.parent == project.annotations}
        annotated = gold | irregular.keys()
        for doc_id in sorted(known - annotated):
            issues.append(
                issue(
                    "W102",
                    printable(project.relative(project.corpus / doc_id)),
                    f"article {printable(doc_id)} has no annotation file "
                    f"({project.annotations_dir}/{printable(doc_id)}.json).",
                    "Annotate it, or remove the article from the corpus.",
                )
            )
    return issues


def validate_project(
    project: Project,
    paths: Sequence[Path] | None = None,
    *,
    annotator: str | None = None,
    use_cache: bool = False,
    on_document: Callable[[str], None] | None = None,
    engine: EngineSettings | None = None,
) -> Report:
    """Validate the schema, the corpus and the annotation files of ``project``.

    Args:
        project: the corpus project.
        paths: annotation files or folders of them to check (with their articles); None checks
            the whole project: gold, every annotator's set and the review files, and also
            reports articles without gold annotations (W102).
        annotator: check only this annotator's set (and its articles).
        use_cache: take each unchanged article's issues from ``.newscorpus/cache/`` (the
            build's cache, :mod:`newscorpus.cache`) and store new ones there, and for the whole
            project, the whole report when no file changed (:mod:`newscorpus.validate_memo`);
            the report is the same either way.
        on_document: called with each document id once checked (progress).
        engine: where the documents are checked; None: a process pool on every core when
            there are enough of them to pay for it, else this process. The report is the same
            for any engine.

    Returns:
        A :class:`Report`. Never raises on file content.

    Raises:
        UsageError: E145 when a path is not an annotation file or a folder holding some; E170
            or E171 when ``annotator`` names no set.
    """
    whole = annotator is None and (
        paths is None or any(p.resolve() == project.root.resolve() for p in paths)
    )
    state = None
    if use_cache:
        prune(project)
    if use_cache and whole:
        from newscorpus.validate_memo import ProjectState, recall

        state = ProjectState(project)
        kept = recall(project, state)
        if kept is not None:
            return Report(tuple(kept[0]), annotation_files=kept[1], articles=kept[2])
    schema, issues = load_schema(project)
    if annotator is not None:
        require_annotators(project, [annotator])
        files = set_files(project, annotator)
    elif whole or paths is None:
        files = all_annotation_files(project)
    else:
        files = _expand(project, paths)
    stored = set(doc_ids(project))
    wanted = sorted(stored) if whole else sorted({f.stem for f in files} & stored)
    from newscorpus.docunit import DocumentInputs

    by_id = files_by_id(files)
    hashes = FileHashes(project, cache_dir(project)) if use_cache and schema is not None else None
    chunks = []
    for ids in _split(wanted, engine):
        documents = tuple((d, tuple(by_id.get(d, ()))) for d in ids)
        known = None
        if hashes is not None:
            known = hashes.subset(
                path for d, found in documents for path in DocumentInputs(project, d, found).paths()
            )
        chunks.append(_Chunk(project, schema, documents, known))

    def done(i: int, _: tuple[list[Issue], dict[str, list[Any]]]) -> None:
        if on_document is not None:
            for doc_id, _found in chunks[i].documents:
                on_document(doc_id)

    results = map_shards(_check_chunk, chunks, engine or EngineSettings(), done)
    for found, learnt in results:
        issues += found
        if hashes is not None:
            hashes.learn(learnt)
    if hashes is not None:
        hashes.save()
    issues += project_issues(project, schema, files, stored, whole=whole)
    report = Report(sort_issues(issues), annotation_files=len(files), articles=len(wanted))
    if state is not None:
        from newscorpus.validate_memo import remember

        remember(project, state, report.issues, report.annotation_files, report.articles)
    return report


@dataclass(frozen=True)
class _Chunk:
    """Documents one worker checks: each id with its annotation files, and the remembered
    hashes of their files when the cache is used (None: it is not)."""

    project: Project
    schema: Schema | None
    documents: tuple[tuple[str, tuple[Path, ...]], ...]
    known_hashes: dict[str, list[Any]] | None


#: Documents per chunk: enough that starting one costs little, few enough that both cores stay
#: busy to the end and progress moves.
_CHUNK = 250


def _split(ids: Sequence[str], engine: EngineSettings | None) -> list[Sequence[str]]:
    """``ids`` in chunks of at most :data:`_CHUNK`, at least one per worker of an ``engine``
    that was asked for; one chunk (checked in this process) when no engine was asked for and
    they are too few to pay for starting workers."""
    if engine is None and len(ids) < _CHUNK:
        return [ids]
    workers = (engine or EngineSettings()).workers()
    size = max(1, min(_CHUNK, -(-len(ids) // workers)))
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [ids]


def _check_chunk(chunk: _Chunk) -> tuple[list[Issue], dict[str, list[Any]]]:
    """The issues of a chunk's documents and the file hashes learnt on the way (for the
    cache). Runs in a worker: it reads and returns, and writes only cache entries, each
    atomically, so workers never clash; the caller saves the hashes once."""
    project, schema = chunk.project, chunk.schema
    issues: list[Issue] = []
    if chunk.known_hashes is None or schema is None:
        for doc_id, found in chunk.documents:
            issues += check_document(project, doc_id, found, schema).issues
        return issues, {}
    from newscorpus.buildinfo import BuildSettings
    from newscorpus.docunit import DocumentInputs, DocumentKeys, ProcessSettings, cached_document

    root = cache_dir(project)
    cache, hashes = Cache(root), FileHashes(project, root, chunk.known_hashes)
    settings = ProcessSettings(schema, BuildSettings())
    keys = DocumentKeys(project, settings, hashes)
    for doc_id, found in chunk.documents:
        inputs = DocumentInputs(project, doc_id, found)
        issues += cached_document(inputs, settings, cache, keys.check(inputs))[0].issues
    return issues, hashes.learnt


def _annotator_entries(project: Project) -> list[Issue]:
    """What in ``annotations/annotators/`` and ``annotations/review/`` is not an annotation file
    where one belongs: entries of ``annotators/`` that are not folders (E176) or whose names are
    not safe slugs (E171), and ``*.json`` entries of the sets and of ``review/`` that are not
    regular files (E101)."""
    issues: list[Issue] = []
    top = project.annotations / ANNOTATORS_DIR
    folders = [review_dir(project)]
    if top.is_dir():
        for entry in sorted(top.iterdir()):
            where = entry_name(project, entry)
            if entry.name.startswith("."):
                continue
            if not entry.is_dir():
                issues.append(
                    issue(
                        "E176",
                        where,
                        f"is not a folder; {project.annotations_dir}/{ANNOTATORS_DIR}/ holds one "
                        "folder per annotator, each with that annotator's <doc_id>.json files.",
                        f"Move it into an annotator's folder ({project.annotations_dir}/"
                        f"{ANNOTATORS_DIR}/NAME/), or remove it.",
                    )
                )
                continue
            problem = name_problem(entry.name)
            if problem is not None:
                issues.append(
                    issue(
                        "E171",
                        where,
                        f"{printable(problem)}, so no command reads this set.",
                        "Rename the folder.",
                    )
                )
                continue
            folders.append(entry)
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob(f"*{ANNOTATION_SUFFIX}")):
                reason = not_a_file(path)
                if reason is not None:
                    issues.append(irregular_issue(entry_name(project, path), reason))
    return issues


def _irregular_entries(project: Project) -> dict[str, Issue]:
    """E101 for every ``*.json`` in the annotations folder that is not a regular file (a folder,
    a broken link, a pipe), by document id: :func:`annotation_files` leaves them out, and
    reading a pipe would block, so they are reported without being opened."""
    listed = entries(project.annotations) or []
    odd = sorted(name for name, kind in listed if name.endswith(".json") and kind != "file")
    found: dict[str, Issue] = {}
    for name in odd:
        path = project.annotations / name
        reason = not_a_file(path)
        if reason is not None:
            found[path.stem] = irregular_issue(entry_name(project, path), reason)
    return found


def _expand(project: Project, paths: Sequence[Path]) -> list[Path]:
    """The annotation files named by ``paths`` (files, or folders of ``*.json`` files)."""
    files: dict[Path, None] = {}
    for path in paths:
        shown = printable(str(path))
        if path.is_dir():
            if path.resolve() == (project.annotations / ANNOTATORS_DIR).resolve():
                # The folder of every set: each annotator's files, not the folders themselves.
                found = [f for name in annotator_names(project) for f in set_files(project, name)]
            else:
                found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found:
                raise UsageError(
                    "E145",
                    f"{shown} holds no annotation files (*.json).",
                    fix=f"Pass annotation files or their folder ({project.annotations_dir}/), "
                    "or no path to validate the whole project.",
                )
        elif path.is_file() and path.suffix == ".json":
            found = [path]
        else:
            raise UsageError(
                "E145",
                f"{shown} is not an annotation file (*.json) or a folder of them.",
                fix=f"Pass annotation files or their folder ({project.annotations_dir}/), "
                "or no path to validate the whole project.",
            )
        files.update(dict.fromkeys(p.resolve() for p in found))
    return sorted(files)
