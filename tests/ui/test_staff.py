"""Technician and operator mode through the QML: gesture, PIN gate, diagnostics, export."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtQuick import QQuickItem

from kiosk import diagnostics
from kiosk.flow import State
from kiosk.ports import Account
from tests.ui.conftest import (
    OPERATOR_PIN,
    TECH_PIN,
    FakeMonotonic,
    Kiosk,
    MovableClock,
    make_kiosk,
    running,
)
from tests.ui.fakes import FakeServices
from ui.staff import CornerTaps, DateRange, advice_key, catalogue_key

STAFF_WAIT_MS = 20000  # a live check (printer test page) may take a second on a busy machine


# --------------------------------------------------------------------------- pure parts


def test_corner_taps_need_five_within_three_seconds() -> None:
    taps = CornerTaps()
    assert not any(taps.tap(t) for t in (0.0, 0.5, 1.0, 1.5))
    assert taps.tap(2.0)  # the fifth within 3 s
    assert not taps.tap(2.1)  # counting starts again
    slow = CornerTaps()
    assert not any(slow.tap(t) for t in (0.0, 1.0, 2.0, 3.0, 4.0))  # five, but over 4 s
    assert slow.tap(4.5) is False and slow.tap(4.6) is True  # the last five fit in 3 s


def test_every_advice_has_a_catalogue_entry_and_parses_back() -> None:
    catalogue = (Path(__file__).resolve().parents[2] / "ui/qml/components/AdviceCatalog.qml").read_text("utf-8")
    entries = set(re.findall(r'QT_TRANSLATE_NOOP\("Advice", "((?:[^"\\]|\\.)*)"\)', catalogue))
    for name, value in vars(diagnostics).items():
        if name.startswith("ADVICE_"):
            assert catalogue_key(value) in entries, name
    assert advice_key(diagnostics.ADVICE_LEDGER_CORRUPT.format(seq=42)) == (
        "ledger corrupt at seq %1: call support, do not power off", ["42"])
    assert advice_key(diagnostics.ADVICE_READER_MISSING) == (diagnostics.ADVICE_READER_MISSING, [])
    assert advice_key("something a driver said") == ("something a driver said", [])


def test_date_range_steps_stay_valid_and_never_pass_today() -> None:
    today = dt.date(2026, 5, 14)
    r = DateRange.today(today)
    assert r.step("last", 1, today) == r  # not into the future
    earlier = r.step("first", -3, today)
    assert earlier == DateRange(dt.date(2026, 5, 11), today)
    assert earlier.step("last", -5, today) == DateRange(dt.date(2026, 5, 9), dt.date(2026, 5, 9))
    assert DateRange.preset("month", today) == DateRange(dt.date(2026, 5, 1), today)
    assert DateRange.preset("week", today).first == dt.date(2026, 5, 8)
    assert DateRange.preset("yesterday", today) == DateRange(dt.date(2026, 5, 13), dt.date(2026, 5, 13))


# --------------------------------------------------------------------------- helpers


def corner_taps(k: Kiosk, n: int, gap_s: float = 0.2) -> None:
    mono: FakeMonotonic = k.ui.staff._monotonic  # type: ignore[assignment]
    for _ in range(n):
        k.tap("staffCorner")
        mono.now += gap_s


def staff_kiosk(qtbot: object, services: Any, **kw: Any) -> Iterator[Kiosk]:
    clock = kw.pop("clock", MovableClock())
    yield from make_kiosk(qtbot, services, services.settings if hasattr(services, "settings") else kw.pop("settings"),
                          clock=clock, monotonic=FakeMonotonic(), **kw)


def enter_pin(k: Kiosk, pin: str) -> None:
    k.wait_screen("pinScreen")
    for d in pin:
        k.tap(f"key_{d}")
    k.qtbot.waitUntil(lambda: k.ui.staff.pinLength == len(pin))  # type: ignore[attr-defined]
    k.tap("pinSubmitButton")


def login(k: Kiosk, pin: str = TECH_PIN, screen: str = "technicianScreen") -> None:
    corner_taps(k, 5)
    enter_pin(k, pin)
    k.wait_screen(screen, timeout=STAFF_WAIT_MS)


def run_action(k: Kiosk, name: str) -> dict[str, Any]:
    k.tap(f"run_{name}")
    k.qtbot.waitUntil(lambda: k.ui.staff.results.get(name, {}).get("state") in ("ok", "fail"),  # type: ignore[attr-defined]
                      timeout=STAFF_WAIT_MS)
    result: dict[str, Any] = k.ui.staff.results[name]
    return result


def audit_kinds(services: Any) -> list[str]:
    return [e.kind for e in services.ledger.events() if e.kind.startswith("audit.")]


@pytest.fixture
def fake_kiosk(qtbot: object, services: FakeServices, settings: Any) -> Iterator[Kiosk]:
    yield from make_kiosk(qtbot, services, settings, clock=MovableClock(), monotonic=FakeMonotonic())


@pytest.fixture
def kiosk_real(qtbot: object, real_services: Any) -> Iterator[Kiosk]:
    yield from staff_kiosk(qtbot, real_services)


# --------------------------------------------------------------------------- the gesture


def test_five_quick_corner_taps_open_the_pin_pad(fake_kiosk: Kiosk) -> None:
    fake_kiosk.wait_screen("attractScreen")
    corner_taps(fake_kiosk, 5)
    fake_kiosk.wait_screen("pinScreen")
    assert fake_kiosk.ui.controller.suspended
    assert fake_kiosk.find("key_5") is not None  # the shared large keypad


def test_nothing_else_opens_the_pin_pad(fake_kiosk: Kiosk) -> None:
    k = fake_kiosk
    k.wait_screen("attractScreen")
    corner_taps(k, 4)  # four taps
    k.settled()
    assert k.ui.staff.mode == "" and k.screen_name() == "attractScreen"
    k.ui.staff._monotonic.now += 10  # type: ignore[attr-defined]
    corner_taps(k, 5, gap_s=1.0)  # five taps, but over four seconds
    k.settled()
    assert k.ui.staff.mode == ""
    k.tap("attractTouch")  # taps elsewhere go to the customer flow
    k.wait_screen("languageScreen")
    for name in ("chooseLang_en", "topLang_es", "contrastToggle", "contrastToggle"):
        k.tap(name)
    assert k.ui.staff.mode == "" and k.screen_name() != "pinScreen"
    for lang in ("zh_CN", "en", "es", "en", "zh_CN"):  # five quick taps in the top bar's other corner
        k.tap(f"topLang_{lang}")
    assert k.ui.staff.mode == ""


def test_the_gesture_is_ignored_while_money_is_moving(fake_kiosk: Kiosk) -> None:
    from tests.ui.test_journeys import to_confirm

    k = fake_kiosk
    to_confirm(k)
    k.tap("payButton")
    k.wait_screen("payScreen")
    corner_taps(k, 5)
    k.settled()
    assert k.ui.staff.mode == "" and k.state is State.PAY
    k.services.checkout.proceed()
    k.wait_screen("successScreen")


# --------------------------------------------------------------------------- the PIN gate


def test_five_wrong_pins_lock_the_pad_for_five_minutes(qtbot: object, real_services: Any) -> None:
    clock = MovableClock()
    with running(staff_kiosk(qtbot, real_services, clock=clock)) as k:
        corner_taps(k, 5)
        for attempt in range(1, 6):
            enter_pin(k, "9999")
            k.qtbot.waitUntil(lambda: not k.ui.staff.pinBusy and k.ui.staff.pinMessage != "",
                              timeout=STAFF_WAIT_MS)
            if attempt < 5:
                assert k.ui.staff.pinMessage == "wrong_pin"
                assert k.ui.staff.attemptsLeft == 5 - attempt
                assert f"{5 - attempt}" in k.text("pinMessage")
        assert k.ui.staff.locked and k.ui.staff.lockedSeconds == 300
        assert "5:00" in k.text("pinMessage")
        assert not k.find("key_2").isEnabled()  # type: ignore[union-attr]  # the keypad is disabled
        k.ui.staff.pinDigit("2")
        assert k.ui.staff.pinLength == 0 and not k.ui.staff.canSubmit
        clock.advance(299)
        k.qtbot.waitUntil(lambda: k.ui.staff.lockedSeconds == 1, timeout=STAFF_WAIT_MS)
        assert k.ui.staff.locked and "0:01" in k.text("pinMessage")
        # leaving and coming back does not reset the lock (it lives in the ledger)
        k.tap("pinCancelButton")
        k.wait_screen("attractScreen")
        corner_taps(k, 5)
        k.wait_screen("pinScreen")
        k.qtbot.waitUntil(lambda: k.ui.staff.locked, timeout=STAFF_WAIT_MS)
        clock.advance(2)
        k.qtbot.waitUntil(lambda: not k.ui.staff.locked, timeout=STAFF_WAIT_MS)
        enter_pin(k, TECH_PIN)
        k.wait_screen("technicianScreen", timeout=STAFF_WAIT_MS)
    kinds = audit_kinds(real_services)
    assert kinds.count("audit.pin_failed") == 5 and "audit.lockout" in kinds
    assert "audit.login_refused" not in kinds  # nothing was submitted while locked
    assert kinds[-1] in ("audit.login", "audit.logout")


def test_lockouts_escalate_then_hold_until_a_technician_unlocks(qtbot: object, real_services: Any) -> None:
    """5 min, 15 min, 1 h ("1:00:00", not "60:00"), then locked for good: the pad says so
    instead of counting down ten years, also after leaving and coming back."""
    clock = MovableClock()

    def five_wrong(k: Kiosk) -> None:
        for _ in range(5):
            k.qtbot.waitUntil(lambda: not k.ui.staff.pinBusy and not k.ui.staff.locked, timeout=STAFF_WAIT_MS)
            for d in "9999":
                k.ui.staff.pinDigit(d)
            k.ui.staff.submitPin()
        k.qtbot.waitUntil(lambda: k.ui.staff.locked, timeout=STAFF_WAIT_MS)

    with running(staff_kiosk(qtbot, real_services, clock=clock)) as k:
        corner_taps(k, 5)
        k.wait_screen("pinScreen")
        for minutes, shown in ((5, "5:00"), (15, "15:00"), (60, "1:00:00")):
            five_wrong(k)
            assert k.ui.staff.lockedSeconds == minutes * 60 and not k.ui.staff.lockedPermanent
            assert shown in k.text("pinMessage")
            clock.advance(minutes * 60 + 1)
            k.qtbot.waitUntil(lambda: not k.ui.staff.locked, timeout=STAFF_WAIT_MS)
        five_wrong(k)
        assert k.ui.staff.lockedPermanent
        assert k.text("pinMessage") == "Too many wrong PINs. Locked until a technician unlocks it."
        k.tap("pinCancelButton")
        k.wait_screen("attractScreen")
        corner_taps(k, 5)
        k.wait_screen("pinScreen")
        k.qtbot.waitUntil(lambda: k.ui.staff.lockedPermanent, timeout=STAFF_WAIT_MS)
        assert "unlocks" in k.text("pinMessage") and not k.find("key_2").isEnabled()  # type: ignore[union-attr]


def test_the_operator_pin_opens_the_operator_screen(kiosk_real: Kiosk) -> None:
    login(kiosk_real, OPERATOR_PIN, "operatorScreen")
    assert kiosk_real.ui.staff.role == "operator"
    assert kiosk_real.ui.staff.actions == ["terminal_end_of_day", "end_of_day", "attention", "versions"]


def test_the_more_below_bar_scrolls_the_technician_list(kiosk_real: Kiosk) -> None:
    """The checks scroll in their own list under title and subtitle (one scroll area, not a
    page around a list): the "More below" bar shows, follows that list and scrolls it."""
    k = kiosk_real
    login(k)
    listed = k.wait_item("staffList")
    k.qtbot.waitUntil(lambda: k.find("moreBelow") is not None)  # type: ignore[attr-defined]
    assert float(listed.property("contentHeight")) > listed.height()
    assert float(k.wait_item("screenScroller").property("contentHeight")) <= k.wait_item("screenScroller").height() + 1
    while not listed.property("atYEnd"):
        before = float(listed.property("contentY"))
        k.tap("moreBelow")
        k.qtbot.waitUntil(lambda b=before: float(listed.property("contentY")) > b)  # type: ignore[attr-defined]
    assert k.text("moreText").startswith("\u25B2")  # "Back to the top"
    k.tap("moreBelow")
    k.qtbot.waitUntil(lambda: float(listed.property("contentY")) == 0.0)  # type: ignore[attr-defined]


def test_no_pin_configured_says_so(qtbot: object, tmp_path: Path) -> None:
    from kiosk.app import build_services
    from kiosk.config import Settings

    with build_services(Settings().demo(), tmp_path) as services, running(staff_kiosk(qtbot, services)) as k:
        corner_taps(k, 5)
        k.wait_screen("pinScreen")
        k.qtbot.waitUntil(lambda: k.ui.staff.pinMessage == "not_configured", timeout=STAFF_WAIT_MS)
        assert k.text("pinMessage") == "No staff PIN is set up on this kiosk."


# --------------------------------------------------------------------------- diagnostics


def test_the_right_pin_opens_diagnostics_and_every_action_works(kiosk_real: Kiosk) -> None:
    k = kiosk_real
    login(k)
    assert k.ui.staff.actions == [a.name for a in diagnostics.ACTIONS]
    assert k.text("status_reader") == "Not run yet"
    k.services.reader.insert("T-Mobile")
    for name in k.ui.staff.actions:
        result = run_action(k, name)
        assert result["ok"], (name, result)
        assert k.text(f"status_{name}").endswith("OK"), name
    assert "T-Mobile" in k.ui.staff.results["sim"]["detail"]
    assert "intact" in k.text("detail_ledger")
    assert list((k.services.data_dir / "receipts").iterdir())  # the test page came out
    kinds = audit_kinds(k.services)
    assert kinds.count("audit.action") == len(diagnostics.ACTIONS)


def test_a_running_check_shows_progress(kiosk_real: Kiosk) -> None:
    k = kiosk_real
    login(k)
    k.tap("run_sim")  # no SIM in the slot: waits for one, visibly
    k.qtbot.waitUntil(lambda: k.ui.staff.results.get("sim", {}).get("state") == "running")
    assert k.text("status_sim") == "Running…"
    assert not k.find("run_sim").isEnabled()  # type: ignore[union-attr]
    k.services.reader.insert("AT&T")
    k.qtbot.waitUntil(lambda: k.ui.staff.results["sim"]["state"] == "ok", timeout=STAFF_WAIT_MS)


def test_actions_fail_with_the_right_advice_when_a_device_is_missing(qtbot: object, real_services: Any) -> None:
    missing = types.SimpleNamespace(
        reader=None, terminal=None, printer=None, provider=real_services.provider,
        checkout=real_services.checkout, ledger=real_services.ledger, settings=real_services.settings,
        data_dir=real_services.data_dir, close=lambda: None,
    )
    with running(staff_kiosk(qtbot, missing)) as k:
        login(k)
        expected = {
            "reader": diagnostics.ADVICE_READER_MISSING,
            "sim": diagnostics.ADVICE_READER_MISSING,
            "terminal": diagnostics.ADVICE_TERMINAL_MISSING,
            "printer_test": diagnostics.ADVICE_PRINTER_OFFLINE,
        }
        for name, advice in expected.items():
            result = run_action(k, name)
            assert not result["ok"] and k.text(f"status_{name}") == "! Problem"
            assert k.text(f"advice_{name}") == "→ " + advice
        k.tap("topLang_zh_CN")  # the advice is translated, the raw detail is not
        k.qtbot.waitUntil(lambda: k.text("advice_reader") != "→ " + diagnostics.ADVICE_READER_MISSING)
        assert re.search(r"[\u4e00-\u9fff]", k.text("advice_reader"))


def test_an_offline_terminal_gets_its_own_advice(kiosk_real: Kiosk) -> None:
    k = kiosk_real
    k.services.terminal.set_behaviour("offline")
    login(k)
    result = run_action(k, "terminal")
    assert not result["ok"]
    assert k.text("advice_terminal") == "→ " + diagnostics.ADVICE_TERMINAL_SILENT
    assert "offline" in k.text("detail_terminal")


def test_an_end_of_day_mismatch_shows_on_the_technician_screen_with_translated_advice(kiosk_real: Kiosk) -> None:
    """A charge the ledger never heard of (someone used the terminal by hand): the
    technician's end of day says the totals differ, and the "last end of day" check keeps
    saying so afterwards, with advice in the technician's language."""
    k = kiosk_real
    k.services.terminal.authorize(700, "USD", lambda p, t: None)
    login(k)
    closed = run_action(k, "terminal_end_of_day")
    advice = diagnostics.ADVICE_END_OF_DAY_MISMATCH.format(difference="7.00")
    assert not closed["ok"] and k.text("advice_terminal_end_of_day") == "→ " + advice
    check = run_action(k, "end_of_day")
    assert not check["ok"] and "MISMATCH" in k.text("detail_end_of_day")
    assert k.text("advice_end_of_day") == "→ " + advice
    k.tap("topLang_es")
    k.qtbot.waitUntil(lambda: k.text("advice_end_of_day") != "→ " + advice)
    assert "7.00" in k.text("advice_end_of_day") and "registro" in k.text("advice_end_of_day")


