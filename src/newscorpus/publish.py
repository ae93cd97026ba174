"""Publish a built release to the Hugging Face Hub as one commit plus a version tag.

The only module that talks to the Hub. A release is the build folder (``dist/<name>/``: card,
Parquet shards, ``manifest.json``, ``croissant.json``). Publishing it:

1. checks the token (``whoami``) and creates the dataset repo if it is missing;
2. reads the repo's refs. If tag ``v<version>`` exists, its files must equal the build: then the
   release is already published and nothing happens; otherwise publishing is refused, because a
   published version never changes (bump the version instead). Tags are never moved or deleted;
3. uploads every file of the build in ONE commit on ``main`` with ``parent_commit`` set to the
   head it read, deleting shards under ``data/`` that the build no longer has. If ``main`` moved
   in the meantime the Hub refuses the commit (HTTP 412) and nothing changes. When the build
   equals ``main`` already, the client makes no commit and returns the current head;
4. tags that commit ``v<version>``. A tag is only ever made after a successful commit.

Every Hub failure becomes a :class:`~newscorpus.errors.NewscorpusError` that says what happened,
what state the remote is in and what to do. The token is never put in a message.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from newscorpus.errors import NewscorpusError, UsageError
from newscorpus.project import Project

MANIFEST = "manifest.json"
BRANCH = "main"
#: Remote files under this folder that the build no longer has are deleted by a release.
DATA_DIR = "data/"
#: The config named in the load line when the build has it.
DEFAULT_CONFIG = "documents"
_REPO_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")

Status = Literal["published", "unchanged", "already-published"]


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    """One file of a build, named by its path relative to the build folder."""

    path: str
    size: int
    sha256: str
    #: The git blob id: how the Hub names a file that is not stored through LFS.
    git_oid: str


@dataclass(frozen=True)
class Release:
    """A checked build folder: its version and every file in it."""

    folder: Path
    version: str
    files: tuple[ReleaseFile, ...]

    @property
    def tag(self) -> str:
        return f"v{self.version}"

    @property
    def configs(self) -> tuple[str, ...]:
        """Config names, from the ``data/<config>/`` folders."""
        names = {f.path.split("/")[1] for f in self.files if f.path.startswith(DATA_DIR)}
        return tuple(sorted(names))


@dataclass(frozen=True)
class Target:
    """Where a release goes."""

    repo_id: str
    endpoint: str
    private: bool = False

    @property
    def url(self) -> str:
        return f"{self.endpoint}/datasets/{self.repo_id}"


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` did."""

    status: Status
    repo_id: str
    tag: str
    commit_oid: str
    commit_url: str
    files: int
    #: Paths deleted by the commit (shards the build no longer has).
    deleted: tuple[str, ...]
    load_line: str


def check_repo_id(repo_id: str) -> str:
    """``repo_id`` when it has the Hub's ``OWNER/NAME`` shape.

    Raises:
        UsageError: E404 naming the value.
    """
    from huggingface_hub.errors import HFValidationError

    # Re-exported lazily by huggingface_hub.utils, which mypy cannot follow.
    from huggingface_hub.utils import validate_repo_id  # type: ignore[attr-defined]

    why = ""
    try:
        # The Hub client's own rule first (ASCII only, no ".git" or trailing "." ...), so that
        # nothing it would refuse later passes here, a dry run included.
        validate_repo_id(repo_id)
    except HFValidationError as err:
        why = f" ({str(err).split(':')[0]})"
    if not why and _REPO_ID_RE.fullmatch(repo_id) and ".." not in repo_id and "--" not in repo_id:
        return repo_id
    raise UsageError(
        "E404",
        f"--repo-id {repo_id!r} is not a Hub dataset id; expected OWNER/NAME made of ASCII "
        f"letters, digits, '-', '_' and '.'{why}.",
        fix="Pass e.g. --repo-id my-user/newscorpus-5g.",
    )


def load_line(repo_id: str, release: Release) -> str:
    """The line users run to load this exact release."""
    configs = release.configs
    config = DEFAULT_CONFIG if DEFAULT_CONFIG in configs or not configs else configs[0]
    return f'load_dataset("{repo_id}", "{config}", revision="{release.tag}")'


