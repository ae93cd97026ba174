"""A spaCy ``DocBin`` file written as its Docs come, and read back one Doc at a time.

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

The writer files a :class:`DocRecord`: each section's value for one Doc. :func:`record_of`
takes it from a Doc, skipping ``DocBin.add``'s walk over every token in Python; the spaCy export
makes it straight from a document's tokens, without making the Doc at all.

Reading is the same problem backwards: ``DocBin.from_bytes`` inflates the whole file and keeps
every section (280 MB for the 23 MB ``train.spacy`` of 10,000 bench articles, most of it one
byte string of token arrays). :func:`read_docs` streams the file through zlib and msgpack,
spools the sections it cannot stream to unnamed temporary files, and then makes each Doc from
its slice of every section, as ``DocBin.get_docs`` would: memory holds the string table and
one Doc, whatever the file's size. A test holds it to ``get_docs``.
"""

from __future__ import annotations

import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: The token attributes whose strings ``DocBin.add`` puts in a file's string table.
TOKEN_STRINGS = ("ORTH", "NORM", "TAG", "LEMMA", "MORPH", "DEP", "ENT_TYPE", "ENT_KB_ID", "ENT_ID")
#: The sections made of raw array bytes, and those made of one msgpack value per Doc, in the
#: order ``DocBin.to_bytes`` puts them in its map (the string table comes between the two).
_ARRAYS = ("tokens", "spaces", "lengths")
_PER_DOC = ("cats", "flags", "span_groups", "user_data")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DocRecord:
    """One Doc as a ``DocBin`` files it: what :meth:`DocBinWriter.file` writes to each section.

    :func:`record_of` takes it from a Doc; an export that knows its Docs' tokens can make it
    without making the Doc (:mod:`newscorpus.formats.spacy`).
    """

    #: The token attributes, shape (tokens, attributes), ``uint64``, C order.
    tokens: Any
    #: Whether each token has a trailing space, shape (tokens, 1), ``bool``.
    spaces: Any
    #: ``doc.spans.to_bytes()``.
    span_groups: bytes
    #: ``srsly.msgpack_dumps(doc.user_data)``.
    user_data: bytes
    #: The strings of the Doc's hashes that go in the file's string table.
    strings: Iterable[str]
    cats: dict[str, float] = field(default_factory=dict)
    has_unknown_spaces: bool = False


def record_of(doc: Any, attrs: Sequence[int], dumps: Callable[[Any], bytes]) -> DocRecord:
    """``doc`` as ``DocBin(attrs, store_user_data=True).add`` files it.

    ``DocBin.add`` walks every token in Python to collect nine strings of each (text, norm,
    tag, lemma, morph, dependency, entity type, KB id, entity id) for the string table, which
    cost more than tokenising: the same strings come from one ``Doc.to_array`` of those
    attributes, each distinct hash looked up once.
    """
    import numpy

    size = len(doc)
    strings = doc.vocab.strings
    found = {strings[h] for h in numpy.unique(doc.to_array(TOKEN_STRINGS)).tolist()}
    for group in doc.spans.values():
        for span in group:
            found.add(span.label_)
            if span.kb_id in strings:
                found.add(span.kb_id_)
            if span.id in strings:
                found.add(span.id_)
    return DocRecord(
        tokens=doc.to_array(list(attrs)).reshape((size, len(attrs))),
        spaces=numpy.asarray(doc.to_array("SPACY").reshape((size, 1)), dtype=bool),
        span_groups=doc.spans.to_bytes(),
        user_data=dumps(doc.user_data),
        strings=found,
        cats=doc.cats,
        has_unknown_spaces=doc.has_unknown_spaces,
    )


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
        self.file(record_of(doc, self.attrs, self._dumps))

    def file(self, record: DocRecord) -> None:
        """File the Doc ``record`` describes (its token array in :attr:`attrs` order)."""
        import numpy

        pack = self._packer.pack
        spools = self._spools
        spools["tokens"].write(record.tokens.tobytes())
        spools["spaces"].write(record.spaces.tobytes())
        spools["lengths"].write(numpy.asarray([len(record.spaces)], dtype="int32").tobytes())
        spools["cats"].write(pack(record.cats))
        spools["flags"].write(pack({"has_unknown_spaces": record.has_unknown_spaces}))
        spools["span_groups"].write(pack(record.span_groups))
        spools["user_data"].write(pack(record.user_data))
        self.strings.update(record.strings)
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


