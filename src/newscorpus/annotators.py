"""Annotator sets: each annotator's own annotation files, and reading them for comparison.

Gold stays in ``annotations/<doc_id>.json``; annotator ``alice``'s work lives in
``annotations/annotators/alice/<doc_id>.json`` in the same format, checked by the same validator
(:func:`newscorpus.annotations.annotation_path` names both). Conflicts that ``adjudicate`` leaves
for a person wait in ``annotations/review/<doc_id>.json`` (:mod:`newscorpus.review`).

Names are safe slugs, as document ids are, because they name folders; ``gold`` is reserved for
the gold set (``agree --against gold``). :func:`load_sets` is what ``agree``, ``adjudicate`` and
the card read through: every file it returns has passed the per-file validator against its
article's text, and any that has not is a coded error naming the file.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from newscorpus.annotations import (
    ANNOTATION_SUFFIX,
    ANNOTATORS_DIR,
    AnnotationFile,
    annotation_files,
    annotation_path,
    annotator_dir,
    parse_annotations,
    review_dir,
)
from newscorpus.corpus import doc_ids, load_article
from newscorpus.errors import InputError, Issue, NewscorpusError, UsageError
from newscorpus.ingest import SLUG_RULE, is_safe_slug
from newscorpus.project import Project
from newscorpus.review import MANUAL
from newscorpus.schema import Schema

#: The name ``--against`` uses for the gold set; no annotator may take it.
GOLD = "gold"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name an annotator set, or None when it can."""
    if name == GOLD:
        return f"{GOLD!r} is reserved for the gold annotations (`--against {GOLD}`)"
    if name == MANUAL:
        return (
            f"{MANUAL!r} is reserved for a review's hand-made resolution (a conflict resolved "
            f'"{MANUAL}" keeps what the reviewer wrote)'
        )
    if not is_safe_slug(name):
        return f"annotator name {name!r} is not a safe slug: use {SLUG_RULE}"
    return None


def check_annotator_name(name: str, where: str, fix: str = "") -> None:
    """Refuse a name that cannot name an annotator set, before any path is made of it (an
    import names sets after the tool's users, whose names need not be safe).

    Raises:
        InputError: E171 naming the name and the rule.
    """
    problem = name_problem(name)
    if problem is not None:
        raise InputError(
            "E171", f"{problem}.", fix=fix or "Name the set otherwise (e.g. alice).", where=where
        )


def annotator_names(project: Project) -> list[str]:
    """The annotator sets of the project (folders under ``annotations/annotators/``), sorted.

    Folders whose names are not safe slugs are left out here; ``validate`` reports them (E171).
    """
    folder = project.annotations / ANNOTATORS_DIR
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and name_problem(p.name) is None)


def require_annotators(project: Project, names: Sequence[str]) -> list[str]:
    """``names``, checked: each a safe slug (E171) naming an existing set (E170).

    Raises:
        UsageError: E171 or E170, naming the name and the sets that exist.
    """
    known = annotator_names(project)
    for name in names:
        problem = name_problem(name)
        if problem is not None:
            raise UsageError("E171", f"{problem}.", fix="Pass the name of an annotator set.")
        if name not in known:
            where = project.relative(annotator_dir(project, name))
            listed = ", ".join(known) if known else "none yet"
            raise UsageError(
                "E170",
                f"there is no annotator set {name!r} ({where}/ is missing); annotator sets: "
                f"{listed}.",
                fix="Check the spelling, or import that annotator's work first (e.g. "
                f"`newscorpus import ... --annotator {name}`).",
            )
    return list(names)


def set_files(project: Project, annotator: str | None) -> list[Path]:
    """The annotation files of one set (None: gold), sorted."""
    if annotator is None:
        return annotation_files(project)
    folder = annotator_dir(project, annotator)
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.glob(f"*{ANNOTATION_SUFFIX}") if p.is_file()), key=lambda p: p.name
    )


