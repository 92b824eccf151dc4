"""``kiosk recover``: settle unfinished transactions now and report what happened.

Transactions a live process owns (a sale running in another process) are skipped
and listed (``skipped_live``); so are those waiting for a terminal another process
holds (``skipped_terminal_busy``) and those another kiosk created on a shared
ledger (``skipped_other_kiosk``). Exit 0 when nothing is left needing attention,
1 otherwise (the list is printed).
"""

from __future__ import annotations

import argparse

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary


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
    lines += [f"skipped (owned by a live process): {t}" for t in report.skipped_live]
    lines += [f"skipped (terminal in use, try again): {t}" for t in report.skipped_terminal_busy]
    lines += [f"skipped (another kiosk's): {t}" for t in report.skipped_other_kiosk]
    lines += [f"needs attention: {t}" for t in report.needs_attention]
    if not report.ok:
        out.update(error="needs_attention",
                   message=f"{len(report.needs_attention)} transaction(s) need attention")
    ctx.emit(out, "\n".join(lines))
    return EXIT_OK if report.ok else EXIT_FAILURE
