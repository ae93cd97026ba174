"""One annotation file, or one article with its annotation files: read, parsed and checked.

:func:`check_file` reads a file once and validates it with
:func:`~newscorpus.validate_document.validate_document` (a review file with
:func:`~newscorpus.review.review_issues` too);
:func:`check_document` checks a stored article and its files, and is the per-document step the
build and ``validate`` share (:mod:`newscorpus.docunit`). :func:`file_problems` is the lighter
check of the commands that rewrite a file. The whole project is :mod:`newscorpus.validate`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscorpus.annotations import (
    REVIEW_DIR,
    AnnotationFile,
    annotation_path,
    parse_annotations,
    review_dir,
)
from newscorpus.cache import Cache
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.project import Project
from newscorpus.review import review_issues
from newscorpus.schema import Schema
from newscorpus.validate_corpus import CheckedArticle, check_article
from newscorpus.validate_document import validate_document
from newscorpus.validate_json import (
    issue,
    one_line,
    parse_annotation_bytes,
    parse_clean,
    printable,
)
from newscorpus.validate_records import read_structure


def file_problems(project: Project, doc_id: str, annotator: str | None = None) -> list[Issue]:
    """The errors that keep ``annotations/<doc_id>.json`` (or ``annotator``'s file of the
    document) from being read as annotations at all:
    not a regular file or unreadable (E101), not UTF-8 JSON (E101-E103), a repeated key (E104),
    missing keys, wrong types, repeated ids or unknown sources (E105-E107, E115, E116).

    Commands that rewrite an annotation file (``preannotate``, ``reanchor``, ``renormalise``)
    check this first: they read files that may be stale, which they fix, but a file they cannot
    read would crash them, and a repeated key would vanish silently when they write it back.
    Offsets, labels and the text are not checked here. Empty when the file does not exist.
    """
    path = annotation_path(project, doc_id, annotator)
    if not path.exists() and not path.is_symlink():
        return []
    where = entry_name(project, path)
    reason = not_a_file(path)
    if reason is not None:
        return [irregular_issue(where, reason)]
    try:
        data = path.read_bytes()
    except OSError as err:
        return [issue("E101", where, f"cannot be read: {err.strerror}.", "Check its permissions.")]
    parsed = parse_annotation_bytes(data, where)
    issues = list(parsed.issues)
    if parsed.ok:
        issues += read_structure(parsed.data, where).issues
    return [i for i in issues if i.severity == "error"]


def not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a regular file that can be read, or None when it is one."""
    if path.is_file():
        return None
    if path.is_dir():
        return "is a directory"
    if path.is_symlink() and not path.exists():
        return "is a broken symbolic link (or a symbolic link loop)"
    return "is a pipe, socket or device"


def entry_name(project: Project, path: Path) -> str:
    """``path`` for a message, relative to the project, without following a link at its end
    (a link loop cannot be resolved)."""
    return printable(f"{project.relative(path.parent)}/{path.name}")


def irregular_issue(where: str, reason: str) -> Issue:
    return issue(
        "E101",
        where,
        f"{reason}, not an annotation file.",
        "Replace it with the annotation JSON file, or remove it.",
    )


@dataclass(frozen=True)
class CheckedDocument:
    """The problems of one article and its annotation files, with what was read on the way."""

    issues: tuple[Issue, ...]
    article: CheckedArticle
    #: The parsed JSON of ``annotations/<doc_id>.json`` when that file was checked and has no
    #: errors; None otherwise.
    annotation_data: Any
    #: The sha256 of each file as read (None: unread), in the order of
    #: :meth:`newscorpus.docunit.DocumentInputs.paths`: the article's, then ``files``.
    read_sha256: tuple[str | None, ...] = ()

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def annotations(self) -> AnnotationFile | None:
        """The annotations as the build reads them, or None (see :attr:`annotation_data`)."""
        if self.annotation_data is None:
            return None
        return parse_annotations(self.annotation_data)


def check_document(
    project: Project,
    doc_id: str,
    files: Sequence[Path],
    schema: Schema | None,
    *,
    cache: Cache | None = None,
    normalised: bool = True,
) -> CheckedDocument:
    """Check the stored article ``doc_id`` and ``files``, its annotation files (usually the one
    ``annotations/<doc_id>.json``, or none), reading each file once. ``cache`` and
    ``normalised``: see :func:`~newscorpus.validate_corpus.check_article`.

    Returns:
        The issues in check order, and what the build reuses. Never raises on file content.
    """
    article = check_article(project, doc_id, cache=cache, normalised=normalised)
    issues = list(article.issues)
    kept = None
    read = list(article.read_sha256)
    project_file = annotation_path(project, doc_id)
    for file in files:
        problems, data = read_file(project, file)
        found, parsed = problems, None
        if data is not None:
            found, parsed = check_bytes(project, file, data, schema, article.text, known=True)
        read.append(hashlib.sha256(data).hexdigest() if data is not None else None)
        issues += found
        if file == project_file:
            kept = parsed
    return CheckedDocument(tuple(issues), article, kept, tuple(read))


