"""Signing and backoff: pure functions."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kiosk.sync.backoff import Backoff
from kiosk.sync.signing import (
    canonical_query,
    format_timestamp,
    parse_query,
    parse_timestamp,
    sign,
    signature_ok,
    signed_headers,
    skew_ok,
)

AT = dt.datetime(2025, 7, 1, 12, 34, 56, 789000, tzinfo=dt.UTC)


NONCE = "0123456789abcdef0123456789abcdef"


def test_signature_vector() -> None:
    # computed independently with openssl:
    # B=$(printf '{}' | openssl dgst -sha256 -r | cut -d' ' -f1)
    # printf 'POST\n/v1/kiosks/K-1/events\n\n2025-07-01T12:34:56Z\n0123…cdef\n%s' "$B" \
    #   | openssl dgst -sha256 -hmac secret
    assert sign(b"secret", "POST", "/v1/kiosks/K-1/events", "", "2025-07-01T12:34:56Z", NONCE, b"{}") == \
        "v2:a3443a6455b38b8fb574b3efc0db9e7221f142828d7e2682a187830927bed00e"


def test_query_vector_sorts_by_the_encoded_name_then_value() -> None:
    params = [("carrier", "Mint Mobile"), ("b", "é"), ("a", "."), ("a", "/")]
    query = canonical_query(params)
    # "%2F" sorts before "." byte-wise: the order is the encoded one (RFC 5849 §3.4.1.3.2).
    assert query == "a=%2F&a=.&b=%C3%A9&carrier=Mint%20Mobile"
    # printf 'GET\n/v1/catalog\n<query>\n2025-07-01T12:34:56Z\nffff…ffff\n<sha256 of "">' | openssl …
    assert sign(b"secret", "GET", "/v1/catalog", query, "2025-07-01T12:34:56Z", "f" * 32, b"") == \
        "v2:b074cc0177c7d57481ef67abc5dee125b1ecb08461b81b615ff978d563e14b25"
    assert canonical_query([]) == ""
    assert canonical_query([("x", "")]) == "x="
    assert canonical_query([("~-._", "AZaz09")]) == "~-._=AZaz09"


def test_received_queries_decode_plus_as_space_and_refuse_bad_utf8() -> None:
    assert parse_query("carrier=Mint+Mobile&x=%2B&flag") == [("carrier", "Mint Mobile"), ("x", "+"), ("flag", "")]
    assert canonical_query(parse_query("carrier=Mint+Mobile")) == canonical_query(parse_query("carrier=Mint%20Mobile"))
    for bad in ("a=%ff", "a=%ed%a0%80", "é=1"):  # not UTF-8, an encoded surrogate, raw non-ASCII
        with pytest.raises(ValueError):
            parse_query(bad)
    with pytest.raises(ValueError):
        canonical_query([("a", "\ud800")])


def test_headers_round_trip() -> None:
    h = signed_headers("K-1", b"s3cret", "POST", "/v1/lookup", "", b'{"a":1}', AT, NONCE)
    assert h["X-Kiosk-Id"] == "K-1"
    assert h["X-Timestamp"] == "2025-07-01T12:34:56Z"
    assert h["X-Nonce"] == NONCE
    args = ("POST", "/v1/lookup", "", h["X-Timestamp"], NONCE, b'{"a":1}')
    assert signature_ok(b"s3cret", h["X-Signature"], *args)
    assert signature_ok(b"s3cret", h["X-Signature"].upper(), *args)
    assert not signature_ok(b"other", h["X-Signature"], *args)
    for i, other in enumerate(("GET", "/v1/topups", "a=1", "2025-07-01T12:34:57Z", "1" * 32, b'{"a":2}')):
        changed = list(args)
        changed[i] = other
        assert not signature_ok(b"s3cret", h["X-Signature"], *changed), i  # every part is bound
    assert not signature_ok(b"s3cret", h["X-Signature"].removeprefix("v2:"), *args)  # v1 form
    assert not signature_ok(b"s3cret", "v2:é" + h["X-Signature"][4:], *args)
    assert not signature_ok(b"s3cret", h["X-Signature"], "POST", "/v1/lookup", "", "2025-07-01T12:34:56Z\ud800",
                            NONCE, b'{"a":1}')  # text with no UTF-8 form is simply wrong
    assert signed_headers("K", b"s", "GET", "/", "", b"", AT)["X-Nonce"] != \
        signed_headers("K", b"s", "GET", "/", "", b"", AT)["X-Nonce"]


@pytest.mark.parametrize("text", ["2025-07-01T12:34:56Z", "2025-07-01T12:34:56.000Z", "2025-07-01T14:34:56+02:00"])
def test_timestamps_parse_to_utc(text: str) -> None:
    assert parse_timestamp(text) == AT.replace(microsecond=0)


@pytest.mark.parametrize("text", ["", "2025-07-01T12:34:56", "yesterday", "x" * 50, "1e400",
                                  "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01", "0000-01-01T00:00:00Z"])
def test_bad_timestamps_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_format_requires_a_zone() -> None:
    assert format_timestamp(AT) == "2025-07-01T12:34:56Z"
    with pytest.raises(ValueError):
        format_timestamp(AT.replace(tzinfo=None))


def test_skew_window_is_five_minutes_either_way() -> None:
    five = dt.timedelta(minutes=5)
    assert skew_ok(AT + five, AT) and skew_ok(AT - five, AT)
    assert not skew_ok(AT + five + dt.timedelta(seconds=1), AT)
    assert not skew_ok(AT - five - dt.timedelta(seconds=1), AT)


def test_backoff_grows_exponentially_within_jitter_and_cap() -> None:
    b = Backoff(base_s=1.0, cap_s=60.0, floor_s=0.1, rng=random.Random(7))
    delays = [b.failed() for _ in range(12)]
    ceilings = [min(60.0, 2.0 ** i) for i in range(12)]
    assert all(0.1 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays) <= 60.0
    assert len(set(delays)) == len(delays)  # jittered, not a fixed ladder
    b.succeeded()
    assert b.failures == 0 and b.failed() <= 1.0


def test_backoff_jitter_spreads_a_fleet() -> None:
    firsts = [Backoff(base_s=30.0, rng=random.Random(seed)).delay(3) for seed in range(200)]
    assert min(firsts) < 60 and max(firsts) > 180  # spread over [0.1, 240]
