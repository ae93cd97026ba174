"""The token formats after a build: tokens come from the build's cache, the files do not change.

A build keeps each document's ``sentences`` rows in the cache; ``export conll`` and ``export
spacy`` take them from there for documents whose files are the ones the build saw, and tokenise
the others. These tests hold the export to the bytes of tokenising everything again, count
which documents were tokenised, and damage, change and break what the cache was made from.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from build_helpers import IRREGULAR, cache_kind, formats_project, make_irregular, tree_digest
from newscorpus import nlp
from newscorpus.annotations import annotation_path
from newscorpus.cache import CACHE_DIR
from newscorpus.corpus import doc_ids
from newscorpus.docunit import TOKENS
from newscorpus.engines import EngineSettings
from newscorpus.errors import NewscorpusError
from newscorpus.formats import get
from newscorpus.package import build
from newscorpus.project import Project

TOKEN_FORMATS = ("conll", "spacy")
SERIAL = EngineSettings("serial", 1)


@pytest.fixture
def built(tmp_path: Path) -> Project:
    """The formats project (nested entities, emoji, CRLF raw text, an unannotated document),
    built once with the cache."""
    project = formats_project(tmp_path / "proj")
    build(project, project.root / "dist" / "out", engine=SERIAL)
    return project


@pytest.fixture
def tokenised_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the project's pipeline tokenises from now on, in order."""
    seen: list[str] = []
    segment_text: Callable[..., Any] = nlp.segment_text

    def counting(pipeline: Any, text: str) -> Any:
        seen.append(text)
        return segment_text(pipeline, text)

    monkeypatch.setattr(nlp, "segment_text", counting)
    return seen


def export(project: Project, fmt: str, out: Path, *, use_cache: bool = True) -> dict[str, str]:
    get(fmt).export(project, out, None, use_cache=use_cache)
    return tree_digest(out)


def token_entries(project: Project) -> list[Path]:
    return sorted(p for p in cache_kind(project, TOKENS).rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", TOKEN_FORMATS)
def test_after_a_build_nothing_is_tokenised_and_the_files_are_the_same(
    built: Project, fmt: str, tmp_path: Path, tokenised_texts: list[str]
) -> None:
    assert len(token_entries(built)) == len(doc_ids(built))  # one per document, all valid
    warm = export(built, fmt, tmp_path / "warm")
    assert tokenised_texts == []
    cold = export(built, fmt, tmp_path / "cold", use_cache=False)
    assert len(tokenised_texts) == len(doc_ids(built))
    assert warm == cold


@pytest.mark.parametrize("fmt", TOKEN_FORMATS)
def test_a_document_changed_since_the_build_is_tokenised_again(
    built: Project, fmt: str, tmp_path: Path, tokenised_texts: list[str]
) -> None:
    path = annotation_path(built, "agreement")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entities"] = [e for e in data["entities"] if e["id"] != "T7"]  # S Jaishankar goes
    data["relations"] = [r for r in data["relations"] if "T7" not in (r["head"], r["tail"])]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    warm = export(built, fmt, tmp_path / "warm")
    assert len(tokenised_texts) == 1  # agreement alone
    assert "S Jaishankar" in tokenised_texts[0]
    assert warm == export(built, fmt, tmp_path / "cold", use_cache=False)
    if fmt == "conll":
        lines = (tmp_path / "warm" / "train.conll").read_text(encoding="utf-8").splitlines()
        assert "Jaishankar _ _ O" in lines


def test_damaged_and_foreign_entries_are_tokenised_again_and_made_again(
    built: Project, tmp_path: Path, tokenised_texts: list[str]
) -> None:
    expected = export(built, "conll", tmp_path / "cold", use_cache=False)
    tokenised_texts.clear()
    entries = token_entries(built)
    entries[0].write_bytes(entries[0].read_bytes()[:-40])  # truncated
    entries[1].write_bytes(entries[2].read_bytes())  # another document's valid entry
    assert export(built, "conll", tmp_path / "warm") == expected
    assert len(tokenised_texts) == 2
    # Deleted, so that the next build that makes or finds the documents' rows keeps their
    # tokens again (one to a new folder: the previous build's shards are not reused).
    assert len(token_entries(built)) == len(doc_ids(built)) - 2
    build(built, built.root / "dist" / "again", engine=SERIAL)
    assert len(token_entries(built)) == len(doc_ids(built))
    tokenised_texts.clear()
    assert export(built, "conll", tmp_path / "rewarm") == expected
    assert tokenised_texts == []


def test_an_invalid_document_stops_the_export_when_the_others_are_cached(
    built: Project, tmp_path: Path
) -> None:
    path = annotation_path(built, "huawei-ban")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entities"][0]["label"] = "COMPANY"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(NewscorpusError) as raised:
        export(built, "conll", out)
    assert raised.value.code == "E150"
    assert "annotations/huawei-ban.json" in raised.value.message
    assert "COMPANY" in raised.value.message
    assert not out.exists()


def test_other_build_settings_find_no_entry(
    built: Project, tmp_path: Path, tokenised_texts: list[str]
) -> None:
    """Entries are keyed by the settings of the build that made them: after a settings change
    nothing is taken from the cache until the next build."""
    config = built.root / "pyproject.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\n[tool.newscorpus.build]\ndocs_per_shard = 2\n",
        encoding="utf-8",
    )
    from newscorpus.project import load_project

    project = load_project(built.root)
    export(project, "conll", tmp_path / "before")
    assert len(tokenised_texts) == len(doc_ids(project))
    build(project, project.root / "dist" / "out", engine=SERIAL)
    tokenised_texts.clear()
    export(project, "conll", tmp_path / "after")
    assert tokenised_texts == []


def test_a_no_cache_build_leaves_no_token_entry(tmp_path: Path) -> None:
    project = formats_project(tmp_path / "proj")
    build(project, project.root / "out", engine=SERIAL, use_cache=False)
    assert token_entries(project) == []


@pytest.mark.parametrize("kind", IRREGULAR)
def test_something_else_where_an_annotation_file_belongs_stops_the_export(
    built: Project, kind: str, tmp_path: Path
) -> None:
    """The build cached ``forecast`` without an annotation file; what now stands in its place
    is not a file the key can hash, and validation refuses it."""
    path = annotation_path(built, "forecast")
    assert not path.exists()
    make_irregular(path, kind)
    for use_cache in (True, False):
        out = tmp_path / f"out-{use_cache}"
        with pytest.raises(NewscorpusError) as raised:
            export(built, "conll", out, use_cache=use_cache)
        assert raised.value.code == "E150"
        assert "annotations/forecast.json" in raised.value.message
        assert not out.exists()


def test_a_cache_that_cannot_be_looked_at_is_no_cache(
    built: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As under a folder without read permission (root ignores chmod, so the error is made
    here): the export tokenises, the build computes, neither fails."""
    expected = export(built, "conll", tmp_path / "cold", use_cache=False)
    cache = str(built.root / CACHE_DIR)
    is_file = Path.is_file

    def denied(path: Path) -> bool:
        if str(path).startswith(cache):
            raise PermissionError(13, "Permission denied", str(path))
        return is_file(path)

    monkeypatch.setattr(Path, "is_file", denied)
    assert export(built, "conll", tmp_path / "warm") == expected
    build(built, built.root / "dist" / "again", engine=SERIAL)
