"""``kiosk card read|watch``: read the SIM in the configured reader, or follow insertions.

``read`` prints ``iccid, iccid_valid, carrier, carrier_source, host_network_only,
imsi, gid1, spn, msisdn, atr, reader`` (``"protected"`` for a PIN-protected
file). ``watch`` prints one JSON object per event until interrupted (or after
``--count`` events / ``--duration`` seconds, for scripts and tests).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import threading
from types import FrameType
from typing import Any

from kiosk.cli import CliContext, summary
from kiosk.ports import CardEvent

READ_FIELDS = ("iccid", "iccid_valid", "carrier", "carrier_source", "host_network_only",
               "imsi", "gid1", "spn", "msisdn", "atr", "reader")


def register(subparsers: Any, parent: argparse.ArgumentParser) -> None:
    card = subparsers.add_parser("card", help=summary("card"), parents=[parent])
    actions = card.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    read = actions.add_parser("read", help="read the SIM in the reader", parents=[parent])
    _reader_options(read)
    read.add_argument("--timeout", type=float, default=None, metavar="S",
                      help="seconds to wait for a card (default [reader] read_timeout_s)")
    read.set_defaults(func=cmd_read)

    watch = actions.add_parser("watch", help="print card insert/remove events as JSON lines",
                               parents=[parent])
    _reader_options(watch)
    watch.add_argument("--count", type=int, default=None, metavar="N",
                       help="stop after N events")
    watch.add_argument("--duration", type=float, default=None, metavar="S",
                       help="stop after S seconds")
    watch.set_defaults(func=cmd_watch)


def _reader_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reader", default=None, metavar="SUBSTR",
                        help="use the reader whose name contains SUBSTR")


def _settings(ctx: CliContext, args: argparse.Namespace) -> Any:
    section = ctx.settings.reader
    if args.reader is not None:
        section = dataclasses.replace(section, name_filter=args.reader)
    return section


def cmd_read(ctx: CliContext, args: argparse.Namespace) -> int:
    from devices.card import open_reader

    section = _settings(ctx, args)
    timeout = section.read_timeout_s if args.timeout is None else args.timeout
    reader = open_reader(section)
    try:
        card = reader.read(timeout)
    finally:
        reader.close()
    ctx.emit({name: getattr(card, name) for name in READ_FIELDS})
    return 0


def cmd_watch(ctx: CliContext, args: argparse.Namespace) -> int:
    from devices.card import open_reader

    reader = open_reader(_settings(ctx, args))
    done = threading.Event()
    lock = threading.Lock()
    seen = 0

    def on_event(event: CardEvent) -> None:
        nonlocal seen
        with lock:
            if done.is_set():
                return
            print(json.dumps({"event": str(event.kind), "reader": event.reader,
                              "atr": event.atr}), flush=True)
            seen += 1
            if args.count is not None and seen >= args.count:
                done.set()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    watch = reader.watch(on_event)
    try:
        done.wait(args.duration)
    finally:
        signal.signal(signal.SIGTERM, previous)
        watch.close()
        reader.close()
    return 0
