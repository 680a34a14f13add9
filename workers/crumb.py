"""The breadcrumb: what a map worker is doing right now, in a file that outlives its process.

Before each command and each script hook the worker writes into a small
memory-mapped file (``<data_dir>/run/<name>.crumb``) which map and command it
handles and which script hook it runs — a few bytes into shared memory, no
system call. If the process dies in the middle (a segfault, a C call that
never returns and is ended by the watchdog), the page is still in the
kernel's cache: its guardian (``workers.guardian``) reads it and tells the
broker which command and which script ended the worker, so that script is
quarantined and that command is not replayed to the next owner of the map.
"""
from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path

# incarnation, map_id, seq, in_hook, command token, script, function
_LAYOUT = struct.Struct("<16sqqB16s64s64s")
SIZE = _LAYOUT.size
_NO_MAP = -(2**63)


STOPPED = "STOPPED"  # the worker ended cleanly: its guardian reports nothing
IDLE = ""  # between commands


def crumb_path(data_dir: Path, name: str) -> Path:
    return data_dir / "run" / f"{name}.crumb"


@dataclass(frozen=True, slots=True)
class Crumb:
    """What the crumb file said when it was read."""
    incarnation: str
    map_id: int | None
    seq: int
    token: str
    script: str
    function: str  # "" when no hook was running

    def to_wire(self) -> list:
        """As the CRASHED command carries it (cluster.wire)."""
        return [self.incarnation, self.map_id, self.seq, self.token, self.script, self.function]


class CrumbWriter:
    """The worker's side: cheap writes into the mapped file (``scripting.hooks`` calls ``entered``/``left``)."""

    def __init__(self, path: Path, incarnation: str) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        os.ftruncate(fd, SIZE)
        self.map = mmap.mmap(fd, SIZE)
        os.close(fd)
        self.incarnation = incarnation.encode()[:16]
        self.map_id, self.seq, self.token = _NO_MAP, 0, b""
        self._write(b"", b"", False)

    def handling(self, token: str, map_id: int | None, seq: int = 0) -> None:
        """The loop is about to handle this command (map commands carry their map and sequence)."""
        self.map_id = _NO_MAP if map_id is None else map_id
        self.seq, self.token = seq, token.encode()[:16]
        self._write(b"", b"", False)

    def idle(self) -> None:
        """Between commands (waiting for the broker): a death now ends no command."""
        if self.token:
            self.handling(IDLE, None)

    def stopped(self) -> None:
        self.handling(STOPPED, None)

    def entered(self, script: str, function: str) -> None:
        self._write(script.encode()[:64], function.encode()[:64], True)

    def left(self) -> None:
        self._write(b"", b"", False)

    def _write(self, script: bytes, function: bytes, in_hook: bool) -> None:
        _LAYOUT.pack_into(self.map, 0, self.incarnation, self.map_id, self.seq, in_hook, self.token, script, function)

    def close(self) -> None:
        self.map.close()


def read_crumb(path: Path) -> Crumb | None:
    """The guardian's side: the crumb a dead worker left, or None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if len(data) < SIZE:
        return None
    incarnation, map_id, seq, in_hook, token, script, function = _LAYOUT.unpack_from(data)

    def text(raw: bytes) -> str:
        return raw.rstrip(b"\0").decode("utf-8", "replace")
    return Crumb(text(incarnation), None if map_id == _NO_MAP else map_id, seq, text(token),
                 text(script) if in_hook else "", text(function) if in_hook else "")
