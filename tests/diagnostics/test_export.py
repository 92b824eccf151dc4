"""Operator export: the same bytes as ``kiosk ledger export``, written atomically, PII masked."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import namedtuple
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import TechnicianSection
from kiosk.ledger import Ledger
from kiosk.operator_export import (
    ExportFailed,
    day_range,
    export_filename,
    export_transactions,
    removable_targets,
)
from kiosk.technician import PinGate
from tests.diagnostics.conftest import OPERATOR_PIN, Clock

Usage = namedtuple("Usage", "total used free")
DAYS = [dt.datetime(2024, 5, d, 12, 30, tzinfo=dt.UTC) for d in (1, 2, 3, 4)]


def fill(ledger: Ledger) -> None:
    """One sale per day, 1-4 May; one with a comma and a formula-looking carrier."""
    for i, at in enumerate(DAYS):
        txn = f"00000000-0000-4000-8000-{i:012d}"
        carrier = "T-Mobile" if i != 2 else '=HYPERLINK("x"), "Mint"'
        ledger.append("txn.created", {"state": "created", "msisdn": f"1202555{i:04d}",
                                      "iccid": f"89012601234567890{i:02d}", "plan_id": "tmo-30",
                                      "amount_cents": 3000 + i, "currency": "USD", "carrier": carrier},
                      txn_id=txn, at=at)
        ledger.append("txn.state", {"state": "completed", "terminal_receipt_no": f"{i:04d}",
                                    "topup_status": "succeeded"}, txn_id=txn, at=at + dt.timedelta(minutes=1))


@pytest.fixture
def filled(data_dir: Path) -> Path:
    with Ledger.open("", data_dir) as ledger:
        fill(ledger)
    return data_dir


def cli_export(data_dir: Path, out: Path, *extra: str) -> bytes:
    assert main(["ledger", "export", "--format", "csv", "--out", str(out), "--data-dir", str(data_dir),
                 *extra]) == 0
    return out.read_bytes()


@pytest.mark.parametrize(("since", "until"), [
    ("2024-05-02", "2024-05-04"),
    (None, None),
    ("2024-05-03T12:00:00Z", None),
    (None, "2024-05-01"),  # nothing: header only
])
def test_export_matches_kiosk_ledger_export_byte_for_byte(filled, tmp_path, since, until):
    stick = tmp_path / "stick"
    stick.mkdir()
    with Ledger.open("", filled) as ledger:
        result = export_transactions(ledger, stick, since=since, until=until, kiosk_id="KIOSK-0001")
    args = [*(["--since", since] if since else []), *(["--until", until] if until else [])]
    expected = cli_export(filled, tmp_path / "cli.csv", *args)
    assert result.path.read_bytes() == expected
    assert result.sha256 == hashlib.sha256(expected).hexdigest() and result.bytes == len(expected)
    assert result.rows == expected.count(b"\r\n") - 1  # no cell holds a line break


def test_masked_by_default_unmasked_on_request(filled, tmp_path):
    with Ledger.open("", filled) as ledger:
        since, until = day_range(dt.date(2024, 5, 1), dt.date(2024, 5, 1))
        masked = export_transactions(ledger, tmp_path, since=since, until=until)
        text = masked.path.read_text(encoding="utf-8")
        assert masked.rows == 1 and masked.masked
        assert "*******0000" in text and "12025550000" not in text and "890126*********9000" in text
        full = export_transactions(ledger, tmp_path, since="2024-05-01", until="2024-05-02", unmask=True,
                                   filename="full.csv")
    assert "12025550000" in full.path.read_text(encoding="utf-8")
    assert full.path.read_bytes() == cli_export(filled, tmp_path / "cli.csv", "--since", "2024-05-01",
                                                "--until", "2024-05-02", "--unmask")


def test_written_atomically(filled, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    with Ledger.open("", filled) as ledger:
        result = export_transactions(ledger, stick, kiosk_id="KIOSK 7/../x")
    assert [p.name for p in stick.iterdir()] == [result.path.name]  # no .part left behind
    assert result.path.parent == stick and "/" not in result.path.name and ".." not in result.path.name.split("-")


def test_export_to_a_missing_folder_fails_clearly(filled, tmp_path):
    with Ledger.open("", filled) as ledger, pytest.raises(ExportFailed, match="not a folder"):
        export_transactions(ledger, tmp_path / "unplugged")


def test_export_to_a_read_only_folder_leaves_nothing(filled, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with Ledger.open("", filled) as ledger:
            try:
                export_transactions(ledger, ro)
            except ExportFailed as exc:
                assert exc.code == "export_failed" and "write-protected" in exc.message
            else:  # root ignores directory permissions; then the file must be whole
                assert len(list(ro.iterdir())) == 1
        assert not list(ro.glob("*.part"))
    finally:
        ro.chmod(0o700)


def test_day_range_and_filename():
    assert day_range(dt.date(2024, 5, 1), dt.date(2024, 5, 31)) == ("2024-05-01", "2024-06-01")
    with pytest.raises(ExportFailed):
        day_range(dt.date(2024, 5, 2), dt.date(2024, 5, 1))
    assert export_filename("KIOSK-0001", "2024-05-01", None) == "simkiosk-KIOSK-0001-2024-05-01-now.csv"


def test_removable_media_from_the_mount_table(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/mmcblk0p2 / ext4 rw,relatime 0 0\n"
        "/dev/sda1 /media/kiosk/USB\\040STICK vfat rw,nosuid,nodev 0 0\n"
        "/dev/sdb1 /run/media/op/BACKUP exfat ro,nosuid 0 0\n"
        "tmpfs /run tmpfs rw 0 0\n"
        "/dev/sdc1 /mediafiles ext4 rw 0 0\n"
    )
    found = removable_targets(mounts_file=mounts, usage=lambda p: Usage(8, 4, 4))
    assert [(str(t.path), t.label, t.free_bytes) for t in found] == [
        ("/media/kiosk/USB STICK", "USB STICK", 4), ("/run/media/op/BACKUP", "BACKUP", 4)]
    assert found[1].writable is False  # mounted read-only


def test_removable_media_when_stat_fails(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 /media/usb vfat rw 0 0\n")

    def gone(path: Path) -> Usage:
        raise OSError(2, "No such file or directory")

    (target,) = removable_targets(mounts_file=mounts, usage=gone)
    assert target.free_bytes is None


def test_removable_media_on_this_machine_does_not_fail():
    assert isinstance(removable_targets(), list)


def test_operator_export_is_audited(filled, tmp_path, pin_hashes: TechnicianSection, clock: Clock):
    with Ledger.open("", filled) as ledger:
        session = PinGate(pin_hashes, ledger, clock=clock).login(OPERATOR_PIN)
        since, until = day_range(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
        result = session.perform("export", lambda: export_transactions(ledger, tmp_path, since=since, until=until))
        session.logout()
        (audit,) = [e for e in ledger.events() if e.kind == "audit.action"]
    assert audit.payload["action"] == "export" and audit.payload["role"] == "operator"
    assert audit.payload["rows"] == 2 and audit.payload["masked"] is True
    assert audit.payload["sha256"] == result.sha256 and audit.payload["since"] == "2024-05-01"
