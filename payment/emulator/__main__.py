"""``python -m payment.emulator --link PATH [options]``: run the terminal emulator.

Prints one JSON line on stdout when ready::

    {"event": "ready", "port": "/dev/pts/7", "link": "PATH", "pid": 1234}

and runs until SIGTERM or SIGINT (exit 0, symlink removed). With ``--control FILE``
it re-reads that JSON object (EmulatorConfig field names, e.g.
``{"decline": true}``) whenever the file changes, so a test can switch faults in a
running emulator process. See docs/zvt.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from payment.emulator.emulator import STAGES, STATUS_LAYOUTS, EmulatorConfig, ZvtEmulator


def _int(text: str) -> int:
    return int(text, 0)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m payment.emulator",
                                description="ZVT payment terminal emulator on a pty")
    p.add_argument("--link", required=True, help="symlink to create pointing at the pty slave")
    p.add_argument("--journal", help="JSON-lines journal of approvals, reversals, refunds")
    p.add_argument("--control", help="JSON file with config overrides, re-read when it changes")
    p.add_argument("--baud", type=int, default=9600)
    p.add_argument("--bytesize", type=int, default=8)
    p.add_argument("--parity", default="N", choices=("N", "E", "O"))
    p.add_argument("--stopbits", type=int, default=2)
    p.add_argument("--real-timing", action="store_true", help="pace bytes at the baud rate")
    p.add_argument("--terminal-id", type=int, default=52500001)
    p.add_argument("--ack-timeout", type=float, default=5.0, help="the terminal's T3 in s")
    p.add_argument("--no-registration-required", action="store_true")
    p.add_argument("--decline", action="store_true")
    p.add_argument("--decline-code", type=_int, default=0x05)
    p.add_argument("--busy", action="store_true")
    p.add_argument("--busy-code", type=_int, default=0xA0)
    p.add_argument("--busy-count", type=int, default=0,
                   help="refuse only the next N commands with --busy-code")
    p.add_argument("--no-repeat-receipt", action="store_true",
                   help="answer Repeat Receipt (06 20) with 84 83")
    p.add_argument("--permitted-commands", action="store_true",
                   help="list the permitted commands (TLV 26) in the registration's completion")
    p.add_argument("--status-layout", choices=STATUS_LAYOUTS, default="bmp",
                   help="status enquiry answer: bmp (19 status), lllvar (version + status), tlv")
    p.add_argument("--terminal-status", type=_int, default=0x00)
    p.add_argument("--software-version", default="SIMKIOSK-EMU 1.0")
    p.add_argument("--lose-completion", action="store_true",
                   help="the completion after a final status is lost on the line")
    p.add_argument("--ignore-abort", action="store_true",
                   help="go on with a payment whatever 06 B0 says (its answer comes late)")
    p.add_argument("--stale-completion", action="store_true",
                   help="answer the next money command with a completion only (still on the "
                        "line from the previous transaction), dropping it")
    p.add_argument("--stale-status", action="store_true",
                   help="answer the next money command with the previous transaction's "
                        "status, receipt and completion (still on the line), dropping it")
    p.add_argument("--undecodable-at", choices=STAGES,
                   help="send a message the ECR cannot decode at this stage")
    p.add_argument("--crc-error-rate", type=float, default=0.0)
    p.add_argument("--junk-rate", type=float, default=0.0)
    p.add_argument("--nak-rate", type=float, default=0.0)
    p.add_argument("--silent-at", choices=STAGES)
    p.add_argument("--disconnect-at", choices=STAGES)
    p.add_argument("--reconnect-after", type=float, default=0.5)
    p.add_argument("--repeat-faults", action="store_true")
    p.add_argument("--answer-delay", type=float, default=0.0)
    p.add_argument("--card-delay", type=float, default=0.0)
    p.add_argument("--pin-delay", type=float, default=0.0)
    p.add_argument("--host-delay", type=float, default=0.0)
    p.add_argument("--seed", type=int)
    p.add_argument("--verbose", action="store_true")
    return p


def config_from_args(a: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        baud=a.baud, bytesize=a.bytesize, parity=a.parity, stopbits=a.stopbits,
        real_timing=a.real_timing, terminal_id=a.terminal_id, ack_timeout_s=a.ack_timeout,
        require_registration=not a.no_registration_required, decline=a.decline,
        decline_code=a.decline_code, busy=a.busy, busy_code=a.busy_code,
        busy_count=a.busy_count, repeat_receipt=not a.no_repeat_receipt,
        permitted_commands=a.permitted_commands, status_layout=a.status_layout,
        terminal_status=a.terminal_status, software_version=a.software_version,
        lose_completion=a.lose_completion, stale_status=a.stale_status, stale_completion=a.stale_completion,
        ignore_abort=a.ignore_abort, undecodable_at=a.undecodable_at,
        crc_error_rate=a.crc_error_rate, junk_rate=a.junk_rate, nak_rate=a.nak_rate,
        silent_at=a.silent_at, disconnect_at=a.disconnect_at,
        reconnect_after_s=a.reconnect_after, repeat_faults=a.repeat_faults,
        answer_delay_s=a.answer_delay, card_delay_s=a.card_delay, pin_delay_s=a.pin_delay,
        host_delay_s=a.host_delay, seed=a.seed,
    )


def _watch_control(emu: ZvtEmulator, path: Path, stop: threading.Event) -> None:
    """Apply the control file whenever it changes; print ``control_applied`` (with the
    file's ``generation``, if it has one) once it is in force, so a driver can wait for it.

    A change is told by the file's identity (inode, mtime in ns, size), not its mtime alone:
    two writes within one tick of the file-system clock have the same mtime, and a reader
    that caught the first half of a non-atomic write would never look again."""
    known = {f.name for f in dataclasses.fields(EmulatorConfig)}
    seen: tuple[int, int, int] | None = None
    while not stop.wait(0.05):
        try:
            st = path.stat()
        except FileNotFoundError:
            continue
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == seen:
            continue
        seen = stamp
        try:
            changes: dict[str, Any] = json.loads(path.read_text(encoding="utf-8") or "{}")
            emu.update(**{k: v for k, v in changes.items() if k in known})
        except (OSError, json.JSONDecodeError, TypeError, ValueError) as exc:
            seen = None  # look again: a writer may still be busy with it
            _announce({"event": "control_error", "message": str(exc)})
            continue
        _announce({"event": "control_applied", "generation": changes.get("generation")})


def _announce(event: dict[str, Any]) -> None:
    """One JSON line on stdout for whoever started the emulator; a driver that stopped
    listening (closed its end after "ready") does not stop the control watch."""
    try:
        print(json.dumps(event), flush=True)
    except BrokenPipeError as exc:
        logging.getLogger(__name__).debug("nobody reads the emulator's events: %s", exc)
        # what is still buffered (and later lines) goes nowhere, so the exit stays clean
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        stream=sys.stderr, format="emulator: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    emu = ZvtEmulator(config_from_args(args), link=args.link, journal=args.journal)
    emu.start()
    if args.control:
        threading.Thread(target=_watch_control, args=(emu, Path(args.control), stop),
                         daemon=True, name="emulator-control").start()
    print(json.dumps({"event": "ready", "port": emu.slave_name, "link": args.link,
                      "pid": os.getpid()}), flush=True)
    try:
        while not stop.wait(0.2):
            time.sleep(0)
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
