"""Append-only, hash-chained transaction ledger (DESIGN section 4)."""

from kiosk.ledger.store import Ledger, LedgerEvent
from kiosk.ledger.verify import VerifyReport, verify, verify_upstream

__all__ = ["Ledger", "LedgerEvent", "VerifyReport", "verify", "verify_upstream"]
