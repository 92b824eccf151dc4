"""Through the real stack: pcscd + vsmartcard vpcd + the virtual SIM, and ``kiosk card`` as a
subprocess. Every test leaves the reader empty (the fixture waits for pcscd to see it)."""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from devices.card.pcsc import PcscCardReader
from devices.vsim.card import ATR_UICC, PROFILES
from kiosk.config import ReaderSection
from kiosk.errors import CardRemoved, NoCard, NoReader, ReaderTimeout
from kiosk.ports import PROTECTED, CardEvent, CardEventKind
from tests.devices.conftest import PcscStack

pytestmark = pytest.mark.pcsc


def _read_cli(stack: PcscStack, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    proc = stack.cli("card", "read", "--json", "--reader", stack.reader0, "--timeout", "5",
                     *extra, data_dir=tmp_path)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(lines[0]), proc.stderr


@pytest.mark.parametrize(
    ("mode", "profile"),
    [("uicc", "tmobile"), ("gsm", "short-iccid"), ("dual", "tmobile")],
)
def test_cli_reads_uicc_gsm_and_dual_cards_with_19_and_20_digit_iccids(
    pcsc_stack: PcscStack, tmp_path: Path, mode: str, profile: str
) -> None:
    with pcsc_stack.inserted(profile, mode=mode):
        rc, out, _ = _read_cli(pcsc_stack, tmp_path)
    p = PROFILES[profile]
    assert rc == 0
    assert out["iccid"] == p.iccid and len(out["iccid"]) == (20 if profile == "tmobile" else 19)
    assert out["iccid_valid"] is True
    assert (out["imsi"], out["spn"], out["msisdn"]) == (p.imsi, p.spn, p.msisdn)
    assert out["carrier"] == "T-Mobile" and out["carrier_source"] == "iccid"
    assert out["reader"] == pcsc_stack.reader0
    assert out["atr"] == ("3B021450" if mode == "gsm" else ATR_UICC.hex().upper())


def test_cli_pin_enabled_card(pcsc_stack: PcscStack, tmp_path: Path) -> None:
    with pcsc_stack.inserted("att", mode="gsm", pin_enabled=True):
        rc, out, _ = _read_cli(pcsc_stack, tmp_path)
    assert rc == 0
    assert out["iccid"] == PROFILES["att"].iccid
    assert out["imsi"] == PROTECTED and out["msisdn"] == PROTECTED


@pytest.mark.parametrize("fault", ["garbage", "truncated", "nonbcd"])
def test_cli_bad_answers_fail_with_a_json_error(
    pcsc_stack: PcscStack, tmp_path: Path, fault: str
) -> None:
    with pcsc_stack.inserted("att", fault=fault):
        rc, out, _ = _read_cli(pcsc_stack, tmp_path)
    assert rc == 1
    assert out["error"] == "unreadable_card" and out["message"]


def test_cli_card_pulled_mid_read(pcsc_stack: PcscStack, tmp_path: Path) -> None:
    with pcsc_stack.inserted("att", remove_after=3):
        rc, out, _ = _read_cli(pcsc_stack, tmp_path)
    assert rc == 1
    assert out["error"] == "card_removed"


def test_cli_no_card_within_the_timeout(pcsc_stack: PcscStack, tmp_path: Path) -> None:
    proc = pcsc_stack.cli("card", "read", "--json", "--reader", pcsc_stack.reader0,
                          "--timeout", "0.5", data_dir=tmp_path)
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"error": "no_card",
                                       "message": "no card inserted within the timeout"}


def test_cli_watch_sees_repeated_insert_remove_cycles(
    pcsc_stack: PcscStack, tmp_path: Path
) -> None:
    cycles = 3
    proc = pcsc_stack.popen("card", "watch", "--reader", pcsc_stack.reader0,
                            "--count", str(2 * cycles), data_dir=tmp_path)
    lines: queue.Queue[str] = queue.Queue()
    pump = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []], daemon=True)
    pump.start()
    try:
        for cycle in range(cycles):
            with pcsc_stack.inserted("verizon"):
                event = json.loads(lines.get(timeout=10))
                # the CLI may look at the reader for the first time after the card went in
                expected = ("inserted", "present") if cycle == 0 else ("inserted",)
                assert event["event"] in expected and event["reader"] == pcsc_stack.reader0
                assert event["atr"]
            event = json.loads(lines.get(timeout=10))
            assert event["event"] == "removed"
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        pump.join(5)
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


# --------------------------------------------------------------------------- in-process adapter


