"""Errors of the SIM-reading package, all derived from :mod:`kiosk.errors`.

Callers above ``devices/`` only need the base classes (``UnreadableCard`` and
friends); these subclasses say *why* a card was unreadable so logs and tests
can tell a malformed response from a malformed file.
"""

from __future__ import annotations

from kiosk.errors import UnreadableCard


class MalformedResponse(UnreadableCard):
    """The card's answer is not a response APDU (fewer than two bytes)."""


class SimDataError(UnreadableCard):
    """A SIM file's content does not decode (non-BCD digits, bad length, bad TLV)."""


class UnexpectedStatus(UnreadableCard):
    """The card answered a command with a status word the read sequence cannot use."""
