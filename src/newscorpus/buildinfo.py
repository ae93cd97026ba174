"""What a build is told and what it counts: the types the packaging stages share.

:class:`BuildSettings` (from ``[tool.newscorpus.build]``), :class:`Stats` (the numbers the build
counts while streaming) and :class:`BuildResult` live here, below :mod:`newscorpus.package`,
:mod:`newscorpus.card`, :mod:`newscorpus.croissant` and :mod:`newscorpus.manifest`, so that
those modules import this one and never each other.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus.errors import NewscorpusError
from newscorpus.project import Project
from newscorpus.splits import SPLITS
from newscorpus.views import CONFIGS
from newscorpus.views_relations import NEGATIVES, PairTally, RelationOptions

_BUILD_TABLE = "[tool.newscorpus.build]"
#: The oldest ``datasets`` release that loads a build (``tests/test_lowest_deps.py`` checks it);
#: keep it equal to the lower bound in pyproject.toml.
LOWEST_DATASETS = "4.0.0"


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """Options from ``[tool.newscorpus.build]`` in pyproject.toml (the defaults shown)::

    [tool.newscorpus.build]
    negatives = "all"              # relations: every candidate pair; "sample" or "none"
    window_sentences = 1           # sentences per window in which every pair is a candidate
    negatives_per_positive = 1.0   # with negatives = "sample": per document and window size
    max_pairs_per_window = 1000    # candidates kept at most per window (the rest are counted)
    docs_per_shard = 1000          # documents per Parquet file

    See :mod:`newscorpus.views_relations` for what the relation options do.
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
        allowed = (
            "negatives",
            "window_sentences",
            "negatives_per_positive",
            "max_pairs_per_window",
            "docs_per_shard",
        )
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise NewscorpusError(
                "E304",
                f"unknown key {unknown[0]!r}; allowed keys: {', '.join(allowed)}.",
                fix="Fix the spelling or remove the key.",
                where=f"pyproject.toml {_BUILD_TABLE}",
            )
        defaults = RelationOptions()
        negatives = table.get("negatives", defaults.negatives)
        if negatives not in NEGATIVES:
            raise _bad_setting("negatives", negatives, " or ".join(f'"{n}"' for n in NEGATIVES))
        window = _int_setting(table, "window_sentences", defaults.window)
        ratio = table.get("negatives_per_positive", defaults.negatives_per_positive)
        if type(ratio) not in (int, float) or not 0 < ratio < math.inf:
            raise _bad_setting("negatives_per_positive", ratio, "a number > 0")
        cap = _int_setting(table, "max_pairs_per_window", defaults.max_pairs_per_window)
        shard = _int_setting(table, "docs_per_shard", 1000)
        return cls(RelationOptions(negatives, window, float(ratio), cap), shard)

    def to_dict(self) -> dict[str, Any]:
        options = self.relations
        return {
            "negatives": options.negatives,
            "window_sentences": options.window,
            "negatives_per_positive": options.negatives_per_positive,
            "max_pairs_per_window": options.max_pairs_per_window,
            "docs_per_shard": self.docs_per_shard,
        }


