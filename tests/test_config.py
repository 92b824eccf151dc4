import dataclasses
import json
import os
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


# --------------------------------------------------------------------------- every value checked at start


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("[provider]\ntimeout_s = inf\n", {}, "[provider] timeout_s in "),
        ("[provider]\ntimeout_s = nan\n", {}, "finite"),
        ("", {"KIOSK_UPSTREAM_TIMEOUT_S": "inf"}, "[upstream] timeout_s in environment variable"),
        ("", {"KIOSK_TERMINAL_ACK_TIMEOUT_S": "nan"}, "finite"),
        ("[terminal]\nmaster_timeout_s = 0\n", {}, "must be more than 0 and at most 600"),
        ("[terminal]\nmaster_timeout_s = 601\n", {}, "[terminal] master_timeout_s"),
        ("[kiosk]\nidle_timeout_s = 0.0\n", {}, "[kiosk] idle_timeout_s"),
        ("[upstream]\nbatch_size = 0\n", {}, "must be at least 1 and at most 2000"),
        ("[upstream]\nbatch_size = 5000\n", {}, "[upstream] batch_size"),
        ("[upstream]\nsync_interval_s = 1e9\n", {}, "[upstream] sync_interval_s"),
        ("[printer]\ntimeout_s = -inf\n", {}, "[printer] timeout_s"),
        ("[terminal]\nlock_wait_s = -1\n", {}, "[terminal] lock_wait_s"),
        ("[terminal]\nbaud = 9601\n", {}, "[terminal] baud"),
        ("[terminal]\nstopbits = 3\n", {}, "[terminal] stopbits"),
        ('[terminal]\npassword = "12ab"\n', {}, "[terminal] password"),
        ('[terminal]\nport = ""\n', {}, "[terminal] port"),
        ('[kiosk]\nid = "KIOSK 1/../x"\n', {}, "[kiosk] id"),
        ('[kiosk]\ncurrency = "usd"\n', {}, "[kiosk] currency"),
        ("[kiosk]\nlanguages = []\n", {}, "[kiosk] languages"),
        ('[kiosk]\nlanguages = ["en", "en"]\n', {}, "listed twice"),
        ('[receipt]\nurl_template = "https://r.example/{txn}"\n', {}, "[receipt] url_template"),
        ('[receipt]\nurl_template = "https://r.example/{txn_id"\n', {}, "cannot be rendered"),
        ('[receipt]\nurl_template = "https://r.example/{0}"\n', {}, "[receipt] url_template"),
        ('[receipt]\nurl_template = "https://r.example/{txn_id.__class__}"\n', {}, "not allowed"),
        ('[receipt]\nurl_template = "https://r.example/static"\n', {}, "must contain {txn_id}"),
        ('[receipt]\nurl_template = "{txn_id}"\n', {}, "renders to"),
        ('[ledger]\nurl = "mysql://kiosk:pw@db/ledger"\n', {}, "scheme 'mysql' is not supported"),
        ('[ledger]\nurl = "sqlite://relative.db"\n', {}, "[ledger] url"),
        ('[ledger]\nurl = "sqlite:///:memory:"\n', {}, "in-memory"),
        ('[ledger]\nurl = "/var/lib/ledger.sqlite3"\n', {}, "[ledger] url"),
        ('[upstream]\nurl = "ftp://backend"\n', {}, "[upstream] url"),
        ('[upstream]\nurl = "https://"\n', {}, "[upstream] url"),
        ('[printer]\nport = "usb:zz:1"\n', {}, "[printer] port"),
        ('[printer]\nport = "COM3"\n', {}, "[printer] port"),
        ('[technician]\npin_hash = "1234"\n', {}, "[technician] pin_hash"),
    ],
)
def test_every_value_is_checked_with_one_line_naming_the_key(tmp_path, text, env, expected):
    cfg = tmp_path / "k.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env)
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert "pw@" not in message  # a ledger URL's password is never echoed


