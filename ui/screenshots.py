"""Renders every screen (each failure included) to PNG, offscreen, for review.

The sessions come from :func:`sample_sessions`: realistic data (the demo
catalogue's plans, a receipt built as a sale builds it) pushed into the
controller with ``show_snapshot``, so no device is touched and no command runs.
Every screen can be rendered with large text and high contrast too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QSize, QTimer
from PySide6.QtGui import QGuiApplication

from kiosk.config import Settings
from kiosk.flow import LANGUAGES, Session, State, new_session
from kiosk.ports import (
    Account,
    FailureKind,
    Plan,
    SimCard,
    TerminalPrompt,
    TxnOutcome,
    TxnResult,
)
from ui.app import KioskUi
from ui.layoutcheck import Mode

log = logging.getLogger(__name__)

SIZES: tuple[QSize, ...] = (QSize(1080, 1920), QSize(1920, 1080))
SAMPLE_CARD = SimCard(
    iccid="8901260123456789012", iccid_valid=True, atr="3B9F95801FC78031E073FE211B63", reader="demo",
    imsi="310260123456789", carrier="T-Mobile", carrier_source="iccid",
)  # fmt: skip
SAMPLE_ACCOUNT = Account(
    msisdn="12025550123", carrier="T-Mobile", iccid=SAMPLE_CARD.iccid,
    current_plan="tmo-unl-40", expiry=dt.date.today() + dt.timedelta(days=9),
)  # fmt: skip
SAMPLE_TXN = "5f0c2a9e-7d41-4a55-9a8e-2c1b3f4d5e6f"
SAMPLE_TODAY = dt.datetime.now(dt.UTC).replace(microsecond=0)


def sample_plans() -> tuple[Plan, ...]:
    """The demo catalogue's T-Mobile plans (names and benefits in every language)."""
    from kiosk.topup import demo_catalog

    return tuple(p for p in demo_catalog() if p.carrier == SAMPLE_ACCOUNT.carrier)


def _outcome(result: TxnResult, lang: str, plan: Plan, printed: bool = True,
             kind: FailureKind | None = None) -> TxnOutcome:
    receipt = None
    if result is TxnResult.COMPLETED:
        from kiosk.receipt import build_receipt, customer_fields
        from ui.qrimage import remember_reminder

        data = {"carrier": plan.carrier, "plan_name": plan.name, "plan_id": plan.id,
                "amount_cents": plan.price_cents, "currency": plan.currency,
                "msisdn": SAMPLE_ACCOUNT.msisdn, "validity_days": plan.validity_days,
                **customer_fields(SAMPLE_ACCOUNT, plan, lang)}
        receipt = build_receipt(data, SAMPLE_TXN, Settings(), at=SAMPLE_TODAY)
        remember_reminder(receipt)
    return TxnOutcome(
        txn_id=SAMPLE_TXN, result=result, state=result.value, receipt=receipt,
        failure_kind=kind, printed=printed,
    )  # fmt: skip


