"""``kiosk terminal``: talk to the payment terminal from the command line.

``kiosk terminal status|diagnose|end-of-day|pay AMOUNT|reverse RECEIPT_NO
[--port URL] [--baud N] [--password P] [--json]``

AMOUNT is in major currency units with at most two decimals: ``12.50`` or ``12``
mean twelve dollars fifty / twelve dollars (1250 / 1200 cents). ``--port`` takes
any pyserial URL and selects the ZVT backend even when the configuration says
``simulated``.

``status`` answers within 10 s whatever the terminal does and shows what the
terminal can do (Repeat Receipt: probed once per terminal and kept in the data
directory; ``--probe`` asks again). ``end-of-day`` closes the terminal's batch,
journals its totals in the ledger and compares them with the ledger's charges
minus reversals and refunds of the same batch (exit 1 on a mismatch;
``--no-reconcile`` only closes the batch).

Every command holds the terminal's lock (:mod:`kiosk.lease`) while it talks to the
terminal, so it never interleaves with a sale or a recovery of another process on
the same data directory; it waits up to ``[terminal] lock_wait_s`` for it.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.cli import summary
from kiosk.errors import KioskError, PaymentError
from kiosk.ports import (
    FieldTerminal,
    PaymentResult,
    PaymentTerminal,
    TerminalCapabilities,
    TerminalPrompt,
    TerminalReport,
)

#: ``kiosk terminal status`` answers within this, whatever the terminal does.
STATUS_BUDGET_S = 7.5


def parse_amount(text: str) -> int:
    """``"12.50"`` -> 1250 cents; at most two decimals, more than zero."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"not an amount: {text!r} (use e.g. 12.50)") from exc
    if not value.is_finite() or value <= 0 or value * 100 != (value * 100).to_integral_value():
        raise argparse.ArgumentTypeError(
            f"amount must be positive with at most two decimals: {text!r}")
    return int(value * 100)


def _receipt_no(text: str) -> str:
    if not text.isdigit() or not 0 < int(text) <= 9999:
        raise argparse.ArgumentTypeError(f"receipt number is 1..9999: {text!r}")
    return text


