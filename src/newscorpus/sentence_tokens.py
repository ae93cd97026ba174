"""A document's ``sentences`` view reduced to what the token formats write, as the build keeps it.

CoNLL writes each sentence's tokens and tags; spaCy needs the sentences' and tokens' offsets.
A build has made all of these (they are the ``sentences`` rows), so it keeps them per document
in the cache (:class:`newscorpus.docunit.BuiltTokens`) and an export after a build tokenises
nothing. They are stored as msgpack lists of plain ints and strings: decoding them costs a
fraction of reading the same columns from Arrow one small document at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from newscorpus.views import Sentence, SentenceRows


class SentenceTokens(msgspec.Struct, array_like=True, frozen=True):
    """One document's sentences: each one's span, tokens, token offsets and BIO tag ids."""

    doc_id: str
    starts: list[int]
    ends: list[int]
    tokens: list[list[str]]
    token_starts: list[list[int]]
    token_ends: list[list[int]]
    #: Each token's tag as its index in the schema's ``bio_tags``.
    tags: list[list[int]]
    #: What a flat format cannot hold: entities inside another entity, and relations.
    nested: int
    relations: int

    def sentences(self) -> list[Sentence]:
        """The sentences as the views use them."""
        return [
            Sentence(start, end, tuple(zip(s, e, strict=True)))
            for start, end, s, e in zip(
                self.starts, self.ends, self.token_starts, self.token_ends, strict=True
            )
        ]


def from_rows(
    doc_id: str,
    rows: Sequence[Mapping[str, Any]],
    tag_ids: Mapping[str, int] | None,
    nested: int,
    relations: int,
) -> SentenceTokens:
    """The tokens of a document's ``sentences`` rows, whose tags are names (mapped by
    ``tag_ids``) or, with ``tag_ids`` None, ids already."""
    tags = [row["ner_tags"] for row in rows]
    if tag_ids is not None:
        tags = [[tag_ids[tag] for tag in sentence] for sentence in tags]
    return SentenceTokens(
        doc_id,
        [row["start"] for row in rows],
        [row["end"] for row in rows],
        [row["tokens"] for row in rows],
        [row["token_starts"] for row in rows],
        [row["token_ends"] for row in rows],
        tags,
        nested,
        relations,
    )


def from_columns(
    rows: SentenceRows, tag_ids: Mapping[str, int], nested: int, relations: int
) -> SentenceTokens:
    """The tokens of a document's ``sentences`` rows as columns, tags mapped by ``tag_ids``."""
    sentences = rows.sentences
    return SentenceTokens(
        rows.doc_id,
        [sentence.start for sentence in sentences],
        [sentence.end for sentence in sentences],
        rows.tokens,
        [[s for s, _ in sentence.tokens] for sentence in sentences],
        [[e for _, e in sentence.tokens] for sentence in sentences],
        [[tag_ids[tag] for tag in tags] for tags in rows.tags],
        nested,
        relations,
    )


_DECODER = msgspec.msgpack.Decoder(SentenceTokens)


def encode(tokens: SentenceTokens) -> bytes:
    return msgspec.msgpack.encode(tokens)


def decode(data: bytes) -> SentenceTokens:
    """Raises msgspec.DecodeError (or ValidationError) for bytes that are not one."""
    return _DECODER.decode(data)


#: A text's sentences as the cache keeps them: ``[start, end, [token start, token end, ...]]``.
_SENTENCES_DECODER = msgspec.msgpack.Decoder(list[tuple[int, int, list[int]]])


def encode_sentences(sentences: Sequence[Sentence]) -> bytes:
    """``sentences`` as msgpack, each one's token offsets flat."""
    return msgspec.msgpack.encode(
        [(s.start, s.end, [offset for span in s.tokens for offset in span]) for s in sentences]
    )


def decode_sentences(data: bytes, text: str) -> list[Sentence]:
    """The inverse of :func:`encode_sentences`, for sentences of ``text``.

    The entry's checksum finds damage, not an entry written by hand or by other code, which
    would give the views wrong sentences (an E302 blamed on the annotations, or rows quietly
    wrong). So the sentences must at least fit the text: tokens in order, not overlapping,
    each sentence spanning its own, and the tokens holding every character of the text but its
    whitespace, and no whitespace (as a tokenizer's non-space tokens do).

    Raises:
        ValueError: (or msgspec.DecodeError, a subclass) for bytes that are not such sentences.
    """
    sentences = []
    end = 0
    for start, stop, flat in _SENTENCES_DECODER.decode(data):
        if len(flat) % 2 or not flat or flat[0] != start or flat[-1] != stop:
            raise ValueError("a sentence that does not span its tokens")
        spans = tuple(zip(flat[::2], flat[1::2], strict=True))
        for first, last in spans:
            if first < end or last <= first:
                raise ValueError("tokens out of order")
            end = last
        sentences.append(Sentence(start, stop, spans))
    words = "".join(text[s:e] for sentence in sentences for s, e in sentence.tokens)
    if end > len(text) or words != "".join(text.split()):
        raise ValueError("sentences of another text")
    return sentences
