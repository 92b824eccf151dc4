"""Operator export: the transaction log for a date range, to a USB stick or a folder.

The rows and the bytes come from :mod:`kiosk.ledger.export` — the code behind
``kiosk ledger export`` — so a file written here equals ``kiosk ledger export
--format csv --since S --until U`` for the same range, byte for byte. Phone
numbers and ICCIDs are masked unless the operator asks otherwise.

The file is owner-only (0600) whatever the umask, masked or not (on a FAT stick,
which has no modes, the mount options decide). It is written to ``<name>.part`` in
the target folder, flushed and
fsync'd, renamed into place and the folder fsync'd, so pulling the stick
right after "done" leaves either the whole file or none (and never a
half-written file with the final name).

Removable media are found from the mount table: anything mounted under
``/media`` or ``/run/media`` (where udisks and usbmount put sticks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.errors import KioskError
from kiosk.private_files import open_private

if TYPE_CHECKING:
    from kiosk.ledger import Ledger

log = logging.getLogger(__name__)

REMOVABLE_ROOTS: tuple[str, ...] = ("/media", "/run/media")
MOUNTS_FILE = Path("/proc/self/mounts")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class ExportFailed(KioskError):
    code = "export_failed"


@dataclass(frozen=True)
class ExportTarget:
    """A place the operator can choose on the screen."""

    path: Path
    label: str
    removable: bool
    free_bytes: int | None
    writable: bool


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    bytes: int
    sha256: str
    masked: bool
    since: str | None
    until: str | None

    def as_audit(self) -> dict[str, Any]:
        """For the audit event: where, how much, which range (no personal data)."""
        return {"file": self.path.name, "folder": str(self.path.parent), "rows": self.rows, "bytes": self.bytes,
                "sha256": self.sha256, "masked": self.masked, "since": self.since, "until": self.until}


def _unescape_mount(field: str) -> str:
    """``/proc/mounts`` escapes space, tab, newline and backslash as octal."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def removable_targets(
    *,
    mounts_file: Path = MOUNTS_FILE,
    roots: Iterable[str] = REMOVABLE_ROOTS,
    usage: Callable[[Path], Any] = shutil.disk_usage,
) -> list[ExportTarget]:
    """Mounted filesystems under ``roots`` (USB sticks, SD cards), most recent mount last."""
    roots = tuple(r.rstrip("/") for r in roots)
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise ExportFailed(f"cannot read the mount table {mounts_file}: {exc.strerror}") from exc
    found: list[ExportTarget] = []
    seen: set[str] = set()
    for line in lines:
        parts = line.split()
        if len(parts) < 4:
            continue
        mount_point = _unescape_mount(parts[1])
        if not any(mount_point.startswith(root + "/") for root in roots) or mount_point in seen:
            continue
        seen.add(mount_point)
        path = Path(mount_point)
        options = parts[3].split(",")
        free: int | None
        try:
            free = int(usage(path).free)
        except OSError as exc:
            log.warning("cannot stat mounted medium %s: %s", path, exc)
            free = None
        writable = "ro" not in options and os.access(path, os.W_OK)
        found.append(ExportTarget(path, path.name, True, free, writable))
    return found


def day_range(first: dt.date, last: dt.date) -> tuple[str, str]:
    """Whole days ``first`` … ``last`` inclusive as the ``--since`` / ``--until`` strings
    (UTC days, as ``kiosk ledger export`` reads them)."""
    if last < first:
        raise ExportFailed(f"the range ends ({last}) before it starts ({first})", code="bad_argument")
    return first.isoformat(), (last + dt.timedelta(days=1)).isoformat()


def export_filename(kiosk_id: str, since: str | None, until: str | None, fmt: str = "csv") -> str:
    def part(value: str | None, default: str) -> str:
        return _UNSAFE.sub("", (value or default).replace(":", ""))

    return f"simkiosk-{_UNSAFE.sub('_', kiosk_id)}-{part(since, 'start')}-{part(until, 'now')}.{fmt}"


def export_transactions(
    ledger: Ledger,
    folder: Path,
    *,
    since: str | None = None,
    until: str | None = None,
    unmask: bool = False,
    kiosk_id: str = "kiosk",
    filename: str | None = None,
    fmt: str = "csv",
) -> ExportResult:
    """Write the transactions created in ``[since, until)`` (ISO date or date-time, UTC
    unless an offset is given) to ``folder``; returns where and how much."""
    from kiosk.ledger.export import TRANSACTION_COLUMNS, parse_time, transaction_rows, write_export

    since_at, until_at = parse_time(since, "since"), parse_time(until, "until")
    if not folder.is_dir():
        raise ExportFailed(f"{folder} is not a folder (is the USB stick mounted?)")
    target = folder / (filename or export_filename(kiosk_id, since, until, fmt))
    tmp = target.with_name(target.name + ".part")
    try:
        with open_private(tmp, "w", encoding="utf-8", newline="") as fh:
            rows = write_export(transaction_rows(ledger, since_at, until_at, unmask), TRANSACTION_COLUMNS, fmt, fh)
            fh.flush()
            os.fsync(fh.fileno())
        digest, size = _digest(tmp)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except OSError as exc:
        raise ExportFailed(f"cannot write {target}: {exc.strerror or exc} (stick full or write-protected?)") from exc
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError as exc:
                log.warning("cannot remove the partial export %s: %s", tmp, exc)
    log.info("exported %d transactions to %s", rows, target)
    return ExportResult(target, rows, size, digest, not unmask, since, until)


def _digest(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; some filesystems (vfat on old kernels) refuse, which is logged."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        log.warning("cannot open %s to fsync it: %s", folder, exc)
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        log.warning("fsync of folder %s failed: %s", folder, exc)
    finally:
        os.close(fd)
