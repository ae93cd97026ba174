"""A local server that speaks the Hugging Face Hub's HTTP protocol, for publish tests.

The real client (``huggingface_hub``, ``datasets``) talks to it exactly as it would to
huggingface.co, so tests exercise real requests, not mocks. Each Hub repo is a bare git
repository driven with the ``git`` CLI, so commits, branches and tags are real git objects and
a branch only moves by compare-and-swap (``git update-ref NEW OLD``), as on the Hub. Large files
go through the legacy LFS protocol (batch API, then a PUT to a one-time upload URL) and are stored
in git as LFS pointer files; run clients with ``HF_HUB_DISABLE_XET=1``.

What a test can do besides sending requests:

- give tokens (``tokens={"hf_x": Account("alice")}``); requests with an unknown token get 401,
  a read-only token gets 403 on writes;
- count and inspect requests (:attr:`HubServer.requests`);
- inject failures (:meth:`HubServer.fail`) and run code just before a request is handled
  (:meth:`HubServer.before`), e.g. commit to ``main`` behind the client's back;
- read the remote state directly (:meth:`HubServer.head`, :meth:`HubServer.tags`,
  :meth:`HubServer.files`, :meth:`HubServer.commit_count`).

Only what publish and load need is served: see :data:`ROUTES`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

LFS_POINTER_HEADER = b"version https://git-lfs.github.com/spec/v1\n"
#: What the Hub puts in a new repo's first commit: which files git stores through LFS.
INITIAL_GITATTRIBUTES = (
    "*.parquet filter=lfs diff=lfs merge=lfs -text\n"
    "*.arrow filter=lfs diff=lfs merge=lfs -text\n"
    "*.bin filter=lfs diff=lfs merge=lfs -text\n"
)
#: Files at least this big go to LFS even when they look like text (the Hub's rule).
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024
ZERO_OID = "0" * 40
_OID_RE = re.compile(r"[0-9a-f]{40}")
#: URL prefix of each repo type, as on the Hub (models have none).
_TYPE_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "hub",
    "GIT_AUTHOR_EMAIL": "hub@localhost",
    "GIT_COMMITTER_NAME": "hub",
    "GIT_COMMITTER_EMAIL": "hub@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass(frozen=True)
class Account:
    """Who a token belongs to and whether it may write."""

    name: str
    write: bool = True


@dataclass(frozen=True)
class Entry:
    """A file in a git tree, with its LFS pointer resolved."""

    path: str
    blob: str
    size: int
    lfs_sha256: str | None = None
    pointer_size: int = 0


class HubError(Exception):
    """An HTTP error answer: status, message and the Hub's ``X-Error-Code``."""

    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class BareRepo:
    """One Hub repo: a bare git repository plus its LFS object store."""

    def __init__(self, path: Path, *, repo_type: str, private: bool, owner: str) -> None:
        self.path = path
        self.repo_type = repo_type
        self.private = private
        self.owner = owner
        self.lfs = path / "lfs-objects"

    def git(self, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
        """Run git in the repository and return stdout (raises on failure)."""
        result = subprocess.run(
            ["git", *args],
            cwd=self.path,
            input=data,
            capture_output=True,
            check=True,
            env={**os.environ, **_GIT_ENV, **(env or {})},
        )
        return result.stdout.decode()

    def init(self) -> None:
        """Create the repository with the Hub's first commit (a ``.gitattributes`` file)."""
        self.path.mkdir(parents=True)
        self.lfs.mkdir()
        self.git("init", "--bare", "--quiet", "--initial-branch=main")
        self.commit(
            "main",
            None,
            {".gitattributes": INITIAL_GITATTRIBUTES.encode()},
            set(),
            "initial commit",
        )

    def resolve(self, revision: str) -> str | None:
        """The commit a branch, tag or full commit id names, or None."""
        for ref in (f"refs/heads/{revision}", f"refs/tags/{revision}", revision):
            if ref == revision and not _OID_RE.fullmatch(revision):
                continue
            try:
                return self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
            except subprocess.CalledProcessError:
                continue
        return None

    def refs(self, kind: str) -> dict[str, str]:
        """Branch or tag names (``kind`` is ``heads`` or ``tags``) mapped to their commits."""
        out = self.git("for-each-ref", "--format=%(refname:strip=2) %(objectname)", f"refs/{kind}")
        pairs = (line.split(" ") for line in out.splitlines())
        return {name: self.git("rev-parse", f"{oid}^{{commit}}").strip() for name, oid in pairs}

    def entries(self, commit: str) -> dict[str, Entry]:
        """Every file of the commit's tree, LFS pointers resolved to the object they name."""
        out = self.git("ls-tree", "-r", "-l", "--full-tree", "-z", commit)
        entries: dict[str, Entry] = {}
        for record in out.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            _mode, _kind, blob, size_text = meta.split()
            size = int(size_text)
            entry = Entry(path, blob, size)
            if size < 300:
                content = self.blob(blob)
                pointer = parse_pointer(content)
                if pointer is not None:
                    entry = Entry(path, blob, pointer[1], pointer[0], len(content))
            entries[path] = entry
        return entries

    def blob(self, oid: str) -> bytes:
        return subprocess.run(
            ["git", "cat-file", "blob", oid], cwd=self.path, capture_output=True, check=True
        ).stdout

    def content(self, entry: Entry) -> bytes:
        """A file's bytes: the LFS object for pointer files, the blob otherwise."""
        if entry.lfs_sha256 is not None:
            return (self.lfs / entry.lfs_sha256).read_bytes()
        return self.blob(entry.blob)

    def lfs_patterns(self, commit: str) -> list[str]:
        """Patterns that ``.gitattributes`` at ``commit`` sends to LFS."""
        entry = self.entries(commit).get(".gitattributes")
        if entry is None:
            return []
        lines = self.blob(entry.blob).decode().splitlines()
        return [line.split()[0] for line in lines if "filter=lfs" in line]

    def commit(
        self,
        branch: str,
        expected: str | None,
        files: dict[str, bytes],
        deleted: set[str],
        message: str,
    ) -> str:
        """Write a commit on ``branch`` and move the branch from ``expected`` to it atomically.

        ``deleted`` holds file paths and folder paths ending in ``/``.

        Raises:
            HubError: 404 for a deleted path that does not exist, 412 when the branch no longer
                points at ``expected``.
        """
        index = self.path / f"index-{secrets.token_hex(8)}"
        env = {"GIT_INDEX_FILE": str(index)}
        try:
            if expected is not None:
                self.git("read-tree", expected, env=env)
            present = set(self.git("ls-files", "-z", env=env).split("\0")) - {""}
            lines = []
            for path in sorted(deleted):
                if path.endswith("/"):
                    gone = sorted(p for p in present if p.startswith(path))
                else:
                    gone = [path] if path in present else []
                if not gone:
                    raise HubError(404, f"A file with this name doesn't exist: {path}")
                lines += [f"0 {ZERO_OID}\t{p}" for p in gone]
            for path, data in sorted(files.items()):
                blob = self.git("hash-object", "-w", "--stdin", data=data).strip()
                lines.append(f"100644 {blob}\t{path}")
            if lines:
                self.git(
                    "update-index", "--index-info", data=("\n".join(lines) + "\n").encode(), env=env
                )
            tree = self.git("write-tree", env=env).strip()
            parents = ["-p", expected] if expected is not None else []
            oid = self.git("commit-tree", tree, *parents, "-m", message).strip()
        finally:
            index.unlink(missing_ok=True)
        try:
            self.git("update-ref", f"refs/heads/{branch}", oid, expected or ZERO_OID)
        except subprocess.CalledProcessError:
            raise HubError(
                412,
                "A commit has happened since. Please refresh and try again.",
                "PreconditionFailed",
            ) from None
        return oid


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-lfs pointer file for an object."""
    return LFS_POINTER_HEADER + f"oid sha256:{sha256}\nsize {size}\n".encode()


def parse_pointer(content: bytes) -> tuple[str, int] | None:
    """``(sha256, size)`` when ``content`` is a git-lfs pointer file, else None."""
    if not content.startswith(LFS_POINTER_HEADER):
        return None
    match = re.search(rb"oid sha256:([0-9a-f]{64})\nsize (\d+)", content)
    return (match[1].decode(), int(match[2])) if match else None


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    times: int
    status: int = 0
    message: str = ""
    action: Callable[[], object] | None = None


@dataclass
class HubServer:
    """The Hub: repos under ``root``, accounts by token, and hooks for tests."""

    root: Path
    tokens: dict[str, Account] = field(default_factory=dict)
    #: ``(method, path)`` of every request received, in order (query strings dropped).
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: Unexpected exceptions in the server itself (answered with 500); tests expect none.
    crashes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._repos: dict[tuple[str, str], BareRepo] = {}
        self._rules: list[_Rule] = []
        self._uploads: dict[str, tuple[BareRepo, str, int]] = {}
        self._lock = threading.RLock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.hub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; raise if the server itself failed on a request while it ran."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        assert not self.crashes, self.crashes

    # --- hooks for tests ------------------------------------------------------------------------

    def fail(self, method: str, path: str, status: int, message: str, *, times: int = 1) -> None:
        """Fail the next ``times`` requests whose path fully matches the regex ``path``."""
        with self._lock:
            self._rules.append(_Rule(method, re.compile(path), times, status, message))

    def before(
        self, method: str, path: str, action: Callable[[], object], *, times: int = 1
    ) -> None:
        """Run ``action`` before handling the next ``times`` matching requests."""
        with self._lock:
            self._rules.append(_Rule(method, re.compile(path), times, action=action))

    def clear_hooks(self) -> None:
        with self._lock:
            self._rules.clear()

    def repo(self, repo_id: str, repo_type: str = "dataset") -> BareRepo:
        with self._lock:
            found = self._repos.get((repo_type, repo_id))
        if found is None:
            raise KeyError(f"no {repo_type} repo {repo_id}")
        return found

    def exists(self, repo_id: str, repo_type: str = "dataset") -> bool:
        with self._lock:
            return (repo_type, repo_id) in self._repos

    def head(self, repo_id: str, branch: str = "main", repo_type: str = "dataset") -> str:
        return self.repo(repo_id, repo_type).refs("heads")[branch]

    def tags(self, repo_id: str, repo_type: str = "dataset") -> dict[str, str]:
        return self.repo(repo_id, repo_type).refs("tags")

    def files(
        self, repo_id: str, revision: str = "main", repo_type: str = "dataset"
    ) -> dict[str, bytes]:
        """Every file at ``revision`` with its real content (LFS objects, not pointers)."""
        repo = self.repo(repo_id, repo_type)
        commit = repo.resolve(revision)
        assert commit is not None, revision
        return {path: repo.content(e) for path, e in repo.entries(commit).items()}

    def commit_count(self, repo_id: str, branch: str = "main", repo_type: str = "dataset") -> int:
        repo = self.repo(repo_id, repo_type)
        return int(repo.git("rev-list", "--count", f"refs/heads/{branch}").strip())

    def push(self, repo_id: str, files: dict[str, bytes], message: str) -> str:
        """Commit regular files to ``main`` as another writer would (no HTTP involved)."""
        repo = self.repo(repo_id)
        with self._lock:
            return repo.commit("main", repo.refs("heads")["main"], files, set(), message)

    def storage_bytes(self) -> list[bytes]:
        """The bytes of every file the server stores (git objects, LFS objects, refs)."""
        return [p.read_bytes() for p in sorted(self.root.rglob("*")) if p.is_file()]

    # --- request handling -----------------------------------------------------------------------

    def _hooks(self, method: str, path: str) -> None:
        with self._lock:
            matched = [r for r in self._rules if r.method == method and r.pattern.fullmatch(path)]
            for rule in matched:
                rule.times -= 1
            self._rules = [r for r in self._rules if r.times > 0]
        for rule in matched:
            if rule.action is not None:
                rule.action()
            else:
                raise HubError(rule.status, rule.message)

    def _account(self, headers: Any) -> Account | None:
        auth = headers.get("Authorization", "")
        if not auth:
            return None
        token = auth.removeprefix("Bearer ").strip()
        account = self.tokens.get(token)
        if account is None:
            raise HubError(401, "Invalid credentials in Authorization header")
        return account

    def _readable(self, repo_type: str, repo_id: str, account: Account | None) -> BareRepo:
        with self._lock:
            repo = self._repos.get((repo_type, repo_id))
        if repo is None or (repo.private and (account is None or account.name != repo.owner)):
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _writable(self, repo_type: str, repo_id: str, account: Account | None) -> BareRepo:
        repo = self._readable(repo_type, repo_id, account)
        if account is None:
            raise HubError(401, "You must be authenticated to write to this repo.")
        if not account.write or account.name != repo.owner:
            raise HubError(403, f"You don't have the rights to write to {repo_id}.")
        return repo

    def _commit_of(self, repo: BareRepo, revision: str) -> str:
        commit = repo.resolve(revision)
        if commit is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return commit

    def create_repo(self, account: Account | None, body: dict[str, Any]) -> tuple[int, Any]:
        if account is None:
            raise HubError(401, "You must be authenticated to create a repo.")
        repo_type = body.get("type") or "model"
        owner = body.get("organization") or account.name
        repo_id = f"{owner}/{body['name']}"
        url = f"{self.url}/{_TYPE_PREFIX[repo_type]}{repo_id}"
        if not account.write or owner != account.name:
            raise HubError(403, f"You don't have the rights to create a {repo_type} under {owner}.")
        with self._lock:
            if (repo_type, repo_id) in self._repos:
                return 409, {"error": f"You already created this {repo_type} repo", "url": url}
            private = body.get("visibility") == "private" or bool(body.get("private"))
            repo = BareRepo(
                self.root / f"{repo_type}s" / owner / f"{body['name']}.git",
                repo_type=repo_type,
                private=private,
                owner=owner,
            )
            repo.init()
            self._repos[(repo_type, repo_id)] = repo
        return 200, {"url": url, "name": repo_id}

    def repo_info(self, repo_type: str, repo_id: str, repo: BareRepo, revision: str) -> Any:
        commit = self._commit_of(repo, revision)
        siblings = [{"rfilename": path} for path in sorted(repo.entries(commit))]
        return {
            "id": repo_id,
            "author": repo.owner,
            "sha": commit,
            "private": repo.private,
            "disabled": False,
            "gated": False,
            "lastModified": "2026-01-01T00:00:00.000Z",
            "tags": [],
            "siblings": siblings,
        }

    def tree(self, repo: BareRepo, revision: str, path: str, recursive: bool) -> list[Any]:
        entries = repo.entries(self._commit_of(repo, revision))
        prefix = f"{path.strip('/')}/" if path.strip("/") else ""
        if prefix and not any(p.startswith(prefix) for p in entries):
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        listing: dict[str, Any] = {}
        for entry in entries.values():
            if not entry.path.startswith(prefix):
                continue
            rest = entry.path[len(prefix) :].split("/")
            for depth in range(1, len(rest)):
                folder = prefix + "/".join(rest[:depth])
                listing.setdefault(
                    folder, {"type": "directory", "oid": ZERO_OID, "size": 0, "path": folder}
                )
                if not recursive:
                    break
            if recursive or len(rest) == 1:
                listing[entry.path] = _file_json(entry)
        return [listing[key] for key in sorted(listing)]

    def paths_info(self, repo: BareRepo, revision: str, paths: list[str]) -> list[Any]:
        entries = repo.entries(self._commit_of(repo, revision))
        found: list[Any] = []
        for path in paths:
            clean = path.strip("/")
            if clean in entries:
                found.append(_file_json(entries[clean]))
            elif any(p.startswith(clean + "/") for p in entries):
                found.append({"type": "directory", "oid": ZERO_OID, "size": 0, "path": clean})
        return found

    def preupload(self, repo: BareRepo, revision: str, body: dict[str, Any]) -> Any:
        commit = self._commit_of(repo, revision)
        entries = repo.entries(commit)
        patterns = repo.lfs_patterns(commit)
        answers = []
        for item in body["files"]:
            path = item["path"]
            sample = base64.b64decode(item["sample"])
            lfs = (
                item["size"] >= LFS_SIZE_THRESHOLD
                or b"\0" in sample
                or any(Path(path).match(pattern) for pattern in patterns)
            )
            answer: dict[str, Any] = {
                "path": path,
                "uploadMode": "lfs" if lfs else "regular",
                "shouldIgnore": False,
            }
            existing = entries.get(path)
            if existing is not None:
                answer["oid"] = existing.lfs_sha256 or existing.blob
            answers.append(answer)
        return {"files": answers, "commitOid": commit}

    def lfs_batch(self, repo: BareRepo, body: dict[str, Any]) -> Any:
        if body.get("operation") != "upload":
            raise HubError(400, "only uploads are served")
        objects = []
        for item in body["objects"]:
            oid, size = item["oid"], item["size"]
            answer: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if not (repo.lfs / oid).is_file():
                ticket = secrets.token_urlsafe(16)
                with self._lock:
                    self._uploads[ticket] = (repo, oid, size)
                href = f"{self.url}/lfs-upload/{oid}/{ticket}"
                answer["actions"] = {"upload": {"href": href}}
            objects.append(answer)
        return {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}

    def lfs_upload(self, ticket: str, data: bytes) -> Any:
        # Like a presigned URL, a ticket works until it is used successfully.
        with self._lock:
            target = self._uploads.get(ticket)
        if target is None:
            raise HubError(403, "Request has expired or the upload URL is invalid.")
        repo, oid, size = target
        if len(data) != size or hashlib.sha256(data).hexdigest() != oid:
            raise HubError(400, f"uploaded content does not match oid {oid} and size {size}")
        # Two files with the same content share one object and may upload at the same time.
        partial = repo.lfs / f".{oid}.{ticket}.part"
        partial.write_bytes(data)
        partial.replace(repo.lfs / oid)
        with self._lock:
            self._uploads.pop(ticket, None)
        return {}

    def commit(self, repo_id: str, repo: BareRepo, revision: str, payload: bytes) -> Any:
        lines = [json.loads(line) for line in payload.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "the first line of a commit must be its header")
        header = lines[0]["value"]
        files: dict[str, bytes] = {}
        deleted: set[str] = set()
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "lfsFile":
                oid = value["oid"]
                stored = repo.lfs / oid
                if not stored.is_file():
                    raise HubError(422, f"LFS object {oid} for {value['path']} was never uploaded")
                files[value["path"]] = lfs_pointer(oid, stored.stat().st_size)
            elif key == "deletedFile":
                deleted.add(value["path"])
            elif key == "deletedFolder":
                deleted.add(value["path"].rstrip("/") + "/")
            else:
                raise HubError(400, f"unknown commit operation {key!r}")
        if revision not in repo.refs("heads"):
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        message = header["summary"]
        if header.get("description"):
            message += "\n\n" + header["description"]
        with self._lock:
            head = repo.refs("heads")[revision]
            parent = header.get("parentCommit")
            if parent is not None and not head.startswith(parent):
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            oid = repo.commit(revision, head, files, deleted, message)
        prefix = _TYPE_PREFIX[repo.repo_type]
        return {"commitUrl": f"{self.url}/{prefix}{repo_id}/commit/{oid}", "commitOid": oid}

    def tag(self, repo: BareRepo, revision: str, body: dict[str, Any]) -> Any:
        commit = self._commit_of(repo, revision)
        name = body["tag"]
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise HubError(400, f"Invalid tag name {name!r}")
        with self._lock:
            try:
                repo.git("update-ref", f"refs/tags/{name}", commit, ZERO_OID)
            except subprocess.CalledProcessError:
                raise HubError(409, f"Tag reference refs/tags/{name} already exists") from None
        return {}

    def branch(self, repo: BareRepo, name: str, body: dict[str, Any]) -> Any:
        start = self._commit_of(repo, body.get("startingPoint") or "main")
        with self._lock:
            try:
                repo.git("update-ref", f"refs/heads/{name}", start, ZERO_OID)
            except subprocess.CalledProcessError:
                raise HubError(409, f"Reference refs/heads/{name} already exists") from None
        return {}


def _file_json(entry: Entry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "file",
        "oid": entry.blob,
        "size": entry.size,
        "path": entry.path,
    }
    if entry.lfs_sha256 is not None:
        data["lfs"] = {
            "oid": entry.lfs_sha256,
            "size": entry.size,
            "pointerSize": entry.pointer_size,
        }
    return data


def _front_matter(content: str) -> Any:
    match = re.match(r"---\n(.*?)\n---\n", content, re.S)
    return yaml.safe_load(match[1]) if match else None


_REPO = r"(?P<kind>datasets|models|spaces)/(?P<repo>[\w.-]+/[\w.-]+)"
_PREFIXED_REPO = r"(?P<prefix>datasets/|spaces/)?(?P<repo>[\w.-]+/[\w.-]+)"
#: Every (method, path regex) the server answers, and the handler method that answers it.
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), h)
    for m, p, h in [
        ("GET", r"/api/whoami-v2", "whoami"),
        ("POST", r"/api/repos/create", "create"),
        ("POST", r"/api/validate-yaml", "validate_yaml"),
        ("GET", rf"/api/{_REPO}(?:/revision/(?P<rev>[^/]+))?", "info"),
        ("GET", rf"/api/{_REPO}/refs", "refs"),
        ("GET", rf"/api/{_REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?", "tree"),
        ("POST", rf"/api/{_REPO}/paths-info/(?P<rev>[^/]+)", "paths_info"),
        ("POST", rf"/api/{_REPO}/preupload/(?P<rev>[^/]+)", "preupload"),
        ("POST", rf"/api/{_REPO}/commit/(?P<rev>[^/]+)", "commit"),
        ("POST", rf"/api/{_REPO}/tag/(?P<rev>[^/]+)", "tag"),
        ("POST", rf"/api/{_REPO}/branch/(?P<rev>[^/]+)", "branch"),
        ("POST", rf"/{_PREFIXED_REPO}\.git/info/lfs/objects/batch", "lfs_batch"),
        ("PUT", r"/lfs-upload/(?P<oid>[0-9a-f]{64})/(?P<ticket>[\w-]+)", "lfs_upload"),
        ("GET", rf"/{_PREFIXED_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
        ("HEAD", rf"/{_PREFIXED_REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)", "resolve"),
    ]
]


class _Handler(BaseHTTPRequestHandler):
    """Route one request to :class:`HubServer` and write its answer as the Hub would."""

    protocol_version = "HTTP/1.1"
    server_version = "LocalHub/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read :attr:`HubServer.requests` instead."""

    @property
    def hub(self) -> HubServer:
        hub: HubServer = self.server.hub  # type: ignore[attr-defined]
        return hub

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path, query = unquote(split.path), parse_qs(split.query)
        body = self._body() if method in ("POST", "PUT") else b""
        hub = self.hub
        with hub._lock:
            hub.requests.append((method, path))
        try:
            hub._hooks(method, path)
            for route_method, pattern, name in ROUTES:
                match = pattern.fullmatch(path) if route_method == method else None
                if match:
                    params = {k: v for k, v in match.groupdict().items() if v is not None}
                    getattr(self, f"_{name}")(params, query, body)
                    return
            raise HubError(404, f"no route for {method} {path}")
        except HubError as err:
            self._error(err)
        except Exception as err:
            # A bug in this server: answer 500 and keep it for the test fixture to report.
            with hub._lock:
                hub.crashes.append(f"{method} {path}: {type(err).__name__}: {err}")
            self._error(HubError(500, "Internal Error"))

    def _error(self, err: HubError) -> None:
        headers = {"X-Error-Message": err.message}
        if err.code:
            headers["X-Error-Code"] = err.code
        self._json(err.status, {"error": err.message}, headers)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json", headers or {})

    def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _repo_type(self, params: dict[str, str]) -> str:
        if "kind" in params:
            return params["kind"].removesuffix("s")
        return params.get("prefix", "").removesuffix("s/") or "model"

    def _read(self, params: dict[str, str]) -> BareRepo:
        account = self.hub._account(self.headers)
        return self.hub._readable(self._repo_type(params), params["repo"], account)

    def _write(self, params: dict[str, str]) -> BareRepo:
        account = self.hub._account(self.headers)
        return self.hub._writable(self._repo_type(params), params["repo"], account)

    # --- routes ---------------------------------------------------------------------------------

    def _whoami(self, params: dict[str, str], query: Any, body: bytes) -> None:
        account = self.hub._account(self.headers)
        if account is None:
            raise HubError(401, "You must be authenticated to call whoami.")
        role = "write" if account.write else "read"
        self._json(
            200,
            {
                "type": "user",
                "name": account.name,
                "orgs": [],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "test", "role": role},
                },
            },
        )

    def _create(self, params: dict[str, str], query: Any, body: bytes) -> None:
        account = self.hub._account(self.headers)
        self._json(*self.hub.create_repo(account, json.loads(body)))

    def _validate_yaml(self, params: dict[str, str], query: Any, body: bytes) -> None:
        self.hub._account(self.headers)
        content = json.loads(body)["content"]
        try:
            metadata = _front_matter(content)
        except yaml.YAMLError as err:
            problem = getattr(err, "problem", None) or "syntax error"
            self._json(400, {"errors": [{"message": f"Invalid YAML: {problem}"}], "warnings": []})
            return
        if metadata is not None and not isinstance(metadata, dict):
            self._json(400, {"errors": [{"message": "metadata must be a mapping"}], "warnings": []})
            return
        self._json(200, {"errors": [], "warnings": []})

    def _info(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._read(params)
        revision = params.get("rev", "main")
        self._json(200, self.hub.repo_info(self._repo_type(params), params["repo"], repo, revision))

    def _refs(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._read(params)

        def listing(kind: str) -> list[Any]:
            refs = sorted(repo.refs(kind).items())
            return [{"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": c} for n, c in refs]

        self._json(200, {"branches": listing("heads"), "tags": listing("tags"), "converts": []})

    def _tree(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._read(params)
        recursive = query.get("recursive", ["False"])[0].lower() in ("1", "true")
        self._json(200, self.hub.tree(repo, params["rev"], params.get("path", ""), recursive))

    def _paths_info(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._read(params)
        form = parse_qs(body.decode())
        self._json(200, self.hub.paths_info(repo, params["rev"], form.get("paths", [])))

    def _preupload(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._write(params)
        self._json(200, self.hub.preupload(repo, params["rev"], json.loads(body)))

    def _commit(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._write(params)
        self._json(200, self.hub.commit(params["repo"], repo, params["rev"], body))

    def _tag(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._write(params)
        self._json(200, self.hub.tag(repo, params["rev"], json.loads(body)))

    def _branch(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._write(params)
        self._json(200, self.hub.branch(repo, params["rev"], json.loads(body or b"{}")))

    def _lfs_batch(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._write(params)
        data = self.hub.lfs_batch(repo, json.loads(body))
        self._send(200, json.dumps(data).encode(), "application/vnd.git-lfs+json", {})

    def _lfs_upload(self, params: dict[str, str], query: Any, body: bytes) -> None:
        self._json(200, self.hub.lfs_upload(params["ticket"], body))

    def _resolve(self, params: dict[str, str], query: Any, body: bytes) -> None:
        repo = self._read(params)
        commit = self.hub._commit_of(repo, params["rev"])
        entry = repo.entries(commit).get(params["path"])
        if entry is None:
            raise HubError(404, f"Entry not found: {params['path']}", "EntryNotFound")
        data = repo.content(entry)
        headers = {"X-Repo-Commit": commit, "Accept-Ranges": "bytes", "ETag": f'"{entry.blob}"'}
        if entry.lfs_sha256 is not None:
            headers["X-Linked-Etag"] = f'"{entry.lfs_sha256}"'
            headers["X-Linked-Size"] = str(entry.size)
        status = 200
        wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if wanted and data:
            first = int(wanted[1]) if wanted[1] else max(len(data) - int(wanted[2]), 0)
            last = int(wanted[2]) if wanted[1] and wanted[2] else len(data) - 1
            last = min(last, len(data) - 1)
            if first > last:
                headers["Content-Range"] = f"bytes */{len(data)}"
                self._send(416, b"", "application/octet-stream", headers)
                return
            headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
            data, status = data[first : last + 1], 206
        self._send(status, data, "application/octet-stream", headers)


def point_clients_at(monkeypatch: Any, url: str) -> None:
    """Send this process's ``huggingface_hub`` and ``datasets`` requests to ``url``.

    Both libraries read ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` at import time, so the module
    constants are patched (``monkeypatch`` undoes it after the test).
    """
    import datasets.config
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(
        constants, "HUGGINGFACE_CO_URL_TEMPLATE", url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_ENDPOINT", url)
    monkeypatch.setattr(
        datasets.config, "HUB_DATASETS_URL", url + "/datasets/{repo_id}/resolve/{revision}/{path}"
    )
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)


def client_env(url: str, home: Path) -> dict[str, str]:
    """Environment for a fresh client process that talks to ``url`` with its own HF_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(
        HF_ENDPOINT=url,
        HF_HOME=str(home),
        HF_HUB_DISABLE_XET="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        HF_DATASETS_DISABLE_PROGRESS_BARS="1",
    )
    return env
