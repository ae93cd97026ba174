"""Checks of an annotation document's entities: labels, ids, offsets against the text, overlaps.

Pure functions over :class:`~newscorpus.validate_records.EntityRecord`s that yield issues E109,
E111-E115, E117, E118 and W101. The edge and word checks look at single characters (Unicode
classes), not at a tokenizer, so they are fast and do not depend on spaCy.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from newscorpus.errors import Issue
from newscorpus.schema import DEFAULT_ABBREVIATIONS, Schema
from newscorpus.validate_json import issue, printable, show
from newscorpus.validate_records import EntityRecord, duplicate_id

_OPEN_CLOSE = {"(": ")", "[": "]", "{": "}", "<": ">", '"': '"', "'": "'"}
_OPEN_CLOSE |= {"\u201c": "\u201d", "\u2018": "\u2019", "\u00ab": "\u00bb", "\u2039": "\u203a"}
_CLOSE_OPEN = {close: open_ for open_, close in _OPEN_CLOSE.items()}


def check_entities(
    entities: Sequence[EntityRecord], schema: Schema | None, text: str | None, path: str
) -> Iterable[Issue]:
    """Each entity's id, label and offsets; its span against ``text`` when that is known."""
    abbreviations = frozenset(schema.abbreviations if schema else DEFAULT_ABBREVIATIONS)
    first: dict[str, EntityRecord] = {}
    for entity in entities:
        if entity.id is not None:
            if entity.id in first:
                yield duplicate_id(entity, first[entity.id], "entity", path)
            else:
                first[entity.id] = entity
        if (
            schema is not None
            and entity.label is not None
            and entity.label not in schema.entity_labels
        ):
            yield issue(
                "E109",
                path,
                f"label is {show(entity.label)}; allowed: {', '.join(schema.entity_labels)}.",
                "Use one of the schema's entity labels, or declare this one in schema.yaml.",
                ref=entity.ref,
                at=entity.at,
            )
        yield from _check_span(entity, text, path, abbreviations)


def _check_span(
    entity: EntityRecord, text: str | None, path: str, abbreviations: frozenset[str]
) -> Iterable[Issue]:
    start, end = entity.start, entity.end
    if start is None or end is None:
        return
    span = f"[{start}, {end})"
    if start < 0 or end < 0:
        yield _span_issue(
            "E111",
            entity,
            path,
            f"offsets {span} are negative.",
            "Offsets count characters of text.txt from 0: fix them.",
        )
        return
    if start > end:
        yield _span_issue(
            "E111",
            entity,
            path,
            f"offsets {span} are reversed (start after end).",
            f"Swap them: start {end}, end {start}.",
        )
        return
    if start == end:
        yield _span_issue(
            "E111",
            entity,
            path,
            f"span {span} is empty.",
            "Set end after start to cover the mention, or remove the entity.",
        )
        return
    if text is None:
        return
    if end > len(text):
        yield _span_issue(
            "E112",
            entity,
            path,
            f"span {span} ends past the end of the text ({len(text)} characters).",
            "Fix the offsets; if the text changed, re-anchor the annotations.",
        )
        return
    covered = text[start:end]
    if entity.text is not None and entity.text != covered:
        yield _text_mismatch(entity, covered, text, path)
    trimmed = trim_span(text, start, end, abbreviations)
    if trimmed != (start, end):
        yield _edge_issue(entity, trimmed, text, path)
    else:
        yield from _word_cut(entity, text, path)


def _span_issue(code: str, entity: EntityRecord, path: str, message: str, fix: str) -> Issue:
    return issue(code, path, message, fix, ref=entity.ref, at=entity.at)


def _text_mismatch(entity: EntityRecord, covered: str, text: str, path: str) -> Issue:
    assert entity.text is not None and entity.start is not None
    found = _nearest(text, entity.text, entity.start) if entity.text else -1
    if found >= 0:
        where = f"[{found}, {found + len(entity.text)})"
        fix = f"{show(entity.text)} occurs at {where}: move the offsets there"
        fix += f", or set text to {show(covered)}."
    else:
        fix = f"Fix the offsets, or set text to {show(covered)}."
    return _span_issue(
        "E113",
        entity,
        path,
        f"text is {show(entity.text)} but the text at [{entity.start}, {entity.end}) is "
        f"{show(covered)}.",
        fix,
    )


def _nearest(text: str, needle: str, near: int) -> int:
    """Start of the occurrence of ``needle`` in ``text`` closest to ``near``, or -1."""
    before = text.rfind(needle, 0, near + len(needle))
    after = text.find(needle, near)
    if before < 0 or (after >= 0 and after - near < near - before):
        return after
    return before


def trim_span(
    text: str, start: int, end: int, abbreviations: frozenset[str] = frozenset()
) -> tuple[int, int]:
    """The span without whitespace or stray punctuation at its edges.

    Brackets and quotes stay when they pair up inside the span (``Affairs (MEA)``), a leading
    period when a word follows it (``.NET``), and a final period when it belongs to the last
    word: that word is in ``abbreviations`` (``Ltd.``), has another period (``U.S.``) or is an
    initial (``J.``). A sentence's full stop after any other word is stray (``India.``).
    """
    s, e = start, end
    while s < e and _strip_first(text, s, e):
        s += 1
    while e > s and _strip_last(text, s, e, abbreviations):
        e -= 1
    return s, e


