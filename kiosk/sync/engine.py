"""Ledger → backend sync (DESIGN section 5): the outbox is the events table itself.

:class:`Syncer` pushes events oldest first in batches and remembers the highest seq the
backend acknowledged (ledger meta ``sync.acked_through``). The backend is the authority:
on a ``sequence_gap`` (say its database was restored from a backup) the kiosk rewinds to
the backend's ``acked_through`` and sends again; duplicates are harmless there. With each
acknowledgement the backend names the hash it holds at ``acked_through``; the kiosk checks
it against its own chain and keeps it (meta ``sync.acked_hash``), so ``kiosk ledger verify
--upstream`` can later prove the synced part of the chain was not replaced.

:class:`SyncService` runs a Syncer plus the heartbeat on one background thread with a stop
event, exponential backoff with jitter on failure, and never touches the sale path: it
only reads events and writes one meta row per acknowledged batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from kiosk.errors import KioskError, LedgerError, UpstreamUnavailable
from kiosk.ledger.chain import GENESIS
from kiosk.ledger.store import ACKED_HASH_META, ACKED_META, Ledger
from kiosk.ports import DeviceHealth
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import PushResult, UpstreamClient, encode_batch
from kiosk.sync.errors import ChainMismatch, SequenceGap, SyncRejected

log = logging.getLogger(__name__)

__all__ = ["ACKED_HASH_META", "ACKED_META", "StatusProvider", "SyncReport", "SyncService", "Syncer",
           "devices_from_health", "service_from_settings", "start_background_sync"]
MAX_REWINDS = 3
BATCHES_PER_ROUND = 20  # then the service loop runs again, so heartbeats and stop stay prompt
MIN_FREE_DISK_BYTES = 200 * 1024 * 1024

#: Returns device health for the heartbeat, e.g. ``{"devices": {"reader": {"ok": True, ...}}}``.
StatusProvider = Callable[[], Mapping[str, Any]]


class Pusher(Protocol):
    """What a Syncer needs from the network (the real one is :class:`UpstreamClient`)."""

    def push_encoded(self, body: bytes) -> PushResult: ...


@dataclass(frozen=True)
class _Batch:
    after_seq: int
    first_seq: int
    last_seq: int
    count: int
    body: bytes
    last_hash: str


@dataclass(frozen=True)
class SyncReport:
    batches: int
    sent: int
    stored: int
    duplicates: int
    acked_through: int
    last_seq: int
    rewound: bool

    @property
    def unsynced(self) -> int:
        return max(self.last_seq - self.acked_through, 0)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "unsynced": self.unsynced}


def devices_from_health(healths: Iterable[DeviceHealth]) -> dict[str, Any]:
    """``DeviceHealth`` lines → the heartbeat's ``devices`` mapping."""
    return {h.name: {"ok": h.ok, "detail": h.detail, "advice": h.advice} for h in healths}


def disk_health(path: Path, min_free: int = MIN_FREE_DISK_BYTES) -> DeviceHealth:
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return DeviceHealth("disk", False, f"cannot stat {path}: {exc.strerror}", "check the data disk")
    free_mb = usage.free // (1024 * 1024)
    ok = usage.free >= min_free
    return DeviceHealth("disk", ok, f"{free_mb} MiB free", "" if ok else "free disk space or replace the disk",
                        {"free_bytes": usage.free, "total_bytes": usage.total})


