"""Speed and scale without a changed byte: per-line segmentation, pyarrow writes, the process
pool, Dask, and the per-document cache all give the output of a plain serial build."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner
from datasets import Features

from build_helpers import cache_kind, load_bench, small_project, tree_digest
from conftest import make_project, run
from newscorpus import nlp as nlp_module
from newscorpus import shards
from newscorpus.annotations import (
    annotation_path,
    read_annotations,
    text_sha256,
    write_annotations,
)
from newscorpus.cache import CACHE_DIR, Cache, cache_dir, generation, segments_key
from newscorpus.card import quality_section
from newscorpus.cli import main
from newscorpus.corpus import doc_ids, load_article
from newscorpus.docunit import DocumentResult
from newscorpus.engines import Background, EngineSettings, iter_shards, map_shards
from newscorpus.errors import NewscorpusError, UsageError
from newscorpus.features import dataset_from_rows
from newscorpus.ingest import NewArticle, add_articles
from newscorpus.nlp import make_nlp, segment, segment_text
from newscorpus.package import BATCH_SIZES, build
from newscorpus.progress import progress
from newscorpus.project import Project, load_project
from newscorpus.schema import Schema
from newscorpus.sentence_tokens import decode_sentences, encode_sentences
from newscorpus.validate import validate_project
from newscorpus.views import DOCUMENTS, RELATIONS, SENTENCES

SERIAL = EngineSettings("serial", 1)
SYNTHETIC = 10


def seed_and_synthetic(root: Path) -> Project:
    """The seed project plus the benchmark's first synthetic articles, four per shard."""
    make_project(root, with_seed=True)
    with (root / "pyproject.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n[tool.newscorpus.build]\ndocs_per_shard = 4\n")
    project = load_project(root)
    bench, schema = load_bench(), Schema.load(project.schema_path)
    for n in range(SYNTHETIC):
        article = bench.synthetic_article(n, schema)
        raw = article.raw.encode()
        add_articles(
            project,
            [NewArticle(raw, where=article.doc_id, source_file="x.txt", doc_id=article.doc_id)],
        )
        write_annotations(annotation_path(project, article.doc_id), article.annotations)
    return project


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str]]:
    """The project and its serial, uncached build."""
    project = seed_and_synthetic(tmp_path_factory.mktemp("scale") / "proj")
    out = project.root / "serial"
    build(project, out, engine=SERIAL, use_cache=False)
    assert not cache_kind(project, "rows").exists()  # --no-cache wrote no entry
    return project, tree_digest(out)


def test_segment_text_matches_whole_document_segmentation(
    reference: tuple[Project, dict[str, str]],
) -> None:
    project, _ = reference
    texts = [load_article(project, doc_id).text for doc_id in doc_ids(project)]
    texts += [
        "",
        "\n\n",
        "Title\n\n  Indented line. Next one\n \t\nLast.",
        "x\n" + "Kenya and India met. Talks on 5G. in the IoT. " * 20,
        'He said "yes."\nNo.\r\nU.S. and 10GB.\u00a0Then\u2028more',
        "A.\n.B\n...\n",
        "Huawei Technologies Co., Ltd. and Acme Pvt. Ltd.\nsaid so.",
        # The sentencizer's rule at its edges: runs of its characters, other punctuation after
        # them, a line that starts with one, spaces between sentences.
        'Hi!! ) Yes? ?\n. x and .. y\n"Stop." "Go." Wait... what?! No\nOne.  Two.\u3002Three',
        # Offsets count characters: one outside the Basic Multilingual Plane before the rest.
        "\U0001f389 Launch. \U0001f600\n\nYes! x\u2028y.\n\U0001f4f1!",
    ]
    nlp = make_nlp(Schema.load(project.schema_path).abbreviations)
    for text in texts:
        sentences = segment_text(nlp, text)
        assert sentences == segment(nlp(text))
        # As the cache keeps them: its check that they fit the text accepts them.
        assert decode_sentences(encode_sentences(sentences), text) == sentences


def test_segment_text_follows_a_sentencizer_with_longer_punct_chars() -> None:
    nlp = make_nlp()
    nlp.replace_pipe("sentencizer", "sentencizer", config={"punct_chars": ["...", "!"]})
    text = "Wait ... what! Then... more. Yes"
    assert [(s.start, s.end) for s in segment_text(nlp, text)] == [
        (0, 8),
        (9, 14),
        (15, 22),
        (23, 32),
    ]
    assert segment_text(nlp, text) == segment(nlp(text))


