"""The per-document cache under ``.newscorpus/cache/``: results kept by the hash of their inputs.

A document's validation issues and rows depend only on its files' bytes and on a few project-
and tool-wide things; :func:`document_key` hashes all of them: the article's ``meta.json``,
``raw.txt`` and ``text.txt``, its annotation files, and the :func:`settings_key` that every
document shares (the schema, the normalise rules, the build settings, the library version and
the hash of its own source files, and the versions of pyarrow, datasets and spaCy). An entry
is stored with its key and the sha256 of its bytes; an entry that is unreadable, truncated,
does not match its checksum or names another key is ignored and computed again, so a corrupt
or foreign cache can cost time, never an output.

Files are hashed once: :class:`FileHashes` remembers each file's sha256 with its size,
modification and change times and inode (as git's index does), so an unchanged corpus is not
read again; the change time catches an edit that put the old modification time back. A file
changed within two seconds of when it was hashed is not remembered, so that a change made in
the same clock tick can never hide behind equal times.

The cache is private to this machine: it is written with plain atomic renames, not through
:func:`newscorpus.txn.transaction` (it is not part of the project), and ``newscorpus cache
clear`` or deleting the folder is always safe.

Entries live in one folder per *generation*, the library's :func:`fingerprint`: every key
includes it, so another version of the code (an upgrade, an edited checkout) can never use the
entries of this one, and without generations they would stay forever (2.2 GB per version
at 10,000 articles). :func:`prune`, run by ``build`` and ``validate``, keeps the
current generation and the one used last before it (for switching back and forth between two
versions) and deletes the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus import fastjson
from newscorpus.project import Project

if TYPE_CHECKING:
    from newscorpus.normalise import Normalised

#: Under the project root; ``.newscorpus/`` is git-ignored.
CACHE_DIR = ".newscorpus/cache"
#: Bumped when the layout of an entry changes: older entries are then simply not found.
FORMAT = 1
_MAGIC = b"newscorpus-cache\n"
_FILES = "files.json"
#: Files changed less than this long before they were hashed are hashed again next time.
RACY_NS = 2_000_000_000
#: Generations kept besides the current one.
KEEP_OTHER_GENERATIONS = 1
_GENERATION_PREFIX = "gen-"
#: Where :func:`clear` moves the cache before deleting it (beside it, in ``.newscorpus/``).
_CLEARED_PREFIX = "cache-cleared-"


def cache_dir(project: Project) -> Path:
    return project.root / CACHE_DIR


@cache
def fingerprint() -> str:
    """What ties an entry to the code that made it: versions of Python and of the libraries
    that shape rows and Parquet bytes, and the sha256 of this package's source files (so an
    edited checkout never reuses entries of the code before the edit)."""
    from importlib.metadata import version

    from newscorpus import __version__

    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    tools = {name: version(name) for name in ("pyarrow", "datasets", "spacy", "PyYAML")}
    # Python's own version too: its Unicode tables decide normalisation and the validator's
    # character classes.
    return _hash([FORMAT, __version__, sys.version, tools, digest.hexdigest()])


def generation() -> str:
    """The name of the folder that holds this code's entries."""
    return _GENERATION_PREFIX + fingerprint()[:16]


def prune(project: Project) -> None:
    """Mark the current generation as used now, and delete every other generation but the
    one used last, and what the layout before generations left (entry folders at the top)."""
    root = cache_dir(project)
    current = root / generation()
    try:
        current.mkdir(parents=True, exist_ok=True)
        os.utime(current)
        folders = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return
    others = [p for p in folders if p.name.startswith(_GENERATION_PREFIX) and p != current]
    legacy = [p for p in folders if not p.name.startswith(_GENERATION_PREFIX)]
    others.sort(key=_used, reverse=True)
    for folder in others[KEEP_OTHER_GENERATIONS:] + legacy:
        shutil.rmtree(folder, ignore_errors=True)


def _used(folder: Path) -> float:
    try:
        return folder.stat().st_mtime
    except OSError:
        return 0.0


def _hash(value: Any) -> str:
    # default=str: TOML settings may hold dates.
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def settings_key(**inputs: Any) -> str:
    """The hash of what every document's entries depend on besides its files (schema hash,
    rules, settings: anything JSON can hold), made once for all of them."""
    return _hash(["settings", fingerprint(), inputs])


def document_key(
    kind: str, doc_id: str, files: Sequence[tuple[str, str | None]], settings: str
) -> str:
    """The key of a ``kind`` entry (``check``, ``rows``) of ``doc_id`` whose files are ``files``
    (``(path, sha256 or None when missing)``) under the :func:`settings_key` ``settings``."""
    return _hash([kind, doc_id, list(files), settings])


def normalised_key(raw_sha256: str, rules: Sequence[str] | None) -> str:
    """The key under which the sha256 of ``normalise(raw, rules)``'s text is kept: with it, a
    stale ``text.txt`` is found from hashes, without normalising again."""
    return _hash(["normalised", fingerprint(), raw_sha256, list(rules) if rules else rules])


