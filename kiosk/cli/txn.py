"""``kiosk txn run --plan PLAN_ID (--iccid X | --msisdn Y | --from-card)``: one test sale.

The same saga, ledger and configured devices as the touch UI, without the UI:
technicians use it for a test sale, and the crash tests drive it.

Everything that can be refused is refused before the terminal is asked for money,
in this order: the number (North American rules, any usual way of typing it), the
plan (in the live catalog), the account (the provider's lookup; an unknown number
or SIM is refused), the plan against the account's carrier, and the provider
answering at all. Refusals of what was typed exit 2 with one line and journal
nothing; the provider not answering exits 1 (nothing charged either).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary
from kiosk.errors import KioskError
from kiosk.ports import Account, Plan, TerminalPrompt, TopUpProvider, TxnResult
from kiosk.privacy import mask_msisdn


class BadSaleInput(KioskError):
    """What was typed cannot be sold: refused before anything is journaled (exit 2)."""

    code = "bad_input"
    usage_error = True


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    txn = subparsers.add_parser("txn", parents=[parent], help=summary("txn"))
    sub = txn.add_subparsers(dest="txn_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", parents=[parent], help="one complete sale through the saga")
    run.add_argument("--plan", required=True, help="plan id (see `kiosk plans`)")
    who = run.add_mutually_exclusive_group(required=True)
    who.add_argument("--iccid", help="SIM's ICCID (the account comes from the provider's lookup)")
    who.add_argument("--msisdn", help="US phone number: 2065550100, (206) 555-0100, +1 206 555 0100 ...")
    who.add_argument("--from-card", action="store_true", help="read the SIM in the reader")
    run.set_defaults(func=cmd_run)


def parse_iccid(text: str) -> str:
    iccid = text.strip().upper().removesuffix("F")
    if not re.fullmatch(r"[0-9]{18,22}", iccid):
        raise BadSaleInput("invalid ICCID: expected 18 to 22 digits", code="invalid_iccid")
    return iccid


def find_account(provider: TopUpProvider, iccid: str | None, msisdn: str | None) -> Account:
    """The provider's account for the SIM or number; an unknown one is refused (no sale
    for an account nobody can top up)."""
    account = provider.lookup(iccid=iccid, msisdn=msisdn)
    if account is None:
        what = "this number" if msisdn else "this SIM; give the number with --msisdn"
        raise BadSaleInput(f"the provider does not know {what}", code="account_not_found")
    return account


def find_plan(provider: TopUpProvider, plan_id: str) -> Plan:
    for plan in provider.catalog():
        if plan.id == plan_id:
            return plan
    raise BadSaleInput(f"no plan {plan_id!r} in the catalog (see `kiosk plans`)", code="unknown_plan")


def cmd_run(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.topup import normalize_msisdn

    msisdn = normalize_msisdn(args.msisdn) if args.msisdn else None  # first: before anything is opened
    iccid = parse_iccid(args.iccid) if args.iccid else None
    from kiosk.app import build_services

    with build_services(ctx.settings, ctx.data_dir) as services:
        live = services.checkout.provider  # the live provider: no cached catalog for a sale
        if args.from_card:
            card = services.reader.read(ctx.settings.reader.read_timeout_s)
            iccid = card.iccid
            if card.msisdn and card.msisdn.isdigit():
                try:
                    msisdn = normalize_msisdn(card.msisdn)
                except KioskError:
                    msisdn = None  # a SIM's own number file is often stale or empty: ask by ICCID
        plan = find_plan(live, args.plan)
        account = find_account(live, iccid, msisdn)
        if account.carrier.casefold() != plan.carrier.casefold():
            raise BadSaleInput(f"plan {plan.id} is for {plan.carrier}; this number is on {account.carrier}",
                               code="plan_mismatch")

        def on_prompt(prompt: TerminalPrompt, text: str) -> None:
            if not ctx.json:
                print(f"terminal: {prompt.value} {text}".rstrip(), file=sys.stderr, flush=True)

        outcome = services.checkout.run(account, plan, on_prompt)
        row = services.ledger.transaction(outcome.txn_id) if outcome.txn_id else None
    out: dict[str, Any] = {
        "txn_id": outcome.txn_id, "result": outcome.result.value, "state": outcome.state,
        "message": outcome.message, "plan_id": plan.id, "carrier": plan.carrier,
        "msisdn": mask_msisdn(account.msisdn), "amount_cents": plan.price_cents, "currency": plan.currency,
        "failure_kind": outcome.failure_kind.value if outcome.failure_kind else None,
        "terminal_receipt_no": row["terminal_receipt_no"] if row else None,
        "provider_ref": row["provider_ref"] if row else None,
        "printed": outcome.printed, "receipt_url": outcome.receipt.url if outcome.receipt else None,
    }
    if outcome.result is not TxnResult.COMPLETED:
        out["error"] = outcome.result.value
    ctx.emit(out, f"{outcome.result.value}: txn {outcome.txn_id or '-'} ({outcome.state}) "
                  f"{outcome.message}".rstrip())
    return EXIT_OK if outcome.result is TxnResult.COMPLETED else EXIT_FAILURE
