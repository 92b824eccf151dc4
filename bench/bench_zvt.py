"""Benchmark: one ZVT authorization at 9600 baud 8N2 with real byte timing.

The emulator paces every byte at the line rate (11 bits per byte: start, 8 data,
2 stop) and spends configured time at the card, PIN and host stages. The line's
floor for one authorization is ``bytes on the wire x 11 / 9600 + those delays``;
the figure of merit is the driver's wall time divided by that floor (target
<= 1.3), both measured in the same run.
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
    scenario("with terminal delays", DELAYS)
    scenario("line only (no terminal delays)", {})


def scenario(title: str, delays: dict[str, float]) -> None:
    print(f"-- {title}")
    config = EmulatorConfig(baud=BAUD, bytesize=8, parity="N", stopbits=2, real_timing=True,
                            **delays)
    bits = config.bits_per_byte
    with tempfile.TemporaryDirectory() as tmp, \
            ZvtEmulator(config, link=Path(tmp) / "terminal") as emu:
        settings = TerminalSection(port=emu.port, baud=BAUD, stopbits=2, ack_timeout_s=5.0,
                                   master_timeout_s=30.0)
        with ZvtTerminal(settings) as term:
            term.register()  # not measured: done once at start-up
            ratios, walls, floors = [], [], []
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
                ratios.append(wall / floor)
                print(f"run {i + 1}: {wire} bytes on the wire "
                      f"({wire * bits / BAUD * 1000:.0f} ms at {BAUD} 8N2) + "
                      f"{emu.stats['delays_s']:.2f} s terminal delays = floor {floor:.3f} s; "
                      f"driver {wall:.3f} s; ratio {wall / floor:.3f}")
    print(f"zvt authorization 9600 8N2, {title}: median wall {statistics.median(walls):.3f} s, "
          f"median floor {statistics.median(floors):.3f} s, "
          f"median ratio {statistics.median(ratios):.3f} (target <= 1.3)")


if __name__ == "__main__":
    main()
