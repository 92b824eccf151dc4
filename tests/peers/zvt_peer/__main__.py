"""``python -m tests.peers.zvt_peer``: the terminal as a separate process, until SIGTERM."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .terminal import PeerSettings, ZvtPeer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.peers.zvt_peer", description=__doc__)
    parser.add_argument("--link", required=True, help="symlink path the ECR opens")
    parser.add_argument("--journal", required=True, help="JSON-lines journal of bookings")
    parser.add_argument("--control", help="JSON control file (faults, settings), re-read on change")
    parser.add_argument("--pace-s", type=float, default=0.0, help="gap between the terminal's messages")
    parser.add_argument("--password", default="000000")
    parser.add_argument("--currency", type=int, default=840, help="ISO 4217 numeric code")
    parser.add_argument("--tid", default="52000001")
    parser.add_argument("--receipt-mode", default="auto", choices=["auto", "lines", "block", "both", "none"])
    parser.add_argument("--no-require-registration", action="store_true")
    parser.add_argument("--byte-timing", action="store_true", help="write at 9600 Bd 8N2 byte timing")
    args = parser.parse_args(argv)
    settings = PeerSettings(
        password=args.password,
        currency=args.currency,
        tid=args.tid,
        pace_s=args.pace_s,
        receipt_mode=args.receipt_mode,
        require_registration=not args.no_require_registration,
        byte_time_s=11 / 9600 if args.byte_timing else 0.0,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    peer = ZvtPeer(args.link, args.journal, control=args.control, settings=settings)
    with peer:
        print(json.dumps({"event": "ready", "link": args.link, "pid": os.getpid()}), flush=True)
        while not done.wait(0.2):
            pass
    print(json.dumps({"event": "stopped", "pid": os.getpid()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
