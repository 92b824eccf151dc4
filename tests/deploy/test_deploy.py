"""The deployment files, exercised for real: systemd-analyze on the units, the install
script twice into a container-like root, and an upgrade with and without a failure."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ledger import Ledger, verify
from kiosk.ledger.store import SQLITE_FILE

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs as root (CI runs as root)")


def _systemd_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for exe in ("usr/bin/cage", "opt/simkiosk/current/bin/kiosk", "opt/simkiosk/current/bin/kiosk-backend"):
        path = root / exe
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    return root


def _analyze(root: Path, *units: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", f"--root={root}", "--man=no", "verify", *map(str, units)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_units_pass_systemd_analyze_verify(tmp_path):
    root = _systemd_root(tmp_path)
    units = []
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        dest = root / "etc/systemd/system" / unit.name
        shutil.copy(unit, dest)
        units.append(dest)
    proc = _analyze(root, *units)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == ""
    kiosk = (root / "etc/systemd/system/simkiosk.service").read_text()
    assert "WatchdogSec=" in kiosk and "Restart=always" in kiosk and "pcscd.socket" in kiosk
    # The check can fail: a broken unit is reported.
    broken = root / "etc/systemd/system/broken.service"
    broken.write_text("[Service]\nExecStart=/opt/simkiosk/current/bin/missing\nType=sometimes\n")
    assert _analyze(root, broken).returncode != 0


def _fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "target"
    (root / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        if Path("/etc", name).exists():
            shutil.copy(Path("/etc", name), root / "etc" / name)
    return root


def _install(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DEPLOY / "install.sh"), "--root", str(root), "--skip-packages", "--skip-app"],
                          capture_output=True, text=True, timeout=120)


def test_install_script_is_idempotent_and_protects_the_secret(tmp_path):
    root = _fake_root(tmp_path)
    first = _install(root)
    assert first.returncode == 0, first.stderr + first.stdout
    secret = root / "etc/simkiosk/secret"
    secret_before = secret.read_bytes()
    (root / "etc/simkiosk/kiosk.toml").write_text('[kiosk]\nid = "MALL-7"\n')
    second = _install(root)
    assert second.returncode == 0, second.stderr + second.stdout
    passwd = (root / "etc/passwd").read_text().splitlines()
    entries = [line for line in passwd if line.startswith("simkiosk:")]
    assert len(entries) == 1
    uid = int(entries[0].split(":")[2])
    assert secret.read_bytes() == secret_before and len(secret_before) == 64
    st = secret.stat()
    assert stat.S_IMODE(st.st_mode) == 0o400 and st.st_uid == uid
    assert (root / "etc/simkiosk/kiosk.toml").read_text() == '[kiosk]\nid = "MALL-7"\n'  # kept
    data = root / "var/lib/simkiosk"
    assert stat.S_IMODE(data.stat().st_mode) == 0o750 and data.stat().st_uid == uid
    assert (root / "etc/systemd/system/simkiosk.service").exists()
    assert (root / "etc/udev/rules.d/99-simkiosk.rules").exists()
    group_line = next(g for g in (root / "etc/group").read_text().splitlines() if g.startswith("dialout:"))
    assert "simkiosk" in group_line.split(":")[3].split(",")
    # A world-readable secret is refused.
    secret.chmod(0o644)
    refused = _install(root)
    assert refused.returncode == 1
    assert "readable by others" in refused.stderr


def _release(opt: Path, version: str, kiosk_exe: str) -> None:
    bindir = opt / "releases" / version / "bin"
    bindir.mkdir(parents=True)
    (bindir / "kiosk").write_text(f"#!/bin/sh\nexec {kiosk_exe} \"$@\"\n")
    (bindir / "kiosk").chmod(0o755)


def _upgrade_root(tmp_path: Path, new_kiosk: str) -> tuple[Path, Path]:
    root = tmp_path / "target"
    opt = root / "opt/simkiosk"
    data = root / "var/lib/simkiosk"
    (root / "etc/simkiosk").mkdir(parents=True)
    (root / "etc/simkiosk/kiosk.toml").write_text("")
    data.mkdir(parents=True)
    kiosk = f"{sys.executable} -m kiosk"
    _release(opt, "0.0.1", kiosk)
    version = next(line.split('"')[1] for line in (ROOT / "pyproject.toml").read_text().splitlines()
                   if line.startswith("version = "))
    _release(opt, version, new_kiosk)
    os.symlink("releases/0.0.1", opt / "current")
    with Ledger.open("", data) as ledger:
        for i in range(5):
            ledger.append("txn.state", {"state": "created"}, txn_id=f"t{i}")
    return root, data


def _upgrade(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", str(DEPLOY / "upgrade"), "--root", str(root), "--no-restart"],
                          capture_output=True, text=True, timeout=180, env=env, cwd=ROOT)


def test_upgrade_backs_up_migrates_and_switches(tmp_path):
    root, data = _upgrade_root(tmp_path, f"{sys.executable} -m kiosk")
    proc = _upgrade(root)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    current = os.readlink(root / "opt/simkiosk/current")
    assert current.startswith("releases/") and current != "releases/0.0.1"
    backups = list((data / "backups").glob("ledger-before-*.sqlite3"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 5


def test_failed_upgrade_rolls_back_release_and_ledger(tmp_path):
    root, data = _upgrade_root(tmp_path, "/bin/false")
    before = (data / SQLITE_FILE).read_bytes()
    proc = _upgrade(root)
    assert proc.returncode == 1
    assert "rolling back" in proc.stdout and "restored" in proc.stderr
    assert os.readlink(root / "opt/simkiosk/current") == "releases/0.0.1"
    with Ledger.open("", data) as ledger:
        report = verify(ledger)
    assert report.ok and report.events == 5
    assert len(before) > 0


def test_backup_and_restore_commands(tmp_path):
    data = tmp_path / "data"
    with Ledger.open("", data) as ledger:
        ledger.append("x", {"n": 1})
    run = [sys.executable, "-m", "kiosk", "--data-dir", str(data), "ledger"]
    backup = tmp_path / "b.sqlite3"
    assert subprocess.run([*run, "backup", str(backup)], capture_output=True, timeout=60).returncode == 0
    with Ledger.open("", data) as ledger:
        ledger.append("x", {"n": 2})
    proc = subprocess.run([*run, "restore", str(backup), "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    with Ledger.open("", data) as ledger:
        assert ledger.last_seq() == 1
    kept = list(data.glob(f"{SQLITE_FILE}.replaced-*"))
    assert len(kept) == 1
    with sqlite3.connect(kept[0]) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    # A backup that does not verify is refused and changes nothing.
    con = sqlite3.connect(backup)
    con.execute("UPDATE events SET kind = 'y' WHERE seq = 1")
    con.commit()
    con.close()
    assert not Path(f"{backup}-wal").exists()
    proc = subprocess.run([*run, "restore", str(backup), "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "does not verify" in proc.stdout
    with Ledger.open("", data) as ledger:
        assert ledger.last_seq() == 1 and verify(ledger).ok
