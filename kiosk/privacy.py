"""Masking of personal data for screens, receipts and exports."""

from __future__ import annotations


def mask_msisdn(msisdn: str | None) -> str | None:
    """Keep the last 4 digits: ``12025550123`` → ``*******0123``."""
    if not msisdn:
        return msisdn
    keep = 4 if len(msisdn) > 4 else max(len(msisdn) - 2, 0)
    return "*" * (len(msisdn) - keep) + msisdn[len(msisdn) - keep :]


def mask_iccid(iccid: str | None) -> str | None:
    """Keep the issuer prefix (first 6) and the last 4: the SIM's network stays visible."""
    if not iccid:
        return iccid
    if len(iccid) <= 10:
        return "*" * len(iccid)
    return iccid[:6] + "*" * (len(iccid) - 10) + iccid[-4:]


def mask_pan(pan: str | None) -> str | None:
    """At most the first 6 and last 4 digits of a card number, whatever the input shows."""
    if not pan:
        return pan
    digits = [c for c in pan if c.isdigit() or c in "*Xx"]
    body = "".join("*" if c in "Xx" else c for c in digits)
    if len(body) <= 10:
        return "*" * max(len(body) - 4, 0) + body[-4:]
    return body[:6] + "*" * (len(body) - 10) + body[-4:]


def last4(pan: str | None) -> str | None:
    """Receipts show no more than the last 4 digits."""
    if not pan:
        return pan
    digits = "".join(c for c in pan if c.isdigit() or c == "*")
    return "**** " + digits[-4:]
