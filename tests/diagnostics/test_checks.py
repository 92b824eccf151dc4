"""Every diagnostic check with fakes: the ok case, each failure, and the advice it gives."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import socket
import sqlite3
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest

from devices.printer import EscposPrinter, FilePrinter
from kiosk import diagnostics as d
from kiosk.config import PrinterSection, Settings
from kiosk.diagnostics import CheckDeadlines, Diagnostics
from kiosk.errors import (
    CardRemoved,
    LedgerError,
    NoCard,
    NoReader,
    PrinterOffline,
    PrinterOutOfPaper,
    ReaderTimeout,
    ReaderUnplugged,
    TerminalUnavailable,
    UnreadableCard,
    UpstreamUnavailable,
)
from kiosk.ledger import Ledger
from kiosk.ledger.store import SQLITE_FILE
from kiosk.ports import DeviceHealth, TerminalReport
from payment.errors import TerminalRejected
from tests.diagnostics.fakes import SIM, Blocker, FakePrinter, FakeReader, FakeTerminal

Usage = namedtuple("Usage", "total used free")


def diag(settings: Settings, data_dir: Path, **kw: Any) -> Diagnostics:
    return Diagnostics(settings, data_dir, **kw)


# --------------------------------------------------------------------------- reader


def test_reader_ok_lists_readers(settings, data_dir):
    h = diag(settings, data_dir, reader=FakeReader()).check_reader()
    assert h.ok and h.name == "reader"
    assert h.data["readers"] == ["Fake Reader 0"]
    assert h.advice == ""


@pytest.mark.parametrize(("names", "advice"), [
    ([], d.ADVICE_READER_MISSING),
    (NoReader("SCardListReaders: Cannot find a smart card reader. (0x8010002E)"), d.ADVICE_READER_MISSING),
    (NoReader("SCardEstablishContext: Service not available. (0x8010001D)"), d.ADVICE_PCSC_DOWN),
    (ReaderUnplugged("gone"), d.ADVICE_READER_UNPLUGGED),
    (ReaderTimeout("stuck"), d.ADVICE_READER_STUCK),
])
def test_reader_failures_say_what_to_do(settings, data_dir, names, advice):
    h = diag(settings, data_dir, reader=FakeReader(names=names)).check_reader()
    assert not h.ok
    assert h.advice == advice
    assert h.advice.startswith(("reader", "card reader service"))


def test_reader_not_built_is_reported(settings, data_dir):
    h = diag(settings, data_dir, unavailable={"reader": "[reader] backend 'pcsc' is not available"}).check_reader()
    assert not h.ok and "not available" in h.detail and h.advice == d.ADVICE_READER_MISSING


def test_sim_read_masks_personal_data(settings, data_dir):
    h = diag(settings, data_dir, reader=FakeReader()).check_sim(wait_s=0.1)
    assert h.ok and h.name == "sim"
    assert h.data["iccid"] == "890126*********9012"
    assert h.data["msisdn"] == "*******0123"
    assert SIM.iccid not in h.detail and "T-Mobile" in h.detail


@pytest.mark.parametrize(("error", "advice"), [
    (NoCard("no card inserted within the timeout"), d.ADVICE_NO_SIM),
    (CardRemoved("removed"), d.ADVICE_SIM_REMOVED),
    (UnreadableCard("mute", sw=0x6F00), d.ADVICE_SIM_UNREADABLE),
    (NoReader("no PC/SC reader connected"), d.ADVICE_READER_MISSING),
])
def test_sim_read_failures(settings, data_dir, error, advice):
    h = diag(settings, data_dir, reader=FakeReader(card=error)).check_sim(wait_s=0.1)
    assert not h.ok and h.advice == advice and h.data["error"] == error.code


def test_empty_slot_is_fine_for_kiosk_diag(settings, data_dir):
    h = diag(settings, data_dir, reader=FakeReader(card=NoCard("none"))).check_sim(wait_s=0.1, require_card=False)
    assert h.ok and h.data["card_present"] is False


def test_sim_with_bad_check_digit_is_flagged(settings, data_dir):
    bad = dataclasses.replace(SIM, iccid_valid=False)
    h = diag(settings, data_dir, reader=FakeReader(card=bad)).check_sim(wait_s=0.1)
    assert not h.ok and h.advice == d.ADVICE_SIM_UNREADABLE


# --------------------------------------------------------------------------- terminal


def test_terminal_status_ok(settings, data_dir):
    h = diag(settings, data_dir, terminal=FakeTerminal()).check_terminal()
    assert h.ok and "52500001" in h.detail and h.data["terminal_id"] == "52500001"


@pytest.mark.parametrize(("error", "advice"), [
    (TerminalRejected("terminal refused the command: 84 A0", nack_code=0xA0), d.ADVICE_TERMINAL_BUSY),
    (TerminalUnavailable("payment terminal port /dev/kiosk-terminal unavailable: [Errno 2] No such file"),
     d.ADVICE_TERMINAL_MISSING),
    (TerminalUnavailable("status failed: no answer from the terminal"), d.ADVICE_TERMINAL_SILENT),
])
def test_terminal_failures_say_what_to_do(settings, data_dir, error, advice):
    h = diag(settings, data_dir, terminal=FakeTerminal(status_=error)).check_terminal()
    assert not h.ok and h.advice == advice


def test_terminal_busy_names_the_nack_code(settings, data_dir):
    busy = TerminalRejected("refused", nack_code=0xA0)
    h = diag(settings, data_dir, terminal=FakeTerminal(status_=busy)).check_terminal()
    assert h.advice == "terminal busy: retry in a minute" and h.data["nack_code"] == "0xA0"


def test_terminal_fault_report(settings, data_dir):
    bad = TerminalReport(False, 0x9C, "status: terminal not ready", "52500001")
    h = diag(settings, data_dir, terminal=FakeTerminal(status_=bad)).check_terminal()
    assert not h.ok and h.advice == d.ADVICE_TERMINAL_FAULT and h.data["result_code"] == 0x9C


def test_terminal_diagnosis_and_end_of_day_are_separate_actions(settings, data_dir):
    t = FakeTerminal(end_of_day_=TerminalReport(False, 0x64, "end of day: host not reachable", "1"))
    dg = diag(settings, data_dir, terminal=t)
    assert dg.check_terminal_diagnosis().ok
    eod = dg.check_terminal_end_of_day()
    assert eod.name == "terminal_end_of_day" and not eod.ok and eod.advice == d.ADVICE_END_OF_DAY_FAILED
    ok = diag(settings, data_dir, terminal=FakeTerminal()).check_terminal_end_of_day()
    assert ok.ok and ok.data["totals_cents"] == 3000 and ok.data["lines"] == ["TOTAL 30.00"]


def test_a_hung_terminal_is_reported_at_the_deadline(settings, data_dir):
    blocker = Blocker()
    try:
        dg = diag(settings, data_dir, terminal=FakeTerminal(status_=blocker),
                  deadlines=dataclasses.replace(CheckDeadlines(), terminal_status=0.2))
        h = dg.check_terminal()
    finally:
        blocker.release.set()
    assert not h.ok and h.detail == "no answer within 0.2 s"
    assert h.advice.startswith("the payment terminal did not answer within 0.2 s")


def test_no_terminal(settings, data_dir):
    h = diag(settings, data_dir).check_terminal()
    assert not h.ok and h.advice == d.ADVICE_TERMINAL_MISSING


def test_a_crashing_driver_is_a_result_not_an_exception(settings, data_dir):
    def boom() -> TerminalReport:
        raise RuntimeError("driver bug")

    h = diag(settings, data_dir, terminal=FakeTerminal(status_=boom)).check_terminal()
    assert not h.ok and "RuntimeError: driver bug" in h.detail and h.advice == d.ADVICE_INTERNAL


# --------------------------------------------------------------------------- printer


def test_printer_status(settings, data_dir):
    assert diag(settings, data_dir, printer=FakePrinter()).check_printer().ok
    paper = FakePrinter(health_=DeviceHealth("printer", False, "out of paper", "load a new paper roll"))
    h = diag(settings, data_dir, printer=paper).check_printer()
    assert not h.ok and h.advice == "printer out of paper: load a roll"
    off = FakePrinter(health_=DeviceHealth("printer", False, "offline", "check the printer's power and cable"))
    assert diag(settings, data_dir, printer=off).check_printer().advice == d.ADVICE_PRINTER_OFFLINE


def test_printer_test_page_on_the_file_printer(settings, data_dir):
    printer = FilePrinter(PrinterSection(backend="file"), data_dir)
    dg = diag(settings, data_dir, printer=printer)
    h = dg.check_printer_test()
    assert h.ok, h
    files = list((data_dir / "receipts").glob("TEST-*.escpos"))
    assert len(files) == 1 and b"PRINTER TEST" in files[0].read_bytes()
    printer.set_fault("out_of_paper")
    h = dg.check_printer_test()
    assert not h.ok and h.advice == d.ADVICE_PRINTER_PAPER
    assert dg.check_printer().advice == d.ADVICE_PRINTER_PAPER  # the fault is remembered
    printer.set_fault("offline")
    assert dg.check_printer_test().advice == d.ADVICE_PRINTER_OFFLINE


def test_printer_status_checks_the_device_now_without_printing(settings, data_dir, tmp_path):
    """Not the last known state alone: a device unplugged since its last receipt, or a
    folder that cannot be created, is a problem before anyone tries to print."""
    missing = EscposPrinter(PrinterSection(backend="escpos", port=str(tmp_path / "ttyUSB9")))
    h = diag(settings, data_dir, printer=missing).check_printer()
    assert not h.ok and h.detail.startswith(f"[printer] port {tmp_path / 'ttyUSB9'}: no such device")
    assert h.advice == d.ADVICE_PRINTER_OFFLINE
    (tmp_path / "ttyUSB9").write_bytes(b"")  # plugged in: there and writable, and nothing was written
    assert diag(settings, data_dir, printer=missing).check_printer().ok
    assert (tmp_path / "ttyUSB9").read_bytes() == b""
    nowhere = FilePrinter(PrinterSection(backend="file", path="/proc/x/r.escpos"), data_dir)
    h = diag(settings, data_dir, printer=nowhere).check_printer()
    assert not h.ok and h.detail == "[printer] path: cannot create /proc/x: No such file or directory"
    assert h.advice == d.ADVICE_PRINTER_CONFIG
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    network = EscposPrinter(PrinterSection(backend="escpos", port=f"tcp://127.0.0.1:{port}", timeout_s=2.0))
    try:
        assert diag(settings, data_dir, printer=network).check_printer().ok
    finally:
        listener.close()
    h = diag(settings, data_dir, printer=network).check_printer()
    assert not h.ok and "unreachable" in h.detail and h.advice == d.ADVICE_PRINTER_OFFLINE


def test_building_the_file_printer_touches_nothing(data_dir):
    FilePrinter(PrinterSection(backend="file", path="/proc/x/r.escpos"), data_dir)  # no OSError
    FilePrinter(PrinterSection(backend="file"), data_dir)
    assert not (data_dir / "receipts").exists()


def test_startup_check_names_the_key_and_shows_a_recorded_failure(settings, data_dir):
    broken = dataclasses.replace(settings, printer=PrinterSection(backend="file", path="/proc/x/r.escpos"))
    h = diag(broken, data_dir).check_startup()
    assert not h.ok and h.detail == "[printer] path: cannot create /proc/x: No such file or directory"
    assert h.advice == d.ADVICE_CONFIG and h.data["error"] == "config_error"
    assert diag(settings, data_dir).check_startup().ok
    recorded = diag(settings, data_dir, startup_failure=lambda: ("ledger_error", "cannot open ledger: disk I/O error"))
    h = recorded.check_startup()
    assert not h.ok and h.detail == "cannot open ledger: disk I/O error" and h.advice == d.ADVICE_STARTUP_FAILED


@pytest.mark.parametrize(("fault", "advice"), [
    (PrinterOutOfPaper("out of paper"), d.ADVICE_PRINTER_PAPER),
    (PrinterOffline("unreachable"), d.ADVICE_PRINTER_OFFLINE),
    (PrinterOffline("no receipt printer configured", code="no_printer"), d.ADVICE_PRINTER_NONE),
])
def test_printer_test_page_failures(settings, data_dir, fault, advice):
    h = diag(settings, data_dir, printer=FakePrinter(fault=fault)).check_printer_test()
    assert not h.ok and h.advice == advice


def test_test_page_is_not_a_sale(settings):
    import datetime as dt

    r = d.test_receipt(settings, dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    assert r.amount_cents == 0 and r.txn_id.startswith("TEST-") and r.msisdn_masked == "-"


# --------------------------------------------------------------------------- upstream


def _with_backlog(ledger: Ledger, events: int, acked: int) -> None:
    for i in range(events):
        ledger.append("test.event", {"i": i})
    ledger.set_meta(d.ACKED_META, str(acked))


def test_upstream_not_configured_in_demo_is_fine(settings, data_dir, ledger):
    h = diag(settings, data_dir, ledger=ledger).check_upstream()
    assert h.ok and "demo" in h.detail


def test_upstream_missing_url_on_a_real_kiosk(settings, data_dir, ledger):
    real = dataclasses.replace(settings, provider=dataclasses.replace(settings.provider, backend="upstream"))
    h = diag(real, data_dir, ledger=ledger).check_upstream()
    assert not h.ok and h.advice == d.ADVICE_UPSTREAM_UNSET


@pytest.fixture
def online(settings: Settings, tmp_path: Path) -> Settings:
    secret = tmp_path / "secret"
    secret.write_bytes(b"s3cret")
    secret.chmod(0o600)
    return dataclasses.replace(settings, upstream=dataclasses.replace(
        settings.upstream, url="http://backend.invalid:1/", secret_file=str(secret), timeout_s=1.0))


def test_upstream_reachable_reports_unsynced_count(online, data_dir, ledger):
    _with_backlog(ledger, 7, acked=3)
    seen = []

    def get(url: str, timeout: float) -> int:
        seen.append(url)
        return 200

    h = diag(online, data_dir, ledger=ledger, http_get=get).check_upstream()
    assert h.ok and h.data["unsynced"] == 4 and h.data["last_seq"] == 7
    assert seen == ["http://backend.invalid:1/healthz"]
    assert "4 event(s) not yet synced" in h.detail


def test_upstream_unreachable(online, data_dir, ledger):
    _with_backlog(ledger, 2, acked=0)

    def down(url: str, timeout: float) -> int:
        raise UpstreamUnavailable("ConnectError: [Errno 111] Connection refused")

    h = diag(online, data_dir, ledger=ledger, http_get=down).check_upstream()
    assert not h.ok
    assert h.advice == "upstream unreachable: check the network cable; sales continue offline"
    assert h.data["unsynced"] == 2


def test_upstream_server_error(online, data_dir, ledger):
    h = diag(online, data_dir, ledger=ledger, http_get=lambda u, t: 503).check_upstream()
    assert not h.ok and h.advice == d.ADVICE_UPSTREAM_ERROR and h.data["http_status"] == 503


def test_upstream_refusing_the_kiosk(online, data_dir, ledger):
    h = diag(online, data_dir, ledger=ledger, http_get=lambda u, t: 404).check_upstream()
    assert not h.ok and h.advice == d.ADVICE_UPSTREAM_REFUSED and "HTTP 404 (wrong url?)" in h.detail


def test_upstream_secret_missing(online, data_dir, ledger):
    Path(online.upstream.secret_file).unlink()
    h = diag(online, data_dir, ledger=ledger, http_get=lambda u, t: 200).check_upstream()
    assert not h.ok and h.advice == d.ADVICE_SECRET


def test_unsynced_count_without_a_ledger_still_checks_the_network(online, data_dir):
    h = diag(online, data_dir, http_get=lambda u, t: 200).check_upstream()
    assert h.ok and "unsynced" not in h.data


# --------------------------------------------------------------------------- ledger and attention


def test_ledger_verify_ok(settings, data_dir, ledger):
    _with_backlog(ledger, 3, acked=0)
    h = diag(settings, data_dir, ledger=ledger).check_ledger()
    assert h.ok and h.data["last_seq"] == 3


def test_ledger_corrupt_names_the_seq(settings, data_dir, ledger):
    _with_backlog(ledger, 4, acked=0)
    con = sqlite3.connect(data_dir / SQLITE_FILE)
    with con:
        con.execute("UPDATE events SET payload = '{\"i\":99}' WHERE seq = 2")
    con.close()
    h = diag(settings, data_dir, ledger=ledger).check_ledger()
    assert not h.ok
    assert h.advice == "ledger corrupt at seq 2: call support, do not power off"


def test_ledger_inconsistent_without_a_bad_event_names_no_seq(settings, data_dir, ledger):
    """A meta value past the journal's end names no event: no "seq None" in detail or advice."""
    _with_backlog(ledger, 4, acked=0)
    con = sqlite3.connect(data_dir / SQLITE_FILE)
    with con:
        con.execute("UPDATE meta SET value = '1000000' WHERE name = 'sync.acked_through'")
    con.close()
    h = diag(settings, data_dir, ledger=ledger).check_ledger()
    assert not h.ok and "None" not in h.detail, h
    assert h.advice == "ledger inconsistent: call support, do not power off"