def segments_key(text_sha256: str, abbreviations: Sequence[str]) -> str:
    """The key under which a text's sentences are kept (as :func:`newscorpus.nlp.segment_text`
    makes them with the pipeline of ``abbreviations``, before entities merge any): they depend
    on the text alone, so a rebuild after an annotation edit finds them and does not load
    spaCy."""
    return _hash(["segments", fingerprint(), text_sha256, list(abbreviations)])


def remember_normalised(
    cache: Cache, project: Project, raw_sha256: str, normalised: Normalised
) -> None:
    """Note in ``cache`` what the project's rules make of the raw text hashing to
    ``raw_sha256``: the sha256 of the text, so that a stale ``text.txt`` is found without
    normalising again, and the edits, which the viewer shows (``add`` and the checks call this
    when they have normalised anyway)."""
    key = normalised_key(raw_sha256, project.normalise_rules)
    edits = [edit.to_row() for edit in normalised.edits]
    cache.put_json("normalised", key, {"text": _sha256_text(normalised.text), "edits": edits})


def recall_normalised(
    cache: Cache, project: Project, raw_sha256: str
) -> tuple[str, list[Any]] | None:
    """What :func:`remember_normalised` noted for these raw bytes under the project's rules:
    the text's sha256 and the edits as rows (:meth:`~newscorpus.normalise.Edit.from_rows` makes
    them edits again, for the callers that show them); None when nothing intact is there."""
    entry = cache.get_json("normalised", normalised_key(raw_sha256, project.normalise_rules))
    if type(entry) is not dict or type(entry.get("text")) is not str:
        return None
    rows = entry.get("edits")
    return (entry["text"], rows) if type(rows) is list else None


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata_key(inputs: Any) -> str:
    """The key of a build's card and Croissant texts, made from ``inputs``."""
    return _hash(["metadata", fingerprint(), inputs])


class Cache:
    """Entries by kind and key in ``root``; a disabled cache (``root`` None) finds nothing."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, kind: str, key: str) -> Path:
        assert self.root is not None
        return self.root / generation() / kind / key[:2] / key

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry is there (intact or not: :meth:`get` tells); an entry that cannot
        be looked at (no permission) is not."""
        if self.root is None:
            return False
        try:
            return self._path(kind, key).is_file()
        except OSError:
            return False

    def get(self, kind: str, key: str) -> bytes | None:
        """The entry's payload, or None when absent or not intact (a damaged or foreign entry
        is then discarded, so that :meth:`has` no longer finds it and it is made again)."""
        if self.root is None:
            return None
        path = self._path(kind, key)
        try:
            # Only a regular file: reading a FIFO or a device put in its place would not end.
            data = path.read_bytes() if path.is_file() else None
        except OSError:
            return None
        if data is None:
            if path.is_symlink() or path.exists():  # a folder, a FIFO...: not an entry
                self.discard(kind, key)
            return None
        body, checksum = data[:-32], data[-32:]
        # The key is inside the checksummed body: an intact entry copied under another key
        # (another document's, another project's) is foreign, and not used.
        head = _MAGIC + key.encode() + b"\n"
        if not body.startswith(head) or hashlib.sha256(body).digest() != checksum:
            self.discard(kind, key)
            return None
        return body[len(head) :]

    def discard(self, kind: str, key: str) -> None:
        """Delete the entry if it is there (one that cannot be deleted stays: nothing trusts
        it unread)."""
        if self.root is None:
            return
        path = self._path(kind, key)
        with suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()

    def put(self, kind: str, key: str, payload: bytes) -> None:
        """Store ``payload``; a cache that cannot be written is skipped, not an error."""
        if self.root is None:
            return
        body = _MAGIC + key.encode() + b"\n" + payload
        path = self._path(kind, key)
        try:
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            except FileNotFoundError:  # the entry's folder is made once, not looked for each time
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body + hashlib.sha256(body).digest())
            Path(tmp).replace(path)
        except BaseException as err:
            # A full disk or a folder where the entry belongs: the entry is skipped. An
            # interrupt goes on, without leaving a temp file that every later run would carry.
            with suppress(OSError):
                Path(tmp).unlink()
            if not isinstance(err, OSError):
                raise

    def get_json(self, kind: str, key: str) -> Any:
        payload = self.get(kind, key)
        if payload is None:
            return None
        try:
            return fastjson.loads(payload)
        except (ValueError, RecursionError):
            return None

    def put_json(self, kind: str, key: str, value: Any) -> None:
        text = json.dumps(value, ensure_ascii=False)
        try:
            payload = text.encode()
        except UnicodeEncodeError:
            # A lone surrogate (a file name that is not UTF-8, a "\udc80" escape in a file)
            # has no UTF-8 form; JSON's own escapes keep it.
            payload = json.dumps(value).encode()
        self.put(kind, key, payload)


