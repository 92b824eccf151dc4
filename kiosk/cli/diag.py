"""``kiosk diag``: every device check the technician screen runs, plus what in the ledger
needs staff (transactions needing attention, unfinished ones, recent printer faults).

The terminal checks talk to the payment terminal only while holding its lock
(:mod:`kiosk.lease`): a sale running in another process is never interrupted by a
status enquiry; the check then says the terminal is in use instead.

Exit codes: 0 all well, 1 a check failed, 2 the start-up check found a configuration
problem (a path, the printer device, the secret: what makes ``kiosk txn run`` and
``kiosk run`` refuse to start), reported with every other check."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from kiosk.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, CliContext, summary
from kiosk.config import PRINTER_MISSING
from kiosk.diagnostics import ACTIONS_BY_NAME, DIAG_ONLY, RUN_ALL_ORDER

if TYPE_CHECKING:
    from kiosk.ledger import Ledger

RECENT_EVENTS = 2000
#: A failed start-up check with one of these codes makes ``kiosk diag`` exit 2, as the
#: commands that would refuse to start do; other failures exit 1.
CONFIG_CODES = frozenset({"config_error", PRINTER_MISSING})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("diag", parents=[parent], help=summary("diag"))
    checks = sorted({*ACTIONS_BY_NAME, *DIAG_ONLY})
    p.add_argument("--only", action="append", choices=checks, metavar="CHECK",
                   help="run only this check (repeatable): " + ", ".join(checks))
    p.add_argument("--sim-wait", type=float, default=0.5, metavar="S", help="how long to wait for a SIM")
    p.add_argument("--print-test", action="store_true", help="also print a test page")
    p.set_defaults(func=cmd_diag)


def printer_faults(ledger: Ledger) -> list[dict[str, Any]]:
    """Receipts not printed since the last one that was (recent events only)."""
    attempts: list[tuple[str | None, dict[str, Any] | None]] = []  # print attempts, in order
    start = max(ledger.last_seq() - RECENT_EVENTS, 0)
    for ev in ledger.events(after_seq=start):
        if ev.kind == "txn.receipt" and ev.payload.get("print"):
            attempts.append((ev.txn_id, None))
        elif ev.kind == "txn.receipt_not_printed":
            fault = {"txn_id": ev.txn_id, "at": ev.at, "error": ev.payload.get("error"),
                     "message": ev.payload.get("message")}
            attempts = [(t, fault if t == ev.txn_id else f) for t, f in attempts]
    faults: list[dict[str, Any]] = []
    for _txn, fault in reversed(attempts):  # the faults since the last receipt that printed
        if fault is None:
            break
        faults.insert(0, fault)
    return faults


def _run_checks(ctx: CliContext, names: list[str], sim_wait_s: float) -> list[Any]:
    from kiosk import diagnostics
    from kiosk.lease import LOCK_DIR, TerminalBusy, TerminalLock, terminal_identity
    from kiosk.ports import DeviceHealth

    uses_terminal = [n for n in names if n.startswith("terminal")]
    if not uses_terminal:
        return diagnostics.run_all(ctx.settings, ctx.data_dir, names=names, sim_wait_s=sim_wait_s)
    lock = TerminalLock(terminal_identity(ctx.settings.terminal), ctx.data_dir / LOCK_DIR)
    try:
        lock.acquire(min(ctx.settings.terminal.lock_wait_s, 2.0))
    except TerminalBusy as exc:
        rest = [n for n in names if n not in uses_terminal]
        done = dict(zip(rest, diagnostics.run_all(ctx.settings, ctx.data_dir, names=rest, sim_wait_s=sim_wait_s),
                        strict=True)) if rest else {}
        busy = {n: DeviceHealth(n, True, f"not checked: {exc}", "run `kiosk diag` again after the sale")
                for n in uses_terminal}
        return [done.get(n) or busy[n] for n in names]
    try:
        return diagnostics.run_all(ctx.settings, ctx.data_dir, names=names, sim_wait_s=sim_wait_s)
    finally:
        lock.release()


def cmd_diag(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk import diagnostics
    from kiosk.ledger import Ledger
    from kiosk.recovery import attention_list
    from kiosk.txn import open_transactions

    names = list(args.only or RUN_ALL_ORDER) + (["printer_test"] if args.print_test else [])
    results = _run_checks(ctx, names, args.sim_wait)
    out = diagnostics.report(results)
    with Ledger.open(ctx.settings.ledger.url, ctx.data_dir) as ledger:
        out["needs_attention"] = attention_list(ledger)
        out["open_transactions"] = open_transactions(ledger)
        out["printer_faults"] = printer_faults(ledger)
    out["ok"] = bool(out["ok"]) and not (out["needs_attention"] or out["open_transactions"] or out["printer_faults"])
    lines = [diagnostics.report_text(results)]
    lines += [f"needs attention: {a['txn_id']} stuck at {a['stuck_at']} "
              f"({a['amount_cents']} {a['currency']}, receipt {a['terminal_receipt_no']}) {a['message']}"
              for a in out["needs_attention"]]
    lines += [f"unfinished (run `kiosk recover`): {t}" for t in out["open_transactions"]]
    lines += [f"printer fault: {f['error']} {f['message']} (txn {f['txn_id']})" for f in out["printer_faults"][-5:]]
    ctx.emit(out, "\n".join(line for line in lines if line))
    if any(h.name == "startup" and not h.ok and h.data.get("error") in CONFIG_CODES for h in results):
        return EXIT_USAGE  # the configuration `kiosk txn run` would refuse with exit 2
    return EXIT_OK if out["ok"] else EXIT_FAILURE
