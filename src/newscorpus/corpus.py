"""The stored corpus: raw articles kept verbatim, their metadata, and their normalised text.

Layout, one folder per document id::

    corpus/<doc_id>/raw.txt      the scraped bytes, never modified
    corpus/<doc_id>/meta.json    metadata (see ArticleMeta)
    corpus/<doc_id>/text.txt     the normaliser's output, checked in so rule changes show as diffs

Documents are always visited in sorted id order, one at a time, so builds stream.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus import fastjson
from newscorpus.errors import NewscorpusError
from newscorpus.listing import entries, is_file
from newscorpus.project import Project

if TYPE_CHECKING:
    from newscorpus.txn import Transaction

RAW_FILE = "raw.txt"
META_FILE = "meta.json"
TEXT_FILE = "text.txt"


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What is known about an article besides its text."""

    id: str
    source_file: str | None
    title: str | None
    category: str | None
    url: str | None
    published: str | None
    language: str
    license: str
    raw_sha256: str

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict, which deep-copies: every export asks once per document.
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleMeta:
        values: dict[str, Any] = {name: data.get(name) for name in cls.__dataclass_fields__}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Article:
    """One stored article: raw text, metadata and the checked-in normalised text."""

    meta: ArticleMeta
    raw: str
    text: str

    @property
    def id(self) -> str:
        return self.meta.id


def article_dir(project: Project, doc_id: str) -> Path:
    return project.corpus / doc_id


def doc_ids(project: Project) -> list[str]:
    """Ids of every stored article, sorted.

    Raises:
        NewscorpusError: E014 when the corpus folder or an entry of it cannot be looked into.
    """
    root = str(project.corpus)
    listed = entries(project.corpus) or []
    names = [name for name, _ in listed if not name.startswith(".") and is_id_text(name)]
    # Strings, not Path objects: half the cost, paid for every article by every build.
    return sorted(n for n in names if is_file(os.path.join(root, n, META_FILE)))  # noqa: PTH118


def is_id_text(name: str) -> bool:
    """Whether a folder name can be a document id: text, not bytes that are not UTF-8 (which
    Python hands over as lone surrogates, and no output file can hold). ``validate`` reports
    the others (E212); every command skips them, as it skips hidden folders."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_meta(project: Project, doc_id: str) -> ArticleMeta:
    """Read one stored article's metadata only (what duplicate checks and exports need).

    Raises:
        NewscorpusError: E212 when meta.json is missing or unreadable.
    """
    return _read_entry(project, doc_id, with_texts=False).meta


def load_article(project: Project, doc_id: str) -> Article:
    """Read one stored article.

    Raises:
        NewscorpusError: E212 when a file of the entry is missing or unreadable.
    """
    return _read_entry(project, doc_id, with_texts=True)


def load_text(project: Project, doc_id: str) -> str:
    """The article's normalised text (``text.txt``) alone: what imports match and exports
    carry, without reading the raw article too.

    Raises:
        NewscorpusError: E212 when the file is missing or unreadable.
    """
    folder = article_dir(project, doc_id)
    try:
        return (folder / TEXT_FILE).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise _entry_error(project, doc_id, err) from None


def _entry_error(project: Project, doc_id: str, err: Exception) -> NewscorpusError:
    """E212: a file of the article's entry cannot be read as it should."""
    where = project.relative(article_dir(project, doc_id))
    return NewscorpusError(
        "E212",
        f"corpus entry {doc_id} is incomplete or corrupt: {err}.",
        fix=f"Restore {where} from version control, or remove it and `newscorpus add` the "
        "article again.",
        where=where,
    )


def _read_entry(project: Project, doc_id: str, *, with_texts: bool) -> Article:
    folder = article_dir(project, doc_id)
    try:
        data = fastjson.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError("meta.json is not a JSON object")
        meta = ArticleMeta.from_dict(data)
        raw = text = ""
        if with_texts:
            raw = (folder / RAW_FILE).read_bytes().decode("utf-8")
            text = (folder / TEXT_FILE).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as err:
        raise _entry_error(project, doc_id, err) from None
    return Article(meta=meta, raw=raw, text=text)


def iter_articles(project: Project) -> Iterator[Article]:
    """Stored articles in id order, read one at a time."""
    for doc_id in doc_ids(project):
        yield load_article(project, doc_id)


def stage_article(txn: Transaction, meta: ArticleMeta, raw_bytes: bytes, text: str) -> None:
    """Stage a new corpus entry (``raw.txt``, ``meta.json``, ``text.txt``) in ``txn``."""
    folder = article_dir(txn.project, meta.id)
    txn.write(folder / RAW_FILE, raw_bytes)
    txn.write_json(folder / META_FILE, meta.to_dict())
    txn.write_text(folder / TEXT_FILE, text)
