"""Who may act: one owner per open transaction, one user of the payment terminal at a time.

The rule (docs/money.md, "Ownership"): a process journals a state of a transaction,
or executes the command that state names, only while it holds that transaction's
*lease*; it talks to the payment terminal only while it holds the terminal's *lock*.
Both are locks the operating system (or PostgreSQL) drops when the holder dies,
SIGKILL and power cut included, so a live owner's transactions are never touched by
anybody else and a dead owner's are taken over at once: no timeouts, no heartbeats,
nothing to clean up.

Where the locks live follows the ledger:

* SQLite ledger (one machine): ``flock(2)`` locks on files in ``<data_dir>/locks/``,
  ``txn-<id>.lock`` per transaction. A file is removed by its holder on release; a
  waiter that finds its file gone (or replaced) tries again.
* PostgreSQL ledger (one or several machines): transaction leases are session-level
  advisory locks (``pg_try_advisory_lock``) held on one dedicated connection per
  process, so every process on every machine sharing the ledger sees them, and
  PostgreSQL releases them when that session ends. A lost connection loses the
  leases, so the shell checks its lease (:meth:`Lease.check`) before each step and
  stops (the transaction stays open for its next owner) when it is gone.

The terminal lock is always a file lock in the data directory, keyed by the
terminal's identity (backend and port): the device hangs off this machine. It is
re-entrant within a thread (a sale holds it while it settles earlier transactions)
and exclusive between threads and between processes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from kiosk.config import Settings, TerminalSection
from kiosk.errors import KioskError, TerminalUnavailable

log = logging.getLogger(__name__)

LOCK_DIR = "locks"
_POLL_S = 0.05
_PG_NAMESPACE = b"simkiosk-txn:"


class LeaseLost(KioskError):
    """This process no longer owns the transaction (its PostgreSQL session ended)."""

    code = "lease_lost"


class LockError(KioskError):
    """A lock file cannot be created or locked (permissions, a full disk)."""

    code = "lock_error"


class TerminalBusy(TerminalUnavailable):
    """Another sale (or recovery) holds the payment terminal; nothing was charged."""

    code = "terminal_busy"


def _holder_text() -> str:
    argv = " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv[:4]))
    return f"pid {os.getpid()} ({argv})" if argv else f"pid {os.getpid()}"


class FileLock:
    """An exclusive ``flock`` on one file; the kernel drops it when the process dies.

    Each acquisition opens its own file description, so two threads of one process
    exclude each other like two processes do. The holder removes the file on release;
    whoever locked a file that is no longer the one at the path starts over.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait_s: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait_s`` (0: try once); False when it stays busy."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this object")
        give_up = time.monotonic() + max(wait_s, 0.0)
        while True:
            try:
                fd = self._try_once()
            except OSError as exc:
                raise LockError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
            if fd is not None:
                self._fd = fd
                with contextlib.suppress(OSError):  # who holds it, for the next one's message
                    os.ftruncate(fd, 0)
                    os.write(fd, (_holder_text() + "\n").encode("utf-8", "replace"))
                return True
            if time.monotonic() >= give_up:
                return False
            time.sleep(_POLL_S)

    def _try_once(self) -> int | None:
        for _ in range(5):  # a holder that just released removed the file: lock the new one
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except PermissionError:  # left by another user's killed process: flock needs no write access
                fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    return None
                raise
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return fd
            os.close(fd)
        return None

    def release(self) -> None:
        """Remove the file (while still holding it), then unlock; idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        finally:
            os.close(fd)  # closing the last descriptor drops the flock

    def holder(self) -> str:
        """Who holds the lock, as the holder wrote it (best effort, for messages)."""
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""


# --------------------------------------------------------------------------- transaction leases


class Lease(Protocol):
    txn_id: str

    def check(self) -> None:
        """Raise :class:`LeaseLost` when the lease is no longer held."""
        ...

    def release(self) -> None: ...


class Leases(Protocol):
    """Per-transaction ownership; ``acquire`` never waits (a held lease means a live owner)."""

    def acquire(self, txn_id: str) -> Lease | None: ...

    def close(self) -> None: ...


class _LocalLease:
    def __init__(self, owner: LocalLeases, txn_id: str) -> None:
        self.owner, self.txn_id = owner, txn_id
        self._released = False

    def check(self) -> None:
        if self._released:
            raise LeaseLost(f"transaction {self.txn_id}: lease already released")

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.owner._drop(self.txn_id)


class LocalLeases:
    """Leases within this process only (tests, tools without a data directory)."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._mutex = threading.Lock()

    def acquire(self, txn_id: str) -> _LocalLease | None:
        with self._mutex:
            if txn_id in self._held:
                return None
            self._held.add(txn_id)
        return _LocalLease(self, txn_id)

    def _drop(self, txn_id: str) -> None:
        with self._mutex:
            self._held.discard(txn_id)

    def close(self) -> None:
        pass


