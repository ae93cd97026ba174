"""``newscorpus check``: corpus-wide consistency of the gold annotations.

The validator looks at one file at a time; these checks look across the corpus (gold only):

- **W170 likely missed mention**: a text annotated somewhere with a label occurs elsewhere as a
  whole word, in the same case, without an annotation of exactly that span (an occurrence inside
  an annotated entity of that label, such as the surname inside a full name, is part of it);
- **W171 same text, different labels**: one text annotated with two or more labels;
- **W172 boundary variation**: a name annotated both with and without one neighbouring word
  under the same label ("US" and "the US", "Huawei" and "Huawei Technologies");
- **W173 same pair, different relation labels**: the same two texts linked by relations of
  different labels.

Missed mentions are found in one pass over each text with a phrase matcher, not a search per
name: every annotated text is indexed by its first word, one compiled pattern (a trie of those
first words) finds the candidate positions, and only the names starting with the word found
there are compared. ``check`` stays linear in the corpus (``scripts/bench_build.py`` times it
on 10,000 documents). Reviewed, accepted warnings are listed in ``annotations/checks.yaml``
(:mod:`newscorpus.check_exceptions`); they are left out, and an entry that matches nothing is
itself a warning (W174), so the file cannot go stale silently.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from newscorpus.annotations import ANNOTATION_SUFFIX, annotation_files, annotation_path
from newscorpus.check_cache import PartStore
from newscorpus.check_exceptions import Exceptions, Subject, load_exceptions
from newscorpus.check_gold import Link, Mention, Mentioned, gold_documents
from newscorpus.corpus import doc_ids
from newscorpus.engines import EngineSettings, iter_shards
from newscorpus.errors import Issue, NewscorpusError, UsageError
from newscorpus.project import Project
from newscorpus.schema import Schema
from newscorpus.validate_json import issue, printable, show

_WORD = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
_BY_OFFSETS = attrgetter("start", "end")
_ACCEPT = "If it is right, accept it in annotations/checks.yaml with a reason."


class Place(NamedTuple):
    """Where an annotated text (or a relation) is: document, offsets and id. Places sort by
    document, then offset: the first place is the smallest."""

    doc_id: str
    start: int
    end: int
    entity_id: str

    def render(self) -> str:
        return f"{printable(self.doc_id)} {self.entity_id} [{self.start}, {self.end})"


@dataclass(frozen=True)
class Finding:
    """One warning with what the exceptions file matches it by."""

    issue: Issue
    subject: Subject


@dataclass(frozen=True)
class CheckCounts:
    """How many warnings ``check`` finds open per code, how many were accepted, over how many
    documents (:func:`check_counts`)."""

    accepted: int
    documents: int
    counts: dict[str, int]


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found: warnings still open, how many were accepted, over how much."""

    issues: tuple[Issue, ...]
    accepted: int
    documents: int
    #: Open warnings per code, accepted ones excluded (for the card).
    counts: dict[str, int] = field(default_factory=dict)

    def ok(self, strict: bool) -> bool:
        return not (strict and self.issues)

    def summary(self) -> str:
        accepted = f" ({self.accepted} accepted in checks.yaml)" if self.accepted else ""
        docs = f"{self.documents} document{'s' if self.documents != 1 else ''}"
        if not self.issues:
            return f"ok: no consistency warnings in {docs}{accepted}"
        n = len(self.issues)
        return f"{n} warning{'s' if n != 1 else ''} in {docs}{accepted}"


@dataclass
class _Seen:
    """How often a text carries a label (or a pair of texts a relation label), and where first:
    the smallest place by document, then offset."""

    count: int
    first: Place
    #: The documents it occurs in (to narrow the report and match exceptions by document), as
    #: a bit set over the corpus's ``documents`` (bit k: the k-th): a name found in most of a
    #: large corpus costs a bit per document where a set of ids cost some fifty bytes.
    docs: int


def _seen(table: dict[str, _Seen], label: str, place: Place, doc: int) -> None:
    seen = table.get(label)
    if seen is None:
        table[label] = _Seen(1, place, doc)
        return
    seen.count += 1
    seen.docs |= doc
    if place < seen.first:
        seen.first = place


