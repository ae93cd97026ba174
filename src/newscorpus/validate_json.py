"""The lenient first layer of validation: annotation file bytes -> JSON, and issue helpers.

An annotation file may hold anything: binary data, another encoding, broken JSON. Nothing here
raises on such content. :func:`parse_annotation_bytes` reports why a file cannot be read (E101,
E102, E103) and otherwise keeps, for every JSON object, the line and column where it starts, so
issues about an entity point at that entity; it also reports repeated keys (E104), which
:func:`json.loads` drops silently. The helpers quote user values so that an issue always stays
on one printable line.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from newscorpus.errors import Issue

_SHOW_LIMIT = 80


class Located(dict[str, Any]):
    """A parsed JSON object that remembers where it starts in its file (1-based)."""

    __slots__ = ("column", "line")

    def __init__(self, pairs: list[tuple[str, Any]], line: int, column: int) -> None:
        super().__init__(pairs)
        self.line = line
        self.column = column


def location(value: object) -> tuple[int | None, int | None]:
    """Line and column where ``value`` starts in its file, when it was parsed from one."""
    if isinstance(value, Located):
        return value.line, value.column
    return None, None


def issue(
    code: str,
    path: str,
    message: str,
    fix: str = "",
    *,
    ref: str | None = None,
    at: object = None,
    line: int | None = None,
    column: int | None = None,
) -> Issue:
    """An :class:`Issue`; its severity follows the code (``W`` warnings), its place ``at``."""
    if at is not None:
        line, column = location(at)
    return Issue(
        code=code,
        severity="warning" if code.startswith("W") else "error",
        path=path,
        message=message,
        fix=fix,
        annotation_id=ref,
        line=line,
        column=column,
    )


def printable(text: str) -> str:
    """``text`` with every unprintable character escaped, so an issue stays on one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def one_line(text: str) -> str:
    """A message from elsewhere (a YAML parser, say) on one printable line."""
    return printable(" ".join(text.split()))


def quoted(value: object) -> str:
    """A value for a message: a string in quotes, anything else with its JSON type."""
    return show(value) if isinstance(value, str) else describe(value)


def show(text: str) -> str:
    """``text`` quoted for a message: JSON-style quotes and escapes, cut at 80 characters."""
    if len(text) > _SHOW_LIMIT:
        text = text[: _SHOW_LIMIT - 3] + "..."
    return printable(json.dumps(text, ensure_ascii=False))


