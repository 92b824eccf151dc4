"""Benchmark: one ZVT authorization at 9600 baud 8N2 with real byte timing.

Baseline: the line's floor, ``bytes on the wire x 11 / 9600`` (11 bits per byte:
start, 8 data, 2 stop), measured in the same run from the emulator's byte
counters. The figure of merit is the driver's wall time divided by that floor
(target <= 1.3) with a terminal that answers at once, so the ratio measures the
driver and the line only.

A second scenario adds terminal delays (card, PIN, host). A ratio there would
say little (equal delays on both sides pull it towards 1), so it reports the
driver's overhead in milliseconds: wall time minus floor minus delays.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from kiosk.config import TerminalSection
from payment.emulator import EmulatorConfig, ZvtEmulator
from payment.zvt.terminal import ZvtTerminal

BAUD = 9600
RUNS = 5
DELAYS = {"card_delay_s": 0.3, "pin_delay_s": 0.3, "host_delay_s": 0.4}


def main() -> None:
    print(f"baseline: bytes on the wire x 11 / {BAUD} s (the line at {BAUD} 8N2), "
          "measured per run; terminal delays added where the scenario has them")
    walls, floors = scenario("line only (terminal answers at once)", {})
    ratios = [w / f for w, f in zip(walls, floors, strict=True)]
    print(f"zvt authorization 9600 8N2, line only: median wall {statistics.median(walls):.3f} s, "
          f"median floor {statistics.median(floors):.3f} s, "
          f"median ratio {statistics.median(ratios):.3f} (target <= 1.3)")
    walls, floors = scenario("with terminal delays", DELAYS)
    overhead = [(w - f) * 1000 for w, f in zip(walls, floors, strict=True)]
    print(f"zvt authorization 9600 8N2, with {sum(DELAYS.values()):.1f} s of terminal delays: "
          f"median wall {statistics.median(walls):.3f} s, driver overhead over line + delays "
          f"{statistics.median(overhead):.0f} ms (median)")


def scenario(title: str, delays: dict[str, float]) -> tuple[list[float], list[float]]:
    print(f"-- {title}")
    config = EmulatorConfig(baud=BAUD, bytesize=8, parity="N", stopbits=2, real_timing=True,
                            **delays)
    bits = config.bits_per_byte
    walls, floors = [], []
    with tempfile.TemporaryDirectory() as tmp, \
            ZvtEmulator(config, link=Path(tmp) / "terminal") as emu:
        settings = TerminalSection(port=emu.port, baud=BAUD, stopbits=2, ack_timeout_s=5.0,
                                   master_timeout_s=30.0)
        with ZvtTerminal(settings) as term:
            term.register()  # not measured: done once at start-up (with the capability probe)
            for i in range(RUNS):
                emu.reset_wire_counters()
                start = time.perf_counter()
                result = term.authorize(1250 + i, "USD", lambda p, t: None)
                wall = time.perf_counter() - start
                if not result.approved:
                    raise RuntimeError(f"authorization failed: {result.message}")
                wire = emu.bytes_on_wire()
                floor = wire * bits / BAUD + emu.stats["delays_s"]
                walls.append(wall)
                floors.append(floor)
                print(f"run {i + 1}: {wire} bytes on the wire "
                      f"({wire * bits / BAUD * 1000:.0f} ms at {BAUD} 8N2) + "
                      f"{emu.stats['delays_s']:.2f} s terminal delays = floor {floor:.3f} s; "
                      f"driver {wall:.3f} s")
    return walls, floors


if __name__ == "__main__":
    main()