#: msgpack's byte-string headers: type byte -> how many bytes give the length.
_BIN_LENGTHS = {0xC4: 1, 0xC5: 2, 0xC6: 4}
#: More token attributes than spaCy has: a file listing them is not a DocBin.
_MAX_ATTRS = 1024
#: What each per-Doc value must be.
_PER_DOC_TYPES: dict[str, tuple[type, ...]] = {
    "cats": (dict,),
    "flags": (dict,),
    "span_groups": (bytes,),
    "user_data": (bytes, type(None)),
}
#: What DocBin gives a Doc whose section is missing (``cats`` may not be).
_PER_DOC_MISSING: dict[str, Any] = {"flags": {}, "span_groups": b"", "user_data": None}


@dataclass
class _Sections:
    """What :func:`_spool` keeps of a DocBin's map in memory; the rest is in the spools."""

    attrs: list[int]
    strings: set[str]
    #: How many values each per-Doc section holds (a section not in the file: absent).
    counts: dict[str, int]


def read_docs(path: Path, vocab: Any) -> Iterator[Any]:
    """The Docs of the ``DocBin`` file at ``path``, one at a time, made with ``vocab`` as
    ``DocBin(store_user_data=True).from_disk(path).get_docs(vocab)`` makes them.

    Stricter than ``DocBin`` where it reads what no DocBin writes: a section given twice,
    lengths that are negative or do not add up to the token arrays, per-Doc values of the
    wrong type, bytes after the map. Memory holds the string table and one Doc; the spools
    take about the inflated size of the file on disk (in the temporary folder).

    Raises:
        ValueError: the file is not a DocBin (also zlib's and msgpack's own errors for a
            damaged stream, and spaCy's for sections that do not fit together).
        OSError: the file cannot be read or a spool cannot be written.
    """
    import numpy
    import srsly
    from spacy.attrs import ORTH
    from spacy.tokens import Doc
    from spacy.tokens._dict_proxies import SpanGroups

    with ExitStack() as stack:
        source = stack.enter_context(path.open("rb"))
        spools: dict[str, IO[bytes]] = {
            name: stack.enter_context(tempfile.TemporaryFile()) for name in (*_ARRAYS, *_PER_DOC)
        }
        sections = _spool(_Inflated(source), spools)
        attrs: list[Any] = list(sections.attrs)
        for spool in spools.values():
            spool.seek(0)
        docs, total = _check_lengths(spools["lengths"])
        if (
            spools["tokens"].seek(0, 2) != 8 * len(attrs) * total
            or spools["spaces"].seek(0, 2) != total
        ):
            raise ValueError("its token arrays do not have the lengths it lists")
        for name in _PER_DOC:
            # DocBin reads a Doc's value by its index: cats, flags and span groups must have
            # one for every Doc; user data may stop early.
            count = sections.counts.get(name)
            if count is not None and count < docs and name != "user_data":
                raise ValueError(f"its {name!r} section holds {count} values for {docs} Docs")
        for spool in spools.values():
            spool.seek(0)
        per_doc = {name: _each(spools[name], sections.counts.get(name), name) for name in _PER_DOC}
        for string in sections.strings:
            vocab[string]
        orth = attrs.index(ORTH)
        empty = SpanGroups._EMPTY_BYTES
        tokens, spaces = spools["tokens"], spools["spaces"]
        for size in _lengths(spools["lengths"]):
            # Any: spaCy's stubs type words as strings, though Doc takes hashes as DocBin does.
            rows: Any = numpy.frombuffer(tokens.read(8 * len(attrs) * size), dtype="uint64")
            rows = rows.reshape((size, len(attrs)))
            flags = next(per_doc["flags"])
            known = numpy.frombuffer(spaces.read(size), dtype=bool).tolist()
            doc = Doc(
                vocab,
                words=rows[:, orth],
                spaces=None if flags.get("has_unknown_spaces") else known,
            )
            doc = doc.from_array(attrs, rows)
            doc.cats = next(per_doc["cats"])
            groups = next(per_doc["span_groups"])
            if groups and groups != empty:
                doc.spans.from_bytes(groups)
            user_data = next(per_doc["user_data"])
            if user_data is not None:
                doc.user_data.update(srsly.msgpack_loads(user_data, use_list=False))
            yield doc