def test_adapter_reads_both_readers(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter="Virtual PCD"))
    assert reader.readers() == pcsc_stack.readers
    assert reader.health().ok
    with pcsc_stack.inserted("verizon", slot=1):
        card = reader.read(5)
    assert card.reader == pcsc_stack.readers[1] and card.carrier == "Verizon"
    reader.close()
    reader.close()  # idempotent


def test_adapter_slow_card_times_out_per_exchange(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0, apdu_timeout_s=0.3))
    with pcsc_stack.inserted("att", delay_s=1.0), pytest.raises(ReaderTimeout):
        reader.read(5)
    reader.close()


def test_adapter_slow_optional_files_keep_the_iccid(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0, apdu_timeout_s=0.3))
    with pcsc_stack.inserted("att", mode="uicc", delay_s=1.0) as card:
        card.slow_from = 7  # the ICCID takes 5 APDUs; IMSI's SELECTs stall
        sim = reader.read(5)
    assert sim.iccid == PROFILES["att"].iccid and sim.imsi is None and sim.msisdn is None
    reader.close()


def test_adapter_slow_but_in_time_card_reads(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0, apdu_timeout_s=2.0))
    with pcsc_stack.inserted("att", delay_s=0.01):
        assert reader.read(5).iccid == PROFILES["att"].iccid
    reader.close()


