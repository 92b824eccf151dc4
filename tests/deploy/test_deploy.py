"""The deployment, exercised for real in a scratch root.

``deploy/install.sh --root DIR --skip-packages`` builds the release's virtual
environment (from a wheelhouse made once per module, so pip needs no network), the
installed ``kiosk`` and ``kiosk-backend`` run as the service user, make sales and sync
them, and ``deploy/upgrade`` moves the kiosk to versions the tests derive from this
tree in temporary copies: one whose smoke run fails (the documented test hook), one
carrying a migration that raises, one cut short by SIGKILL while building and one
after it migrated, and finally one that succeeds. The tests in the scenario share one
root and run in file order. Besides them: the smoke runner against fake releases, the
systemd units' paths against the installed layout, and the secret's protection.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SMOKE_RUN = DEPLOY / "smoke_run.py"
STAMP = ".simkiosk-release"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="installs as root (CI runs as root)")
SIMULATED = {"reader": "simulated", "terminal": "simulated", "printer": "file", "provider": "simulated"}
SALES = (("tmo-unl-40", "12025550101"), ("att-25", "12025550102"))  # (plan, number) of the demo SIMs
FAILING_SALE = ("vzw-35", "12025550103")


def _version() -> str:
    return str(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"])


def _head_revision() -> str:
    from kiosk.ledger.migrations import HEAD_REVISION

    return HEAD_REVISION


# --------------------------------------------------------------------------- the scratch site


@dataclass
class Site:
    """One scratch root and what the scenario learned about it so far."""

    base: Path
    wheels: Path
    root: Path = field(init=False)
    sources: dict[str, Path] = field(default_factory=dict)
    releases: dict[str, str] = field(default_factory=dict)  # name -> release id
    sales: dict[str, str] = field(default_factory=dict)  # txn_id -> state
    events: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    backend: subprocess.Popen[str] | None = None

    def __post_init__(self) -> None:
        self.root = self.base / "root"

    @property
    def opt(self) -> Path:
        return self.root / "opt/simkiosk"

    @property
    def data(self) -> Path:
        return self.root / "var/lib/simkiosk"

    @property
    def config(self) -> Path:
        return self.root / "etc/simkiosk/kiosk.toml"

    def current(self) -> str:
        return os.readlink(self.opt / "current").removeprefix("releases/")

    def ids(self, user: str = "simkiosk") -> tuple[int, int]:
        for line in (self.root / "etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return int(fields[2]), int(fields[3])
        raise AssertionError(f"no {user} in the scratch root's passwd")

    def script_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMKIOSK_", "KIOSK_"))}
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(self.wheels), TMPDIR=str(self.base / "tmp"), **extra)
        return env

    def run(self, name: str, argv: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
        """Run install.sh or upgrade; keeps its time under ``name``."""
        started = time.monotonic()
        proc = subprocess.run(["bash", *argv], capture_output=True, text=True, timeout=900,
                              env=self.script_env(**extra), cwd=REPO)
        self.timings[name] = time.monotonic() - started
        return proc

    def install(self, name: str, source: Path = REPO, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(name, [str(source / "deploy/install.sh"), "--root", str(self.root), "--skip-packages",
                               "--backend"], **extra)

    def upgrade(self, name: str, source: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.run(name, [str(self.sources[source] / "deploy/upgrade"), "--root", str(self.root)], **extra)

    def kiosk(self, *args: str, release: str = "current", timeout: float = 120,
              check: bool = True) -> subprocess.CompletedProcess[str]:
        """An installed release's ``kiosk`` as the service user, against the kiosk's config and data."""
        exe = self.opt / ("current" if release == "current" else f"releases/{release}") / "bin/kiosk"
        proc = self.as_service([str(exe), *args], timeout=timeout)
        if check:
            assert proc.returncode == 0, f"kiosk {' '.join(args)}: {proc.stderr[-2000:]}"
        return proc

    def as_service(self, argv: list[str], timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
        uid, gid = self.ids()
        base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(self.data),
                "KIOSK_CONFIG": str(self.config), "KIOSK_DATA_DIR": str(self.data), **env}
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=base, cwd="/",
                              user=uid, group=gid, extra_groups=[])

    def ledger_rows(self, path: Path | None = None) -> tuple[str, int, dict[str, str]]:
        """(schema revision, events, txn_id -> state), read-only."""
        con = sqlite3.connect(f"file:{path or self.data / 'ledger.sqlite3'}?mode=ro", uri=True)
        try:
            revision = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            events = con.execute("SELECT count(*) FROM events").fetchone()[0]
            states = dict(con.execute("SELECT txn_id, state FROM transactions").fetchall())
        finally:
            con.close()
        return revision, events, states


def _build_wheelhouse(dest: Path) -> None:
    """Every wheel a release needs (and the build backend), made once: the scripts' pip
    then installs with ``--no-index`` from here."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    wanted = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check",
                    "-c", str(REPO / "constraints.txt"), "--wheel-dir", str(dest), *wanted],
                   check=True, timeout=900, capture_output=True)


