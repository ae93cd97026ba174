"""Load a built dataset, from a local build folder or the Hub, and turn rows into documents.

A build is a plain Parquet dataset repo: ``datasets.load_dataset(path_or_repo_id, config)``
reads it without this library. :func:`load` adds a clear error for a folder that is not a build
and for a revision on a local folder; :func:`iter_documents` turns ``documents`` rows into typed
:class:`~newscorpus.model.Document` objects, label ids decoded to names.

In the ``documents`` config, :func:`load` returns entity and relation labels as names, so
``Document.from_row(row)`` needs nothing else; the task views keep ClassLabel ids, which is what
training code expects (``decode_labels`` changes either default).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscorpus.errors import UsageError
from newscorpus.features import CONFIGS, DEFAULT_CONFIG
from newscorpus.model import Document

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict


def load(
    path_or_repo_id: str | Path,
    config: str = DEFAULT_CONFIG,
    revision: str | None = None,
    *,
    decode_labels: bool | None = None,
) -> DatasetDict:
    """Every split of one config of a built dataset.

    Args:
        path_or_repo_id: a local build folder (e.g. ``dist/newscorpus-5g``) or a Hub dataset id.
        config: ``documents``, ``sentences`` or ``relations``.
        revision: a Hub tag, branch or commit (e.g. ``"v0.1.0"``); only for Hub ids.
        decode_labels: return the entity and relation labels of ``documents`` rows as names
            (a transform on read; the features still declare the ClassLabels). Default: on for
            ``documents``, off for the task views.

    Raises:
        UsageError: E308 for an unknown config, a local folder that is not a build, or a
            revision given with a local folder.
    """
    from datasets import load_dataset

    if config not in CONFIGS:
        raise UsageError(
            "E308",
            f"unknown config {config!r}; allowed: {', '.join(CONFIGS)}.",
            fix="Pass one of the configs.",
        )
    local = Path(path_or_repo_id)
    if local.exists():
        if revision is not None:
            raise UsageError(
                "E308",
                f"revision {revision!r} was given for the local folder {local}; a local build "
                "has no revisions.",
                fix="Drop the revision, or pass the Hub dataset id to load a tagged release.",
            )
        if not (local / "README.md").is_file() or not (local / "data" / config).is_dir():
            raise UsageError(
                "E308",
                f"{local} is not a built dataset (no README.md or no data/{config}/).",
                fix="Pass the folder `newscorpus build` wrote (default dist/<project name>).",
            )
        # An absolute path: datasets 5.2 cannot name a dataset loaded from ".".
        dataset: DatasetDict = load_dataset(str(local.resolve()), config)
    else:
        dataset = load_dataset(str(path_or_repo_id), config, revision=revision)
    if decode_labels is None:
        decode_labels = config == DEFAULT_CONFIG
    if decode_labels and config == DEFAULT_CONFIG:
        return dataset.with_transform(_label_decoder(dataset))
    return dataset


def _label_decoder(dataset: DatasetDict) -> Any:
    """A batch transform that turns entity and relation label ids into names."""
    features: Any = next(iter(dataset.values())).features
    names = {
        column: features[column].feature["label"].names for column in ("entities", "relations")
    }

    def decode(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for column, labels in names.items():
            if column in batch:
                batch[column] = [
                    [{**item, "label": labels[item["label"]]} for item in items]
                    for items in batch[column]
                ]
        return batch

    return decode


def iter_documents(dataset: Dataset) -> Iterator[Document]:
    """The documents of one split of the ``documents`` config, labels as names, e.g.
    ``iter_documents(load("dist/newscorpus-5g")["train"])``."""
    features: Any = dataset.features
    for row in dataset:
        yield Document.from_row(row, features=features)