def read_release(project: Project, folder: Path) -> Release:
    """Check a build folder against its manifest and the project, and describe it.

    Every file in the folder except the manifest must be listed in it with the same size and
    sha256, every listed file must exist, and the manifest's version must be the project's.

    Raises:
        NewscorpusError: E401 when there is no readable build, E402 when files and manifest
            disagree, E403 when the build is of another version.
    """
    manifest_path = folder / MANIFEST
    where = project.relative(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        version = manifest["version"]
        listed = {entry["path"]: (entry["size"], entry["sha256"]) for entry in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise NewscorpusError(
            "E401",
            f"no usable build here ({_describe_os_error(err)}).",
            fix="Run `newscorpus build` (or `newscorpus publish` without --no-build), or pass "
            "the build folder with --out.",
            where=where,
        ) from None
    if version != project.version:
        raise NewscorpusError(
            "E403",
            f"the build is of version {version!r} but the project is at {project.version!r}.",
            fix="Rebuild with `newscorpus build` (or publish without --no-build).",
            where=where,
        )
    files = []
    problems = []
    on_disk = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p != manifest_path
    )
    for path in on_disk:
        data = (folder / path).read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        if path not in listed:
            problems.append(f"{path} is not in the manifest")
        elif listed[path] != (len(data), sha256):
            problems.append(f"{path} differs from the manifest (size or sha256)")
        files.append(ReleaseFile(path, len(data), sha256, _git_blob_oid(data)))
    problems += [f"{path} is missing" for path in sorted(set(listed) - set(on_disk))]
    if problems:
        raise NewscorpusError(
            "E402",
            f"the build does not match its manifest: {'; '.join(problems)}.",
            fix="Rebuild with `newscorpus build`; never edit files in the build folder by hand.",
            where=where,
        )
    files.append(_release_file(folder, MANIFEST))
    return Release(folder, version, tuple(sorted(files, key=lambda f: f.path)))


def publish(release: Release, target: Target, *, token: str | None = None) -> PublishResult:
    """Publish ``release`` to ``target``: one commit, then the version tag (see module doc).

    Args:
        release: a checked build (:func:`read_release`).
        target: repo id, endpoint and visibility for a new repo.
        token: a Hub token; default ``HF_TOKEN`` or the ``hf auth login`` token.

    Raises:
        NewscorpusError: E405 no token, E406 token rejected, E407 Hub unreachable, E408 the tag
            exists with other files, E409 the branch moved or the repo is busy, E410 the Hub
            failed, E411 the Hub rejected the card's YAML.
    """
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, get_token

    from newscorpus import __version__

    token = token or get_token()
    if not token:
        raise NewscorpusError(
            "E405",
            "no Hugging Face token found (HF_TOKEN is not set and `hf auth login` was not run).",
            fix="Set HF_TOKEN to a token with write access, or run `hf auth login`; "
            "check what would be sent with --dry-run.",
        )
    api = HfApi(
        endpoint=target.endpoint,
        token=token,
        library_name="newscorpus",
        library_version=__version__,
    )
    session = _Session(release, target, token)
    with session.stage("checking the token"):
        api.whoami()
    with session.stage("creating the repo"):
        api.create_repo(target.repo_id, repo_type="dataset", exist_ok=True, private=target.private)
    with session.stage("reading the repo"):
        refs = api.list_repo_refs(target.repo_id, repo_type="dataset")
        branches = {ref.name: ref.target_commit for ref in refs.branches}
        if BRANCH not in branches:
            raise session.error(
                "E410", f"the repo has no {BRANCH} branch", "Recreate the repo on the Hub."
            )
        head = branches[BRANCH]
        tagged = next((ref.target_commit for ref in refs.tags if ref.name == release.tag), None)
        if tagged is not None:
            _check_same(release, target, tagged, _remote_files(api, target.repo_id, tagged))
            return session.result("already-published", tagged, ())
        local = {f.path for f in release.files}
        stale = tuple(
            path
            for path in sorted(_remote_files(api, target.repo_id, head))
            if path.startswith(DATA_DIR) and path not in local
        )
    with session.stage("uploading and committing"):
        # create_commit, not upload_folder: with hf_xet installed, upload_folder streams large
        # folders as several commits, and a release must be exactly one.
        info = api.create_commit(
            target.repo_id,
            [
                *(CommitOperationDelete(path_in_repo=path) for path in stale),
                *(
                    CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=release.folder / f.path)
                    for f in release.files
                ),
            ],
            repo_type="dataset",
            commit_message=f"Release {release.tag}",
            commit_description=f"{len(release.files)} files built by newscorpus {__version__}.",
            parent_commit=head,
        )
    commit = str(info.oid)
    session.committed = commit
    with session.stage("tagging"):
        try:
            api.create_tag(target.repo_id, tag=release.tag, revision=commit, repo_type="dataset")
        except _http_error() as err:
            if err.response.status_code != 409:
                raise
            # Someone tagged at the same moment: fine if it is our commit.
            refs = api.list_repo_refs(target.repo_id, repo_type="dataset")
            tagged = next(ref.target_commit for ref in refs.tags if ref.name == release.tag)
            _check_same(release, target, tagged, _remote_files(api, target.repo_id, tagged))
    return session.result("unchanged" if commit == head else "published", commit, stale)