def describe(value: object) -> str:
    """A JSON value and its type for a message: ``"5" (a string)``, ``true (a boolean)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, int):
        return f"{value} (an integer)" if abs(value) < 10**30 else "a huge integer"
    if isinstance(value, float):
        return f"{value!r} (a number with a fraction)"
    if isinstance(value, str):
        return f"{show(value)} (a string)"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# --- bytes -> JSON ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """The outcome of parsing one file: ``ok`` says whether ``data`` holds the parsed JSON."""

    ok: bool
    data: Any
    issues: tuple[Issue, ...]


class _NumberTooLong(ValueError):
    pass


def _failed(problem: Issue) -> ParsedFile:
    return ParsedFile(False, None, (problem,))


def parse_annotation_bytes(data: bytes, path: str) -> ParsedFile:
    """Decode ``data`` as UTF-8 and parse it as JSON, reporting every reason it cannot be.

    Objects come back as :class:`Located` dicts. Never raises.
    """
    failure = _text_failure(data, path)
    if failure is not None:
        return _failed(failure)
    text = data.decode("utf-8")
    if not text.strip():
        message = "is empty; an annotation file holds one JSON object."
        fix = 'Write {"doc_id": ..., "text_sha256": ..., "entities": [], "relations": []}.'
        return _failed(issue("E103", path, message, fix))
    if text.startswith("\ufeff"):
        message = "starts with a byte order mark (U+FEFF), which JSON does not allow."
        fix = "Save the file as UTF-8 without a BOM."
        return _failed(issue("E103", path, message, fix, line=1, column=1))
    return _parse_json(text, path)


def parse_clean(data: bytes) -> ParsedFile | None:
    """``data`` parsed by the C JSON decoder when :func:`parse_annotation_bytes` would surely
    parse it to equal data without a single issue, else None (then ask that function).

    The careful parser runs in Python to place every object; on a file that turns out to have
    no problem those places go unused, so callers try this first and parse carefully only when
    a check finds something to report. Everything the careful parser reports, or might parse
    differently, goes back to it: bytes that are not UTF-8 JSON (a BOM, a NUL byte, a syntax
    error, empty), a repeated key, NaN or Infinity, a number too long to read, a ``\\u``
    escape of a surrogate and nesting deeper than an annotation file needs.
    """
    try:
        if _SURROGATE_HINT.search(data):
            return None
        # msgspec, about twice as fast as json here, parses what it takes as json does (it
        # refuses NaN, Infinity, a number beyond a double, a BOM and bytes that are not UTF-8).
        parsed = _decode_plain(data)
        keys = _keys_within(parsed, _CLEAN_DEPTH)
        if keys is None:
            return None
        # Outside strings a colon only ends a key (and no UTF-8 sequence holds its byte), so
        # when the counts agree no key was repeated. Colons inside strings (a url in a note)
        # leave it open: ask the hook.
        if keys != data.count(b":"):
            parsed = _CLEAN_DECODER.decode(data.decode("utf-8"))
    except (ValueError, RecursionError, _Unclear, msgspec.DecodeError):
        # ValueError covers JSONDecodeError, UnicodeDecodeError and too long numbers.
        return None
    return ParsedFile(True, parsed, ())


class _Unclear(Exception):
    """The C decoder met what only the careful parser reports."""


def _clean_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Unclear
    return obj


def _clean_constant(name: str) -> float:
    raise _Unclear


_decode_plain = msgspec.json.Decoder().decode
_CLEAN_DECODER = json.JSONDecoder(object_pairs_hook=_clean_object, parse_constant=_clean_constant)
#: An annotation file nests three levels; far deeper, the careful parser (three Python frames a
#: level) may hit the recursion limit where the C decoder does not.
_CLEAN_DEPTH = 32
#: A ``\\u`` escape of a surrogate (or a false alarm, such as an escaped backslash before
#: ``ud800``): the careful parser checks whether it is half a pair.
_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]")


def _keys_within(value: Any, budget: int) -> int | None:
    """How many keys the objects in ``value`` have in all, or None when an array or object lies
    more than ``budget`` levels below ``value``. Walks level by level: a recursive call per
    object would cost more than parsing the file."""
    keys = 0
    level = [value] if type(value) is dict or type(value) is list else []
    for _ in range(budget + 2):
        if not level:
            return keys
        below = []
        for item in level:
            children = item.values() if type(item) is dict else item
            keys += len(item) if type(item) is dict else 0
            below += [child for child in children if type(child) is dict or type(child) is list]
        level = below
    return None


def _text_failure(data: bytes, path: str) -> Issue | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return issue(
            "E101",
            path,
            "is encoded as UTF-16; annotation files must be UTF-8.",
            "Convert it, e.g. `iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8`, and save it as UTF-8.",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _byte_position(data, nul)
        return issue(
            "E102",
            path,
            f"contains a NUL byte (at byte offset {nul}), so it is binary data, not JSON text.",
            "Replace it with the annotation JSON (restore it from version control).",
            line=line,
            column=column,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line, column = _byte_position(data, err.start)
        return issue(
            "E101",
            path,
            f"is not valid UTF-8 (byte 0x{data[err.start]:02x} at byte offset {err.start}).",
            "Save the file as UTF-8 (`iconv -f WINDOWS-1252 -t UTF-8`, with its real encoding).",
            line=line,
            column=column,
        )
    return None


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset].decode("utf-8", errors="replace")
    return data.count(b"\n", 0, offset) + 1, len(before) + 1


def _parse_json(text: str, path: str) -> ParsedFile:
    newlines = [match.start() for match in re.finditer("\n", text)]
    notes: list[Issue] = []

    def position(offset: int) -> tuple[int, int]:
        line = bisect.bisect_left(newlines, offset)
        return line + 1, offset - (newlines[line - 1] if line else -1)

    def parse_object(
        s_and_end: tuple[str, int],
        strict: bool,
        scan_once: Callable[[str, int], tuple[Any, int]],
        object_hook: Any,
        object_pairs_hook: Any,
        memo: dict[str, str] | None = None,
    ) -> tuple[Located, int]:
        pairs, end = json.decoder.JSONObject(  # type: ignore[attr-defined]
            s_and_end, strict, scan_once, None, list, memo
        )
        line, column = position(s_and_end[1] - 1)
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                notes.append(
                    issue(
                        "E104",
                        path,
                        f"an object repeats the key {show(key)}; JSON readers keep only the "
                        "last value.",
                        "Keep one of the two values.",
                        line=line,
                        column=column,
                    )
                )
            seen.add(key)
        return Located(pairs, line, column), end

    def parse_constant(name: str) -> float:
        notes.append(
            issue(
                "E103",
                path,
                f"contains {name}, which is not valid JSON.",
                "Write a number (offsets are integers) or null.",
            )
        )
        return float("nan")

    def parse_int(digits: str) -> int:
        try:
            return int(digits)
        except ValueError:
            raise _NumberTooLong(digits) from None

    decoder = json.JSONDecoder(parse_constant=parse_constant, parse_int=parse_int)
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        data = decoder.decode(text)
    except json.JSONDecodeError as err:
        message = f"is not valid JSON: {err.msg}."
        fix = "Fix the JSON syntax at that line and column."
        return _failed(issue("E103", path, message, fix, line=err.lineno, column=err.colno))
    except _NumberTooLong as err:
        message = f"holds a number with {len(str(err))} digits, too long to read."
        return _failed(issue("E103", path, message, "Offsets are small integers: fix it."))
    except RecursionError:
        message = "nests arrays or objects too deeply to read."
        fix = "An annotation file nests three levels: document, entity list, entity."
        return _failed(issue("E103", path, message, fix))
    surrogate = _lone_surrogate(text, data)
    if surrogate is not None:
        line, column = position(surrogate) if surrogate >= 0 else (None, None)
        message = "holds a \\u escape of half a surrogate pair, which no UTF-8 file can store."
        fix = "Write the character itself, or both halves of the pair."
        notes.append(issue("E103", path, message, fix, line=line, column=column))
    return ParsedFile(True, data, tuple(notes))


_SURROGATE_ESCAPE = re.compile(
    r"\\u(?:d[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|d[c-f][0-9a-f]{2})", re.IGNORECASE
)


def _lone_surrogate(text: str, data: Any) -> int | None:
    """Where a lone surrogate escape is (-1 if it cannot be placed), or None if there is none.

    Such a string parses, but writing it back as UTF-8 (or to Arrow) fails.
    """
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        match = _SURROGATE_ESCAPE.search(text)
        return match.start() if match else -1
    except (RecursionError, ValueError):
        return None
    return None
