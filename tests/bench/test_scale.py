"""``bench/scale_backend.py`` cannot rot: its quick run builds a small history in SQL, syncs
through the real backend, runs every operator query over HTTP and EXPLAINs each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_scale_bench_quick_run() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "scale_backend.py"), "--quick"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "7,000 events stored" in out or "events stored" in out
    assert out.count("plan: ") == 9  # every operator query explained
    assert "ingest, one kiosk, 2000 events" in out and "targets:" in out
