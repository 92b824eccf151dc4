"""``kiosk ledger export|verify|backup|restore|rebuild``: operators' view of the journal.

``verify`` runs the full verification (``kiosk.ledger.verify``); ``--upstream`` also asks
the backend which hash it holds at the last seq it acknowledged. ``restore`` runs the same
full verification on the backup before swapping it in, refuses it with the first reason,
and resets the sync position so the backend re-checks the restored chain against its copy.
Files written here (exports, backups) are owner-only (0600) whatever the umask.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary
from kiosk.errors import KioskError, LedgerError

if TYPE_CHECKING:
    from kiosk.ledger import Ledger, VerifyReport
    from kiosk.sync import ChainPosition

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

    check = sub.add_parser("verify", parents=[parent],
                           help="full check (chain, projection, meta, schema); exit 1 naming the first bad seq")
    check.add_argument("--upstream", action="store_true",
                       help="also check the chain against the hash the backend holds (needs the network)")
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
    from kiosk.private_files import open_private

    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    try:
        fh = open_private(tmp, "w", encoding="utf-8", newline="")
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
    from kiosk.ledger import VerifyReport, verify, verify_upstream

    upstream: dict[str, object] | None = None
    with open_ledger(ctx) as ledger:
        report = verify(ledger)
        if report.ok and args.upstream:
            position = _backend_position(ctx)
            checked = verify_upstream(ledger, position.acked_through, position.acked_hash)
            upstream = {"acked_through": position.acked_through, "acked_hash": position.acked_hash}
            if not checked.ok:
                report = VerifyReport(False, report.events, report.last_seq, checked.first_bad_seq, checked.reason,
                                      checked.check)
    out = {**report.as_json(), **({"upstream": upstream} if upstream is not None else {})}
    if report.ok:
        text = f"ledger intact: {report.events} events, last seq {report.last_seq}"
        if upstream is not None:
            text += f"; the backend holds the same event at seq {upstream['acked_through']}"
        ctx.emit(out, text)
        return EXIT_OK
    if ctx.json:
        ctx.emit({"error": "ledger_corrupt", "message": report.reason, **out})
    print(f"kiosk: ledger corrupt{_at_seq(report)}", file=sys.stderr)
    return EXIT_FAILURE


def _backend_position(ctx: CliContext) -> ChainPosition:
    from kiosk.config import read_secret
    from kiosk.errors import ConfigError
    from kiosk.sync import UpstreamClient

    up = ctx.settings.upstream
    if not up.url:
        raise ConfigError("[upstream] url is empty: --upstream needs the backend")
    with UpstreamClient(up.url, ctx.settings.kiosk.id, read_secret(up.secret_file), timeout_s=up.timeout_s) as client:
        return client.chain()


def cmd_backup(ctx: CliContext, args: argparse.Namespace) -> int:
    with open_ledger(ctx) as ledger:
        dest = ledger.backup(Path(args.dest))
    ctx.emit({"backup": str(dest)}, f"ledger backed up to {dest}")
    return EXIT_OK


SQLITE_MAGIC = b"SQLite format 3\x00"


def cmd_restore(ctx: CliContext, args: argparse.Namespace) -> int:
    """Verify the backup fully first; keep the replaced ledger beside it, never delete it."""
    from kiosk.ledger.store import SQLITE_FILE, head_record_path, read_head_record

    if ctx.settings.ledger.url:
        raise KioskError("restore replaces SQLite ledgers; use pg_restore for PostgreSQL", code="bad_argument")
    source = Path(args.source)
    if not source.is_file():
        raise KioskError(f"backup {source} not found", code="bad_argument")
    current = ctx.data_dir / SQLITE_FILE
    record = read_head_record(head_record_path(current))
    with tempfile.TemporaryDirectory(dir=ctx.data_dir) as tmp:
        staged = Path(tmp) / SQLITE_FILE
        _stage(source, staged)
        report, candidate_head = _check_candidate(source, staged, current, record)
        kept = _set_aside(ctx, current)
        os.replace(staged, current)
    from kiosk.ledger import Ledger
    from kiosk.ledger.store import ACKED_HASH_META, ACKED_META

    with Ledger.open("", ctx.data_dir) as restored:
        restored.reset_head_record()
        # The backend re-checks the whole restored chain: everything is sent again and what it
        # already holds must come back as duplicates (a forged copy is refused there).
        restored.set_metas({ACKED_META: "0", ACKED_HASH_META: ""})
    older = record is not None and candidate_head < record[0]
    ctx.emit({"restored": str(source), "events": report.events, "previous_kept_as": str(kept) if kept else None,
              "older_than_recorded": older, "sync_reset": True},
             f"restored {report.events} events from {source}" + (f"; previous ledger kept as {kept}" if kept else "")
             + (f"; NOTE: this kiosk had recorded {record[0]} events, the backup ends at {candidate_head}"
                if older and record is not None else "")
             + "; every event will be sent to the backend again to be checked")
    return EXIT_OK


def _stage(source: Path, staged: Path) -> None:
    """A private copy of the backup to check (the original is never opened for writing)."""
    from kiosk.private_files import open_private

    try:
        with open(source, "rb") as src, open_private(staged, "wb") as dst:
            shutil.copyfileobj(src, dst)
    except OSError as exc:
        raise KioskError(f"cannot read backup {source}: {exc.strerror or exc}", code="bad_argument") from exc


def _check_candidate(source: Path, staged: Path, current: Path,
                     record: tuple[int, str] | None) -> tuple[VerifyReport, int]:
    """Refuse the backup with the first reason it fails; returns its report and last seq."""
    from kiosk.ledger import Ledger, verify

    def refuse(reason: str) -> KioskError:
        return KioskError(f"backup {source} does not verify: {reason}", code="ledger_corrupt")

    size = staged.stat().st_size
    if size == 0:
        raise refuse("it is empty (0 bytes)")
    with open(staged, "rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise refuse("it is not a SQLite database")
    try:
        with Ledger.open("", staged.parent, migrate=False) as candidate:
            if candidate.schema_revision() is None:
                raise refuse("it is not a simkiosk ledger (no schema revision)")
            candidate.migrate()
            report = verify(candidate)
            if not report.ok:
                raise refuse(_failed_check(report))
            last, _head = candidate.head()
            if record is not None and record[0] > 0:
                seq, digest = record
                if last == 0:
                    raise refuse(f"it holds no events but this kiosk had recorded {seq}")
                if last >= seq and candidate.hash_at(seq) != digest:
                    raise refuse(f"it is another chain: seq {seq} is not the event this kiosk recorded there")
                if last < seq:
                    mine = _current_hash_at(current, last)
                    if mine is not None and mine != candidate.hash_at(last):
                        raise refuse(f"it is another chain: seq {last} differs from this kiosk's ledger")
    except LedgerError as exc:
        raise refuse(exc.message) from exc
    return report, last


def _failed_check(report: VerifyReport) -> str:
    """``chain at seq 2: …``; a reason that already names its check (``schema: …``,
    ``meta sync.acked_through …``) is given as it is, not as ``schema: schema: …``."""
    label = report.check or "verify"
    if report.reason.split(":", 1)[0].split(" ", 1)[0] == label:
        return report.reason
    return f"{label}{_at_seq(report)}"


def _at_seq(report: VerifyReport) -> str:
    """`` at seq N: reason`` (the reason's own ``seq N:`` prefix not repeated), or ``: reason``."""
    seq = report.first_bad_seq
    if seq is None:
        return f": {report.reason}"
    return f" at seq {seq}: {report.reason.removeprefix(f'seq {seq}: ')}"


def _current_hash_at(current: Path, seq: int) -> str | None:
    """The replaced ledger's hash at ``seq``, when it can still be read."""
    if not current.exists() or current.stat().st_size == 0:
        return None
    from kiosk.ledger import Ledger

    try:
        with Ledger.open("", current.parent, migrate=False) as ledger:
            return ledger.hash_at(seq)
    except LedgerError:
        return None


def _set_aside(ctx: CliContext, current: Path) -> Path | None:
    """Keep the ledger being replaced: a consistent backup when it opens, else its raw files."""
    from kiosk.ledger import Ledger
    from kiosk.ledger.store import SQLITE_FILE

    if not current.exists():
        return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = current.with_name(f"{SQLITE_FILE}.replaced-{stamp}")
    try:
        if current.stat().st_size == 0:
            raise LedgerError("empty file")
        with Ledger.open("", ctx.data_dir, migrate=False) as old:  # checkpoints the WAL into the copy
            old.backup(kept)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{current}{suffix}").unlink(missing_ok=True)
    except LedgerError:
        for suffix in ("", "-wal", "-shm"):  # unreadable: move its files aside as they are
            part = Path(f"{current}{suffix}")
            if part.exists():
                os.replace(part, Path(f"{kept}{suffix}"))
    return kept


def cmd_rebuild(ctx: CliContext, args: argparse.Namespace) -> int:
    with open_ledger(ctx) as ledger:
        count = ledger.rebuild_projection()
    ctx.emit({"transactions": count}, f"rebuilt {count} transactions")
    return EXIT_OK