def test_checks_run_off_the_gui_thread(kiosk_real: Kiosk) -> None:
    import threading

    k = kiosk_real
    seen: list[str] = []
    original = k.services.terminal.status

    def spy() -> Any:
        seen.append(threading.current_thread().name)
        return original()

    k.services.terminal.status = spy
    login(k)
    run_action(k, "terminal")
    assert seen and threading.main_thread().name not in seen


# --------------------------------------------------------------------------- leaving


def test_leaving_returns_to_a_clean_customer_session(kiosk_real: Kiosk) -> None:
    k = kiosk_real
    k.tap("attractTouch")
    k.tap("chooseLang_es")
    k.tap("usePhoneButton")
    k.type_number("310555")
    k.tap("largeTextToggle")
    login(k)
    assert k.ui.controller.suspended
    k.services.reader.insert("T-Mobile")  # card events while in staff mode reach no customer
    k.services.reader.pull()
    k.qtbot.wait(100)
    assert k.ui.controller.session.state is State.PHONE  # suspended as it was
    k.tap("staffExitButton")
    k.wait_screen("attractScreen")
    session = k.ui.controller.session
    assert session.state is State.ATTRACT and session.digits == "" and session.lang == "en"
    assert not k.ui.controller.suspended and not k.ui.theme.largeText
    assert k.ui.staff.results == {} and k.ui.staff.role == ""
    kinds = audit_kinds(k.services)
    assert kinds[-2:] == ["audit.login", "audit.logout"]
    k.tap("attractTouch")  # the next customer starts normally
    k.tap("chooseLang_en")
    k.wait_screen("insertSimScreen")


