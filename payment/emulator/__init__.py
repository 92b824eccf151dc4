"""ZVT terminal emulator (terminal side over a pty) with fault injection and a journal."""

from payment.emulator.emulator import STAGES, EmulatorConfig, ZvtEmulator
from payment.emulator.journal import Journal, count, net_cents, read_journal, standing_charges

__all__ = [
    "STAGES",
    "EmulatorConfig",
    "Journal",
    "ZvtEmulator",
    "count",
    "net_cents",
    "read_journal",
    "standing_charges",
]
