"""``kiosk terminal``: talk to the payment terminal from the command line.

``kiosk terminal status|diagnose|end-of-day|pay AMOUNT|reverse RECEIPT_NO
[--port URL] [--baud N] [--password P] [--json]``

AMOUNT is in major currency units with at most two decimals: ``12.50`` or ``12``
mean twelve dollars fifty / twelve dollars (1250 / 1200 cents). ``--port`` takes
any pyserial URL and selects the ZVT backend even when the configuration says
``simulated``.

Every command holds the terminal's lock (:mod:`kiosk.lease`) while it talks to the
terminal, so it never interleaves with a sale or a recovery of another process on
the same data directory; it waits up to ``[terminal] lock_wait_s`` for it.
"""

from __future__ import annotations

import argparse
import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.cli import summary
from kiosk.ports import PaymentResult, TerminalPrompt, TerminalReport


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
    for name, help_text in (("status", "status enquiry (05 01)"),
                            ("diagnose", "diagnosis (06 70)"),
                            ("end-of-day", "end of day (06 50)")):
        p = sub.add_parser(name, help=help_text, parents=[parent, common])
        p.set_defaults(func=run)
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
    }


def _report_obj(report: TerminalReport) -> dict[str, Any]:
    return dataclasses.asdict(report) | {"lines": list(report.lines)}


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
        return _run(ctx, args, open_terminal(settings, currency=currency), currency)


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
        report = {"status": terminal.status, "diagnose": terminal.diagnose,
                  "end-of-day": terminal.end_of_day}[command]()
        ctx.emit(_report_obj(report))
        return 0 if report.ok else 1
    finally:
        terminal.close()
