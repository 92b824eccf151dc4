"""The fault matrix of docs/zvt.md, run: every fault against the driver on a real pty."""

from __future__ import annotations

from pathlib import Path

from payment.emulator.matrix import ROWS, render, replace_in, run

DOCS = Path(__file__).resolve().parents[2] / "docs" / "zvt.md"


def test_every_row_behaves_as_documented() -> None:
    results = run(scale=0.1)
    assert len(results) == len(ROWS) >= 30
    # A wrong outcome or a disagreement with the journal fails at once: no second chance.
    wrong = [(r.row.fault, r.outcome, "" if r.agrees else "disagrees with the journal", r.detail)
             for r in results if r.outcome != r.row.expect or not r.agrees]
    assert not wrong, wrong
    # At a tenth of the real timing a busy machine can push a row past its *time* bound; only
    # such a row runs again alone at a quarter of the timing, and must behave there.
    late = tuple(r.row for r in results if r.seconds > r.bound_s)
    again = run(scale=0.25, workers=1, rows=late)
    bad = [(r.row.fault, r.outcome, f"{r.seconds:.2f} s > {r.bound_s:.2f} s"
            if r.seconds > r.bound_s else "", "" if r.agrees else "disagrees with the journal",
            r.detail) for r in again if not r.ok]
    assert not bad, bad


def test_docs_hold_the_generated_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert replace_in(text, render()) == text, \
        "docs/zvt.md's fault matrix is stale: python bench/bench_zvt_faults.py --write"
