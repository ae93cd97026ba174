"""CoNLL-2003 export and import: one token per line with its IOB2 tag, for taggers and scorers.

An export writes ``train.conll``, ``validation.conll`` and ``test.conll`` (the dataset's splits;
an empty split is written empty and reported). Each document starts with
``-DOCSTART- -X- -X- O`` and a blank line; each sentence is one ``TOKEN _ _ TAG`` line per token
and a blank line. Tokens, sentences and tags are those of the ``sentences`` config
(:mod:`newscorpus.formats.tokens`). CoNLL holds one flat layer of entities and no relations, so
nested entities and relations are counted as losses on export.

An import reads such a file, or a folder's ``.conll`` files together (the first column is the
token, the last the tag; ``O``, ``B-X``, ``I-X``), aligns its tokens to the document's text
(skipping whitespace) and rebuilds character spans. Each ``-DOCSTART-`` block is one document
(a file without one is one document; a line ``-DOCSTART- _ _ TAG`` is a token line, as the
export writes the word when an article holds it): with ``--doc DOC_ID`` (once per block, in
order) it is that document, otherwise the document whose text, without whitespace, is the
block's tokens joined. Importing the export's folder rather than each split's file makes the
whole round trip one change, all or nothing, and reads the corpus's texts once to match blocks,
not once per file. Because the file cannot hold them, the import keeps what the current
annotation file has beyond the flat layer: entities nested inside an imported entity, and
relations whose two arguments are still there (same span and label).
What goes (a relation whose argument the file removed or relabelled, a nested entity whose outer
entity went) is listed, and needs ``--replace`` like any change to gold.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

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
    label_error,
    plan_change,
    staged_files,
)
from newscorpus.formats.reading import read_input
from newscorpus.formats.tokens import FlatTokens, token_rows
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.splits import SPLITS

DOCSTART = "-DOCSTART-"
DOCSTART_LINE = f"{DOCSTART} -X- -X- O"
#: Split -> file name.
SPLIT_FILES = {split: f"{split}.conll" for split in SPLITS}
_WHITESPACE = re.compile(r"\s*")
#: A blank line's columns.
_BLANK: tuple[str, ...] = ()
#: Runs of what ``str.split`` splits on: ``\s`` is Python's whitespace, as ``str.isspace``.
_WORDS = re.compile(r"\S+")
#: A line whose first column is ``-DOCSTART-``, unless it is a token line as the export writes
#: them (``TOKEN _ _ TAG``): the article's own word ``-DOCSTART-``.
_DOCSTART = re.compile(
    rf"^[^\S\n]*{DOCSTART}(?=\s|\Z)(?![^\S\n]+_[^\S\n]+_[^\S\n]+\S+[^\S\n]*$)", re.MULTILINE
)


@dataclass
class Block:
    """One document of a CoNLL file: where it starts, its tokens and its entities."""

    #: The file it is in, as errors name it.
    where: str
    #: The line of its ``-DOCSTART-`` (1 for a file without one).
    line: int
    #: Each token line's first column: never empty, never holding whitespace.
    tokens: list[str] = field(default_factory=list)
    #: The line of each token.
    lines: list[int] = field(default_factory=list)
    #: Entities as ``(first, last, label)``: token indices, both inclusive.
    entities: list[tuple[int, int, str]] = field(default_factory=list)


def parse(content: str, where: str, schema: Schema) -> Iterator[Block]:
    """The documents of a CoNLL file with their tokens and IOB2 entities, one at a time (a
    caller that does not keep them holds one document's tokens, not the file's).

    Raises:
        InputError: E156 naming the line of a malformed line or a tag sequence that breaks
            IOB2; E153 for a label the schema does not have.
    """
    tags: dict[str, tuple[str, str]] = {}  # each tag is checked once
    start, number, line = 0, 1, 1  # where the block's lines start, their first line, its line
    started = False  # whether a -DOCSTART- came: lines before the first need tokens to count
    for found in _DOCSTART.finditer(content):
        lines = content[start : found.start()]
        if started or (not lines.isspace() and lines):
            yield _block(lines, number, line, where, schema, tags)
        line = number + lines.count("\n")
        end = content.find("\n", found.end())
        start, number, started = len(content) if end < 0 else end + 1, line + 1, True
    lines = content[start:]
    if started or (not lines.isspace() and lines):
        yield _block(lines, number, line, where, schema, tags)


def _block(
    lines: str,
    number: int,
    line: int,
    where: str,
    schema: Schema,
    tags: dict[str, tuple[str, str]],
) -> Block:
    """The block whose token lines are ``lines``, the first of them line ``number``.

    Lines are split and their columns taken a whole block at a time, by list comprehensions;
    only the tokens inside entities get a loop of their own. Only a block that breaks a rule is
    read line by line again, by :func:`_first_error`, to word its first error.
    """
    # A blank line is the one shared empty tuple, not an empty list of its own: a file of 30 MB
    # of blank lines held 5.3 GB of them.
    rows: list[Sequence[str]] = [raw.split() or _BLANK for raw in lines.split("\n")]
    if 1 in map(len, rows):
        raise _first_error(rows, number, where, schema)
    tokens = [fields[0] for fields in rows if fields]
    tagged = [fields[-1] for fields in rows if fields]
    for tag in set(tagged).difference(tags):
        try:
            tags[tag] = _check_tag(tag, schema, where)
        except InputError:
            raise _first_error(rows, number, where, schema) from None
    numbers = [n for n, fields in enumerate(rows, start=number) if fields]
    entities: list[tuple[int, int, str]] = []
    for index in [k for k, tag in enumerate(tagged) if tag != "O"]:
        prefix, label = tags[tagged[index]]
        if prefix == "B":
            entities.append((index, index, label))
            continue
        # I- continues the entity of the token on the line just before, with its label.
        if not (
            entities
            and entities[-1][1:] == (index - 1, label)
            and numbers[index - 1] == numbers[index] - 1
        ):
            raise _first_error(rows, number, where, schema)
        entities[-1] = (entities[-1][0], index, label)
    return Block(where, line, tokens, numbers, entities)


def _first_error(rows: list[Sequence[str]], number: int, where: str, schema: Schema) -> InputError:
    """The first error of a block's lines (``rows``: each line's columns), read line by line
    as IOB2 is defined, so that it is the first in the file's order."""
    open_label = ""  # the label an I- tag may continue here
    for at, fields in enumerate(rows, start=number):
        if not fields:
            open_label = ""  # a sentence ends: no entity crosses it
            continue
        if len(fields) < 2:
            return InputError(
                "E156",
                f"line {fields[0]!r} has one column; a CoNLL line is 'TOKEN ... TAG'.",
                fix="Give every token its tag in the last column (O, B-LABEL or I-LABEL).",
                where=f"{where}:{at}",
            )
        tag = fields[-1]
        try:
            prefix, label = _check_tag(tag, schema, f"{where}:{at}")
        except InputError as err:
            return err
        if prefix == "I" and open_label != label:
            after = f"after {open_label}" if open_label else "outside an entity"
            return InputError(
                "E156",
                f"tag {tag!r} continues an entity {after}; in IOB2 an entity starts with B-.",
                fix=f"Write B-{label} on the entity's first token.",
                where=f"{where}:{at}",
            )
        open_label = label
    raise AssertionError("_first_error is called for a block that breaks a rule")


