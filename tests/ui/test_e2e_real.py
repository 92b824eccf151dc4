"""The customer journey through the REAL composition root and simulators (no test fakes).

``kiosk.app.build_services(demo settings)`` gives the simulated reader (real SIM
decoding against the virtual card), the simulated terminal, the simulated
provider and the file printer, wired into the real saga and ledger. Afterwards
the ledger must verify and the transaction must sit in the right final state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk import flow
from kiosk.ledger import verify
from tests.ui.conftest import Kiosk, make_kiosk, running

WAIT_MS = 15000


@pytest.fixture
def real_kiosk(qtbot: object, real_services: Any) -> Iterator[Kiosk]:
    yield from make_kiosk(qtbot, real_services, real_services.settings)


def buy_with_sim(k: Kiosk, sim: str = "T-Mobile") -> str:
    """Attract → ... → confirm → pay with ``sim`` in the slot; returns the plan id bought."""
    k.wait_screen("attractScreen")
    k.tap("attractTouch")
    k.tap("chooseLang_en")
    k.wait_screen("insertSimScreen")
    k.services.reader.insert(sim)
    k.wait_screen("accountScreen", timeout=WAIT_MS)
    k.tap("choosePlanButton")
    k.wait_screen("plansScreen")
    # the screen shows a spinner until the catalogue arrives (slow on a loaded machine)
    k.qtbot.waitUntil(lambda: bool(k.ui.controller.session.plans), timeout=WAIT_MS)  # type: ignore[attr-defined]
    plans = k.ui.controller.session.plans
    assert plans
    plan_id = plans[0].id
    k.tap(f"plan_{plan_id}")
    k.wait_screen("confirmScreen")
    k.tap("payButton")
    return plan_id


def only_transaction(services: Any) -> dict[str, Any]:
    rows = list(services.ledger.transactions())
    assert len(rows) == 1, rows
    return rows[0]


def test_happy_path_with_a_sim(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    plan_id = buy_with_sim(k)
    k.wait_screen("successScreen", timeout=WAIT_MS)
    assert k.find("takeSimText") is not None  # the SIM is still in the slot
    txn = only_transaction(k.services)
    assert txn["state"] == "completed" and txn["plan_id"] == plan_id
    assert txn["msisdn"] == "12025550101"  # the number the simulated provider has for this SIM
    assert verify(k.services.ledger).ok
    assert list((k.services.data_dir / "receipts").iterdir())  # the file printer printed
    k.tap("doneButton")
    k.wait_screen("takeSimScreen")  # every exit with the SIM in the slot asks for it first
    k.services.reader.pull()
    k.wait_screen("attractScreen")


class TapCounter:
    """Counts every press the customer makes on the window (real mouse events)."""

    def __init__(self, k: Kiosk) -> None:
        from PySide6.QtCore import QEvent, QObject

        outer = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.MouseButtonPress:
                    outer.taps += 1
                return False

        self.taps = 0
        self._filter = Filter()
        k.ui.window.installEventFilter(self._filter)


def test_a_returning_customer_with_a_sim_pays_in_three_taps(real_kiosk: Kiosk) -> None:
    """Attract language button (1), SIM in, "Renew <plan> for $X" (2), Pay (3): the payment
    starts after the third tap, and everything is in the customer's language."""
    k = real_kiosk
    k.wait_screen("attractScreen")
    taps = TapCounter(k)
    k.tap("attractLang_es")  # 1: starts in Spanish, straight to "insert your SIM"
    k.wait_screen("insertSimScreen")
    k.services.reader.insert("T-Mobile")
    k.wait_screen("accountScreen", timeout=WAIT_MS)
    renew = k.wait_item("renewButton")  # the current plan (tmo-unl-40) is on sale here
    assert str(renew.property("text")) == "Renovar Ilimitado 30 días por $40.00"
    assert k.text("currentPlanRowValue") == "Ilimitado 30 días"  # a name, never the id
    k.tap("renewButton")  # 2
    k.wait_screen("confirmScreen")
    k.tap("payButton")  # 3
    k.wait_screen("successScreen", timeout=WAIT_MS)
    assert taps.taps == 3
    txn = only_transaction(k.services)
    assert txn["state"] == "completed" and txn["plan_id"] == "tmo-unl-40"
    created = next(e for e in k.services.ledger.events(txn_id=txn["txn_id"]) if e.kind == "txn.created")
    assert created.payload["lang"] == "es" and created.payload["plan_name_local"] == "Ilimitado 30 días"
    from kiosk.receipt import decode_escpos, reference_of

    (printed,) = (k.services.data_dir / "receipts").iterdir()
    lines = decode_escpos(printed.read_bytes())
    text = "\n".join(lines)
    ref = reference_of(txn["txn_id"])
    assert "RECIBO DE RECARGA PREPAGADA" in text and "Ilimitado 30 días" in text
    assert f"Referencia                        {ref}" in text and "lang=es" in text
    assert any(line.startswith("[QR] BEGIN:VCALENDAR") and "Renueve su plan de T-Mobile" in line
               for line in lines)
    assert k.text("referenceText") == f"Referencia: {ref}"  # the same reference on screen
    assert "Su plan ahora está vigente hasta el" in k.text("validUntilText")
    assert verify(k.services.ledger).ok


