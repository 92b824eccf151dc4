"""Signing and backoff: pure functions."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from kiosk.sync.backoff import Backoff
from kiosk.sync.signing import (
    format_timestamp,
    parse_timestamp,
    sign,
    signature_ok,
    signed_headers,
    skew_ok,
)

AT = dt.datetime(2025, 7, 1, 12, 34, 56, 789000, tzinfo=dt.UTC)


def test_signature_vector() -> None:
    # computed independently: printf '2025-07-01T12:34:56Z\n{}' | openssl dgst -sha256 -hmac secret
    assert sign(b"secret", "2025-07-01T12:34:56Z", b"{}") == \
        "0aae38654dfb2143ddd8928e0ad40f233e0f3f647e56dd0dcfb7b5eedd7445d5"


def test_headers_round_trip() -> None:
    h = signed_headers("K-1", b"s3cret", b'{"a":1}', AT)
    assert h["X-Kiosk-Id"] == "K-1"
    assert h["X-Timestamp"] == "2025-07-01T12:34:56Z"
    assert signature_ok(b"s3cret", h["X-Timestamp"], b'{"a":1}', h["X-Signature"])
    assert signature_ok(b"s3cret", h["X-Timestamp"], b'{"a":1}', h["X-Signature"].upper())
    assert not signature_ok(b"other", h["X-Timestamp"], b'{"a":1}', h["X-Signature"])
    assert not signature_ok(b"s3cret", h["X-Timestamp"], b'{"a":2}', h["X-Signature"])
    assert not signature_ok(b"s3cret", "2025-07-01T12:34:57Z", b'{"a":1}', h["X-Signature"])
    assert not signature_ok(b"s3cret", "2025-07-01T12:34:56Zé", b'{"a":1}', h["X-Signature"])


@pytest.mark.parametrize("text", ["2025-07-01T12:34:56Z", "2025-07-01T12:34:56.000Z", "2025-07-01T14:34:56+02:00"])
def test_timestamps_parse_to_utc(text: str) -> None:
    assert parse_timestamp(text) == AT.replace(microsecond=0)


@pytest.mark.parametrize("text", ["", "2025-07-01T12:34:56", "yesterday", "x" * 50])
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
