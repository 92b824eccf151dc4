"""The kiosk's real top-up client (kiosk/topup/http.py) buys through ``kiosk-backend serve
--provider NAME`` (a child process) against a fake aggregator that misbehaves; every
top-up the aggregator performed must match exactly one sale the kiosk was told succeeded,
and nothing is performed twice."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.errors import UpstreamUnavailable
from kiosk.ports import Account, FailureKind, TopUpResult, TopUpStatus
from kiosk.topup.http import HttpTopUpProvider
from tests.backend.aggregators.conftest import TIMEOUT_S, credentials
from tests.backend.aggregators.fakes import FakeDTOne, FakeReloadly, FakeServer
from tests.backend.harness import BackendProcess, wait_healthy


class ProviderBackend(BackendProcess):
    """``python -m backend serve --provider NAME --provider-credentials FILE --provider-url URL``."""

    def __init__(self, workdir: Path, provider: str, creds: Path, url: str, env: dict[str, str]) -> None:
        super().__init__(f"sqlite:///{workdir / 'backend.sqlite3'}", workdir, env=env)
        self.provider_args = ["--provider", provider, "--provider-credentials", str(creds), "--provider-url", url]

    def start(self) -> None:
        with open(self.workdir / "backend.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "backend", "serve", "--db", self.db_url, "--port", str(self.port),
                 "--master-key-file", str(self.key_file), "--log-level", "warning", *self.provider_args],
                cwd=self.env["PYTHONPATH"], env=self.env, stdout=log, stderr=log)
        wait_healthy(self.base_url, proc=self.proc)


def _buy(client: HttpTopUpProvider, key: str, account: Account, plan_id: str) -> TopUpResult:
    """What the kiosk's checkout does: submit once; on an unknown outcome or pending, ask by key."""
    plan = next(p for p in client.catalog(account.carrier) if p.id == plan_id)
    try:
        result = client.submit(key, account, plan)
    except UpstreamUnavailable:
        result = client.status(key)
    for _ in range(6):
        if result.status != TopUpStatus.PENDING and result.failure_kind != FailureKind.UNKNOWN:
            break
        result = client.status(key)
    return result


Scenario = tuple[str, Callable[[FakeServer], None]]


def _fault(method: str, prefix: str, kind: str) -> Callable[[FakeServer], None]:
    return lambda fake: fake.fault(method, prefix, kind)


def _nothing(fake: FakeServer) -> None:
    return None


DTONE_SCENARIOS: list[Scenario] = [
    ("12025550100", _nothing),
    ("12025550100", _fault("POST", "/v1/async/transactions", "timeout_after")),
    ("12025550100", _fault("POST", "/v1/async/transactions", "drop_after")),
    ("12025550100", _fault("POST", "/v1/async/transactions", "500_after")),
    ("12025550100", _fault("POST", "/v1/async/transactions", "500")),
    ("12025550100", _fault("POST", "/v1/async/transactions", "drop_before")),
    ("12025550100", _fault("POST", "/v1/async/transactions/", "timeout_after")),
    ("12025550100", _fault("POST", "/v1/async/transactions/", "drop_after")),
    ("12025550100", _fault("GET", "/v1/transactions", "500")),
    ("12025550200", _nothing),  # pending, then completed
    ("12025550102", _nothing),  # declined: invalid number
]

RELOADLY_SCENARIOS: list[Scenario] = [
    ("12025550123", _nothing),
    ("12025550123", _fault("POST", "/topups", "timeout_after")),
    ("12025550123", _fault("POST", "/topups", "drop_after")),
    ("12025550123", _fault("POST", "/topups", "500_after")),
    ("12025550123", _fault("POST", "/topups", "500")),  # never arrived: stays pending, never performed
    ("12025550123", lambda fake: fake.expire_tokens()),
    ("12025550202", _nothing),  # processing, then successful
    ("12025550000", _nothing),  # invalid number
    ("12025550123", _fault("GET", "/topups/reports/transactions", "500")),
]


