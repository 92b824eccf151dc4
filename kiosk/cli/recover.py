"""``kiosk recover``: settle unfinished transactions now and report what happened.

Transactions a live process owns (a sale running in another process) are skipped
and listed (``skipped_live``); so are those waiting for a terminal another process
holds (``skipped_terminal_busy``) and those another kiosk created on a shared
ledger (``skipped_other_kiosk``); a payment in doubt settled from the terminal's
evidence waits until the terminal has done something new (``waiting_for_evidence``,
also listed under ``needs_attention``). Without ``--json`` each list is printed with
one line per transaction. Exit 0 when nothing is left needing attention,
1 otherwise (the list is printed).
"""

from __future__ import annotations

import argparse

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary

#: Every list of the report as the text output words it, in this order: the same
#: transactions ``--json`` lists under these keys (a test keeps the two in step).
TEXT_LISTS: tuple[tuple[str, str], ...] = (
    ("skipped_live", "skipped (owned by a live process)"),
    ("skipped_terminal_busy", "skipped (terminal in use, try again)"),
    ("skipped_other_kiosk", "skipped (another kiosk's)"),
    ("waiting_for_evidence", "waiting (the terminal has done nothing since this payment was last judged; "
                             "retried after its next operation)"),
    ("needs_attention", "needs attention"),
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("recover", parents=[parent], help=summary("recover"))
    p.set_defaults(func=cmd_recover)


def cmd_recover(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.app import build_services

    with build_services(ctx.settings, ctx.data_dir, recover_now=False, check_devices=False) as services:
        report = services.recover()
    out = report.as_json()
    lines = [f"{r.txn_id}: {r.from_state} → {r.to_state} ({r.result})" for r in report.resolved]
    lines.append(f"{len(report.resolved)} resolved, {len(report.needs_attention)} need attention")
    lines += [f"{label}: {txn_id}" for key, label in TEXT_LISTS for txn_id in out[key]]
    if not report.ok:
        out.update(error="needs_attention",
                   message=f"{len(report.needs_attention)} transaction(s) need attention")
    ctx.emit(out, "\n".join(lines))
    return EXIT_OK if report.ok else EXIT_FAILURE
