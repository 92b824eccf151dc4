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
from kiosk.ports import Account, Plan, PlanText, Receipt
from kiosk.receipt import (
    build_receipt,
    customer_fields,
    decode_escpos,
    new_expiry,
    qr_code,
    qr_svg,
    receipt_from_json,
    receipt_lines,
    receipt_to_json,
    reference_of,
    reminder_day,
    reminder_ics,
    reminder_qr,
    render_escpos,
    scrub_card_numbers,
)

TXN = "6f1c2d0e-1111-4222-8333-944455556666"
DATA = {
    "carrier": "T-Mobile", "plan_name": "Prepaid Unlimited 30 days", "plan_id": "tmo-unl-40",
    "amount_cents": 4000, "currency": "USD", "msisdn": "12025550101", "provider_ref": "SIM-ABC123",
    "paid_at": "2025-07-01T12:34:56+00:00", "validity_days": 30, "expiry_before": "2025-07-10",
    "terminal_lines": ["SIMKIOSK TEST TERMINAL", "VISA 476173******0119", "CARD 4761 7390 0101 0119",
                       "PAN 4761739001010119", "RECEIPT 0001  TRACE 000001", "APPROVED"],
}


def sample() -> tuple[Settings, Receipt]:
    settings = Settings()
    settings = dataclasses.replace(settings, kiosk=dataclasses.replace(
        settings.kiosk, id="KIOSK-0042", location="Main St 1, Springfield", timezone="America/Chicago"))
    return settings, build_receipt(DATA, TXN, settings)


def test_escpos_bytes_decode_to_the_expected_lines() -> None:
    _, receipt = sample()
    lines = decode_escpos(render_escpos(receipt))
    expected = receipt_lines(receipt)
    assert lines[: len(expected)] == expected
    assert lines[len(expected)] == f"[QR] https://receipts.simkiosk.example/r/{TXN}?ref=6F1C2D0E&lang=en"
    text = "\n".join(lines)
    for needle in ("T-Mobile", "Prepaid Unlimited 30 days", "$40.00 USD", "*******0101",
                   "Reference                         6F1C2D0E", "KIOSK-0042", "Main St 1, Springfield",
                   "support@simkiosk.example", "RECEIPT 0001  TRACE 000001",
                   "Valid until                 August 9, 2025"):
        assert needle in text, needle
    assert "July 1, 2025 7:34 AM CDT" in text  # local time of the kiosk, not UTC
    assert "SIM-ABC123" not in text  # one reference: the kiosk's, as on the screen


def test_one_reference_on_screen_paper_and_in_the_qr_code() -> None:
    _, receipt = sample()
    ref = reference_of(TXN)
    assert ref == "6F1C2D0E"
    lines = decode_escpos(render_escpos(receipt))
    qr = [line for line in lines if line.startswith("[QR] https://")]
    assert len(qr) == 1 and f"ref={ref}" in qr[0]
    assert sum(ref in line for line in lines if not line.startswith("[QR]")) == 2  # label + URL
    assert TXN not in "\n".join(receipt_lines(receipt))  # no second, longer id on paper


@pytest.mark.parametrize(("lang", "needles"), [
    ("es", ("RECIBO DE RECARGA PREPAGADA", "Celular", "Ilimitado 30 días", "1 de julio de 2025 7:34",
            "Vigente hasta", "9 de agosto de 2025", "Referencia", "lang=es")),
])
def test_receipt_in_the_customers_language(lang: str, needles: tuple[str, ...]) -> None:
    settings, _ = sample()
    plan = Plan("tmo-unl-40", "T-Mobile", "Prepaid Unlimited 30 days", 4000, "USD", 30,
                i18n=(PlanText("es", "Ilimitado 30 días"),))
    account = Account("12025550101", "T-Mobile", expiry=dt.date(2025, 7, 10))
    receipt = build_receipt({**DATA, **customer_fields(account, plan, lang)}, TXN, settings)
    text = "\n".join(decode_escpos(render_escpos(receipt)))
    for needle in needles:
        assert needle in text, needle
    assert "Prepaid Unlimited" not in text and "Carrier" not in text