def all_annotation_files(project: Project) -> list[Path]:
    """Gold's files, then every annotator's set, then the review files: what ``validate``
    checks, and the build with it, so that the build refuses what ``validate`` reports."""
    files = annotation_files(project)
    for name in annotator_names(project):
        files += set_files(project, name)
    folder = review_dir(project)
    if folder.is_dir():
        files += sorted(
            (p for p in folder.glob(f"*{ANNOTATION_SUFFIX}") if p.is_file()), key=lambda p: p.name
        )
    return files


def set_label(annotator: str | None) -> str:
    """How a set is named in output: the annotator, or ``gold``."""
    return GOLD if annotator is None else annotator


@dataclass(frozen=True)
class Sets:
    """Annotation sets read for comparison: the documents' texts and each set's files."""

    texts: dict[str, str]
    #: set name (``gold`` for gold) -> doc_id -> annotations.
    annotations: dict[str, dict[str, AnnotationFile]]

    def shared(self, *names: str) -> list[str]:
        """Documents every one of the named sets holds, sorted."""
        common = set(self.texts)
        for name in names:
            common &= self.annotations[name].keys()
        return sorted(common)


def load_sets(
    project: Project,
    schema: Schema,
    annotators: Sequence[str | None],
    wanted: Collection[str] | None = None,
) -> Sets:
    """Read and validate the named sets (None: gold), restricted to ``wanted`` documents.

    Raises:
        NewscorpusError: E172 when a set holds a document that is not in the corpus; E173 when a
            file does not validate (the first error and how many there are); E212 when an
            article cannot be read.
    """
    stored = set(doc_ids(project))
    texts: dict[str, str] = {}
    result: dict[str, dict[str, AnnotationFile]] = {}
    for annotator in annotators:
        files = set_files(project, annotator)
        for file in files:
            if file.stem not in stored:
                raise orphan_error(project, file, annotator)
        read: dict[str, AnnotationFile] = {}
        for file in files:
            if wanted is not None and file.stem not in wanted:
                continue
            if file.stem not in texts:
                texts[file.stem] = load_article(project, file.stem).text
            read[file.stem] = read_checked(project, file, schema, texts[file.stem], annotator)
        result[set_label(annotator)] = read
    return Sets(texts, result)


def orphan_error(project: Project, file: Path, annotator: str | None) -> NewscorpusError:
    """E172 for a file of a set whose document is not in the corpus."""
    return NewscorpusError(
        "E172",
        f"{set_label(annotator)}'s set holds document {file.stem!r}, which is not in the "
        "corpus; the file name is the document id.",
        fix="Add the article with `newscorpus add`, rename the file after its article, or "
        "delete it.",
        where=project.relative(file),
    )


def read_checked(
    project: Project, file: Path, schema: Schema, text: str, annotator: str | None
) -> AnnotationFile:
    """One annotation file, checked by the per-file validator against ``text``.

    Raises:
        NewscorpusError: E173 naming the file, its first error and how many there are.
    """
    return parse_annotations(checked_data(project, file, schema, text, annotator))


def checked_data(
    project: Project, file: Path, schema: Schema, text: str, annotator: str | None
) -> dict[str, Any]:
    """:func:`read_checked`'s file as the JSON object it holds.

    Raises:
        NewscorpusError: as :func:`read_checked`.
    """
    from newscorpus.validate_file import check_file

    issues, data = check_file(project, file, schema, text, known=True)
    errors = [i for i in issues if i.severity == "error"]
    if errors or data is None:
        flag = "" if annotator is None else f" --annotator {annotator}"
        raise NewscorpusError(
            "E173",
            f"does not validate ({len(errors)} error(s)); the first: {_brief(errors)}",
            fix=f"Fix it first: `newscorpus validate{flag}` lists every problem.",
            where=project.relative(file),
        )
    return cast(dict[str, Any], data)


def _brief(errors: Sequence[Issue]) -> str:
    """The first error without its file name (the message names the file already)."""
    if not errors:
        return "the file cannot be read."
    first = errors[0]
    at = f"line {first.line}: " if first.line is not None else ""
    ref = f"{first.annotation_id} " if first.annotation_id else ""
    return f"{at}{first.code} {ref}{first.message}"


def gold_exists(project: Project, doc_id: str) -> bool:
    path = annotation_path(project, doc_id)
    return path.exists() or path.is_symlink()
