"""Read article text from files or stdin, refusing what is not usable text with a clear error.

Every command that takes article files (``add``, ``normalise``) reads them through
:func:`read_text_file`, so a missing file, a folder, binary data, a non-UTF-8 file or an empty
file gets the same message everywhere.
"""

from __future__ import annotations

import stat
from pathlib import Path

from newscorpus.errors import InputError

#: Bytes that never occur in text files; one of them means the input is binary.
_BINARY_MARKERS = (b"\x00",)
_CONTROL_OK = {"\n", "\r", "\t", "\f", "\v"}
#: Byte order marks of the encodings whose text holds NUL bytes; UTF-32 first (it extends UTF-16).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
#: Invisible characters that the normaliser deletes (``strip_bom_and_zero_width``).
_INVISIBLE = frozenset("\ufeff\u200b\u2060")


def read_text_file(path: Path, limit: int | None = None) -> str:
    """The UTF-8 text of ``path``.

    Raises:
        InputError: E201 missing, E202 a directory, E203 binary, E204 not UTF-8, E205 empty,
            E219 not a regular file (a FIFO or device would hang or never end), E220 larger
            than ``limit`` bytes.
    """
    return decode_text(read_bytes_bounded(path, limit), str(path))


def read_bytes_bounded(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, never more than ``limit`` of them.

    Raises:
        InputError: E201 missing or unreadable, E202 a directory, E219 not a regular file,
            E220 larger than ``limit``.
    """
    where = str(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        raise InputError("E201", "no such file.", fix="Check the path.", where=where) from None
    if stat.S_ISDIR(mode):
        raise InputError(
            "E202",
            "is a directory, not a file.",
            fix="Pass the article files inside it (`add` also accepts a folder).",
            where=where,
        )
    if not stat.S_ISREG(mode):
        raise InputError(
            "E219",
            "is not a regular file (a pipe, socket or device); articles are read from files.",
            fix="Save the input to a file first, e.g. `cat SOURCE > article.txt`.",
            where=where,
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1) if limit is not None else handle.read()
    except OSError as err:
        raise InputError(
            "E201", f"cannot read the file: {err.strerror}.", fix="Check permissions.", where=where
        ) from None
    if limit is not None and len(data) > limit:
        raise too_large(where, limit)
    return data


def too_large(where: str, limit: int) -> InputError:
    """E220: an article above the project's ``max_article_bytes``."""
    return InputError(
        "E220",
        f"is larger than max_article_bytes ({limit:,} bytes), far above a news article.",
        fix="Check that this is one article; to accept it, raise max_article_bytes in "
        "[tool.newscorpus] of pyproject.toml.",
        where=where,
    )


def decode_text(data: bytes, where: str) -> str:
    """Decode article bytes as UTF-8 (a BOM is allowed), refusing empty and binary input, and
    text in UTF-16 or UTF-32 (named as such: its NUL bytes would otherwise read as binary)."""
    empty = InputError(
        "E205",
        "is empty (or only whitespace).",
        fix="Pass a file that holds the article text.",
        where=where,
    )
    if not data.strip():
        raise empty
    encoding = next((name for bom, name in _WIDE_BOMS if data.startswith(bom)), None)
    if encoding is not None:
        raise InputError(
            "E204",
            f"is encoded as {encoding} (it starts with a {encoding} byte order mark); articles "
            "must be UTF-8.",
            fix=f"Convert it first, e.g. `iconv -f {encoding} -t UTF-8 FILE > FILE.utf8`.",
            where=where,
        )
    if any(marker in data for marker in _BINARY_MARKERS):
        raise InputError(
            "E203",
            "looks like binary data (it contains NUL bytes), not text.",
            fix="Pass the article as a UTF-8 text file.",
            where=where,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            "E204",
            f"is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}); "
            "articles must be UTF-8.",
            fix="Convert it first, e.g. `iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8` "
            "(use the file's real encoding).",
            where=where,
        ) from None
    # Byte order marks and zero width characters are not whitespace to Python, but the
    # normaliser deletes them: an article of nothing else would be stored as empty text.
    if all(c.isspace() or c in _INVISIBLE for c in text):
        raise empty
    bad = next((c for c in text if ord(c) < 32 and c not in _CONTROL_OK), None)
    if bad is not None:
        raise InputError(
            "E203",
            f"contains the control character U+{ord(bad):04X}, so it is not plain text.",
            fix="Pass the article as a UTF-8 text file.",
            where=where,
        )
    return text


def is_utf8(text: str) -> bool:
    """Whether UTF-8 can hold ``text``: not when it has a lone surrogate (a ``\\ud800`` escape
    in JSON, a file name that is not UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
