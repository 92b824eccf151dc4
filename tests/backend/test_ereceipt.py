"""E-receipts end to end: a real kiosk sale (simulated terminal and carrier, file printer),
synced to the real backend (SQLite and PostgreSQL), then the page the printed QR code
links to, in each language, against what was printed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import itertools
import re
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import icalendar
import pytest

from devices.printer import FilePrinter
from kiosk.config import PrinterSection, Settings, TerminalSection
from kiosk.ledger import Ledger
from kiosk.ports import Account, Receipt
from kiosk.receipt import decode_escpos, format_amount, format_when, receipt_url, reference_of, texts
from kiosk.sync import Syncer, UpstreamClient
from kiosk.topup import demo_catalog
from kiosk.topup.simulated import SimulatedProvider
from kiosk.txn import Deadlines, TransactionRunner
from payment.simulated import SimulatedDelays, SimulatedTerminal

_ids = itertools.count(1)
ZONE = "America/Los_Angeles"
ACCOUNT = Account(msisdn="12025550101", carrier="T-Mobile", iccid="8901260123456789012",
                  expiry=dt.date(2031, 7, 10))
PLAN = next(p for p in demo_catalog() if p.id == "tmo-unl-40")
DEADLINES = Deadlines(payment_s=10.0, terminal_op_s=10.0, terminal_query_s=2.0, topup_s=5.0, topup_poll_s=5.0,
                      printer_s=5.0, poll_interval_s=0.02)
HTML_LANG = {"en": "en", "es": "es", "zh_CN": "zh-CN"}
HTTP = httpx.Client(timeout=30)


@dataclasses.dataclass
class Sale:
    kiosk_id: str
    secret: bytes
    settings: Settings
    receipt: Receipt
    printed: list[str]  # the receipt as the printer got it, decoded
    data_dir: Path
    base_url: str

    def page_url(self, suffix: str = "") -> str:
        return f"{self.base_url}/r/{self.kiosk_id}/{self.receipt.txn_id}{suffix}"

    def sync(self) -> None:
        with Ledger.open("", self.data_dir) as ledger, \
                UpstreamClient(self.base_url, self.kiosk_id, self.secret) as client:
            Syncer(ledger, client).sync_once()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Any:
    return request.getfixturevalue("sqlite_backend" if request.param == "sqlite" else "pg_backend")


def sell(backend: Any, data_dir: Path, lang: str) -> Sale:
    """One completed sale on a kiosk whose receipts link to ``backend`` (not synced yet)."""
    kiosk_id = f"ER-{next(_ids):04d}"
    secret = backend.add_kiosk(kiosk_id, "Main St 1, Springfield")
    base = Settings()
    settings = dataclasses.replace(
        base, kiosk=dataclasses.replace(base.kiosk, id=kiosk_id, location="Main St 1, Springfield", timezone=ZONE),
        receipt=dataclasses.replace(base.receipt, url_template=backend.base_url + "/r/{kiosk_id}/{txn_id}"))
    terminal = SimulatedTerminal(TerminalSection(backend="simulated"), delays=SimulatedDelays(0, 0, 0, 0),
                                 state_dir=data_dir)
    printer = FilePrinter(PrinterSection(backend="file", path=str(data_dir / "receipts")), data_dir)
    try:
        with Ledger.open("", data_dir) as ledger:
            runner = TransactionRunner(ledger=ledger, terminal=terminal, provider=SimulatedProvider(data_dir),
                                       printer=printer, settings=settings, deadlines=DEADLINES)
            out = runner.run(ACCOUNT, PLAN, lambda prompt, text: None, lang=lang)
    finally:
        terminal.close()
    assert out.receipt is not None and out.printed, out
    printed = decode_escpos((data_dir / "receipts" / f"{out.txn_id}.escpos").read_bytes())
    return Sale(kiosk_id, secret, settings, out.receipt, printed, data_dir, backend.base_url)


@pytest.fixture
def sale(backend: Any, tmp_path: Path) -> Iterator[Sale]:
    yield sell(backend, tmp_path, "es")


def _page_text(body: str) -> str:
    """The page's receipt block, unescaped."""
    found = re.search(r"<pre>(.*?)</pre>", body, re.S)
    assert found, body[:500]
    return html.unescape(found.group(1))


def _assert_private_page(r: httpx.Response, status: int, lang: str) -> None:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<html lang="{HTML_LANG[lang]}">' in r.text
    csp = r.headers.get_list("content-security-policy")
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
                   "form-action 'none'"]  # one policy: the operator page's would forbid the inline style
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"].startswith("private")
    assert not re.search(r"<script|<link|<img|src=|url\(", r.text)  # nothing to load


