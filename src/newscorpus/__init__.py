"""newscorpus: scraped news articles to a versioned, validated entity-and-relation dataset."""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from newscorpus.model import Document, Entity, Relation

try:
    __version__ = version("newscorpus")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["Document", "Entity", "Relation", "__version__", "load"]


def __getattr__(name: str) -> Any:
    # `load` imports datasets: only on first use, so `import newscorpus` stays light.
    if name == "load":
        from newscorpus.loader import load

        return load
    raise AttributeError(f"module 'newscorpus' has no attribute {name!r}")
