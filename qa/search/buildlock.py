"""One build at a time per index folder: an exclusive ``fcntl.flock`` on ``<index>/.build.lock``.

A second build into the same folder waits (saying so once on stderr) and gives up with a message
after ``wait`` seconds. The lock file is never removed: removing it would let two builds hold locks
on two different files. Loading an index takes no lock, so a read-only index folder still serves.
"""

from __future__ import annotations

import fcntl
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from qa.settings import DEFAULT_BUILD_WAIT, settings

LOCK_FILE = ".build.lock"
DEFAULT_WAIT = DEFAULT_BUILD_WAIT  # seconds (600); $QA_BUILD_WAIT overrides it
POLL = 0.1  # seconds between attempts while waiting


class BuildBusy(TimeoutError):
    """Another build held the lock for longer than we were willing to wait."""


def build_wait() -> float:
    """How long a build waits for another one: ``$QA_BUILD_WAIT`` seconds, else the default (read at call time)."""
    return settings().build_wait


def _try_lock(f: IO[bytes]) -> bool:
    """Take the exclusive lock on ``f`` if it is free."""
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def build_lock(folder: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the build lock of ``folder`` for the ``with`` block, waiting up to ``wait`` seconds for it."""
    wait = build_wait() if wait is None else wait
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "ab") as f:  # append mode: opening never truncates or replaces the file
        if not _try_lock(f):
            print(f"qa: waiting for another build of {folder}…", file=sys.stderr, flush=True)
            deadline = time.monotonic() + wait
            while not _try_lock(f):
                if time.monotonic() >= deadline:
                    raise BuildBusy(
                        f"another build of {folder} still holds {LOCK_FILE} after {wait:g}s "
                        "(set QA_BUILD_WAIT to wait longer)"
                    )
                time.sleep(POLL)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
