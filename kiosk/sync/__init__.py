"""Upstream sync: ledger events to the backend, heartbeats (DESIGN section 5).

Use :func:`start_background_sync` from ``kiosk run``; ``kiosk sync`` drives a
:class:`Syncer` directly.
"""

from kiosk.ledger.store import ACKED_HASH_META, ACKED_META
from kiosk.sync.client import ChainPosition, PushResult, RequestSigner, UpstreamClient
from kiosk.sync.engine import (
    StatusProvider,
    Syncer,
    SyncReport,
    SyncService,
    devices_from_health,
    service_from_settings,
    start_background_sync,
)
from kiosk.sync.errors import ChainMismatch, SequenceGap, SyncRejected

__all__ = [
    "ACKED_HASH_META", "ACKED_META", "ChainMismatch", "ChainPosition", "PushResult", "RequestSigner",
    "SequenceGap", "StatusProvider", "SyncRejected", "SyncReport",
    "SyncService", "Syncer", "UpstreamClient", "devices_from_health", "service_from_settings",
    "start_background_sync",
]