def load_schema(project: Project) -> tuple[Schema | None, list[Issue]]:
    """The project's schema, or None and the issue saying why it cannot be loaded (E003)."""
    try:
        return Schema.load(project.schema_path), []
    except NewscorpusError as err:
        where = printable(project.relative(project.schema_path))
        message = f"{one_line(err.message)} (Labels and relation signatures went unchecked.)"
        return None, [issue(err.code, where, message, one_line(err.fix))]


def check_file(
    project: Project,
    file: Path,
    schema: Schema | None,
    text: str | None,
    *,
    known: bool,
) -> tuple[list[Issue], Any]:
    """The issues of one annotation file (E144 unless its article is ``known``), and its parsed
    JSON when none of them is an error (else None).

    The file may be gold's, an annotator's or a review file (which also gets
    :func:`newscorpus.review.review_issues`): the same checks apply to all three.
    """
    problems, data = read_file(project, file)
    if data is None:
        return problems, None
    return check_bytes(project, file, data, schema, text, known=known)


def read_file(project: Project, file: Path) -> tuple[list[Issue], bytes | None]:
    """The bytes of an annotation file, or the issue that kept it from being read."""
    reason = not_a_file(file)
    if reason is not None:  # reading a pipe would block
        return [irregular_issue(entry_name(project, file), reason)], None
    try:
        return [], file.read_bytes()
    except OSError as err:
        path = printable(project.relative(file))
        problem = issue("E101", path, f"cannot be read: {err.strerror}.", "Check its permissions.")
        return [problem], None


def check_bytes(
    project: Project,
    file: Path,
    data: bytes,
    schema: Schema | None,
    text: str | None,
    *,
    known: bool,
) -> tuple[list[Issue], Any]:
    """:func:`check_file` of the bytes read from ``file``."""
    path = printable(project.relative(file))
    review = is_review_file(project, file)
    doc_id = file.stem
    missing = []
    if not known:
        missing.append(
            issue(
                "E144",
                path,
                f"there is no article {printable(doc_id)} in the corpus "
                f"({project.corpus_dir}/{printable(doc_id)}/ is missing); the file name is the "
                "document id.",
                "Add the article with `newscorpus add`, rename the file after its article, or "
                "delete it.",
            )
        )
    # Most files have no problem: parse them with the C decoder, and parse again with the
    # careful parser, which places every issue, only when there is something to report.
    clean = parse_clean(data)
    if clean is not None and not _document_issues(clean.data, schema, text, path, doc_id, review):
        return missing, None if missing else clean.data
    parsed = parse_annotation_bytes(data, path)
    issues = [*parsed.issues, *missing]
    if parsed.ok:
        issues += _document_issues(parsed.data, schema, text, path, doc_id, review)
    if any(i.severity == "error" for i in issues):
        return issues, None
    # Warnings only: the careful parser's values carry positions, so decode plainly, as
    # read_annotations does.
    return issues, json.loads(data.decode("utf-8"))


def _document_issues(
    data: Any, schema: Schema | None, text: str | None, path: str, doc_id: str, review: bool
) -> list[Issue]:
    issues = validate_document(data, schema, text, path=path, doc_id=doc_id)
    if review:
        issues += review_issues(data, schema, text, path)
    return issues


def is_review_file(project: Project, file: Path) -> bool:
    """Whether ``file`` lies in ``annotations/review/``."""
    folder = file.parent
    return folder.name == REVIEW_DIR and folder.resolve() == review_dir(project).resolve()


def files_by_id(files: Sequence[Path]) -> dict[str, list[Path]]:
    """``files`` by document id (the file name's stem), in their order."""
    by_id: dict[str, list[Path]] = {}
    for file in files:
        by_id.setdefault(file.stem, []).append(file)
    return by_id


def sort_issues(issues: Sequence[Issue]) -> tuple[Issue, ...]:
    """By file, then line and column (issues without a place first), then check order."""
    return tuple(sorted(issues, key=lambda i: (i.path, i.line or 0, i.column or 0)))
