"""Request signing shared by the kiosk and the backend (DESIGN section 5): pure, no I/O.

``X-Signature`` = lower-case hex HMAC-SHA256 with the kiosk's secret over
``X-Timestamp + "\\n" + body``. The timestamp is UTC ISO-8601; the receiver
rejects one further than :data:`MAX_SKEW` from its own clock, which bounds how
long a captured request can be replayed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

MAX_SKEW = dt.timedelta(minutes=5)
HEADER_KIOSK = "X-Kiosk-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_SIGNATURE = "X-Signature"


def format_timestamp(at: dt.datetime) -> str:
    """Seconds precision with a ``Z`` suffix, as ``docs/upstream-api.md`` specifies."""
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> dt.datetime:
    """Any ISO-8601 time with a zone (``Z`` or an offset); naive times are refused."""
    if not text or len(text) > 40:
        raise ValueError("timestamp missing or too long")
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("timestamp has no time zone")
    return parsed.astimezone(dt.UTC)


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode("ascii") + b"\n" + body, hashlib.sha256).hexdigest()


def signature_ok(secret: bytes, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison; a malformed signature is simply wrong."""
    try:
        expected = sign(secret, timestamp, body)
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, signature.strip().lower())


def skew_ok(timestamp: dt.datetime, now: dt.datetime, max_skew: dt.timedelta = MAX_SKEW) -> bool:
    return abs(timestamp - now) <= max_skew


def signed_headers(kiosk_id: str, secret: bytes, body: bytes, now: dt.datetime) -> dict[str, str]:
    """The three authentication headers for one request."""
    stamp = format_timestamp(now)
    return {
        HEADER_KIOSK: kiosk_id,
        HEADER_TIMESTAMP: stamp,
        HEADER_SIGNATURE: sign(secret, stamp, body),
    }