@dataclass(frozen=True, slots=True)
class _RemoteFile:
    blob: str
    lfs_sha256: str | None


def _remote_files(api: Any, repo_id: str, commit: str) -> dict[str, _RemoteFile]:
    """Every file of the commit except ``.gitattributes`` (the Hub's, not the build's)."""
    files = api.list_repo_tree(repo_id, revision=commit, recursive=True, repo_type="dataset")
    return {
        f.path: _RemoteFile(f.blob_id, f.lfs.sha256 if f.lfs else None)
        for f in files
        if hasattr(f, "blob_id") and f.path != ".gitattributes"
    }


def _check_same(
    release: Release, target: Target, commit: str, remote: dict[str, _RemoteFile]
) -> None:
    """Refuse (E408) when the tagged commit's files are not the build's files.

    Remote files outside ``data/`` that the build does not have (added by hand on the Hub) do
    not count: a release never deletes them either.
    """
    changed = []
    for file in release.files:
        there = remote.get(file.path)
        if there is None or (file.sha256 != there.lfs_sha256 and file.git_oid != there.blob):
            changed.append(file.path)
    local = {f.path for f in release.files}
    extra = [p for p in sorted(remote) if p.startswith(DATA_DIR) and p not in local]
    if not changed and not extra:
        return
    shown = ", ".join([*changed, *extra][:5])
    more = len(changed) + len(extra) - 5
    raise NewscorpusError(
        "E408",
        f"tag {release.tag} already exists and points at commit {commit[:12]}, whose files "
        f"differ from this build ({shown}{f' and {more} more' if more > 0 else ''}); "
        "a published version is never changed or re-tagged.",
        fix="Bump the version in pyproject.toml [tool.newscorpus] version, add an entry to "
        "CHANGELOG.md, then build and publish again.",
        where=target.repo_id,
    )