def test_chinese_receipt_prints_as_an_image_with_chinese_qr_codes() -> None:
    settings, _ = sample()
    plan = Plan("tmo-unl-40", "T-Mobile", "Prepaid Unlimited 30 days", 4000, "USD", 30,
                i18n=(PlanText("zh_CN", "无限流量 30 天"),))
    account = Account("12025550101", "T-Mobile", expiry=None)
    receipt = build_receipt({**DATA, **customer_fields(account, plan, "zh_CN")}, TXN, settings)
    lines = receipt_lines(receipt)
    assert lines[0] == "预付费充值收据" and any("无限流量 30 天" in line for line in lines)
    assert any(line.startswith("有效期至少至") for line in lines)  # old expiry unknown: a lower bound
    decoded = decode_escpos(render_escpos(receipt))
    assert any(line.startswith("[IMAGE 512x") for line in decoded)
    assert not any("?" * 3 in line for line in decoded)  # no unprintable characters as text
    assert any(line.startswith("[QR] https://") and "lang=zh_CN" in line for line in decoded)
    assert any(line.startswith("[QR] BEGIN:VCALENDAR") for line in decoded)


def test_new_expiry_extends_the_current_period() -> None:
    today = dt.date(2025, 7, 1)
    assert new_expiry(dt.date(2025, 7, 10), 30, today) == (dt.date(2025, 8, 9), False)
    assert new_expiry(dt.date(2025, 6, 1), 30, today) == (dt.date(2025, 7, 31), False)  # lapsed
    assert new_expiry(None, 30, today) == (dt.date(2025, 7, 31), True)
    assert new_expiry(None, 0, today) == (None, False)


def test_reminder_is_an_icalendar_event_three_days_before_the_new_expiry() -> None:
    import icalendar

    _, receipt = sample()
    assert receipt.valid_until == dt.date(2025, 8, 9)
    ics = reminder_ics(receipt)
    assert ics is not None
    cal = icalendar.Calendar.from_ical(ics)
    (event,) = cal.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start == dt.datetime(2025, 8, 6, 10, 0) and start.tzinfo is None  # the phone's own zone
    assert "T-Mobile" in str(event["summary"]) and "0101" in str(event["summary"])
    assert "DESCRIPTION" not in event  # nothing twice: the alarm's text says the rest
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("trigger") == dt.timedelta(0) and str(alarm["action"]) == "DISPLAY"
    assert "August 9, 2025" in str(alarm["description"])
    assert str(cal["prodid"]) and str(cal["version"]) == "2.0" and str(event["uid"]).endswith("@simkiosk")
    assert len(ics.encode("utf-8")) < 400  # small enough for a version 13 code at level L
    printed = [line for line in decode_escpos(render_escpos(receipt)) if line.startswith("[QR] BEGIN")]
    assert len(printed) == 1 and "BEGIN:VALARM" in printed[0]
    qr = reminder_qr(receipt)
    assert qr is not None and qr.designator.endswith("-M")  # as the printer is told (paper wears)
    assert reminder_ics(dataclasses.replace(receipt, valid_until=None)) is None


@pytest.mark.parametrize("validity,expiry_before,reminded", [
    (1, None, None),  # ends tomorrow: no useful day
    (3, None, None),  # three days before the end is the day of purchase
    (4, None, dt.date(2025, 7, 2)),  # the day after the purchase
    (2, "2025-07-20", dt.date(2025, 7, 19)),  # queued after the current period: 3 days before
    (30, None, dt.date(2025, 7, 28)),
])
def test_the_reminder_never_falls_on_or_before_the_day_of_purchase(
        validity: int, expiry_before: str | None, reminded: dt.date | None) -> None:
    settings, _ = sample()
    r = build_receipt({**DATA, "validity_days": validity, "expiry_before": expiry_before}, TXN, settings)
    assert reminder_day(r) == reminded
    ics = reminder_ics(r)
    assert (ics is None) == (reminded is None)
    lines = decode_escpos(render_escpos(r))
    assert any(line.startswith("[QR] BEGIN:VCALENDAR") for line in lines) == (reminded is not None)


def test_the_chinese_reminder_names_the_plan_once() -> None:
    import icalendar

    settings, _ = sample()
    r = build_receipt({**DATA, "lang": "zh_CN", "plan_name_local": "预付费无限套餐 30 天"}, TXN, settings)
    ics = reminder_ics(r)
    assert ics is not None
    (alarm,) = icalendar.Calendar.from_ical(ics).walk("VALARM")
    assert str(alarm["description"]) == "套餐“预付费无限套餐 30 天”将于 2025年8月9日 到期。"


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
