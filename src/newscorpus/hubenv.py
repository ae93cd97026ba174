"""The Hub's address from ``HF_ENDPOINT``, checked before ``huggingface_hub`` reads it.

``huggingface_hub`` parses ``HF_ENDPOINT`` when it is imported, and ``datasets`` imports it, so
a value that is no URL (``http://[::1``, a port above 65535) stopped ``build`` and ``publish``
with a traceback before any of their own code ran. The commands that load those libraries call
:func:`check_endpoint` first.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from newscorpus.errors import NewscorpusError

ENDPOINT_VARIABLE = "HF_ENDPOINT"


def check_endpoint() -> None:
    """Refuse an ``HF_ENDPOINT`` that is set but is not an http(s) URL with a host.

    Raises:
        NewscorpusError: E407 naming the value and what is wrong with it.
    """
    value = os.environ.get(ENDPOINT_VARIABLE, "")
    if not value:
        return
    try:
        parts = urlsplit(value)
        problem = None
        if parts.scheme not in ("http", "https"):
            problem = "it does not start with http:// or https://"
        elif not parts.hostname:
            problem = "it names no host"
        else:
            parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError as err:
        problem = str(err)
    if problem is not None:
        raise NewscorpusError(
            "E407",
            f"{ENDPOINT_VARIABLE} is {value!r}, which is not the address of a Hub ({problem}).",
            fix=f"Set {ENDPOINT_VARIABLE} to the Hub's URL (https://huggingface.co when unset), "
            "or unset it.",
        )
