"""One owner per data directory: exclusive ``flock`` locks on files inside it.

``odyssey up`` holds ``odyssey.lock`` (one launcher per data directory),
storage holds ``storage.lock`` (one writer of the LMDB environment) and a
broker serving an ipc endpoint inside the directory holds ``broker.lock``.
The kernel releases a lock when its process dies, however it dies, so a
lock file left behind by a killed cluster is never in the way: the next
start takes it, and then knows that sockets and ``run.json`` in the
directory are stale. A lock file holds who took it (pid, what, port, since),
for the message a second start prints.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path


class DataDirInUse(RuntimeError):
    """The lock is held by a live process; ``holder`` is what it wrote (may be empty)."""

    def __init__(self, path: Path, holder: dict) -> None:
        self.path = path
        self.holder = holder
        super().__init__(str(path))


class DataDirLock:
    """An exclusive lock on ``path``, held until ``release`` or the end of the process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.fd: int | None = None

    def acquire(self, **about) -> "DataDirLock":
        """Take the lock without waiting and write ``about`` (and our pid) into the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(fd)
            os.close(fd)
            raise DataDirInUse(self.path, holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "since": time.strftime("%H:%M:%S"), **about}).encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the only descriptor releases the flock
            self.fd = None


def read_holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}


def held(path: Path) -> dict | None:
    """What holds the lock at ``path`` (a dict), or None when nobody does."""
    try:
        lock = DataDirLock(path).acquire()
    except DataDirInUse as busy:
        return busy.holder
    except OSError:
        return None
    lock.release()
    return None


def in_use_message(data_dir: Path, holder: dict) -> str:
    """The one line a second start prints."""
    pid = holder.get("pid", "?")
    what = holder.get("what", "another odyssey process")
    port = f", port {holder['port']}" if holder.get("port") else ""
    since = f", since {holder['since']}" if holder.get("since") else ""
    return (f"the data directory {data_dir} is in use by {what} (pid {pid}{port}{since}); "
            f"see `odyssey status --data-dir {data_dir}`, and stop it with Ctrl-C in its terminal "
            f"or `kill -TERM {pid}`")