def register(subparsers: Any, parent: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("terminal", help=summary("terminal"), parents=[parent])
    sub = parser.add_subparsers(dest="terminal_command", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--port", help="pyserial URL of the terminal (overrides [terminal] port)")
    common.add_argument("--baud", type=int, help="baud rate (overrides [terminal] baud)")
    common.add_argument("--password", help="terminal password, 6 digits")
    status = sub.add_parser("status", help="status enquiry (05 01) and capabilities",
                            parents=[parent, common])
    status.add_argument("--probe", action="store_true",
                        help="probe the terminal's capabilities again (registration, 06 20)")
    status.set_defaults(func=run)
    sub.add_parser("diagnose", help="diagnosis (06 70)",
                   parents=[parent, common]).set_defaults(func=run)
    eod = sub.add_parser("end-of-day", help="end of day (06 50), reconciled with the ledger",
                         parents=[parent, common])
    eod.add_argument("--no-reconcile", action="store_true",
                     help="close the batch without comparing it with the ledger")
    eod.set_defaults(func=run)
    pay = sub.add_parser("pay", help="authorization (06 01)", parents=[parent, common])
    pay.add_argument("amount", type=parse_amount, metavar="AMOUNT",
                     help="amount in dollars (major units), e.g. 12.50")
    pay.set_defaults(func=run)
    rev = sub.add_parser("reverse", help="reversal (06 30) of a receipt number",
                         parents=[parent, common])
    rev.add_argument("receipt_no", type=_receipt_no, metavar="RECEIPT_NO")
    rev.set_defaults(func=run)


def _payment_obj(result: PaymentResult) -> dict[str, Any]:
    return {
        "approved": result.approved,
        "result_code": result.result_code,
        "amount_cents": result.amount_cents,
        "currency": result.currency,
        "receipt_no": result.receipt_no,
        "trace_no": result.trace_no,
        "card_brand": result.card_brand,
        "pan_masked": result.pan_masked,
        "message": result.message,
        "terminal_id": result.terminal_id,
        "at": result.at.isoformat() if result.at else None,
        "completion_missing": result.completion_missing,
    }


def _report_obj(report: TerminalReport) -> dict[str, Any]:
    return dataclasses.asdict(report) | {"lines": list(report.lines)}


def _caps_text(caps: TerminalCapabilities | None) -> str:
    if caps is None:
        return "unknown"
    def yes(value: bool | None) -> str:
        return "unknown" if value is None else ("yes" if value else "NO")
    text = f"repeat receipt: {yes(caps.repeat_receipt)}, pre-authorisation: {yes(caps.preauth)}, " \
           f"abort: {yes(caps.abort)}"
    if caps.source:
        text += f" (from {caps.source})"
    return text


def _status(terminal: PaymentTerminal, probe: bool) -> tuple[dict[str, Any], str, bool]:
    """The capabilities first when unknown (registration, then 06 20), then the status
    enquiry in the time left; all within :data:`STATUS_BUDGET_S`.

    On a terminal at 3 s per message the probe (registration 80 00 + 06 0F, then the answer
    to 06 20) takes three messages, the status enquiry two more: both do not fit in 10 s, so
    the capability wins (it is kept, the next ``status`` asks only the status) and the
    status comes from the registration's completion (its status byte, BMP 19).
    """
    started = time.monotonic()

    def left() -> float:
        return STATUS_BUDGET_S - (time.monotonic() - started)

    caps = terminal.capabilities() if isinstance(terminal, FieldTerminal) else None
    notes: list[str] = []
    prober = getattr(terminal, "probe_capabilities", None)
    probe_error: PaymentError | None = None
    if callable(prober) and (probe or (caps is not None and caps.repeat_receipt is None)):
        try:
            caps = prober(refresh=probe, timeout_s=left())
        except PaymentError as exc:
            probe_error = exc
            caps = terminal.capabilities() if isinstance(terminal, FieldTerminal) else caps
            if caps is None or caps.repeat_receipt is None:
                notes.append(f"capabilities not probed: {exc}")
    pace = float(getattr(terminal, "pace_s", 0.0))
    report: TerminalReport | None = None
    registered = getattr(terminal, "registration_report", None)
    if probe_error is None or caps is None or caps.repeat_receipt is None:
        # a status enquiry is two messages at the terminal's pace; no use starting it late
        if prober is None or left() >= 2 * (pace + 0.5) + 0.5:
            timed: Any = terminal  # the ZVT driver's status() takes the time left
            report = terminal.status() if prober is None else timed.status(timeout_s=left())
        elif callable(registered):
            report = registered()
        if report is None and probe_error is not None:
            raise probe_error
    elif callable(registered):
        report = registered()  # the probe was cut short: the terminal may still be master
    if report is None:
        report = TerminalReport(True, None, "status enquiry not sent: no time left",
                                getattr(terminal, "terminal_id", None))
    if report.message.startswith("registration"):
        notes.append(f"status enquiry not sent: the terminal answers every {pace:.1f} s and "
                     f"its capabilities came first; run status again for it")
    note = "; ".join(notes)
    obj = _report_obj(report) | {
        "capabilities": dataclasses.asdict(caps) if caps is not None else None,
        "pace_s": round(pace, 2)}
    if note:
        obj["note"] = note
    text = "\n".join(filter(None, [
        f"{report.message}" + (f" (terminal {report.terminal_id})" if report.terminal_id else ""),
        _caps_text(caps), note]))
    return obj, text, report.ok


def _end_of_day(ctx: Any, terminal: PaymentTerminal, reconcile: bool) \
        -> tuple[dict[str, Any], str, bool]:
    report = terminal.end_of_day()
    obj = _report_obj(report)
    money = "?" if report.totals_cents is None else f"{report.totals_cents / 100:.2f}"
    batch = f"batch {report.batch_no}: " if report.batch_no else ""
    lines = [report.message, f"{batch}total {money}, "
             f"{report.totals_count if report.totals_count is not None else '?'} transaction(s), "
             f"receipts {report.receipt_from or '?'}..{report.receipt_to or '?'}"]
    ok = report.ok
    if reconcile and report.ok:
        from kiosk.ledger import Ledger
        from kiosk.reconcile import journal_end_of_day, reconcile_ledger

        try:
            with Ledger.open(ctx.settings.ledger.url, ctx.data_dir) as ledger:
                rec = reconcile_ledger(ledger, report)
                journal_end_of_day(ledger, report, rec)
        except KioskError as exc:
            obj["reconciliation"] = None
            obj["note"] = f"not reconciled: {exc.message}"
            lines.append(obj["note"])
            return obj, "\n".join(lines), False
        obj["reconciliation"] = rec.as_json()
        lines.append(rec.summary())
        ok = ok and rec.matches
    return obj, "\n".join(lines), ok


def run(ctx: Any, args: argparse.Namespace) -> int:
    from kiosk.lease import LOCK_DIR, TerminalLock, terminal_identity
    from payment import open_terminal

    settings = ctx.settings.terminal
    overrides: dict[str, Any] = {}
    if args.port:
        overrides |= {"port": args.port, "backend": "zvt"}
    if args.baud:
        overrides["baud"] = args.baud
    if args.password:
        overrides["password"] = args.password
    settings = dataclasses.replace(settings, **overrides)
    currency = ctx.settings.kiosk.currency
    lock = TerminalLock(terminal_identity(settings), ctx.data_dir / LOCK_DIR)
    with lock.hold(settings.lock_wait_s):
        return _run(ctx, args, open_terminal(settings, currency=currency, data_dir=ctx.data_dir), currency)


def _run(ctx: Any, args: argparse.Namespace, terminal: Any, currency: str) -> int:
    def on_status(prompt: TerminalPrompt, text: str) -> None:
        if not ctx.json:
            print(f"... {text}", flush=True)

    try:
        command = args.terminal_command
        if command == "pay":
            result = terminal.authorize(args.amount, currency, on_status)
            ctx.emit(_payment_obj(result))
            return 0 if result.approved else 1
        if command == "reverse":
            result = terminal.reverse(args.receipt_no, on_status)
            ctx.emit(_payment_obj(result))
            return 0 if result.approved else 1
        if command == "status":
            obj, text, ok = _status(terminal, args.probe)
            ctx.emit(obj, text)
            return 0 if ok else 1
        if command == "end-of-day":
            obj, text, ok = _end_of_day(ctx, terminal, not args.no_reconcile)
            ctx.emit(obj, text)
            return 0 if ok else 1
        report = terminal.diagnose()
        ctx.emit(_report_obj(report))
        return 0 if report.ok else 1
    finally:
        terminal.close()