def _copy_source(site: Site, name: str, version: str, migrations: list[tuple[str, str]]) -> Path:
    """A copy of this tree as another version, with extra ledger migrations ``(revision, body)``
    chained after the current head."""
    dest = site.base / "src" / name
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis", "screenshots",
        "*.qm"))
    pyproject = dest / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace(f'version = "{_version()}"', f'version = "{version}"', 1))
    down = _head_revision()
    for revision, body in migrations:
        (dest / f"kiosk/ledger/migrations/versions/{revision}.py").write_text(
            f'"""Deploy test migration {revision}.\n\nRevision ID: {revision}\nRevises: {down}\n"""\n\n'
            f"from alembic import op\n\nrevision = {revision!r}\ndown_revision = {down!r}\n"
            f"branch_labels = None\ndepends_on = None\n\n\ndef upgrade() -> None:\n    {body}\n")
        down = revision
    init = dest / "kiosk/ledger/migrations/__init__.py"
    init.write_text(init.read_text().replace(f'HEAD_REVISION = "{_head_revision()}"', f'HEAD_REVISION = "{down}"'))
    return dest


MIGRATION_OK = ("deploytest_ok", 'op.execute("ANALYZE events")')  # schema-neutral: verify checks the schema
MIGRATION_RAISES = ("deploytest_raises", 'raise RuntimeError("deploy test: this migration fails on purpose")')


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    # Not below pytest's own (private) temporary directory: the service user must reach it.
    base = Path(tempfile.mkdtemp(prefix="simkiosk-deploy-"))
    base.chmod(0o755)
    try:
        started = time.monotonic()
        s = Site(base=base, wheels=base / "wheels")
        _build_wheelhouse(s.wheels)
        s.timings["wheelhouse"] = time.monotonic() - started
        (base / "tmp").mkdir()
        (s.root / "etc").mkdir(parents=True)
        for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
            if Path("/etc", name).exists():
                shutil.copy(Path("/etc", name), s.root / "etc" / name)
        v1 = _version()
        s.sources = {
            "v1": REPO,
            "v2": _copy_source(s, "v2", f"{v1}.post1", [MIGRATION_OK]),
            "v3": _copy_source(s, "v3", f"{v1}.post2", [MIGRATION_OK, MIGRATION_RAISES]),
        }
        yield s
        print("\ndeploy timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in s.timings.items()))
    finally:
        if "s" in locals() and s.backend is not None and s.backend.poll() is None:
            s.backend.terminate()
            s.backend.wait(30)
        _kill_leftovers(base, keep=frozenset({os.getpid()}))
        subprocess.run(["rm", "-rf", str(base)], check=False, timeout=600)


def _kill_leftovers(base: Path, keep: frozenset[int] = frozenset()) -> None:
    """Processes running from the scratch root (a smoke run's kiosk outliving a SIGKILLed
    upgrade): the tests started them, so they stop them, by PID."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) in keep:
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(base).encode() in cmdline:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.kill(int(proc.name), signal.SIGKILL)


def _out(proc: subprocess.CompletedProcess[str]) -> str:
    return f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def _git_state() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=REPO,
                          capture_output=True, text=True, check=True, timeout=60).stdout


def _release_id(proc: subprocess.CompletedProcess[str]) -> str:
    found = re.search(r"release (\S+) (?:is already built|in )", proc.stdout)
    assert found, _out(proc)
    return found.group(1)


def _assert_private(*paths: Path) -> None:
    """Owner-only (0700 directories, 0600 files) and the service user's: the ledger and its
    copies hold phone numbers, and nothing in the deployment reads them as a group."""
    for path in paths:
        wanted = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == wanted, f"{path}: {oct(path.stat().st_mode)}"


def _ledger_copies(site: Site) -> dict[str, list[Path]]:
    """The old ledger copies ``deploy/upgrade`` prunes, by kind (newest last)."""
    kinds = {"backup": sorted(site.data.glob("backups/ledger-before-*.sqlite3")),
             "bak": sorted(site.data.glob("ledger.sqlite3.bak-*")),
             "failed": sorted(site.data.glob("ledger.sqlite3.failed-*"))}
    return {k: sorted((p for p in v if not p.name.endswith(("-wal", "-shm", "-journal"))),  # its SQLite files
                      key=lambda p: re.findall(r"\d{8}T\d{6}Z", p.name)[-1]) for k, v in kinds.items()}


# --------------------------------------------------------------------------- install


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_install_builds_a_release_that_runs_and_writes_nothing_into_the_source(site: Site) -> None:
    before = _git_state()
    proc = site.install("install")
    assert proc.returncode == 0, _out(proc)
    assert _git_state() == before  # no build/, no *.egg-info, no compiled translations in the tree
    assert not (REPO / "build").exists()
    release = _release_id(proc)
    site.releases["v1"] = release
    assert f"building release {release}" in proc.stdout
    assert "smoke: kiosk diag --only ledger: intact: 0 events" in proc.stdout
    assert re.search(r"smoke: kiosk run \(.*\): first frame after [\d.]+ s, ready after [\d.]+ s", proc.stdout)
    assert f"current -> releases/{release}" in proc.stdout and f"done (simkiosk {release})" in proc.stdout
    assert site.current() == release and release.startswith(f"{_version()}-")
    rel = site.opt / "releases" / release
    stamp = dict(line.split("=", 1) for line in (rel / STAMP).read_text().splitlines())
    assert stamp["version"] == _version() and release.endswith(stamp["source"])
    # Built where it runs: every script's #! names this release's own interpreter.
    for script in (rel / "bin").iterdir():
        if script.is_file() and not script.is_symlink() and script.read_bytes().startswith(b"#!"):
            first = script.read_text().splitlines()[0]
            assert first.startswith(f"#!{rel}/bin/python"), (script, first)
    assert not list(site.opt.glob("releases/*.partial"))
    assert list((rel / "lib").glob("python3*/site-packages/ui/translations/simkiosk_es.qm"))
    # The installed commands run, as root through "current" and as the service user.
    version = subprocess.run([str(site.opt / "current/bin/kiosk"), "--version"], capture_output=True, text=True,
                             timeout=60, cwd="/")
    assert version.returncode == 0 and version.stdout.strip() == f"simkiosk {_version()}", version.stderr
    backend = subprocess.run([str(site.opt / "current/bin/kiosk-backend"), "--help"], capture_output=True,
                             text=True, timeout=60, cwd="/")
    assert backend.returncode == 0 and "add-kiosk" in backend.stdout, backend.stderr
    assert "intact: 0 events" in site.kiosk("ledger", "verify").stdout
    for cmd in ("kiosk", "kiosk-backend"):  # on the PATH, through "current"
        link = site.root / "usr/local/bin" / cmd
        assert os.readlink(link) == f"/opt/simkiosk/current/bin/{cmd}"
        assert (site.root / os.readlink(link).lstrip("/")).exists()
    ledger = site.data / "ledger.sqlite3"
    assert ledger.stat().st_uid == site.ids()[0]  # made by the smoke run, as the service user
    _assert_private(site.data, ledger)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_install_twice_changes_nothing_and_keeps_config_and_secret(site: Site) -> None:
    release = site.releases["v1"]
    rel = site.opt / "releases" / release
    stamp_before = (rel / STAMP).stat()
    secret = site.root / "etc/simkiosk/secret"
    secret_before = secret.read_bytes()
    text = site.config.read_text()
    for section, backend in SIMULATED.items():  # simulated devices for the sales below
        text = re.sub(rf'(\[{section}\]\nbackend = )"[^"]*"', rf'\1"{backend}"', text)
    site.config.write_text(text)
    proc = site.install("install again")
    assert proc.returncode == 0, _out(proc)
    assert f"release {release} is already built" in proc.stdout and "building" not in proc.stdout
    assert "smoke: kiosk run" in proc.stdout and site.current() == release
    assert (rel / STAMP).stat().st_ino == stamp_before.st_ino and (rel / STAMP).stat().st_mtime == stamp_before.st_mtime
    assert site.config.read_text() == text and secret.read_bytes() == secret_before
    assert stat.S_IMODE(secret.stat().st_mode) == 0o400 and secret.stat().st_uid == site.ids()[0]
    users = [line.split(":")[0] for line in (site.root / "etc/passwd").read_text().splitlines()]
    assert users.count("simkiosk") == 1 and users.count("simkiosk-backend") == 1


# --------------------------------------------------------------------------- the units against the layout


def _unit_entries(unit: Path) -> list[tuple[str, str]]:
    entries = []
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, value = line.split("=", 1)
            entries.append((key, value))
    return entries


def test_the_kiosk_unit_sets_the_kiosk_s_allocator_settings() -> None:
    """``kiosk.memory.RUNTIME_ENV`` in the unit: `kiosk run` then starts without
    re-executing itself (the settings are read when the interpreter starts)."""
    from kiosk.memory import RUNTIME_ENV

    env = dict(value.split("=", 1) for key, value in _unit_entries(DEPLOY / "systemd/simkiosk.service")
               if key == "Environment")
    assert {k: env.get(k) for k in RUNTIME_ENV} == dict(RUNTIME_ENV)


def _paths_in(value: str) -> list[tuple[str, bool]]:
    """Absolute paths in a unit value, each with whether it is optional (``-`` prefix)."""
    found = []
    for token in value.split():
        token = token.split("=", 1)[1] if re.match(r"^[A-Z_]+=", token) else token
        optional = token.startswith("-")
        token = token.lstrip("-")
        for prefix in ("file://", "sqlite:///"):
            token = token.removeprefix(prefix)
        if token.startswith("/"):
            found.append((token, optional))
    return found


#: Paths the units name that the install does not create, and why that is right.
NOT_INSTALLED = {
    "/usr/bin/cage": "the Debian package cage (install.sh installs it; --skip-packages here)",
    "/dev/tty1": "the console",
}


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_units_name_the_installed_layout(site: Site) -> None:
    """Every path in the installed units exists in the installed root (or is one systemd or a
    Debian package provides); the executables run; systemd-analyze accepts the units."""
    units = sorted((site.root / "etc/systemd/system").glob("simkiosk*.service"))
    assert [u.name for u in units] == ["simkiosk-backend.service", "simkiosk.service"]
    assert "cage" in (DEPLOY / "install.sh").read_text()
    for unit in units:
        entries = _unit_entries(unit)
        managed = {f"/run/{v}" for k, v in entries if k == "RuntimeDirectory"}
        managed |= {f"/var/cache/{v}" for k, v in entries if k == "CacheDirectory"}
        managed |= {f"/var/lib/{v}" for k, v in entries if k == "StateDirectory"}
        for key, value in entries:
            if key in ("User", "Group"):
                assert re.search(rf"^{value}:", (site.root / ("etc/passwd" if key == "User" else "etc/group"))
                                 .read_text(), re.M), (unit.name, key, value)
            if key == "SupplementaryGroups":
                groups = (site.root / "etc/group").read_text()
                assert all(re.search(rf"^{g}:", groups, re.M) for g in value.split()), value
            for path, optional in _paths_in(value):
                if optional or path in NOT_INSTALLED or any(path == m or path.startswith(m + "/") for m in managed):
                    continue
                target = site.root / path.lstrip("/")
                assert target.exists(), f"{unit.name} {key}= names {path}, which the install did not create"
                if key.startswith("Exec") and target.is_file():
                    assert os.access(target, os.X_OK), path
                    head = target.read_bytes()[:200]
                    if head.startswith(b"#!"):
                        interpreter = head[2:].split(b"\n")[0].split()[0].decode()
                        assert Path(interpreter).exists(), f"{path}: #! names a missing {interpreter}"
    if shutil.which("systemd-analyze") is None:
        return
    lib = site.root / "usr/lib/systemd/system"
    if not lib.exists():
        shutil.copytree("/usr/lib/systemd/system", lib, symlinks=True)
    cage = site.root / "usr/bin/cage"
    cage.parent.mkdir(parents=True, exist_ok=True)
    cage.write_text("#!/bin/sh\n")
    cage.chmod(0o755)
    try:
        proc = _analyze(site.root, *units)
        assert proc.returncode == 0 and proc.stderr.strip() == "", proc.stderr
        broken = site.root / "etc/systemd/system/broken.service"  # the check can fail
        broken.write_text("[Service]\nExecStart=/opt/simkiosk/current/bin/missing\nType=sometimes\n")
        assert _analyze(site.root, broken).returncode != 0
        broken.unlink()
    finally:
        cage.unlink()


def _analyze(root: Path, *units: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", f"--root={root}", "--man=no", "verify", *map(str, units)],
                          capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------- sales and sync


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_installed_kiosk_sells_and_syncs_to_the_installed_backend(site: Site) -> None:
    backend_dir = site.base / "backend"
    backend_dir.mkdir()
    exe = str(site.opt / "current/bin/kiosk-backend")
    common = ["--db", f"sqlite:///{backend_dir}/backend.sqlite3", "--data-dir", str(backend_dir)]
    secret = site.root / "etc/simkiosk/secret"
    secret.unlink()  # the one install.sh generated: the backend issues the kiosk's secret
    added = subprocess.run([exe, "add-kiosk", "KIOSK-0001", *common, "--secret-out", str(secret)],
                           capture_output=True, text=True, timeout=120, cwd="/")
    assert added.returncode == 0, added.stderr
    uid, gid = site.ids()
    os.chown(secret, uid, gid)
    secret.chmod(0o400)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site.backend = subprocess.Popen([exe, "serve", *common, "--port", str(port), "--log-level", "warning"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd="/")
    text = site.config.read_text()
    text = re.sub(r'(\[upstream\]\nurl = )"[^"]*"', rf'\1"http://127.0.0.1:{port}"', text)
    text = text.replace('secret_file = "/etc/simkiosk/secret"', f'secret_file = "{secret}"')
    site.config.write_text(text)

    # Two sales at once (the ledger serialises them), then one whose top-up fails (reversed).
    uid_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(site.data),
               "KIOSK_CONFIG": str(site.config), "KIOSK_DATA_DIR": str(site.data)}
    kiosk = str(site.opt / "current/bin/kiosk")
    running = [subprocess.Popen([kiosk, "txn", "run", "--plan", plan, "--msisdn", number, "--json"], env=uid_env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd="/", user=uid,
                                group=gid, extra_groups=[])
               for plan, number in SALES]
    results = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in running]
    assert [r.get("result") for r in results] == ["completed", "completed"], results
    control = site.data / "topup-sim/control.json"  # the simulated provider's fault switch
    control.write_text(json.dumps({"mode": "fail"}))
    os.chown(control, uid, gid)
    failed = site.kiosk("txn", "run", "--plan", FAILING_SALE[0], "--msisdn", FAILING_SALE[1], "--json", check=False)
    control.unlink()
    outcome = json.loads(failed.stdout.strip().splitlines()[-1])
    assert failed.returncode == 1 and outcome.get("state") == "reversed", failed.stdout + failed.stderr

    revision, events, states = site.ledger_rows()
    assert revision == _head_revision()
    assert sorted(states.values()) == ["completed", "completed", "reversed"], states
    site.sales, site.events = states, events
    report = _sync(site)
    assert report["sent"] == events and report["acked_through"] == events and report["heartbeat"], report
    assert site.backend.poll() is None


def _sync(site: Site) -> dict[str, object]:
    synced = site.kiosk("sync", "--once", "--json")
    report: dict[str, object] = json.loads(synced.stdout.strip().splitlines()[-1])
    assert report["unsynced"] == 0, report
    return report


# --------------------------------------------------------------------------- upgrades


def _kill_when(site: Site, name: str, source: str, ready: str, pattern: str | None = None) -> str:
    """Run ``upgrade`` and SIGKILL it (a power cut) once ``ready`` holds; returns its output."""
    started = time.monotonic()
    proc = subprocess.Popen(["bash", str(site.sources[source] / "deploy/upgrade"), "--root", str(site.root)],
                            env=site.script_env(), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    seen = []
    try:
        assert proc.stdout is not None
        if ready == "line":
            for line in proc.stdout:
                seen.append(line)
                if pattern and pattern in line:
                    break
        else:  # "venv": the new release's interpreter exists, its packages are being installed
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                built = [p for p in site.opt.glob("releases/*/bin/python")
                         if p.parents[1].name not in site.releases.values()]
                if built:
                    time.sleep(1.0)
                    break
                time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=60)
        _kill_leftovers(site.base, keep=frozenset({os.getpid(), *([site.backend.pid] if site.backend else [])}))
    site.timings[name] = time.monotonic() - started
    return "".join(seen) + (rest or "")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_build_cut_short_leaves_an_unstamped_release_that_is_never_used(site: Site) -> None:
    v1 = site.releases["v1"]
    output = _kill_when(site, "upgrade killed while building", "v2", "venv")
    assert "building release" in output, output
    unfinished = [p for p in site.opt.glob("releases/*") if p.name != v1]
    assert len(unfinished) == 1 and not (unfinished[0] / STAMP).exists(), unfinished
    assert site.current() == v1
    assert site.ledger_rows()[1:] == (site.events, site.sales)  # the ledger was not touched
    assert not (site.data / "upgrade-in-progress").exists()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_upgrade_failing_its_smoke_run_rolls_back(site: Site) -> None:
    v1 = site.releases["v1"]
    proc = site.upgrade("upgrade failing its smoke run", "v2", SIMKIOSK_TEST_SMOKE_ENV="QT_QPA_PLATFORM=xcb")
    assert proc.returncode == 1, _out(proc)
    v2 = _release_id(proc)
    site.releases["v2"] = v2
    assert f"found an unfinished build of {v2} (no build stamp): removing it and building again" in proc.stdout
    assert f"building release {v2}" in proc.stdout
    assert f"ledger schema {_head_revision()} -> deploytest_ok" in proc.stdout  # migrated, then:
    assert "smoke: FAILED: kiosk run exited with code 3 before its first frame: kiosk: no display" in proc.stderr
    assert f"upgrade: FAILED: release {v2} failed its smoke run; rolling back to {v1}" in proc.stderr
    _check_rolled_back(site, proc, v1)
    kept = list(site.data.glob("ledger.sqlite3.failed-*"))
    assert len(kept) == 1 and site.ledger_rows(kept[0])[0] == "deploytest_ok"  # as the failed step left it
    assert (site.opt / "releases" / v2 / STAMP).exists()  # kept: the next attempt re-tests it


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_upgrade_whose_migration_raises_rolls_back(site: Site) -> None:
    v1 = site.releases["v1"]
    proc = site.upgrade("upgrade with a migration that raises", "v3")
    assert proc.returncode == 1, _out(proc)
    site.releases["v3"] = _release_id(proc)
    assert ("kiosk: ledger migration to deploytest_raises failed: RuntimeError: "
            "deploy test: this migration fails on purpose") in proc.stderr
    assert f"FAILED: the new release could not migrate or verify the ledger; rolling back to {v1}" in proc.stderr
    assert "Traceback" not in proc.stderr
    _check_rolled_back(site, proc, v1)


def _check_rolled_back(site: Site, proc: subprocess.CompletedProcess[str], old: str) -> None:
    backups = re.findall(r"ledger restored from (\S+) and verified: ledger intact: (\d+) events", proc.stdout)
    assert backups and int(backups[0][1]) == site.events, _out(proc)
    assert f"smoke run of {old}" in proc.stdout.split("ledger restored from")[1]
    assert re.search(rf"upgrade to \S+ failed; {re.escape(old)} is current again", proc.stderr)
    assert site.current() == old
    assert site.ledger_rows() == (_head_revision(), site.events, site.sales)
    assert "ledger intact" in site.kiosk("ledger", "verify").stdout
    assert not (site.data / "upgrade-in-progress").exists()
    copies = _ledger_copies(site)
    _assert_private(site.data, site.data / "backups", site.data / "ledger.sqlite3", *copies["backup"],
                    *copies["failed"], *copies["bak"])
    _kiosk_serves(site)


def _kiosk_serves(site: Site) -> None:
    """The installed kiosk itself (not --demo: the configured simulated devices, the real
    ledger and data directory) starts, reaches READY=1 in service, and stops on SIGTERM."""
    with tempfile.TemporaryDirectory(dir=site.base) as tmp:
        os.chmod(tmp, 0o755)
        path = Path(tmp) / "notify"
        uid, gid = site.ids()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.bind(str(path))
            os.chmod(path, 0o777)
            sock.settimeout(90)
            env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(site.data), "QT_QPA_PLATFORM": "offscreen",
                   "KIOSK_CONFIG": str(site.config), "KIOSK_DATA_DIR": str(site.data), "NOTIFY_SOCKET": str(path),
                   "XDG_RUNTIME_DIR": tmp, "KIOSK_UPSTREAM_URL": ""}
            proc = subprocess.Popen([str(site.opt / "current/bin/kiosk"), "run"], env=env, cwd="/", user=uid,
                                    group=gid, extra_groups=[], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)
            try:
                messages = [sock.recv(4096).decode()]
                while not messages[-1].startswith("READY=1"):
                    messages.append(sock.recv(4096).decode())
                proc.send_signal(signal.SIGTERM)
                _, err = proc.communicate(timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    assert messages[0].startswith("STATUS=") and messages[-1] == "READY=1\nSTATUS=attract screen shown", messages
    assert proc.returncode == 0, err[-2000:]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_an_upgrade_cut_short_after_migrating_is_rolled_back_by_the_next_run(site: Site) -> None:
    v1, v2 = site.releases["v1"], site.releases["v2"]
    _kill_when(site, "upgrade killed after migrating", "v2", "line", "upgrade: ledger schema")
    assert site.current() == v1
    assert (site.data / "upgrade-in-progress").exists()
    assert site.ledger_rows()[0] == "deploytest_ok"  # migrated; v1 cannot open it now
    assert site.kiosk("ledger", "verify", check=False).returncode != 0

    before = _ledger_copies(site)  # three failed upgrades so far; the third's failed ledger is set aside below
    assert [len(v) for v in before.values()] == [3, 3, 2], before
    manual = site.data / "backups/ledger-2020-01-01.sqlite3"  # a technician's own backup: never pruned
    shutil.copy(before["backup"][0], manual)
    proc = site.upgrade("upgrade settling the interrupted one, then succeeding", "v2",
                        SIMKIOSK_KEEP_LEDGER_COPIES="2")
    assert proc.returncode == 0, _out(proc)
    after = _ledger_copies(site)
    assert [len(v) for v in after.values()] == [2, 2, 2], after
    made = re.findall(r"ledger backed up to (\S+) and the backup verified", proc.stdout)
    assert len(made) == 1 and Path(made[0]) == after["backup"][-1]  # this run's backup is kept
    assert after["failed"][-1] not in before["failed"]  # this run's failed ledger (settling) too
    for kind, label in (("backup", "pre-upgrade backup"), ("bak", "pre-migration copy"),
                        ("failed", "failed-upgrade ledger")):
        removed = [p for p in before[kind] if p not in after[kind]]
        assert removed and all(f"removed {label} {p} (keeping the newest 2)" in proc.stdout for p in removed), kind
        assert not [p for p in removed for x in ("-wal", "-shm") if Path(f"{p}{x}").exists()]  # gone with it
    assert manual.exists()
    refused = site.upgrade("upgrade refusing a bad --keep-copies", "v2", SIMKIOSK_KEEP_LEDGER_COPIES="0")
    assert refused.returncode == 1 and "must be a whole number from 1 to 9999, not '0'" in refused.stderr
    assert f"upgrade: an upgrade from {v1} to {v2} was interrupted" in proc.stderr
    assert "ledger restored from" in proc.stdout.split(f"release {v2} is already built")[0]
    assert f"release {v2} is already built" in proc.stdout
    assert f"ledger schema {_head_revision()} -> deploytest_ok; ledger intact: {site.events} events" in proc.stdout
    assert f"current -> releases/{v2}" in proc.stdout and f"upgraded {v1} -> {v2}" in proc.stdout
    assert f"removed release {site.releases['v3']}" in proc.stdout
    assert sorted(p.name for p in site.opt.glob("releases/*")) == sorted([v1, v2])

    # The migrated ledger verifies with the new release and every sale survived as it was.
    assert site.current() == v2
    assert site.ledger_rows() == ("deploytest_ok", site.events, site.sales)
    assert f"intact: {site.events} events" in site.kiosk("ledger", "verify").stdout
    assert site.kiosk("--version").stdout.strip() == f"simkiosk {_version()}.post1"
    exported = site.kiosk("ledger", "export", "--format", "jsonl").stdout
    assert sorted(json.loads(line)["txn_id"] for line in exported.splitlines()) == sorted(site.sales)
    assert not (site.data / "upgrade-in-progress").exists()
    report = _sync(site)  # the new release talks to the backend, knowing what was sent before
    assert report["sent"] == 0 and report["acked_through"] == site.events and report["heartbeat"], report
    _kiosk_serves(site)


# --------------------------------------------------------------------------- the smoke runner itself


FAKE_KIOSK = '''#!{python}
import json, os, signal, socket, sys, time
MODE = {mode!r}
args = sys.argv[1:]
with open({envfile!r}, "a") as fh:
    fh.write(json.dumps({{"args": args, "env": dict(os.environ)}}) + "\\n")
if args == ["--version"]:
    print("simkiosk " + ("1.0" if MODE == "wrong-version" else "9.9.9"))
    sys.exit(0)
if args[:1] == ["diag"]:
    ok = MODE != "bad-ledger"
    detail = "intact: 3 events, last seq 3" if ok else "corrupt at seq 2: hash mismatch"
    print(json.dumps({{"ok": ok, "checks": [{{"name": "ledger", "ok": ok, "detail": detail,
                      "advice": "call support"}}], "needs_attention": [{{"txn_id": "t1"}}], "open_transactions": []}}))
    sys.exit(1)
def send(message):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(os.environ["NOTIFY_SOCKET"])
        sock.send(message.encode())
if MODE == "crash":
    print("kiosk: cannot load the UI", file=sys.stderr)
    sys.exit(4)
if MODE == "hang":
    time.sleep(60)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
send("STATUS=attract screen shown; starting up")
if MODE == "no-ready":
    time.sleep(60)
send("READY=1\\nSTATUS=out of service: ledger unreadable" if MODE == "out-of-service"
     else "READY=1\\nSTATUS=attract screen shown")
time.sleep(60)
'''


def _fake_release(tmp_path: Path, mode: str, *, stamp: bool = True) -> tuple[Path, Path]:
    release = tmp_path / "release"
    (release / "bin").mkdir(parents=True)
    envfile = tmp_path / "calls.jsonl"
    kiosk = release / "bin/kiosk"
    kiosk.write_text(FAKE_KIOSK.format(python=sys.executable, mode=mode, envfile=str(envfile)))
    kiosk.chmod(0o755)
    if stamp:
        (release / STAMP).write_text("version=9.9.9\nsource=abc\n")
    return release, envfile


def _smoke(tmp_path: Path, release: Path, *extra: str, deadline: float = 60,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SMOKE_RUN), "--release", str(release), "--config",
                           str(tmp_path / "kiosk.toml"), "--data-dir", str(tmp_path / "data"), "--deadline",
                           str(deadline), *extra], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_smoke_run_passes_a_working_release_and_keeps_it_off_the_real_ledger(tmp_path: Path) -> None:
    release, envfile = _fake_release(tmp_path, "ok")
    proc = _smoke(tmp_path, release, env={"KIOSK_TERMINAL_PORT": "/dev/leaked"})
    assert proc.returncode == 0, proc.stderr
    assert "smoke: kiosk --version: simkiosk 9.9.9" in proc.stdout
    # A transaction waiting for staff does not fail a release; it is mentioned.
    assert "kiosk diag --only ledger: intact: 3 events, last seq 3; 1 transaction(s) wait for staff" in proc.stdout
    assert re.search(r"first frame after [\d.]+ s, ready after [\d.]+ s; stopped cleanly", proc.stdout)
    calls = [json.loads(line) for line in envfile.read_text().splitlines()]
    assert [c["args"][:1] for c in calls] == [["--version"], ["diag"], ["run"]]
    diag, run = calls[1]["env"], calls[2]["env"]
    assert diag["KIOSK_DATA_DIR"] == str(tmp_path / "data") and diag["KIOSK_CONFIG"] == str(tmp_path / "kiosk.toml")
    assert calls[2]["args"] == ["run", "--demo"] and run["QT_QPA_PLATFORM"] == "offscreen"
    assert run["KIOSK_CONFIG"] == str(tmp_path / "kiosk.toml")
    assert run["KIOSK_DATA_DIR"] != str(tmp_path / "data") and run["KIOSK_LEDGER_URL"] == ""
    assert all("KIOSK_TERMINAL_PORT" not in c["env"] for c in calls)  # nothing inherited


@pytest.mark.parametrize(("mode", "stamp", "message"), [
    ("ok", False, "has no build stamp (.simkiosk-release): an unfinished build is never used"),
    ("wrong-version", True, "kiosk --version printed 'simkiosk 1.0', the build stamp says simkiosk 9.9.9"),
    ("bad-ledger", True, "kiosk diag --only ledger: corrupt at seq 2: hash mismatch (call support)"),
    ("crash", True, "kiosk run exited with code 4 before its first frame: kiosk: cannot load the UI"),
    ("hang", True, "kiosk run did not reach its first frame within 3 s"),
    ("no-ready", True, "kiosk run did not reach READY=1 within 3 s"),
    ("out-of-service", True, "kiosk run started but is out of service: ledger unreadable"),
])
def test_smoke_run_fails_a_broken_release_naming_the_step(tmp_path: Path, mode: str, stamp: bool,
                                                          message: str) -> None:
    release, _ = _fake_release(tmp_path, mode, stamp=stamp)
    proc = _smoke(tmp_path, release, deadline=3 if mode in ("hang", "no-ready") else 60)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("smoke: FAILED: ") and last.endswith(message), last
    assert "Traceback" not in proc.stderr


def test_smoke_run_test_hook_applies_only_when_asked(tmp_path: Path) -> None:
    release, envfile = _fake_release(tmp_path, "ok")
    hook = {"SIMKIOSK_TEST_SMOKE_ENV": "QT_QPA_PLATFORM=xcb EXTRA='a b'"}
    assert _smoke(tmp_path, release, env=hook).returncode == 0
    assert json.loads(envfile.read_text().splitlines()[-1])["env"]["QT_QPA_PLATFORM"] == "offscreen"
    assert _smoke(tmp_path, release, "--test-hook", env=hook).returncode == 0
    run_env = json.loads(envfile.read_text().splitlines()[-1])["env"]
    assert run_env["QT_QPA_PLATFORM"] == "xcb" and run_env["EXTRA"] == "a b"


# --------------------------------------------------------------------------- configuration and secret


def _fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "target"
    (root / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        if Path("/etc", name).exists():
            shutil.copy(Path("/etc", name), root / "etc" / name)
    return root


def _install_files(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(DEPLOY / "install.sh"), "--root", str(root), "--skip-packages", "--skip-app"],
                          capture_output=True, text=True, timeout=120)


def test_install_files_are_idempotent_and_the_secret_protected(tmp_path: Path) -> None:
    """The files part alone (``--skip-app``): kept configuration, a secret only the service
    user reads, and a world-readable secret refused."""
    root = _fake_root(tmp_path)
    first = _install_files(root)
    assert first.returncode == 0, first.stderr + first.stdout
    secret = root / "etc/simkiosk/secret"
    secret_before = secret.read_bytes()
    (root / "etc/simkiosk/kiosk.toml").write_text('[kiosk]\nid = "MALL-7"\n')
    second = _install_files(root)
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
    assert stat.S_IMODE(data.stat().st_mode) == 0o700 and data.stat().st_uid == uid
    data.chmod(0o750)  # as an older install.sh left it: group-readable ledger directory
    assert _install_files(root).returncode == 0
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert (root / "etc/systemd/system/simkiosk.service").exists()
    assert (root / "etc/udev/rules.d/99-simkiosk.rules").exists()
    group_line = next(g for g in (root / "etc/group").read_text().splitlines() if g.startswith("dialout:"))
    assert "simkiosk" in group_line.split(":")[3].split(",")
    secret.chmod(0o644)
    refused = _install_files(root)
    assert refused.returncode == 1
    assert "readable by others" in refused.stderr


def test_install_into_a_root_without_a_user_database_says_what_to_copy(tmp_path: Path) -> None:
    """A bare --root tree used to end with "grep: .../etc/group: No such file" and exit 10."""
    proc = subprocess.run(["bash", str(DEPLOY / "install.sh"), "--root", str(tmp_path), "--skip-packages"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc
    assert f"{tmp_path}/etc/passwd is missing" in proc.stderr and "copy /etc/passwd" in proc.stderr, proc.stderr
    assert not list(tmp_path.glob("opt/simkiosk/releases/*"))  # nothing built
