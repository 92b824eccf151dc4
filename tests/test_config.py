import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.config import SECTIONS, Settings, load_settings, read_secret, resolve_data_dir
from kiosk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "deploy" / "kiosk.example.toml"


def test_example_documents_every_key_with_its_default():
    data = tomllib.loads(EXAMPLE.read_text())
    defaults = Settings()
    for section, cls in SECTIONS.items():
        assert section in data, f"[{section}] missing from {EXAMPLE.name}"
        names = {f.name for f in dataclasses.fields(cls)}
        assert set(data[section]) == names, f"[{section}] keys differ from the schema"
        for key in names:
            assert data[section][key] == getattr(getattr(defaults, section), key), f"[{section}] {key}"


def test_example_loads():
    assert load_settings(EXAMPLE, {}) == Settings()


def test_environment_overrides_file(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text('[terminal]\nport = "/dev/ttyUSB0"\nbaud = 9600\n')
    s = load_settings(cfg, {"KIOSK_TERMINAL_PORT": "loop://", "KIOSK_KIOSK_LANGUAGES": "en, es",
                            "KIOSK_TERMINAL_PREAUTH": "yes", "KIOSK_CONFIG": "ignored"})
    assert s.terminal.port == "loop://"
    assert s.terminal.baud == 9600
    assert s.terminal.preauth is True
    assert s.kiosk.languages == ["en", "es"]


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("[terminal]\nbuad = 9600\n", {}, "unknown key [terminal] buad in "),
        ("[termnial]\nbaud = 9600\n", {}, "unknown section [termnial] in "),
        ('[terminal]\nbaud = "fast"\n', {}, "bad value for [terminal] baud in "),
        ('[reader]\nbackend = "usb"\n', {}, "bad value for [reader] backend in "),
        ("[kiosk]\nidle_timeout_s = -1\n", {}, "bad value for [kiosk] idle_timeout_s"),
        ('[kiosk]\nlanguages = ["en", "fr"]\n', {}, "bad value for [kiosk] languages"),
        ("[terminal\n", {}, "is not valid TOML"),
        ("", {"KIOSK_TERMINAL_BAUD": "x"}, "environment variable KIOSK_TERMINAL_BAUD"),
        ("", {"KIOSK_TERMINAL_SPEED": "1"}, "unknown key [terminal] speed in environment"),
    ],
)
def test_bad_configuration_names_key_and_source(tmp_path, text, env, expected):
    cfg = tmp_path / "k.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_cli_bad_config_exits_2_with_one_line(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text("[ledger]\nurll = 1\n")
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(cfg), "--data-dir", str(tmp_path),
                           "ledger", "verify"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown key [ledger] urll" in lines[0] and str(cfg) in lines[0]
    assert "Traceback" not in proc.stderr


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", {})


def test_data_dir_resolution(tmp_path):
    assert resolve_data_dir("/x", demo=False, config_path=None, environ={}) == Path("/x")
    assert resolve_data_dir(None, demo=False, config_path=None, environ={"KIOSK_DATA_DIR": "/y"}) == Path("/y")
    assert resolve_data_dir(None, demo=False, config_path=tmp_path / "k.toml", environ={}) == Path("/var/lib/simkiosk")
    assert resolve_data_dir(None, demo=True, config_path=tmp_path / "k.toml", environ={}) != Path("/var/lib/simkiosk")


def test_demo_settings_need_no_hardware_or_server():
    s = Settings().demo()
    assert (s.reader.backend, s.terminal.backend, s.provider.backend, s.upstream.url) == (
        "simulated", "simulated", "simulated", "")


def test_secret_file_must_not_be_world_readable(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="world-readable"):
        read_secret(str(secret))
    secret.chmod(0o600)
    assert read_secret(str(secret)) == b"s3cret"
