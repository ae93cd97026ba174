"""newscorpus: scraped news articles to a versioned, validated entity-and-relation dataset."""

from importlib.metadata import PackageNotFoundError, version

from newscorpus.model import Document, Entity, Relation

try:
    __version__ = version("newscorpus")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["Document", "Entity", "Relation", "__version__"]
