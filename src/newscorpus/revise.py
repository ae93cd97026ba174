"""Apply text changes to the corpus and carry the annotations along.

``renormalise`` rewrites ``text.txt`` after a rule change (or an accepted correction of a raw
article) and re-anchors each document's annotations in the same step; ``reanchor`` moves stale
annotations onto the current text, finding the text they were made on in git history by its
sha256. Both are all or nothing: when an annotation would be lost and the caller did not allow
it, no file is written.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from newscorpus.annotations import (
    AnnotationFile,
    annotation_path,
    read_annotations,
    text_sha256,
)
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
            meta = _rederived(meta, article.text, result)
            txn.write_text(folder / TEXT_FILE, result.text)
            revision = _carry_annotations(project, article.id, article.text, result.text, drop_lost)
            if revision.moved is not None:
                txn.write_json(annotation_path(project, article.id), revision.moved.to_dict())
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
    revisions = []
    for doc_id in ids:
        if doc_id not in known:
            raise InputError(
                "E213",
                f"no article with id {doc_id!r} in the corpus.",
                fix="Check the id (`ls corpus/`).",
            )
        path = annotation_path(project, doc_id)
        if not path.exists() and not path.is_symlink():
            revisions.append(Revision(doc_id, None, note="no annotations"))
            continue
        annotations = _read_checked(project, doc_id)
        text = load_article(project, doc_id).text
        if annotations.text_sha256 == text_sha256(text):
            revisions.append(Revision(doc_id, None, note="already anchored to the current text"))
            continue
        previous = (
            old_text if old_text is not None else _text_from_git(project, doc_id, annotations)
        )
        if text_sha256(previous) != annotations.text_sha256:
            raise InputError(
                "E218",
                "the given old text is not the text these annotations were made on "
                f"(its sha256 is not {annotations.text_sha256[:12]}...).",
                fix="Pass the exact earlier text.txt with --old-text.",
                where=project.relative(path),
            )
        revision = _carry_annotations(project, doc_id, previous, text, drop_lost)
        if revision.moved is not None:
            txn.write_json(path, revision.moved.to_dict())
        revisions.append(revision)
    return revisions


def _rederived(meta: ArticleMeta, old_text: str, result: Normalised) -> ArticleMeta:
    """``meta`` with the category and headline of the new text, so a corrected headline (or a
    rule change) reaches the dataset; a title given at ``add`` (not the old headline) is kept."""
    title = result.title if meta.title == title_of(old_text) else meta.title
    return replace(meta, title=title, category=result.category)


def _carry_annotations(
    project: Project, doc_id: str, old_text: str, new_text: str, drop_lost: bool
) -> Revision:
    path = annotation_path(project, doc_id)
    if not path.exists() and not path.is_symlink():
        return Revision(doc_id, None, note="no annotations")
    annotations = _read_checked(project, doc_id)
    if annotations.text_sha256 == text_sha256(new_text):
        # text.txt had been edited away from the normaliser's output; regenerating it brought
        # back the text the annotations were made on.
        return Revision(doc_id, None, note="already anchored to the new text")
    if annotations.text_sha256 != text_sha256(old_text):
        return Revision(
            doc_id,
            None,
            note="annotations were already stale; move them with `newscorpus reanchor "
            f"{doc_id} --old-text FILE`",
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
    return Revision(doc_id, result, moved)


def _read_checked(project: Project, doc_id: str) -> AnnotationFile:
    """The document's annotations, once the validator has found the file readable.

    Raises:
        NewscorpusError: the first problem that keeps the file from being read (E101-E107,
            E115, E116), with its code and place.
    """
    from newscorpus.validate_file import file_problems

    problems = file_problems(project, doc_id)
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
    return read_annotations(annotation_path(project, doc_id))


def _text_from_git(project: Project, doc_id: str, annotations: AnnotationFile) -> str:
    """The committed version of the document's text.txt whose sha256 the annotations name."""
    relative = project.relative(article_dir(project, doc_id) / TEXT_FILE)
    missing = InputError(
        "E218",
        f"cannot find the text these annotations were made on (sha256 "
        f"{annotations.text_sha256[:12]}...) in the git history of {relative}.",
        fix="Pass that earlier text with --old-text FILE.",
        where=project.relative(annotation_path(project, doc_id)),
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
