"""The ``newscorpus`` console script: Ctrl-C and SIGTERM are handled before anything heavy is
imported.

Importing the CLI (click, then spaCy or ``datasets`` for some commands) takes a moment; an
interrupt then would print a traceback from deep inside an import, and SIGTERM would end the
process without a word. Until the CLI's own handling is in place, either exits at once with
status 130 and one line: nothing has been read or written yet. From then on both raise
:class:`KeyboardInterrupt` (see :mod:`newscorpus.signals`).
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType


def _quit(signum: int, frame: FrameType | None) -> None:
    sys.stderr.write("interrupted: nothing was changed\n")
    sys.stderr.flush()
    os._exit(130)


def run() -> None:
    """Run the CLI with a quiet interrupt during start-up."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _quit)
    from click.exceptions import Abort, ClickException

    from newscorpus.cli import main
    from newscorpus.signals import ignore_interrupts, raise_interrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_interrupt)
    # Not click's standalone mode: it turns an interrupt outside a command (while parsing
    # options, say) into "Aborted!" and status 1.
    try:
        code = main.main(standalone_mode=False)
    except (Abort, KeyboardInterrupt):
        _quit(signal.SIGINT, None)
    except ClickException as err:
        err.show()
        code = err.exit_code
    # The command has said how it ended: an interrupt while the interpreter shuts down must
    # not end it again with another status.
    ignore_interrupts()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
