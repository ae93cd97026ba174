"""`newscorpus publish`: one Hub commit plus a version tag, against a local Hub over real HTTP.

The server (``hub_server.py``) stores each repo as a bare git repository, so the tests check
real commits, branches and tags. Loading is checked in a fresh process with only ``datasets``
imported, as a user would load a pinned release.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from datasets import ClassLabel, Dataset, Features, List, Value
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCardData

from conftest import make_project
from hub_server import Account, HubServer, client_env, point_clients_at
from newscorpus.cli import main

# The client streams LFS uploads with an argument httpx2 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=:DeprecationWarning")
TOKEN = "hf_publishTESTtoken7Qz9xK"
DOCUMENTS = Features(
    {
        "id": Value("string"),
        "text": Value("string"),
        "entities": List(
            {
                "start": Value("int32"),
                "end": Value("int32"),
                "label": ClassLabel(names=["ORG", "GPE"]),
            }
        ),
    }
)
RELATIONS = Features(
    {
        "doc_id": Value("string"),
        "head": Value("string"),
        "tail": Value("string"),
        "label": ClassLabel(names=["no_relation", "based_in"]),
    }
)
LOAD = """
import json, sys
import datasets
out = {}
for config, revision in json.loads(sys.argv[2]):
    loaded = datasets.load_dataset(sys.argv[1], config, revision=revision)
    out[f"{config}@{revision}"] = {
        split: {"features": part.features.to_dict(), "rows": part.to_list()}
        for split, part in sorted(loaded.items())
    }
print(json.dumps(out))
"""


# --- the build a release is made from -----------------------------------------------------------


def doc(n: int, text: str = "") -> dict[str, Any]:
    """A document where an ORG is based in a GPE."""
    return {
        "id": f"doc-{n:02d}",
        "text": text or f"Huawei is based in China ({n}).",
        "entities": [
            {"start": 0, "end": 6, "label": "ORG"},
            {"start": 19, "end": 24, "label": "GPE"},
        ],
    }


def relation(document: dict[str, Any]) -> dict[str, Any]:
    return {"doc_id": document["id"], "head": "T1", "tail": "T2", "label": "based_in"}


def make_build(
    folder: Path, version: str, splits: dict[str, list[dict[str, Any]]], *, shards: int = 1
) -> Path:
    """A build folder shaped like `newscorpus build`'s: card, Parquet views, manifest, Croissant."""
    infos = {}
    configs = []
    for config, features, to_rows in (
        ("documents", DOCUMENTS, lambda docs: docs),
        ("relations", RELATIONS, lambda docs: [relation(d) for d in docs]),
    ):
        split_dict = SplitDict()
        data_files = []
        for split, docs in splits.items():
            rows = to_rows(docs)
            for k in range(shards):
                path = folder / "data" / config / f"{split}-{k:05d}-of-{shards:05d}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                Dataset.from_list(rows[k::shards], features=features).to_parquet(path)
            split_dict.add(SplitInfo(name=split, num_bytes=0, num_examples=len(rows)))
            data_files.append({"split": split, "path": f"data/{config}/{split}-*.parquet"})
        infos[config] = DatasetInfo(features=features, splits=split_dict, config_name=config)
        configs.append({"config_name": config, "data_files": data_files})
    configs[0]["default"] = True
    card = DatasetCardData(pretty_name="test corpus")
    DatasetInfosDict(infos).to_dataset_card_data(card)
    card["configs"] = configs
    (folder / "README.md").write_text(f"---\n{card.to_yaml()}\n---\n# test corpus\n")
    (folder / "croissant.json").write_text(json.dumps({"name": "test-corpus"}) + "\n")
    write_manifest(folder, version)
    return folder


