"""``kiosk sync [--once] [--json]``: push the ledger to the backend now.

``--once`` sends everything not yet acknowledged plus one heartbeat, then reports;
without it the command runs the background service in the foreground (the same one
``kiosk run`` starts) until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

from kiosk.cli import EXIT_OK, CliContext, summary
from kiosk.config import read_secret
from kiosk.errors import ConfigError, KioskError

if TYPE_CHECKING:  # imported in the command: parser building stays cheap
    from kiosk.ledger import Ledger
    from kiosk.sync import SyncService


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("sync", parents=[parent], help=summary("sync"))
    p.add_argument("--once", action="store_true", help="send what is pending, then exit")
    p.set_defaults(func=cmd_sync)


def _service(ctx: CliContext, ledger: Ledger) -> SyncService:
    from kiosk.sync import SyncService, UpstreamClient

    up = ctx.settings.upstream
    if not up.url:
        raise ConfigError("[upstream] url is empty: nothing to sync to")
    client = UpstreamClient(up.url, ctx.settings.kiosk.id, read_secret(up.secret_file), timeout_s=up.timeout_s)
    return SyncService(ledger, client, kiosk_id=ctx.settings.kiosk.id, data_dir=ctx.data_dir,
                       batch_size=up.batch_size, sync_interval_s=up.sync_interval_s,
                       heartbeat_interval_s=up.heartbeat_interval_s)


def cmd_sync(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.ledger import Ledger

    with Ledger.open(ctx.settings.ledger.url, ctx.data_dir) as ledger:
        service = _service(ctx, ledger)
        try:
            if args.once:
                return _once(ctx, service)
            return _forever(ctx, service)
        finally:
            service.stop()


def _once(ctx: CliContext, service: SyncService) -> int:
    report = service.syncer.sync_once()
    out: dict[str, Any] = report.as_dict()
    try:
        service.send_heartbeat()
        out["heartbeat"] = True
    except KioskError as exc:
        out["heartbeat"] = False
        out["heartbeat_error"] = exc.as_json()
    text = (f"sent {report.sent} events in {report.batches} batches; backend has seq ≤ {report.acked_through} "
            f"of {report.last_seq}; {report.unsynced} unsynced; heartbeat "
            + ("sent" if out["heartbeat"] else f"failed: {out['heartbeat_error']['message']}"))
    ctx.emit(out, text)
    return EXIT_OK


def _forever(ctx: CliContext, service: SyncService) -> int:
    done = threading.Event()

    def _on_term(_sig: int, _frame: FrameType | None) -> None:
        done.set()

    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        service.start()
        try:
            while not done.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    service.stop()
    status = service.status()
    ctx.emit(status, f"stopped; last error: {status['last_error']}" if status["last_error"] else "stopped")
    return EXIT_OK
