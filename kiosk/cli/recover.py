"""``kiosk recover``: settle unfinished transactions now and report what happened.

Exit 0 when nothing is left needing attention, 1 otherwise (the list is printed).
"""

from __future__ import annotations

import argparse

from kiosk.cli import EXIT_FAILURE, EXIT_OK, CliContext, summary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("recover", parents=[parent], help=summary("recover"))
    p.set_defaults(func=cmd_recover)


def cmd_recover(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.app import build_services

    with build_services(ctx.settings, ctx.data_dir, recover_now=False) as services:
        report = services.recover()
    out = report.as_json()
    lines = [f"{r.txn_id}: {r.from_state} → {r.to_state} ({r.result})" for r in report.resolved]
    lines.append(f"{len(report.resolved)} resolved, {len(report.needs_attention)} need attention")
    lines += [f"needs attention: {t}" for t in report.needs_attention]
    if not report.ok:
        out.update(error="needs_attention",
                   message=f"{len(report.needs_attention)} transaction(s) need attention")
    ctx.emit(out, "\n".join(lines))
    return EXIT_OK if report.ok else EXIT_FAILURE
