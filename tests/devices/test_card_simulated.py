"""The simulated backend and the CLI over it (no PC/SC needed)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from devices.card import BACKENDS, open_reader
from devices.card.simulated import READER_NAME, TEST_SIMS, SimulatedCardReader
from kiosk.cli import main
from kiosk.config import ReaderSection
from kiosk.errors import CardRemoved, ConfigError, NoCard, NoReader, ReaderTimeout, UnreadableCard
from kiosk.ports import PROTECTED, CardEvent, CardEventKind, CardReader


@pytest.fixture
def reader() -> SimulatedCardReader:
    r = SimulatedCardReader(ReaderSection(backend="simulated", apdu_timeout_s=0.2))
    yield r  # type: ignore[misc]
    r.close()


def test_registry_opens_backends_lazily() -> None:
    assert set(BACKENDS) == {"pcsc", "simulated"}
    r = open_reader(ReaderSection(backend="simulated"))
    assert isinstance(r, CardReader)
    r.close()
    with pytest.raises(ConfigError):
        open_reader(ReaderSection(backend="nope"))


def test_required_profiles_exist(reader: SimulatedCardReader) -> None:
    names = reader.profiles()
    for wanted in ("T-Mobile", "AT&T", "Verizon", "Mint Mobile (MVNO on T-Mobile)",
                   "Unreadable card"):
        assert wanted in names


@pytest.mark.parametrize("name", list(TEST_SIMS))
def test_every_profile_reads_or_fails_typed(reader: SimulatedCardReader, name: str) -> None:
    reader.insert(name)
    try:
        card = reader.read(1.0)
    except UnreadableCard:
        assert name in ("Unreadable card", "Damaged ICCID")
        return
    assert card.reader == READER_NAME and card.iccid_valid


def test_insert_pull_and_no_card(reader: SimulatedCardReader) -> None:
    with pytest.raises(NoCard):
        reader.read(0.05)
    reader.insert("Verizon")
    assert reader.read(1).carrier == "Verizon"
    reader.pull()
    with pytest.raises(NoCard):
        reader.read(0.05)
    with pytest.raises(ConfigError):
        reader.insert("No such SIM")


def test_read_waits_for_an_insertion_from_another_thread(reader: SimulatedCardReader) -> None:
    t = threading.Timer(0.05, reader.insert, args=("AT&T",))
    t.start()
    assert reader.read(5).carrier == "AT&T"
    t.join()


def test_pin_profile(reader: SimulatedCardReader) -> None:
    reader.insert("T-Mobile, PIN enabled")
    card = reader.read(1)
    assert card.imsi == PROTECTED and card.msisdn == PROTECTED


def test_fault_injection(reader: SimulatedCardReader) -> None:
    reader.insert("AT&T")
    reader.pull_after(3)
    with pytest.raises(CardRemoved):
        reader.read(1)
    reader.pull_after(None)
    reader.insert("AT&T")
    reader.set_delay(0.5)  # above apdu_timeout_s=0.2
    with pytest.raises(ReaderTimeout):
        reader.read(1)
    reader.set_delay(0)
    reader.unplug()
    with pytest.raises(NoReader):
        reader.read(0.1)
    assert not reader.health().ok
    reader.unplug(False)
    assert reader.health().ok


def test_watch_delivers_events_on_its_own_thread(reader: SimulatedCardReader) -> None:
    events: list[tuple[CardEvent, str]] = []
    got = threading.Event()

    def on_event(e: CardEvent) -> None:
        events.append((e, threading.current_thread().name))
        if len(events) == 4:
            got.set()

    with reader.watch(on_event):
        for _ in range(2):
            reader.insert("T-Mobile")
            reader.pull()
        assert got.wait(2)
    kinds = [e.kind for e, _ in events]
    assert kinds == [CardEventKind.INSERTED, CardEventKind.REMOVED] * 2
    assert all(name == "simulated-watch" for _, name in events)


def test_watch_reports_a_card_already_in_the_slot_as_present(reader: SimulatedCardReader) -> None:
    events: list[CardEvent] = []
    got = threading.Event()

    def on_event(e: CardEvent) -> None:
        events.append(e)
        if len(events) == 3:
            got.set()

    reader.insert("T-Mobile")  # before anyone watched: e.g. left in through a restart
    with reader.watch(on_event):
        reader.pull()
        reader.insert("AT&T")
        assert got.wait(2)
    assert [e.kind for e in events] == [CardEventKind.PRESENT, CardEventKind.REMOVED,
                                        CardEventKind.INSERTED]


def test_cli_read_simulated(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_READER_BACKEND", "simulated")
    monkeypatch.setenv("KIOSK_READER_SIMULATED_CARD", "Mint Mobile (MVNO on T-Mobile)")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert main(["card", "read", "--json", "--data-dir", str(tmp_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["carrier"] == "Mint Mobile" and out["carrier_source"] == "gid1"
    assert set(out) >= {"iccid", "iccid_valid", "carrier", "imsi", "gid1", "spn", "msisdn",
                        "atr", "reader"}


def test_cli_read_simulated_no_card(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_READER_BACKEND", "simulated")
    monkeypatch.delenv("KIOSK_READER_SIMULATED_CARD", raising=False)
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    rc = main(["card", "read", "--json", "--timeout", "0.05", "--data-dir", str(tmp_path)])
    assert rc == 1
    assert json.loads(capsys.readouterr().out)["error"] == "no_card"