def test_good_values_at_the_edges_load(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text('[terminal]\nmaster_timeout_s = 600\nlock_wait_s = 0\nbaud = 115200\n'
                   '[upstream]\nbatch_size = 1\nurl = "http://127.0.0.1:8080/api"\n'
                   '[ledger]\nurl = "postgresql+psycopg://kiosk@db.example:5432/ledger"\n'
                   '[printer]\nport = "tcp://printer.local:9100"\n'
                   '[receipt]\nurl_template = "https://r.example/{kiosk_id}/{txn_id}?x={{y}}"\n')
    s = load_settings(cfg, {"KIOSK_PRINTER_BACKEND": "escpos"})
    assert s.terminal.master_timeout_s == 600 and s.upstream.batch_size == 1
    assert load_settings(None, {"KIOSK_LEDGER_URL": "sqlite:////var/lib/simkiosk/l.sqlite3"}).ledger.url


def test_environment_checks_name_the_key(tmp_path):
    from kiosk.config import check_environment

    s = Settings()
    check_environment(s, tmp_path / "new", devices=False)  # created when missing
    missing = dataclasses.replace(s, printer=dataclasses.replace(s.printer, port=str(tmp_path / "lp0")))
    with pytest.raises(ConfigError, match=r"\[printer\] port .*no such device"):
        check_environment(missing, tmp_path)
    (tmp_path / "lp0").touch()
    check_environment(dataclasses.replace(missing, provider=dataclasses.replace(s.provider, backend="simulated")),
                      tmp_path)
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("")
    with pytest.raises(ConfigError, match="data directory"):  # unusable, even for root
        check_environment(s, a_file, devices=False)
    with pytest.raises(ConfigError, match=r"\[ledger\] url"):
        check_environment(dataclasses.replace(s, ledger=dataclasses.replace(s.ledger, url=f"sqlite:///{a_file}/l.db")),
                          tmp_path, devices=False)
    file_printer = dataclasses.replace(s, printer=dataclasses.replace(s.printer, backend="file",
                                                                     path=str(a_file / "r.escpos")))
    with pytest.raises(ConfigError, match=r"\[printer\] path"):
        check_environment(file_printer, tmp_path)
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    try:
        if not os.access(readonly, os.W_OK):  # not root: permissions count too
            with pytest.raises(ConfigError, match="not writable"):
                check_environment(s, readonly, devices=False)
    finally:
        readonly.chmod(0o700)
    upstream = dataclasses.replace(s, upstream=dataclasses.replace(s.upstream, url="https://b.example",
                                                                  secret_file=str(tmp_path / "nope")),
                                   printer=dataclasses.replace(s.printer, backend="none"))
    with pytest.raises(ConfigError, match=r"\[upstream\] secret_file"):
        check_environment(upstream, tmp_path)


@pytest.mark.parametrize("text", ["[provider]\ntimeout_s = inf\n", '[receipt]\nurl_template = "{nope}"\n',
                                  "[terminal]\nack_timeout_s = 0\n"])
def test_cli_exits_2_with_one_line_for_bad_values(tmp_path, text):
    cfg = tmp_path / "k.toml"
    cfg.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(cfg), "--data-dir", str(tmp_path),
                           "plans", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["error"] == "config_error"


def _number_keys() -> list[tuple[str, str, type]]:
    from typing import get_type_hints

    return [(section, key, typ) for section, cls in SECTIONS.items()
            for key, typ in get_type_hints(cls).items() if typ in (int, float)]


@pytest.mark.parametrize("bad", ["1.5x", "abc", "", "1,5"])
def test_every_number_key_says_in_words_what_was_expected(tmp_path, bad):
    """Environment and file alike: "must be a whole number" / "must be a number", naming the
    key; never a Python parser message ("invalid literal for int()", "could not convert")."""
    keys = _number_keys()
    assert len(keys) > 20 and {t for *_, t in keys} == {int, float}
    for section, key, typ in keys:
        expected = "must be a whole number" if typ is int else "must be a number"
        var = f"KIOSK_{section.upper()}_{key.upper()}"
        values = [bad, "1.5"] if typ is int else [bad]
        for value in values:
            with pytest.raises(ConfigError) as err:
                load_settings(None, {var: value})
            message = err.value.message
            assert message.startswith(f"bad value for [{section}] {key} in environment variable {var}: {expected}")
            assert "literal" not in message and "convert" not in message and "\n" not in message
        cfg = tmp_path / "k.toml"
        cfg.write_text(f'[{section}]\n{key} = "{bad}"\n')
        with pytest.raises(ConfigError, match=rf"^bad value for \[{section}\] {key} in .*: {expected}"):
            load_settings(cfg, {})
