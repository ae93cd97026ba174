"""A spaCy ``DocBin`` file written as its Docs come, without holding them.

``DocBin`` keeps every Doc's arrays until ``to_bytes`` joins them into one msgpack map and
compresses it with zlib, so an export held its whole corpus at once (1.5 GB at 10,000 bench
articles). In that map each section holds every Doc: the token arrays, the spaces, the lengths,
the string table, then per Doc its cats, flags, span groups and user data, in that order.
:class:`DocBinWriter` spools each section to an unnamed temporary file as Docs are added, and
at the end streams the map through one zlib compressor: the bytes
``DocBin(attrs, store_user_data=True).to_bytes()`` gives for the same Docs (a test holds the
export to them), with only the string table in memory. The spools are uncompressed: while an
export runs, its folder needs about twelve times the finished files' size free (36 MB for
the 2.9 MB export of 1,000 bench articles).

Filing a Doc also skips ``DocBin.add``'s walk over every token in Python, which collects nine
strings of each (text, norm, tag, lemma, morph, dependency, entity type, KB id, entity id) for
the string table and cost more than tokenising: the same strings come from one
``Doc.to_array`` of those attributes, each distinct hash looked up once.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import IO, Any

#: The token attributes whose strings ``DocBin.add`` puts in a file's string table.
TOKEN_STRINGS = ("ORTH", "NORM", "TAG", "LEMMA", "MORPH", "DEP", "ENT_TYPE", "ENT_KB_ID", "ENT_ID")
#: The sections made of raw array bytes, and those made of one msgpack value per Doc, in the
#: order ``DocBin.to_bytes`` puts them in its map (the string table comes between the two).
_ARRAYS = ("tokens", "spaces", "lengths")
_PER_DOC = ("cats", "flags", "span_groups", "user_data")
_CHUNK = 1 << 20


class DocBinWriter:
    """Docs in, one ``DocBin`` file (``attrs``, user data stored) out; sections are spooled in
    ``spool_dir`` until :meth:`finish`.

    Raises (every method):
        OSError: a spool cannot be made or written.
    """

    def __init__(self, attrs: Sequence[str], spool_dir: Path) -> None:
        import srsly
        from spacy.tokens import DocBin

        # DocBin's own order and version: ORTH first, the rest sorted, SPACY left out.
        model = DocBin(attrs, store_user_data=True)
        self.version: str = model.version
        self.attrs: list[int] = [int(attr) for attr in model.attrs]
        self.count = 0
        self.strings: set[str] = set()
        self._packer: Any = srsly.msgpack.Packer(use_bin_type=True)
        self._dumps: Callable[[Any], bytes] = srsly.msgpack_dumps
        self._spools: dict[str, IO[bytes]] = {}
        try:
            for name in (*_ARRAYS, *_PER_DOC):
                # Open until finish() or close(): they outlive this call.
                self._spools[name] = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115
        except OSError:
            self.close()
            raise

    def add(self, doc: Any) -> None:
        """File ``doc`` as ``DocBin.add`` does."""
        import numpy

        size = len(doc)
        pack = self._packer.pack
        spools = self._spools
        spools["tokens"].write(doc.to_array(self.attrs).reshape((size, len(self.attrs))).tobytes())
        spaces = doc.to_array("SPACY").reshape((size, 1))
        spools["spaces"].write(numpy.asarray(spaces, dtype=bool).tobytes())
        spools["lengths"].write(numpy.asarray([size], dtype="int32").tobytes())
        spools["cats"].write(pack(doc.cats))
        spools["flags"].write(pack({"has_unknown_spaces": doc.has_unknown_spaces}))
        spools["span_groups"].write(pack(doc.spans.to_bytes()))
        spools["user_data"].write(pack(self._dumps(doc.user_data)))
        strings = doc.vocab.strings
        self.strings.update(strings[h] for h in numpy.unique(doc.to_array(TOKEN_STRINGS)).tolist())
        for group in doc.spans.values():
            for span in group:
                self.strings.add(span.label_)
                if span.kb_id in strings:
                    self.strings.add(span.kb_id_)
                if span.id in strings:
                    self.strings.add(span.id_)
        self.count += 1

    def finish(self, write: Callable[[bytes], object]) -> None:
        """Hand the file's bytes to ``write``, a piece at a time, and drop the spools."""
        packer = self._packer
        compressor = zlib.compressobj()

        def emit(data: bytes) -> None:
            piece = compressor.compress(data)
            if piece:
                write(piece)

        try:
            emit(packer.pack_map_header(3 + len(_ARRAYS) + len(_PER_DOC)))
            emit(packer.pack("version") + packer.pack(self.version))
            emit(packer.pack("attrs") + packer.pack(self.attrs))
            for name in _ARRAYS:
                spool = self._spools[name]
                emit(packer.pack(name) + _bin_header(spool.tell()))
                self._copy(spool, emit)
            emit(packer.pack("strings") + packer.pack(sorted(self.strings)))
            for name in _PER_DOC:
                emit(packer.pack(name) + packer.pack_array_header(self.count))
                self._copy(self._spools[name], emit)
            write(compressor.flush())
        finally:
            self.close()

    def close(self) -> None:
        """Drop the spools (their files have no name: nothing is left on disk either way).

        Closing flushes what a spool still buffers, which fails on a full disk; the spool is
        thrown away all the same, and the failure that stopped the export is the one to report.
        """
        for spool in self._spools.values():
            with suppress(OSError):
                spool.close()

    @staticmethod
    def _copy(spool: IO[bytes], emit: Callable[[bytes], None]) -> None:
        spool.seek(0)
        while chunk := spool.read(_CHUNK):
            emit(chunk)


def _bin_header(size: int) -> bytes:
    """msgpack's header of a byte string of ``size`` bytes (bin 8, 16 or 32)."""
    if size < 1 << 8:
        return b"\xc4" + size.to_bytes(1, "big")
    if size < 1 << 16:
        return b"\xc5" + size.to_bytes(2, "big")
    return b"\xc6" + size.to_bytes(4, "big")