_TEXT = "India and Japan met. Talks on 5G."


@pytest.mark.parametrize(
    ("forged", "message"),
    [
        ([(0, 20, [0, 5, 6, 9])], "a sentence that does not span its tokens"),
        ([(0, 9, [0, 5, 6, 9]), (6, 20, [6, 10, 16, 20])], "tokens out of order"),
        ([(0, 9, [0, 9])], "sentences of another text"),  # two words as one token
        ([(0, 5, [0, 5])], "sentences of another text"),  # words left out
        ([(0, 40, [0, 40])], "sentences of another text"),  # beyond the text
    ],
)
def test_cached_sentences_must_fit_the_text(forged: list[Any], message: str) -> None:
    nlp = make_nlp()
    real = encode_sentences(segment_text(nlp, _TEXT))
    assert decode_sentences(real, _TEXT) == segment_text(nlp, _TEXT)
    with pytest.raises(ValueError) as err:
        decode_sentences(msgspec.msgpack.encode(forged), _TEXT)
    assert str(err.value) == message


def test_every_engine_and_the_cache_give_the_serial_bytes(
    reference: tuple[Project, dict[str, str]],
) -> None:
    project, expected = reference
    out = project.root / "dist" / "out"
    assert build(project, out, engine=EngineSettings("process", 2)).cached == 0
    assert tree_digest(out) == expected
    # A no-op rebuild takes every shard over from the previous build.
    again = build(project, out, engine=EngineSettings("process", 2))
    assert again.cached == SYNTHETIC + 1
    assert tree_digest(out) == expected
    # Document results from the cache, written again (no previous build to take files from).
    fresh = project.root / "dist" / "fresh"
    assert build(project, fresh, engine=SERIAL).cached == SYNTHETIC + 1
    assert tree_digest(fresh) == expected


_INTERRUPTED_POOL = """
import os, signal, threading, time
import newscorpus.engines as engines

killed = engines._kill_workers


def kill_and_wait(pool):
    # The pool's manager thread then sees the dead workers before anything else: the order
    # in which Python 3.11's pool failed on cancelled shards, and hung.
    workers = list(pool._processes.values())
    killed(pool)
    for worker in workers:
        worker.join()
    time.sleep(0.2)


def shard(spec):
    time.sleep(0.5)
    return len(spec)


engines._kill_workers = kill_and_wait
# Shards larger than a pipe's buffer, so the pool's feeder thread is writing one when the
# workers die.
specs = [bytes(300_000) for _ in range(20)]
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    for _ in engines._pool(shard, specs, 2):
        pass
except KeyboardInterrupt:
    print("interrupted")
"""