def _check_tag(tag: str, schema: Schema, where: str) -> tuple[str, str]:
    """``(prefix, label)`` of an IOB2 tag (``("O", "")`` for ``O``).

    Raises:
        InputError: E156 for a tag that is not IOB2, E153 for a label not in the schema.
    """
    if tag == "O":
        return "O", ""
    prefix, _, label = tag.partition("-")
    if prefix not in ("B", "I") or not label:
        raise InputError(
            "E156",
            f"tag {tag!r} is not O, B-LABEL or I-LABEL (IOB2).",
            fix="Use IOB2 tags: B- starts an entity, I- continues it, O is outside.",
            where=where,
        )
    error = label_error(label, "entity", schema, where)
    if error is not None:
        raise error
    return prefix, label


def _decode(data: bytes, where: str) -> str:
    """The file as UTF-8 text (a byte order mark is allowed).

    Raises:
        InputError: E204 naming the offset of the first byte that is not UTF-8.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(
            "E204",
            f"is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}).",
            fix="Convert it to UTF-8 first, e.g. with iconv.",
            where=where,
        ) from None


def align(
    text: str, block: Block, where: str, doc_id: str
) -> Callable[[int, int], tuple[int, int]]:
    """Where the block's tokens are in ``text`` (tokens in order, whitespace between): a
    function from a first and last token index to their character span.

    A block aligns exactly when its tokens, joined, are the text without its whitespace and
    every whitespace of the text falls between two tokens (tokens being, as :func:`parse` makes
    them, non-empty and without whitespace). Both are checked with whole-string
    operations, and a span is worked out only for the tokens asked for: an import needs the
    edges of entities, not every token's offsets.

    Raises:
        InputError: E157 naming the line of the first token that is not the next text, or the
            last line when the text goes on after the last token.
    """
    tokens, words = block.tokens, text.split()
    if "".join(tokens) == "".join(words):
        ends = list(accumulate(map(len, tokens)))
        word_ends = list(accumulate(map(len, words)))
        if set(ends).issuperset(word_ends):
            # The text offset of word j: the whitespace before it plus the words before it.
            spaces = list(accumulate(map(len, _WORDS.split(text))))

            def at(offset: int, word: int) -> int:
                return spaces[word] + offset

            def span(first: int, last: int) -> tuple[int, int]:
                start, end = ends[first] - len(tokens[first]), ends[last]
                return (
                    at(start, bisect_right(word_ends, start)),
                    at(end, bisect_left(word_ends, end)),
                )

            return span
    raise _misalignment(text, block, where, doc_id)


def _misalignment(text: str, block: Block, where: str, doc_id: str) -> InputError:
    """The first place the tokens of a block that does not align leave ``text``, found token by
    token as :func:`align` defines alignment."""
    pos = 0
    for token, line in zip(block.tokens, block.lines, strict=True):
        match = _WHITESPACE.match(text, pos)
        pos = match.end() if match else pos
        if not text.startswith(token, pos):
            found = text[pos : pos + max(len(token), 10)]
            return InputError(
                "E157",
                f"token {token!r} does not align to the text of {doc_id}: at offset {pos} "
                f"it reads {found!r}.",
                fix="Keep the tokens of `newscorpus export conll` (change only the tags), or name "
                "the right document with --doc.",
                where=f"{where}:{line}",
            )
        pos += len(token)
    rest = text[pos:]
    return InputError(
        "E157",
        f"the file's tokens end at offset {pos} of {doc_id}, but its text goes on: "
        f"{rest.strip()[:30]!r}.",
        fix="Keep every token of `newscorpus export conll`; a CoNLL import covers the whole "
        "document.",
        where=f"{where}:{block.lines[-1] if block.lines else 1}",
    )


def merged_file(
    doc_id: str,
    text: str,
    spans: Sequence[tuple[int, int, str]],
    previous: dict[str, Any] | None,
) -> tuple[dict[str, Any], int, int]:
    """The annotation file for the imported flat ``spans``, keeping what CoNLL cannot hold.

    Kept from ``previous`` (the current file, as read): entities strictly inside an imported
    entity (nested ones) and relations whose head and tail are both kept (same span and label).

    Returns:
        The file in its JSON form, and how many nested entities and relations were kept.
    """
    imported = list(dict.fromkeys(spans))
    if previous is None:
        return annotation_data(doc_id, text, imported, [], None), 0, 0
    flat = set(imported)
    entities = [(e["id"], (e["start"], e["end"], e["label"])) for e in previous["entities"]]
    nested = [
        (start, end, label)
        for _, (start, end, label) in entities
        if (start, end, label) not in flat
        and any(s <= start and end <= t and (s, t) != (start, end) for s, t, _ in flat)
    ]
    all_spans = imported + nested
    index = {span: k for k, span in enumerate(all_spans)}
    by_id = dict(entities)
    relations = [
        (index[by_id[r["head"]]], index[by_id[r["tail"]]], r["label"])
        for r in previous["relations"]
        if by_id.get(r["head"]) in index and by_id.get(r["tail"]) in index
    ]
    return (
        annotation_data(doc_id, text, all_spans, relations, previous),
        len(nested),
        len(relations),
    )


def _matched(blocks: Iterable[Block], index: DocumentIndex) -> Iterator[tuple[Block, str]]:
    """Each block with the document whose text, without whitespace, is its tokens joined.

    Documents are keyed by the digest of that text, so the key of every document is held, not
    its text.

    Raises:
        InputError: E169 for a block that no document, or several, have the text of.
    """
    letters: dict[bytes, list[str]] = {}
    for doc_id in sorted(index.ids):
        letters.setdefault(_letters_key(index.text(doc_id).split()), []).append(doc_id)
    for block in blocks:
        found = letters.get(_letters_key(block.tokens), [])
        if len(found) != 1:
            what = "no corpus document has" if not found else f"{', '.join(found)} all have"
            raise InputError(
                "E169",
                f"{what} the text of this block's tokens, so it cannot be matched to one document.",
                fix="Name the document with --doc DOC_ID.",
                where=f"{block.where}:{block.line}",
            )
        yield block, found[0]


def _letters_key(words: list[str]) -> bytes:
    return hashlib.sha256("".join(words).encode()).digest()


def _twice(doc_id: str, first: tuple[str, int], again: tuple[str, int]) -> InputError:
    """E169 for a document that two blocks hold (each given as its file and line)."""
    if first[0] == again[0]:
        return InputError(
            "E169",
            f"holds document {doc_id} twice (from lines {first[1]} and {again[1]}).",
            fix="Keep one copy of each document in the file.",
            where=first[0],
        )
    return InputError(
        "E169",
        f"holds document {doc_id} twice (in {first[0]}:{first[1]} and {again[0]}:{again[1]}).",
        fix="Keep one copy of each document: a folder's files are imported together.",
        where=str(Path(first[0]).parent),
    )


def _conll_files(path: Path) -> list[Path]:
    """The ``.conll`` files of the folder ``path``, in name order, or ``path`` itself (which
    :func:`~newscorpus.formats.reading.read_input` refuses unless it is a regular file).

    Raises:
        InputError: E202 for a folder without ``.conll`` files; E219 for a ``.conll`` name in
            it that is not a regular file.
    """
    if not path.is_dir():
        return [path]
    files = sorted(path.glob("*.conll"))
    if not files:
        raise InputError(
            "E202",
            "holds no .conll files.",
            fix="Pass a .conll file or the folder `newscorpus export conll` wrote.",
            where=str(path),
        )
    for file in files:
        if not file.is_file():
            raise InputError(
                "E219",
                "is not a regular file (a folder, pipe, device or dangling link); a CoNLL "
                "import reads the folder's .conll files.",
                fix="Remove it from the folder, or import the files one by one.",
                where=str(file),
            )
    return files


def _lines(tokens: FlatTokens) -> str:
    """A document's block: ``-DOCSTART-``, then each sentence's ``TOKEN _ _ TAG`` lines, each
    followed by a blank line."""
    parts = [DOCSTART_LINE, "\n\n"]
    for words, tags in zip(tokens.tokens, tokens.tags, strict=True):
        lines = [f"{word} _ _ {tag}" for word, tag in zip(words, tags, strict=True)]
        parts += ("\n".join(lines), "\n\n")
    return "".join(parts)


class Conll:
    """CoNLL-2003 with IOB2 tags: one file per split."""

    name = "conll"
    summary = "CoNLL-2003 IOB2 files per split (train/validation/test.conll); flat, no relations"

    @collector.paused()
    def export(
        self,
        project: Project,
        out: Path,
        doc_ids: Sequence[str] | None,
        *,
        use_cache: bool = True,
    ) -> ExportReport:
        """Write one ``<split>.conll`` per split, each document after a ``-DOCSTART-`` line."""
        check_output(out, lambda name: name in SPLIT_FILES.values(), self.name)
        report = ExportReport(self.name, out)
        written = dict.fromkeys(SPLITS, 0)
        schema = Schema.load(project.schema_path)
        with staged_files(out, list(SPLIT_FILES.values())) as files:
            for tokens in token_rows(project, schema, doc_ids, use_cache):
                files[SPLIT_FILES[tokens.split]](_lines(tokens))
                written[tokens.split] += 1
                losses = (("nested entities", tokens.nested), ("relations", tokens.relations))
                report.losses.update({what: count for what, count in losses if count})
                report.documents += 1
        for split, name in SPLIT_FILES.items():
            report.files.append(name)
            if not written[split]:
                report.warnings.append(f"{name} is empty: no document is in the {split} split")
        return report

    @collector.paused()
    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Read a CoNLL file, or every ``.conll`` file of a folder (in name order) as one import:
        each ``-DOCSTART-`` block is one document (see the module).

        Raises:
            InputError: E201 a file that cannot be read; E202 a folder without ``.conll``
                files; E219 a ``.conll`` name in the folder that is not a regular file; E156
                malformed line; E153 unknown label; E157 tokens that do not align; E169 blocks
                that cannot be paired with documents, or one document twice.
        """
        where = str(path)
        files = _conll_files(path)
        schema = Schema.load(project.schema_path)
        blocks: Iterable[Block] = (
            block
            for file in files
            for block in parse(_decode(read_input(file), str(file)), str(file), schema)
        )
        plan = ImportPlan(self.name, where)
        index = DocumentIndex(project)
        pairs: Iterable[tuple[Block, str]]
        if options.doc_ids:
            # Named documents are few: the blocks are counted against the names first.
            ids = checked_ids(project, options.doc_ids)
            again = next((doc_id for n, doc_id in enumerate(ids) if doc_id in ids[:n]), None)
            if again is not None:
                raise InputError(
                    "E169",
                    f"--doc names {again} twice; each block is one document.",
                    fix="Give each document's id once, in the order of the blocks.",
                )
            blocks = list(blocks)
            if len(ids) != len(blocks):
                order = "the file's order" if path.is_file() else "the files' name order"
                raise InputError(
                    "E169",
                    f"holds {len(blocks)} document(s) (-DOCSTART- blocks) but {len(ids)} were "
                    "named with --doc.",
                    fix=f"Give one --doc DOC_ID per document, in {order}, or none to match "
                    "them by their tokens.",
                    where=where,
                )
            pairs = zip(blocks, ids, strict=True)
        else:
            pairs = _matched(blocks, index)
        seen: dict[str, tuple[str, int]] = {}  # where each document's block is
        kept_nested = kept_relations = 0
        for block, doc_id in pairs:
            at = f"{block.where}:{block.line}"
            if doc_id in seen:
                raise _twice(doc_id, seen[doc_id], (block.where, block.line))
            seen[doc_id] = (block.where, block.line)
            text = index.text(doc_id)
            span = align(text, block, block.where, doc_id)
            spans = [(*span(first, last), label) for first, last, label in block.entities]
            previous = index.current(schema, doc_id, text, options.annotator)
            after, nested, relations = merged_file(doc_id, text, spans, previous)
            kept_nested += nested
            kept_relations += relations
            change = Change(doc_id, options.annotator, previous, after, where=at)
            plan_change(plan, schema, text, change, options, unannotated_is_none=True)
        if kept_nested or kept_relations:
            plan.warnings.append(
                f"kept {kept_nested} nested entities and {kept_relations} relations of the "
                "current annotations, which CoNLL cannot hold"
            )
        return plan


FORMAT = Conll()
