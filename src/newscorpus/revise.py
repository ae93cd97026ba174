"""Apply text changes to the corpus and carry the annotations along.

``renormalise`` rewrites ``text.txt`` after a rule change (or an accepted correction of a raw
article) and re-anchors each document's annotations in the same step; ``reanchor`` moves stale
annotations onto the current text, finding the text they were made on in git history by its
sha256. Both move every annotation file of a document: gold's and each annotator set's. Both
are all or nothing: when an annotation would be lost and the caller did not allow it, no file
is written. A document with a review file (``adjudicate``'s open conflicts, each annotator's
version on the old text) is refused until its review is done.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from newscorpus.annotations import (
    AnnotationFile,
    annotation_path,
    read_annotations,
    review_path,
    text_sha256,
)
from newscorpus.annotators import annotator_names
from newscorpus.corpus import (
    META_FILE,
    RAW_FILE,
    TEXT_FILE,
    ArticleMeta,
    article_dir,
    doc_ids,
    iter_articles,
    load_article,
)
from newscorpus.errors import InputError, NewscorpusError
from newscorpus.normalise import Normalised, normalise, title_of
from newscorpus.project import Project
from newscorpus.reanchor import Reanchored, describe, reanchor

if TYPE_CHECKING:
    from newscorpus.txn import Transaction


@dataclass(frozen=True)
class Revision:
    """One document whose text changed, and what happened to its annotations."""

    doc_id: str
    result: Reanchored | None
    #: The re-anchored annotation file to write, when the annotations were moved.
    moved: AnnotationFile | None = None
    #: Why the annotations were not moved, when they were not (e.g. already stale).
    note: str = ""
    #: Whose annotations: None for gold, else the annotator set's name.
    annotator: str | None = None


def renormalise(
    project: Project, *, drop_lost: bool = False, accept_raw_edits: bool = False
) -> list[Revision]:
    """Rewrite every changed ``text.txt`` from ``raw.txt`` and re-anchor its annotations.

    Raises:
        NewscorpusError: E215 when a raw article no longer matches its recorded sha256 (and
            ``accept_raw_edits`` is off); E217 when annotations would be lost (and
            ``drop_lost`` is off). No file is written in either case.
    """
    from newscorpus.txn import transaction

    with transaction(project, "renormalise") as txn:
        return _renormalise(project, txn, drop_lost, accept_raw_edits)


def _renormalise(
    project: Project, txn: Transaction, drop_lost: bool, accept_raw_edits: bool
) -> list[Revision]:
    revisions: list[Revision] = []
    names = annotator_names(project)  # listed once, not per article
    for article in iter_articles(project):
        folder = article_dir(project, article.id)
        meta = article.meta
        raw_sha = hashlib.sha256((folder / RAW_FILE).read_bytes()).hexdigest()
        if raw_sha != meta.raw_sha256:
            if not accept_raw_edits:
                raise NewscorpusError(
                    "E215",
                    f"raw.txt no longer matches the sha256 recorded when it was added "
                    f"({meta.raw_sha256[:12]}..., now {raw_sha[:12]}...).",
                    fix="Restore it from version control; if the edit is a deliberate "
                    "correction, run `newscorpus renormalise --accept-raw-edits`.",
                    where=project.relative(folder / RAW_FILE),
                )
            meta = replace(meta, raw_sha256=raw_sha)
        result = normalise(article.raw, project.normalise_rules)
        if result.text != article.text:
            _refuse_review(project, article.id)
            meta = _rederived(meta, article.text, result)
            txn.write_text(folder / TEXT_FILE, result.text)
            for annotator in _sets_of(project, article.id, names):
                revision = _carry_annotations(
                    project, article.id, article.text, result.text, drop_lost, annotator
                )
                if revision.moved is not None:
                    path = annotation_path(project, article.id, annotator)
                    txn.write_json(path, revision.moved.to_dict())
                revisions.append(revision)
        if meta != article.meta:
            txn.write_json(folder / META_FILE, meta.to_dict())
    return revisions


def reanchor_documents(
    project: Project,
    ids: Sequence[str],
    *,
    old_text: str | None = None,
    drop_lost: bool = False,
    dry_run: bool = False,
) -> list[Revision]:
    """Move stale annotations of ``ids`` onto their documents' current normalised text.

    The text the annotations were made on is ``old_text`` when given, else the version of
    ``corpus/<id>/text.txt`` in git history whose sha256 equals the file's ``text_sha256``.

    Raises:
        InputError: E213 unknown id; E218 the old text cannot be found.
        NewscorpusError: E217 when annotations would be lost and ``drop_lost`` is off.
    """
    from newscorpus.txn import transaction

    with transaction(project, "reanchor", dry_run=dry_run) as txn:
        return _reanchor(project, txn, ids, old_text, drop_lost)


def _reanchor(
    project: Project,
    txn: Transaction,
    ids: Sequence[str],
    old_text: str | None,
    drop_lost: bool,
) -> list[Revision]:
    known = set(doc_ids(project))
    names = annotator_names(project)
    revisions = []
    for doc_id in ids:
        if doc_id not in known:
            raise InputError(
                "E213",
                f"no article with id {doc_id!r} in the corpus.",
                fix="Check the id (`ls corpus/`).",
            )
        text = load_article(project, doc_id).text
        # Files made on another text than --old-text (sets go stale at different times): each
        # is moved from its own text in git, else left with a note, unless none is moved.
        elsewhere: list[tuple[str | None, InputError]] = []
        moved = 0
        for annotator in _sets_of(project, doc_id, names):
            path = annotation_path(project, doc_id, annotator)
            if not path.exists() and not path.is_symlink():
                revisions.append(Revision(doc_id, None, note="no annotations"))
                continue
            annotations = _read_checked(project, doc_id, annotator)
            if annotations.text_sha256 == text_sha256(text):
                note = "already anchored to the current text"
                revisions.append(Revision(doc_id, None, note=note, annotator=annotator))
                continue
            _refuse_review(project, doc_id)
            if old_text is not None and text_sha256(old_text) == annotations.text_sha256:
                previous = old_text
            else:
                try:
                    previous = _text_from_git(project, doc_id, annotations, annotator)
                except InputError:
                    if old_text is None:
                        raise
                    elsewhere.append((annotator, _not_the_old_text(project, path, annotations)))
                    continue
            revision = _carry_annotations(project, doc_id, previous, text, drop_lost, annotator)
            if revision.moved is not None:
                txn.write_json(path, revision.moved.to_dict())
                moved += 1
            revisions.append(revision)
        if elsewhere and not moved:
            raise elsewhere[0][1]
        for annotator, _ in elsewhere:
            note = (
                "made on another text than --old-text; move them with `newscorpus reanchor "
                f"{doc_id} --old-text FILE` naming that text"
            )
            revisions.append(Revision(doc_id, None, note=note, annotator=annotator))
    return revisions


def _not_the_old_text(project: Project, path: Path, annotations: AnnotationFile) -> InputError:
    return InputError(
        "E218",
        "the given old text is not the text these annotations were made on "
        f"(its sha256 is not {annotations.text_sha256[:12]}...).",
        fix="Pass the exact earlier text.txt with --old-text.",
        where=project.relative(path),
    )


def _sets_of(project: Project, doc_id: str, names: Sequence[str]) -> list[str | None]:
    """Gold (None), then each of the annotator sets ``names`` that has a file of ``doc_id``."""
    sets: list[str | None] = [None]
    for name in names:
        path = annotation_path(project, doc_id, name)
        if path.exists() or path.is_symlink():
            sets.append(name)
    return sets


def _refuse_review(project: Project, doc_id: str) -> None:
    """Refuse to change the text under a review file: its conflicts hold each annotator's
    version on the old text, and its gold hash the gold that is moved.

    Raises:
        NewscorpusError: E223 naming the review file.
    """
    path = review_path(project, doc_id)
    if path.exists() or path.is_symlink():
        raise NewscorpusError(
            "E223",
            f"document {doc_id} is under review, and the review's conflicts hold each "
            "annotator's version on the current text; no file was changed.",
            fix="Finish the review first (resolve its conflicts, then `newscorpus adjudicate`), "
            "or delete the review file: adjudicate makes it again from the moved sets.",
            where=project.relative(path),
        )


def _rederived(meta: ArticleMeta, old_text: str, result: Normalised) -> ArticleMeta:
    """``meta`` with the category and headline of the new text, so a corrected headline (or a
    rule change) reaches the dataset; a title given at ``add`` (not the old headline) is kept."""
    title = result.title if meta.title == title_of(old_text) else meta.title
    return replace(meta, title=title, category=result.category)


def _carry_annotations(
    project: Project,
    doc_id: str,
    old_text: str,
    new_text: str,
    drop_lost: bool,
    annotator: str | None = None,
) -> Revision:
    path = annotation_path(project, doc_id, annotator)
    if not path.exists() and not path.is_symlink():
        return Revision(doc_id, None, note="no annotations", annotator=annotator)
    annotations = _read_checked(project, doc_id, annotator)
    if annotations.text_sha256 == text_sha256(new_text):
        # text.txt had been edited away from the normaliser's output; regenerating it brought
        # back the text the annotations were made on.
        note = "already anchored to the new text"
        return Revision(doc_id, None, note=note, annotator=annotator)
    if annotations.text_sha256 != text_sha256(old_text):
        return Revision(
            doc_id,
            None,
            note="annotations were already stale; move them with `newscorpus reanchor "
            f"{doc_id} --old-text FILE`",
            annotator=annotator,
        )
    beyond = [e for e in annotations.entities if e.end > len(old_text) or e.start < 0]
    if beyond:
        e = beyond[0]
        raise NewscorpusError(
            "E112",
            f"{e.id} [{e.start}, {e.end}) ends past the end of the text it was made on "
            f"({len(old_text)} characters), so it cannot be moved. No file was changed.",
            fix="Fix its offsets (`newscorpus validate` lists such spans), then run the command "
            "again.",
            where=project.relative(annotation_path(project, doc_id, annotator)),
        )
    result = reanchor(old_text, new_text, annotations.entities, annotations.relations)
    if result.lost and not drop_lost:
        listed = "; ".join(describe(o) for o in result.lost)
        raise NewscorpusError(
            "E217",
            f"{len(result.lost)} annotation(s) would be lost because their text was removed: "
            f"{listed}. No file was changed.",
            fix="Check the change; to drop them, run the command again with --drop-lost.",
            where=project.relative(path),
        )
    moved = AnnotationFile(
        annotations.doc_id,
        text_sha256(new_text),
        result.entities,
        result.relations,
        annotations.extra,
    )
    return Revision(doc_id, result, moved, annotator=annotator)


def _read_checked(project: Project, doc_id: str, annotator: str | None = None) -> AnnotationFile:
    """The document's annotations, once the validator has found the file readable.

    Raises:
        NewscorpusError: the first problem that keeps the file from being read (E101-E107,
            E115, E116), with its code and place.
    """
    from newscorpus.validate_file import file_problems

    problems = file_problems(project, doc_id, annotator)
    if problems:
        first = problems[0]
        where = first.path
        if first.line is not None:
            where += f":{first.line}" + (f":{first.column}" if first.column is not None else "")
        more = f" ({len(problems) - 1} more problem(s) in the file)" if len(problems) > 1 else ""
        then = (
            "Then run the command again (`newscorpus validate` lists every problem); "
            "no file was changed."
        )
        raise NewscorpusError(
            first.code,
            f"{first.message}{more}",
            fix=f"{first.fix} {then}" if first.fix else then,
            where=where,
        )
    return read_annotations(annotation_path(project, doc_id, annotator))


def _text_from_git(
    project: Project, doc_id: str, annotations: AnnotationFile, annotator: str | None = None
) -> str:
    """The committed version of the document's text.txt whose sha256 the annotations name."""
    relative = project.relative(article_dir(project, doc_id) / TEXT_FILE)
    missing = InputError(
        "E218",
        f"cannot find the text these annotations were made on (sha256 "
        f"{annotations.text_sha256[:12]}...) in the git history of {relative}.",
        fix="Pass that earlier text with --old-text FILE.",
        where=project.relative(annotation_path(project, doc_id, annotator)),
    )
    try:
        revisions = subprocess.run(
            ["git", "log", "--format=%H", "--", relative],
            cwd=project.root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        raise missing from None
    for revision in revisions:
        shown = subprocess.run(
            ["git", "show", f"{revision}:{relative}"],
            cwd=project.root,
            capture_output=True,
            check=False,
        )
        if shown.returncode == 0 and hashlib.sha256(shown.stdout).hexdigest() == (
            annotations.text_sha256
        ):
            return shown.stdout.decode("utf-8")
    raise missing
