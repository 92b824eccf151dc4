"""What the ZVT driver keeps across restarts: the terminal's capabilities and its evidence.

Files in the driver's state directory (``<data_dir>/terminal`` in the kiosk):

* ``zvt-capabilities.json``: what registration and the repeat-receipt probe found,
  per terminal id, so a restart does not probe again;
* ``zvt-evidence.jsonl``: one line per operation the driver started (``op``,
  written before its command is sent) and per final status information it
  received (``status``, written and fsync'ed *before* the driver acknowledges it
  to the terminal). After a crash the shell reads them through
  :meth:`ZvtTerminal.evidence`. No card data beyond what the ledger keeps: no PAN.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

from kiosk.ports import FOREIGN_STATUS, SeenStatus, TerminalCapabilities, TerminalEvidence
from payment.statefile import LockedJournal, Record, StateFileError, read_json, write_json
from payment.zvt.messages import StatusInformation

log = logging.getLogger(__name__)

#: Statuses kept in memory (and returned by ``evidence()``).
KEEP_STATUSES = 500


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _seen(r: Record) -> SeenStatus:
    return SeenStatus(
        op_seq=int(r.get("op_seq") or 0), operation=str(r.get("operation") or ""),
        at=dt.datetime.fromisoformat(str(r["at"])), result_code=r.get("result_code"),
        amount_cents=r.get("amount_cents"), receipt_no=r.get("receipt_no"),
        trace_no=r.get("trace_no"), terminal_id=r.get("terminal_id"))


class DriverState:
    """Capabilities and evidence; an unusable state directory degrades to memory (logged,
    ``problem`` says why) rather than keeping the terminal from working."""

    def __init__(self, state_dir: Path | None) -> None:
        self.problem = ""
        try:
            self._journal = LockedJournal(state_dir / "zvt-evidence.jsonl" if state_dir else None,
                                          keep=2000)
            records = self._journal.read()
        except StateFileError as exc:
            log.warning("terminal state kept in memory only: %s", exc)
            self.problem = str(exc)
            state_dir, records = None, []
            self._journal = LockedJournal(None, keep=2000)
        self.state_dir = state_dir
        self._caps_path = state_dir / "zvt-capabilities.json" if state_dir else None
        self._lock = threading.Lock()
        self._op_seq = max((int(r.get("op_seq") or 0) for r in records), default=0)
        self._statuses = [_seen(r) for r in records if r.get("kind") == "status"][-KEEP_STATUSES:]

    # ------------------------------------------------------------------ capabilities

    def capabilities(self) -> TerminalCapabilities | None:
        raw = read_json(self._caps_path)
        if raw is None:
            return None
        checked = raw.get("checked_at")
        return TerminalCapabilities(
            repeat_receipt=raw.get("repeat_receipt"), preauth=raw.get("preauth"),
            abort=bool(raw.get("abort", True)), source=str(raw.get("source") or ""),
            terminal_id=raw.get("terminal_id"), software_version=raw.get("software_version"),
            checked_at=dt.datetime.fromisoformat(checked) if checked else None)

    def save_capabilities(self, caps: TerminalCapabilities) -> None:
        write_json(self._caps_path, {
            "repeat_receipt": caps.repeat_receipt, "preauth": caps.preauth, "abort": caps.abort,
            "source": caps.source, "terminal_id": caps.terminal_id,
            "software_version": caps.software_version,
            "checked_at": caps.checked_at.isoformat() if caps.checked_at else None})

    # ------------------------------------------------------------------ evidence

    def start(self, operation: str, **fields: Any) -> int:
        """Number the operation and journal it (before its command is sent)."""
        def make(current: list[Record]) -> list[Record]:
            with self._lock:
                seq = max([self._op_seq, *(int(r.get("op_seq") or 0) for r in current)]) + 1
                self._op_seq = seq
            return [{"kind": "op", "op_seq": seq, "operation": operation,
                     "at": _now().isoformat(timespec="milliseconds"), **fields}]

        return int(self._journal.append(make)[0]["op_seq"])

    def status(self, op_seq: int, operation: str, st: StatusInformation, *,
               foreign: str = "") -> SeenStatus:
        """Keep a final status; ``foreign``: why it is not ``op_seq``'s own (an earlier
        transaction's, still on the line): kept as operation :data:`FOREIGN_STATUS`, so no
        evidence reading takes it for that operation's or for a later transaction's."""
        if foreign:
            operation = FOREIGN_STATUS
        record: Record = {
            "kind": "status", "op_seq": op_seq, "operation": operation,
            "at": _now().isoformat(timespec="milliseconds"), "result_code": st.result_code,
            "amount_cents": st.amount_cents,
            "receipt_no": f"{st.receipt_no:04d}" if st.receipt_no is not None else None,
            "trace_no": f"{st.trace_no:06d}" if st.trace_no is not None else None,
            "terminal_id": f"{st.terminal_id:08d}" if st.terminal_id is not None else None,
        }
        if foreign:
            record["foreign"] = foreign
        self._journal.append(lambda _current: [record])
        seen = _seen(record)
        with self._lock:
            self._statuses.append(seen)
            del self._statuses[:-KEEP_STATUSES]
        return seen

    def seen_numbers(self, terminal_id: str | None) -> tuple[dict[str, SeenStatus],
                                                            dict[str, SeenStatus]]:
        """Receipt and trace numbers of the statuses seen so far, each with the status that
        carried it: receipts since that terminal's last end of day (terminals may restart them
        per batch), traces as far back as kept. ``terminal_id``: only that terminal's (a
        replaced terminal counts afresh); statuses without a terminal id count for any."""
        receipts: dict[str, SeenStatus] = {}
        traces: dict[str, SeenStatus] = {}
        for st in self.evidence().statuses:
            if terminal_id is not None and st.terminal_id not in (None, terminal_id):
                continue
            if st.operation == "end_of_day":
                receipts.clear()
            if st.receipt_no:
                receipts[st.receipt_no] = st
            if st.trace_no:
                traces[st.trace_no] = st
        return receipts, traces

    def evidence(self) -> TerminalEvidence:
        """Fresh from the file when there is one (another process may have used the terminal)."""
        if self.state_dir is not None:
            records = self._journal.read()
            with self._lock:
                self._op_seq = max([self._op_seq, *(int(r.get("op_seq") or 0) for r in records)])
                self._statuses = [_seen(r) for r in records
                                  if r.get("kind") == "status"][-KEEP_STATUSES:]
        with self._lock:
            return TerminalEvidence(self._op_seq, tuple(self._statuses),
                                    durable=self.state_dir is not None)