_TXN_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class _FileLease:
    def __init__(self, lock: FileLock, txn_id: str) -> None:
        self.lock, self.txn_id = lock, txn_id

    def check(self) -> None:
        if not self.lock.held:
            raise LeaseLost(f"transaction {self.txn_id}: lease already released")

    def release(self) -> None:
        self.lock.release()


class FileLeases:
    """Leases as ``flock`` files in ``directory`` (SQLite ledger: one machine)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def path(self, txn_id: str) -> Path:
        """``txn-<id>.lock``; an id that is not a plain file name is hashed (never a path)."""
        if not _TXN_ID.fullmatch(txn_id) or txn_id.startswith("."):
            txn_id = "h-" + hashlib.sha256(txn_id.encode()).hexdigest()[:40]
        return self.dir / f"txn-{txn_id}.lock"

    def acquire(self, txn_id: str) -> _FileLease | None:
        lock = FileLock(self.path(txn_id))
        return _FileLease(lock, txn_id) if lock.acquire(0.0) else None

    def close(self) -> None:
        pass


def pg_lease_key(txn_id: str) -> int:
    """The advisory lock key of a transaction: 63 bits of SHA-256, signed like ``bigint``."""
    return int.from_bytes(hashlib.sha256(_PG_NAMESPACE + txn_id.encode()).digest()[:8], "big", signed=True)


class _PgLease:
    def __init__(self, owner: PgLeases, txn_id: str) -> None:
        self.owner, self.txn_id = owner, txn_id
        self._released = False

    def check(self) -> None:
        if self._released:
            raise LeaseLost(f"transaction {self.txn_id}: lease already released")
        self.owner._check(self.txn_id)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.owner._release(self.txn_id)


class PgLeases:
    """Leases as PostgreSQL session advisory locks on one connection of this process.

    Exclusive between processes and machines through PostgreSQL, between threads of
    this process through the set of held ids (advisory locks are re-entrant within
    one session, so the session alone would let two threads in). When the session
    fails, every lease it held is lost (:meth:`Lease.check` says so); new leases
    take a new session.
    """

    def __init__(self, url: str, *, connect_timeout_s: float = 10.0) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._conn: Any = None
        self._held: set[str] = set()
        self._lost: set[str] = set()
        self._mutex = threading.Lock()

    def _connection(self) -> Any:
        if self._conn is None:
            import psycopg

            conninfo = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", self.url)
            try:
                self._conn = psycopg.connect(conninfo, autocommit=True,
                                             connect_timeout=max(1, int(self.connect_timeout_s)),
                                             application_name="simkiosk-lease")
            except psycopg.Error as exc:
                raise LeaseLost(f"cannot open the lease session on the ledger database: {exc}") from exc
        return self._conn

    def _query(self, sql: str, key: int) -> Any:
        """One statement on the lease session (caller holds ``_mutex``)."""
        import psycopg

        try:
            row = self._connection().execute(sql, (key,)).fetchone()
        except psycopg.Error as exc:
            conn, self._conn = self._conn, None
            self._lost |= self._held  # the session is gone, and every lock it held with it
            self._held.clear()
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            raise LeaseLost(f"the lease session on the ledger database failed: {exc}") from exc
        return row[0] if row else None

    def acquire(self, txn_id: str) -> _PgLease | None:
        with self._mutex:
            if txn_id in self._held:
                return None
            if not self._query("SELECT pg_try_advisory_lock(%s)", pg_lease_key(txn_id)):
                return None
            self._held.add(txn_id)
            self._lost.discard(txn_id)
        return _PgLease(self, txn_id)

    def _check(self, txn_id: str) -> None:
        with self._mutex:
            if txn_id not in self._held:
                raise LeaseLost(f"transaction {txn_id}: the lease is no longer held")
            self._query("SELECT %s::bigint IS NOT NULL", pg_lease_key(txn_id))

    def _release(self, txn_id: str) -> None:
        with self._mutex:
            self._lost.discard(txn_id)
            if txn_id not in self._held:
                return
            self._held.discard(txn_id)
            try:
                self._query("SELECT pg_advisory_unlock(%s)", pg_lease_key(txn_id))
            except LeaseLost as exc:  # the session is gone: so is the lock
                log.warning("releasing the lease of %s: %s", txn_id, exc)

    def close(self) -> None:
        with self._mutex:
            conn, self._conn = self._conn, None
            self._held.clear()
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


# --------------------------------------------------------------------------- the terminal lock


def terminal_identity(terminal: TerminalSection) -> str:
    """What names "the same terminal" to every process: backend and port."""
    if terminal.backend != "zvt":
        return terminal.backend
    port = terminal.port
    if "://" not in port and port:  # a device path: normalise, but keep symlinks as named
        port = os.path.abspath(port)
    return f"zvt:{port}"


class TerminalLock:
    """Exclusive use of one payment terminal; re-entrant within the holding thread."""

    def __init__(self, identity: str, directory: Path | None) -> None:
        self.identity = identity
        digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
        self._file = FileLock(directory / f"terminal-{digest}.lock") if directory is not None else None
        self._mutex = threading.Lock()  # between this process's threads
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, wait_s: float) -> None:
        """Hold the terminal, waiting up to ``wait_s``; :class:`TerminalBusy` names the holder."""
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return
        give_up = time.monotonic() + max(wait_s, 0.0)
        if not self._mutex.acquire(timeout=max(wait_s, 0.0)):
            raise TerminalBusy(f"the payment terminal is in use by another sale in this process "
                               f"(waited {wait_s:g} s)")
        try:
            if self._file is not None and not self._file.acquire(max(give_up - time.monotonic(), 0.0)):
                holder = self._file.holder()
                raise TerminalBusy(f"the payment terminal is in use by another process"
                                   f"{' (' + holder + ')' if holder else ''}; waited {wait_s:g} s")
        except BaseException:
            self._mutex.release()
            raise
        self._owner, self._depth = me, 1

    def release(self) -> None:
        if self._owner != threading.get_ident():
            raise RuntimeError("the terminal lock is not held by this thread")
        self._depth -= 1
        if self._depth:
            return
        self._owner = None
        try:
            if self._file is not None:
                self._file.release()
        finally:
            self._mutex.release()

    @contextlib.contextmanager
    def hold(self, wait_s: float) -> Iterator[None]:
        self.acquire(wait_s)
        try:
            yield
        finally:
            self.release()

    @property
    def held_here(self) -> bool:
        return self._owner == threading.get_ident()


# --------------------------------------------------------------------------- bundle


class Ownership:
    """The leases and the terminal lock one process uses (see the module docstring)."""

    def __init__(self, leases: Leases, terminal: TerminalLock, *, wait_s: float) -> None:
        self.leases = leases
        self.terminal = terminal
        self.wait_s = wait_s

    @classmethod
    def local(cls, *, wait_s: float = 5.0, identity: str = "local") -> Ownership:
        """In-process only: for tests and tools that run without a data directory."""
        return cls(LocalLeases(), TerminalLock(identity, None), wait_s=wait_s)

    @classmethod
    def for_kiosk(cls, settings: Settings, data_dir: Path) -> Ownership:
        """File locks in ``<data_dir>/locks``; advisory locks when the ledger is PostgreSQL."""
        directory = data_dir / LOCK_DIR
        url = settings.ledger.url
        leases: Leases = PgLeases(url) if url.startswith("postgres") else FileLeases(directory)
        terminal = TerminalLock(terminal_identity(settings.terminal), directory)
        return cls(leases, terminal, wait_s=settings.terminal.lock_wait_s)

    def close(self) -> None:
        self.leases.close()
