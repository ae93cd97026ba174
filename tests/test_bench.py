"""The benchmark's corpus generator (``scripts/bench_build.py``) makes a valid, scraped-looking
corpus. Only the generator is tested here; the benchmark itself runs by hand, never in tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from build_helpers import load_bench
from conftest import REPO_ROOT
from newscorpus.annotations import annotation_path, read_annotations
from newscorpus.corpus import doc_ids, load_article
from newscorpus.project import load_project
from newscorpus.schema import Schema
from newscorpus.validate import validate_project


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench()


def test_generator_makes_a_valid_corpus(bench: ModuleType, tmp_path: Path) -> None:
    info = bench.make_corpus(tmp_path / "bench", 5)
    project = load_project(tmp_path / "bench")
    report = validate_project(project)
    assert [issue.render() for issue in report.issues] == []
    ids = doc_ids(project)
    assert len(ids) == info.documents == 5
    articles = [load_article(project, doc_id) for doc_id in ids]
    annotations = [read_annotations(annotation_path(project, doc_id)) for doc_id in ids]
    assert info.entities == sum(len(a.entities) for a in annotations)
    assert info.relations == sum(len(a.relations) for a in annotations)
    assert all(a.relations for a in annotations)
    assert info.raw_bytes == sum(len(a.raw.encode("utf-8")) for a in articles)
    for article in articles:
        assert "Lost your password?\n" in article.raw.replace("\r\n", "\n")
        assert article.meta.category in bench.CATEGORIES
        assert article.meta.title == article.text.split("\n", 1)[0]
        assert 2000 <= len(article.raw) <= 9000
    raw = "".join(a.raw for a in articles)
    for artefact in ("5 G", "( ", " ,", "\xa0", "\r\n", "\n\n\n"):
        assert artefact in raw
        assert all(artefact not in a.text for a in articles)


def test_generator_is_deterministic_per_article(bench: ModuleType) -> None:
    schema = Schema.load(REPO_ROOT / "annotations" / "schema.yaml")
    assert bench.synthetic_article(3, schema) == bench.synthetic_article(3, schema)
    assert bench.synthetic_article(3, schema).raw != bench.synthetic_article(4, schema).raw
