"""A real Label Studio server on 127.0.0.1 for the integration test, from its own virtualenv.

Label Studio pins Django, pydantic and more in ways that fight this project's pins, so it lives
in ``.venv-labelstudio/`` (``NEWSCORPUS_LABELSTUDIO_VENV`` overrides), installed once by
``scripts/test`` through ``python tests/labelstudio_server.py --install``. Its first start runs
a few hundred database migrations (minutes on a busy machine), so the install also starts it
once on an empty data folder and keeps that migrated folder as a template; each test session
copies the template and starts in seconds.

:func:`running` starts the server with a known user and API token on a free port, waits a
bounded time for ``/health``, and stops the whole process group afterwards. Analytics and the
version check are switched off: nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

VERSION = "1.23.2"
ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("NEWSCORPUS_LABELSTUDIO_VENV", ROOT / ".venv-labelstudio"))
EXECUTABLE = VENV / "bin" / "label-studio"
TEMPLATE = VENV / "newscorpus-data-template"
STAMP = VENV / ".newscorpus-installed"
USERNAME = "tests@example.com"
PASSWORD = "newscorpus-tests"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
#: First start on an empty folder migrates the database; later starts take seconds.
FIRST_START_TIMEOUT = 600.0
START_TIMEOUT = 180.0


def installed() -> bool:
    """True when the virtualenv and its migrated data template are ready."""
    return EXECUTABLE.exists() and (TEMPLATE / "label_studio.sqlite3").exists()


def install() -> None:
    """Create the virtualenv with ``label-studio==VERSION`` and the data template (once)."""
    if installed() and STAMP.exists() and STAMP.read_text(encoding="utf-8") == VERSION:
        return
    if not (VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [
            *(str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"),
            *("--disable-pip-version-check", f"label-studio=={VERSION}"),
        ],
        check=True,
    )
    shutil.rmtree(TEMPLATE, ignore_errors=True)
    building = Path(tempfile.mkdtemp(prefix="newscorpus-ls-template-"))
    with running(building, timeout=FIRST_START_TIMEOUT):
        pass
    shutil.copytree(building, TEMPLATE)
    shutil.rmtree(building, ignore_errors=True)
    STAMP.write_text(VERSION, encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running(data_dir: Path, timeout: float = START_TIMEOUT) -> Iterator[str]:
    """Run Label Studio on ``data_dir`` (its database and media) and yield its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "LABEL_STUDIO_USERNAME": USERNAME,
        "LABEL_STUDIO_PASSWORD": PASSWORD,
        "LABEL_STUDIO_USER_TOKEN": TOKEN,
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "HOME": str(data_dir),
    }
    log_path = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(EXECUTABLE), "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
                raise RuntimeError(f"Label Studio did not start within {timeout:.0f} s:\n{tail}")
            time.sleep(1)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def session(tmp: Path) -> Iterator[str]:
    """A fresh server on a copy of the migrated template, for one test session."""
    data_dir = tmp / "label-studio"
    shutil.copytree(TEMPLATE, data_dir)
    with running(data_dir) as url:
        yield url


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="install once (venv, template)")
    if parser.parse_args().install:
        install()
