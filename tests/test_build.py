"""``newscorpus build``: layout, manifest, metadata agreement, determinism, atomicity, errors."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from datasets import Features, load_dataset
from huggingface_hub import DatasetCard

from build_helpers import Ent, add_document, small_project, tree_digest
from conftest import make_project
from newscorpus.buildinfo import BuildResult
from newscorpus.cli import main
from newscorpus.errors import NewscorpusError
from newscorpus.model import outermost
from newscorpus.package import build, load_document
from newscorpus.project import Project, load_project
from newscorpus.splits import assign_split, hashed_split


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, BuildResult]:
    project = small_project(tmp_path_factory.mktemp("small") / "proj")
    return project, build(project)


def yaml_features(out: Path) -> dict[str, Features]:
    data = DatasetCard.load(out / "README.md").data.to_dict()
    return {
        info["config_name"]: Features._from_yaml_list(info["features"])
        for info in data["dataset_info"]
    }


def test_layout(built: tuple[Project, BuildResult]) -> None:
    project, result = built
    assert result.out == project.root / "dist" / "test-corpus"
    assert sorted(tree_digest(result.out)) == [
        "README.md",
        "croissant.json",
        "data/bigbio_kb/test-00000-of-00001.parquet",
        "data/bigbio_kb/train-00000-of-00001.parquet",
        "data/bigbio_kb/validation-00000-of-00001.parquet",
        "data/documents/test-00000-of-00001.parquet",
        "data/documents/train-00000-of-00001.parquet",
        "data/documents/validation-00000-of-00001.parquet",
        # forecast (test) has no annotations: no relation rows, so no test split here
        "data/relations/train-00000-of-00001.parquet",
        "data/relations/validation-00000-of-00001.parquet",
        "data/sentences/test-00000-of-00001.parquet",
        "data/sentences/train-00000-of-00001.parquet",
        "data/sentences/validation-00000-of-00001.parquet",
        "manifest.json",
    ]
    assert not [p for p in result.out.parent.iterdir() if p.name.startswith(".")]


def test_manifest(built: tuple[Project, BuildResult]) -> None:
    _, result = built
    manifest = json.loads((result.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "test-corpus" and manifest["version"] == "0.1.0"
    assert sorted(manifest["tools"]) == ["datasets", "newscorpus", "pyarrow", "spacy"]
    assert manifest["source"] == {"commit": None, "dirty": None}
    assert manifest["build"] == {
        "negatives": "all",
        "window_sentences": 1,
        "negatives_per_positive": 1.0,
        "max_pairs_per_window": 1000,
        "docs_per_shard": 1000,
    }
    assert manifest["documents"] == {"train": 1, "validation": 1, "test": 1}
    assert manifest["rows"] == {
        "documents": {"train": 1, "validation": 1, "test": 1},
        "sentences": {"train": 5, "validation": 3, "test": 2},
        # train: 4 relations + 1 reversed symmetric, 17 negatives in one sentence and 34 in
        # two (the span of R3); validation: 2 relations + 2 negatives
        "relations": {"train": 56, "validation": 4, "test": 0},
        "bigbio_kb": {"train": 1, "validation": 1, "test": 1},
    }
    digests = tree_digest(result.out)
    listed = {f["path"]: f for f in manifest["files"]}
    assert sorted(listed) == sorted(set(digests) - {"manifest.json"})
    for path, entry in listed.items():
        assert entry["sha256"] == digests[path]
        assert entry["size"] == (result.out / path).stat().st_size


def test_parquet_metadata_agrees_with_the_card(built: tuple[Project, BuildResult]) -> None:
    _, result = built
    declared = yaml_features(result.out)
    assert sorted(declared) == ["bigbio_kb", "documents", "relations", "sentences"]
    for path in sorted((result.out / "data").rglob("*.parquet")):
        metadata = json.loads(pq.read_schema(path).metadata[b"huggingface"])
        assert Features.from_dict(metadata["info"]["features"]) == declared[path.parent.name]


def test_declared_split_sizes_load(built: tuple[Project, BuildResult]) -> None:
    _, result = built
    relations = load_dataset(str(result.out), "relations")
    assert {split: len(ds) for split, ds in relations.items()} == {"train": 56, "validation": 4}
    sentences = load_dataset(str(result.out), "sentences")
    assert {split: len(ds) for split, ds in sentences.items()} == {
        "train": 5,
        "validation": 3,
        "test": 2,
    }


def test_download_size_is_the_size_of_the_files(built: tuple[Project, BuildResult]) -> None:
    _, result = built
    infos = DatasetCard.load(result.out / "README.md").data.to_dict()["dataset_info"]
    for info in infos:
        files = (result.out / "data" / info["config_name"]).glob("*.parquet")
        assert info["download_size"] == sum(path.stat().st_size for path in files)


def test_no_entity_is_lost_on_the_seed(seed_project: Path, tmp_path: Path) -> None:
    project = load_project(seed_project)
    result = build(project, tmp_path / "out")
    documents = load_dataset(str(result.out), "documents")["train"]
    sentences = load_dataset(str(result.out), "sentences")["train"]
    names = sentences.features["ner_tags"].feature.names
    doc = load_document(project, "india-japan-5g-agreement")
    tagged = sum(names[t].startswith("B-") for row in sentences for t in row["ner_tags"])
    assert len(documents[0]["entities"]) == len(doc.entities)
    assert tagged == len(outermost(doc.entities))
    assert result.stats.nested_left_out == len(doc.entities) - tagged


def test_two_builds_are_byte_identical(built: tuple[Project, BuildResult], tmp_path: Path) -> None:
    project, result = built
    again = build(project, tmp_path / "elsewhere")
    assert tree_digest(again.out) == tree_digest(result.out)


def test_rebuild_replaces_the_output(tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj")
    first = tree_digest(build(project).out)
    (project.root / "dist" / "test-corpus" / "stray.txt").write_text("x", encoding="utf-8")
    assert tree_digest(build(project).out) == first


def test_failed_build_leaves_the_previous_output(tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj", "\n[tool.newscorpus.build]\ndocs_per_shard = 1\n")
    out = build(project).out
    before = tree_digest(out)
    # "U.S" without its full stop passes validation but does not align to the token "U.S.".
    text = "Market\n\nHuawei is limited in the U.S. market.\n"
    add_document(project, "us-market", text, (Ent("T1", "Huawei", "ORG"), Ent("T2", "U.S", "GPE")))
    assert hashed_split("us-market") == "train"  # processed after shard 0 of train is written
    with pytest.raises(NewscorpusError) as err:
        build(project)
    assert err.value.render() == (
        "annotations/us-market.json: E302 [T2] entity [33, 36) 'U.S' (GPE) does not start and "
        "end on token boundaries (it overlaps the tokens ['U.S.']), so the token views would "
        "lose it. Move the span edges to word boundaries (`newscorpus validate` shows span "
        "edges), or extend the tokenizer fix in newscorpus.nlp if the tokenizer splits wrongly."
    )
    assert tree_digest(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["test-corpus"]


def test_invalid_annotations_refuse_the_build(tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj")
    add_document(
        project, "bad", "Huawei Sales\n\nHuawei grew.\n", (Ent("T1", "Huawei", "COMPANY"),)
    )
    with pytest.raises(NewscorpusError) as err:
        build(project)
    assert err.value.render() == (
        "E301 the project has 1 validation error, so nothing was built. Run `newscorpus "
        "validate` for the full report and fix them; it is:\n"
        '  annotations/bad.json:5:5: E109 T1 label is "COMPANY"; allowed: PERSON, ORG, GPE, LOC, '
        "TECHNOLOGY, EVENT, INITIATIVE, NORP. Use one of the schema's entity labels, or declare "
        "this one in schema.yaml."
    )
    assert not (project.root / "dist").exists() or not any((project.root / "dist").iterdir())


def test_validation_errors_win_over_row_errors_and_a_foreign_output(tmp_path: Path) -> None:
    # One pass: rows of the first shards are made before the bad document is read, yet the
    # build still refuses with E301, not with the row error met first, and leaves no folder.
    project = small_project(tmp_path / "proj", "\n[tool.newscorpus.build]\ndocs_per_shard = 1\n")
    text = "Market\n\nHuawei is limited in the U.S. market.\n"
    add_document(project, "us-market", text, (Ent("T1", "Huawei", "ORG"), Ent("T2", "U.S", "GPE")))
    add_document(project, "zeta", "Zeta\n\nHuawei grew.\n", (Ent("T1", "Huawei", "COMPANY"),))
    assert (hashed_split("us-market"), hashed_split("zeta")) == ("train", "test")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "x").touch()
    for out in (None, foreign):
        with pytest.raises(NewscorpusError) as err:
            build(project, out)
        assert err.value.render().startswith(
            "E301 the project has 1 validation error, so nothing was built."
        )
        assert err.value.render().endswith(
            "\n  annotations/zeta.json:5:5: E109 T1 label is "
            '"COMPANY"; allowed: PERSON, ORG, GPE, LOC, TECHNOLOGY, EVENT, INITIATIVE, NORP. Use '
            "one of the schema's entity labels, or declare this one in schema.yaml."
        )
    assert not (project.root / "dist").exists()
    assert sorted(p.name for p in foreign.iterdir()) == ["x"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'negatives = "same_sentence"',
            'negatives is \'same_sentence\'; allowed: "all" or "sample" or "none". '
            "Fix `negatives` in the table.",
        ),
        (
            "window_sentences = 0",
            "window_sentences is 0; allowed: an integer >= 1. Fix `window_sentences` in the table.",
        ),
        (
            "max_pairs_per_window = 1.5",
            "max_pairs_per_window is 1.5; allowed: an integer >= 1. "
            "Fix `max_pairs_per_window` in the table.",
        ),
        (
            "negatives_per_positive = 0",
            "negatives_per_positive is 0; allowed: a number > 0. "
            "Fix `negatives_per_positive` in the table.",
        ),
        (
            "docs_per_shard = 0",
            "docs_per_shard is 0; allowed: an integer >= 1. Fix `docs_per_shard` in the table.",
        ),
        (
            "negative = 1",
            "unknown key 'negative'; allowed keys: negatives, window_sentences, "
            "negatives_per_positive, max_pairs_per_window, docs_per_shard. Fix the spelling or "
            "remove the key.",
        ),
    ],
)
def test_bad_build_settings(tmp_path: Path, table: str, message: str) -> None:
    root = make_project(tmp_path / "proj")
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + f"\n[tool.newscorpus.build]\n{table}\n")
    with pytest.raises(NewscorpusError) as err:
        build(load_project(root))
    assert err.value.render() == f"pyproject.toml [tool.newscorpus.build]: E304 {message}"


def test_unknown_split_override(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    config = root / "pyproject.toml"
    config.write_text(config.read_text() + '\n[tool.newscorpus.splits]\nsome-doc = "dev"\n')
    with pytest.raises(NewscorpusError) as err:
        build(load_project(root))
    assert err.value.render() == (
        "pyproject.toml [tool.newscorpus.splits]: E305 split override some-doc = 'dev' names an "
        "unknown split; allowed: train, validation, test. Fix the value in "
        "[tool.newscorpus.splits]."
    )


def test_split_overrides_pin_documents_and_warn_about_strays(tmp_path: Path) -> None:
    extra = '\n[tool.newscorpus.splits]\nagreement = "test"\nmissing-doc = "train"\n'
    project = small_project(tmp_path / "proj", extra)
    assert assign_split("agreement", project.split_overrides) == "test"
    result = build(project)
    assert result.stats.documents == {"test": 2, "validation": 1}
    assert result.warnings == (
        "pyproject.toml [tool.newscorpus.splits]: W301 split override missing-doc names a "
        "document that is not in the corpus. Remove the entry, or fix the id.",
    )


def test_hashed_splits_are_stable() -> None:
    # Pinned values: a change here moves published documents between splits.
    assert [hashed_split(d) for d in ("agreement", "huawei-ban", "forecast")] == [
        "train",
        "validation",
        "test",
    ]


def test_foreign_output_folder_is_refused(tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "todo.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(NewscorpusError) as err:
        build(project, foreign)
    assert err.value.render() == (
        f"E306 the output folder {foreign} is not a newscorpus build (no manifest.json); the "
        "build replaces its output folder as a whole, so it refuses to use this one. Pass a new "
        "or empty folder with --out, or remove this one."
    )
    assert (foreign / "todo.txt").read_text(encoding="utf-8") == "keep me"
    with pytest.raises(NewscorpusError) as err:
        build(project, project.root.parent)
    assert "holds the project itself" in err.value.message


@pytest.mark.parametrize(
    ("manifest", "why"),
    [
        ('{"name": "My PWA", "start_url": "/"}', "its manifest.json is not one a build wrote"),
        ("not json", "its manifest.json is not one a build wrote"),
        ("huge", "its manifest.json is not one a build wrote"),
    ],
)
def test_a_folder_with_a_manifest_of_its_own_is_refused(
    tmp_path: Path, manifest: str, why: str
) -> None:
    """A web app's folder has a manifest.json too: replacing it would delete the app. One of
    200 GB (a sparse file) is not read at all."""
    project = small_project(tmp_path / "proj")
    site = tmp_path / "site"
    site.mkdir()
    if manifest == "huge":
        with (site / "manifest.json").open("wb") as handle:
            handle.truncate(200 << 30)
    else:
        (site / "manifest.json").write_text(manifest, encoding="utf-8")
    (site / "index.html").write_text("<h1>site</h1>", encoding="utf-8")
    before = sorted((p.name, p.stat().st_size) for p in site.iterdir())
    with pytest.raises(NewscorpusError) as err:
        build(project, site)
    assert err.value.render() == (
        f"E306 the output folder {site} is not a newscorpus build ({why}); the build replaces "
        "its output folder as a whole, so it refuses to use this one. Pass a new or empty "
        "folder with --out, or remove this one."
    )
    assert sorted((p.name, p.stat().st_size) for p in site.iterdir()) == before


def test_a_folder_named_like_the_swap_s_is_kept_unless_a_build_wrote_it(tmp_path: Path) -> None:
    """A build moves its previous output to .<name>.old while it swaps, and a later build puts
    right what a killed one left there. A user's .<name>.old holding a web app's manifest.json
    is not such a leftover: it is in the way (E312), and kept."""
    project = small_project(tmp_path / "proj")
    out = tmp_path / "site"
    build(project, out)
    aside = tmp_path / ".site.old"
    aside.mkdir()
    (aside / "manifest.json").write_text('{"name": "My PWA"}', encoding="utf-8")
    (aside / "index.html").write_text("<h1>site</h1>", encoding="utf-8")
    with pytest.raises(NewscorpusError) as err:
        build(project, out)
    assert err.value.code == "E312"
    assert sorted(p.name for p in aside.iterdir()) == ["index.html", "manifest.json"]
    assert (out / "manifest.json").is_file()


def test_empty_corpus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NewscorpusError) as err:
        build(load_project(make_project(tmp_path / "proj")))
    assert err.value.render() == (
        "corpus: E309 the corpus has no documents, so there is nothing to build. Add articles "
        "with `newscorpus add`, then build again."
    )


def test_shards(tmp_path: Path) -> None:
    extra = (
        '\n[tool.newscorpus.build]\ndocs_per_shard = 2\nnegatives = "none"\n'
        '\n[tool.newscorpus.splits]\nhuawei-ban = "train"\nforecast = "train"\n'
    )
    result = build(small_project(tmp_path / "proj", extra))
    files = sorted(p.relative_to(result.out).as_posix() for p in result.out.rglob("*.parquet"))
    assert files == [
        "data/bigbio_kb/train-00000-of-00002.parquet",
        "data/bigbio_kb/train-00001-of-00002.parquet",
        "data/documents/train-00000-of-00002.parquet",
        "data/documents/train-00001-of-00002.parquet",
        "data/relations/train-00000-of-00002.parquet",
        # shard 1 (forecast) has no relation rows: an empty file in a split that has rows
        "data/relations/train-00001-of-00002.parquet",
        "data/sentences/train-00000-of-00002.parquet",
        "data/sentences/train-00001-of-00002.parquet",
    ]
    documents = load_dataset(str(result.out), "documents")["train"]
    assert documents["id"][:] == ["agreement", "forecast", "huawei-ban"]
    assert len(load_dataset(str(result.out), "relations")["train"]) == 5 + 2


def git(root: Path, *args: str) -> str:
    command = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run([*command, *args], check=True, capture_output=True, text=True).stdout


def test_manifest_records_the_source_commit(tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj")
    git(project.root, "init", "-q")
    git(project.root, "add", ".")
    git(project.root, "commit", "-q", "-m", "corpus")
    head = git(project.root, "rev-parse", "HEAD").strip()
    out = tmp_path / "out"
    manifest = json.loads((build(project, out).out / "manifest.json").read_text())
    assert manifest["source"] == {"commit": head, "dirty": False}
    annotation = project.root / "annotations" / "agreement.json"
    annotation.write_text(annotation.read_text() + "\n")
    manifest = json.loads((build(project, out).out / "manifest.json").read_text())
    assert manifest["source"] == {"commit": head, "dirty": True}


def test_cli(tmp_path: Path) -> None:
    project = small_project(tmp_path / "proj")
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["--root", str(project.root), "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        rf"built {re.escape(str(out))} \(version 0\.1\.0\) in \d+\.\ds: 3 documents \(train 1, "
        r"validation 1, test 1\), 10 sentences, 60 relation pairs\n",
        result.output,
    )
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "x").touch()
    result = runner.invoke(main, ["--root", str(project.root), "build", "--out", str(foreign)])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: E306 the output folder {foreign} is not")


def test_missing_croissant_metadata_is_a_warning(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    config = root / "pyproject.toml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    config.write_text("".join(line for line in lines if not line.startswith("url")))
    project = load_project(root)
    add_document(project, "forecast", "Weather\n\nRain today.\n", None)
    assert build(project).warnings == (
        "pyproject.toml [tool.newscorpus]: W302 croissant.json has no url, which Croissant 1.0 "
        "requires. Set url in the table (date_published is never taken from the clock, so builds "
        "stay byte-identical).",
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('url = "example.org"', "url is 'example.org'; allowed: an http(s) URL."),
        ("creator = 3", "creator is 3; allowed: a name or a list of names."),
        (
            'date_published = "30/11/2026"',
            "date_published is '30/11/2026'; allowed: a date YYYY-MM-DD.",
        ),
    ],
)
def test_bad_dataset_metadata(tmp_path: Path, line: str, message: str) -> None:
    root = make_project(tmp_path / "proj")
    config = root / "pyproject.toml"
    key = line.split(" ", 1)[0]
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [entry for entry in lines if not entry.startswith(key)]
    config.write_text("".join(kept) + line + "\n")
    project = load_project(root)
    add_document(project, "forecast", "Weather\n\nRain today.\n", None)
    with pytest.raises(NewscorpusError) as err:
        build(project)
    assert err.value.render() == (
        f"pyproject.toml [tool.newscorpus]: E315 {message} Fix `{key}` in the table, or remove it."
    )
    assert not (root / "dist").exists()


def test_tested_versions_are_the_pins_of_constraints_txt() -> None:
    from conftest import REPO_ROOT
    from newscorpus.buildinfo import TESTED

    pins = dict(
        line.strip().split("==", 1)
        for line in (REPO_ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    assert {name: pins[name] for name in TESTED} == TESTED


def test_a_build_with_other_versions_says_its_bytes_may_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import newscorpus.buildinfo

    tested = {**newscorpus.buildinfo.TESTED, "pyarrow": "1.0.0"}
    monkeypatch.setattr(newscorpus.buildinfo, "TESTED", tested)
    project = load_project(make_project(tmp_path / "proj"))
    add_document(project, "forecast", "Weather\n\nRain today.\n", None)
    result = build(project)
    installed = newscorpus.buildinfo.installed_versions()
    assert result.warnings == (
        f"W303 this build ran with pyarrow {installed['pyarrow']} (tested: 1.0.0), so its Parquet "
        "bytes may differ from a build with the tested versions (manifest.json records the "
        "versions used). Install with `pip install -c constraints.txt` for byte-identical builds.",
    )
    manifest = json.loads((result.out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tools"] == installed
