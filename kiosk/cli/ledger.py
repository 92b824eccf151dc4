"""``kiosk ledger export|verify|backup``: operators' view of the journal."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.ledger import Ledger

# The ledger (SQLAlchemy, Alembic) is imported inside the commands: building the
# parser must stay cheap for every other subcommand.
FORMATS = ("csv", "jsonl")


def open_ledger(ctx: CliContext) -> Ledger:
    from kiosk.ledger import Ledger

    return Ledger.open(ctx.settings.ledger.url, ctx.data_dir)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    ledger = subparsers.add_parser("ledger", parents=[parent], help=summary("ledger"))
    sub = ledger.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)

    export = sub.add_parser("export", parents=[parent], help="transactions (or raw events) as CSV or JSON lines")
    export.add_argument("--since", help="ISO date/time, inclusive (UTC unless an offset is given)")
    export.add_argument("--until", help="ISO date/time, exclusive")
    export.add_argument("--format", choices=FORMATS, default="csv")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument("--unmask", action="store_true", help="show full phone numbers and ICCIDs")
    export.add_argument("--events", action="store_true", help="raw events with seq and hash")
    export.set_defaults(func=cmd_export)

    check = sub.add_parser("verify", parents=[parent], help="walk the hash chain; exit 1 naming the first bad seq")
    check.set_defaults(func=cmd_verify)

    backup = sub.add_parser("backup", parents=[parent], help="consistent copy of the SQLite ledger")
    backup.add_argument("dest", help="backup file to write")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", parents=[parent],
                             help="replace the SQLite ledger with a verified backup (stop the kiosk first)")
    restore.add_argument("source", help="backup file made by 'kiosk ledger backup'")
    restore.set_defaults(func=cmd_restore)

    rebuild = sub.add_parser("rebuild", parents=[parent], help="recompute the transactions table from the events")
    rebuild.set_defaults(func=cmd_rebuild)


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.ledger.export import (
        EVENT_COLUMNS,
        TRANSACTION_COLUMNS,
        event_rows,
        parse_time,
        transaction_rows,
        write_export,
    )

    since, until = parse_time(args.since, "since"), parse_time(args.until, "until")
    with open_ledger(ctx) as ledger, _output(args.out) as out:
        if args.events:
            count = write_export(event_rows(ledger, since, until, args.unmask), EVENT_COLUMNS, args.format, out)
        else:
            rows = transaction_rows(ledger, since, until, args.unmask)
            count = write_export(rows, TRANSACTION_COLUMNS, args.format, out)
    if args.out:
        ctx.emit({"rows": count, "out": args.out, "format": args.format, "masked": not args.unmask},
                 f"wrote {count} rows to {args.out}")
    return EXIT_OK


@contextlib.contextmanager
def _output(path: str | None):  # type: ignore[no-untyped-def]
    if not path:
        yield sys.stdout
        return
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    try:
        fh: TextIO = open(tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise KioskError(f"cannot write {path}: {exc.strerror}", code="export_failed") from exc
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def cmd_verify(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.ledger import verify

    with open_ledger(ctx) as ledger:
        report = verify(ledger)
    if report.ok:
        ctx.emit(report.as_json(), f"ledger intact: {report.events} events, last seq {report.last_seq}")
        return EXIT_OK
    if ctx.json:
        ctx.emit({"error": "ledger_corrupt", "message": report.reason, **report.as_json()})
    print(f"kiosk: ledger corrupt at seq {report.first_bad_seq}: {report.reason}", file=sys.stderr)
    return EXIT_FAILURE


def cmd_backup(ctx: CliContext, args: argparse.Namespace) -> int:
    with open_ledger(ctx) as ledger:
        dest = ledger.backup(Path(args.dest))
    ctx.emit({"backup": str(dest)}, f"ledger backed up to {dest}")
    return EXIT_OK


def cmd_restore(ctx: CliContext, args: argparse.Namespace) -> int:
    """Check the backup's chain first; keep the replaced ledger beside it, never delete it."""
    from kiosk.ledger import Ledger, verify
    from kiosk.ledger.store import SQLITE_FILE

    if ctx.settings.ledger.url:
        raise KioskError("restore replaces SQLite ledgers; use pg_restore for PostgreSQL", code="bad_argument")
    source = Path(args.source)
    if not source.is_file():
        raise KioskError(f"backup {source} not found", code="bad_argument")
    with tempfile.TemporaryDirectory(dir=ctx.data_dir) as tmp:
        staged = Path(tmp) / SQLITE_FILE
        shutil.copyfile(source, staged)
        with Ledger.open("", Path(tmp)) as candidate:
            report = verify(candidate)
        if not report.ok:
            raise KioskError(f"backup {source} does not verify: {report.reason}", code="ledger_corrupt")
        current = ctx.data_dir / SQLITE_FILE
        kept = None
        if current.exists():
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            kept = current.with_name(f"{SQLITE_FILE}.replaced-{stamp}")
            with Ledger.open("", ctx.data_dir) as old:  # checkpoints the WAL into the file
                old.backup(kept)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{current}{suffix}").unlink(missing_ok=True)
        os.replace(staged, current)
    ctx.emit({"restored": str(source), "events": report.events, "previous_kept_as": str(kept) if kept else None},
             f"restored {report.events} events from {source}" + (f"; previous ledger kept as {kept}" if kept else ""))
    return EXIT_OK


def cmd_rebuild(ctx: CliContext, args: argparse.Namespace) -> int:
    with open_ledger(ctx) as ledger:
        count = ledger.rebuild_projection()
    ctx.emit({"transactions": count}, f"rebuilt {count} transactions")
    return EXIT_OK
