"""Receipts: ESC/POS bytes decode back to the expected lines; card numbers never show more
than the last 4 digits; QR code carries the e-receipt URL; printer faults are typed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from devices.printer import FilePrinter, NullPrinter
from kiosk.config import PrinterSection, Settings
from kiosk.errors import PrinterOffline, PrinterOutOfPaper
from kiosk.ports import Receipt
from kiosk.receipt import (
    build_receipt,
    decode_escpos,
    qr_code,
    qr_svg,
    receipt_from_json,
    receipt_lines,
    receipt_to_json,
    render_escpos,
    scrub_card_numbers,
)

TXN = "6f1c2d0e-1111-4222-8333-944455556666"
DATA = {
    "carrier": "T-Mobile", "plan_name": "Prepaid Unlimited 30 days", "plan_id": "tmo-unl-40",
    "amount_cents": 4000, "currency": "USD", "msisdn": "12025550101", "provider_ref": "SIM-ABC123",
    "paid_at": "2025-07-01T12:34:56+00:00",
    "terminal_lines": ["SIMKIOSK TEST TERMINAL", "VISA 476173******0119", "CARD 4761 7390 0101 0119",
                       "PAN 4761739001010119", "RECEIPT 0001  TRACE 000001", "APPROVED"],
}


def sample() -> tuple[Settings, Receipt]:
    settings = Settings()
    settings = dataclasses.replace(settings, kiosk=dataclasses.replace(
        settings.kiosk, id="KIOSK-0042", location="Main St 1, Springfield"))
    return settings, build_receipt(DATA, TXN, settings)


def test_escpos_bytes_decode_to_the_expected_lines() -> None:
    _, receipt = sample()
    lines = decode_escpos(render_escpos(receipt))
    expected = receipt_lines(receipt)
    assert lines[: len(expected)] == expected
    assert lines[len(expected)] == f"[QR] https://receipts.simkiosk.example/r/{TXN}"
    text = "\n".join(lines)
    for needle in ("T-Mobile", "Prepaid Unlimited 30 days", "$40.00 USD", "*******0101",
                   "Ref SIM-ABC123", TXN, "KIOSK-0042", "Main St 1, Springfield",
                   "support@simkiosk.example", "RECEIPT 0001  TRACE 000001"):
        assert needle in text, needle
    assert "2025-07-01" in text


def test_no_receipt_shows_more_than_the_last_four_card_digits() -> None:
    _, receipt = sample()
    text = "\n".join(decode_escpos(render_escpos(receipt)))
    assert "476173" not in text and "4761 7390" not in text and "4761739001010119" not in text
    assert "**** 0119" in text
    for run in re.findall(r"[\d*][\d* -]{10,}[\d*]", text):
        assert sum(c.isdigit() for c in run) <= 4 or "TRACE" in text, run


@pytest.mark.parametrize("line,expected", [
    ("4111111111111111", "**** 1111"),
    ("VISA 411111******1111 CHIP", "VISA **** 1111 CHIP"),
    ("XXXX XXXX XXXX 1234", "**** 1234"),
    ("DATE 2025-07-01 12:00", "DATE 2025-07-01 12:00"),
    ("RECEIPT 0001  TRACE 000001", "RECEIPT 0001  TRACE 000001"),
    ("AMOUNT USD 40.00", "AMOUNT USD 40.00"),
])
def test_scrub_card_numbers(line: str, expected: str) -> None:
    assert scrub_card_numbers(line) == expected


def test_receipt_json_round_trip_and_qr() -> None:
    _, receipt = sample()
    assert receipt_from_json(receipt_to_json(receipt)) == receipt
    qr = qr_code(receipt)
    assert qr.designator.endswith("-M")
    assert "<svg" in qr_svg(receipt)


def test_file_printer_writes_bytes_and_reports_faults(tmp_path: Path) -> None:
    _, receipt = sample()
    printer = FilePrinter(PrinterSection(backend="file"), tmp_path)
    printer.print_receipt(receipt)
    written = (tmp_path / "receipts" / f"{TXN}.escpos").read_bytes()
    assert written == render_escpos(receipt)
    assert printer.health().ok
    printer.set_fault("out_of_paper")
    with pytest.raises(PrinterOutOfPaper):
        printer.print_receipt(receipt)
    assert not printer.health().ok and "paper" in printer.health().detail
    printer.set_fault("offline")
    with pytest.raises(PrinterOffline):
        printer.print_receipt(receipt)
    with pytest.raises(PrinterOffline):
        NullPrinter().print_receipt(receipt)


def test_receipt_time_defaults_to_now_when_the_terminal_sent_none() -> None:
    settings, _ = sample()
    r = build_receipt({**DATA, "paid_at": None}, TXN, settings)
    assert abs((r.at - dt.datetime.now(dt.UTC)).total_seconds()) < 60
