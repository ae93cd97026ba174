"""``check``'s passes over gold, kept between runs, part by part.

``check`` reads gold in parts of consecutive files (:mod:`newscorpus.check`). What a part's
first pass learns depends only on its files (each gold file, its article's ``text.txt``, and
whether the article is stored), the schema and the code; the missed mentions it holds depend on
the same and on the vocabulary (which texts gold annotates with which labels). Both are kept in
the project's cache (:mod:`newscorpus.cache`) under those hashes, so after an edit to one file
only its part is read again, and while the vocabulary stays the same only its part is searched
again. Files are hashed through :class:`~newscorpus.cache.FileHashes`: unchanged ones are not
read. Only parts that passed are kept; a part with an error is always read again, so its error
is reported as fresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from newscorpus.cache import Cache, FileHashes, cache_dir, fingerprint
from newscorpus.corpus import TEXT_FILE, article_dir
from newscorpus.project import Project
from newscorpus.schema import Schema

_LEARNT = "check-learnt"
_HITS = "check-hits"


class PartStore:
    """The kept passes of each part (``use_cache`` False: nothing is kept or found)."""

    def __init__(
        self,
        project: Project,
        schema: Schema,
        parts: Sequence[Sequence[Path]],
        stored: Collection[str],
        *,
        use_cache: bool,
    ) -> None:
        self._cache = Cache(cache_dir(project) if use_cache else None)
        self._project, self._parts, self._stored = project, parts, stored
        self._head = [fingerprint(), schema.sha256]
        self._hashes = FileHashes(project, cache_dir(project) if use_cache else None)
        self.keys: list[str | None] = [None] * len(parts)
        if not use_cache:
            return
        self.keys = [self._key(i) for i in range(len(parts))]
        self._hashes.save()

    @property
    def keeping(self) -> bool:
        """Whether passes are kept (worth turning into JSON)."""
        return self._cache.root is not None

    def _key(self, i: int) -> str:
        hashes, listing = self._hashes, []
        for file in self._parts[i]:
            text = article_dir(self._project, file.stem) / TEXT_FILE
            stored = file.stem in self._stored
            listing.append([hashes.name(file), hashes.sha256(file), hashes.sha256(text), stored])
        return _digest([*self._head, listing])

    def _unchanged(self, i: int) -> bool:
        """Whether part ``i``'s files are still those its key was made of: one edited while
        the part was read must not leave what was read under the old key."""
        return self.keys[i] is not None and self._key(i) == self.keys[i]

    def has_learnt(self, i: int) -> bool:
        """Whether part ``i`` has a kept first pass (which :meth:`learnt` may yet find not
        intact)."""
        key = self.keys[i]
        return key is not None and self._cache.has(_LEARNT, key)

    def learnt(self, i: int) -> Any:
        """Part ``i``'s kept first pass (as :meth:`keep_learnt` was given it), or None."""
        key = self.keys[i]
        return self._cache.get_json(_LEARNT, key) if key is not None else None

    def keep_learnt(self, i: int, value: Any) -> None:
        key = self.keys[i]
        if key is not None and self._unchanged(i):
            self._cache.put_json(_LEARNT, key, value)

    def has_hits(self, i: int, vocabulary: str) -> bool:
        """Whether part ``i`` has kept missed mentions under ``vocabulary`` (as
        :meth:`has_learnt`)."""
        key = self.keys[i]
        return key is not None and self._cache.has(_HITS, _digest([key, vocabulary]))

    def hits(self, i: int, vocabulary: str) -> Any:
        """Part ``i``'s kept missed mentions under ``vocabulary``, or None."""
        key = self.keys[i]
        return self._cache.get_json(_HITS, _digest([key, vocabulary])) if key else None

    def keep_hits(self, i: int, vocabulary: str, value: Any) -> None:
        key = self.keys[i]
        if key is not None and self._unchanged(i):
            self._cache.put_json(_HITS, _digest([key, vocabulary]), value)


def _digest(value: Any) -> str:
    # ASCII escapes: a file name that is not UTF-8 holds lone surrogates.
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()
