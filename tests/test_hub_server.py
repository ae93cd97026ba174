"""The local Hub server answers the real ``huggingface_hub`` client as the Hub does.

These tests pin the client behaviour that publishing relies on (one commit per upload, no commit
for an unchanged folder, 412 for a stale parent, 409 for an existing tag), so a client upgrade
that changes it fails here first.
"""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hub_server import Account, HubServer, parse_pointer, point_clients_at

# The client streams LFS uploads with an argument httpx2 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=:DeprecationWarning")
TOKEN = "hf_serverTESTtokenAAAA"
READ_TOKEN = "hf_serverTESTreadonly"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    server = HubServer(
        tmp_path_factory.mktemp("hub"),
        tokens={TOKEN: Account("alice"), READ_TOKEN: Account("alice", write=False)},
    ).start()
    yield server
    server.stop()


@pytest.fixture
def api(hub: HubServer, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    hub.clear_hooks()
    point_clients_at(monkeypatch, hub.url)
    return HfApi(endpoint=hub.url, token=TOKEN)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with one text file and one binary (LFS) file."""
    (tmp_path / "up" / "data").mkdir(parents=True)
    (tmp_path / "up" / "notes.txt").write_text("hello\n")
    (tmp_path / "up" / "data" / "a.parquet").write_bytes(b"PAR1\0" + bytes(range(256)))
    return tmp_path / "up"


def _new_repo(api: HfApi, hub: HubServer, name: str) -> tuple[str, str]:
    repo_id = f"alice/{name}"
    api.create_repo(repo_id, repo_type="dataset")
    return repo_id, hub.head(repo_id)


def test_whoami_knows_tokens(api: HfApi, hub: HubServer) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    assert api.whoami()["name"] == "alice"
    with pytest.raises(HfHubHTTPError) as caught:
        HfApi(endpoint=hub.url, token="hf_unknown").whoami()
    assert caught.value.response.status_code == 401


def test_create_repo_makes_the_hubs_first_commit(api: HfApi, hub: HubServer) -> None:
    repo_id, head = _new_repo(api, hub, "created")
    assert hub.files(repo_id) == {
        ".gitattributes": (
            b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
            b"*.arrow filter=lfs diff=lfs merge=lfs -text\n"
            b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
        )
    }
    url = api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    assert url == f"{hub.url}/datasets/{repo_id}"
    assert hub.head(repo_id) == head
    assert hub.commit_count(repo_id) == 1


def test_writes_need_a_write_token_for_the_namespace(api: HfApi, hub: HubServer) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as caught:
        api.create_repo("bob/theirs", repo_type="dataset")
    assert caught.value.response.status_code == 403
    reader = HfApi(endpoint=hub.url, token=READ_TOKEN)
    with pytest.raises(HfHubHTTPError) as caught:
        reader.create_repo("alice/by-reader", repo_type="dataset")
    assert caught.value.response.status_code == 403
    assert not hub.exists("alice/by-reader")


def test_private_repo_is_hidden_from_others(api: HfApi, hub: HubServer) -> None:
    from huggingface_hub.errors import RepositoryNotFoundError

    api.create_repo("alice/secret", repo_type="dataset", private=True)
    assert api.repo_info("alice/secret", repo_type="dataset").private
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token=False).repo_info("alice/secret", repo_type="dataset")


def test_upload_folder_is_one_commit_with_lfs_pointers(
    api: HfApi, hub: HubServer, folder: Path
) -> None:
    repo_id, head = _new_repo(api, hub, "upload")
    info = api.upload_folder(
        repo_id=repo_id, repo_type="dataset", folder_path=folder, parent_commit=head
    )
    assert hub.head(repo_id) == info.oid
    assert hub.commit_count(repo_id) == 2
    files = hub.files(repo_id)
    assert files["notes.txt"] == b"hello\n"
    assert files["data/a.parquet"] == (folder / "data" / "a.parquet").read_bytes()
    # In git the binary file is an LFS pointer; the tree API reports the LFS object.
    repo = hub.repo(repo_id)
    entry = repo.entries(info.oid)["data/a.parquet"]
    assert parse_pointer(repo.blob(entry.blob)) == (entry.lfs_sha256, 261)
    tree = {f.path: f for f in api.list_repo_tree(repo_id, repo_type="dataset", recursive=True)}
    assert tree["data/a.parquet"].lfs.size == 261
    assert tree["notes.txt"].lfs is None


def test_unchanged_folder_makes_no_commit_and_returns_head(
    api: HfApi, hub: HubServer, folder: Path
) -> None:
    repo_id, _ = _new_repo(api, hub, "unchanged")
    first = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder)
    before = len(hub.requests)
    again = api.upload_folder(
        repo_id=repo_id, repo_type="dataset", folder_path=folder, parent_commit=first.oid
    )
    assert again.oid == first.oid
    assert hub.commit_count(repo_id) == 2
    sent = [(m, p) for m, p in hub.requests[before:]]
    assert ("POST", f"/api/datasets/{repo_id}/commit/main") not in sent
    assert not [p for m, p in sent if m == "PUT"]


def test_stale_parent_commit_is_refused_with_412(api: HfApi, hub: HubServer, folder: Path) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    repo_id, head = _new_repo(api, hub, "stale")
    moved = hub.push(repo_id, {"other.txt": b"x"}, "someone else")
    with pytest.raises(HfHubHTTPError) as caught:
        api.upload_folder(
            repo_id=repo_id, repo_type="dataset", folder_path=folder, parent_commit=head
        )
    assert caught.value.response.status_code == 412
    assert hub.head(repo_id) == moved


def test_delete_patterns_remove_files_in_the_same_commit(
    api: HfApi, hub: HubServer, folder: Path
) -> None:
    repo_id, _ = _new_repo(api, hub, "deletes")
    api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder)
    (folder / "data" / "a.parquet").rename(folder / "data" / "b.parquet")
    api.upload_folder(
        repo_id=repo_id, repo_type="dataset", folder_path=folder, delete_patterns=["data/*"]
    )
    assert sorted(hub.files(repo_id)) == [".gitattributes", "data/b.parquet", "notes.txt"]
    assert hub.commit_count(repo_id) == 3


def test_tags_are_created_once(api: HfApi, hub: HubServer) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    repo_id, head = _new_repo(api, hub, "tags")
    api.create_tag(repo_id, tag="v1.0.0", revision=head, repo_type="dataset")
    moved = hub.push(repo_id, {"x.txt": b"x"}, "next")
    with pytest.raises(HfHubHTTPError) as caught:
        api.create_tag(repo_id, tag="v1.0.0", revision=moved, repo_type="dataset")
    assert caught.value.response.status_code == 409
    assert hub.tags(repo_id) == {"v1.0.0": head}
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    assert [(t.name, t.target_commit) for t in refs.tags] == [("v1.0.0", head)]


def test_injected_commit_failure_leaves_the_branch(
    api: HfApi, hub: HubServer, folder: Path
) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    repo_id, head = _new_repo(api, hub, "failing")
    hub.fail("POST", rf"/api/datasets/{repo_id}/commit/main", 500, "Internal Error")
    with pytest.raises(HfHubHTTPError) as caught:
        api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder)
    assert caught.value.response.status_code == 500
    assert hub.head(repo_id) == head
    api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder)
    assert hub.commit_count(repo_id) == 2


def test_resolve_serves_files_by_tag_with_ranges(
    api: HfApi, hub: HubServer, folder: Path, tmp_path: Path
) -> None:
    from huggingface_hub import hf_hub_download

    repo_id, _ = _new_repo(api, hub, "resolve")
    info = api.upload_folder(repo_id=repo_id, repo_type="dataset", folder_path=folder)
    api.create_tag(repo_id, tag="v1", revision=info.oid, repo_type="dataset")
    path = hf_hub_download(
        repo_id, "data/a.parquet", repo_type="dataset", revision="v1", cache_dir=tmp_path / "c"
    )
    assert Path(path).read_bytes() == (folder / "data" / "a.parquet").read_bytes()
    url = f"{hub.url}/datasets/{repo_id}/resolve/v1/data/a.parquet"
    request = urllib.request.Request(url, headers={"Range": "bytes=1-4"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 206
        assert response.headers["X-Repo-Commit"] == info.oid
        assert response.headers["Content-Range"] == "bytes 1-4/261"
        assert response.read() == b"AR1\0"


def test_requests_are_counted(api: HfApi, hub: HubServer) -> None:
    before = len(hub.requests)
    api.whoami()
    assert hub.requests[before:] == [("GET", "/api/whoami-v2")]


def test_repos_are_real_git_repositories(api: HfApi, hub: HubServer, folder: Path) -> None:
    repo_id, _ = _new_repo(api, hub, "gitcheck")
    api.upload_folder(
        repo_id=repo_id, repo_type="dataset", folder_path=folder, commit_message="Add files"
    )
    path = hub.repo(repo_id).path
    subprocess.run(["git", "fsck", "--strict"], cwd=path, check=True, capture_output=True)
    log = subprocess.run(
        ["git", "log", "--format=%s", "main"], cwd=path, check=True, capture_output=True, text=True
    )
    assert log.stdout.splitlines() == ["Add files", "initial commit"]
