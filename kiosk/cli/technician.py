"""``kiosk technician hash-pin|status|unlock``: set up and look after the PIN gate.

``hash-pin`` reads the PIN from standard input (asked twice, without echo, on a
terminal; the first line otherwise, e.g. ``echo 483921 | kiosk technician
hash-pin``) and prints the argon2id hash to paste into ``[technician] pin_hash``
(or ``operator_pin_hash`` with ``--role operator``). The PIN is never printed
or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.cli import EXIT_OK, CliContext, summary
from kiosk.errors import KioskError

# argon2 and the ledger are imported inside the commands: the parser must stay cheap.


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    tech = subparsers.add_parser("technician", parents=[parent], help=summary("technician"))
    sub = tech.add_subparsers(dest="technician_command", metavar="ACTION", required=True)

    hp = sub.add_parser("hash-pin", parents=[parent], help="read a PIN on stdin, print its argon2id hash")
    hp.add_argument("--role", choices=("technician", "operator"), default="technician",
                    help="which configuration key the hash is for")
    hp.set_defaults(func=cmd_hash_pin)

    st = sub.add_parser("status", parents=[parent], help="is the PIN keypad locked?")
    st.set_defaults(func=cmd_status)

    un = sub.add_parser("unlock", parents=[parent],
                        help="lift a PIN lockout now and restart the escalation (audited)")
    un.set_defaults(func=cmd_unlock)


def _read_pin() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("PIN: ")
        if getpass.getpass("PIN again: ") != first:
            raise KioskError("the two PINs differ", code="bad_pin")
        return first
    line = sys.stdin.readline()
    if not line:
        raise KioskError("no PIN on standard input", code="bad_pin")
    return line.rstrip("\r\n")


def cmd_hash_pin(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.technician import hash_pin

    digest = hash_pin(_read_pin())
    key = "pin_hash" if args.role == "technician" else "operator_pin_hash"
    ctx.emit({"role": args.role, "key": f"[technician] {key}", "hash": digest}, digest)
    return EXIT_OK


def cmd_status(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.ledger import Ledger
    from kiosk.technician import gate_from_settings

    with Ledger.open(ctx.settings.ledger.url, ctx.data_dir) as ledger:
        status = gate_from_settings(ctx.settings, ledger).status()
    out = {"configured": status.configured, "roles": list(status.roles), "locked": status.locked,
           "permanent": status.permanent,
           "locked_until": status.locked_until.isoformat() if status.locked_until and not status.permanent else None,
           "seconds_left": None if status.permanent else round(status.seconds_left), "failures": status.failures,
           "lockouts": status.lockouts}
    if status.permanent:
        text = "locked until unlocked: run `kiosk technician unlock`"
    elif status.locked:
        text = f"locked for {status.seconds_left:.0f} s more (lockout {status.lockouts})"
    else:
        text = f"open ({status.failures} wrong PIN(s) in a row, {status.lockouts} lockout(s) since the last login)"
    ctx.emit(out, text if status.configured else "no technician PIN configured")
    return EXIT_OK


def cmd_unlock(ctx: CliContext, args: argparse.Namespace) -> int:
    from kiosk.ledger import Ledger
    from kiosk.technician import gate_from_settings

    with Ledger.open(ctx.settings.ledger.url, ctx.data_dir) as ledger:
        gate_from_settings(ctx.settings, ledger).unlock(by="cli")
    ctx.emit({"unlocked": True}, "PIN keypad unlocked")
    return EXIT_OK
