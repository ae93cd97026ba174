"""JSON at msgspec's speed, with what :mod:`json` makes of it.

Exports and imports spend much of their time in JSON: an article carries about a hundred
entities, each an object. msgspec parses about twice and writes about six times as fast as
:mod:`json`, and keeps what the text means (integers of any size stay integers; the last of two
equal keys wins), but it refuses some input :mod:`json` takes: lone surrogate escapes, ``NaN``
and ``Infinity``, surrogates encoded in bytes. :func:`loads` falls back to :mod:`json` whenever
msgspec refuses, so what a file means, and the error a bad one gets (line and column, in
:mod:`json`'s words), never depend on which of the two ran. (msgspec nests a few levels deeper
before it gives up, about 997 against 994, so a document nested within those few levels parses
where :mod:`json` alone would raise RecursionError.)

For str, int, bool and None values and lists and str-keyed dicts of them, :func:`dumps_line`
writes exactly the bytes of ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` in
UTF-8 (``tests/test_fastjson.py`` checks this on generated values). Floats are not: msgspec
writes ``1e16`` where :mod:`json` writes ``1e+16``, and ``null`` for ``NaN``. The exports
write none: their values are ids, labels and offsets of validated files, and text fields of
``meta.json`` that :func:`~newscorpus.formats.common.export_documents` checks are text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec

from newscorpus import collector

_decode = msgspec.json.Decoder().decode
_decode_items = msgspec.json.Decoder(list[msgspec.Raw]).decode
_encode = msgspec.json.Encoder().encode


def loads(data: bytes | str) -> Any:
    """The value of the JSON document ``data``, as :func:`json.loads` gives it.

    The cyclic garbage collector is paused while it parses (:mod:`newscorpus.collector`):
    with it running, a 224 MB Label Studio export took 9 s to parse instead of 2 s.

    Raises:
        json.JSONDecodeError: as :func:`json.loads` raises it, for ``data`` neither parses.
    """
    with collector.paused():
        try:
            return _decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            return json.loads(data)


def array_items(data: bytes) -> Iterator[Any] | None:
    """The items of the JSON array ``data``, each parsed (as :func:`loads` parses its UTF-8
    text) only when it is reached: a tool's export of a whole corpus is one array, and its
    items held at once as Python objects took seven times the file's size. None when ``data``
    is not an array msgspec reads (another value, a syntax error, what only :mod:`json`
    reads): the caller then parses it whole, for its value or its error.

    The array is split without decoding its strings, so bytes that are not UTF-8 surface in
    the item that holds them, as UnicodeDecodeError.

    Raises:
        UnicodeDecodeError: an item is not UTF-8 (:func:`json.loads` of bytes would read
            surrogates encoded in them).
        RecursionError, ValueError: as :func:`loads`, for an item that cannot be held.
    """
    try:
        with collector.paused():
            items = _decode_items(data)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None
    return (_utf8_item(bytes(item)) for item in items)


def _utf8_item(data: bytes) -> Any:
    with collector.paused():
        try:
            return _decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            return json.loads(data.decode("utf-8"))


def dumps_line(value: Any) -> bytes:
    """``value`` as compact one-line JSON in UTF-8, non-ASCII characters kept, no newline.

    Raises:
        UnicodeEncodeError: a str in ``value`` holds a lone surrogate, which UTF-8 cannot hold.
    """
    return _encode(value)
