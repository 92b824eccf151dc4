"""Upstream sync: ledger events to the backend, heartbeats (DESIGN section 5).

Use :func:`start_background_sync` from ``kiosk run``; ``kiosk sync`` drives a
:class:`Syncer` directly.
"""

from kiosk.sync.client import PushResult, UpstreamClient
from kiosk.sync.engine import (
    ACKED_META,
    StatusProvider,
    Syncer,
    SyncReport,
    SyncService,
    devices_from_health,
    service_from_settings,
    start_background_sync,
)
from kiosk.sync.errors import SequenceGap, SyncRejected

__all__ = [
    "ACKED_META", "PushResult", "SequenceGap", "StatusProvider", "SyncRejected", "SyncReport",
    "SyncService", "Syncer", "UpstreamClient", "devices_from_health", "service_from_settings",
    "start_background_sync",
]
