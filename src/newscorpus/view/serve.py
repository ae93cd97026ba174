"""``view --serve``: the written site over HTTP on 127.0.0.1 only, for convenience.

The site is plain files and works opened from disk; serving it only saves a browser's file
restrictions. The server binds the loopback address, never all interfaces, and logs nothing.
"""

from __future__ import annotations

from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from newscorpus.errors import NewscorpusError

HOST = "127.0.0.1"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: the terminal shows the address and nothing else."""


def make_server(folder: Path, port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``folder`` on ``127.0.0.1:port`` (port 0: any free port); call
    ``serve_forever()`` on it.

    Raises:
        NewscorpusError: E052 when the port cannot be bound (in use, or not allowed).
    """
    handler = partial(_QuietHandler, directory=str(folder))
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as err:
        raise NewscorpusError(
            "E052",
            f"cannot serve on {HOST}:{port}: {err.strerror}.",
            fix="Choose another port with --port N (or --port 0 for any free one).",
        ) from None
