"""Kiosk → backend sync end to end: real uvicorn, real PostgreSQL, real SQLite ledgers."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiosk.ledger import Ledger
from kiosk.sync import ACKED_META, Syncer, SyncService, UpstreamClient
from kiosk.sync.backoff import Backoff
from tests.backend.harness import BackendProcess, bulk_ledger

pytestmark = pytest.mark.postgres


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_backend_killed_mid_run_and_restarted_loses_nothing_and_stores_no_duplicate(
        pg_backend: BackendProcess, data_dir: Path) -> None:
    secret = pg_backend.add_kiosk("KIOSK-RESTART")
    bulk_ledger(data_dir, 10_000)
    fast = Backoff(base_s=0.05, cap_s=0.3)
    with Ledger.open("", data_dir) as ledger:
        acked = lambda: int(ledger.get_meta(ACKED_META) or 0)  # noqa: E731
        client = UpstreamClient(pg_backend.base_url, "KIOSK-RESTART", secret, timeout_s=5)
        with SyncService(ledger, client, kiosk_id="KIOSK-RESTART", data_dir=data_dir, batch_size=100,
                         sync_interval_s=0.05, heartbeat_interval_s=3600, backoff=fast) as service:
            service.start()
            _wait_for(lambda: acked() >= 1500)
            pg_backend.kill()
            at_kill = acked()
            assert at_kill < 10_000, "the run must still be going when the backend dies"
            # Sales go on while the backend is down: appending is never blocked by sync.
            for i in range(30):
                ledger.append("txn.created", {"state": "created", "amount_cents": 100 + i, "currency": "USD"},
                              txn_id=f"offline-{i}")
            time.sleep(0.3)  # a few failed rounds with backoff
            assert service.status()["failures"] >= 1
            pg_backend.start()
            _wait_for(lambda: acked() == 10_030)
        ours = [(e.seq, e.hash) for e in ledger.events()]
    with pg_backend.store() as store:
        theirs = [(e["seq"], e["hash"]) for e in store.stored_events("KIOSK-RESTART")]
        assert store.kiosk_state("KIOSK-RESTART")[0] == 10_030
    assert theirs == ours  # every seq once, nothing lost, nothing twice


def test_forty_kiosks_syncing_at_once_store_every_event_once(pg_backend: BackendProcess, tmp_path: Path) -> None:
    kiosks = [f"FLEET-{i:02d}" for i in range(40)]
    secrets = {k: pg_backend.add_kiosk(k, f"Mall {i}") for i, k in enumerate(kiosks)}
    sizes = {k: 150 + 7 * i for i, k in enumerate(kiosks)}
    for k in kiosks:
        bulk_ledger(tmp_path / k, sizes[k], kiosk_tag=k)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(kiosks) + 5)

    def run(kiosk: str) -> None:
        try:
            with Ledger.open("", tmp_path / kiosk) as ledger, \
                    UpstreamClient(pg_backend.base_url, kiosk, secrets[kiosk], timeout_s=60) as client:
                barrier.wait()
                Syncer(ledger, client, batch_size=40).sync_once()
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    # five kiosks get a second syncer at the same time (e.g. `kiosk sync` next to `kiosk run`)
    threads = [threading.Thread(target=run, args=(k,)) for k in kiosks + kiosks[:5]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    with pg_backend.store() as store:
        for k in kiosks:
            seqs = [e["seq"] for e in store.stored_events(k)]
            assert seqs == list(range(1, sizes[k] + 1)), k
            assert store.kiosk_state(k)[0] == sizes[k]
