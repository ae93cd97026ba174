"""What a build is told and what it counts: the types the packaging stages share.

:class:`BuildSettings` (from ``[tool.newscorpus.build]``), :class:`Stats` (the numbers the build
counts while streaming) and :class:`BuildResult` live here, below :mod:`newscorpus.package`,
:mod:`newscorpus.card`, :mod:`newscorpus.croissant` and :mod:`newscorpus.manifest`, so that
those modules import this one and never each other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus.errors import NewscorpusError
from newscorpus.project import Project
from newscorpus.splits import SPLITS
from newscorpus.views import CONFIGS, RelationOptions

_BUILD_TABLE = "[tool.newscorpus.build]"


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """Options from ``[tool.newscorpus.build]`` in pyproject.toml::

    [tool.newscorpus.build]
    negatives = "same_sentence"   # or "none": negative pairs in the relations config
    max_negatives_per_doc = 50    # cap per document, picked by sha256 (stable)
    docs_per_shard = 1000         # documents per Parquet file
    """

    relations: RelationOptions = field(default_factory=RelationOptions)
    docs_per_shard: int = 1000

    @classmethod
    def from_project(cls, project: Project) -> BuildSettings:
        """Read and check the build table.

        Raises:
            NewscorpusError: E304 naming the bad key or value and what is allowed.
        """
        table = project.settings.get("build", {})
        if not isinstance(table, dict):
            raise _bad_setting("build", table, "a table")
        allowed = ("negatives", "max_negatives_per_doc", "docs_per_shard")
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise NewscorpusError(
                "E304",
                f"unknown key {unknown[0]!r}; allowed keys: {', '.join(allowed)}.",
                fix="Fix the spelling or remove the key.",
                where=f"pyproject.toml {_BUILD_TABLE}",
            )
        negatives = table.get("negatives", "same_sentence")
        if negatives not in ("same_sentence", "none"):
            raise _bad_setting("negatives", negatives, '"same_sentence" or "none"')
        cap = table.get("max_negatives_per_doc", 50)
        if type(cap) is not int or cap < 0:
            raise _bad_setting("max_negatives_per_doc", cap, "an integer >= 0")
        shard = table.get("docs_per_shard", 1000)
        if type(shard) is not int or shard < 1:
            raise _bad_setting("docs_per_shard", shard, "an integer >= 1")
        return cls(RelationOptions(negatives, cap), shard)

    def to_dict(self) -> dict[str, Any]:
        return {
            "negatives": self.relations.negatives,
            "max_negatives_per_doc": self.relations.max_negatives_per_doc,
            "docs_per_shard": self.docs_per_shard,
        }


def _bad_setting(key: str, value: Any, allowed: str) -> NewscorpusError:
    return NewscorpusError(
        "E304",
        f"{key} is {value!r}; allowed: {allowed}.",
        fix=f"Fix `{key}` in the table.",
        where=f"pyproject.toml {_BUILD_TABLE}",
    )


@dataclass
class Stats:
    """What the build counted while streaming: the card's and the manifest's numbers."""

    documents: Counter[str] = field(default_factory=Counter)
    #: ``rows[config][split]``
    rows: dict[str, Counter[str]] = field(default_factory=lambda: {c: Counter() for c in CONFIGS})
    #: In-memory Arrow size per config and split (``dataset_info`` ``num_bytes``).
    num_bytes: dict[str, Counter[str]] = field(
        default_factory=lambda: {c: Counter() for c in CONFIGS}
    )
    #: Parquet bytes per config (``dataset_info`` ``download_size``).
    file_bytes: Counter[str] = field(default_factory=Counter)
    #: ``(label, split)`` -> count, for entities and gold relations.
    entity_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    relation_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: ``(label, split)`` -> rows of the relations config (``no_relation`` included).
    pair_labels: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: Rows of the relations config that are reversed copies of symmetric relations.
    reversed_pairs: int = 0
    entities: int = 0
    #: Entities the flat ``sentences`` view leaves out because another entity contains them.
    nested_left_out: int = 0
    #: Sentence boundaries removed because an entity crossed them.
    merged_boundaries: int = 0
    unannotated: int = 0
    #: rule -> number of edits, and rule -> documents it changed.
    edits: Counter[str] = field(default_factory=Counter)
    edited_documents: Counter[str] = field(default_factory=Counter)
    #: ``source`` values of entities (``gold``, ``rule``, ``model``; ``None`` when unknown).
    sources: Counter[str | None] = field(default_factory=Counter)

    def count_rows(self, config: str, split: str, rows: int, num_bytes: int) -> None:
        self.rows[config][split] += rows
        self.num_bytes[config][split] += num_bytes

    def splits(self, config: str) -> list[str]:
        """The splits of ``config`` that have rows, in :data:`SPLITS` order.

        ``datasets`` cannot load a split without rows ("corresponds to no data"), so the build
        writes and declares only these; a config without any is left out of the build.
        """
        return [split for split in SPLITS if self.rows[config][split]]

    def configs(self) -> list[str]:
        """The configs that have rows, in :data:`CONFIGS` order."""
        return [config for config in CONFIGS if self.splits(config)]


@dataclass(frozen=True)
class BuildResult:
    """Where the build went, what it counted, and warnings to show."""

    out: Path
    stats: Stats
    warnings: tuple[str, ...]
    #: Documents whose validation and rows came from the cache.
    cached: int = 0