@pytest.fixture(params=["dtone", "reloadly"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, FakeServer, HttpTopUpProvider]]:
    name = str(request.param)
    fake: FakeServer
    if name == "dtone":
        fake = FakeDTOne().start()
        creds = credentials(tmp_path / "creds.json", {"api_key": "dt-key", "api_secret": "dt-secret"})
        url, env = fake.url + "/v1", {}
    else:
        fake = FakeReloadly().start()
        creds = credentials(tmp_path / "creds.json", {"client_id": "rl-id", "client_secret": "rl-secret"})
        url, env = fake.url, {"SIMKIOSK_BACKEND_PROVIDER_AUTH_URL": fake.url + "/oauth/token"}
    fake.delay_s = 2 * TIMEOUT_S
    env |= {"SIMKIOSK_BACKEND_PROVIDER_TIMEOUT_S": str(TIMEOUT_S),
            "SIMKIOSK_BACKEND_PROVIDER_CONNECT_TIMEOUT_S": "0.5"}
    server = ProviderBackend(tmp_path, name, creds, url, env)
    server.start()
    secret = server.add_kiosk("KIOSK-0001")
    settings = Settings()
    settings = dataclasses.replace(
        settings, upstream=dataclasses.replace(settings.upstream, url=server.base_url, timeout_s=10.0),
        provider=dataclasses.replace(settings.provider, timeout_s=10.0))
    client = HttpTopUpProvider(settings, secret=secret)
    try:
        yield name, fake, client
    finally:
        client.close()
        server.stop()
        fake.stop()


def test_every_performed_top_up_matches_one_sale(rig: tuple[str, FakeServer, HttpTopUpProvider]) -> None:
    name, fake, client = rig
    plan_id, scenarios = ("dt-101", DTONE_SCENARIOS) if name == "dtone" else ("rl-11-5000", RELOADLY_SCENARIOS)
    outcomes: dict[str, TopUpResult] = {}
    for msisdn, inject in scenarios:
        key = str(uuid.uuid4())
        account = Account(msisdn=msisdn, carrier="T-Mobile", iccid=None)
        client.catalog()  # warm: the catalog is fetched before faults are queued
        inject(fake)
        outcomes[key] = _buy(client, key, account, plan_id)
        # the kiosk may ask again at any time (recovery): the answer never changes once definite
        assert client.status(key).status in (outcomes[key].status, TopUpStatus.SUCCEEDED)
        outcomes[key] = client.status(key)
    performed = Counter(ident for ident, _tid in fake.performed)
    assert all(n == 1 for n in performed.values()), f"performed twice: {performed}"
    succeeded = {k for k, r in outcomes.items() if r.status == TopUpStatus.SUCCEEDED}
    assert set(performed) == succeeded, {k: (r.status, r.failure_kind, r.message) for k, r in outcomes.items()}
    statuses = Counter(r.status.value for r in outcomes.values())
    assert statuses["succeeded"] >= len(scenarios) - 3, statuses
    assert statuses["failed"] >= 1


def test_the_backend_log_names_no_full_phone_number(rig: tuple[str, FakeServer, HttpTopUpProvider],
                                                    tmp_path: Path) -> None:
    """``serve`` logs at INFO; httpx's request lines (Reloadly's auto-detect URL carries the
    number) are kept out and our own lines mask it, also in an aggregator error's message."""
    import re
    import time

    name, fake, client = rig
    known, unmapped, unknown = ("14155550100", "13035550123", "19995550123")
    assert client.lookup(msisdn=known) is not None
    assert client.lookup(msisdn=unmapped) is None  # an operator without a kiosk carrier: logged
    if name == "reloadly":
        assert client.lookup(msisdn=unknown) is None  # not detected: logged
    fake.fault("GET" if name == "reloadly" else "POST",
               "/operators/auto-detect/" if name == "reloadly" else "/v1/lookup/", "500")
    with pytest.raises(UpstreamUnavailable):
        client.lookup(msisdn=known)  # the aggregator's 500 is logged with the request it failed
    time.sleep(0.2)  # let the server flush its log lines
    log = (tmp_path / "backend.log").read_text(encoding="utf-8", errors="replace")
    assert "*******0123" in log and "lookup" in log, log[-2000:]  # the lines are there, masked
    full = sorted({m for m in re.findall(r"\d{10,}", log) if m[-10:] in {n[1:] for n in (known, unmapped, unknown)}})
    assert full == [], f"full numbers in the backend log: {full}\n{log[-3000:]}"
