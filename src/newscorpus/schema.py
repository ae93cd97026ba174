"""The annotation schema: entity labels, relation labels and their argument-type signatures.

``annotations/schema.yaml`` is the single source of labels. The validator, the Arrow features,
the BIO tag set, the card tables and the guidelines index are all derived from a :class:`Schema`
loaded here; no other module spells a label.

File format (lists keep a stable order, which fixes the ClassLabel ids)::

    entities:
      - label: PERSON
        description: A named person.
        colour: "#aa9cfc"    # optional: how `newscorpus view` shows the label
    relations:
      - label: role_in
        head: [PERSON]
        tail: [GPE, ORG]
        symmetric: false
        description: The head holds an office in, or speaks for, the tail.
      - label: alias_of
        head: "*"            # any entity type ...
        tail: "*"
        same_type: true      # ... as long as head and tail share it
        symmetric: true
        description: An abbreviation and its full name.
    # Words whose final period belongs to them, so a span may end with it (E114 spares it);
    # the project's tokenizer keeps each one a single token. Default: DEFAULT_ABBREVIATIONS.
    abbreviations: [Inc., Co., Ltd.]
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from newscorpus.errors import NewscorpusError

_LABEL_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: An entity label's optional display colour: CSS hex only, so it is safe to put in a page.
_COLOUR_RE = re.compile(r"#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
#: The relation label used for entity pairs that the text relates in no declared way.
NO_RELATION = "no_relation"
#: Words that end a name with their own period: company suffixes and name suffixes. Dotted
#: abbreviations (``U.S.``, ``S.A.``) and initials (``J.``) need no entry: the span checks
#: recognise them by their shape.
DEFAULT_ABBREVIATIONS = (
    "Inc.",
    "Co.",
    "Corp.",
    "Ltd.",
    "Bros.",
    "Cos.",
    "Pvt.",
    "Plc.",
    "Pty.",
    "Jr.",
    "Sr.",
)


@dataclass(frozen=True, slots=True)
class EntityType:
    label: str
    description: str
    #: ``#rgb`` or ``#rrggbb`` from the schema, or None: the viewer then picks one.
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class RelationType:
    """A relation label and the entity types its arguments may have."""

    label: str
    head: tuple[str, ...]
    tail: tuple[str, ...]
    symmetric: bool
    same_type: bool
    description: str

    def allows(self, head_label: str, tail_label: str) -> bool:
        """Whether a relation from a ``head_label`` entity to a ``tail_label`` one fits."""
        if self.same_type and head_label != tail_label:
            return False
        return head_label in self.head and tail_label in self.tail

    def signature(self) -> str:
        """Human-readable signature, e.g. ``PERSON -> GPE|ORG`` or ``X <-> X (same type)``."""
        arrow = "<->" if self.symmetric else "->"
        text = f"{'|'.join(self.head)} {arrow} {'|'.join(self.tail)}"
        return f"{text} (same type)" if self.same_type else text


@dataclass(frozen=True, slots=True)
class Schema:
    """Labels and relation signatures, in file order."""

    entity_types: tuple[EntityType, ...]
    relation_types: tuple[RelationType, ...]
    #: ``"nested"``: a span may lie inside another; crossing spans and duplicates are errors.
    #: ``"none"``: no two spans may overlap at all.
    overlap: str
    #: sha256 of the schema file's bytes, recorded in build manifests.
    sha256: str
    #: Words whose final period belongs to them (``abbreviations:``, see the module).
    abbreviations: tuple[str, ...] = DEFAULT_ABBREVIATIONS
    # The labels, made once: checks ask for them once per entity of the corpus.
    _entity_labels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _relation_labels: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _tails: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_entity_labels", tuple(t.label for t in self.entity_types))
        object.__setattr__(self, "_relation_labels", tuple(t.label for t in self.relation_types))
        tails = {
            head: tuple(
                tail
                for tail in self._entity_labels
                if any(kind.allows(head, tail) for kind in self.relation_types)
            )
            for head in self._entity_labels
        }
        object.__setattr__(self, "_tails", tails)

    @property
    def entity_labels(self) -> tuple[str, ...]:
        return self._entity_labels

    @property
    def relation_labels(self) -> tuple[str, ...]:
        return self._relation_labels

    @property
    def allowed_tails(self) -> Mapping[str, tuple[str, ...]]:
        """Per entity label, the labels some relation type allows a tail to have when the head
        has it, in schema order (made once: the build asks for every document)."""
        return self._tails

    @property
    def bio_tags(self) -> tuple[str, ...]:
        """``O`` then ``B-X``, ``I-X`` for every entity label X, in schema order."""
        tags = ["O"]
        for label in self.entity_labels:
            tags += [f"B-{label}", f"I-{label}"]
        return tuple(tags)

    @property
    def bio_ids(self) -> dict[str, int]:
        """Each of :attr:`bio_tags` by its ClassLabel id (its index)."""
        return {tag: k for k, tag in enumerate(self.bio_tags)}

    def relation(self, label: str) -> RelationType | None:
        return next((t for t in self.relation_types if t.label == label), None)

    @classmethod
    def load(cls, path: Path) -> Schema:
        """Read and check a schema file.

        Raises:
            NewscorpusError: E003 naming the file and the offending entry.
        """
        where = str(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise NewscorpusError(
                "E003",
                f"cannot read the schema file: {err.strerror}.",
                fix="Create annotations/schema.yaml (see `newscorpus init`).",
                where=where,
            ) from None
        try:
            raw = yaml.safe_load(data.decode("utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise NewscorpusError(
                "E003", f"the schema is not valid YAML: {err}.", fix="Fix the YAML.", where=where
            ) from None
        return cls.from_dict(raw, where=where, sha256=hashlib.sha256(data).hexdigest())

    @classmethod
    def from_dict(cls, raw: Any, *, where: str = "schema", sha256: str = "") -> Schema:
        """Build a schema from parsed YAML, checking every entry (E003 on the first problem)."""

        def fail(message: str, fix: str) -> NewscorpusError:
            return NewscorpusError("E003", message, fix=fix, where=where)

        if not isinstance(raw, dict):
            raise fail("the schema must be a mapping with `entities` and `relations`.", "")
        entity_types = tuple(_entity_types(raw.get("entities"), fail))
        labels = tuple(t.label for t in entity_types)
        relation_types = tuple(_relation_types(raw.get("relations", []), labels, fail))
        overlap = raw.get("overlap", "nested")
        if overlap not in ("nested", "none"):
            raise fail(
                f"overlap is {overlap!r}; allowed values: nested, none.",
                "Set overlap: nested (spans may nest) or overlap: none (flat spans).",
            )
        abbreviations = raw.get("abbreviations", list(DEFAULT_ABBREVIATIONS))
        if not isinstance(abbreviations, list) or not all(
            isinstance(a, str)
            and a.endswith(".")
            and len(a) > 1
            and not any(c.isspace() for c in a)
            for a in abbreviations
        ):
            raise fail(
                "`abbreviations` must be a list of words that end with a period.",
                "Write e.g. abbreviations: [Inc., Co., Ltd.], or remove the key for the default "
                "list.",
            )
        return cls(entity_types, relation_types, overlap, sha256, tuple(abbreviations))


def _entity_types(entries: Any, fail: Any) -> Iterable[EntityType]:
    if not isinstance(entries, list) or not entries:
        raise fail("`entities` must be a non-empty list.", "List entries as `- label: NAME`.")
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        label = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
            raise fail(
                f"entities[{i}] has no valid `label` (letters, digits, underscore).",
                "Give each entity type a label such as PERSON.",
            )
        if label in seen:
            raise fail(f"entity label {label} is declared twice.", "Remove the duplicate.")
        seen.add(label)
        colour = entry.get("colour")
        if colour is not None and not (isinstance(colour, str) and _COLOUR_RE.fullmatch(colour)):
            raise fail(
                f"entity {label}: colour is {colour!r}; a colour is a CSS hex value such as "
                '"#7aecec" or "#fc0".',
                'Quote it in the YAML (colour: "#7aecec"), or remove the key for the default.',
            )
        yield EntityType(label, str(entry.get("description", "")).strip(), colour)


def _relation_types(entries: Any, labels: tuple[str, ...], fail: Any) -> Iterable[RelationType]:
    if not isinstance(entries, list):
        raise fail("`relations` must be a list.", "List entries as `- label: name`.")
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        label = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(label, str) or not _LABEL_RE.fullmatch(label):
            raise fail(
                f"relations[{i}] has no valid `label`.", "Give each relation a label like role_in."
            )
        if label in seen or label == NO_RELATION:
            raise fail(
                f"relation label {label} is declared twice or reserved.",
                f"Rename it; {NO_RELATION} is reserved for unrelated pairs.",
            )
        seen.add(label)
        args = []
        for side in ("head", "tail"):
            value = entry.get(side)
            if value == "*":
                value = list(labels)
            if not isinstance(value, list) or not value:
                raise fail(
                    f'relation {label}: `{side}` must be a list of entity labels or "*".',
                    f"Write e.g. {side}: [PERSON].",
                )
            unknown = [v for v in value if v not in labels]
            if unknown:
                raise fail(
                    f"relation {label}: `{side}` names unknown entity labels {unknown}; "
                    f"allowed: {', '.join(labels)}.",
                    "Declare the entity label or fix the spelling.",
                )
            args.append(tuple(value))
        yield RelationType(
            label=label,
            head=args[0],
            tail=args[1],
            symmetric=bool(entry.get("symmetric", False)),
            same_type=bool(entry.get("same_type", False)),
            description=str(entry.get("description", "")).strip(),
        )
