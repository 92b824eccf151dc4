"""``kiosk ledger export|verify|backup``: operators' view of the journal."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TextIO

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext
from kiosk.errors import KioskError
from kiosk.ledger import Ledger, verify
from kiosk.ledger.export import (
    EVENT_COLUMNS,
    FORMATS,
    TRANSACTION_COLUMNS,
    event_rows,
    parse_time,
    transaction_rows,
    write_export,
)


def open_ledger(ctx: CliContext) -> Ledger:
    return Ledger.open(ctx.settings.ledger.url, ctx.data_dir)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    ledger = subparsers.add_parser("ledger", parents=[parent], help="export, verify or back up the ledger")
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

    rebuild = sub.add_parser("rebuild", parents=[parent], help="recompute the transactions table from the events")
    rebuild.set_defaults(func=cmd_rebuild)


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
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


def cmd_rebuild(ctx: CliContext, args: argparse.Namespace) -> int:
    with open_ledger(ctx) as ledger:
        count = ledger.rebuild_projection()
    ctx.emit({"transactions": count}, f"rebuilt {count} transactions")
    return EXIT_OK