def write_manifest(folder: Path, version: str) -> None:
    files = [
        {"path": p.relative_to(folder).as_posix(), "size": p.stat().st_size, "sha256": sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    ]
    manifest = {"version": version, "files": files, "source": {"documents": 0}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def set_version(project: Path, version: str) -> None:
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('version = "0.1.0"', f'version = "{version}"'))


def local_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# --- fixtures and helpers -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    server = HubServer(tmp_path_factory.mktemp("hub"), tokens={TOKEN: Account("alice")}).start()
    yield server
    server.stop()


@pytest.fixture
def remote(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> HubServer:
    """The module's Hub, with this process's clients pointed at it and HF_TOKEN set."""
    hub.clear_hooks()
    point_clients_at(monkeypatch, hub.url)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return hub


@pytest.fixture
def repo_id(request: pytest.FixtureRequest) -> str:
    """A repo of its own for each test, so tests sharing the server never meet."""
    return "alice/" + request.node.name.replace("[", "-").replace("]", "")[:90]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """The v0.1.0 build: two train documents, one test document."""
    return make_build(tmp_path / "build", "0.1.0", {"train": [doc(1), doc(2)], "test": [doc(3)]})


def publish(project: Path, build: Path, repo_id: str, *args: str) -> tuple[int, str, str]:
    argv = ["--root", str(project), "publish", "--repo-id", repo_id, "--no-build"]
    result = CliRunner().invoke(main, [*argv, "--out", str(build), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def published(hub: HubServer, repo_id: str, tag: str, files: int, removed: int = 0) -> str:
    head = hub.head(repo_id)
    extra = f", {removed} removed" if removed else ""
    return (
        f"published {tag} to {repo_id}: commit {head[:12]} ({files} files{extra})\n"
        f"commit:   {hub.url}/datasets/{repo_id}/commit/{head}\n"
        f"tag:      {tag}\n"
        f'load:     load_dataset("{repo_id}", "documents", revision="{tag}")\n'
    )


def load(hub: HubServer, tmp_path: Path, repo_id: str, *wanted: tuple[str, str]) -> Any:
    """``load_dataset`` in a fresh process that imports nothing of ours."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD, repo_id, json.dumps(wanted)],
        env=client_env(hub.url, tmp_path / "client-home"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def expected(features: Features, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"features": features.to_dict(), "rows": [features.encode_example(r) for r in rows]}


def snapshot(hub: HubServer, repo_id: str) -> tuple[dict[str, str], dict[str, str], int]:
    """Branches, tags and commit count: what must not change when publishing fails."""
    repo = hub.repo(repo_id)
    return repo.refs("heads"), repo.refs("tags"), hub.commit_count(repo_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- publishing -----------------------------------------------------------------------------------


def test_first_publish_is_one_commit_and_a_tag_and_loads_pinned(
    remote: HubServer, repo_id: str, project: Path, build: Path, tmp_path: Path
) -> None:
    code, out, err = publish(project, build, repo_id)
    assert (code, err) == (0, "")
    assert out == published(remote, repo_id, "v0.1.0", files=7)
    assert remote.commit_count(repo_id) == 2
    assert remote.tags(repo_id) == {"v0.1.0": remote.head(repo_id)}
    assert remote.files(repo_id, "v0.1.0") == {
        ".gitattributes": remote.files(repo_id)[".gitattributes"],
        **local_files(build),
    }
    loaded = load(remote, tmp_path, repo_id, ("documents", "v0.1.0"), ("relations", "v0.1.0"))
    assert loaded == {
        "documents@v0.1.0": {
            "test": expected(DOCUMENTS, [doc(3)]),
            "train": expected(DOCUMENTS, [doc(1), doc(2)]),
        },
        "relations@v0.1.0": {
            "test": expected(RELATIONS, [relation(doc(3))]),
            "train": expected(RELATIONS, [relation(doc(1)), relation(doc(2))]),
        },
    }


def test_publish_builds_first_and_every_config_loads_with_its_declared_features(
    remote: HubServer, repo_id: str, seed_project: Path, tmp_path: Path
) -> None:
    from newscorpus.features import config_features
    from newscorpus.schema import Schema

    out = tmp_path / "dist"
    argv = ["--root", str(seed_project), "publish", "--repo-id", repo_id, "--out", str(out)]
    result = CliRunner().invoke(main, argv)

    assert (result.exit_code, result.stderr) == (0, "")
    manifest = json.loads((out / "manifest.json").read_text())
    assert result.stdout == published(remote, repo_id, "v0.1.0", files=len(manifest["files"]) + 1)
    features = config_features(Schema.load(seed_project / "annotations" / "schema.yaml"))
    loaded = load(remote, tmp_path, repo_id, *[(config, "v0.1.0") for config in sorted(features)])
    for config, declared in features.items():
        splits = loaded[f"{config}@v0.1.0"]
        shard_splits = {shard.name.split("-")[0] for shard in (out / "data" / config).iterdir()}
        assert sorted(splits) == sorted(shard_splits)
        for split, part in splits.items():
            shards = sorted((out / "data" / config).glob(f"{split}-*.parquet"))
            rows = sum(pq.read_metadata(shard).num_rows for shard in shards)
            assert part["features"] == declared.to_dict(), (config, split)
            assert len(part["rows"]) == rows, (config, split)


def test_new_version_deletes_old_shards_in_its_commit_and_old_tag_still_loads(
    remote: HubServer, repo_id: str, project: Path, tmp_path: Path
) -> None:
    old_docs = [doc(1), doc(2), doc(3), doc(4)]
    v1 = make_build(
        tmp_path / "v1", "0.1.0", {"train": old_docs, "test": [doc(5), doc(6)]}, shards=2
    )
    assert publish(project, v1, repo_id)[0] == 0
    set_version(project, "0.2.0")
    v2 = make_build(tmp_path / "v2", "0.2.0", {"train": [doc(1), doc(4)], "test": [doc(5)]})

    code, out, err = publish(project, v2, repo_id)

    assert (code, err) == (0, "")
    assert out == published(remote, repo_id, "v0.2.0", files=7, removed=8)
    assert remote.commit_count(repo_id) == 3
    assert sorted(remote.tags(repo_id)) == ["v0.1.0", "v0.2.0"]
    assert sorted(p for p in remote.files(repo_id) if p.startswith("data/")) == [
        "data/documents/test-00000-of-00001.parquet",
        "data/documents/train-00000-of-00001.parquet",
        "data/relations/test-00000-of-00001.parquet",
        "data/relations/train-00000-of-00001.parquet",
    ]
    loaded = load(remote, tmp_path, repo_id, ("documents", "v0.1.0"), ("documents", "v0.2.0"))
    # Shards split rows round-robin; the old release reads them back shard by shard.
    assert loaded["documents@v0.1.0"]["train"] == expected(
        DOCUMENTS, [doc(1), doc(3), doc(2), doc(4)]
    )
    assert loaded["documents@v0.2.0"]["train"] == expected(DOCUMENTS, [doc(1), doc(4)])


def test_republishing_a_release_is_a_no_op(
    remote: HubServer, repo_id: str, project: Path, build: Path
) -> None:
    assert publish(project, build, repo_id)[0] == 0
    before, sent = snapshot(remote, repo_id), len(remote.requests)

    code, out, err = publish(project, build, repo_id)

    head = remote.head(repo_id)
    assert (code, err) == (0, "")
    assert out == (
        f"already published: tag v0.1.0 of {repo_id} points at commit {head[:12]} with the "
        "same files; nothing to do\n"
        f"commit:   {remote.url}/datasets/{repo_id}/commit/{head}\n"
        "tag:      v0.1.0\n"
        f'load:     load_dataset("{repo_id}", "documents", revision="v0.1.0")\n'
    )
    assert snapshot(remote, repo_id) == before
    writes = [r for r in remote.requests[sent:] if r[0] in ("POST", "PUT")]
    assert writes == [("POST", "/api/repos/create")]


def test_failed_tag_is_added_on_retry_without_a_new_commit(
    remote: HubServer, repo_id: str, project: Path, build: Path
) -> None:
    remote.fail("POST", rf"/api/datasets/{repo_id}/tag/[0-9a-f]+", 500, "Internal Error")

    code, out, err = publish(project, build, repo_id)

    head = remote.head(repo_id)
    assert (code, out) == (1, "")
    assert err == (
        f"error: {remote.url}/datasets/{repo_id}: E410 the Hub failed while tagging "
        f"(HTTP 500: Internal Error); commit {head[:12]} is on the Hub but is not tagged v0.1.0 "
        "yet. Run the command again to add the tag; it makes no new commit.\n"
    )
    assert remote.tags(repo_id) == {}

    code, out, err = publish(project, build, repo_id)

    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"no changes since commit {head[:12]} of {repo_id}: nothing committed; tagged it v0.1.0"
    )
    assert remote.head(repo_id) == head
    assert remote.commit_count(repo_id) == 2
    assert remote.tags(repo_id) == {"v0.1.0": head}


def test_same_version_with_other_files_is_refused(
    remote: HubServer, repo_id: str, project: Path, build: Path, tmp_path: Path
) -> None:
    assert publish(project, build, repo_id)[0] == 0
    before = snapshot(remote, repo_id)
    changed = make_build(
        tmp_path / "changed", "0.1.0", {"train": [doc(1), doc(2, "Edited.")], "test": [doc(3)]}
    )

    code, out, err = publish(project, changed, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {repo_id}: E408 tag v0.1.0 already exists and points at commit "
        f"{remote.head(repo_id)[:12]}, whose files differ from this build "
        "(data/documents/train-00000-of-00001.parquet, manifest.json); a published version is "
        "never changed or re-tagged. Bump the version in pyproject.toml [tool.newscorpus] "
        "version, add an entry to CHANGELOG.md, then build and publish again.\n"
    )
    assert snapshot(remote, repo_id) == before
    assert (
        remote.files(repo_id, "v0.1.0")["manifest.json"] == (build / "manifest.json").read_bytes()
    )


def test_branch_moved_before_the_commit_changes_nothing_then_retry_builds_on_it(
    remote: HubServer, repo_id: str, project: Path, build: Path
) -> None:
    remote.before(
        "POST",
        rf"/api/datasets/{repo_id}/commit/main",
        lambda: remote.push(repo_id, {"NOTES.md": b"by hand\n"}, "edit on the Hub"),
    )

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {remote.url}/datasets/{repo_id}: E409 branch main of {repo_id} moved while "
        "uploading and committing (someone else committed; HTTP 412: A commit has happened "
        "since. Please refresh and try again); nothing was committed and no tag was made. "
        "Run the command again to publish on top of the new head.\n"
    )
    assert remote.tags(repo_id) == {}
    assert sorted(remote.files(repo_id)) == [".gitattributes", "NOTES.md"]

    code, out, err = publish(project, build, repo_id)

    assert (code, err) == (0, "")
    assert out == published(remote, repo_id, "v0.1.0", files=7)
    assert remote.files(repo_id)["NOTES.md"] == b"by hand\n"
    assert remote.commit_count(repo_id) == 3


@pytest.mark.parametrize(
    ("method", "path", "status", "said", "message"),
    [
        (
            "PUT",
            "/lfs-upload/{sha}/.+",
            403,
            "Request has expired",
            "E410 uploading data/documents/train-00000-of-00001.parquet failed "
            "(HTTP 403: Request has expired); nothing was committed and no tag was made. "
            "Run the command again; files already uploaded are not sent twice.",
        ),
        (
            "POST",
            "/api/datasets/{repo_id}/commit/main",
            500,
            "Internal Error",
            "E410 the Hub failed while uploading and committing (HTTP 500: Internal Error); "
            "nothing was committed and no tag was made. Run the command again; files already "
            "uploaded are not sent twice.",
        ),
        (
            "POST",
            "/api/datasets/{repo_id}/commit/main",
            409,
            "Another commit is in progress",
            "E409 the Hub reported a conflicting operation on {repo_id} while uploading and "
            "committing (HTTP 409: Another commit is in progress); nothing was committed and no "
            "tag was made. Wait until the other operation finishes, then run the command again.",
        ),
    ],
    ids=["lfs-put", "commit-500", "commit-409"],
)
def test_failure_midway_leaves_no_commit_and_retry_succeeds(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    method: str,
    path: str,
    status: int,
    said: str,
    message: str,
) -> None:
    shard = sha256(build / "data" / "documents" / "train-00000-of-00001.parquet")
    remote.fail(method, path.format(sha=shard, repo_id=repo_id), status, said)

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == f"error: {remote.url}/datasets/{repo_id}: {message.format(repo_id=repo_id)}\n"
    assert remote.commit_count(repo_id) == 1
    assert remote.tags(repo_id) == {}
    sent = len(remote.requests)
    # The client uploads in parallel: which other files were stored before the failure stopped
    # it varies from run to run, so the retry is checked against what was stored.
    stored = {p.name for p in remote.repo(repo_id).lfs.iterdir()}

    code, out, err = publish(project, build, repo_id)

    assert (code, err) == (0, "")
    assert out == published(remote, repo_id, "v0.1.0", files=7)
    uploads = {p.split("/")[2] for m, p in remote.requests[sent:] if m == "PUT"}
    assert not uploads & stored  # nothing already uploaded is sent again
    assert (shard in uploads) == (method == "PUT")
    everything = {p.name for p in remote.repo(repo_id).lfs.iterdir()}
    assert uploads == everything - stored


def test_json_output(remote: HubServer, repo_id: str, project: Path, build: Path) -> None:
    code, out, _ = publish(project, build, repo_id, "--format", "json")
    head = remote.head(repo_id)
    assert code == 0
    assert json.loads(out) == {
        "status": "published",
        "repo_id": repo_id,
        "endpoint": remote.url,
        "tag": "v0.1.0",
        "commit": head,
        "commit_url": f"{remote.url}/datasets/{repo_id}/commit/{head}",
        "files": 7,
        "deleted": [],
        "load": f'load_dataset("{repo_id}", "documents", revision="v0.1.0")',
    }


def test_private_creates_a_private_repo(
    remote: HubServer, repo_id: str, project: Path, build: Path
) -> None:
    assert publish(project, build, repo_id, "--private")[0] == 0
    assert remote.repo(repo_id).private


def test_token_from_hf_login_is_used(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants

    monkeypatch.delenv("HF_TOKEN")
    (tmp_path / "token").write_text(TOKEN)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "token"))
    assert publish(project, build, repo_id)[0] == 0
    assert "v0.1.0" in remote.tags(repo_id)


# --- what goes wrong before anything is sent ------------------------------------------------------


def test_dry_run_sends_no_request(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HF_TOKEN")
    sent = len(remote.requests)

    code, out, err = publish(project, build, repo_id, "--dry-run")

    assert (code, err) == (0, "")
    assert len(remote.requests) == sent
    files = sorted(local_files(build).items())
    width = max(len(str(len(data))) for _, data in files)
    assert out == "\n".join(
        [
            "dry run: nothing was sent to the Hub",
            f"repo:     {repo_id} (dataset; created public if missing)",
            f"endpoint: {remote.url}",
            "tag:      v0.1.0",
            f"files:    7, {sum(len(d) for _, d in files)} bytes, in one commit",
            *(f"  {len(data):>{width}}  {path}" for path, data in files),
            f'load:     load_dataset("{repo_id}", "documents", revision="v0.1.0")',
            "",
        ]
    )


def test_missing_token(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HF_TOKEN")
    sent = len(remote.requests)

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        "error: E405 no Hugging Face token found (HF_TOKEN is not set and `hf auth login` was "
        "not run). Set HF_TOKEN to a token with write access, or run `hf auth login`; check "
        "what would be sent with --dry-run.\n"
    )
    assert len(remote.requests) == sent


def test_rejected_token(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_notAValidToken")

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {remote.url}/datasets/{repo_id}: E406 the Hub rejected the token while "
        "checking the token (HTTP 401: Invalid credentials in Authorization header); nothing "
        "was committed and no tag was made. Set HF_TOKEN to a valid token with write access "
        "to alice, or run `hf auth login --force`.\n"
    )
    assert not remote.exists(repo_id)


def test_unreachable_endpoint(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    point_clients_at(monkeypatch, dead)

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {dead}/datasets/{repo_id}: E407 cannot reach the Hub at {dead} while checking "
        "the token ([Errno 111] Connection refused); nothing was committed and no tag was "
        "made. Check HF_ENDPOINT and the network, then run the command again.\n"
    )


def test_offline_mode(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    sent = len(remote.requests)

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {remote.url}/datasets/{repo_id}: E407 offline mode is on (HF_HUB_OFFLINE), so "
        "the Hub cannot be reached while checking the token; nothing was committed and no tag "
        "was made. Unset HF_HUB_OFFLINE and run the command again.\n"
    )
    assert len(remote.requests) == sent


def test_repo_without_main_branch(
    remote: HubServer, repo_id: str, project: Path, build: Path
) -> None:
    from huggingface_hub import HfApi

    HfApi(endpoint=remote.url, token=TOKEN).create_repo(repo_id, repo_type="dataset")
    remote.repo(repo_id).git("update-ref", "-d", "refs/heads/main")

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {remote.url}/datasets/{repo_id}: E410 the repo has no main branch; nothing was "
        "committed and no tag was made. Recreate the repo on the Hub.\n"
    )
    assert remote.tags(repo_id) == {}


def test_card_yaml_rejected_by_the_hub(
    remote: HubServer, repo_id: str, project: Path, build: Path
) -> None:
    readme = build / "README.md"
    readme.write_text("---\nconfigs: [unclosed\n---\n# card\n")
    write_manifest(build, "0.1.0")

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == (
        f"error: {readme.as_posix()}: E411 the Hub rejected the card's YAML: Invalid metadata "
        "in README.md.\n- Invalid YAML: expected ',' or ']', but got '<stream end>'; nothing "
        "was changed. Fix the card metadata, rebuild with `newscorpus build`, publish again.\n"
    )
    assert remote.commit_count(repo_id) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda b: (b / "manifest.json").unlink(),
            "{build}/manifest.json: E401 no usable build here (manifest.json not found). Run "
            "`newscorpus build` (or `newscorpus publish` without --no-build), or pass the build "
            "folder with --out.",
        ),
        (
            lambda b: (b / "croissant.json").write_text("{}\n"),
            "{build}/manifest.json: E402 the build does not match its manifest: croissant.json "
            "differs from the manifest (size or sha256). Rebuild with `newscorpus build`; never "
            "edit files in the build folder by hand.",
        ),
        (
            lambda b: (b / "data" / "documents" / "extra.parquet").write_bytes(b"x"),
            "{build}/manifest.json: E402 the build does not match its manifest: "
            "data/documents/extra.parquet is not in the manifest. Rebuild with `newscorpus "
            "build`; never edit files in the build folder by hand.",
        ),
        (
            lambda b: (b / "croissant.json").unlink(),
            "{build}/manifest.json: E402 the build does not match its manifest: croissant.json "
            "is missing. Rebuild with `newscorpus build`; never edit files in the build folder "
            "by hand.",
        ),
        (
            lambda b: write_manifest(b, "0.0.9"),
            "{build}/manifest.json: E403 the build is of version '0.0.9' but the project is at "
            "'0.1.0'. Rebuild with `newscorpus build` (or publish without --no-build).",
        ),
    ],
    ids=["no-manifest", "changed-file", "unlisted-file", "missing-file", "other-version"],
)
def test_build_that_does_not_match_its_manifest_is_not_sent(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    change: Any,
    message: str,
) -> None:
    change(build)
    sent = len(remote.requests)

    code, out, err = publish(project, build, repo_id)

    assert (code, out) == (1, "")
    assert err == f"error: {message.format(build=build)}\n"
    assert len(remote.requests) == sent


def test_repo_id_must_be_owner_slash_name(project: Path, build: Path) -> None:
    code, out, err = publish(project, build, "no-owner")
    assert (code, out) == (2, "")
    assert err == (
        "error: E404 --repo-id 'no-owner' is not a Hub dataset id; expected OWNER/NAME made of "
        "ASCII letters, digits, '-', '_' and '.'. Pass e.g. --repo-id my-user/newscorpus-5g.\n"
    )


def test_token_is_never_written_or_printed(
    remote: HubServer,
    repo_id: str,
    project: Path,
    build: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outputs = [publish(project, build, repo_id)]
    remote.fail("POST", rf"/api/datasets/{repo_id}/tag/[0-9a-f]+", 500, "Internal Error")
    set_version(project, "0.2.0")
    v2 = make_build(tmp_path / "v2", "0.2.0", {"train": [doc(1)], "test": [doc(3)]})
    outputs += [publish(project, v2, repo_id), publish(project, v2, repo_id, "--format", "json")]
    monkeypatch.setenv("HF_TOKEN", TOKEN + "x")
    outputs.append(publish(project, v2, repo_id))
    assert [code for code, _, _ in outputs] == [0, 1, 0, 1]

    secret = TOKEN.encode()
    assert not [o for o in outputs if TOKEN in o[1] + o[2]]
    assert not [
        p for p in (*build.rglob("*"), *v2.rglob("*")) if p.is_file() and secret in p.read_bytes()
    ]
    repo = remote.repo(repo_id)
    revisions = repo.git("rev-list", "--all").split()
    assert not [r for r in revisions if secret in b"".join(remote.files(repo_id, r).values())]
    assert TOKEN not in repo.git("log", "--all", "--format=%B")
    assert not [p for p in repo.lfs.iterdir() if secret in p.read_bytes()]
    assert not [p for p in project.rglob("*") if p.is_file() and secret in p.read_bytes()]