def test_ledger_corrupt_detail_names_the_seq_once(settings, data_dir, ledger):
    _with_backlog(ledger, 4, acked=0)
    con = sqlite3.connect(data_dir / SQLITE_FILE)
    with con:
        con.execute("UPDATE events SET kind = 'x' WHERE seq = 2")
    con.close()
    h = diag(settings, data_dir, ledger=ledger).check_ledger()
    assert not h.ok and h.detail.count("seq 2") == 1, h.detail


class BrokenLedger:
    def last_seq(self) -> int:
        raise LedgerError("cannot read the ledger: disk I/O error")

    def get_meta(self, name: str, default: str | None = None) -> str | None:
        raise LedgerError("cannot read the ledger: disk I/O error")

    def transactions(self, **kw: Any) -> Any:
        raise LedgerError("cannot read the ledger: disk I/O error")


def test_unreadable_ledger(settings, data_dir):
    dg = diag(settings, data_dir, ledger=BrokenLedger())  # type: ignore[arg-type]
    h = dg.check_attention()
    assert not h.ok and h.advice == d.ADVICE_LEDGER_UNREADABLE
    up = dg.check_upstream()
    assert up.ok and "unknown" in up.detail  # demo: no upstream; the count is unknown, said so
    missing = diag(settings, data_dir, unavailable={"ledger": "cannot open ledger"}).check_ledger()
    assert not missing.ok and missing.advice == d.ADVICE_LEDGER_UNREADABLE


