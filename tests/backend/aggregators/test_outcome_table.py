"""The outcome table in code and its copy in docs/backend.md stay in step; the table is sane."""

from __future__ import annotations

import re

from backend.providers import outcomes
from tests.backend.harness import ROOT

DOC = ROOT / "docs" / "backend.md"


def _doc_rows() -> list[tuple[str, ...]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- outcome-table:start -->", 1)[1].split("<!-- outcome-table:end -->", 1)[0]
    rows: list[tuple[str, ...]] = []
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((cells[0], cells[1], cells[2].strip("`"), cells[3], "" if cells[4] == "—" else cells[4],
                     cells[5]))
    return rows


def test_the_docs_mirror_the_table_row_for_row() -> None:
    code = [(r.aggregator, r.source, r.code, r.outcome, r.failure_kind or "", r.meaning) for r in outcomes.TABLE]
    assert _doc_rows() == code


def test_every_row_is_well_formed() -> None:
    kinds = {"customer_fixable", "transient", "out_of_service"}
    for row in outcomes.TABLE:
        assert row.aggregator in {"*", "dtone", "reloadly"}
        assert row.outcome in {"succeeded", "pending", "failed", "ask"}
        assert (row.failure_kind in kinds) == (row.outcome == "failed"), row
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", row.code), row
    # the signals that must never be read as a definite failure
    for source, code in [("transport", "timeout"), ("transport", "dropped"), ("transport", "5xx")]:
        found = outcomes.find("dtone", source, code)
        assert found is not None and found.outcome == "ask"
    for aggregator, code in [("dtone", "1007001"), ("reloadly", "TOPUP_TRANSACTION_FAILED")]:
        found = outcomes.find(aggregator, "error", code)
        assert found is not None and found.outcome == "ask"
    assert outcomes.find("reloadly", "error", "NO_SUCH_CODE") is None  # unknown -> the adapter asks