def clear(project: Project) -> int:
    """Delete the project's cache; return how many bytes it held.

    Builds, ``validate`` and ``check`` write entries without the project lock, so the cache is
    first moved aside in one rename and deleted there: a command writing meanwhile makes a new
    cache folder (or skips the entry) instead of racing the deletion. Folders a killed
    ``clear`` left aside are deleted too; anything else of that name is left alone.

    Raises:
        OSError: when the cache cannot be moved aside or deleted (permissions).
    """
    root = cache_dir(project)
    size = 0
    if root.exists():
        aside = Path(tempfile.mkdtemp(prefix=_CLEARED_PREFIX, dir=root.parent))
        with suppress(FileNotFoundError):  # another clear took it first
            root.rename(aside / root.name)
        with suppress(FileNotFoundError):  # another clear, seeing it aside, deletes it
            size += _delete(aside)
    for folder in sorted(root.parent.glob(f"{_CLEARED_PREFIX}*")):
        if folder.is_dir() and not folder.is_symlink():
            with suppress(OSError):  # another clear is deleting it, or it is not ours to
                size += _delete(folder)
    return size


def _delete(folder: Path) -> int:
    """Delete ``folder`` (a real folder); return how many bytes its files held."""
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    shutil.rmtree(folder)
    return size


class FileHashes:
    """sha256 of project files, remembered by size, modification and change times and inode
    between runs (the change time catches an edit that put the old mtime back)."""

    def __init__(
        self, project: Project, root: Path | None, known: dict[str, list[Any]] | None = None
    ) -> None:
        """The hashes saved under ``root`` (None: none, and nothing is saved), or ``known``
        ones (what :meth:`subset` gave a worker) without reading the file."""
        self.project = project
        self._inside = str(project.root).rstrip(os.sep) + os.sep
        self.path = root / _FILES if root is not None else None
        self.known: dict[str, list[Any]] = {}
        #: What this instance hashed and may keep, by file name (what a worker hands back).
        self.learnt: dict[str, list[Any]] = {}
        if known is not None:
            self.known = known
        elif self.path is not None:
            try:
                # Only a regular file (a pipe put there would never end), looked at inside the
                # try: a cache without read permission is no cache.
                if self.path.is_file():
                    loaded = fastjson.loads(self.path.read_bytes())
                    files = loaded.get("files") if isinstance(loaded, dict) else None
                    if isinstance(files, dict) and loaded.get("format") == FORMAT:
                        self.known = files
            except (OSError, ValueError, KeyError, TypeError, RecursionError):
                self.known = {}

    def name(self, path: Path) -> str:
        """How ``path`` is named in the hashes and in cache keys: relative to the project
        root when inside it."""
        # Path.relative_to, without its cost (a build names every file twice): paths are
        # joined from the root, so lexically inside it.
        name = str(path)
        if name.startswith(self._inside):
            return name[len(self._inside) :].replace(os.sep, "/")
        return name

    def subset(self, paths: Iterable[Path]) -> dict[str, list[Any]]:
        """The remembered entries of ``paths``: what a worker checking them needs, instead of
        reading the whole file again."""
        names = (self.name(path) for path in paths)
        return {name: self.known[name] for name in names if name in self.known}

    def sha256(self, path: Path) -> str | None:
        """The file's sha256, or None when it cannot be read (the check reports that)."""
        return self.sha256_named(self.name(path), str(path))

    def sha256_named(self, name: str, path: str) -> str | None:
        """:meth:`sha256` of the file at ``path`` whose :meth:`name` is ``name``: for a caller
        that makes both from strings, as a build does for 40,000 files."""
        try:
            st = os.stat(path)  # noqa: PTH116 (a str, as below)
        except OSError:
            return None
        signature = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = self.known.get(name)
        if isinstance(entry, list) and entry[:4] == signature and len(entry) == 5:
            return str(entry[4])
        try:
            # The signature kept is that of the file read, which the path may no longer name
            # (a file or folder renamed in its place since the look above).
            with open(path, "rb") as file:  # noqa: PTH123
                opened = os.fstat(file.fileno())
                digest = hashlib.sha256(file.read()).hexdigest()
                read = os.fstat(file.fileno())
        except OSError:
            return None
        signature = [opened.st_size, opened.st_mtime_ns, opened.st_ctime_ns, opened.st_ino]
        settled = max(read.st_mtime_ns, read.st_ctime_ns) < time.time_ns() - RACY_NS
        if settled and signature == [read.st_size, read.st_mtime_ns, read.st_ctime_ns, read.st_ino]:
            self.known[name] = self.learnt[name] = [*signature, digest]
        return digest

    def learn(self, entries: dict[str, list[Any]]) -> None:
        """Keep ``entries``, what another instance (a worker's) hashed."""
        self.known.update(entries)
        self.learnt.update(entries)

    def save(self) -> None:
        """Write the hashes when some were learnt since the last save."""
        if self.path is None or not self.learnt:
            return
        saved = {"format": FORMAT, "files": self.known}
        try:
            # msgspec: json.dump of the 40,000 entries of a 10,000-article corpus took a second.
            data = fastjson.dumps_line(saved)
        except UnicodeEncodeError:  # a file name with bytes that are not UTF-8
            data = json.dumps(saved).encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(tmp).replace(self.path)
        except BaseException as err:  # as in Cache.put
            with suppress(OSError):
                Path(tmp).unlink()
            if not isinstance(err, OSError):
                raise
            return
        self.learnt = {}
