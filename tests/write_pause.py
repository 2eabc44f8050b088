"""Pause a store writer inside its still-open write transaction, for the crash and concurrency tests.

The store has no test branch: :data:`forensics.store.batch_writes.before_commit` is a seam that
production leaves a no-op. :func:`install` replaces it in THIS process with a pause that creates
``flag`` (holding the pid) once every row is inserted and then sleeps ``seconds`` before the
commit, so a test can SIGKILL the writer at the worst moment or race a second writer against it.

Run as a script it pauses the CLI: ``python tests/write_pause.py FLAG SECONDS classify ...``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve()


def install(flag: str | Path, seconds: float = 600.0) -> None:
    from forensics.store import batch_writes

    def pause() -> None:
        Path(flag).write_text(str(os.getpid()))
        time.sleep(seconds)

    batch_writes.before_commit = pause


if __name__ == "__main__":
    install(sys.argv[1], float(sys.argv[2]))
    from forensics.cli import main

    main(sys.argv[3:])
