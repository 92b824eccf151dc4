"""Append-only, hash-chained transaction ledger (DESIGN section 4)."""

from kiosk.ledger.store import Ledger, LedgerEvent
from kiosk.ledger.verify import VerifyReport, verify

__all__ = ["Ledger", "LedgerEvent", "VerifyReport", "verify"]