@dataclass
class _Corpus:
    """What the checks learn from the whole of gold in a first pass: counts and first places,
    never the texts or the annotations, so memory grows with the names, not the corpus."""

    documents: list[str] = field(default_factory=list)
    #: text -> label -> how often and where first.
    names: dict[str, dict[str, _Seen]] = field(default_factory=dict)
    #: (text, text), sorted -> relation label -> how often and where first (``entity_id`` is
    #: the relation's id).
    links: dict[tuple[str, str], dict[str, _Seen]] = field(default_factory=dict)

    def gather(self, doc_id: str, mentions: list[Mention], links: list[Link]) -> None:
        doc = 1 << len(self.documents)
        self.documents.append(doc_id)
        names = self.names
        by_id = {}
        for e in mentions:
            by_id[e.id] = e
            table = names.get(e.text)
            if table is None:
                table = names[e.text] = {}
            _seen(table, e.label, Place(doc_id, e.start, e.end, e.id), doc)
        for r in links:
            head, tail = by_id[r.head], by_id[r.tail]
            pair = (head.text, tail.text) if head.text <= tail.text else (tail.text, head.text)
            where = Place(doc_id, min(head.start, tail.start), max(head.end, tail.end), r.id)
            _seen(self.links.setdefault(pair, {}), r.label, where, doc)

    def to_json(self) -> dict[str, Any]:
        """The corpus as JSON values, for :mod:`newscorpus.check_cache`."""
        return {
            "documents": self.documents,
            "names": [
                [text, label, s.count, list(s.first), f"{s.docs:x}"]
                for text, by_label in self.names.items()
                for label, s in by_label.items()
            ],
            "links": [
                [a, b, label, s.count, list(s.first), f"{s.docs:x}"]
                for (a, b), by_label in self.links.items()
                for label, s in by_label.items()
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> _Corpus | None:
        """The corpus :meth:`to_json` gave, or None for anything else."""
        if data is None:
            return None
        corpus = cls()
        try:
            corpus.documents = [str(d) for d in data["documents"]]
            # One str per document, as gathering made: JSON gives each place its own copy.
            ids = {d: d for d in corpus.documents}.__getitem__
            limit = 1 << len(corpus.documents)
            for text, label, count, first, docs in data["names"]:
                table = corpus.names.setdefault(text, {})
                table[label] = _seen_from_json(ids, limit, count, first, docs)
            for a, b, label, count, first, docs in data["links"]:
                table = corpus.links.setdefault((a, b), {})
                table[label] = _seen_from_json(ids, limit, count, first, docs)
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        return corpus

    def merge(self, later: _Corpus) -> None:
        """Add what a first pass over the documents after these learnt: the same as gathering
        them here, in the same order. ``later`` is used up (its parts are taken over)."""
        shift = len(self.documents)
        self.documents += later.documents
        _merge(self.names, later.names, shift)
        _merge(self.links, later.links, shift)

    def doc_ids(self, seen: Iterable[_Seen]) -> tuple[str, ...]:
        """The ids of the documents any of ``seen`` occurs in, sorted."""
        bits = 0
        for s in seen:
            bits |= s.docs
        # The set bits one by one from the lowest: a text is in few of the documents, and
        # going through every bit cost a second per card at 10,000 documents.
        found = []
        while bits:
            low = bits & -bits
            found.append(self.documents[low.bit_length() - 1])
            bits ^= low
        return tuple(sorted(found))


def _seen_from_json(
    ids: Callable[[str], str], limit: int, count: int, first: list[Any], docs: str
) -> _Seen:
    bits = int(docs, 16)
    if not 0 < bits < limit or not isinstance(count, int):
        raise ValueError("not a first pass's documents")
    return _Seen(count, Place(ids(first[0]), *first[1:]), bits)


K = TypeVar("K")


def _merge(table: dict[K, dict[str, _Seen]], later: dict[K, dict[str, _Seen]], shift: int) -> None:
    for key, by_label in later.items():
        for seen in by_label.values():
            seen.docs <<= shift
        mine = table.get(key)
        if mine is None:
            table[key] = by_label
            continue
        for label, seen in by_label.items():
            have = mine.get(label)
            if have is None:
                mine[label] = seen
                continue
            have.count += seen.count
            have.docs |= seen.docs
            if seen.first < have.first:
                have.first = seen.first


def check_project(
    project: Project,
    schema: Schema,
    wanted: Sequence[str] = (),
    *,
    engine: EngineSettings | None = None,
    use_cache: bool = False,
) -> CheckReport:
    """Run every consistency check over the gold annotations: a first pass over gold learns
    every annotated text, a second pass over the texts looks for missed mentions.

    Args:
        project: the corpus project.
        schema: its schema (validation of the files read).
        wanted: report only warnings that involve these documents (the checks still learn from
            the whole corpus).
        engine: where the passes over gold run; None: a process pool on every core when gold
            is large enough to pay for it, else this process. The report is the same for any
            engine.
        use_cache: take each unchanged part of gold's passes from ``.newscorpus/cache/``
            (:mod:`newscorpus.check_cache`) and keep new ones there; the report is the same
            either way.

    Raises:
        NewscorpusError: E173 for a gold file that does not validate, E178 for an invalid
            ``annotations/checks.yaml``.
        UsageError: E213 for a document id without gold annotations.
    """
    exceptions = load_exceptions(project)
    found = _found(project, schema, wanted, engine, use_cache)
    for subject in found.elsewhere:
        # Matched, though not reported: an entry used only by other documents is not stale.
        exceptions.accepts(subject)
    findings = [*(found.finder.word(hit) for hit in found.hits), *found.others]
    return _report(project, findings, exceptions, found.documents)


def check_counts(
    project: Project,
    schema: Schema,
    *,
    engine: EngineSettings | None = None,
    use_cache: bool = False,
) -> CheckCounts:
    """What :func:`check_project` counts, without wording each warning: the dataset card shows
    the counts, and a corpus can have tens of thousands of warnings.

    Raises:
        NewscorpusError: as :func:`check_project`.
    """
    exceptions = load_exceptions(project)
    found = _found(project, schema, (), engine, use_cache)
    counts: Counter[str] = Counter()
    accepted = 0
    for subject in chain(map(found.finder.subject, found.hits), (f.subject for f in found.others)):
        if exceptions.accepts(subject):
            accepted += 1
        else:
            counts[subject.code] += 1
    counts.update(i.code for i in exceptions.stale_issues(project))
    return CheckCounts(accepted, found.documents, dict(sorted(counts.items())))


@dataclass(frozen=True)
class _Found:
    """The warnings of a check before exceptions: missed mentions as found, the others
    worded, and how many documents they are about."""

    finder: _MissedMentions
    #: In file order; read once (a stream, unless ``wanted`` was given).
    hits: Iterable[Hit]
    others: list[Finding]
    documents: int
    #: The subjects of the warnings left out by ``wanted``.
    elsewhere: list[Subject]


def _found(
    project: Project,
    schema: Schema,
    wanted: Sequence[str],
    engine: EngineSettings | None,
    use_cache: bool,
) -> _Found:
    parts = _parts(project, schema, engine)
    store = _store(project, schema, parts, use_cache)
    corpus = _learn(parts, store, engine)
    for doc_id in wanted:
        if doc_id not in corpus.documents:
            raise UsageError(
                "E213",
                f"there is no gold annotation file for {doc_id!r} "
                f"({project.relative(annotation_path(project, doc_id))}).",
                fix="Check the id; check reads gold only.",
            )
    finder = _MissedMentions(project, corpus)
    hits: Iterable[Hit] = _missed_mentions(parts, store, finder, engine)
    others = _corpus_findings(project, corpus)
    elsewhere: list[Subject] = []
    if wanted:
        keep = set(wanted)
        hits = list(hits)
        elsewhere += (finder.subject(h) for h in hits if h.doc_id not in keep)
        elsewhere += (f.subject for f in others if not keep & set(f.subject.docs))
        hits = [h for h in hits if h.doc_id in keep]
        others = [f for f in others if keep & set(f.subject.docs)]
    return _Found(finder, hits, others, len(wanted) or len(corpus.documents), elsewhere)


@dataclass(frozen=True)
class _Part:
    """Consecutive gold files, read by one worker in each pass."""

    project: Project
    schema: Schema
    files: tuple[Path, ...]
    stored: frozenset[str]

    def documents(self, *, checked: bool) -> Iterator[tuple[str, str, list[Mention], list[Link]]]:
        return gold_documents(
            self.project, self.schema, checked=checked, files=self.files, stored=self.stored
        )


#: Gold files per part: enough that a worker's start costs little, few enough that both cores
#: stay busy to the end.
_PART = 500


def _parts(project: Project, schema: Schema, engine: EngineSettings | None) -> list[_Part]:
    """Gold in consecutive parts: one (read in this process) when no engine was asked for and
    gold is too small to pay for starting workers."""
    files = annotation_files(project)
    stored = frozenset(doc_ids(project))
    if engine is None and len(files) < _PART:
        return [_Part(project, schema, tuple(files), stored)]
    workers = (engine or EngineSettings()).workers()
    size = max(1, min(_PART, -(-len(files) // workers)))
    return [
        _Part(project, schema, tuple(files[i : i + size]), stored)
        for i in range(0, len(files), size)
    ] or [_Part(project, schema, (), stored)]


def _learn_part(part: _Part) -> _Corpus | NewscorpusError:
    """The first pass over one part, or its first error (handed back, not raised, so that the
    caller reports the first error in file order whichever worker finishes first)."""
    corpus = _Corpus()
    try:
        for doc_id, _, mentions, links in part.documents(checked=True):
            corpus.gather(doc_id, mentions, links)
    except NewscorpusError as err:
        return err
    return corpus


def _store(project: Project, schema: Schema, parts: Sequence[_Part], use_cache: bool) -> PartStore:
    stored = parts[0].stored if parts else frozenset()
    return PartStore(project, schema, [p.files for p in parts], stored, use_cache=use_cache)


def _learn(parts: Sequence[_Part], store: PartStore, engine: EngineSettings | None) -> _Corpus:
    """The first pass: what every gold document annotates. Parts are folded in one by one, in
    order, so that only the corpus learnt so far and the next part are held at once.

    Raises:
        NewscorpusError: the first error of :func:`gold_documents` in file order.
    """
    corpus = _Corpus()
    first_error: NewscorpusError | None = None
    for i, part, fresh in _in_order(
        len(parts),
        store.has_learnt,
        lambda i: _Corpus.from_json(store.learnt(i)),
        _learn_part,
        parts.__getitem__,
        engine,
    ):
        if isinstance(part, NewscorpusError):
            first_error = first_error or part
            continue
        if fresh and store.keeping:
            store.keep_learnt(i, part.to_json())
        if first_error is None:
            corpus.merge(part)
    if first_error is not None:
        raise first_error
    return corpus


S = TypeVar("S")
R = TypeVar("R")


def _in_order(
    count: int,
    has_kept: Callable[[int], bool],
    kept: Callable[[int], R | None],
    compute: Callable[[S], R],
    spec: Callable[[int], S],
    engine: EngineSettings | None,
) -> Iterator[tuple[int, R, bool]]:
    """``(i, result, fresh)`` for each of ``count`` parts, in order: the kept result when there
    is one and it is intact, else ``compute(spec(i))`` (``fresh``), run on ``engine`` for the
    parts with nothing kept and here for one whose kept result turns out not intact."""
    todo = [i for i in range(count) if not has_kept(i)]
    computed = iter_shards(compute, [spec(i) for i in todo], engine or EngineSettings())
    run = set(todo)
    for i in range(count):
        result = None if i in run else kept(i)
        if result is not None:
            yield i, result, False
        else:
            yield i, next(computed) if i in run else compute(spec(i)), True


@dataclass(frozen=True)
class _Search:
    """The second pass over one part: its missed mentions."""

    part: _Part
    finder: _MissedMentions


def _search(search: _Search) -> list[Hit]:
    return [
        hit
        for doc_id, text, mentions, _ in search.part.documents(checked=False)
        for hit in search.finder.hits(doc_id, text, mentions)
    ]


def _missed_mentions(
    parts: Sequence[_Part],
    store: PartStore,
    finder: _MissedMentions,
    engine: EngineSettings | None,
) -> Iterator[Hit]:
    """Every part's missed mentions, in file order (kept ones while the vocabulary holds),
    part by part, so a caller that only counts them never holds them all."""
    vocabulary = finder.vocabulary_key()
    for i, hits, fresh in _in_order(
        len(parts),
        lambda i: store.has_hits(i, vocabulary),
        lambda i: _hits_from_json(store.hits(i, vocabulary)),
        _search,
        lambda i: _Search(parts[i], finder),
        engine,
    ):
        if fresh and store.keeping:
            store.keep_hits(i, vocabulary, [[*h[:4], h.here and list(h.here)] for h in hits])
        yield from hits


def _hits_from_json(data: Any) -> list[Hit] | None:
    if data is None:
        return None
    try:
        return [Hit(d, n, s, e, Place(*here) if here else None) for d, n, s, e, here in data]
    except (TypeError, ValueError):
        return None


def _corpus_findings(project: Project, corpus: _Corpus) -> list[Finding]:
    """The checks that need only what the first pass learnt (W171-W173)."""
    return [
        *label_variation(project, corpus),
        *boundary_variation(project, corpus),
        *relation_variation(project, corpus),
    ]


class DocumentChecks:
    """:func:`check_project` for a reader that goes through the gold documents itself
    (``newscorpus view``): the first pass and the corpus-wide checks run when it is made, and
    the missed mentions of each document when the reader hands over its text and entities, so
    gold is not read a second time. Each document gets the open warnings that
    :func:`check_project` files under its gold file.

    Raises:
        NewscorpusError: as :func:`check_project`, when it is made.
    """

    def __init__(self, project: Project, schema: Schema, *, use_cache: bool = True) -> None:
        self._exceptions = load_exceptions(project)
        parts = _parts(project, schema, None)
        corpus = _learn(parts, _store(project, schema, parts, use_cache), None)
        self._gold = frozenset(corpus.documents)
        self._finder = _MissedMentions(project, corpus)
        self._by_doc: dict[str, list[Finding]] = defaultdict(list)
        for finding in _corpus_findings(project, corpus):
            self._by_doc[_document_of(project, finding.issue.path)].append(finding)

    def for_document(
        self, doc_id: str, text: str | None, mentions: Sequence[Mentioned]
    ) -> list[Issue]:
        """The open warnings filed under ``doc_id``'s gold file, given its text and entities."""
        findings = list(self._by_doc.get(doc_id, ()))
        if doc_id in self._gold and text is not None:
            findings += self._finder.find(doc_id, text, mentions)
        open_issues = [f.issue for f in findings if not self._exceptions.accepts(f.subject)]
        return sorted(open_issues, key=lambda i: (i.path, i.code, i.message))


def document_checks(project: Project, *, use_cache: bool = True) -> DocumentChecks | None:
    """The consistency checks for ``newscorpus view``, or None when they cannot run because
    gold or the schema does not validate (the viewer shows those errors itself)."""
    try:
        return DocumentChecks(project, Schema.load(project.schema_path), use_cache=use_cache)
    except NewscorpusError:
        return None


def _document_of(project: Project, path: str) -> str:
    """The document whose gold file ``path`` names ("" when it names none)."""
    name = path.removeprefix(f"{project.annotations_dir}/")
    return name.removesuffix(ANNOTATION_SUFFIX) if "/" not in name else ""


def _report(
    project: Project, findings: list[Finding], exceptions: Exceptions, documents: int
) -> CheckReport:
    open_issues = []
    accepted = 0
    for finding in findings:
        if exceptions.accepts(finding.subject):
            accepted += 1
        else:
            open_issues.append(finding.issue)
    open_issues += exceptions.stale_issues(project)
    counts: dict[str, int] = defaultdict(int)
    for item in open_issues:
        counts[item.code] += 1
    ordered = tuple(sorted(open_issues, key=lambda i: (i.path, i.code, i.message)))
    return CheckReport(ordered, accepted, documents, dict(sorted(counts.items())))


def _where(project: Project, doc_id: str) -> str:
    """The gold file of ``doc_id`` as issues name it (built, not resolved: this runs once per
    warning)."""
    return printable(f"{project.annotations_dir}/{doc_id}{ANNOTATION_SUFFIX}")


# --- W170 ------------------------------------------------------------------------------------


def _first_words(words: Collection[str]) -> re.Pattern[str]:
    """One compiled pattern matching any of ``words`` as a whole word, built as a trie so the
    regex engine rejects a position after a character or two instead of trying every word."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return f"(?:{'|'.join(branches)})" + ("?" if "" in node else "")

    return re.compile(rf"\b(?:{emit(trie)})\b" if trie else r"(?!)")


def _phrase_index(names: dict[str, dict[str, _Seen]]) -> dict[str, list[str]]:
    """Annotated texts by their first word, longest first; texts that do not start with a word
    character cannot be a whole word and are left out."""
    index: dict[str, list[str]] = defaultdict(list)
    for text in names:
        first = _WORD.match(text)
        if first is not None:
            index[first.group()].append(text)
    for bucket in index.values():
        bucket.sort(key=lambda t: (-len(t), t))
    return index


class Hit(NamedTuple):
    """A missed mention as found, before it is worded: the document, the annotated text and
    where it occurs, and the text's first annotated place in the same document (or None)."""

    doc_id: str
    name: str
    start: int
    end: int
    here: Place | None


class _MissedMentions:
    """W170: each whole-word, same-case occurrence of an annotated text that is not annotated,
    found one document at a time with one pattern built from everything gold annotates."""

    def __init__(self, project: Project, corpus: _Corpus) -> None:
        self._project = project
        # Without the documents each name occurs in: the finder goes to every worker, and
        # those grow with the corpus.
        self._names = {
            name: {label: _Seen(s.count, s.first, 0) for label, s in by_label.items()}
            for name, by_label in corpus.names.items()
        }
        self._index = _phrase_index(self._names)
        self._pattern = _first_words(self._index)

    def find(self, doc_id: str, text: str, mentions: Sequence[Mentioned]) -> list[Finding]:
        """The missed mentions in ``text``, the gold text of ``doc_id`` annotated with
        ``mentions``."""
        return [self.word(hit) for hit in self.hits(doc_id, text, mentions)]

    def hits(self, doc_id: str, text: str, mentions: Sequence[Mentioned]) -> list[Hit]:
        """:meth:`find`'s missed mentions as found: they depend on the document and on which
        texts gold annotates with which labels, not on how often or where first."""
        names, index = self._names, self._index
        entities = sorted(mentions, key=_BY_OFFSETS)
        spans = {(e.start, e.end) for e in entities}
        starts = [e.start for e in entities]
        longest = max((e.end - e.start for e in entities), default=0)
        here: dict[str, Place] = {}  # the first place of each annotated text in this document
        for e in entities:
            here.setdefault(e.text, Place(doc_id, e.start, e.end, e.id))
        hits = []
        for match in self._pattern.finditer(text):
            start = match.start()
            for name in index[match.group()]:
                end = start + len(name)
                if (
                    (start, end) in spans
                    or not text.startswith(name, start)
                    or (_WORD_CHAR.match(name, len(name) - 1) and _WORD_CHAR.match(text, end))
                    or _inside_same_label(entities, starts, longest, start, end, names[name])
                ):
                    continue
                hits.append(Hit(doc_id, name, start, end, here.get(name)))
        return hits

    def word(self, hit: Hit) -> Finding:
        """The warning of a missed mention, with what gold knows of its text now."""
        by_label = self._names[hit.name]
        labels = sorted(by_label)
        # The example place: one in the same document when there is one, else the first.
        example = hit.here or min(s.first for s in by_label.values())
        count = sum(s.count for s in by_label.values())
        elsewhere = f" ({count} annotated mentions in all)" if count > 1 else ""
        name = show(hit.name)
        message = (
            f"{name} at [{hit.start}, {hit.end}) is not annotated, but {name} is annotated "
            f"{'/'.join(labels)} at {example.render()}{elsewhere}: a likely missed mention."
        )
        fix = f"Annotate it as {labels[0]}, if it names the same thing. {_ACCEPT}"
        return Finding(
            issue("W170", _where(self._project, hit.doc_id), message, fix), self.subject(hit)
        )

    def subject(self, hit: Hit) -> Subject:
        """What exceptions match a missed mention by."""
        return Subject("W170", hit.name, None, (hit.doc_id,), hit.start)

    def vocabulary_key(self) -> str:
        """What :meth:`hits` depends on besides the document: each annotated text's labels."""
        listing = sorted((name, sorted(by_label)) for name, by_label in self._names.items())
        data = json.dumps(listing, ensure_ascii=False).encode("utf-8", "surrogatepass")
        return hashlib.sha256(data).hexdigest()


def _inside_same_label(
    entities: Sequence[Mentioned],
    starts: Sequence[int],
    longest: int,
    start: int,
    end: int,
    labels: Collection[str],
) -> bool:
    """Whether an entity with one of ``labels`` contains ``[start, end)``: the surname inside
    an annotated full name is part of that name, not a mention of its own. ``entities`` are
    sorted by start (``starts``); none is longer than ``longest``, so only those starting
    within that distance before ``start`` can contain it."""
    for k in range(bisect_left(starts, start - longest), bisect_right(starts, start)):
        e = entities[k]
        if end <= e.end and e.label in labels:
            return True
    return False


# --- W171, W172 ------------------------------------------------------------------------------


def label_variation(project: Project, corpus: _Corpus) -> list[Finding]:
    """W171: one text annotated with two or more labels, each label's first place named."""
    findings = []
    for name in sorted(corpus.names):
        by_label = corpus.names[name]
        if len(by_label) < 2:
            continue
        parts = [
            f"{label} {seen.count}x (first at {seen.first.render()})"
            for label, seen in sorted(by_label.items())
        ]
        first = min(seen.first for seen in by_label.values())
        findings.append(
            Finding(
                issue(
                    "W171",
                    _where(project, first.doc_id),
                    f"{show(name)} is annotated with different labels: {'; '.join(parts)}.",
                    f"Use one label where it names the same kind of thing (see GUIDELINES.md). "
                    f"{_ACCEPT}",
                ),
                Subject("W171", name, None, corpus.doc_ids(by_label.values()), None),
            )
        )
    return findings


def boundary_variation(project: Project, corpus: _Corpus) -> list[Finding]:
    """W172: a name annotated with and without one neighbouring word, under the same label."""
    findings = []
    for longer in sorted(corpus.names):
        words = longer.split(" ")
        if len(words) < 2:
            continue
        for shorter in sorted({" ".join(words[1:]), " ".join(words[:-1])}):
            if shorter not in corpus.names:
                continue
            for label in sorted(corpus.names[longer].keys() & corpus.names[shorter].keys()):
                short, long = corpus.names[shorter][label], corpus.names[longer][label]
                findings.append(
                    Finding(
                        issue(
                            "W172",
                            _where(project, long.first.doc_id),
                            f"{label} {show(shorter)} ({short.count}x, first at "
                            f"{short.first.render()}) is also annotated with a neighbouring word "
                            f"as {show(longer)} ({long.count}x, first at {long.first.render()}).",
                            "Pick one boundary for the name (see GUIDELINES.md) and apply it "
                            f"everywhere. {_ACCEPT}",
                        ),
                        Subject("W172", shorter, longer, corpus.doc_ids((short, long)), None),
                    )
                )
    return findings


# --- W173 ------------------------------------------------------------------------------------


def relation_variation(project: Project, corpus: _Corpus) -> list[Finding]:
    """W173: the same two texts linked by relations of different labels."""
    findings = []
    for pair in sorted(corpus.links):
        labels = corpus.links[pair]
        if len(labels) < 2:
            continue
        parts = [
            f"{label} {seen.count}x (first {printable(seen.first.doc_id)} {seen.first.entity_id})"
            for label, seen in sorted(labels.items())
        ]
        first = min(seen.first for seen in labels.values())
        findings.append(
            Finding(
                issue(
                    "W173",
                    _where(project, first.doc_id),
                    f"{show(pair[0])} and {show(pair[1])} are linked by different relation "
                    f"labels: {'; '.join(parts)}.",
                    f"Use one label where the text states the same relation. {_ACCEPT}",
                ),
                Subject("W173", pair[0], pair[1], corpus.doc_ids(labels.values()), None),
            )
        )
    return findings
