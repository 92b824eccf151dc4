"""Carrier identification from the versioned data file."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from devices.card.carriers import CarrierTable
from kiosk.errors import ConfigError

TABLE = CarrierTable.load_default()


def test_data_file_is_versioned_and_every_row_has_a_source() -> None:
    data = json.loads(resources.files("devices.card").joinpath("data/carriers.json").read_text())
    assert data["version"]
    for section in ("iccid_prefixes", "imsi_plmns", "gid1", "spn"):
        assert data[section]
        assert all(row["source"] for row in data[section])


@pytest.mark.parametrize(
    ("iccid", "network"),
    [("89012601234567890123", "T-Mobile"), ("89014101234567890123", "AT&T"),
     ("89148000001234567890", "Verizon"), ("89441100123456789012", None)],
)
def test_iccid_prefixes(iccid: str, network: str | None) -> None:
    assert TABLE.network_for_iccid(iccid) == network


@pytest.mark.parametrize(
    ("imsi", "network"),
    [("310260123456789", "T-Mobile"), ("310410123456789", "AT&T"),
     ("311480123456789", "Verizon"), ("234100123456789", None)],
)
def test_imsi_plmns(imsi: str, network: str | None) -> None:
    assert TABLE.network_for_imsi(imsi) == network


def test_order_of_evidence() -> None:
    # ICCID alone: only the host network is known
    m = TABLE.identify(iccid="89012601234567890123")
    assert (m.carrier, m.source, m.host_network_only) == ("T-Mobile", "iccid", True)
    # the host's own SPN confirms the brand
    m = TABLE.identify(iccid="89012601234567890123", spn="T-Mobile")
    assert (m.carrier, m.source, m.host_network_only) == ("T-Mobile", "iccid", False)
    # GID1 names the MVNO, before SPN
    m = TABLE.identify(iccid="89012601234567890123", gid1="d1a0ff", spn="Something")
    assert (m.carrier, m.source, m.network) == ("Mint Mobile", "gid1", "T-Mobile")
    # SPN names the MVNO
    m = TABLE.identify(iccid="89014101234567890123", spn=" cricket ")
    assert (m.carrier, m.source, m.network) == ("Cricket Wireless", "spn", "AT&T")
    # an MVNO row for another network does not apply
    m = TABLE.identify(iccid="89014101234567890123", spn="Mint")
    assert (m.carrier, m.host_network_only) == ("AT&T", True)
    # IMSI when the ICCID prefix is unknown
    m = TABLE.identify(iccid="89999901234567890123", imsi="311480123456789")
    assert (m.carrier, m.source) == ("Verizon", "imsi")
    # SPN alone
    m = TABLE.identify(iccid="89441100123456789012", spn="Visible")
    assert (m.carrier, m.source) == ("Visible", "spn")
    m = TABLE.identify(iccid="89441100123456789012")
    assert (m.carrier, m.source, m.host_network_only) == (None, "unknown", False)


def test_malformed_data_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        CarrierTable({"version": "x"})
    with pytest.raises(ConfigError):
        CarrierTable({"version": "x", "iccid_prefixes": [{"prefix": "89", "network": "N"}],
                      "imsi_plmns": [], "gid1": [], "spn": []})
