"""spaCy export and import: DocBin files per split and a NER training config that trains as is.

An export writes ``train.spacy``, ``dev.spacy`` and ``test.spacy`` (the dataset's train,
validation and test splits; an empty split is written empty and reported) and ``config.cfg``.
Each ``Doc`` is one document with the tokens and sentences of the ``sentences`` config
(:mod:`newscorpus.formats.tokens`), so ``doc.text`` is the normalised text and every entity
aligns to tokens; it holds everything the annotation file does but provenance:

* ``doc.ents``: the outermost entities (what NER trains on; nested ones cannot go there);
* ``doc.spans["entities"]``: every entity, nested ones too, with the label as ``span.label_``
  and the entity id (``T1``) as ``span.id_``;
* ``doc._.relations``: every relation as ``(id, head entity id, tail entity id, label)``;
* ``doc._.doc_id``: the corpus document id.

The two ``Doc._`` extensions are stored in ``doc.user_data`` (``DocBin(store_user_data=True)``);
register them before reading (``Doc.set_extension("relations", default=None)``, likewise
``doc_id``) or call :func:`register_extensions`. spaCy's relation-extraction tutorial keys
relations by the token start of head and tail; entities nested in one another can share a
start, so relations here name entity ids instead.

``config.cfg`` is spaCy's own NER config (``spacy init config --pipeline ner``) reading
``train.spacy`` and ``dev.spacy`` beside it, with the project's tokenizer fix and the schema's
abbreviations in ``[initialize.before_init]`` (found through the ``spacy_callbacks`` entry
point, so no ``--code``): the trained pipeline saves that tokenizer and tokenises like the data.

An import reads a ``.spacy`` file, or every ``.spacy`` file of a folder, back: a Doc is matched
by ``doc._.doc_id``, else by its text, and must have the document's text; entities come from
``doc.spans["entities"]`` and ``doc.ents`` (where a model's predictions land), relations from
``doc._.relations``. Provenance is not in the file: annotations unchanged since the export keep
theirs, new or changed ones become ``gold``.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from newscorpus import collector
from newscorpus.errors import InputError
from newscorpus.formats.base import (
    Change,
    ExportReport,
    ImportOptions,
    ImportPlan,
)
from newscorpus.formats.common import (
    DocumentIndex,
    annotation_data,
    check_output,
    checked_ids,
    export_documents,
    label_error,
    match_document,
    plan_change,
    staged_files,
    unwritable,
)
from newscorpus.formats.tokens import Tokenised, built_tokens, tokenised
from newscorpus.model import outermost
from newscorpus.project import Project
from newscorpus.schema import Schema

if TYPE_CHECKING:
    from newscorpus.formats.docbin import DocRecord

T = TypeVar("T")

#: Dataset split -> file name (spaCy calls the validation split ``dev``).
SPLIT_FILES = {"train": "train.spacy", "validation": "dev.spacy", "test": "test.spacy"}
CONFIG_FILE = "config.cfg"
#: The key of the span group that holds every entity.
SPANS_KEY = "entities"
#: The token attributes the export sets (spaCy's default stores 13, most of them empty here:
#: they cost memory and file size for nothing).
DOCBIN_ATTRS = ("ORTH", "ENT_IOB", "ENT_TYPE", "SENT_START")
#: spaCy's ``ENT_IOB`` values.
_IOB = {"I": 1, "O": 2, "B": 3}
#: A span as ``SpanGroup.to_bytes`` packs it: id, KB id and label hashes, start and end token,
#: start and end character.
_SPAN = struct.Struct(">QQQllll")
#: ``Doc._`` extensions the export sets.
RELATIONS = "relations"
DOC_ID = "doc_id"

_CONFIG_HEADER = """\
# spaCy NER training config written by `newscorpus export spacy`. In this folder, train with:
#   python -m spacy train config.cfg --output model
# [initialize.before_init] applies the newscorpus tokenizer fix, so the trained pipeline
# tokenises like train.spacy and dev.spacy (newscorpus must be installed).
"""


def register_extensions() -> None:
    """Register ``Doc._.relations`` and ``Doc._.doc_id`` (default None) unless already there."""
    from spacy.tokens import Doc

    for name in (RELATIONS, DOC_ID):
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


@contextmanager
def msgpack_hooks_resolved() -> Iterator[None]:
    """Within the block, srsly's msgpack encoders and decoders are looked up once.

    srsly asks its catalogue registries for them on every pack and unpack, and each ask scans
    every installed package's entry points and the whole function registry: DocBin packs three
    times per Doc (user data, span groups, each group), so at 10,000 documents the lookups cost
    more than tokenising. Nothing registers a hook while a DocBin is written or read, so the
    answer found at the start is the answer every call would get: the bytes are the same.
    """
    import srsly

    registries = [srsly.msgpack_encoders, srsly.msgpack_decoders]
    patched = [r for r in registries if "get_all" not in vars(r)]  # not already, when nested
    for registry in patched:
        found = registry.get_all()
        registry.get_all = lambda found=found: found
    try:
        yield
    finally:
        for registry in patched:
            del registry.get_all


@contextmanager
def _spooling(out: Path) -> Iterator[None]:
    """E190 for a spool of the export that cannot be made or written (a full disk)."""
    try:
        yield
    except OSError as err:
        raise unwritable(out, err) from None


def training_config(schema: Schema) -> str:
    """The text of ``config.cfg``: spaCy's efficiency NER config with this export's paths and
    the project's tokenizer fix with the schema's abbreviations."""
    from spacy.cli.init_config import init_config

    from newscorpus.nlp import TOKENIZER_FIX

    config = init_config(lang="en", pipeline=["ner"], optimize="efficiency", gpu=False)
    config["paths"]["train"] = SPLIT_FILES["train"]
    config["paths"]["dev"] = SPLIT_FILES["validation"]
    config["initialize"]["before_init"] = {
        "@callbacks": TOKENIZER_FIX,
        "abbreviations": list(schema.abbreviations),
    }
    text: str = config.to_str()
    return _CONFIG_HEADER + text


class DocRecords:
    """Each exported document as the :class:`~newscorpus.formats.docbin.DocRecord` of its Doc
    (see the module docstring), made from the view's tokens without making the Doc: making
    Docs and reading them back out cost more than half of an export whose tokens came from a
    build.

    The files are the bytes of the same Docs made with ``Doc(words, spaces, sent_starts)``,
    ``doc.ents``, ``doc.spans`` and filed by ``DocBin.add`` (a test holds them to those). Each
    distinct string's hash and norm are looked up in ``vocab`` once, as spaCy would compute
    them.
    """

    def __init__(self, vocab: Any, attrs: Sequence[int]) -> None:
        import srsly
        from spacy.attrs import ENT_IOB, ENT_TYPE, ORTH, SENT_START

        self.vocab = vocab
        self.attrs = list(attrs)
        column = {attr: n for n, attr in enumerate(self.attrs)}
        self._orth, self._iob = column[ORTH], column[ENT_IOB]
        self._type, self._start = column[ENT_TYPE], column[SENT_START]
        self._hashes: dict[str, int] = {}
        self._norms: dict[str, str] = {}
        self._dumps: Callable[[Any], bytes] = srsly.msgpack_dumps

    def _hash(self, string: str) -> int:
        found = self._hashes.get(string)
        if found is None:
            found = self._hashes[string] = self.vocab.strings.add(string)
        return found

    def record(self, item: Tokenised) -> DocRecord:
        """The record of ``item``'s Doc: its words (the view's tokens, and the whitespace the
        view leaves out as tokens of their own), spaces, sentence starts, the outermost
        entities as IOB tags, every entity in ``doc.spans["entities"]``, the relations and the
        document id in ``doc.user_data``."""
        import numpy

        from newscorpus.formats.docbin import DocRecord

        text = item.document.text
        spans = [span for sentence in item.sentences for span in sentence.tokens]
        words = [text[start:end] for start, end in spans]
        spaces = [text.startswith(" ", end) for _, end in spans]
        starts = [False] * len(spans)
        n = 0
        for sentence in item.sentences:
            starts[n] = True
            n += len(sentence.tokens)
        # Whitespace the view leaves out (line breaks, a second space) becomes a token of its
        # own after the one space the token before it keeps; it starts a sentence only as the
        # first.
        edges = [0, *(end + space for (_, end), space in zip(spans, spaces, strict=True))]
        gaps = [i for i, (start, _) in enumerate(spans) if start != edges[i]]
        if edges[-1] < len(text):
            words.append(text[edges[-1] :])
            spaces.append(False)
            starts.append(not spans)
        for i in reversed(gaps):
            words.insert(i, text[edges[i] : spans[i][0]])
            spaces.insert(i, False)
            starts.insert(i, i == 0)
        distinct = set(words)
        for word in distinct.difference(self._norms):
            lexeme = self.vocab[word]
            self._hashes[word], self._norms[word] = lexeme.orth, lexeme.norm_
        firsts = [start for start, _ in spans]
        lasts = [end for _, end in spans]
        entities = item.document.entities
        # Each entity's first and last view token; in the Doc, whitespace tokens come before.
        placed = [(bisect_left(firsts, e.start), bisect_left(lasts, e.end)) for e in entities]

        def token(view_index: int) -> int:
            return view_index + bisect_right(gaps, view_index)

        size = len(words)
        # The per-entity columns are filled as lists: numpy's indexing costs more per entity.
        iob = [_IOB["O"]] * size
        types = [0] * size
        outer = set(map(id, outermost(entities)))
        for entity, (first, last) in zip(entities, placed, strict=True):
            if id(entity) in outer:
                first, last = token(first), token(last)
                iob[first : last + 1] = [_IOB["B"], *[_IOB["I"]] * (last - first)]
                types[first : last + 1] = [self._hash(entity.label)] * (last + 1 - first)
        values: Any = numpy.empty((size, len(self.attrs)), dtype=numpy.uint64)
        values[:, self._orth] = numpy.fromiter(
            map(self._hashes.__getitem__, words), dtype=numpy.uint64, count=size
        )
        # A token that starts no sentence has -1, as spaCy stores it.
        values[:, self._start] = numpy.where(starts, 1, -1).astype(numpy.uint64)
        values[:, self._iob] = iob
        values[:, self._type] = types
        group = self._dumps(
            {
                "name": SPANS_KEY,
                "attrs": {},
                "spans": [
                    _SPAN.pack(
                        self._hash(e.id),
                        0,
                        self._hash(e.label),
                        token(first),
                        token(last) + 1,
                        firsts[first],
                        lasts[last],
                    )
                    for e, (first, last) in zip(entities, placed, strict=True)
                ],
            }
        )
        user_data = {
            ("._.", RELATIONS, None, None): [
                [r.id, r.head, r.tail, r.label] for r in item.document.relations
            ],
            ("._.", DOC_ID, None, None): item.document.id,
        }
        strings = distinct.union(map(self._norms.__getitem__, distinct))
        strings.update(e.label for e in entities)
        strings.update(e.id for e in entities)
        if words:
            strings.add("")  # the hash of the attributes no token has (lemma, tag, ...)
        return DocRecord(
            tokens=values,
            spaces=numpy.asarray(spaces, dtype=bool).reshape((len(words), 1)),
            span_groups=self._dumps({group: [SPANS_KEY]}),
            user_data=self._dumps(user_data),
            strings=strings,
        )


def _unless_missing(read: Callable[[Any], T], doc: Any, where: str) -> T:
    """``read(doc)``, with E158 when the Doc names a string its file's string table lacks (spaCy
    raises a KeyError on looking it up)."""
    try:
        return read(doc)
    except KeyError as err:
        raise InputError(
            "E158",
            f"names a string that the file's string table does not hold ({err.args[0]}).",
            fix="Pass a file written by DocBin.to_disk, e.g. by `newscorpus export spacy`.",
            where=where,
        ) from None


class _Texts:
    """``doc.text``, made from the Doc's token arrays: ``doc.text`` makes a ``Token`` object for
    every token, which cost a sixth of an import. Each distinct string is looked up once (a
    hash names one string in every vocab)."""

    def __init__(self) -> None:
        #: Hash -> the string, and the string with the one space a token may have after it.
        self.bare: dict[int, str] = {}
        self.spaced: dict[int, str] = {}

    def __call__(self, doc: Any) -> str:
        from spacy.attrs import ORTH, SPACY

        if not len(doc):
            return ""
        columns = doc.to_array([ORTH, SPACY])
        orths, spaces = columns[:, 0].tolist(), columns[:, 1].tolist()
        bare, spaced = self.bare, self.spaced
        strings = doc.vocab.strings
        for orth in set(orths).difference(bare):
            bare[orth] = text = strings[orth]
            spaced[orth] = text + " "
        return "".join([spaced[o] if s else bare[o] for o, s in zip(orths, spaces, strict=True)])


def _docs(files: Sequence[Path], vocab: Any) -> Iterator[tuple[Path, int, Any]]:
    """Each file's Docs with their file and number, one at a time
    (:func:`newscorpus.formats.docbin.read_docs`): ``DocBin`` holds a whole file's, and all
    of them at once held a 10,000-article import's every token in memory (1.4 GB).

    Raises:
        InputError: E158 for a file, or a Doc in it, that cannot be read as a DocBin.
    """
    from newscorpus.formats.docbin import read_docs
    from newscorpus.formats.reading import check_regular

    for file in files:
        check_regular(
            file, "Pass a file written by DocBin.to_disk, e.g. by `newscorpus export spacy`."
        )
        try:
            for number, doc in enumerate(read_docs(file, vocab)):
                yield file, number, doc
        except Exception as err:  # the reader raises whatever zlib, msgpack, numpy or spaCy raise
            raise InputError(
                "E158",
                f"is not a spaCy DocBin file ({type(err).__name__}: {err}).",
                fix="Pass a file written by DocBin.to_disk, e.g. by `newscorpus export spacy`.",
                where=str(file),
            ) from None


class SpacyDocBin:
    """spaCy DocBin files per split and a NER ``config.cfg``."""

    name = "spacy"
    summary = "spaCy DocBin per split (train/dev/test.spacy) and a NER config.cfg for spacy train"

    @collector.paused()
    def export(
        self,
        project: Project,
        out: Path,
        doc_ids: Sequence[str] | None,
        *,
        use_cache: bool = True,
    ) -> ExportReport:
        """Write ``train.spacy``, ``dev.spacy``, ``test.spacy`` and ``config.cfg``."""
        from newscorpus.formats.docbin import DocBinWriter
        from newscorpus.nlp import make_nlp

        check_output(out, lambda name: name in {*SPLIT_FILES.values(), CONFIG_FILE}, self.name)
        register_extensions()
        report = ExportReport(self.name, out)
        schema = Schema.load(project.schema_path)
        nlp = make_nlp(schema.abbreviations)
        names = [*SPLIT_FILES.values(), CONFIG_FILE]
        with staged_files(out, names) as files, msgpack_hooks_resolved():
            # Each split's file is spooled beside the export as its Docs come (see
            # newscorpus.formats.docbin), so memory does not grow with the corpus.
            bins: dict[str, DocBinWriter] = {}
            try:
                with _spooling(out):
                    for split in SPLIT_FILES:
                        bins[split] = DocBinWriter(DOCBIN_ATTRS, out)
                records = DocRecords(nlp.vocab, bins["train"].attrs)
                built = built_tokens(project, schema, use_cache)
                documents = export_documents(project, doc_ids)
                for item in tokenised(project, documents, nlp, built):
                    record = records.record(item)
                    with _spooling(out):
                        bins[item.split].file(record)
                    report.documents += 1
                with _spooling(out):
                    for split, writer in bins.items():
                        writer.finish(files[SPLIT_FILES[split]])
            finally:
                for writer in bins.values():
                    writer.close()
            files[CONFIG_FILE](training_config(schema))
        report.files += names
        for split, name in SPLIT_FILES.items():
            if not bins[split].count:
                report.warnings.append(f"{name} is empty: no document is in the {split} split")
        if not bins["validation"].count:
            report.warnings.append(
                f"spacy train evaluates on {SPLIT_FILES['validation']}, so it will score 0: pin "
                'documents to validation with [tool.newscorpus.splits] (my-doc-id = "validation")'
            )
        return report

    @collector.paused()
    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Read a ``.spacy`` file, or the ``.spacy`` files of a folder (in name order); with
        ``options.doc_ids``, only those documents.

        Raises:
            InputError: E158 unreadable file, a Doc whose text is not its document's, the same
                document twice, a relation naming no entity, a named document not in the file;
                E152/E153 as every format.
        """
        from newscorpus.nlp import make_nlp

        register_extensions()
        files = sorted(path.glob("*.spacy")) if path.is_dir() else [path]
        if not files:
            raise InputError(
                "E202",
                "holds no .spacy files.",
                fix="Pass a .spacy file or the folder `newscorpus export spacy` wrote.",
                where=str(path),
            )
        schema = Schema.load(project.schema_path)
        index = DocumentIndex(project)
        vocab = make_nlp().vocab
        plan = ImportPlan(self.name, str(path))
        seen: dict[str, str] = {}
        wanted = checked_ids(project, options.doc_ids) if options.doc_ids else []
        texts = _Texts()
        with msgpack_hooks_resolved():
            for file, number, doc in _docs(files, vocab):
                where = f"{file} (doc {number})"
                doc_text = _unless_missing(texts, doc, where)
                doc_id, text = match_document(index, doc._.doc_id, doc_text, where)
                if doc_id in seen:
                    raise InputError(
                        "E158",
                        f"holds document {doc_id} again (first in {seen[doc_id]}).",
                        fix="Keep one Doc per document.",
                        where=where,
                    )
                seen[doc_id] = where
                if wanted and doc_id not in wanted:
                    continue
                if doc_text != text:
                    raise InputError(
                        "E158",
                        f"the Doc's text differs from corpus/{doc_id}/text.txt, so its token "
                        "offsets point at other characters.",
                        fix="Make Docs from the normalised text (`newscorpus export spacy`).",
                        where=where,
                    )
                previous = index.current(schema, doc_id, text, options.annotator)
                annotations = partial(self._annotations, schema=schema, where=where)
                spans, relations = _unless_missing(annotations, doc, where)
                after = annotation_data(doc_id, text, spans, relations, previous)
                change = Change(doc_id, options.annotator, previous, after, where=where)
                plan_change(plan, schema, text, change, options, unannotated_is_none=True)
        missing = [doc_id for doc_id in wanted if doc_id not in seen]
        if missing:
            raise InputError(
                "E158",
                f"holds no Doc of {missing[0]}, which was named to import.",
                fix="Name only documents the file holds, or none to import them all.",
                where=str(path),
            )
        return plan

    @staticmethod
    def _annotations(
        doc: Any, schema: Schema, where: str
    ) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]]]:
        """Spans and relations (as indices into the spans) of one Doc."""
        group = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
        spans: list[tuple[int, int, str]] = []
        ids: dict[str, int] = {}
        # The Doc's text is the document's (checked by the caller), so a span's character
        # offsets are the corpus's: no offset convention to repair.
        labels = schema.entity_labels
        for span in [*group, *doc.ents]:
            # Each attribute read once: every read is a call into the Doc.
            label, ident, start, end = span.label_, span.id_, span.start_char, span.end_char
            if label not in labels:
                at = f"{where} span {ident or label} [{start}, {end})"
                error = label_error(label, "entity", schema, at)
                assert error is not None
                raise error
            if ident and ident not in ids:
                ids[ident] = len(spans)
            spans.append((start, end, label))
        relations: list[tuple[int, int, str]] = []
        stored = doc._.relations
        if stored is not None and not isinstance(stored, (list, tuple)):
            raise InputError(
                "E158",
                f"doc._.relations holds {type(stored).__name__} {stored!r:.60}, not a list of "
                "relations.",
                fix="Store relations in doc._.relations as the export does: a list of "
                "(id, head entity id, tail entity id, label).",
                where=where,
            )
        for item in stored or ():
            if (
                not isinstance(item, (list, tuple))
                or len(item) != 4
                or not all(isinstance(part, str) for part in item)
            ):
                raise InputError(
                    "E158",
                    f"relation {item!r:.80} is not (id, head entity id, tail entity id, label), "
                    "four strings.",
                    fix="Store relations in doc._.relations as the export does.",
                    where=where,
                )
            ident, head, tail, label = item
            error = label_error(label, "relation", schema, f"{where} relation {ident}")
            if error is not None:
                raise error
            missing = [x for x in (head, tail) if x not in ids]
            if missing:
                raise InputError(
                    "E158",
                    f"relation {ident} names entity {missing[0]!r}, which is not in "
                    f'doc.spans["{SPANS_KEY}"].',
                    fix='Keep every relation\'s head and tail in doc.spans["entities"], with its '
                    "id as span.id_.",
                    where=where,
                )
            relations.append((ids[head], ids[tail], label))
        return spans, relations


FORMAT = SpacyDocBin()
