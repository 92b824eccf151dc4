"""Aggregator operator names -> the kiosk's carrier names.

The kiosk names carriers as ``devices/card/carriers.py`` and the catalog do
("T-Mobile", "AT&T", ...). Aggregators name operators their own way ("T-Mobile USA",
"AT&T United States", ...); neither DT One's nor Reloadly's reference lists its US
operator names, so the mapping is by normalised alias, and a name it does not know
maps to ``None``: the product is left out of the catalog and a lookup answers
``found: false`` (the caller logs the reason). Add aliases here when an aggregator's
account shows a new name.
"""

from __future__ import annotations

import re

KIOSK_CARRIERS = ("T-Mobile", "AT&T", "Verizon", "Mint Mobile", "Cricket Wireless", "Metro by T-Mobile",
                  "Visible")

_ALIASES: dict[str, str] = {
    "t-mobile": "T-Mobile", "tmobile": "T-Mobile", "t mobile": "T-Mobile",
    "at&t": "AT&T", "att": "AT&T", "at and t": "AT&T",
    "verizon": "Verizon", "verizon wireless": "Verizon",
    "mint": "Mint Mobile", "mint mobile": "Mint Mobile",
    "cricket": "Cricket Wireless", "cricket wireless": "Cricket Wireless",
    "metro": "Metro by T-Mobile", "metro by t-mobile": "Metro by T-Mobile", "metropcs": "Metro by T-Mobile",
    "metro pcs": "Metro by T-Mobile",
    "visible": "Visible",
}
_SUFFIX = re.compile(r"(\s*[-(,]?\s*(usa|us|united states( of america)?|prepaid|pin|pinless|rtr|airtime|"
                     r"data|bundles?)\s*\)?)+$")


def normalise(name: str) -> str:
    text = " ".join(name.casefold().replace("_", " ").split())
    previous = None
    while previous != text:
        previous = text
        text = _SUFFIX.sub("", text).strip()
    return text


def kiosk_carrier(operator_name: str) -> str | None:
    """The kiosk's carrier name for an aggregator's operator name, or ``None``."""
    return _ALIASES.get(normalise(operator_name))
