"""Carrier identification from what a SIM says about itself; the table is data.

``data/carriers.json`` (versioned, one source per row) holds ICCID issuer
prefixes, IMSI MCC/MNC pairs, GID1 values and SPN strings. The order of
evidence follows DESIGN §6: the ICCID issuer prefix (or, failing that, the
IMSI's MCC/MNC) names the *network*; GID1, then SPN, may name the *brand*
on that network. MVNO SIMs carry their host's prefix and PLMN, so when no
brand evidence is found the answer is the network with
``host_network_only=True``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from kiosk.errors import ConfigError

SOURCES = ("iccid", "imsi", "gid1", "spn", "unknown")


@dataclass(frozen=True)
class CarrierMatch:
    carrier: str | None
    source: str  # one of SOURCES
    host_network_only: bool = False
    network: str | None = None  # the host network, when known


UNKNOWN = CarrierMatch(None, "unknown")


@dataclass(frozen=True)
class _Prefix:
    prefix: str
    network: str


@dataclass(frozen=True)
class _Brand:
    value: str  # GID1 hex prefix (upper case) or SPN (case-folded)
    carrier: str
    network: str | None


class CarrierTable:
    """Lookup over one version of the carrier data."""

    def __init__(self, data: dict[str, Any]) -> None:
        try:
            self.version = str(data["version"])
            self._iccid = sorted(
                (_Prefix(str(r["prefix"]), str(r["network"])) for r in data["iccid_prefixes"]),
                key=lambda p: -len(p.prefix),
            )
            self._plmn = {
                str(r["mcc"]) + str(r["mnc"]): str(r["network"]) for r in data["imsi_plmns"]
            }
            self._gid1 = sorted(
                (_Brand(str(r["gid1"]).upper(), str(r["carrier"]), r.get("network"))
                 for r in data["gid1"]),
                key=lambda b: -len(b.value),
            )
            self._spn = [
                _Brand(str(r["spn"]).casefold(), str(r["carrier"]), r.get("network"))
                for r in data["spn"]
            ]
            for section in ("iccid_prefixes", "imsi_plmns", "gid1", "spn"):
                for row in data[section]:
                    if not row.get("source"):
                        raise ConfigError(f"carrier data row without a source in {section}: {row}")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"carrier data is malformed: {exc!r}") from exc

    @classmethod
    def load_default(cls) -> CarrierTable:
        """The table shipped with the package (``devices/card/data/carriers.json``)."""
        text = resources.files("devices.card").joinpath("data/carriers.json").read_text("utf-8")
        return cls(json.loads(text))

    def network_for_iccid(self, iccid: str) -> str | None:
        return next((p.network for p in self._iccid if iccid.startswith(p.prefix)), None)

    def network_for_imsi(self, imsi: str) -> str | None:
        # MNCs are 2 or 3 digits; try the longer one first (US MNCs are 3 digits).
        return self._plmn.get(imsi[:6]) or self._plmn.get(imsi[:5])

    def _brand(self, rows: list[_Brand], value: str | None, network: str | None,
               exact: bool) -> str | None:
        if not value:
            return None
        for row in rows:
            hit = value == row.value if exact else value.startswith(row.value)
            if hit and (network is None or row.network in (None, network)):
                return row.carrier
        return None

    def identify(self, *, iccid: str | None, imsi: str | None = None,
                 gid1: str | None = None, spn: str | None = None) -> CarrierMatch:
        """Carrier and how it was decided (see the module docstring)."""
        network, source = None, "unknown"
        if iccid and (network := self.network_for_iccid(iccid)):
            source = "iccid"
        elif imsi and (network := self.network_for_imsi(imsi)):
            source = "imsi"
        brand = self._brand(self._gid1, gid1.upper() if gid1 else None, network, exact=False)
        brand_source = "gid1"
        if brand is None:
            brand = self._brand(self._spn, spn.strip().casefold() if spn else None, network,
                                exact=True)
            brand_source = "spn"
        if network is None:
            return CarrierMatch(brand, brand_source) if brand else UNKNOWN
        if brand is None:
            return CarrierMatch(network, source, host_network_only=True, network=network)
        if brand == network:  # the host's own brand, confirmed by GID1/SPN
            return CarrierMatch(network, source, network=network)
        return CarrierMatch(brand, brand_source, network=network)
