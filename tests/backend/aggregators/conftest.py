"""Fixtures: fake aggregators on loopback, adapters configured against them, and a top-up desk
(``backend.topups.TopUps`` over a real SQLite store) to drive them as the server does."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from backend.provider import ProviderAdapter, TopUpRequest
from backend.providers import load
from backend.providers.config import ProviderConfig
from backend.store import Store
from backend.topups import TopUps
from tests.backend.aggregators.fakes import FakeDTOne, FakeReloadly

#: Short deadlines so timeout faults cost little; the fakes answer "late" after 1.2 s.
TIMEOUT_S = 0.6


def credentials(path: Path, data: dict[str, str], mode: int = 0o600) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.chmod(path, mode)
    return path


def dtone_config(fake: FakeDTOne, tmp_path: Path, **over: Any) -> ProviderConfig:
    creds = credentials(tmp_path / "dtone.json", over.pop("creds", {"api_key": "dt-key", "api_secret": "dt-secret"}))
    return ProviderConfig(name="dtone", credentials_file=creds, base_url=fake.url + "/v1", timeout_s=TIMEOUT_S,
                          connect_timeout_s=0.5, **over)


def reloadly_config(fake: FakeReloadly, tmp_path: Path, **over: Any) -> ProviderConfig:
    creds = credentials(tmp_path / "reloadly.json",
                        over.pop("creds", {"client_id": "rl-id", "client_secret": "rl-secret"}))
    return ProviderConfig(name="reloadly", credentials_file=creds, base_url=fake.url,
                          auth_url=fake.url + "/oauth/token", timeout_s=TIMEOUT_S, connect_timeout_s=0.5, **over)


@pytest.fixture
def dtone_fake() -> Iterator[FakeDTOne]:
    fake = FakeDTOne().start()
    fake.delay_s = 2 * TIMEOUT_S
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def reloadly_fake() -> Iterator[FakeReloadly]:
    fake = FakeReloadly().start()
    fake.delay_s = 2 * TIMEOUT_S
    try:
        yield fake
    finally:
        fake.stop()


@dataclass
class Desk:
    """The backend's top-up rules over a real store, driving one adapter."""

    store: Store
    adapter: ProviderAdapter
    topups: TopUps

    def request(self, msisdn: str, plan_id: str, key: str | None = None) -> TopUpRequest:
        plan = self.topups.catalog_service.plan(plan_id)
        assert plan is not None, plan_id
        return TopUpRequest(key or str(uuid.uuid4()), msisdn, plan["carrier"], None, plan_id, plan["price_cents"],
                            "USD", "K1")

    def buy(self, msisdn: str, plan_id: str, key: str | None = None) -> dict[str, Any]:
        return self.topups.submit(self.request(msisdn, plan_id, key)).body

    def status(self, key: str) -> dict[str, Any]:
        return self.topups.status(key, "K1").body

    def settle(self, key: str, polls: int = 5) -> dict[str, Any]:
        body = self.status(key)
        for _ in range(polls):
            if body["status"] != "pending":
                break
            body = self.status(key)
        return body


def make_desk(tmp_path: Path, adapter: ProviderAdapter) -> Iterator[Desk]:
    store = Store.open(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    store.add_kiosk("K1", "", lambda k, g: b"x" * 64)
    try:
        yield Desk(store, adapter, TopUps(store, adapter))
    finally:
        adapter.close()
        store.close()


@pytest.fixture
def dtone_desk(dtone_fake: FakeDTOne, tmp_path: Path) -> Iterator[Desk]:
    yield from make_desk(tmp_path, load("dtone", dtone_config(dtone_fake, tmp_path)))


@pytest.fixture
def reloadly_desk(reloadly_fake: FakeReloadly, tmp_path: Path) -> Iterator[Desk]:
    yield from make_desk(tmp_path, load("reloadly", reloadly_config(reloadly_fake, tmp_path)))