def test_attention_lists_stuck_transactions(settings, data_dir, ledger):
    assert diag(settings, data_dir, ledger=ledger).check_attention().ok
    ledger.append("txn.created", {"state": "created", "amount_cents": 1500, "currency": "USD",
                                  "msisdn": "12025550123"}, txn_id="t-1")
    ledger.append("txn.state", {"state": "needs_attention", "terminal_receipt_no": "0042"}, txn_id="t-1")
    ledger.append("txn.created", {"state": "completed"}, txn_id="t-2")
    h = diag(settings, data_dir, ledger=ledger).check_attention()
    assert not h.ok and h.data["count"] == 1 and h.data["unfinished_count"] == 0
    assert h.advice.startswith("1 transaction(s) need attention")
    row = h.data["transactions"][0]  # type: ignore[index]
    assert row["txn_id"] == "t-1" and row["msisdn"] == "*******0123" and row["terminal_receipt_no"] == "0042"


def test_unfinished_transactions_ask_for_recovery(settings, data_dir, ledger):
    ledger.append("txn.created", {"state": "payment_requested"}, txn_id="t-9")
    h = diag(settings, data_dir, ledger=ledger).check_attention()
    assert not h.ok and h.data["unfinished"] == ["t-9"]
    assert h.advice == "1 unfinished transaction(s): run `kiosk recover` or restart the kiosk"