def _int_setting(table: dict[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if type(value) is not int or value < 1:
        raise _bad_setting(key, value, "an integer >= 1")
    return value


_WHERE = "pyproject.toml [tool.newscorpus]"


@dataclass(frozen=True, slots=True)
class DatasetMetadata:
    """Who made the dataset, where it lives and when it was published, from::

    [tool.newscorpus]
    url = "https://huggingface.co/datasets/OWNER/NAME"
    creator = "Jane Doe"            # or a list of names
    date_published = 2026-11-30     # a TOML date, or "2026-11-30"
    """

    url: str | None = None
    creators: tuple[str, ...] = ()
    date_published: str | None = None

    @classmethod
    def from_project(cls, project: Project) -> DatasetMetadata:
        """Read and check the three settings.

        Raises:
            NewscorpusError: E315 naming the bad setting and what is allowed.
        """
        settings = project.settings
        url = settings.get("url")
        if url is not None and not (
            isinstance(url, str) and url.startswith(("https://", "http://"))
        ):
            raise _bad_metadata("url", url, "an http(s) URL")
        creator = settings.get("creator", [])
        creators = [creator] if isinstance(creator, str) else creator
        if not isinstance(creators, list) or not all(
            isinstance(c, str) and c.strip() for c in creators
        ):
            raise _bad_metadata("creator", creator, "a name or a list of names")
        date = settings.get("date_published")
        if isinstance(date, str):
            try:
                date = datetime.date.fromisoformat(date)
            except ValueError:
                raise _bad_metadata("date_published", date, "a date YYYY-MM-DD") from None
        if date is not None and (type(date) is not datetime.date):
            raise _bad_metadata("date_published", date, "a date YYYY-MM-DD")
        return cls(url, tuple(creators), date.isoformat() if date is not None else None)

    def missing(self) -> list[str]:
        """The settings that are not set, by their ``[tool.newscorpus]`` keys."""
        present = {"url": self.url, "creator": self.creators, "date_published": self.date_published}
        return [key for key, value in present.items() if not value]


def _bad_metadata(key: str, value: Any, allowed: str) -> NewscorpusError:
    return NewscorpusError(
        "E315",
        f"{key} is {value!r}; allowed: {allowed}.",
        fix=f"Fix `{key}` in the table, or remove it.",
        where=_WHERE,
    )


def metadata_warnings(project: Project) -> tuple[str, ...]:
    """The build's warnings about its metadata: W302 when Croissant's required metadata is not
    all set, W303 when the libraries that shape the bytes are not the tested versions.

    Raises:
        NewscorpusError: E315 for a bad ``url``, ``creator`` or ``date_published``.
    """
    warnings = []
    missing = DatasetMetadata.from_project(project).missing()
    installed = installed_versions()
    other = [f"{n} {installed[n]} (tested: {v})" for n, v in TESTED.items() if installed[n] != v]
    if other:
        warnings.append(
            f"W303 this build ran with {', '.join(other)}, so its Parquet bytes may differ "
            "from a build with the tested versions (manifest.json records the versions used). "
            "Install with `pip install -c constraints.txt` for byte-identical builds."
        )
    if not missing:
        return tuple(warnings)
    keys = ", ".join(missing)
    warnings.insert(
        0,
        (
            f"{_WHERE}: W302 croissant.json has no {keys}, which Croissant 1.0 requires. Set "
            f"{keys} in the table (date_published is never taken from the clock, so builds stay "
            "byte-identical)."
        ),
    )
    return tuple(warnings)


#: The versions of the libraries that shape the output bytes, as pinned in constraints.txt
#: (a test keeps the two equal). Other versions build fine, but the bytes may differ.
TESTED = {"datasets": "5.2.0", "pyarrow": "26.0.1", "spacy": "3.8.18"}


def installed_versions() -> dict[str, str]:
    """The installed versions of newscorpus and the libraries in :data:`TESTED`."""
    from importlib.metadata import version

    from newscorpus import __version__

    return {"newscorpus": __version__, **{name: version(name) for name in TESTED}}


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
    #: ``(window size in sentences, is a gold relation)`` -> rows of the relations config.
    window_pairs: Counter[tuple[int, bool]] = field(default_factory=Counter)
    #: label -> relations rows whose one argument contains the other.
    nested_pairs: Counter[str] = field(default_factory=Counter)
    #: Candidates left out by ``max_pairs_per_window``, the windows that hit it, and negatives
    #: left out by sampling.
    capped_pairs: int = 0
    capped_windows: int = 0
    sampled_out: int = 0
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

    def count_pairs(self, tally: PairTally, split: str) -> None:
        """Count one document's ``relations`` rows."""
        for label, rows, nested in tally.labels:
            self.pair_labels[label, split] += rows
            self.nested_pairs[label] += nested
        for size, positive, rows in tally.windows:
            self.window_pairs[size, positive] += rows
        self.reversed_pairs += tally.reversed

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
