"""The crash test: ``kiosk txn run`` against the ZVT emulator over a pty and the simulated
provider, SIGKILLed at every state boundary (and at random instants), with the provider
failing, hanging and answering unknown and the terminal declining and going silent;
``kiosk recover`` after each kill. For every transaction the terminal's own journal shows
a charge that stands iff the provider's own records show a succeeded top-up; no ledger
row is lost or changed; the hash chain verifies."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.money.crashkit import crash_rig, standard_plan


@pytest.mark.timeout(300)
def test_kill_at_every_boundary_then_recover(tmp_path: Path) -> None:
    plan = standard_plan(random.Random(20240501))
    with crash_rig(tmp_path) as rig:
        for i, kill in enumerate(plan):
            rig.cycle(kill)
            inv = rig.check()
            assert inv.ok, (i, kill, inv.problems)
        verified = rig.zygote.run(["ledger", "verify", "--json"], rig.env(), tmp_path / "verify.out")
        assert verified == 0, (tmp_path / "verify.out").read_text()
    camp = rig.campaign
    assert camp.kills >= 20, camp
    assert camp.killed_by_hook >= 20
    assert inv.transactions == len(plan)
    assert inv.needs_attention == 0, inv
    assert inv.completed > 0 and inv.reversed > 0 and inv.declined > 0, inv
