"""A malformed HF_ENDPOINT is a coded error, not a traceback from importing huggingface_hub."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_project, run, tree
from hub_server import point_clients_at

FIX = "Set HF_ENDPOINT to the Hub's URL (https://huggingface.co when unset), or unset it.\n"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("https://hub.example:99999", "Port out of range 0-65535"),
        ("notaurl", "it does not start with http:// or https://"),
        ("http://", "it names no host"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [("build",), ("publish", "--repo-id", "acme/corpus", "--dry-run"), ("diff", "DIST", "DIST")],
)
def test_a_malformed_endpoint_is_e407(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    problem: str,
    command: tuple[str, ...],
) -> None:
    project = make_project(tmp_path / "proj", with_seed=True)
    (project / "dist").mkdir()
    monkeypatch.setenv("HF_ENDPOINT", value)
    before = tree(project)
    command = tuple(str(project / "dist") if arg == "DIST" else arg for arg in command)
    assert run(project, *command) == (
        1,
        "",
        f"error: E407 HF_ENDPOINT is {value!r}, which is not the address of a Hub ({problem}). "
        + FIX,
    )
    assert tree(project) == before


def test_a_build_with_a_malformed_endpoint_stops_before_importing_the_hub_client(
    tmp_path: Path,
) -> None:
    """huggingface_hub parses HF_ENDPOINT when imported: the check must come first."""
    project = make_project(tmp_path / "proj", with_seed=True)
    env = {**os.environ, "HF_ENDPOINT": "http://[::1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run(
        [sys.executable, "-m", "newscorpus.entry", "--root", str(project), "build"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: E407 HF_ENDPOINT is 'http://[::1', which is not the address of a Hub "
        "(Invalid IPv6 URL). " + FIX
    )


def test_a_good_endpoint_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newscorpus.hubenv import check_endpoint

    for value in ("", "https://huggingface.co", "http://127.0.0.1:8080/", "http://[::1]:9"):
        monkeypatch.setenv("HF_ENDPOINT", value)
        check_endpoint()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            "http://a..b",
            "encoding with 'idna' codec failed (UnicodeError: label empty or too long)",
        ),
        ("http://[v7.abc]", "Invalid IPv6 address: '[v7.abc]'"),
    ],
)
def test_an_endpoint_the_client_cannot_use_is_e407(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    """A URL by urlsplit that the HTTP client refuses: caught where the Hub is first called."""
    project = make_project(tmp_path / "proj", with_seed=True)
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    point_clients_at(monkeypatch, value)
    code, out, err = run(project, "publish", "--repo-id", "user/repo")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {value}/datasets/user/repo: E407 cannot reach the Hub at {value} while checking "
        f"the token ({reason}); nothing was committed and no tag was made. Check HF_ENDPOINT and "
        "the network, then run the command again.\n"
    )
