"""``kiosk txn run --plan PLAN_ID (--iccid X | --msisdn Y | --from-card)``: one test sale.

The same saga, ledger and configured devices as the touch UI, without the UI:
technicians use it for a test sale, and the crash tests drive it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary
from kiosk.errors import KioskError
from kiosk.ports import Account, Plan, TerminalPrompt, TopUpProvider, TxnResult
from kiosk.privacy import mask_msisdn


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    txn = subparsers.add_parser("txn", parents=[parent], help=summary("txn"))
    sub = txn.add_subparsers(dest="txn_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", parents=[parent], help="one complete sale through the saga")
    run.add_argument("--plan", required=True, help="plan id (see `kiosk plans`)")
    who = run.add_mutually_exclusive_group(required=True)
    who.add_argument("--iccid", help="SIM's ICCID (the account comes from the provider's lookup)")
    who.add_argument("--msisdn", help="phone number, E.164 digits without +")
    who.add_argument("--from-card", action="store_true", help="read the SIM in the reader")
    run.set_defaults(func=cmd_run)


def find_account(provider: TopUpProvider, args: argparse.Namespace, plan_carrier: str,
                 iccid: str | None = None, msisdn: str | None = None) -> Account:
    iccid = iccid or args.iccid
    msisdn = msisdn or args.msisdn
    account = provider.lookup(iccid=iccid, msisdn=msisdn)
    if account is not None:
        return account
    if msisdn:  # a typed number the provider does not know: top-ups are keyed by number
        return Account(msisdn=msisdn, carrier=plan_carrier, iccid=iccid)
    raise KioskError("the provider does not know this SIM; give the number with --msisdn",
                     code="account_not_found")


def find_plan(provider: TopUpProvider, plan_id: str) -> Plan:
    for plan in provider.catalog():
        if plan.id == plan_id:
            return plan
    raise KioskError(f"no plan {plan_id!r} in the catalog (see `kiosk plans`)", code="unknown_plan")


def cmd_run(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.app import build_services

    with build_services(ctx.settings, ctx.data_dir) as services:
        plan = find_plan(services.provider, args.plan)
        iccid = msisdn = None
        if args.from_card:
            card = services.reader.read(ctx.settings.reader.read_timeout_s)
            iccid, msisdn = card.iccid, card.msisdn if card.msisdn and card.msisdn.isdigit() else None
        account = find_account(services.provider, args, plan.carrier, iccid, msisdn)
        if account.carrier.casefold() != plan.carrier.casefold():
            raise KioskError(f"plan {plan.id} is for {plan.carrier}, the account is on {account.carrier}",
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
    ctx.emit(out, f"{outcome.result.value}: txn {outcome.txn_id} ({outcome.state}) {outcome.message}".rstrip())
    return EXIT_OK if outcome.result is TxnResult.COMPLETED else EXIT_FAILURE
