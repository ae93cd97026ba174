"""``annotations/checks.yaml``: consistency warnings a person has reviewed and accepted.

A clean corpus runs ``newscorpus check --strict`` in CI; where a warning is about an annotation
that is right, it is accepted here, with the reason, in a file that is reviewed like code::

    accept:
      - code: W172                # the warning's code
        text: Jaishankar          # the text it is about (W172: the shorter name)
        other: S Jaishankar       # W172: the longer name; W173: the second text
        doc: some-doc-id          # optional: only in this document
        start: 1473               # optional (W170): only the occurrence at this offset
        reason: The first mention gives the full name, later ones the surname.

An entry accepts every warning whose code and texts are equal and, where given, whose document
and offset are too. An entry that accepts nothing is reported (W174): the corpus changed and the
exception should go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from newscorpus.errors import Issue, NewscorpusError
from newscorpus.project import Project
from newscorpus.validate_json import issue, printable, show

CHECKS_FILE = "checks.yaml"
#: The codes an exception may accept.
ACCEPTABLE = ("W170", "W171", "W172", "W173")
_KEYS = ("code", "text", "other", "doc", "start", "reason")


@dataclass(frozen=True, slots=True)
class Subject:
    """What a warning is about, as exceptions match it."""

    code: str
    text: str
    other: str | None
    docs: tuple[str, ...]
    start: int | None

    def __reduce__(self) -> tuple[Any, ...]:
        # By fields, as Issue: check's workers hand back a subject with every warning.
        return (Subject, (self.code, self.text, self.other, self.docs, self.start))


@dataclass
class Exception_:
    """One accepted exception, and whether it matched a warning in this run."""

    index: int
    code: str
    text: str
    other: str | None
    doc: str | None
    start: int | None
    reason: str
    used: bool = False

    def matches(self, subject: Subject) -> bool:
        return (
            self.code == subject.code
            and self.text == subject.text
            and (self.other is None or self.other == subject.other)
            and (self.doc is None or self.doc in subject.docs)
            and (self.start is None or self.start == subject.start)
        )


@dataclass
class Exceptions:
    """Every accepted exception of the project."""

    path: str
    entries: list[Exception_]

    def accepts(self, subject: Subject) -> bool:
        found = False
        for entry in self.entries:
            if entry.matches(subject):
                entry.used = found = True
        return found

    def stale_issues(self, project: Project) -> list[Issue]:
        """W174 for each entry that accepted no warning."""
        return [
            issue(
                "W174",
                self.path,
                f"accept[{e.index}] ({e.code} {show(e.text)}"
                f"{'' if e.other is None else ' / ' + show(e.other)}) matches no warning: the "
                "annotations it excused have changed.",
                "Remove the entry.",
            )
            for e in self.entries
            if not e.used
        ]


def load_exceptions(project: Project) -> Exceptions:
    """Read ``annotations/checks.yaml``; no file means no exceptions.

    Raises:
        NewscorpusError: E178 naming the file, the entry and what is wrong with it.
    """
    path = project.annotations / CHECKS_FILE
    where = printable(project.relative(path))
    if not path.is_file():
        return Exceptions(where, [])

    def fail(message: str) -> NewscorpusError:
        return NewscorpusError(
            "E178",
            message,
            fix="Each entry needs code (one of " + ", ".join(ACCEPTABLE) + "), text and a "
            "reason; other, doc and start are optional. See `newscorpus check --help`.",
            where=where,
        )

    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise fail(f"cannot be read as YAML: {' '.join(str(err).split())}.") from None
    except RecursionError:
        raise fail("is nested too deeply to be read as YAML.") from None
    if data is None:
        return Exceptions(where, [])
    if not isinstance(data, dict) or set(data) - {"accept"}:
        raise fail("must be a mapping with one key, accept (a list of exceptions).")
    raw = data.get("accept") or []
    if not isinstance(raw, list):
        raise fail("accept must be a list of exceptions.")
    return Exceptions(where, [_entry(n, item, fail) for n, item in enumerate(raw)])


def _entry(n: int, item: Any, fail: Any) -> Exception_:
    name = f"accept[{n}]"
    if not isinstance(item, dict):
        raise fail(f"{name} is not a mapping.")
    unknown = sorted(set(map(str, item)) - set(_KEYS))
    if unknown:
        raise fail(f"{name} has unknown key {unknown[0]!r}; allowed: {', '.join(_KEYS)}.")
    if item.get("code") not in ACCEPTABLE:
        raise fail(f"{name} code is {item.get('code')!r}; allowed: {', '.join(ACCEPTABLE)}.")
    for key in ("text", "reason"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise fail(f"{name} needs a non-empty {key}.")
    for key in ("other", "doc"):
        if key in item and not isinstance(item[key], str):
            raise fail(f"{name} {key} must be a string.")
    start = item.get("start")
    if start is not None and (type(start) is not int or start < 0):
        raise fail(f"{name} start must be a character offset (an integer >= 0).")
    return Exception_(
        n, item["code"], item["text"], item.get("other"), item.get("doc"), start, item["reason"]
    )