class _Inflated:
    """A zlib stream as a file to ``read`` from, inflated a chunk at a time."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self._inflater = zlib.decompressobj()
        self._ready = bytearray()

    def read(self, size: int = -1) -> bytes:
        inflater, ready = self._inflater, self._ready
        while (size < 0 or len(ready) < size) and not inflater.eof:
            data = inflater.unconsumed_tail or self._source.read(_CHUNK)
            if not data:
                raise ValueError("the file ends inside its zlib stream (truncated)")
            ready += inflater.decompress(data, _CHUNK)
        end = len(ready) if size < 0 else min(size, len(ready))
        piece = bytes(ready[:end])
        del ready[:end]
        return piece


def _spool(stream: _Inflated, spools: dict[str, IO[bytes]]) -> _Sections:
    """Read the DocBin map from ``stream``: the arrays and the per-Doc sections go to their
    spools (each per-Doc value packed on its own, checked for its type), the attributes and
    the string table are returned. Unknown sections are skipped, not kept."""
    import srsly

    unpacker = srsly.msgpack.Unpacker(stream, raw=False)
    packer = srsly.msgpack.Packer(use_bin_type=True)
    attrs: list[int] | None = None
    strings: set[str] | None = None
    counts: dict[str, int] = {}
    seen: set[str] = set()
    for _ in range(unpacker.read_map_header()):
        name = unpacker.unpack()
        if type(name) is not str:  # not a section DocBin reads
            unpacker.skip()
            continue
        if name in seen:
            raise ValueError(f"it holds its {name!r} section twice")
        seen.add(name)
        if name in _ARRAYS:
            _copy_bin(unpacker, spools[name], name)
        elif name in _PER_DOC:
            spool, kinds = spools[name], _PER_DOC_TYPES[name]
            counts[name] = unpacker.read_array_header()
            for number in range(counts[name]):
                value = unpacker.unpack()
                if not isinstance(value, kinds):
                    raise ValueError(f"value {number} of its {name!r} section is not a DocBin's")
                spool.write(packer.pack(value))
        elif name == "attrs":
            attrs = [unpacker.unpack() for _ in range(_bounded(unpacker.read_array_header()))]
            if not all(type(a) is int for a in attrs):
                raise ValueError("its 'attrs' section is not a list of attribute ids")
        elif name == "strings":
            strings = set()
            for _ in range(unpacker.read_array_header()):
                string = unpacker.unpack()
                if type(string) is not str:
                    raise ValueError("its 'strings' section is not a list of strings")
                strings.add(string)
        else:
            unpacker.skip()
    if unpacker.read_bytes(1):
        raise ValueError("it holds more data after its map")
    missing = [n for n in ("attrs", "strings", *_ARRAYS, "cats") if n not in seen]
    if missing or attrs is None or strings is None:
        raise ValueError(f"it has no {(missing or ['attrs'])[0]!r} section")
    return _Sections(attrs, strings, counts)


def _bounded(count: int) -> int:
    if count > _MAX_ATTRS:
        raise ValueError(f"its 'attrs' section lists {count} attributes")
    return count


def _copy_bin(unpacker: Any, spool: IO[bytes], name: str) -> None:
    """Copy the msgpack byte string next in ``unpacker`` into ``spool`` a chunk at a time."""
    kind = unpacker.read_bytes(1)
    width = _BIN_LENGTHS.get(kind[0]) if kind else None
    if width is None:
        raise ValueError(f"its {name!r} section is not a byte string")
    left = int.from_bytes(unpacker.read_bytes(width), "big")
    while left:
        chunk = unpacker.read_bytes(min(left, _CHUNK))
        if not chunk:
            raise ValueError(f"it ends inside its {name!r} section")
        spool.write(chunk)
        left -= len(chunk)


def _lengths(spool: IO[bytes]) -> Iterator[int]:
    """The Doc lengths (int32) in ``spool``, from where it stands, a chunk at a time."""
    import numpy

    while chunk := spool.read(_CHUNK):
        yield from numpy.frombuffer(chunk, dtype="int32").tolist()


def _check_lengths(spool: IO[bytes]) -> tuple[int, int]:
    """How many Docs the lengths in ``spool`` give and their tokens in all.

    Raises:
        ValueError: the section is not whole int32 values, or one is negative.
    """
    import numpy

    docs = total = 0
    while chunk := spool.read(_CHUNK):
        if len(chunk) % 4:
            raise ValueError("its 'lengths' section is not a list of int32 values")
        values = numpy.frombuffer(chunk, dtype="int32")
        if values.size and int(values.min()) < 0:
            raise ValueError("its 'lengths' section holds a negative length")
        docs += values.size
        total += int(values.sum(dtype="int64"))
    return docs, total


def _each(spool: IO[bytes], count: int | None, name: str) -> Iterator[Any]:
    """The per-Doc values packed in ``spool`` (``count`` of them), then, for every Doc
    beyond them (or all, for a section not in the file), what DocBin gives such a Doc."""
    import srsly

    if count is not None:
        unpacker = srsly.msgpack.Unpacker(spool, raw=False)
        for _ in range(count):
            yield unpacker.unpack()
    while True:
        yield _PER_DOC_MISSING[name]