def test_staff_mode_closes_itself_when_left_alone(kiosk_real: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.staff

    monkeypatch.setattr(ui.staff, "STAFF_IDLE_S", 0.2)
    login(kiosk_real)
    kiosk_real.wait_screen("attractScreen", timeout=STAFF_WAIT_MS)
    kiosk_real.qtbot.waitUntil(lambda: audit_kinds(kiosk_real.services)[-1] == "audit.logout")


# --------------------------------------------------------------------------- operator export


def _sell(services: Any, n: int) -> None:
    plans = services.provider.catalog("T-Mobile")
    account = Account(msisdn="12025550101", carrier="T-Mobile", iccid="8901260123456789012")
    for i in range(n):
        outcome = services.checkout.run(account, plans[i % len(plans)], lambda *_: None)
        assert outcome.result.value == "completed"


def test_operator_export_matches_kiosk_ledger_export(qtbot: object, real_services: Any, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.cli import main
    from kiosk.operator_export import ExportTarget

    _sell(real_services, 3)
    stick = tmp_path / "media" / "STICK"
    stick.mkdir(parents=True)
    clock = MovableClock()
    clock.now = dt.datetime.now(dt.UTC)  # the sales above were booked at the real time
    with running(staff_kiosk(qtbot, real_services, clock=clock)) as k:
        k.ui.staff.find_targets = lambda: [ExportTarget(stick, "STICK", True, 10 << 20, True)]
        login(k, OPERATOR_PIN, "operatorScreen")
        k.qtbot.waitUntil(lambda: len(k.ui.staff.targets) == 2, timeout=STAFF_WAIT_MS)
        assert k.ui.staff.targetIndex == 0  # the USB stick is chosen first
        k.tap("fromEarlierButton")  # yesterday .. today
        assert k.ui.staff.fromDate == (clock.now.date() - dt.timedelta(days=1)).isoformat()
        assert not k.find("toLaterButton").isEnabled()  # type: ignore[union-attr]
        k.tap("exportButton")
        k.qtbot.waitUntil(lambda: k.ui.staff.exportResult.get("state") == "ok", timeout=STAFF_WAIT_MS)
        result = k.ui.staff.exportResult
        assert result["rows"] == 3 and result["masked"] and "Exported 3 transactions" in k.text("exportResult")
        since, until = k.ui.staff.fromDate, (clock.now.date() + dt.timedelta(days=1)).isoformat()
    written = Path(result["path"]).read_bytes()
    assert Path(result["path"]).parent == stick
    monkeypatch.setenv("KIOSK_DATA_DIR", str(real_services.data_dir))
    out = tmp_path / "cli.csv"
    assert main(["ledger", "export", "--format", "csv", "--since", since, "--until", until, "--out", str(out)]) == 0
    capsys.readouterr()
    assert written == out.read_bytes()
    assert b"12025550101" not in written  # masked by default
    assert "audit.action" in audit_kinds(real_services)


def test_operator_export_unmasked_to_the_kiosk_folder(kiosk_real: Kiosk) -> None:
    k = kiosk_real
    _sell(k.services, 1)
    k.ui.staff._clock.now = dt.datetime.now(dt.UTC)  # type: ignore[attr-defined]
    k.ui.staff.find_targets = lambda: []
    login(k, OPERATOR_PIN, "operatorScreen")
    k.qtbot.waitUntil(lambda: len(k.ui.staff.targets) == 1, timeout=STAFF_WAIT_MS)
    k.tap("unmaskToggle")
    assert k.ui.staff.unmask and k.text("unmaskToggle").startswith("☑")
    k.tap("exportButton")
    k.qtbot.waitUntil(lambda: k.ui.staff.exportResult.get("state") == "ok", timeout=STAFF_WAIT_MS)
    path = Path(k.ui.staff.exportResult["path"])
    assert path.parent == k.services.data_dir / "exports"
    assert b"12025550101" in path.read_bytes()
    k.tap("staffExitButton")
    k.wait_screen("attractScreen")
    assert not k.ui.staff.unmask  # the next operator starts masked


def test_operator_export_failure_is_shown(kiosk_real: Kiosk, tmp_path: Path) -> None:
    from kiosk.operator_export import ExportTarget

    k = kiosk_real
    gone = tmp_path / "pulled-stick"
    gone.mkdir()
    k.ui.staff.find_targets = lambda: [ExportTarget(gone, "PULLED", True, None, True)]
    login(k, OPERATOR_PIN, "operatorScreen")
    k.qtbot.waitUntil(lambda: len(k.ui.staff.targets) == 2, timeout=STAFF_WAIT_MS)
    gone.rmdir()  # pulled before the export
    k.tap("exportButton")
    k.qtbot.waitUntil(lambda: k.ui.staff.exportResult.get("state") == "fail", timeout=STAFF_WAIT_MS)
    assert "Export failed" in k.text("exportResult") and "is not a folder" in k.text("exportResult")
    # the sentence wraps between words (a path longer than the line still breaks inside)
    assert not _wraps_anywhere(k.wait_item("exportResult"))


def _wraps_anywhere(item: QQuickItem) -> bool:
    from PySide6.QtQml import QQmlEngine, QQmlExpression

    result = QQmlExpression(QQmlEngine.contextForObject(item), item,
                            "wrapMode === Text.WrapAnywhere").evaluate()
    value = result[0] if isinstance(result, tuple) else result
    assert isinstance(value, bool), result
    return value


def test_operator_may_not_run_technician_checks(kiosk_real: Kiosk) -> None:
    login(kiosk_real, OPERATOR_PIN, "operatorScreen")
    kiosk_real.ui.staff.run("printer_test")  # not offered, and refused if asked anyway
    assert "printer_test" not in kiosk_real.ui.staff.results
    assert dataclasses.is_dataclass(diagnostics.ACTIONS[0])
