"""The ZVT fault matrix: every fault the emulator injects, run against the driver on a pty.

Prints, per fault, what the caller got, how long it waited (measured at the
chosen time scale) against the driver's bound at that scale, and whether the
driver's answer agrees with the emulator's journal. ``--write`` then replaces
the table in docs/zvt.md (bounds shown for the default configuration); it
refuses to when a row did not behave as its definition says.

    python bench/bench_zvt_faults.py [--scale 0.1] [--write]

``--scale 1`` runs with the real timing (T3 = 5 s, T4 = 180 s): about ten minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from payment.emulator.matrix import ROWS, render, replace_in, run

DOCS = Path(__file__).resolve().parents[1] / "docs" / "zvt.md"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.1, help="time scale (1 = real timing)")
    p.add_argument("--write", action="store_true", help="update the table in docs/zvt.md")
    args = p.parse_args(argv)
    started = time.monotonic()
    results = run(args.scale)
    print(f"ZVT fault matrix at time scale {args.scale:g} "
          f"(baseline: the driver's bound for each row at that scale, plus 25 % + 0.3 s)")
    width = max(len(r.row.fault) for r in results)
    bad = 0
    for r in results:
        mark = "ok " if r.ok else "BAD"
        bad += not r.ok
        print(f"{mark} {r.row.fault:<{width}}  {r.seconds:6.2f} s <= {r.bound_s:6.2f} s  "
              f"{r.outcome}" + ("" if r.agrees else "  (disagrees with the journal)"))
        if not r.ok:
            print(f"      expected: {r.row.expect}; {r.detail}")
    print(f"{len(results) - bad}/{len(results)} rows as documented in "
          f"{time.monotonic() - started:.1f} s")
    if args.write:
        if bad:
            print("not writing docs/zvt.md: some rows did not behave as documented")
            return 1
        DOCS.write_text(replace_in(DOCS.read_text(encoding="utf-8"), render(ROWS)),
                        encoding="utf-8")
        print(f"wrote the table to {DOCS}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
