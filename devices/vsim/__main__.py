"""``python -m devices.vsim``: insert a virtual SIM into a vpcd reader until Ctrl-C.

Example: ``python -m devices.vsim --port 35963 --profile mint --mode gsm --pin``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence

from devices.vsim.card import PROFILES, CardOptions, Fault, Mode, VirtualSim
from devices.vsim.vpcd import DEFAULT_HOST, DEFAULT_PORT, VpcdCard


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m devices.vsim", description=__doc__)
    p.add_argument("--host", default=DEFAULT_HOST)
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help="vpcd port (reader 0: 35963, reader 1: 35964)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="tmobile")
    p.add_argument("--iccid", help="override the profile's ICCID (digits)")
    p.add_argument("--mode", choices=[m.value for m in Mode], default=Mode.DUAL.value,
                   help="uicc: class 00 only; gsm: class A0 only; dual: both")
    p.add_argument("--refuse-sw", default="6E00", help="SW for the unsupported class (6E00/6D00)")
    p.add_argument("--pin", action="store_true", help="IMSI and MSISDN need the PIN")
    p.add_argument("--fault", choices=[f.value for f in Fault], default=Fault.NONE.value)
    p.add_argument("--remove-after", type=int, default=None, metavar="N",
                   help="pull the card when command N+1 arrives")
    p.add_argument("--delay", type=float, default=0.0, metavar="S",
                   help="answer each command after S seconds")
    p.add_argument("--cycles", type=int, default=1,
                   help="insert/remove this many times (with --hold seconds inserted)")
    p.add_argument("--hold", type=float, default=None, metavar="S",
                   help="keep the card inserted S seconds (default: until Ctrl-C)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    profile = PROFILES[args.profile]
    if args.iccid:
        from dataclasses import replace

        profile = replace(profile, iccid=args.iccid)
    options = CardOptions(mode=Mode(args.mode), pin_enabled=args.pin, fault=Fault(args.fault),
                          refuse_sw=int(args.refuse_sw, 16))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for cycle in range(args.cycles):
            card = VpcdCard(VirtualSim(profile, options), host=args.host, port=args.port,
                            remove_after=args.remove_after, delay_s=args.delay)
            with card:
                logging.info("inserted %s (%s) into %s:%d", profile.name, args.mode,
                             args.host, args.port)
                stop.wait(args.hold)
            logging.info("removed (cycle %d, %d APDUs)", cycle + 1, card.apdus)
            if stop.is_set():
                break
            stop.wait(1.0)  # let pcscd notice the removal before the next insertion
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"vsim: cannot reach vpcd at {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