class Syncer:
    """Pushes unacknowledged events; one call of :meth:`sync_once` at a time."""

    def __init__(self, ledger: Ledger, client: Pusher, *, batch_size: int = 500) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._ledger = ledger
        self._client = client
        self._batch_size = batch_size

    def acked(self) -> int:
        value = self._ledger.get_meta(ACKED_META)
        try:
            return int(value) if value else 0
        except ValueError as exc:
            raise LedgerError(f"ledger meta {ACKED_META} is not a number: {value!r}") from exc

    def unsynced(self) -> int:
        return max(self._ledger.last_seq() - self.acked(), 0)

    def _prepare(self, after_seq: int) -> _Batch | None:
        events = list(self._ledger.events(after_seq, self._batch_size))
        if not events:
            return None
        return _Batch(after_seq, events[0].seq, events[-1].seq, len(events), encode_batch(events), events[-1].hash)

    def _local_hash(self, seq: int) -> str:
        if seq == 0:
            return GENESIS
        digest = self._ledger.hash_at(seq)
        if digest is None:
            raise LedgerError(f"ledger has no event seq {seq}")
        return digest

    def _check_backend_hash(self, seq: int, local: str, theirs: str) -> None:
        if theirs and theirs != local:
            raise ChainMismatch(f"backend holds another event at seq {seq} than this ledger "
                                f"(backend {theirs[:12]}…, local {local[:12]}…): the local ledger or the "
                                "backend's copy was replaced; run `kiosk ledger verify --upstream`", seq=seq)

    def _store_position(self, acked: int, digest: str) -> None:
        self._ledger.set_metas({ACKED_META: str(acked), ACKED_HASH_META: digest})

    def sync_once(self, *, max_batches: int | None = None,
                  should_stop: Callable[[], bool] = lambda: False) -> SyncReport:
        """Send batches until caught up (or ``max_batches``); raises on the first failure,
        after keeping whatever was acknowledged before it.

        While one batch is in flight the next one is read and encoded on a helper thread,
        so the kiosk's share of the work overlaps the backend's."""
        batches = sent = stored = duplicates = rewinds = 0
        acked = self.acked()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-sync-read") as reader:
            batch = self._prepare(acked)
            while batch is not None and (max_batches is None or batches < max_batches) and not should_stop():
                ahead = reader.submit(self._prepare, batch.last_seq)
                try:
                    result = self._client.push_encoded(batch.body)
                except SequenceGap as gap:
                    ahead.cancel()
                    if gap.acked_through < acked and rewinds < MAX_REWINDS:
                        log.warning("backend has only seq ≤ %d; resending from there", gap.acked_through)
                        local = self._local_hash(gap.acked_through)
                        self._check_backend_hash(gap.acked_through, local, gap.acked_hash)
                        rewinds += 1
                        acked = gap.acked_through
                        self._store_position(acked, local)
                        batch = self._prepare(acked)
                        continue
                    raise
                except BaseException:
                    ahead.cancel()
                    raise
                batches += 1
                sent += batch.count
                stored += result.stored
                duplicates += result.duplicates
                # Never move past what was sent: a backend ahead of this ledger (a kiosk restored
                # from an old backup) must not make the kiosk skip events it has not sent.
                new_acked = min(result.acked_through, batch.last_seq)
                if new_acked > acked:
                    local = batch.last_hash if new_acked == batch.last_seq else self._local_hash(new_acked)
                    if new_acked == result.acked_through:
                        self._check_backend_hash(new_acked, local, result.acked_hash)
                    # else the backend holds more than this ledger sent; the batch's events were
                    # its duplicates, so it holds our hash at batch.last_seq.
                    self._store_position(new_acked, local)
                elif new_acked != acked:
                    self._store_position(new_acked, self._local_hash(new_acked))
                if new_acked <= acked:
                    ahead.cancel()
                    raise SyncRejected(f"backend acknowledged nothing of seq {batch.first_seq}.."
                                       f"{batch.last_seq}", status=200, error="no_progress")
                acked = new_acked
                batch = ahead.result() if new_acked == batch.last_seq else self._prepare(acked)
        return SyncReport(batches, sent, stored, duplicates, acked, self._ledger.last_seq(), rewinds > 0)