def test_adapter_errors_are_typed(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    with pytest.raises(NoCard):
        reader.read(0.2)
    with pcsc_stack.inserted("att", remove_after=6), pytest.raises(CardRemoved):
        reader.read(5)
    with pytest.raises(NoReader):
        PcscCardReader(ReaderSection(name_filter="absent")).read(0.2)


def test_adapter_watch_in_process(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    events: queue.Queue[CardEvent] = queue.Queue()
    with reader.watch(events.put):
        with pcsc_stack.inserted("tmobile"):
            assert events.get(timeout=10).kind is CardEventKind.INSERTED
        assert events.get(timeout=10).kind is CardEventKind.REMOVED
    reader.close()


def test_adapter_watch_reports_a_card_already_in_the_slot_as_present(pcsc_stack: PcscStack) -> None:
    """A card in the reader before the watch starts (e.g. left there through a restart) is
    ``PRESENT``, never ``INSERTED``: the kiosk must not take it for a new customer's card."""
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    events: queue.Queue[CardEvent] = queue.Queue()
    with pcsc_stack.inserted("tmobile"):
        assert reader.read(5).iccid == PROFILES["tmobile"].iccid  # in the slot for sure
        with reader.watch(events.put):
            first = events.get(timeout=10)
            assert first.kind is CardEventKind.PRESENT and first.atr
    reader.close()


@pytest.mark.parametrize(
    ("profile", "options", "expect"),
    [
        ("short-iccid", {"mode": "dual"}, {"carrier": "T-Mobile"}),
        ("mint", {"mode": "gsm", "refuse_sw": 0x6D00}, {"carrier": "Mint Mobile", "gid1": "D1A0"}),
        ("tmobile", {"mode": "uicc", "pin_enabled": True}, {"imsi": PROTECTED,
                                                             "msisdn": PROTECTED}),
    ],
)
def test_adapter_more_card_kinds(pcsc_stack: PcscStack, profile: str, options: dict[str, Any],
                                 expect: dict[str, Any]) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    with pcsc_stack.inserted(profile, **options):
        card = reader.read(5)
    assert card.iccid == PROFILES[profile].iccid and card.iccid_valid
    for key, value in expect.items():
        assert getattr(card, key) == value


# --------------------------------------------------------------------------- kept connection


def _kept_handle(reader: PcscCardReader) -> int | None:
    worker = reader._worker
    return worker.card.hcard if worker is not None and worker.card is not None else None


def test_adapter_keeps_the_connection_while_the_card_stays(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    with pcsc_stack.inserted("att"):
        first = reader.read(5)
        handle = _kept_handle(reader)
        assert handle is not None
        for _ in range(3):
            assert reader.read(5) == first
        assert _kept_handle(reader) == handle  # connected once per insertion
    reader.close()
    assert reader._worker is None


def test_adapter_reconnects_after_a_swap_a_removal_and_a_reset(
        pcsc_stack: PcscStack, monkeypatch: pytest.MonkeyPatch) -> None:
    from smartcard import scard

    import devices.card.pcsc as pcsc

    disconnected: list[int] = []
    real_call = pcsc._call

    def spy(sc: Any, name: str, *args: Any) -> tuple[Any, ...]:
        if name == "SCardDisconnect":
            disconnected.append(args[0])
        return real_call(sc, name, *args)

    monkeypatch.setattr(pcsc, "_call", spy)
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    with pcsc_stack.inserted("att"):
        assert reader.read(5).iccid == PROFILES["att"].iccid
        stale = _kept_handle(reader)
    with pcsc_stack.inserted("verizon"):  # another card in the same slot: never the old answer
        assert reader.read(5).iccid == PROFILES["verizon"].iccid
        # the stale handle is released once the read has answered (off the caller's wait)
        deadline = time.monotonic() + 2
        while stale not in disconnected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stale in disconnected
    with pytest.raises(NoCard):  # the card is gone: the stale handle is not a card
        reader.read(0.3)
    with pcsc_stack.inserted("tmobile"):
        assert reader.read(5).iccid == PROFILES["tmobile"].iccid
        kept = _kept_handle(reader)
        # another application resets the card under our kept connection
        _, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _, hcard, _proto = scard.SCardConnect(ctx, pcsc_stack.reader0, scard.SCARD_SHARE_SHARED,
                                             scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        hresult, _ = scard.SCardReconnect(hcard, scard.SCARD_SHARE_SHARED,
                                          scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
                                          scard.SCARD_RESET_CARD)
        assert hresult == scard.SCARD_S_SUCCESS
        scard.SCardDisconnect(hcard, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(ctx)
        assert reader.read(5).iccid == PROFILES["tmobile"].iccid
        assert _kept_handle(reader) not in (None, kept)
    reader.close()


def test_adapter_with_a_watch_reconnects_to_a_swapped_card_without_a_failed_exchange(
        pcsc_stack: PcscStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a watch runs (as in the kiosk), a read after the card was swapped connects
    straight to the new card with the ATR the watch reported: no exchange on the dead
    handle, no status query first. A read the watch has not caught up with still finds
    out from the card (the tests above, without a watch)."""
    from smartcard import scard

    import devices.card.pcsc as pcsc

    calls: list[str] = []  # the reads' own PC/SC calls (the reader's worker thread)
    real_call = pcsc._call

    def spy(sc: Any, name: str, *args: Any) -> tuple[Any, ...]:
        if threading.current_thread().name == "pcsc-reader":  # not the watch's polling
            calls.append(name)
        return real_call(sc, name, *args)

    real_transmit = scard.SCardTransmit
    failed: list[int] = []

    def transmit(*args: Any) -> Any:
        result = real_transmit(*args)
        if result[0] != scard.SCARD_S_SUCCESS:
            failed.append(result[0])
        return result

    monkeypatch.setattr(pcsc, "_call", spy)
    monkeypatch.setattr(scard, "SCardTransmit", transmit)

    def next_event(kind: CardEventKind) -> CardEvent:
        while True:
            event = events.get(timeout=10)
            if event.kind is kind:
                return event

    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    events: queue.Queue[CardEvent] = queue.Queue()
    with reader.watch(events.put):
        with pcsc_stack.inserted("att"):
            next_event(CardEventKind.INSERTED)
            assert reader.read(5).iccid == PROFILES["att"].iccid
            kept = _kept_handle(reader)
            assert reader.read(5).iccid == PROFILES["att"].iccid
            assert _kept_handle(reader) == kept  # the watch's shortcut leaves a kept card alone
        next_event(CardEventKind.REMOVED)
        with pcsc_stack.inserted("verizon"):
            inserted = next_event(CardEventKind.INSERTED)
            calls.clear()
            card = reader.read(5)
            assert card.iccid == PROFILES["verizon"].iccid
            assert card.atr == inserted.atr
            assert failed == []  # nothing sent on the dead handle
            assert "SCardGetStatusChange" not in calls[: calls.index("SCardConnect")]
            assert _kept_handle(reader) not in (None, kept)
        next_event(CardEventKind.REMOVED)
        with pytest.raises(NoCard):  # the card is gone: the watch's word is not a card
            reader.read(0.3)
        with pcsc_stack.inserted("tmobile"):
            next_event(CardEventKind.INSERTED)
            assert reader.read(5).iccid == PROFILES["tmobile"].iccid
    reader.close()


def test_adapter_card_pulled_mid_read_on_a_kept_connection(pcsc_stack: PcscStack) -> None:
    reader = PcscCardReader(ReaderSection(name_filter=pcsc_stack.reader0))
    with pcsc_stack.inserted("att") as card:
        reader.read(5)
        card.remove_after = card.apdus + 2  # the card drops out during the next read
        with pytest.raises(CardRemoved):
            reader.read(5)
    assert _kept_handle(reader) is None
    reader.close()