def sample_sessions(lang: str) -> dict[str, Session]:
    """One session per screen name (and the variants that change a screen's layout: the
    idle warning over the plans screen, the terminal silent or cancelling, a stale SIM, the
    checkout's reason to choose again on the keypad and the plans)."""
    plans = sample_plans()
    plan = next(p for p in plans if p.id == SAMPLE_ACCOUNT.current_plan)
    base = dataclasses.replace(new_session("en"), lang=lang)
    acct = dataclasses.replace(
        base, card=SAMPLE_CARD, account=SAMPLE_ACCOUNT, plans=plans, plan=plan, sim_used=True,
        sim_in_slot=True, read_iccid=SAMPLE_CARD.iccid,
    )

    def at(state: State, s: Session = acct, **kw: object) -> Session:
        return dataclasses.replace(s, state=state, **kw)  # type: ignore[arg-type]

    def outcome(result: TxnResult, **kw: object) -> TxnOutcome:
        return _outcome(result, lang, plan, **kw)  # type: ignore[arg-type]

    shots: dict[str, Session] = {
        "attract": at(State.ATTRACT, base),
        "language": at(State.LANGUAGE, base),
        "insert_sim": at(State.INSERT_SIM, base),
        "insert_sim_stale": at(State.INSERT_SIM, base, stale_card=True, sim_in_slot=True),
        "reading": at(State.READING, base),
        "phone": at(State.PHONE, base, digits="202555012"),
        "phone_invalid": at(State.PHONE, base, digits="20255", number_invalid=True),
        "phone_notice": at(State.PHONE, base, digits="2025550123", notice="invalid_number"),
        "lookup": at(State.LOOKUP, base),
        "account": at(State.ACCOUNT),
        "account_loading": at(State.ACCOUNT, plans=None),
        "plans": at(State.PLANS),
        "plans_notice": at(State.PLANS, notice="plan_changed"),
        "confirm": at(State.CONFIRM, msisdn="12025550123"),
        "pay": at(State.PAY, prompt=TerminalPrompt.ENTER_PIN),
        "pay_silent": at(State.PAY, prompt=TerminalPrompt.INSERT_CARD, terminal_silent=True),
        "pay_cancelling": at(State.PAY, prompt=TerminalPrompt.INSERT_CARD, terminal_silent=True,
                             cancelling=True),
        "processing": at(State.PROCESSING, prompt=TerminalPrompt.APPROVED),
        "success": at(State.SUCCESS, outcome=outcome(TxnResult.COMPLETED)),
        "take_sim": at(State.TAKE_SIM, base, sim_used=True, sim_in_slot=True),
        "idle_warning": at(State.PLANS, idle_warning=True),
        "no_reader": at(State.NO_READER, base, error="no_reader", retry=State.INSERT_SIM),
        "unreadable_sim": at(State.UNREADABLE_SIM, base, error="unreadable_card", retry=State.INSERT_SIM),
        "card_removed": at(State.CARD_REMOVED, base, error="card_removed", retry=State.INSERT_SIM),
        "account_not_found": at(State.ACCOUNT_NOT_FOUND, base, error="account_not_found", retry=State.PHONE),
        "payment_declined": at(State.PAYMENT_DECLINED, error="declined", retry=State.CONFIRM),
        "payment_cancelled": at(State.PAYMENT_CANCELLED, error="cancelled", retry=State.CONFIRM),
        "terminal_offline": at(State.TERMINAL_OFFLINE, error="terminal_unavailable", retry=State.CONFIRM),
        "topup_failed": at(
            State.TOPUP_FAILED, error="topup_failed_reversed", retry=State.PLANS,
            outcome=outcome(TxnResult.TOPUP_FAILED_REVERSED, kind=FailureKind.CUSTOMER_FIXABLE),
        ),
        "upstream_offline": at(State.UPSTREAM_OFFLINE, error="upstream_unavailable", retry=State.LOOKUP),
        "printer_out_of_paper": at(
            State.PRINTER_OUT_OF_PAPER, outcome=outcome(TxnResult.COMPLETED, printed=False)
        ),
        "out_of_service": at(
            State.OUT_OF_SERVICE, error="needs_attention", outcome=outcome(TxnResult.NEEDS_ATTENTION)
        ),
    }  # fmt: skip
    return shots


def staff_previews() -> dict[str, dict[str, Any]]:
    """The staff screens (``StaffController.preview`` arguments), with realistic results."""
    from kiosk import diagnostics as d
    from kiosk.ports import DeviceHealth

    results: dict[str, DeviceHealth | None] = {
        "reader": DeviceHealth("reader", True, "Simulated SIM reader 00 (no card)"),
        "sim": None,  # running: waiting for a SIM
        "terminal": DeviceHealth("terminal", False, "no answer from the terminal (ACK timeout)",
                                 d.ADVICE_TERMINAL_SILENT),
        "printer_test": DeviceHealth("printer_test", False, "out of paper", d.ADVICE_PRINTER_PAPER),
        "upstream": DeviceHealth("upstream", True, "https://api.simkiosk.example reachable (42 ms); "
                                                   "3 event(s) not yet synced"),
        "ledger": DeviceHealth("ledger", True, "intact: 18234 events, last seq 18234"),
        "attention": DeviceHealth("attention", False, "1 transaction(s) need attention; oldest 5f0c2a9e "
                                                      "(4000 USD, receipt 0042)", d.ADVICE_ATTENTION.format(count=1)),
        "versions": DeviceHealth("versions", True, "python 3.11.7, simkiosk 0.1.0, PySide6 6.11.3"),
    }
    targets = [
        {"path": "/media/simkiosk/KINGSTON", "label": "KINGSTON", "removable": True, "writable": True,
         "freeMiB": 14820},
        {"path": "/var/lib/simkiosk/exports", "label": "", "removable": False, "writable": True, "freeMiB": -1},
    ]
    days = (dt.date(2026, 5, 1), dt.date(2026, 5, 14))
    return {
        "staff_pin": {"mode": "pin", "pin_length": 3},
        "staff_pin_wrong": {"mode": "pin", "pin_message": "wrong_pin", "attempts_left": 2},
        "staff_pin_locked": {"mode": "pin", "pin_message": "locked", "locked_seconds": 287},
        "staff_pin_locked_permanent": {"mode": "pin", "pin_message": "locked", "locked_permanent": True},
        "technician": {"mode": "technician", "results": results},
        "operator": {"mode": "operator", "targets": targets, "date_range": days,
                     "results": {"attention": results["attention"]},
                     "export": {"state": "ok", "path": "/media/simkiosk/KINGSTON/simkiosk-KIOSK-0001-"
                                "2026-05-01-2026-05-15.csv", "rows": 412, "kib": 96, "masked": True}},
    }


