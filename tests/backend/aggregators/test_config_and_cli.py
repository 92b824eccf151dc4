"""Adapter registry, credentials files, settings, and ``kiosk-backend providers check``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.cli import main
from backend.provider import ProviderConfigError, SimulatedProvider
from backend.providers import PROVIDERS, load
from backend.providers.config import ProviderConfig
from backend.settings import BackendSettings
from tests.backend.aggregators.conftest import credentials
from tests.backend.aggregators.fakes import FakeDTOne, FakeReloadly


def test_registry_imports_lazily_and_refuses_unknown_names() -> None:
    assert set(PROVIDERS) == {"simulated", "dtone", "reloadly"}
    assert isinstance(load("simulated"), SimulatedProvider)
    with pytest.raises(ProviderConfigError, match="unknown provider 'nope'; known: dtone, reloadly, simulated"):
        load("nope")
    code = ("import sys; import backend.providers as p; p.load('simulated'); "
            "print('httpx' in sys.modules, 'backend.providers.dtone' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[3])
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_credentials_must_be_0600(tmp_path: Path, mode: int) -> None:
    path = credentials(tmp_path / "c.json", {"api_key": "k", "api_secret": "s"}, mode=mode)
    with pytest.raises(ProviderConfigError) as info:
        load("dtone", ProviderConfig(name="dtone", credentials_file=path))
    assert str(info.value) == (f"dtone: credentials file {path} has mode {mode:04o}; it must be 0600 "
                               "(chmod 600 it)")


def test_credentials_missing_or_incomplete(tmp_path: Path) -> None:
    with pytest.raises(ProviderConfigError, match="no credentials file"):
        load("reloadly", ProviderConfig(name="reloadly"))
    with pytest.raises(ProviderConfigError, match="cannot read"):
        load("reloadly", ProviderConfig(name="reloadly", credentials_file=tmp_path / "missing.json"))
    path = credentials(tmp_path / "c.json", {"client_id": "x"})
    with pytest.raises(ProviderConfigError, match="lacks client_secret"):
        load("reloadly", ProviderConfig(name="reloadly", credentials_file=path))


def test_settings_from_options_over_environment(tmp_path: Path) -> None:
    env = {"SIMKIOSK_BACKEND_PROVIDER": "reloadly", "SIMKIOSK_BACKEND_PROVIDER_ENV": "production",
           "SIMKIOSK_BACKEND_LOW_BALANCE_CENTS": "2500", "SIMKIOSK_BACKEND_PROVIDER_TIMEOUT_S": "2.5"}
    settings = BackendSettings.resolve(data_dir=str(tmp_path), environ=env, provider={"name": "dtone"})
    config = settings.provider_config
    assert (settings.provider, config.name, config.environment) == ("dtone", "dtone", "production")
    assert (config.low_balance_cents, config.timeout_s) == (2500, 2.5)
    with pytest.raises(ProviderConfigError, match="PROVIDER_TIMEOUT_S"):
        ProviderConfig.resolve({"SIMKIOSK_BACKEND_PROVIDER_TIMEOUT_S": "soon"})
    with pytest.raises(ProviderConfigError, match="sandbox, production"):
        ProviderConfig.resolve({}, environment="staging")


def test_the_documented_urls_are_the_defaults(tmp_path: Path) -> None:
    creds = credentials(tmp_path / "c.json", {"api_key": "k", "api_secret": "s", "client_id": "i",
                                              "client_secret": "t"})
    for name, env, url in [("dtone", "sandbox", "https://preprod-dvs-api.dtone.com/v1"),
                           ("dtone", "production", "https://dvs-api.dtone.com/v1"),
                           ("reloadly", "sandbox", "https://topups-sandbox.reloadly.com"),
                           ("reloadly", "production", "https://topups.reloadly.com")]:
        adapter = load(name, ProviderConfig(name=name, environment=env, credentials_file=creds))
        assert getattr(adapter, "base_url") == url  # noqa: B009 - not on the base class
        adapter.close()


def test_providers_check_prints_balance_and_fails_on_bad_credentials(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    dt_fake, rl_fake = FakeDTOne().start(), FakeReloadly().start()
    try:
        dt_fake.balance = 42.5
        good = credentials(tmp_path / "dt.json", {"api_key": "dt-key", "api_secret": "dt-secret"})
        code = main(["providers", "check", "--provider", "dtone", "--provider-credentials", str(good),
                     "--provider-url", dt_fake.url + "/v1", "--data-dir", str(tmp_path)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "reachable      yes" in out and "authenticated  yes" in out
        assert "balance        42.50 USD  LOW (under 100.00)" in out
        monkeypatch.setenv("SIMKIOSK_BACKEND_PROVIDER_AUTH_URL", rl_fake.url + "/oauth/token")
        bad = credentials(tmp_path / "rl.json", {"client_id": "rl-id", "client_secret": "wrong"})
        code = main(["providers", "check", "--provider", "reloadly", "--provider-credentials", str(bad),
                     "--provider-url", rl_fake.url, "--data-dir", str(tmp_path), "--json"])
        data = json.loads(capsys.readouterr().out)
        assert code == 1
        assert (data["reachable"], data["authenticated"], data["ok"]) == (True, False, False)
        assert "INVALID_CREDENTIALS" in data["detail"] and "wrong" not in data["detail"]
    finally:
        dt_fake.stop()
        rl_fake.stop()
