"""newscorpus: scraped news articles to a versioned, validated entity-and-relation dataset."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newscorpus.loader import load
    from newscorpus.model import Document, Entity, Relation

    __version__: str

__all__ = ["Document", "Entity", "Relation", "__version__", "load"]


def __getattr__(name: str) -> Any:
    # Everything is imported on first use: the console script imports this package before it
    # can install its Ctrl-C handler, so the package itself must import nothing; `load` also
    # imports datasets.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("newscorpus")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0"
    if name in ("Document", "Entity", "Relation"):
        from newscorpus import model

        return getattr(model, name)
    if name == "load":
        from newscorpus.loader import load

        return load
    raise AttributeError(f"module 'newscorpus' has no attribute {name!r}")