class _Session:
    """Turns Hub failures into messages that say what to do and what state the remote is in."""

    def __init__(self, release: Release, target: Target, token: str) -> None:
        self.release = release
        self.target = target
        self._token = token
        self.committed: str | None = None

    def result(self, status: Status, commit: str, deleted: tuple[str, ...]) -> PublishResult:
        return PublishResult(
            status=status,
            repo_id=self.target.repo_id,
            tag=self.release.tag,
            commit_oid=commit,
            commit_url=f"{self.target.url}/commit/{commit}",
            files=len(self.release.files),
            deleted=deleted,
            load_line=load_line(self.target.repo_id, self.release),
        )

    @contextmanager
    def stage(self, doing: str) -> Iterator[None]:
        from huggingface_hub.errors import OfflineModeIsEnabled

        try:
            yield
        except NewscorpusError:
            raise
        except OfflineModeIsEnabled:
            raise self.error(
                "E407",
                f"offline mode is on (HF_HUB_OFFLINE), so the Hub cannot be reached while {doing}",
                "Unset HF_HUB_OFFLINE and run the command again.",
            ) from None
        except _http_error() as err:
            raise self._from_http(err, doing) from None
        except _transport_error() as err:
            raise self._unreachable(err, doing) from None
        except (_invalid_url_error(), UnicodeError) as err:
            # An HF_ENDPOINT that parses as a URL but that the client cannot use: a host label
            # IDNA refuses (empty, over 63 characters), an IPv6 form it does not take, too long.
            raise self._unreachable(err, doing) from None
        except RuntimeError as err:
            # The client wraps a failed LFS upload: "Error while uploading '<path>' to the Hub."
            cause = err.__cause__
            if isinstance(cause, _http_error()):
                what = f"{_upload_of(str(err))} failed ({self._said(cause)})"
                raise self.error("E410", what, self._retry()) from None
            if isinstance(cause, _transport_error()):
                raise self._unreachable(cause, doing) from None
            raise
        except ValueError as err:
            text = str(err)
            if text.startswith("Invalid metadata in README.md"):
                raise NewscorpusError(
                    "E411",
                    f"the Hub rejected the card's YAML: {self._scrub(text)}; nothing was changed.",
                    fix="Fix the card metadata, rebuild with `newscorpus build`, publish again.",
                    where=self.release.folder.joinpath("README.md").as_posix(),
                ) from None
            if text.startswith("LFS batch API returned errors"):
                raise self.error(
                    "E410", f"the Hub refused an upload while {doing}: {text}", self._retry()
                ) from None
            raise

    def _from_http(self, err: Any, doing: str) -> NewscorpusError:
        status = err.response.status_code
        said = self._said(err)
        if status in (401, 403):
            return self.error(
                "E406",
                f"the Hub rejected the token while {doing} ({said})",
                "Set HF_TOKEN to a valid token with write access to "
                f"{self.target.repo_id.split('/')[0]}, or run `hf auth login --force`.",
            )
        if status == 412:
            return self.error(
                "E409",
                f"branch {BRANCH} of {self.target.repo_id} moved while {doing} "
                f"(someone else committed; {said})",
                "Run the command again to publish on top of the new head.",
            )
        if status == 409:
            return self.error(
                "E409",
                f"the Hub reported a conflicting operation on {self.target.repo_id} "
                f"while {doing} ({said})",
                "Wait until the other operation finishes, then run the command again.",
            )
        return self.error("E410", f"the Hub failed while {doing} ({said})", self._retry())

    def _said(self, err: Any) -> str:
        """``HTTP <status>: <what the server said>``."""
        return f"HTTP {err.response.status_code}: {self._scrub(_server_message(err.response))}"

    def _unreachable(self, err: Exception, doing: str) -> NewscorpusError:
        reason = self._scrub(str(err)) or type(err).__name__
        return self.error(
            "E407",
            f"cannot reach the Hub at {self.target.endpoint} while {doing} ({reason})",
            "Check HF_ENDPOINT and the network, then run the command again.",
        )

    def _retry(self) -> str:
        if self.committed:
            return "Run the command again to add the tag; it makes no new commit."
        return "Run the command again; files already uploaded are not sent twice."

    def error(self, code: str, what: str, fix: str) -> NewscorpusError:
        if self.committed:
            state = (
                f"commit {self.committed[:12]} is on the Hub but is not tagged "
                f"{self.release.tag} yet"
            )
        else:
            state = "nothing was committed and no tag was made"
        return NewscorpusError(code, f"{what}; {state}.", fix=fix, where=self.target.url)

    def _scrub(self, text: str) -> str:
        """``text`` without the token, in case a server or library ever echoes it."""
        return text.replace(self._token, "***").strip().rstrip(".")


def _http_error() -> type[Any]:
    from huggingface_hub.errors import HfHubHTTPError

    error: type[Any] = HfHubHTTPError
    return error


def _transport_error() -> type[Exception]:
    import httpx2

    error: type[Exception] = httpx2.TransportError
    return error


def _invalid_url_error() -> type[Exception]:
    import httpx2

    error: type[Exception] = httpx2.InvalidURL
    return error


def _server_message(response: Any) -> str:
    """What the Hub said about an error: its ``X-Error-Message`` or JSON ``error``."""
    said = response.headers.get("X-Error-Message")
    if said:
        return str(said)
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no details"
    error = body.get("error") if isinstance(body, dict) else None
    return str(error) if error else response.reason_phrase or "no details"


def _upload_of(text: str) -> str:
    """``uploading <path>`` from the client's "Error while uploading '<path>' to the Hub."."""
    match = re.search(r"'([^']+)'", text)
    return f"uploading {match[1]}" if match else "uploading a file"


def _git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _release_file(folder: Path, path: str) -> ReleaseFile:
    data = (folder / path).read_bytes()
    return ReleaseFile(path, len(data), hashlib.sha256(data).hexdigest(), _git_blob_oid(data))


def _describe_os_error(err: Exception) -> str:
    if isinstance(err, FileNotFoundError):
        return f"{MANIFEST} not found"
    if isinstance(err, OSError):
        return f"cannot read {MANIFEST}: {err.strerror}"
    return f"{MANIFEST} is not a valid manifest: {type(err).__name__} {err}"