def test_an_interrupted_pool_ends(tmp_path: Path) -> None:
    script = tmp_path / "pool.py"
    script.write_text(_INTERRUPTED_POOL, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted\n", "")


def test_dask_local_cluster_gives_the_serial_bytes(
    reference: tuple[Project, dict[str, str]],
) -> None:
    pytest.importorskip("distributed")
    project, expected = reference
    out = project.root / "dist" / "dask"
    done: list[str] = []
    build(project, out, engine=EngineSettings("dask", 2), use_cache=False, on_document=done.append)
    assert tree_digest(out) == expected
    assert sorted(done) == doc_ids(project)  # progress comes back per shard


def test_pyarrow_writes_the_bytes_datasets_wrote(
    reference: tuple[Project, dict[str, str]],
) -> None:
    """Each file equals ``Dataset.to_parquet`` of its rows, and the card's ``num_bytes`` is
    the size of the ``datasets`` table, as before the build wrote Parquet itself."""
    project, _ = reference
    out = project.root / "serial"
    card = (out / "README.md").read_text(encoding="utf-8").split("---\n")[1]
    declared = {
        (info["config_name"], split["name"]): split["num_bytes"]
        for info in yaml.safe_load(card)["dataset_info"]
        for split in info["splits"]
    }
    sizes: dict[tuple[str, str], int] = {}
    for path in sorted((out / "data").rglob("*.parquet")):
        config, split = path.parent.name, path.name.split("-")[0]
        table = pq.read_table(path)
        features = Features.from_arrow_schema(table.schema)
        dataset = dataset_from_rows(table.to_pylist(), features)
        again = path.with_suffix(".again")
        dataset.to_parquet(str(again), batch_size=BATCH_SIZES[config])
        assert again.read_bytes() == path.read_bytes(), path
        again.unlink()
        sizes[config, split] = sizes.get((config, split), 0) + dataset.data.nbytes
    assert sizes == declared


def test_one_changed_annotation_recomputes_one_document(tmp_path: Path) -> None:
    project = seed_and_synthetic(tmp_path / "proj")
    out = project.root / "dist" / "out"
    build(project, out, engine=SERIAL)
    doc_id = doc_ids(project)[3]
    path = annotation_path(project, doc_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["relations"] = data["relations"][:-1]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = build(project, out, engine=SERIAL)
    assert result.cached == SYNTHETIC  # every other document
    changed = tree_digest(out)
    build(project, project.root / "plain", engine=SERIAL, use_cache=False)
    assert changed == tree_digest(project.root / "plain")


def _drop_a_relation(project: Project, doc_id: str) -> None:
    path = annotation_path(project, doc_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["relations"] = data["relations"][:-1]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


_REBUILD_WITHOUT_SPACY = """
import sys
from pathlib import Path
from newscorpus.engines import EngineSettings
from newscorpus.package import build
from newscorpus.project import load_project
serial = EngineSettings("serial", 1)
result = build(load_project(Path(sys.argv[1])), Path(sys.argv[2]), engine=serial)
print(result.cached, "spacy" in sys.modules)
"""


def test_an_annotation_edit_is_rebuilt_without_tokenising(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text's sentences are cached by the text alone: after an annotation edit the
    document's rows are made again without tokenising, so the rebuild never loads spaCy; a
    damaged entry is made again."""
    project = seed_and_synthetic(tmp_path / "proj")
    out = project.root / "dist" / "out"
    build(project, out, engine=SERIAL)
    with_relations = [
        d for d in doc_ids(project) if read_annotations(annotation_path(project, d)).relations
    ]
    _drop_a_relation(project, with_relations[0])
    rebuilt = subprocess.run(
        [sys.executable, "-c", _REBUILD_WITHOUT_SPACY, str(project.root), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert rebuilt.stdout.split() == [str(SYNTHETIC), "False"]
    build(project, project.root / "plain", engine=SERIAL, use_cache=False)
    assert tree_digest(out) == tree_digest(project.root / "plain")

    segmented: list[str] = []

    def counting(pipeline: Any, text: str) -> Any:
        segmented.append(text)
        return segment_text(pipeline, text)

    monkeypatch.setattr(nlp_module, "segment_text", counting)
    entries = [p for p in cache_kind(project, "segments").rglob("*") if p.is_file()]
    assert len(entries) == SYNTHETIC + 1
    edited = with_relations[1]
    text = load_article(project, edited).text
    abbreviations = Schema.load(project.schema_path).abbreviations
    # Another document's sentences, framed and checksummed as a real entry.
    another = load_article(project, with_relations[0]).text
    other = encode_sentences(segment_text(make_nlp(abbreviations), another))
    Cache(cache_dir(project)).put("segments", segments_key(text_sha256(text), abbreviations), other)
    _drop_a_relation(project, edited)
    assert build(project, out, engine=SERIAL).cached == SYNTHETIC
    assert segmented == [text]
    build(project, project.root / "plain2", engine=SERIAL, use_cache=False)
    assert tree_digest(out) == tree_digest(project.root / "plain2")


def test_new_and_cached_documents_keep_their_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New documents wait for each other to be encoded together; cached ones between them
    must still be written in document order, and every new one stored."""
    monkeypatch.setattr(shards, "ENCODE_BATCH", 2)
    project = seed_and_synthetic(tmp_path / "proj")
    out = project.root / "dist" / "out"
    build(project, out, engine=SERIAL)
    changed = [
        d for d in doc_ids(project) if read_annotations(annotation_path(project, d)).relations
    ][:5:2]
    assert len(changed) == 3
    for doc_id in changed:
        path = annotation_path(project, doc_id)
        data = json.loads(path.read_text(encoding="utf-8"))
        data["relations"] = data["relations"][:-1]
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert build(project, out, engine=SERIAL).cached == SYNTHETIC + 1 - 3
    build(project, project.root / "plain", engine=SERIAL, use_cache=False)
    assert tree_digest(out) == tree_digest(project.root / "plain")
    fresh = project.root / "dist" / "fresh"
    assert build(project, fresh, engine=SERIAL).cached == SYNTHETIC + 1
    assert tree_digest(fresh) == tree_digest(out)


def test_corrupt_and_foreign_cache_entries_are_recomputed(tmp_path: Path) -> None:
    project = seed_and_synthetic(tmp_path / "proj")
    build(project, project.root / "first", engine=SERIAL)
    expected = tree_digest(project.root / "first")
    entries = sorted(p for p in cache_kind(project, "rows").rglob("*") if p.is_file())
    entries[0].write_bytes(entries[0].read_bytes()[:-40])  # truncated
    entries[1].write_bytes(b"newscorpus-cache\nnot an entry" + bytes(32))  # bad checksum
    entries[2].write_bytes(entries[3].read_bytes())  # another document's valid entry
    result = build(project, project.root / "second", engine=SERIAL)
    assert tree_digest(project.root / "second") == expected
    assert result.cached == SYNTHETIC + 1 - 3


def test_entries_of_the_wrong_shape_are_recomputed(tmp_path: Path) -> None:
    """Entries with a valid checksum whose tables or counts no build makes (written by hand,
    or by other code under the same key) are replaced, not written out or crashed on."""
    project = seed_and_synthetic(tmp_path / "proj")
    build(project, project.root / "first", engine=SERIAL)
    expected = tree_digest(project.root / "first")
    cache = Cache(cache_dir(project))
    keys = sorted(p.name for p in cache_kind(project, "rows").rglob("*") if p.is_file())
    forged = {}
    for key, forge in zip(keys, _FORGERIES, strict=False):
        payload = cache.get("rows", key)
        assert payload is not None
        result = DocumentResult.from_bytes(payload)
        forge(result)
        cache.put("rows", key, result.to_bytes())
        forged[key] = cache.get("rows", key)
    result = build(project, project.root / "second", engine=SERIAL)
    assert tree_digest(project.root / "second") == expected
    assert result.cached == SYNTHETIC + 1 - len(_FORGERIES)
    assert all(cache.get("rows", key) != payload for key, payload in forged.items())


def _no_document_row(result: DocumentResult) -> None:
    assert result.tables is not None
    result.tables[DOCUMENTS] = result.tables[DOCUMENTS].slice(0, 0)


def _other_columns(result: DocumentResult) -> None:
    assert result.tables is not None
    result.tables[SENTENCES] = result.tables[SENTENCES].drop_columns(["ner_tags"])


def _missing_config(result: DocumentResult) -> None:
    assert result.tables is not None
    del result.tables[RELATIONS]


def _text_count(result: DocumentResult) -> None:
    assert result.counts is not None
    result.counts.entities = "7"  # type: ignore[assignment]


def _another_document(result: DocumentResult) -> None:
    result.doc_id = "someone-else"


_FORGERIES = (_no_document_row, _other_columns, _missing_config, _text_count, _another_document)


def test_validate_takes_unchanged_articles_from_the_cache(tmp_path: Path) -> None:
    project = seed_and_synthetic(tmp_path / "proj")
    first = validate_project(project, use_cache=True)
    assert validate_project(project, use_cache=True) == first
    # A stale text.txt is found: its hash changed, so the article is checked again.
    doc_id = doc_ids(project)[2]
    text = project.corpus / doc_id / "text.txt"
    text.write_text(text.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
    codes = {i.code for i in validate_project(project, use_cache=True).issues}
    assert "E214" in codes
    assert validate_project(project, use_cache=True) == validate_project(project)


def test_an_entry_that_cannot_be_replaced_leaves_no_temp_file(tmp_path: Path) -> None:
    cache, key = Cache(tmp_path), "ab" * 32
    cache.put("rows", key, b"payload")
    (entry,) = (p for p in tmp_path.rglob(key))
    entry.unlink()
    entry.mkdir()  # a folder where the entry belongs: the rename fails
    cache.put("rows", key, b"payload")
    assert [p.name for p in entry.parent.iterdir()] == [key]
    # Reading finds no entry there, and clears the way for the next one.
    assert cache.get("rows", key) is None
    assert not entry.exists()
    cache.put("rows", key, b"payload")
    assert cache.get("rows", key) == b"payload"


def test_an_interrupted_write_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, key = Cache(tmp_path), "cd" * 32

    def interrupted(self: Path, target: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.put("rows", key, b"payload")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_cache_clear(tmp_path: Path) -> None:
    project = seed_and_synthetic(tmp_path / "proj")
    validate_project(project, use_cache=True)
    assert (project.root / CACHE_DIR).is_dir()
    result = CliRunner().invoke(main, ["--root", str(project.root), "cache", "clear"])
    assert result.exit_code == 0
    assert result.output.startswith(f"cleared {CACHE_DIR}/ (")
    assert not cache_kind(project, "rows").exists()  # --no-cache wrote no entry


_WRITER = """
import sys
from pathlib import Path
from newscorpus.cache import Cache
cache, stop, n = Cache(Path(sys.argv[1])), Path(sys.argv[2]), 0
while not stop.exists():
    cache.put("rows", f"{n % 4096:064x}", b"payload")
    n += 1
cache.put("rows", "f" * 64, b"last")
"""


def test_cache_clear_while_entries_are_written(tmp_path: Path) -> None:
    """Builds and validate write entries without the project lock: clearing meanwhile must
    neither fail (a folder filling up under the deletion was "Directory not empty") nor keep
    the next command from writing."""
    project = load_project(make_project(tmp_path / "proj"))
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(cache_dir(project)), str(stop)])
    try:
        time.sleep(0.5)
        for _ in range(30):
            result = CliRunner().invoke(main, ["--root", str(project.root), "cache", "clear"])
            assert result.exit_code == 0, result.output
            assert result.output.startswith(f"cleared {CACHE_DIR}/ (")
    finally:
        stop.touch()
        assert writer.wait(timeout=30) == 0
    assert Cache(cache_dir(project)).get("rows", "f" * 64) == b"last"
    assert not list((project.root / ".newscorpus").glob("cache-cleared-*"))


def test_cache_clear_leaves_what_it_did_not_put_aside(tmp_path: Path) -> None:
    """A file or a link named like the folders clear moves the cache into is not one of them:
    it is left alone, and the cache is cleared all the same."""
    project = seed_and_synthetic(tmp_path / "proj")
    validate_project(project, use_cache=True)
    private = project.root / ".newscorpus"
    (private / "cache-cleared-file").write_text("x", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep", encoding="utf-8")
    (private / "cache-cleared-link").symlink_to(outside)
    for _ in range(2):
        result = CliRunner().invoke(main, ["--root", str(project.root), "cache", "clear"])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in private.glob("cache*")) == [
        "cache-cleared-file",
        "cache-cleared-link",
    ]
    assert (outside / "keep.txt").read_text(encoding="utf-8") == "keep"


def folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_build_keeps_this_generation_and_the_last_other_one(tmp_path: Path) -> None:
    """Entries of other versions of the code are never used again: a build keeps the current
    generation and the other one used last, and deletes the rest and the old flat layout."""
    project = seed_and_synthetic(tmp_path / "proj")
    root = project.root / CACHE_DIR
    for age, name in enumerate(("gen-older", "gen-newer", "gen-oldest")):
        (root / name / "rows" / "ab").mkdir(parents=True)
        (root / name / "rows" / "ab" / "entry").write_bytes(b"x")
        used = time.time() - 1000 * (age + 1) if name != "gen-newer" else time.time() - 500
        os.utime(root / name, (used, used))
    (root / "rows" / "cd").mkdir(parents=True)  # the layout before generations
    build(project, project.root / "out", engine=SERIAL)
    assert folders(root) == sorted([generation(), "gen-newer"])
    assert cache_kind(project, "rows").is_dir()
    # The generation that is used stays whatever its age; validate prunes too.
    (root / "gen-later").mkdir()
    validate_project(project, use_cache=True)
    assert folders(root) == sorted([generation(), "gen-later"])


def test_map_shards_keeps_spec_order() -> None:
    assert map_shards(abs, [-3, 2, -1], EngineSettings("process", 2)) == [3, 2, 1]
    assert map_shards(abs, [-3, 2, -1], SERIAL) == [3, 2, 1]


def _first_finishes_last(n: int) -> int:
    if n == 0:
        time.sleep(0.5)
    return n * 10


def test_iter_shards_hands_results_over_in_spec_order() -> None:
    specs = [0, 1, 2, 3]
    for engine in (EngineSettings("process", 2), SERIAL):
        assert list(iter_shards(_first_finishes_last, specs, engine)) == [0, 10, 20, 30]


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


def _refuse(code: str) -> None:
    raise NewscorpusError(code, "refused in the child.", fix="Nothing.", where="child")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _sigint_self(value: int) -> int:
    os.kill(os.getpid(), signal.SIGINT)
    return value


def test_pool_workers_ignore_ctrl_c() -> None:
    # Ctrl-C reaches the whole process group; the build, not each worker, handles it.
    try:
        results = map_shards(_sigint_self, [1, 2, 3], EngineSettings("process", 2))
    except KeyboardInterrupt:
        pytest.fail("a worker's Ctrl-C reached the caller")
    assert results == [1, 2, 3]


def _sleep_then_mark(folder: Path) -> None:
    (folder / f"{os.getpid()}.started").touch()
    time.sleep(20)
    (folder / f"{os.getpid()}.finished").touch()


def test_an_interrupted_pool_ends_its_workers_instead_of_waiting(tmp_path: Path) -> None:
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    def once_both_started() -> None:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("*.started"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGUSR1)  # handled in the main thread, inside map_shards

    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        threading.Thread(target=once_both_started, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            map_shards(_sleep_then_mark, [tmp_path] * 4, EngineSettings("process", 2))
    finally:
        signal.signal(signal.SIGUSR1, previous)
    started = sorted(int(p.stem) for p in tmp_path.glob("*.started"))
    assert len(started) == 2
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # gone, and reaped
    assert list(tmp_path.glob("*.finished")) == []


def test_background_returns_what_the_child_returned() -> None:
    pid, value = Background(_pid_and, 7).result() or (0, 0)
    assert value == 7
    assert pid not in (0, os.getpid())  # it ran in another process


def test_background_raises_what_the_child_raised() -> None:
    running = Background(_refuse, "E315")
    with pytest.raises(NewscorpusError) as err:
        running.result()
    assert str(err.value) == "child: E315 refused in the child. Nothing."


def test_background_gives_none_when_the_child_dies() -> None:
    assert Background(_die).result() is None


def test_background_cancel_ends_the_child_at_once() -> None:
    running = Background(_sleep, 60)
    started = time.monotonic()
    running.cancel()
    assert time.monotonic() - started < 10
    assert not running._process.is_alive()


def test_ctrl_c_while_waiting_for_the_background_ends_it_at_once() -> None:
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    running = Background(_sleep, 60)
    previous = signal.signal(signal.SIGALRM, interrupt)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            running.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 10
    assert not running._process.is_alive()


def test_an_unchanged_quality_section_comes_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards to make but gold unchanged (a new output folder): no process is started for the
    card's check, and none outlives the build when the card itself comes from the cache."""
    import multiprocessing

    from newscorpus import package

    project = seed_and_synthetic(tmp_path / "proj")
    build(project, project.root / "first", engine=SERIAL)
    expected = tree_digest(project.root / "first")
    started: list[Any] = []
    monkeypatch.setattr(package, "Background", lambda *a, **k: started.append(a) or 1 / 0)
    build(project, project.root / "second", engine=SERIAL)
    assert started == []
    assert tree_digest(project.root / "second") == expected
    monkeypatch.undo()
    shutil.rmtree(cache_kind(project, "quality"))
    build(project, project.root / "third", engine=SERIAL)  # the card from the cache, check not
    assert multiprocessing.active_children() == []
    assert tree_digest(project.root / "third") == expected


def test_the_card_made_beside_the_shards_is_the_card_made_after_them(tmp_path: Path) -> None:
    """The quality section runs in its own process while shards are made; the card is the one
    a build that makes it last writes (which the metadata cache would otherwise hide)."""
    project = seed_and_synthetic(tmp_path / "proj")
    build(project, project.root / "beside", engine=SERIAL, use_cache=False)
    card = (project.root / "beside" / "README.md").read_text(encoding="utf-8")
    assert "## Annotation quality" in card
    schema = Schema.load(project.schema_path)
    assert quality_section(project, schema, SERIAL) in card


def test_e320_bad_engine_options() -> None:
    with pytest.raises(UsageError) as err:
        EngineSettings("process", -1).workers()
    assert str(err.value) == (
        "E320 --jobs is -1; it must be 1 or more (0 means every core). "
        "Pass --jobs N with N >= 1, or leave it out."
    )
    with pytest.raises(UsageError) as err:
        EngineSettings("process", 2, "tcp://127.0.0.1:8786").workers()
    assert err.value.code == "E320"
    assert "Add --engine dask, or leave --scheduler out." in str(err.value)


def test_e321_dask_engine_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(NewscorpusError) as err:
        map_shards(abs, [1], EngineSettings("dask", 1))
    assert str(err.value) == (
        "E321 the dask engine needs the `distributed` package, which is not installed. "
        "Install the extra: pip install 'newscorpus[dask]', or use --engine process."
    )


def test_e322_unreachable_scheduler() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(NewscorpusError) as err:
        map_shards(abs, [1], EngineSettings("dask", 1, "tcp://127.0.0.1:9"))
    assert err.value.code == "E322"
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err.value.message


def test_validate_after_add_does_not_normalise_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``add`` notes what the rules made of each raw text; ``validate`` then knows text.txt is
    current from hashes alone, and normalises only an article whose text.txt changed."""
    import newscorpus.normalise

    project = seed_and_synthetic(tmp_path / "proj")
    calls: list[str] = []
    real = newscorpus.normalise.normalise

    def counted(raw: str, rules: Any = None) -> Any:
        calls.append(raw)
        return real(raw, rules)

    monkeypatch.setattr(newscorpus.normalise, "normalise", counted)
    report = validate_project(project, use_cache=True)
    # Only the seed article, copied into the project rather than added, is normalised.
    assert report.errors == () and len(calls) == 1
    doc_id = doc_ids(project)[1]
    path = annotation_path(project, doc_id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["relations"] = data["relations"][:-1]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert validate_project(project, use_cache=True).errors == ()
    assert len(calls) == 1  # the annotations changed, the text did not: no normalising
    text = project.corpus / doc_id / "text.txt"
    text.write_text(text.read_text(encoding="utf-8") + "More.\n", encoding="utf-8")
    codes = [i.code for i in validate_project(project, use_cache=True).issues]
    assert "E214" in codes and len(calls) == 2


def test_build_scheduler_without_dask_is_a_usage_error(seed_project: Path) -> None:
    code, out, err = run(seed_project, "build", "--scheduler", "tcp://127.0.0.1:8786")
    assert (code, out) == (2, "")
    assert "E320 --scheduler tcp://127.0.0.1:8786 is given but the engine is process" in err


def test_validate_gives_one_report_for_any_number_of_workers(tmp_path: Path) -> None:
    project = small_project(tmp_path / "p")
    broken = annotation_path(project, "huawei-ban")
    data = json.loads(broken.read_text(encoding="utf-8"))
    data["entities"][0]["start"] += 1
    data["relations"][0]["label"] = "unknown_relation"
    broken.write_text(json.dumps(data), encoding="utf-8")
    reports = {}
    for jobs in (1, 2, 3):
        for cache in (False, True):
            report = validate_project(
                project, use_cache=cache, engine=EngineSettings("process", jobs)
            )
            reports[jobs, cache] = [i.render() for i in report.issues]
    first = reports[1, False]
    assert all(found == first for found in reports.values()), reports
    codes = sorted(line.split(": ")[1].split()[0] for line in first)
    assert codes == ["E110", "E113", "W101", "W102"], first


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_its_total_only_when_it_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[int] = []

    def total() -> int:
        counted.append(1)
        return 2

    with progress(total, "checking") as step:
        step("a")
    assert counted == []  # not a terminal: nothing drawn, nothing counted
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress(total, "checking") as step:
        step("a")
        step("b")
    assert counted == [1]
    assert terminal.getvalue().startswith("\rchecking:   0%|          | 0/2 [")


def test_config_schemas_survive_the_cache() -> None:
    """A rebuild takes each config's Arrow schema from the cache instead of importing datasets
    to derive it again: what comes back is the same schema, metadata and label names."""
    from newscorpus.features import config_features
    from newscorpus.parquet import ConfigSchema

    schema = Schema.load(Path(__file__).parent.parent / "annotations" / "schema.yaml")
    for features in config_features(schema).values():
        made = ConfigSchema(features)
        back = ConfigSchema.from_json(json.loads(json.dumps(made.to_json())))
        assert back.schema.equals(made.schema, check_metadata=True)
        assert back.labels == made.labels


def test_a_hash_is_kept_with_the_signature_of_the_file_it_was_taken_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file renamed into the path between the look at its times and the read: the hash is
    of the new file, so it must be kept under the new file's signature, which the next look
    sees, not the old one's."""
    import hashlib

    import newscorpus.cache
    from newscorpus.cache import FileHashes

    monkeypatch.setattr(newscorpus.cache, "RACY_NS", 0)
    project = small_project(tmp_path / "p")
    path = project.annotations / "agreement.json"
    other = tmp_path / "other.json"
    other.write_text("{}", "utf-8")
    stat = os.stat

    def then_replaced(looked_at: Any, *args: Any, **kwargs: Any) -> Any:
        looked = stat(looked_at, *args, **kwargs)
        if looked_at == str(path) and other.exists():
            other.rename(path)
        return looked

    monkeypatch.setattr(os, "stat", then_replaced)
    hashes = FileHashes(project, None)
    digest = hashes.sha256(path)
    monkeypatch.setattr(os, "stat", stat)
    assert digest == hashlib.sha256(b"{}").hexdigest()
    now = path.stat()
    assert hashes.known[hashes.name(path)] == [
        now.st_size,
        now.st_mtime_ns,
        now.st_ctime_ns,
        now.st_ino,
        digest,
    ]
    assert hashes.sha256(path) == digest


def test_a_document_names_its_files_as_the_hashes_name_them(tmp_path: Path) -> None:
    """The names a build keys documents by are the ones validate's workers and the token
    formats look up: the string-built names must be :meth:`FileHashes.name` of each path."""
    from newscorpus.cache import FileHashes
    from newscorpus.docunit import DocumentInputs

    project = small_project(tmp_path / "p")
    doc_id = doc_ids(project)[0]
    inputs = DocumentInputs(project, doc_id, (annotation_path(project, doc_id),))
    hashes = FileHashes(project, None)

    hashed = inputs.hashed(hashes)

    assert [name for name, _ in hashed] == [
        f"corpus/{doc_id}/meta.json",
        f"corpus/{doc_id}/raw.txt",
        f"corpus/{doc_id}/text.txt",
        f"annotations/{doc_id}.json",
    ]
    assert hashed == [(hashes.name(path), hashes.sha256(path)) for path in inputs.paths()]
    assert all(digest is not None for _, digest in hashed)


def test_a_file_edited_while_a_build_reads_it_is_not_cached_under_its_old_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache keys are made from the files' hashes before any document is read. A file
    edited after that (a checkout, an editor saving) gave a result made from the new bytes
    under the old bytes' key: once the old bytes were back, validate and builds served the
    new bytes' issues and rows (and shards) for them, until ``cache clear``."""
    from newscorpus import validate_file

    project = small_project(tmp_path / "proj")
    path = annotation_path(project, "agreement")
    valid = path.read_bytes()
    data = json.loads(valid)
    data["entities"][0]["label"] = "COUNTRY"
    invalid = json.dumps(data).encode()
    real = validate_file.check_article

    def edited_while_read(project: Project, doc_id: str, **options: Any) -> Any:
        if doc_id == "agreement":
            path.write_bytes(invalid)
        return real(project, doc_id, **options)

    monkeypatch.setattr(validate_file, "check_article", edited_while_read)
    out = project.root / "dist" / "out"
    with pytest.raises(NewscorpusError, match=r"E109|E173"):
        build(project, out, engine=SERIAL)  # hashed the valid bytes, read the invalid ones
    monkeypatch.undo()
    path.write_bytes(valid)
    assert validate_project(project, use_cache=True).ok()
    build(project, out, engine=SERIAL)
    build(project, project.root / "plain", engine=SERIAL, use_cache=False)
    assert tree_digest(out) == tree_digest(project.root / "plain")