def _strip_first(text: str, s: int, e: int) -> bool:
    char = text[s]
    if _blank(char):
        return True
    if not unicodedata.category(char).startswith("P"):
        return False
    if char in _OPEN_CLOSE:
        return _OPEN_CLOSE[char] not in text[s + 1 : e - 1]
    if char == "." and s + 1 < e:
        return not text[s + 1].isalnum()
    return True


def _strip_last(text: str, s: int, e: int, abbreviations: frozenset[str]) -> bool:
    char = text[e - 1]
    if _blank(char):
        return True
    if not unicodedata.category(char).startswith("P"):
        return False
    if char in _CLOSE_OPEN:
        return _CLOSE_OPEN[char] not in text[s : e - 1]
    if char == ".":
        last_word = (text[s:e].split() or [""])[-1]
        return not (
            "." in last_word[:-1]
            or last_word in abbreviations
            or (len(last_word) == 2 and last_word[0].isupper())
        )
    return True


def _blank(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _edge_issue(entity: EntityRecord, trimmed: tuple[int, int], text: str, path: str) -> Issue:
    assert entity.start is not None and entity.end is not None
    start, end = entity.start, entity.end
    s, e = trimmed
    span = f"span [{start}, {end}) {show(text[start:end])}"
    if s >= e:
        return _span_issue(
            "E114",
            entity,
            path,
            f"{span} holds only {_kind(text[start:end])}.",
            "Move it onto the mention, or remove the entity.",
        )
    parts = []
    if s > start:
        parts.append(f"starts with {_kind(text[start:s])} {show(text[start:s])}")
    if e < end:
        parts.append(f"ends with {_kind(text[e:end])} {show(text[e:end])}")
    return _span_issue(
        "E114",
        entity,
        path,
        f"{span} {' and '.join(parts)}.",
        f"Trim it to [{s}, {e}) {show(text[s:e])}.",
    )


def _kind(edge: str) -> str:
    blank = sum(_blank(c) for c in edge)
    if blank == len(edge):
        return "whitespace"
    return "punctuation" if blank == 0 else "whitespace and punctuation"


def _word_cut(entity: EntityRecord, text: str, path: str) -> Iterable[Issue]:
    assert entity.start is not None and entity.end is not None
    start, end = entity.start, entity.end
    s, e = start, end
    while s > 0 and is_word_char(text[s - 1]) and is_word_char(text[s]):
        s -= 1
    while e < len(text) and is_word_char(text[e - 1]) and is_word_char(text[e]):
        e += 1
    if (s, e) == (start, end):
        return
    yield _span_issue(
        "W101",
        entity,
        path,
        f"span [{start}, {end}) {show(text[start:end])} cuts a word: the text around it reads "
        f"{show(text[s:e])}.",
        f"Extend it to [{s}, {e}), or leave it if the mention really is part of a word.",
    )


def is_word_char(char: str) -> bool:
    """A letter, digit or combining mark: the characters a span must not cut between."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def check_overlaps(
    entities: Sequence[EntityRecord], text: str | None, overlap: str, path: str
) -> list[Issue]:
    """Identical and crossing spans always (E117, E118); nested ones with ``overlap: none``."""
    spans = [
        e for e in entities if e.start is not None and e.end is not None and 0 <= e.start < e.end
    ]
    spans.sort(key=lambda e: (e.start, -(e.end or 0), e.index))
    found: list[Issue] = []
    # A sweep by start: only spans still open at an entity's start can overlap it.
    open_spans: list[EntityRecord] = []
    for entity in spans:
        open_spans = [o for o in open_spans if (o.end or 0) > (entity.start or 0)]
        for other in open_spans:
            problem = _overlap_issue(entity, other, text, overlap, path)
            if problem is not None:
                found.append(problem)
        open_spans.append(entity)
    return found


def _overlap_issue(
    inner: EntityRecord, outer: EntityRecord, text: str | None, overlap: str, path: str
) -> Issue | None:
    """The problem, if any, of ``inner`` (starting no earlier) against an open ``outer`` span."""
    if (inner.start, inner.end) == (outer.start, outer.end):
        # The sweep orders identical spans by file position: ``inner`` is the later one.
        return issue(
            "E117",
            path,
            f"has the same span {_describe_span(inner, text)} as {outer.ref} "
            f"({printable(outer.label or 'no label')}); a span takes one entity.",
            "Remove one of the two, keeping the right label.",
            ref=inner.ref,
            at=inner.at,
        )
    nested = (inner.end or 0) <= (outer.end or 0)
    if nested and overlap == "nested":
        return None
    relation = "lies inside" if nested else ("crosses" if overlap == "nested" else "overlaps")
    if overlap == "nested":
        why = "spans may nest (overlap: nested) but not cross"
        fix = "Shorten one so that it lies inside the other, or remove one."
    else:
        why = "the schema allows no overlapping spans (overlap: none)"
        fix = "Shorten or remove one of them."
    return issue(
        "E118",
        path,
        f"span {_describe_span(inner, text)} {relation} {outer.ref} "
        f"{_describe_span(outer, text)}; {why}.",
        fix,
        ref=inner.ref,
        at=inner.at,
    )


def _describe_span(entity: EntityRecord, text: str | None) -> str:
    """``[0, 5) "India"``: the offsets and the text under them (or the entity's own text)."""
    assert entity.start is not None and entity.end is not None
    shown = entity.text
    if text is not None and entity.end <= len(text):
        shown = text[entity.start : entity.end]
    span = f"[{entity.start}, {entity.end})"
    return f"{span} {show(shown)}" if shown is not None else span