def test_the_page_shows_what_was_printed_in_every_language(sale: Sale) -> None:
    before = HTTP.get(sale.page_url(), params={"lang": "zh_CN"})
    _assert_private_page(before, 404, "zh_CN")
    assert "收据暂不可用" in before.text and "请稍后再试" in before.text
    assert "no-store" in before.headers["cache-control"]
    sale.sync()

    ref = reference_of(sale.receipt.txn_id)
    amount = format_amount(PLAN.price_cents, PLAN.currency)
    local = sale.receipt.at.astimezone(zoneinfo.ZoneInfo(ZONE))
    for lang in ("en", "es", "zh_CN"):
        r = HTTP.get(sale.page_url(), params={"lang": lang})
        _assert_private_page(r, 200, lang)
        text = _page_text(r.text)
        assert ref in text and amount in text
        assert texts(lang)["reference"] in text and texts(lang)["title"] in text
        when = format_when(dataclasses.replace(sale.receipt, lang=lang))
        assert when in text and local.strftime("%Z") in when  # the kiosk's local time, not UTC
        assert "0101" in text
        for secret in ("12025550101", "2025550101", ACCOUNT.iccid or "-", sale.receipt.txn_id.replace("-", "")):
            assert secret not in r.text
    # in the customer's language (no ?lang=) the page is the printed receipt, line for line
    r = HTTP.get(sale.page_url())
    _assert_private_page(r, 200, "es")
    shown = _page_text(r.text).split("\n")
    on_paper = sale.printed[:sale.printed.index(texts("es")["scan_receipt"])]
    assert shown == on_paper
    assert f"[QR] {sale.receipt.url}" in sale.printed


def test_the_reminder_downloads_as_an_icalendar_event(sale: Sale) -> None:
    sale.sync()
    page = HTTP.get(sale.page_url(), params={"lang": "zh_CN"})
    href = re.search(r'class="reminder" href="([^"]+)"', page.text)
    assert href, page.text
    r = HTTP.get(urljoin(sale.page_url(), html.unescape(href.group(1))))
    assert r.status_code == 200 and r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment")
    event = icalendar.Calendar.from_ical(r.content).walk("VEVENT")[0]
    assert sale.receipt.valid_until is not None
    assert event.decoded("dtstart") == dt.datetime.combine(sale.receipt.valid_until - dt.timedelta(days=3),
                                                           dt.time(10, 0))
    assert str(event["summary"]) == "续费您的T-Mobile套餐（尾号 0101）"  # in the language asked for
    alarm = event.walk("VALARM")[0]
    assert sale.receipt.plan_name in str(alarm["description"])  # the plan it reminds of
    assert "12025550101" not in r.text


def test_the_printed_qr_code_opens_the_page(sqlite_backend: Any, tmp_path: Path) -> None:
    """End to end: the link built by ``kiosk.receipt.receipt_url`` with the documented
    template is the page (and its ``ref``/``lang`` parameters are the ones it reads)."""
    sale = sell(sqlite_backend, tmp_path, "zh_CN")
    url = receipt_url(sale.settings, sale.receipt.txn_id, "zh_CN")
    assert url == sale.receipt.url and f"[QR] {url}" in sale.printed
    assert HTTP.get(url).status_code == 404  # not synced yet
    sale.sync()
    r = HTTP.get(url)
    _assert_private_page(r, 200, "zh_CN")
    assert "参考号" in r.text and reference_of(sale.receipt.txn_id) in r.text
    assert HTTP.get(receipt_url(sale.settings, sale.receipt.txn_id, "es")).text.count("Referencia") == 1


def test_unknown_receipts_are_a_translated_404(sqlite_backend: Any) -> None:
    base = sqlite_backend.base_url
    known = "0b7e4f0e-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    cases = [(f"/r/KIOSK-0001/{known}", "en", "Receipt not available yet"),
             (f"/r/KIOSK-0001/{known}?lang=es", "es", "Recibo aún no disponible"),
             (f"/r/KIOSK-0001/{known}/reminder.ics?lang=zh_CN", "zh_CN", "收据暂不可用"),
             ("/r/KIOSK-0001/not-a-uuid?lang=es", "es", "vuelva a intentarlo más tarde"),
             (f"/r/KIOSK-0001/{known.upper()}?lang=xx", "en", "try again later")]
    for path, lang, needle in cases:
        r = HTTP.get(base + path)
        _assert_private_page(r, 404, lang)
        assert needle in r.text, path