def test_a_card_left_in_the_slot_is_not_shown_to_the_next_customer(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    k.wait_screen("attractScreen")
    k.tap("attractLang_en")
    k.services.reader.insert("T-Mobile")
    k.wait_screen("accountScreen", timeout=WAIT_MS)
    k.tap("startOverButton")
    k.wait_screen("takeSimScreen")  # the customer walks away; the take-SIM screen times out
    k.ui.controller.dispatch(flow.ScreenTimeout())
    k.wait_screen("attractScreen")
    k.tap("attractLang_en")  # the next customer
    k.wait_screen("insertSimScreen")
    k.wait_item("staleCardText")  # "a SIM card is already in the slot: take it out"
    assert k.ui.controller.session.account is None and k.ui.models["accountModel"].value("carrier", "") == ""
    k.services.reader.pull()
    k.services.reader.insert("T-Mobile")  # removed and reinserted: read again
    k.wait_screen("accountScreen", timeout=WAIT_MS)


def test_a_card_left_in_the_slot_through_a_restart_is_not_shown(qtbot: object, tmp_path: Any) -> None:
    """The kiosk starts with a SIM already in the slot (the previous customer's, left there
    when the kiosk restarted): nobody sees its account until it is pulled and inserted again."""
    from kiosk.app import build_services
    from tests.ui.conftest import demo_settings, fast_simulators

    settings = demo_settings()
    settings = dataclasses.replace(settings, reader=dataclasses.replace(settings.reader,
                                                                        simulated_card="T-Mobile"))
    services = build_services(settings, tmp_path)
    fast_simulators(services)
    with running(make_kiosk(qtbot, services, settings)) as k:
        k.qtbot.waitUntil(lambda: k.ui.controller.session.stale_slot, timeout=WAIT_MS)  # type: ignore[attr-defined]
        k.tap("attractLang_en")
        k.wait_screen("insertSimScreen")
        k.wait_item("staleCardText")  # "a SIM card is already in the slot: take it out"
        assert k.ui.controller.session.account is None and k.ui.controller.session.card is None
        assert k.ui.models["accountModel"].value("carrier", "") == ""
        k.ui.controller.dispatch(flow.IdleTimeout())  # this customer walks off: the next one...
        k.ui.controller.dispatch(flow.IdleExpired())
        k.wait_screen("attractScreen")  # (no "take your SIM": it was never this customer's card)
        k.tap("attractLang_es")  # ...is told the same
        k.wait_item("staleCardText")
        k.ui.controller.dispatch(flow.StartOver())
        k.wait_screen("attractScreen")
        k.tap("attractLang_es")
        k.wait_item("staleCardText")
        k.services.reader.pull()
        k.services.reader.insert("T-Mobile")  # removed and reinserted: read again
        k.wait_screen("accountScreen", timeout=WAIT_MS)


def test_decline(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    k.services.terminal.set_behaviour("decline")
    buy_with_sim(k)
    k.wait_screen("paymentDeclinedScreen", timeout=WAIT_MS)
    txn = only_transaction(k.services)
    assert txn["state"] == "payment_declined"
    assert verify(k.services.ledger).ok
    k.services.terminal.set_behaviour("approve")
    k.tap("retryButton")
    k.wait_screen("confirmScreen")
    k.tap("payButton")
    k.wait_screen("successScreen", timeout=WAIT_MS)
    states = sorted(row["state"] for row in k.services.ledger.transactions())
    assert states == ["completed", "payment_declined"]


def test_topup_failure_is_reversed(real_kiosk: Kiosk) -> None:
    k = real_kiosk
    k.services.provider.set_control(mode="fail", failure_kind="customer_fixable")
    buy_with_sim(k)
    k.wait_screen("topupFailedScreen", timeout=WAIT_MS)
    assert k.find("referenceText") is not None
    txn = only_transaction(k.services)
    assert txn["state"] == "reversed"
    kinds = [e.kind for e in k.services.ledger.events(txn_id=txn["txn_id"])]
    assert any("revers" in kind for kind in kinds), kinds
    assert verify(k.services.ledger).ok
    k.services.provider.set_control(mode="ok")
    k.tap("retryButton")  # customer-fixable: choose another plan
    k.wait_screen("plansScreen")


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_the_demo_panel_fits_the_window(qtbot: object, real_services: Any, size: tuple[int, int]) -> None:
    from PySide6.QtCore import QSize

    from ui.layoutcheck import _frames, problems

    with running(make_kiosk(qtbot, real_services, real_services.settings, size=QSize(*size), demo=True)) as k:
        k.ui.demo.toggle()
        panel = k.wait_item("demoPanel")
        k.qtbot.waitUntil(lambda: len(k.ui.demo.property("profiles")) == 10)
        _frames(k.ui.window)
        assert panel.height() + 48 <= size[1]
        (scroller,) = [c for c in panel.childItems() if c.inherits("QQuickFlickable")]
        assert not scroller.property("interactive")  # everything shows, nothing scrolls
        assert not [p for p in problems(k.ui.window) if "demoPanel" in p]
        k.tap("demoInsert_T-Mobile")
        k.wait_screen("attractScreen")  # a SIM inserted on the attract screen waits for a touch


def test_typing_a_number_pays_in_fifteen_taps(real_kiosk: Kiosk) -> None:
    """Attract language (1), "enter your phone number" (2), 10 digits (12), Continue (13),
    Renew (14), Pay (15): 17 before this round."""
    k = real_kiosk
    k.wait_screen("attractScreen")
    taps = TapCounter(k)
    k.tap("attractLang_en")
    k.tap("usePhoneButton")
    k.wait_screen("phoneScreen")
    k.type_number("2025550101")  # the number the simulated provider knows for the T-Mobile SIM
    k.tap("submitNumberButton")
    k.wait_screen("accountScreen", timeout=WAIT_MS)
    k.tap("renewButton")
    k.wait_screen("confirmScreen")
    k.tap("payButton")
    k.wait_screen("successScreen", timeout=WAIT_MS)
    assert taps.taps == 15
    assert k.find("takeSimText") is None  # no SIM was inserted
    k.tap("doneButton")
    k.wait_screen("attractScreen")  # no SIM: straight back


# --------------------------------------------------------------------------- the pay screen's truth, real terminals


@pytest.fixture
def zvt_kiosk(qtbot: object, tmp_path: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Kiosk, Any]]:
    """The real composition root with the real ZVT driver against the emulator (its faults and
    T4 from the test's indirect parameter), demo reader/provider/printer, T3 = 1 s, and "not
    responding" after 1 s of silence."""
    import dataclasses

    from kiosk.app import build_services
    from payment.emulator import EmulatorConfig, ZvtEmulator
    from tests.ui.conftest import demo_settings

    faults, master_s = request.param
    base = demo_settings()
    settings = dataclasses.replace(
        base, kiosk=dataclasses.replace(base.kiosk, payment_silence_s=1.0),
        terminal=dataclasses.replace(base.terminal, backend="zvt", port=str(tmp_path / "terminal"),
                                     ack_timeout_s=1.0, master_timeout_s=master_s))
    with ZvtEmulator(EmulatorConfig(**faults), link=tmp_path / "terminal", journal=tmp_path / "journal.jsonl"):
        services = build_services(settings, tmp_path / "data")
        for k in make_kiosk(qtbot, services, settings):
            yield k, tmp_path / "journal.jsonl"


def _pay_screen_wait(k: Kiosk, end_screen: str, timeout_ms: int) -> float:
    import time

    started = time.monotonic()
    k.wait_screen(end_screen, timeout=timeout_ms)
    waited = time.monotonic() - started
    print(f"{end_screen} after {waited:.2f} s")  # the figures docs/money.md quotes (pytest -s)
    return waited


@pytest.mark.parametrize("zvt_kiosk", [({"silent_at": "card"}, 20.0)], indirect=True, ids=["silent-at-card"])
def test_a_silent_zvt_terminal_is_not_responding_and_cancel_is_cancelled(zvt_kiosk: tuple[Kiosk, Any]) -> None:
    """The terminal took the payment and fell silent while master: after [kiosk]
    payment_silence_s the pay screen says so, with Cancel; Cancel aborts (06 B0, then the
    link is dropped), the terminal's last result shows nothing, and the customer reads
    "cancelled" (never "declined") within the abort bound plus one query."""
    from payment.emulator import read_journal
    from payment.zvt.timing import Timing

    k, journal = zvt_kiosk
    buy_with_sim(k)
    k.wait_screen("payScreen")
    k.qtbot.waitUntil(lambda: k.ui.controller.session.terminal_silent, timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert k.text("promptText") == "The card terminal is not responding."
    activity = k.services.terminal.activity()
    assert activity.operation == "authorize" and activity.master and activity.silent_s >= 0.9
    k.tap("cancelPaymentButton")
    timing = Timing(ack_s=1.0, master_s=20.0)
    bound = timing.abort_bound_s(0.0) + timing.register_s(0.0) + timing.command_s(0.0, 3)
    waited = _pay_screen_wait(k, "paymentCancelledScreen", int((bound + 5) * 1000))
    assert waited <= bound + 3.0, f"{waited:.1f} s after Cancel (bound {bound:.1f} s)"  # 3 s: a loaded machine
    txn = only_transaction(k.services)
    assert txn["state"] == "payment_declined"
    assert [r for r in read_journal(journal) if r["kind"] == "approval"] == []


@pytest.mark.parametrize("zvt_kiosk", [({"silent_at": "card"}, 3.0)], indirect=True, ids=["silent-at-card"])
def test_a_terminal_silent_past_t4_ends_as_terminal_offline_not_declined(zvt_kiosk: tuple[Kiosk, Any]) -> None:
    """Nobody presses Cancel: after T4 of silence the outcome is unknown, the terminal's last
    result shows nothing, and the screen says the terminal did not complete the payment
    (nothing charged), not that the card was declined. Time on the pay screen: T4, then
    the query."""
    from payment.zvt.timing import Timing

    k, _ = zvt_kiosk
    buy_with_sim(k)
    k.wait_screen("payScreen")
    timing = Timing(ack_s=1.0, master_s=3.0)
    bound = (timing.register_s(0.0) + timing.send_s() + timing.first_answer_s(0.0) + timing.master_s
             + timing.abort_bound_s(0.0) + timing.register_s(0.0) + timing.command_s(0.0, 3))
    waited = _pay_screen_wait(k, "terminalOfflineScreen", int((bound + 5) * 1000))
    assert timing.master_s <= waited <= bound + 3.0, f"{waited:.1f} s on the pay screen (bound {bound:.1f} s)"
    assert only_transaction(k.services)["state"] == "payment_declined"


def test_cancel_while_the_simulated_terminal_hangs_is_cancelled(real_kiosk: Kiosk) -> None:
    """Demo mode's ``hang``: an abort while it hangs is a definite abort, so Cancel shows
    "cancelled" and the sale ends declined-nothing-charged, not in needs_attention."""
    k = real_kiosk
    k.services.terminal.set_behaviour("hang")
    buy_with_sim(k)
    k.wait_screen("payScreen")
    k.qtbot.waitUntil(lambda: k.text("promptText") == "Insert your card", timeout=WAIT_MS)  # type: ignore[attr-defined]
    k.tap("cancelPaymentButton")
    k.wait_screen("paymentCancelledScreen", timeout=WAIT_MS)
    txn = only_transaction(k.services)
    assert txn["state"] == "payment_declined"
    states = [e.payload.get("state") for e in k.services.ledger.events(txn_id=txn["txn_id"])]
    assert "payment_unknown" not in states  # the abort's own answer, no query needed
