"""Ingest articles: read files, folders and JSONL, check ids and metadata, normalise, store.

``newscorpus add`` is a thin wrapper over :func:`read_inputs` and :func:`add_articles`. A batch is
all or nothing: every input is read and checked before the first article is stored.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newscorpus.cache import Cache, cache_dir, remember_normalised
from newscorpus.corpus import ArticleMeta, doc_ids, load_meta, stage_article
from newscorpus.errors import InputError
from newscorpus.project import DEFAULT_MAX_ARTICLE_BYTES, Project
from newscorpus.sources import (
    decode_text,
    is_utf8,
    read_bytes_bounded,
    read_text_file,
    too_large,
)

if TYPE_CHECKING:
    from newscorpus.txn import Transaction

#: Matched with ``fullmatch``: ``$`` would also accept a trailing newline.
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
_STOPWORDS = frozenset(
    "a an and the of to on in for with at by from as is are its".split()  # noqa: SIM905
)
_SLUG_WORDS = 6


#: What a safe slug is, in words, for messages.
SLUG_RULE = (
    "1-100 characters from a-z, 0-9, '-', '_' and '.', starting with a letter or digit, with "
    "no '/', '\\', '..', spaces, capitals or control characters"
)


def is_safe_slug(name: str) -> bool:
    """Whether ``name`` can name a folder or file of the project: document ids and annotator
    names alike.

    >>> is_safe_slug("india-japan-5g"), is_safe_slug("../x")
    (True, False)
    """
    return bool(_SLUG_RE.fullmatch(name)) and ".." not in name


def check_doc_id(doc_id: str, where: str = "--id") -> None:
    """Refuse ids that are not safe slugs: they name folders and files.

    Raises:
        InputError: E206 naming the id and the allowed characters.
    """
    if not is_safe_slug(doc_id):
        raise InputError(
            "E206",
            f"document id {doc_id!r} is not a safe slug: use {SLUG_RULE}.",
            fix="Pass another id with --id (for example india-japan-5g).",
            where=where,
        )


def slugify(text: str) -> str:
    """A readable id from a title: ASCII-folded, lowercase, stop words dropped, 6 words at most.

    >>> slugify("India and Japan finalize a historic agreement on 5G")
    'india-japan-finalize-historic-agreement-5g'
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = [w for w in re.findall(r"[a-z0-9]+", folded.lower()) if w not in _STOPWORDS]
    return "-".join(words[:_SLUG_WORDS])[:60].strip("-")


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article read from an input, checked, and ready to be stored."""

    raw_bytes: bytes
    where: str
    source_file: str | None
    doc_id: str | None = None
    url: str | None = None
    published: str | None = None
    title: str | None = None
    license: str | None = None


def read_inputs(
    paths: Sequence[Path],
    *,
    doc_id: str | None = None,
    url: str | None = None,
    published: str | None = None,
    limit: int = DEFAULT_MAX_ARTICLE_BYTES,
) -> list[NewArticle]:
    """Expand files, folders (their ``*.txt`` files) and JSONL files into articles to add.

    Args:
        limit: the largest article accepted, in bytes (the project's ``max_article_bytes``).

    Raises:
        InputError: for a missing, binary, non-UTF-8 or empty input, a bad JSONL record, a bad
            option value, or ``--id``/``--url``/``--published`` given for several articles;
            E219 a pipe or device, E220 an article above ``limit``, E221 a symlink in a folder
            that points outside it.
    """
    found: list[NewArticle] = []
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix == ".txt" and _inside(p, path))
            if not files:
                raise InputError(
                    "E202",
                    "is a directory with no .txt article files.",
                    fix="Pass article files, a folder of .txt files, or a .jsonl file.",
                    where=str(path),
                )
            found += [_read_file(p, limit) for p in files]
        elif path.suffix == ".jsonl":
            found += list(_read_jsonl(path, limit))
        else:
            found.append(_read_file(path, limit))
    if len(found) > 1 and (doc_id or url or published):
        raise InputError(
            "E210",
            f"--id, --url and --published apply to one article, but {len(found)} were given.",
            fix="Add the articles one at a time, or put per-article values in a JSONL file.",
        )
    if found and (doc_id or url or published):
        first = found[0]
        found[0] = NewArticle(
            first.raw_bytes,
            first.where,
            first.source_file,
            doc_id or first.doc_id,
            url or first.url,
            published or first.published,
            first.title,
            first.license,
        )
    for article in found:
        _check_values(article)
    return found


def _inside(entry: Path, folder: Path) -> bool:
    """Whether a folder's entry is a file to read: symlinks leading out of it are refused.

    Raises:
        InputError: E221 for a symlink whose target lies outside ``folder``.
    """
    if entry.is_symlink():
        target = entry.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise InputError(
                "E221",
                f"is a symlink to {target}, outside the folder being added; files outside it "
                "are not read through links.",
                fix="Copy the file into the folder, or pass its path directly.",
                where=str(entry),
            )
    return not entry.is_dir()


def _read_file(path: Path, limit: int) -> NewArticle:
    raw = read_bytes_bounded(path, limit)
    decode_text(raw, str(path))  # refuses binary, non-UTF-8 and empty files
    return NewArticle(raw_bytes=raw, where=str(path), source_file=path.name)


def _read_jsonl(path: Path, limit: int) -> Iterator[NewArticle]:
    # The batch file is read whole: its size is the batch's, each article in it is bounded.
    text = read_text_file(path)
    allowed = {"text", "id", "url", "published", "title", "license", "source_file"}
    # Lines end at "\n" only: str.splitlines would also end one at a U+2028 or U+0085 that
    # a JSON string may hold as it is.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(
                "E209",
                f"is not valid JSON: {err.msg} (column {err.colno}).",
                fix="Write one JSON object per line.",
                where=where,
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(
                "E209",
                'must be a JSON object with a string "text".',
                fix='Write e.g. {"text": "...", "id": "my-article", "url": "https://..."}.',
                where=where,
            )
        unknown = sorted(set(record) - allowed)
        bad = [
            k
            for k in sorted(allowed - {"text"})
            if record.get(k) is not None and not isinstance(record[k], str)
        ]
        if unknown or bad:
            raise InputError(
                "E209",
                f"has unknown keys {unknown} or non-string values for {bad}; "
                f"allowed keys: {', '.join(sorted(allowed))}.",
                fix="Remove or rename the keys; all values are strings.",
                where=where,
            )
        for key, value in sorted(record.items()):
            if isinstance(value, str) and not is_utf8(value):
                raise InputError(
                    "E209",
                    f"{key!r} holds a lone surrogate escape (such as \\ud800), a character "
                    "UTF-8 cannot hold.",
                    fix="Write the character the escape stood for, or remove it.",
                    where=where,
                )
        data = record["text"].encode("utf-8")
        if len(data) > limit:
            raise too_large(where, limit)
        decode_text(data, where)
        yield NewArticle(
            raw_bytes=data,
            where=where,
            source_file=record.get("source_file") or f"{path.name}#L{number}",
            doc_id=record.get("id"),
            url=record.get("url"),
            published=record.get("published"),
            title=record.get("title"),
            license=record.get("license"),
        )


#: Unicode categories that break a line or control a terminal: not in one-line metadata.
_CATEGORY_NAMES = {
    "Cc": "a control character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
_NOT_ONE_LINE = frozenset(_CATEGORY_NAMES)


def _check_values(article: NewArticle) -> None:
    if article.doc_id is not None:
        check_doc_id(article.doc_id, where=article.where)
    # Shown on one line in listings, cards and the viewer: a control character (a terminal
    # escape) or a line break has no place in them.
    for key in ("title", "license", "source_file"):
        value = getattr(article, key)
        bad = next((c for c in value or "" if unicodedata.category(c) in _NOT_ONE_LINE), None)
        if bad is not None:
            raise InputError(
                "E210",
                f"{key} holds U+{ord(bad):04X} ({_CATEGORY_NAMES[unicodedata.category(bad)]}); "
                "it must be one line of plain text.",
                fix=f"Remove it from the {key} (write a space for a line break)"
                + (", or rename the file." if key == "source_file" else "."),
                where=article.where,
            )
    if article.url is not None and not re.fullmatch(r"https?://\S+", article.url):
        raise InputError(
            "E210",
            f"url {article.url!r} is not an http(s) URL.",
            fix="Pass the article's address, e.g. --url https://example.com/story.",
            where=article.where,
        )
    if article.published is not None:
        try:
            date.fromisoformat(article.published[:10])
            if len(article.published) > 10:
                datetime.fromisoformat(article.published)
        except ValueError:
            raise InputError(
                "E210",
                f"published date {article.published!r} is not an ISO 8601 date.",
                fix="Pass e.g. --published 2020-10-07 (or 2020-10-07T09:30:00+05:30).",
                where=article.where,
            ) from None


def add_articles(project: Project, articles: Iterable[NewArticle]) -> list[ArticleMeta]:
    """Normalise and store articles; all of them or, on any error, none.

    Raises:
        InputError: E207 for an article already stored (same raw sha256), E208 for an id in use.
    """
    from newscorpus.txn import transaction

    # Duplicates and ids in use are checked under the lock the writes take, so two `add`s
    # running at once cannot both store the same article or take the same id.
    with transaction(project, "add") as txn:
        return _stage_articles(txn, articles)


def _stage_articles(txn: Transaction, articles: Iterable[NewArticle]) -> list[ArticleMeta]:
    from newscorpus.normalise import normalise

    project = txn.project
    cache = Cache(cache_dir(project))
    known = {load_meta(project, i).raw_sha256: i for i in doc_ids(project)}
    taken = set(known.values())
    # raw sha256 -> where in this batch the article was read, to name both copies.
    batch: dict[str, str] = {}
    added: list[ArticleMeta] = []
    for article in articles:
        digest = hashlib.sha256(article.raw_bytes).hexdigest()
        if digest in batch:
            raise InputError(
                "E207",
                f"this article is also at {batch[digest]}, earlier in this batch (same raw "
                f"sha256 {digest[:12]}...); nothing was added.",
                fix="Remove one of the two copies from the input.",
                where=article.where,
            )
        if digest in known:
            raise InputError(
                "E207",
                f"this article is already in the corpus as {known[digest]} (same raw sha256 "
                f"{digest[:12]}...).",
                fix=f"Nothing to do; to re-import it, remove corpus/{known[digest]}/ first.",
                where=article.where,
            )
        raw = article.raw_bytes.decode("utf-8")
        result = normalise(raw, project.normalise_rules)
        if not result.text.strip():
            raise InputError(
                "E205",
                "holds no article text once site boilerplate is removed "
                f"({len(result.edits)} edit(s); see `newscorpus normalise --explain`).",
                fix="Check the scrape, and pass the article's text.",
                where=article.where,
            )
        # So that validate knows text.txt is current without normalising again.
        remember_normalised(cache, project, digest, result)
        title = article.title or result.title
        doc_id = article.doc_id
        if doc_id is None:
            doc_id = _free_id(slugify(title or Path(article.source_file or "article").stem), taken)
        elif doc_id in taken:
            raise InputError(
                "E208",
                f"document id {doc_id!r} is already in use.",
                fix='Pass another id with --id (or an "id" in the JSONL record).',
                where=article.where,
            )
        taken.add(doc_id)
        batch[digest] = article.where
        meta = ArticleMeta(
            id=doc_id,
            source_file=article.source_file,
            title=title,
            category=result.category,
            url=article.url,
            published=article.published,
            language=project.language,
            license=article.license or "unknown",
            raw_sha256=digest,
        )
        stage_article(txn, meta, article.raw_bytes, result.text)
        added.append(meta)
    return added


def _free_id(base: str, taken: set[str]) -> str:
    base = base or "article"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
