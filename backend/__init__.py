"""The simkiosk reference backend: event ingest, heartbeats, top-ups and the operator web page.

Run it with ``kiosk-backend serve``; see ``docs/backend.md``.
"""