class SilentSpeech:
    """A speech engine that is ready and says nothing: screens are rendered as on a kiosk
    whose audio guidance works (the speaker in the top bar shows)."""

    def start(self, on_ready: Any) -> None:
        on_ready(True, "silent preview")

    def say(self, utterances: Any) -> None:
        pass

    def stop(self) -> None:
        pass

    def set_volume(self, volume: float) -> None:
        pass

    def set_rate(self, rate: float) -> None:
        pass

    def close(self) -> None:
        pass


def _settle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _wait_loaded(ui: KioskUi, timeout_ms: int = 5000) -> None:
    """The screen loader is asynchronous: wait until the new screen exists."""
    loader = ui.find("screenLoader")
    waited = 0
    while loader is not None and waited < timeout_ms:
        if loader.property("progress") == 1.0 and loader.property("item") is not None:
            return
        _settle(10)
        waited += 10
    log.warning("screen did not finish loading within %d ms", timeout_ms)


def render(
    out_dir: Path,
    settings: Settings,
    *,
    langs: Sequence[str] = LANGUAGES,
    sizes: Iterable[QSize] = SIZES,
    screens: Sequence[str] | None = None,
    modes: Sequence[Mode] = (Mode(),),
    settle_ms: int = 120,
) -> list[Path]:
    """Write ``<screen>-<lang>-<w>x<h>[-large][-contrast].png`` for every screen and mode;
    returns the files."""
    app = QGuiApplication.instance()
    if app is None:
        raise RuntimeError("render() needs a QGuiApplication")
    out_dir.mkdir(parents=True, exist_ok=True)
    ui = KioskUi(None, settings, size=QSize(1080, 1920), speech_engine=SilentSpeech())
    ui.controller.close()  # snapshots only: no timers, no lanes
    ui.speech.start()
    ui.window.show()
    written: list[Path] = []
    try:
        for size in sizes:
            ui.window.resize(size)
            for lang in langs:
                ui.language.switch(lang)
                shots: list[tuple[str, Session | None, dict[str, Any]]] = [
                    (name, session, {}) for name, session in sample_sessions(lang).items()
                ] + [(name, None, preview) for name, preview in staff_previews().items()]
                for name, session, preview in shots:
                    if screens is not None and name not in screens:
                        continue
                    if session is not None:
                        ui.staff.preview("")
                        ui.controller.show_snapshot(session)
                    else:
                        ui.controller.show_snapshot(dataclasses.replace(new_session("en"), lang=lang))
                        ui.staff.preview(**preview)
                    QCoreApplication.processEvents()
                    _wait_loaded(ui)
                    for mode in modes:
                        ui.theme.setProperty("largeText", mode.large_text)
                        ui.theme.setProperty("highContrast", mode.high_contrast)
                        _settle(settle_ms)
                        image = ui.window.grabWindow()
                        suffix = ("-large" if mode.large_text else "") + ("-contrast" if mode.high_contrast else "")
                        path = out_dir / f"{name}-{lang}-{size.width()}x{size.height()}{suffix}.png"
                        if not image.save(str(path)):
                            raise OSError(f"cannot write {path}")
                        written.append(path)
    finally:
        ui.close()
        ui.deleteLater()
    return written


def speech_scripts(settings: Settings, *, langs: Sequence[str] = LANGUAGES, private: bool | None = None,
                   screens: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """``(screen, lang, script)`` for every sample screen: what audio guidance says there, from
    the same view models and catalogues the screen shows (``kiosk screenshots --speech``)."""
    from ui import speech
    from ui.audio import QtTexts

    app = QGuiApplication.instance()
    if app is None:
        raise RuntimeError("speech_scripts() needs a QGuiApplication")
    ui = KioskUi(None, settings, size=QSize(1080, 1920))
    ui.controller.close()
    texts = QtTexts(ui.language.translateIn)
    kiosk_langs = [lang for lang in settings.kiosk.languages if lang in LANGUAGES] or ["en"]
    out: list[tuple[str, str, str]] = []
    try:
        for lang in langs:
            ui.language.switch(lang)
            for name, session in sample_sessions(lang).items():
                if screens is not None and name not in screens:
                    continue
                ui.controller.show_snapshot(session)
                data = {n: m.snapshot() for n, m in ui.models.items()}
                script = speech.describe(session, data, texts, langs=kiosk_langs,
                                         private=settings.speech.headphones if private is None else private,
                                         idle_remaining=int(settings.kiosk.idle_countdown_s))
                out.append((name, lang, script.text(texts)))
            if screens is None or "attract_invitation" in screens:
                out.append(("attract_invitation", lang, "\n".join(
                    f"[{u.lang}] {u.text}" for u in speech.invitation(texts, kiosk_langs))))
    finally:
        ui.language.switch("en")
        ui.close()
        ui.deleteLater()
    return out
