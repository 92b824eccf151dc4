"""Sync errors, under :class:`kiosk.errors.UpstreamError`.

``UpstreamUnavailable`` (network down, timeout, 5xx) is retried with backoff.
``SyncRejected`` is a definite 4xx refusal: retrying the same batch will not help;
the service keeps retrying slowly and reports it (diagnostics, heartbeat).
``SequenceGap`` is the one refusal the kiosk resolves itself: it rewinds to the
backend's ``acked_through`` and sends from there.
``ChainMismatch`` means the backend holds another hash than the local chain at the
seq it acknowledged: the local ledger (or the backend's copy) was replaced. It is
never resolved automatically; staff must look (``kiosk ledger verify --upstream``).
"""

from __future__ import annotations

from typing import Any

from kiosk.errors import UpstreamError


class SyncRejected(UpstreamError):
    code = "sync_rejected"

    def __init__(self, message: str, *, status: int, error: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.body = body or {}


class SequenceGap(SyncRejected):
    code = "sync_gap"

    def __init__(self, message: str, *, status: int, error: str, body: dict[str, Any], acked_through: int,
                 acked_hash: str = "") -> None:
        super().__init__(message, status=status, error=error, body=body)
        self.acked_through = acked_through
        self.acked_hash = acked_hash


class ChainMismatch(SyncRejected):
    code = "chain_mismatch"

    def __init__(self, message: str, *, seq: int) -> None:
        super().__init__(message, status=200, error="chain_mismatch")
        self.seq = seq