# --------------------------------------------------------------------------- disk and versions


def test_disk(data_dir):
    gib = 1024**3
    ok = d.disk_check(data_dir, usage=lambda p: Usage(100 * gib, 50 * gib, 50 * gib))
    assert ok.ok and ok.data["used_percent"] == 50.0
    full = d.disk_check(data_dir, usage=lambda p: Usage(100 * gib, 96 * gib, 4 * gib))
    assert not full.ok and full.advice.startswith("disk 96% full:")
    tiny = d.disk_check(data_dir, usage=lambda p: Usage(gib, gib // 2, 100 * 1024 * 1024))
    assert not tiny.ok  # 50% used but under 200 MiB left


def test_disk_unreadable(data_dir):
    def broken(path: Path) -> Usage:
        raise OSError(5, "Input/output error")

    h = d.disk_check(data_dir, usage=broken)
    assert not h.ok and h.advice == d.ADVICE_DISK_ERROR


def test_disk_on_the_real_data_dir(settings, data_dir):
    h = diag(settings, data_dir / "not-yet").check_disk()
    assert h.data["total_bytes"] > 0


def test_versions(settings, data_dir):
    h = diag(settings, data_dir).check_versions()
    assert h.ok
    for key in ("python", "PySide6", "pyscard", "pyserial", "SQLAlchemy", "os", "simkiosk"):
        assert h.data[key], key


def test_versions_missing_package():
    def version_of(dist: str) -> str:
        if dist == "pyscard":
            raise importlib.metadata.PackageNotFoundError(dist)
        return "1.0"

    h = d.versions_check(version_of=version_of)
    assert not h.ok and "pyscard" in h.detail and h.advice == d.ADVICE_SOFTWARE


# --------------------------------------------------------------------------- dispatch and reports


def test_run_by_name_and_unknown_action(settings, data_dir):
    dg = diag(settings, data_dir, reader=FakeReader())
    assert dg.run("reader").ok
    h = dg.run("self_destruct")
    assert not h.ok and "unknown" in h.detail


def test_every_action_has_a_check(settings, data_dir):
    dg = diag(settings, data_dir)
    for action in d.ACTIONS:
        assert callable(getattr(dg, f"check_{action.name}")), action.name


def test_roles_see_their_actions(settings, data_dir):
    dg = diag(settings, data_dir)
    operator = {a.name for a in dg.actions("operator")}
    assert "terminal_end_of_day" in operator and "printer_test" not in operator
    assert {a.name for a in dg.actions("technician")} >= {"reader", "sim", "ledger", "printer_test"}


def test_run_all_keeps_order_and_reports_failures(settings, data_dir, ledger):
    dg = diag(settings, data_dir, ledger=ledger, reader=FakeReader(names=[]), terminal=FakeTerminal(),
              printer=FakePrinter())
    results = dg.run_all()
    assert [h.name for h in results] == list(d.RUN_ALL_ORDER)
    out = d.report(results)
    assert out["ok"] is False
    reader = next(c for c in out["checks"] if c["name"] == "reader")
    assert reader["advice"] == d.ADVICE_READER_MISSING
    text = d.report_text(results)
    assert "FAIL reader" in text and "-> reader not found: check the USB cable" in text
    assert d.heartbeat_devices(results)["devices"]["terminal"]["ok"] is True


def test_run_all_in_demo_mode_builds_and_closes_everything(settings, data_dir):
    results = d.run_all(settings, data_dir)
    by_name = {h.name: h for h in results}
    assert [h.name for h in results] == list(d.RUN_ALL_ORDER)
    assert all(h.ok for h in results), d.report_text(results)
    assert by_name["sim"].data["card_present"] is False
    assert by_name["terminal"].data["terminal_id"] == "99999999"


def test_run_all_reports_a_missing_terminal(settings, data_dir):
    zvt = dataclasses.replace(settings, terminal=dataclasses.replace(
        settings.terminal, backend="zvt", port=str(data_dir / "no-such-tty"), ack_timeout_s=0.2))
    results = d.run_all(zvt, data_dir, names=["terminal"])
    assert not results[0].ok and results[0].advice == d.ADVICE_TERMINAL_MISSING, results[0]


def test_speech_check_reports_what_audio_guidance_lacks(settings, data_dir, tmp_path):
    """kiosk diag shows whether the kiosk can speak: the Qt module and plugin, the daemon, its
    espeak-ng module and a voice per kiosk language (Mandarin is espeak-ng's cmn)."""
    qt = tmp_path / "PySide6"
    (qt / "Qt/plugins/texttospeech").mkdir(parents=True)
    (qt / "QtTextToSpeech.abi3.so").touch()
    (qt / "Qt/plugins/texttospeech/libqtexttospeech_speechd.so").touch()
    module = tmp_path / "sd_espeak-ng"
    module.touch()
    listing = "Pty Language Age/Gender VoiceName\n 2 en-us --/M English_(America)\n 5 cmn --/M Chinese\n" \
              " 5 es-419 --/M Spanish_(Latin_America)\n"

    def check(**kw):
        args = {"pyside": qt, "which": lambda name: f"/usr/bin/{name}", "espeak_module": module,
                "voices": lambda: listing, **kw}
        return d.speech_check(settings, **args)

    good = check()
    assert good.ok and "en en-us, zh_CN cmn, es es-419" in good.detail
    no_voice = check(voices=lambda: listing.replace("cmn", "yue"))
    assert not no_voice.ok and no_voice.advice == d.ADVICE_SPEECH_VOICE.format(lang="zh_CN")
    no_daemon = check(which=lambda name: None)
    assert not no_daemon.ok and "speech-dispatcher" in no_daemon.detail and no_daemon.advice == d.ADVICE_SPEECH_SOFTWARE
    (qt / "QtTextToSpeech.abi3.so").unlink()
    assert "PySide6-Addons" in check().detail and not check().ok
    off = dataclasses.replace(settings, speech=dataclasses.replace(settings.speech, engine="none"))
    assert d.speech_check(off, pyside=tmp_path / "nothing").ok
    assert d.Diagnostics(settings, data_dir).run("speech").name == "speech"


# --------------------------------------------------------------------------- end of day and the terminal lock


def _eod(total: int, *, batch: int = 7) -> TerminalReport:
    return TerminalReport(True, 0, "end of day: ok", "52500001", ("TOTAL",), total, batch_no=batch)


def test_the_technicians_end_of_day_is_journaled_and_reconciled(settings, data_dir, ledger):
    dg = diag(settings, data_dir, terminal=FakeTerminal(end_of_day_=_eod(0)), ledger=ledger)
    ok = dg.check_terminal_end_of_day()
    assert ok.ok and "reconciled" in ok.detail and ok.data["reconciliation"]["matches"] is True
    last = ledger.last_event("terminal.end_of_day")
    assert last is not None and last.payload["matches"] is True
    assert dg.check_end_of_day().ok

    off = diag(settings, data_dir, terminal=FakeTerminal(end_of_day_=_eod(1250, batch=8)), ledger=ledger)
    bad = off.check_terminal_end_of_day()
    assert not bad.ok and bad.advice == d.ADVICE_END_OF_DAY_MISMATCH.format(difference="12.50")
    check = off.check_end_of_day()  # what `kiosk diag` and the technician screen show afterwards
    assert not check.ok and "MISMATCH" in check.detail and check.advice == bad.advice
    assert check.data["difference_cents"] == 1250 and check.data["batch_no"] == 8


def test_end_of_day_check_reports_none_yet_and_an_overdue_schedule(settings, data_dir, ledger):
    import datetime as dt

    from kiosk.reconcile import END_OF_DAY_EVENT

    never = diag(settings, data_dir, ledger=ledger).check_end_of_day()
    assert never.ok and "no end of day" in never.detail
    scheduled = dataclasses.replace(settings, terminal=dataclasses.replace(settings.terminal, end_of_day_at="03:00"),
                                    kiosk=dataclasses.replace(settings.kiosk, timezone="UTC"))
    ledger.append(END_OF_DAY_EVENT, {"matches": True, "batch_no": 1, "terminal_cents": 0},
                  at=dt.datetime(2024, 5, 4, 3, 0, 5, tzinfo=dt.UTC))
    late = diag(scheduled, data_dir, ledger=ledger, clock=lambda: dt.datetime(2024, 5, 6, 10, 0, tzinfo=dt.UTC))
    h = late.check_end_of_day()
    assert not h.ok and h.advice == d.ADVICE_END_OF_DAY_OVERDUE.format(since="2024-05-04 03:00")
    fresh = diag(scheduled, data_dir, ledger=ledger, clock=lambda: dt.datetime(2024, 5, 5, 4, 0, tzinfo=dt.UTC))
    assert fresh.check_end_of_day().ok  # yesterday's ran; today's is not due for long yet


def test_terminal_checks_wait_for_the_terminal_lock_and_say_who_holds_it(settings, data_dir):
    """Another process's sale holds the terminal: the status enquiry is not sent (it would
    interleave with the sale on the line); the technician reads "busy" and the holder."""
    import subprocess
    import sys

    from kiosk.lease import LOCK_DIR, TerminalLock, terminal_identity

    settings = dataclasses.replace(settings, terminal=dataclasses.replace(settings.terminal, lock_wait_s=0.2))
    path = TerminalLock(terminal_identity(settings.terminal), data_dir / LOCK_DIR)._file
    assert path is not None
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from kiosk.lease import FileLock\n"
        f"lock = FileLock(Path({str(path.path)!r})); assert lock.acquire(5)\n"
        "print('held', flush=True); time.sleep(30)")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        asked: list[str] = []
        term = FakeTerminal(status_=lambda: asked.append("status") or d.TerminalReport(True, 0, "ok"))  # type: ignore[attr-defined]
        lock = TerminalLock(terminal_identity(settings.terminal), data_dir / LOCK_DIR)
        h = diag(settings, data_dir, terminal=term, terminal_lock=lock).check_terminal()
        assert not h.ok and h.advice == d.ADVICE_TERMINAL_BUSY and f"pid {holder.pid}" in h.detail
        assert asked == []
    finally:
        holder.kill()
        holder.wait()
    free = diag(settings, data_dir, terminal=term, terminal_lock=lock).check_terminal()
    assert free.ok and asked == ["status"]
