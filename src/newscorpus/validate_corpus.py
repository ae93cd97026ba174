"""Checks of the stored corpus: complete entries, untouched raw articles, current normalised text.

Each article folder must hold ``meta.json``, ``raw.txt`` and ``text.txt`` (E212, E216), the raw
bytes must still hash to the ``raw_sha256`` recorded when the article was added (E215), and
``text.txt`` must be what the normaliser makes of ``raw.txt`` today (E214). The files are read
here directly rather than through :func:`newscorpus.corpus.load_article`, so that any content of
them becomes an issue, never an exception.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus import fastjson
from newscorpus.cache import Cache, recall_normalised, remember_normalised
from newscorpus.corpus import (
    META_FILE,
    RAW_FILE,
    TEXT_FILE,
    article_dir,
    is_id_text,
)
from newscorpus.errors import Issue, NewscorpusError
from newscorpus.listing import entries
from newscorpus.project import Project
from newscorpus.sources import is_utf8
from newscorpus.validate_json import describe, issue, one_line, printable, quoted, show

if TYPE_CHECKING:
    from newscorpus.normalise import Edit, Normalised

_RESTORE = (
    "Restore it from version control, or remove the folder and `newscorpus add` the article again."
)


@dataclass(frozen=True)
class CheckedArticle:
    """The problems of one corpus entry, and what was read and computed to find them: the
    build reuses these rather than reading and normalising the article a second time.

    Each value is None when it could not be had (a missing file, bytes that are not UTF-8, a
    ``meta.json`` that is not an object, raw text the normaliser refused).
    """

    issues: list[Issue]
    #: ``meta.json`` as parsed.
    meta: dict[str, Any] | None
    raw: str | None
    #: The stored normalised text (``text.txt``).
    text: str | None
    #: What the normaliser makes of ``raw`` today; its text equals ``text`` unless E214.
    normalised: Normalised | None
    #: When the cache vouched for ``text`` instead (``normalised`` is then None): the edits
    #: it remembered, as rows (see :meth:`edits`).
    remembered: list[Any] | None = None
    #: The sha256 of ``meta.json``, ``raw.txt`` and ``text.txt`` as read (None: unread), so
    #: that a result is cached under the key of the bytes it was made from.
    read_sha256: tuple[str | None, ...] = ()

    def edits(self) -> tuple[Edit, ...] | None:
        """What the normaliser changes in ``raw``: from ``normalised``, else from the cache;
        None when neither has them."""
        from newscorpus.normalise import Edit

        if self.normalised is not None:
            return self.normalised.edits
        return Edit.from_rows(self.remembered) if self.remembered is not None else None


def check_article(
    project: Project, doc_id: str, *, cache: Cache | None = None, normalised: bool = True
) -> CheckedArticle:
    """The problems of the article's entry, with its contents (see :class:`CheckedArticle`).

    With a ``cache``, each normalisation is remembered there, and unless the caller needs the
    ``normalised`` result (the build does: it needs the alignment), ``text.txt`` is known to be
    current without normalising ``raw.txt`` again when the cache holds what the rules made of
    these raw bytes and it hashes like ``text.txt`` (``normalised`` is then None).
    """
    folder = article_dir(project, doc_id)
    issues: list[Issue] = []
    meta_bytes = _read(project, folder / META_FILE, issues)
    meta = _parse_meta(project, folder, doc_id, meta_bytes, issues)
    raw_bytes = _read(project, folder / RAW_FILE, issues)
    text_bytes = _read(project, folder / TEXT_FILE, issues)
    read = tuple(_sha256(data) for data in (meta_bytes, raw_bytes, text_bytes))
    if raw_bytes is not None and meta is not None:
        _check_raw_hash(project, folder / RAW_FILE, raw_bytes, meta, issues)
    raw = _decode(project, folder / RAW_FILE, raw_bytes, issues)
    text = _decode(project, folder / TEXT_FILE, text_bytes, issues)
    result = remembered = None
    if raw is not None and text is not None and cache is None:
        result = _check_stale(project, folder / TEXT_FILE, raw, text, issues)
    elif raw is not None and text is not None:
        assert cache is not None and raw_bytes is not None and text_bytes is not None
        raw_sha256 = hashlib.sha256(raw_bytes).hexdigest()
        recalled = None if normalised else recall_normalised(cache, project, raw_sha256)
        if recalled is not None and recalled[0] == hashlib.sha256(text_bytes).hexdigest():
            remembered = recalled[1]
        else:
            result = _check_stale(project, folder / TEXT_FILE, raw, text, issues)
            if result is not None:
                remember_normalised(cache, project, raw_sha256, result)
    return CheckedArticle(issues, meta, raw, text, result, remembered, read)


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def duplicate_articles(project: Project, stored: Iterable[str]) -> list[Issue]:
    """E222 for every article whose raw sha256 (as recorded in ``meta.json``) an article with
    a smaller id already has: the same article stored twice."""
    first: dict[str, str] = {}
    issues: list[Issue] = []
    for doc_id in sorted(stored):
        try:
            meta = fastjson.loads((project.corpus / doc_id / META_FILE).read_bytes())
            digest = meta["raw_sha256"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            continue  # check_article reports an unreadable meta.json
        if not isinstance(digest, str):
            continue
        if digest in first:
            issues.append(
                issue(
                    "E222",
                    printable(project.relative(project.corpus / doc_id)),
                    f"article {printable(doc_id)} is the same article as "
                    f"{printable(first[digest])} (raw sha256 {digest[:12]}...).",
                    f"Keep one: move any annotations of {printable(doc_id)} to the other, then "
                    f"delete corpus/{printable(doc_id)}/ and its annotation file.",
                )
            )
        else:
            first[digest] = doc_id
    return issues


def stray_entries(project: Project, stored: Collection[str]) -> list[Issue]:
    """Folders in the corpus other than the ``stored`` articles' (see
    :func:`~newscorpus.corpus.doc_ids`): hidden folders (left by an interrupted ``add`` of
    newscorpus before 0.2), folders whose names are not UTF-8 and folders without
    ``meta.json``, entries that commands silently skip. Hidden ones first, then by name."""
    listed = entries(project.corpus)
    if listed is None:
        return []
    hidden: list[Issue] = []
    others: list[Issue] = []
    for name in sorted(name for name, kind in listed if kind == "dir" and name not in stored):
        where = printable(project.relative(project.corpus / name))
        if name.startswith("."):
            hidden.append(
                issue(
                    "E212",
                    where,
                    f"hidden folder {printable(name)} is not a corpus entry (an interrupted "
                    "`add` of an older newscorpus left it); every command skips it.",
                    f"Delete it: rm -r {where}",
                )
            )
        elif not is_id_text(name):
            others.append(
                issue(
                    "E212",
                    where,
                    f"corpus entry {printable(name)} has a name that is not UTF-8, so it cannot "
                    "be a document id and every command skips it.",
                    "Rename the folder to the article's id (the id in its meta.json).",
                )
            )
        else:
            others.append(
                issue(
                    "E212",
                    where,
                    f"corpus entry {printable(name)} has no {META_FILE}, so every command "
                    "skips it.",
                    _RESTORE,
                )
            )
    return hidden + others


def _read(project: Project, path: Path, issues: list[Issue]) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as err:
        what = (
            "is missing"
            if isinstance(err, FileNotFoundError)
            else f"cannot be read ({err.strerror})"
        )
        issues.append(
            issue("E212", printable(project.relative(path)), f"{path.name} {what}.", _RESTORE)
        )
        return None


def _decode(project: Project, path: Path, data: bytes | None, issues: list[Issue]) -> str | None:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        issues.append(
            issue(
                "E212",
                printable(project.relative(path)),
                f"{path.name} is not valid UTF-8 (byte 0x{data[err.start]:02x} at byte offset "
                f"{err.start}).",
                _RESTORE,
            )
        )
        return None


def _parse_meta(
    project: Project, folder: Path, doc_id: str, data: bytes | None, issues: list[Issue]
) -> dict[str, Any] | None:
    path = folder / META_FILE
    where = printable(project.relative(path))
    if data is None:
        return None
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        reason = err.msg if isinstance(err, json.JSONDecodeError) else type(err).__name__
        issues.append(issue("E212", where, f"{META_FILE} cannot be parsed: {reason}.", _RESTORE))
        return None
    if not isinstance(meta, dict):
        issues.append(
            issue("E212", where, f"{META_FILE} holds {describe(meta)}, not an object.", _RESTORE)
        )
        return None
    if meta.get("id") != doc_id:
        issues.append(
            issue(
                "E216",
                where,
                f"id is {quoted(meta.get('id'))} but the article's folder is named "
                f"{printable(doc_id)}; the folder name is the document id.",
                f"Set id to {show(doc_id)}.",
            )
        )
    issues += meta_field_issues(meta, where)
    return meta


#: The fields of ``meta.json`` that the build writes as string columns and exports copy.
_TEXT_FIELDS = ("source_file", "title", "category", "url", "published", "language", "license")


def meta_field_issues(meta: dict[str, Any], where: str) -> list[Issue]:
    """E212 for a text field of ``meta`` that is not text (the build's string column cannot
    hold it) or holds a lone surrogate (UTF-8, which every output is, cannot). ``where``
    names the file."""
    issues = []
    for name in _TEXT_FIELDS:
        value = meta.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problem = f"{name} is {describe(value)}; it must be text or null."
        elif not is_utf8(value):
            problem = f"{name} holds a lone surrogate ({quoted(value)}), which UTF-8 cannot hold."
        else:
            continue
        issues.append(issue("E212", where, problem, f"Correct {name} in {META_FILE}."))
    return issues


def _check_raw_hash(
    project: Project, path: Path, data: bytes, meta: dict[str, Any], issues: list[Issue]
) -> None:
    recorded = meta.get("raw_sha256")
    where = printable(project.relative(path))
    if not isinstance(recorded, str):
        issues.append(
            issue(
                "E212",
                printable(project.relative(path.parent / META_FILE)),
                f"raw_sha256 is {describe(recorded)}; it must be the sha256 of {RAW_FILE}.",
                _RESTORE,
            )
        )
        return
    actual = hashlib.sha256(data).hexdigest()
    if actual != recorded:
        issues.append(
            issue(
                "E215",
                where,
                f"{RAW_FILE} hashes to {actual[:12]}... but {META_FILE} records raw_sha256 "
                f"{printable(recorded[:12])}...: the raw article was modified.",
                f"Restore it (`git checkout -- {where}`) and fix text problems with normaliser "
                "rules; for a deliberate correction, record it with `newscorpus renormalise "
                "--accept-raw-edits`.",
            )
        )


def _check_stale(
    project: Project, path: Path, raw: str, text: str, issues: list[Issue]
) -> Normalised | None:
    """What the normaliser makes of ``raw`` (None when it refuses), reporting E214 when that is
    not ``text``."""
    from newscorpus.normalise import normalise

    where = printable(project.relative(path))
    try:
        normalised = normalise(raw, rules=project.normalise_rules)
    except NewscorpusError as err:
        issues.append(issue(err.code, where, one_line(err.message), one_line(err.fix)))
        return None
    expected = normalised.text
    if expected == text:
        return normalised
    at = next((i for i, (a, b) in enumerate(zip(text, expected, strict=False)) if a != b), None)
    if at is None:
        at = min(len(text), len(expected))
    issues.append(
        issue(
            "E214",
            where,
            f"{TEXT_FILE} differs from the normaliser's output for {RAW_FILE} from character "
            f"{at}: it has {show(text[at : at + 30])} where the normaliser gives "
            f"{show(expected[at : at + 30])} (stale corpus).",
            "Regenerate it with `newscorpus renormalise` (it moves the annotations along); "
            "never edit text.txt by hand.",
        )
    )
    return normalised
