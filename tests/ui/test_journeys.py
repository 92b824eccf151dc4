"""End-to-end customer journeys through the QML, driven by objectName (offscreen)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from kiosk import flow
from kiosk.config import Settings
from kiosk.flow import State
from tests.ui.conftest import Kiosk, make_kiosk
from tests.ui.fakes import ACCOUNT, TMO_CARD, FakeCheckout, FakeReader, FakeServices


def start_with_sim(k: Kiosk, lang: str = "en") -> None:
    k.wait_screen("attractScreen")
    k.tap("attractTouch")
    k.wait_screen("languageScreen")
    k.tap(f"chooseLang_{lang}")
    k.wait_screen("insertSimScreen")
    assert k.services.reader is not None
    k.services.reader.insert(TMO_CARD)


def to_confirm(k: Kiosk, plan: str = "plan_tmo-40") -> None:
    start_with_sim(k)
    k.wait_screen("accountScreen")
    assert k.text("carrierText") == "T-Mobile"
    k.tap("choosePlanButton")
    k.wait_screen("plansScreen")
    k.tap(plan)
    k.wait_screen("confirmScreen")


def test_happy_path_with_a_sim(kiosk: Kiosk) -> None:
    to_confirm(kiosk)
    assert "40.00" in kiosk.text("payButton")
    kiosk.tap("payButton")
    kiosk.wait_screen("payScreen")
    kiosk.qtbot.waitUntil(lambda: kiosk.text("promptText") == "Tap, insert or swipe your card")
    kiosk.services.checkout.proceed()
    kiosk.wait_screen("successScreen")
    assert kiosk.find("takeSimText") is not None
    qr = kiosk.wait_item("receiptQr")
    assert qr.property("source").toString().startswith("image://qr/")
    kiosk.qtbot.waitUntil(lambda: qr.implicitWidth() > 0)  # the PNG decoded
    assert kiosk.wait_item("reminderQr").property("source").toString().startswith("image://qr/")
    assert ACCOUNT.expiry is not None
    new_expiry = ACCOUNT.expiry + dt.timedelta(days=30)  # the NEW expiry: the old one + 30 days
    assert f"{new_expiry:%B} {new_expiry.day}, {new_expiry.year}" in kiosk.text("validUntilText")
    assert kiosk.services.checkout.runs == [(ACCOUNT, kiosk.services.provider.catalog("T-Mobile")[1])]
    assert kiosk.services.checkout.langs == ["en"]
    kiosk.tap("doneButton")
    kiosk.wait_screen("takeSimScreen")  # the SIM is still in the slot
    assert kiosk.services.reader is not None
    kiosk.services.reader.pull()
    kiosk.wait_screen("attractScreen")


def test_phone_number_path(kiosk: Kiosk) -> None:
    kiosk.tap("attractTouch")
    kiosk.tap("chooseLang_en")
    kiosk.tap("usePhoneButton")
    kiosk.wait_screen("phoneScreen")
    kiosk.type_number("31055501")
    assert not kiosk.find("submitNumberButton").isEnabled()  # type: ignore[union-attr]
    kiosk.type_number("999")
    kiosk.tap("key_back")
    assert kiosk.text("phoneDisplay") == "310 555 0199"
    kiosk.tap("submitNumberButton")
    kiosk.wait_screen("accountScreen")
    assert kiosk.text("carrierText") == "AT&T"
    assert kiosk.services.provider.lookups[-1] == (None, "13105550199")
    kiosk.tap("choosePlanButton")
    kiosk.tap("plan_att-25")
    kiosk.wait_screen("confirmScreen")
    assert "+1 (310) 555-0199" in str(kiosk.wait_item("confirmNumber").property("value"))
    kiosk.services.checkout.hold = False
    kiosk.tap("payButton")
    kiosk.wait_screen("successScreen")
    assert kiosk.find("takeSimText") is None  # no SIM was inserted


@pytest.mark.parametrize("code", ["plan_changed", "plan_unavailable", "plan_mismatch", "currency_mismatch"])
def test_a_sale_refused_before_payment_goes_back_to_the_plans(kiosk: Kiosk, code: str) -> None:
    """check_sale refused (nothing charged): the plans again, with a one-line reason, never
    the out-of-service screen."""
    kiosk.services.checkout.behaviour = f"refuse:{code}"
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("plansScreen")
    notice = kiosk.text("plansNotice")
    assert "Nothing was charged" in notice and "choose" in notice
    kiosk.services.checkout.behaviour = "approve"
    kiosk.services.checkout.hold = False
    kiosk.tap("plan_tmo-15")
    kiosk.wait_screen("confirmScreen")
    kiosk.tap("payButton")
    kiosk.wait_screen("successScreen")


def test_an_invalid_number_at_checkout_asks_for_the_number(kiosk: Kiosk) -> None:
    kiosk.services.checkout.behaviour = "refuse:invalid_number"
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("phoneScreen")
    assert "not a valid US number" in kiosk.text("phoneNotice")
    kiosk.type_number("2")
    kiosk.qtbot.waitUntil(lambda: kiosk.find("phoneNotice") is None)


def test_the_provider_unreachable_before_payment_is_upstream_offline(kiosk: Kiosk) -> None:
    kiosk.services.checkout.behaviour = "refuse:upstream_unavailable"
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("upstreamOfflineScreen")


def test_a_plan_without_validity_never_says_0_days(kiosk: Kiosk) -> None:
    """Aggregators that give no validity: no "0 days", no new expiry, no reminder QR."""
    from kiosk.receipt import receipt_lines

    kiosk.tap("attractTouch")
    kiosk.tap("chooseLang_en")
    kiosk.tap("usePhoneButton")
    kiosk.type_number("3105550199")
    kiosk.tap("submitNumberButton")
    kiosk.wait_screen("accountScreen")
    kiosk.tap("choosePlanButton")
    kiosk.wait_screen("plansScreen")
    card = kiosk.wait_item("plan_att-open")
    texts = []
    stack = [card]
    while stack:
        item = stack.pop()
        if item.isVisible() and item.inherits("QQuickText"):
            texts.append(str(item.property("text")))
        stack.extend(item.childItems())
    assert "Refill 10" in texts and not any("Days valid" in t for t in texts), texts
    kiosk.tap("plan_att-open")
    kiosk.wait_screen("confirmScreen")
    kiosk.settled()
    assert kiosk.find("confirmDays") is None and kiosk.find("confirmValidUntil") is None
    assert kiosk.find("confirmPlan") is not None
    kiosk.services.checkout.hold = False
    kiosk.tap("payButton")
    kiosk.wait_screen("successScreen")
    kiosk.settled()
    assert kiosk.find("validUntilText") is None and kiosk.find("reminderTile") is None
    assert kiosk.find("receiptQr") is not None
    receipt = kiosk.ui.controller.session.outcome.receipt  # type: ignore[union-attr]
    assert receipt is not None and receipt.valid_until is None
    assert not any("Valid" in line or " 0 " in line for line in receipt_lines(receipt))


def test_decline_then_try_again(kiosk: Kiosk) -> None:
    kiosk.services.checkout.behaviour = "decline"
    kiosk.services.checkout.hold = False
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("paymentDeclinedScreen")
    kiosk.tap("retryButton")
    kiosk.wait_screen("confirmScreen")
    kiosk.services.checkout.behaviour = "approve"
    kiosk.tap("payButton")
    kiosk.wait_screen("successScreen")
    assert len(kiosk.services.checkout.runs) == 2


def test_cancel_during_payment(kiosk: Kiosk) -> None:
    kiosk.services.checkout.behaviour = "hang"
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("payScreen")
    kiosk.tap("cancelPaymentButton")
    kiosk.wait_screen("paymentCancelledScreen")
    assert kiosk.services.checkout.cancels == 1
    kiosk.tap("startOverButton")
    kiosk.wait_screen("takeSimScreen")
    assert kiosk.services.reader is not None
    kiosk.services.reader.pull()
    kiosk.wait_screen("attractScreen")


@pytest.fixture
def holding_kiosk(qtbot: object, settings: Settings) -> Iterator[Kiosk]:
    yield from make_kiosk(qtbot, FakeServices(reader=FakeReader(hold=True)), settings)


def test_card_removed_during_reading(holding_kiosk: Kiosk) -> None:
    k = holding_kiosk
    start_with_sim(k)
    k.wait_screen("readingScreen")
    assert k.services.reader is not None
    k.services.reader.pull()
    k.wait_screen("cardRemovedScreen")
    k.tap("retryButton")
    k.wait_screen("insertSimScreen")
    k.services.reader.release()
    k.services.reader.insert(TMO_CARD)
    k.wait_screen("accountScreen")


def test_no_reader_offers_the_keypad(qtbot: object, settings: Settings) -> None:
    for k in make_kiosk(qtbot, FakeServices(reader=None), settings):
        k.tap("attractTouch")
        k.tap("chooseLang_es")
        k.wait_screen("noReaderScreen")
        k.tap("usePhoneButton")
        k.wait_screen("phoneScreen")


def test_topup_failure_with_reversal(kiosk: Kiosk) -> None:
    kiosk.services.checkout.behaviour = "topup_fail"
    kiosk.services.checkout.hold = False
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("topupFailedScreen")
    assert kiosk.find("referenceText") is not None
    kiosk.tap("retryButton")  # customer-fixable: choose another plan
    kiosk.wait_screen("plansScreen")


def test_upstream_offline(kiosk: Kiosk) -> None:
    kiosk.services.provider.offline = True
    start_with_sim(kiosk)
    kiosk.wait_screen("upstreamOfflineScreen")
    kiosk.services.provider.offline = False
    kiosk.tap("retryButton")
    kiosk.wait_screen("accountScreen")


def test_terminal_offline_and_kiosk_out_of_service(kiosk: Kiosk) -> None:
    kiosk.services.checkout.behaviour = "unavailable"
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("terminalOfflineScreen")
    kiosk.services.checkout.behaviour = "crash"
    kiosk.tap("retryButton")
    kiosk.tap("payButton")
    kiosk.wait_screen("outOfServiceScreen")


def test_printer_out_of_paper_shows_the_receipt_qr(kiosk: Kiosk) -> None:
    kiosk.services.checkout.printed = False
    kiosk.services.checkout.hold = False
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("printerOutOfPaperScreen")
    assert kiosk.wait_item("receiptQr").property("source").toString().startswith("image://qr/")


@pytest.fixture
def impatient_kiosk(qtbot: object, services: FakeServices, settings: Settings) -> Iterator[Kiosk]:
    short = dataclasses.replace(settings.kiosk, idle_timeout_s=0.3, idle_countdown_s=0.6)
    yield from make_kiosk(qtbot, services, dataclasses.replace(settings, kiosk=short))


def test_idle_reset_forgets_the_customer(impatient_kiosk: Kiosk) -> None:
    k = impatient_kiosk
    k.tap("attractTouch")
    k.tap("chooseLang_es")
    k.tap("usePhoneButton")
    k.wait_screen("phoneScreen")
    k.type_number("3105550199")
    k.tap("largeTextToggle")
    assert k.ui.theme.largeText
    k.wait_item("idleOverlay")
    k.wait_screen("attractScreen")
    session = k.ui.controller.session
    assert session == flow.new_session("en", req=session.req)
    assert not k.ui.theme.largeText
    for name, model in k.ui.models.items():
        for key in ("digits", "display", "number", "carrier", "price"):
            assert not model.value(key, ""), (name, key)
    # the next customer starts clean
    k.tap("attractTouch")
    k.tap("chooseLang_en")
    k.tap("usePhoneButton")
    assert k.text("phoneDisplay") == "Phone number"


def test_more_time_keeps_the_session(impatient_kiosk: Kiosk) -> None:
    k = impatient_kiosk
    k.tap("attractTouch")
    k.tap("chooseLang_en")
    k.tap("usePhoneButton")
    k.type_number("310")
    k.tap("moreTimeButton")  # waits until the overlay appears, then taps it
    assert k.state is State.PHONE and k.ui.controller.session.digits == "310"


def test_idle_waits_during_payment(impatient_kiosk: Kiosk) -> None:
    k = impatient_kiosk
    k.services.checkout.behaviour = "hang"
    to_confirm(k)
    k.tap("payButton")
    k.wait_screen("payScreen")
    k.qtbot.wait(1200)  # well past timeout + countdown: nothing may happen while paying
    assert k.state is State.PAY and not k.ui.controller.session.idle_warning
    k.tap("cancelPaymentButton")
    k.wait_screen("paymentCancelledScreen")


def test_language_switch_mid_flow(kiosk: Kiosk) -> None:
    to_confirm(kiosk)
    kiosk.tap("topLang_zh_CN")
    kiosk.qtbot.waitUntil(lambda: kiosk.text("payButton").startswith("支付"))
    assert kiosk.state is State.CONFIRM
    assert kiosk.text("screenTitle") == "核对并付款"
    kiosk.tap("payButton")
    kiosk.qtbot.waitUntil(lambda: kiosk.text("promptText") == "请将银行卡贴近刷卡机，或插卡、刷卡")
    kiosk.tap("topLang_es")
    kiosk.qtbot.waitUntil(lambda: kiosk.text("promptText") == "Acerque, inserte o deslice su tarjeta")
    kiosk.services.checkout.proceed()
    kiosk.wait_screen("successScreen")
    assert kiosk.text("screenTitle") == "¡Listo! Su celular está recargado."


def test_high_contrast_toggle_from_any_screen(kiosk: Kiosk) -> None:
    start_with_sim(kiosk)
    kiosk.wait_screen("accountScreen")
    kiosk.tap("contrastToggle")
    assert kiosk.ui.theme.highContrast and kiosk.ui.theme.property("background") == "#000000"
    kiosk.tap("contrastToggle")
    assert not kiosk.ui.theme.highContrast


def test_unknown_intent_is_logged_not_raised(kiosk: Kiosk, caplog: pytest.LogCaptureFixture) -> None:
    kiosk.ui.controller.send("teleport")
    assert "unknown UI intent" in caplog.text and kiosk.state is State.ATTRACT


def test_checkout_is_never_run_on_the_gui_thread(kiosk: Kiosk) -> None:
    import threading

    seen: list[str] = []
    original = FakeCheckout.run

    def spy(self: FakeCheckout, *args: object, **kwargs: object) -> object:
        seen.append(threading.current_thread().name)
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    kiosk.services.checkout.hold = False
    kiosk.services.checkout.run = spy.__get__(kiosk.services.checkout)  # type: ignore[method-assign]
    to_confirm(kiosk)
    kiosk.tap("payButton")
    kiosk.wait_screen("successScreen")
    assert seen and all(name.startswith("kiosk-checkout") for name in seen)


@pytest.fixture
def timed_kiosk(qtbot: object, services: FakeServices, settings: Settings) -> Iterator[Kiosk]:
    short = dataclasses.replace(settings.kiosk, idle_timeout_s=0.3, idle_countdown_s=5.0,
                                payment_silence_s=1.0, success_timeout_s=1.2, take_sim_timeout_s=0.6)
    yield from make_kiosk(qtbot, services, dataclasses.replace(settings, kiosk=short))


def test_a_silent_terminal_is_shown_with_cancel_after_the_configured_time(timed_kiosk: Kiosk) -> None:
    import time

    k = timed_kiosk
    k.services.checkout.behaviour = "hang"  # "present card", then nothing more from the terminal
    to_confirm(k)
    k.tap("payButton")
    k.wait_screen("payScreen")
    started = time.monotonic()
    k.qtbot.waitUntil(lambda: k.text("promptText") == "Tap, insert or swipe your card")
    assert k.find("silentHint") is None
    k.qtbot.waitUntil(lambda: k.ui.controller.session.terminal_silent, timeout=5000)
    assert time.monotonic() - started >= 0.9  # not before [kiosk] payment_silence_s
    assert k.text("promptText") == "The card terminal is not responding."
    assert k.find("silentHint") is not None
    k.tap("cancelPaymentButton")
    k.wait_screen("paymentCancelledScreen")
    assert k.text("screenTitle") == "Payment cancelled"


def test_success_ends_by_itself_without_asking_for_more_time(timed_kiosk: Kiosk) -> None:
    k = timed_kiosk
    k.services.checkout.hold = False
    to_confirm(k)
    k.tap("payButton")
    k.wait_screen("successScreen")
    k.qtbot.wait(700)  # past the idle timeout (0.3 s): no "Need more time?" on success
    assert k.state is State.SUCCESS and not k.ui.controller.session.idle_warning
    assert k.find("idleOverlay") is None
    k.wait_screen("takeSimScreen", timeout=5000)  # success_timeout_s, then the SIM
    k.wait_screen("attractScreen", timeout=5000)  # nobody took it: take_sim_timeout_s
    assert k.ui.controller.session.seen_iccid == TMO_CARD.iccid  # remembered: not shown again
