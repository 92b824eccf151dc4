"""State a terminal driver keeps in the data directory, shared safely between processes.

The kiosk and a technician's ``kiosk terminal ...`` may run at the same time on
the same data directory, so every read-modify-append happens under an exclusive
``flock`` on the file, and every append is fsync'ed before the caller goes on
(the driver records a status *before* it acknowledges it to the terminal).
Without a path (tests, a one-off CLI without data directory) everything stays
in memory with the same semantics.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kiosk.errors import PaymentError

log = logging.getLogger(__name__)

Record = dict[str, Any]


class StateFileError(PaymentError):
    """The driver's state file cannot be read or written (disk full, permissions)."""

    code = "terminal_state_error"


class LockedJournal:
    """Append-only JSON lines; ``append`` computes its records from the current ones under lock.

    ``keep``: when the file holds more than twice this many lines it is rewritten
    with the newest ``keep`` (atomically, under the same lock).
    """

    def __init__(self, path: Path | None, *, keep: int = 5000) -> None:
        self.path = path
        self.keep = keep
        self._memory: list[Record] = []
        self._lock = threading.Lock()
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StateFileError(f"cannot create {path.parent}: {exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int | None]:
        with self._lock:
            if self.path is None:
                yield None
                return
            while True:
                try:
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
                except OSError as exc:
                    raise StateFileError(f"cannot open {self.path}: {exc}") from exc
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                    if os.fstat(fd).st_ino == os.stat(self.path).st_ino:
                        break  # not replaced by a compaction while we waited
                except OSError as exc:
                    os.close(fd)
                    raise StateFileError(f"cannot lock {self.path}: {exc}") from exc
                os.close(fd)
            try:
                yield fd
            finally:
                os.close(fd)  # releases the lock

    def _read_fd(self, fd: int | None) -> list[Record]:
        if fd is None:
            return list(self._memory)
        size = os.fstat(fd).st_size
        data = os.pread(fd, size, 0) if size else b""
        out: list[Record] = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line after a crash
            if isinstance(value, dict):
                out.append(value)
        return out

    def read(self) -> list[Record]:
        with self._locked() as fd:
            return self._read_fd(fd)

    def append(self, make: Callable[[list[Record]], list[Record]]) -> list[Record]:
        """``make(current records)`` -> records to append; all under one lock, fsync'ed."""
        with self._locked() as fd:
            current = self._read_fd(fd)
            new = make(current)
            if not new:
                return new
            if fd is None:
                self._memory.extend(new)
                if len(self._memory) > 2 * self.keep:
                    del self._memory[: len(self._memory) - self.keep]
                return new
            text = "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in new)
            try:
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
                if len(current) + len(new) > 2 * self.keep:
                    self._compact(current + new)
            except OSError as exc:
                raise StateFileError(f"cannot write {self.path}: {exc}") from exc
            return new

    def _compact(self, records: list[Record]) -> None:
        assert self.path is not None
        tmp = self.path.with_name(self.path.name + ".tmp")
        keep = records[-self.keep :]
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, sort_keys=True, default=str) + "\n" for r in keep)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)  # the lock holder's fd now points at the old inode: fine


def read_json(path: Path | None) -> Record | None:
    """A small JSON state file, or ``None`` when absent or unreadable (it is only a cache)."""
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, json.JSONDecodeError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path | None, value: Record) -> None:
    """Replace a small JSON state file atomically (write, fsync, rename)."""
    if path is None:
        return
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(value, fh, sort_keys=True, default=str)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise StateFileError(f"cannot write {path}: {exc}") from exc
