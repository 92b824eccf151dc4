"""Request signing v2, shared by the kiosk and the backend (DESIGN section 5): pure, no I/O.

Every request to the backend carries ``X-Kiosk-Id``, ``X-Timestamp``, ``X-Nonce`` and
``X-Signature: v2:<hex>``, the lower-case hex HMAC-SHA256 with the kiosk's secret over
the canonical request::

    METHOD "\\n" PATH "\\n" QUERY "\\n" X-Timestamp "\\n" X-Nonce "\\n" hex(SHA-256(body))

Why each part: METHOD, PATH and QUERY bind the signature to one route, so a signed
``GET /v1/catalog`` cannot be replayed as ``GET /v1/topups/<key>``; the body hash binds
the content; the timestamp bounds replay to :data:`MAX_SKEW`; the nonce (32 lower-case
hex, fresh per request) lets the receiver refuse a second use inside that window.

``PATH`` is the path exactly as sent on the request line (percent-encoded as sent, no
query). ``QUERY`` is built from the decoded query parameters: each name and value
percent-encoded as RFC 3986 says (unreserved ``A-Z a-z 0-9 - . _ ~`` kept, every other
UTF-8 byte as ``%XX``, upper-case hex), the pairs written ``name=value``, sorted by the
encoded name and then the encoded value (byte order, as RFC 5849 §3.4.1.3.2), joined with
``&``; the empty string when there are none. When a received query is decoded, ``+``
means a space (form encoding, as every web framework reads it); the kiosk itself always
sends its query already in the canonical form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote

MAX_SKEW = dt.timedelta(minutes=5)
SCHEME = "v2"
HEADER_KIOSK = "X-Kiosk-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
NONCE_RE = re.compile(r"[0-9a-f]{32}")
_UNRESERVED = "-._~"  # plus ALPHA and DIGIT, which quote() never encodes
MAX_TIMESTAMP_LEN = 40


def format_timestamp(at: dt.datetime) -> str:
    """Seconds precision with a ``Z`` suffix, as ``docs/upstream-api.md`` specifies."""
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> dt.datetime:
    """Any ISO-8601 time with a zone (``Z`` or an offset); naive times are refused.

    Raises ``ValueError`` for anything else, including times that exist only in
    their own zone (``0001-01-01T00:00+01:00`` is before year 1 in UTC)."""
    if not text or len(text) > MAX_TIMESTAMP_LEN:
        raise ValueError("timestamp missing or too long")
    try:
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            raise ValueError("timestamp has no time zone")
        return parsed.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError(f"timestamp {text!r} is out of range") from exc


def new_nonce() -> str:
    """128 random bits as 32 lower-case hex characters."""
    return secrets.token_hex(16)


def percent_encode(text: str) -> str:
    """RFC 3986 §2.1 percent-encoding of UTF-8; ``ValueError`` for text that is not Unicode
    scalar values (a lone surrogate has no UTF-8 form)."""
    try:
        return quote(text, safe=_UNRESERVED, encoding="utf-8", errors="strict")
    except UnicodeEncodeError as exc:
        raise ValueError("query text is not valid Unicode (lone surrogate)") from exc


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """``QUERY`` of the canonical request (module docstring); ``""`` for no parameters."""
    pairs = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in pairs)


def parse_query(raw: str) -> list[tuple[str, str]]:
    """A received query string → its decoded parameters, in order (``+`` is a space).

    ``ValueError`` when it is not ASCII or a ``%XX`` sequence is not UTF-8."""
    if not raw:
        return []
    if not raw.isascii():
        raise ValueError("query string must be ASCII (percent-encoded UTF-8)")
    try:
        return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ValueError("query string has percent-encoded bytes that are not UTF-8") from exc


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def canonical_request(method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The bytes the HMAC covers (``ValueError`` when a part cannot be encoded)."""
    try:
        return "\n".join((method.upper(), path, query, timestamp, nonce, body_digest(body))).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("request part is not valid Unicode") from exc


def sign(secret: bytes, method: str, path: str, query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The ``X-Signature`` value: ``v2:`` and the lower-case hex HMAC-SHA256."""
    mac = hmac.new(secret, canonical_request(method, path, query, timestamp, nonce, body), hashlib.sha256)
    return f"{SCHEME}:{mac.hexdigest()}"


def signature_ok(secret: bytes, signature: str, method: str, path: str, query: str, timestamp: str,
                 nonce: str, body: bytes) -> bool:
    """Constant-time check of a ``v2:`` signature; anything malformed is simply wrong."""
    try:
        expected = sign(secret, method, path, query, timestamp, nonce, body).encode("ascii")
    except ValueError:
        return False
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)


def skew_ok(timestamp: dt.datetime, now: dt.datetime, max_skew: dt.timedelta = MAX_SKEW) -> bool:
    return abs(timestamp - now) <= max_skew


def signed_headers(
    kiosk_id: str,
    secret: bytes,
    method: str,
    path: str,
    query: str,
    body: bytes,
    now: dt.datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four authentication headers for one request (``query`` already canonical)."""
    stamp = format_timestamp(now)
    nonce = nonce or new_nonce()
    return {
        HEADER_KIOSK: kiosk_id,
        HEADER_TIMESTAMP: stamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: sign(secret, method, path, query, stamp, nonce, body),
    }