class SyncService:
    """Background sync and heartbeat. ``start()`` once; ``stop()`` is idempotent (or use ``with``)."""

    def __init__(
        self,
        ledger: Ledger,
        client: UpstreamClient,
        *,
        kiosk_id: str,
        data_dir: Path,
        batch_size: int = 500,
        sync_interval_s: float = 30.0,
        heartbeat_interval_s: float = 60.0,
        status_provider: StatusProvider | None = None,
        backoff: Backoff | None = None,
        owns_client: bool = True,
    ) -> None:
        self._ledger = ledger
        self._client = client
        self._owns_client = owns_client
        self.syncer = Syncer(ledger, client, batch_size=batch_size)
        self._kiosk_id = kiosk_id
        self._data_dir = data_dir
        self._sync_interval = sync_interval_s
        self._hb_interval = heartbeat_interval_s
        self._status_provider = status_provider
        self._backoff = backoff or Backoff(base_s=1.0, cap_s=max(sync_interval_s, 300.0))
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"last_success_at": None, "last_error": None, "failures": 0,
                                       "heartbeat_at": None, "heartbeat_error": None}
        self._stopped = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("SyncService already started")
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the thread (waits for an in-flight request up to its own timeout)."""
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("sync thread did not stop within %.0f s", timeout)
        if self._owns_client:
            self._client.close()

    close = stop

    def __enter__(self) -> SyncService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __del__(self) -> None:
        if self._thread is not None and not self._stopped:
            warnings.warn("SyncService was never stopped", ResourceWarning, stacklevel=1)

    def nudge(self) -> None:
        """Sync now (e.g. right after a transaction completed); returns at once."""
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """For diagnostics: last success, last error, consecutive failures."""
        with self._lock:
            return dict(self._state)

    # ------------------------------------------------------------------ work

    def heartbeat_status(self) -> dict[str, Any]:
        """The heartbeat body: device status plus what the ledger says about sync and attention."""
        extra: dict[str, Any] = {}
        if self._status_provider is not None:
            try:
                extra = dict(self._status_provider())
            except Exception as exc:  # a diagnostics bug must not stop heartbeats; it is reported
                log.exception("status provider failed")
                extra = {"status_error": f"{exc.__class__.__name__}: {exc}"}
        devices = dict(extra.pop("devices", {}) or {})
        if "disk" not in devices:
            devices.update(devices_from_health([disk_health(self._data_dir)]))
        last_seq = self._ledger.last_seq()
        acked = self.syncer.acked()
        needs_attention = sum(1 for _ in self._ledger.transactions(states={"needs_attention"}))
        with self._lock:
            sync_state = {"last_success_at": self._state["last_success_at"],
                          "last_error": self._state["last_error"], "failures": self._state["failures"]}
        return {
            **extra,
            "kiosk_id": self._kiosk_id,
            "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "devices": devices,
            "last_seq": last_seq,
            "acked_through": acked,
            "unsynced_events": max(last_seq - acked, 0),
            "needs_attention": needs_attention,
            "sync": sync_state,
        }

    def send_heartbeat(self) -> None:
        body = self.heartbeat_status()
        self._client.heartbeat(body)
        with self._lock:
            self._state["heartbeat_at"] = body["at"]
            self._state["heartbeat_error"] = None

    def _run(self) -> None:
        next_sync = next_hb = time.monotonic()
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_hb:
                self._do_heartbeat()
                next_hb = time.monotonic() + self._hb_interval
            if self._wake.is_set() or now >= next_sync:
                self._wake.clear()
                next_sync = time.monotonic() + self._do_sync()
            if self._stopping.is_set():
                break
            self._wake.wait(max(0.0, min(next_sync, next_hb) - time.monotonic()))

    def _do_sync(self) -> float:
        """One round; returns the delay before the next one."""
        try:
            report = self.syncer.sync_once(max_batches=BATCHES_PER_ROUND, should_stop=self._stopping.is_set)
        except (UpstreamUnavailable, SyncRejected, LedgerError) as exc:
            delay = self._backoff.failed()
            if isinstance(exc, SyncRejected):
                delay = max(delay, self._sync_interval)
            level = logging.WARNING if isinstance(exc, UpstreamUnavailable) else logging.ERROR
            log.log(level, "sync failed (retry in %.1f s): %s", delay, exc, extra={"error_code": exc.code})
            self._record_failure(exc)
            return delay
        except Exception as exc:  # the thread must survive a bug; it is logged and reported
            log.exception("sync crashed; retrying")
            self._record_failure(KioskError(f"{exc.__class__.__name__}: {exc}", code="sync_crashed"))
            return self._backoff.failed()
        self._backoff.succeeded()
        with self._lock:
            self._state.update(last_success_at=dt.datetime.now(dt.UTC).isoformat(), last_error=None,
                               failures=0, **report.as_dict())
        if report.batches >= BATCHES_PER_ROUND and report.unsynced:
            return 0.0  # more backlog: next round at once
        return self._sync_interval

    def _record_failure(self, exc: KioskError) -> None:
        with self._lock:
            self._state["last_error"] = {"error": exc.code, "message": exc.message}
            self._state["failures"] += 1

    def _do_heartbeat(self) -> None:
        try:
            self.send_heartbeat()
        except (KioskError, OSError) as exc:
            log.warning("heartbeat failed: %s", exc)
            with self._lock:
                self._state["heartbeat_error"] = str(exc)
        except Exception as exc:  # the thread must survive a bug; it is logged and reported
            log.exception("heartbeat crashed")
            with self._lock:
                self._state["heartbeat_error"] = f"{exc.__class__.__name__}: {exc}"


def start_background_sync(
    settings: Any,
    ledger: Ledger,
    data_dir: Path,
    status_provider: StatusProvider | None = None,
) -> SyncService | None:
    """For ``kiosk run``: a started service, or ``None`` when ``[upstream] url`` is empty."""
    service = service_from_settings(settings, ledger, data_dir, status_provider)
    if service is not None:
        service.start()
    return service


def service_from_settings(
    settings: Any,
    ledger: Ledger,
    data_dir: Path,
    status_provider: StatusProvider | None = None,
) -> SyncService | None:
    from kiosk.config import read_secret

    up = settings.upstream
    if not up.url:
        return None
    client = UpstreamClient(up.url, settings.kiosk.id, read_secret(up.secret_file), timeout_s=up.timeout_s)
    return SyncService(ledger, client, kiosk_id=settings.kiosk.id, data_dir=data_dir, batch_size=up.batch_size,
                       sync_interval_s=up.sync_interval_s, heartbeat_interval_s=up.heartbeat_interval_s,
                       status_provider=status_provider)
