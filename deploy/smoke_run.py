#!/usr/bin/env python3
"""Smoke run of one built simkiosk release, before ``/opt/simkiosk/current`` may point at it.

Run by ``deploy/install.sh`` and ``deploy/upgrade`` as the kiosk's service user:

1. the release carries its build stamp (an interrupted build has none and is never used);
2. ``kiosk --version`` names the stamped version;
3. ``kiosk diag --only ledger --json`` against the real configuration and data
   directory: the ledger opens (migrating it if the release brings a migration)
   and its hash chain verifies;
4. ``kiosk run --demo`` offscreen reaches its first frame (``STATUS=``) and then
   ``READY=1`` on a systemd-style notification socket within the deadline, and
   stops on SIGTERM.

Step 4 loads the real configuration (so a release that rejects it fails here) but
runs with simulated devices, no upstream and a scratch data directory and SQLite
ledger: a smoke run must not move money, talk to the backend, or add rows to the
real ledger that a rollback would then have to remove.

Test hook: ``SIMKIOSK_TEST_SMOKE_ENV`` (space-separated ``NAME=VALUE`` pairs) is added
to step 4's environment when ``--test-hook`` is given; the deploy tests use it to make
a release fail its smoke run (``QT_QPA_PLATFORM=xcb``: no display, the kiosk exits 3).
The scripts pass ``--test-hook`` only for the release being installed, never for a
rollback's check of the previous one.

Standard library only: it runs with the system ``python3``, outside any release.
Exit 0 when every step passed, 1 (with ``smoke: FAILED: ...`` on stderr) otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STAMP = ".simkiosk-release"
TEST_HOOK_VAR = "SIMKIOSK_TEST_SMOKE_ENV"
#: Seconds for ``kiosk run`` from launch to READY=1 (its first frame comes before).
DEFAULT_DEADLINE_S = 90.0
#: Seconds for ``--version`` and for stopping the kiosk after SIGTERM.
SHORT_TIMEOUT_S = 30.0
#: Seconds for ``kiosk diag --only ledger``: verifying a large ledger takes a while.
DIAG_TIMEOUT_S = 900.0
#: The environment every step starts from (nothing inherited but these), as under systemd.
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


class SmokeFailed(Exception):
    """One step failed; the message says which and why."""


def say(text: str) -> None:
    print(f"smoke: {text}", flush=True)


def read_stamp(release: Path) -> dict[str, str]:
    """The build stamp's ``key=value`` lines; a release without one was never finished."""
    try:
        text = (release / STAMP).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SmokeFailed(f"{release} has no build stamp ({STAMP}): an unfinished build is never used") from None
    except OSError as exc:
        raise SmokeFailed(f"cannot read {release / STAMP}: {exc.strerror}") from exc
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    if not fields.get("version"):
        raise SmokeFailed(f"{release / STAMP} names no version")
    return fields


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def check_version(kiosk: Path, env: dict[str, str], version: str) -> str:
    try:
        proc = subprocess.run([str(kiosk), "--version"], env=env, capture_output=True, text=True,
                              timeout=SHORT_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SmokeFailed(f"kiosk --version did not run: {exc}") from exc
    out = proc.stdout.strip()
    if proc.returncode != 0:
        raise SmokeFailed(f"kiosk --version exited {proc.returncode}: {last_line(proc.stderr) or out}")
    if out != f"simkiosk {version}":
        raise SmokeFailed(f"kiosk --version printed {out!r}, the build stamp says simkiosk {version}")
    return out


def check_ledger(kiosk: Path, env: dict[str, str]) -> str:
    """The ledger check itself must pass; transactions awaiting staff do not fail a release."""
    try:
        proc = subprocess.run([str(kiosk), "diag", "--only", "ledger", "--json"], env=env, capture_output=True,
                              text=True, timeout=DIAG_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SmokeFailed(f"kiosk diag --only ledger did not run: {exc}") from exc
    try:
        report = json.loads(last_line(proc.stdout))
    except ValueError:
        report = None
    if not isinstance(report, dict):
        raise SmokeFailed(f"kiosk diag --only ledger exited {proc.returncode}: "
                          f"{last_line(proc.stderr) or 'no report'}")
    if "error" in report:
        raise SmokeFailed(f"kiosk diag --only ledger: {report.get('message') or report['error']}")
    checks = {c.get("name"): c for c in report.get("checks", []) if isinstance(c, dict)}
    ledger = checks.get("ledger")
    if ledger is None:
        raise SmokeFailed("kiosk diag --only ledger reported no ledger check")
    if not ledger.get("ok"):
        raise SmokeFailed(f"kiosk diag --only ledger: {ledger.get('detail')} ({ledger.get('advice')})")
    waiting = len(report.get("needs_attention") or []) + len(report.get("open_transactions") or [])
    extra = f"; {waiting} transaction(s) wait for staff (see kiosk diag)" if waiting else ""
    return f"{ledger.get('detail')}{extra}"


def hook_env(enabled: bool) -> dict[str, str]:
    """The test hook's extra variables (see the module docstring)."""
    raw = os.environ.get(TEST_HOOK_VAR, "") if enabled else ""
    extra: dict[str, str] = {}
    for item in shlex.split(raw):
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SmokeFailed(f"{TEST_HOOK_VAR}: expected NAME=VALUE, got {item!r}")
        extra[name] = value
    return extra


def check_run(kiosk: Path, env: dict[str, str], deadline_s: float, extra: dict[str, str]) -> str:
    """``kiosk run --demo`` offscreen until READY=1, then SIGTERM; returns the timings."""
    with tempfile.TemporaryDirectory(prefix="simkiosk-smoke-") as tmp:
        scratch = Path(tmp)
        for sub in ("data", "cache", "home", "run"):
            (scratch / sub).mkdir(mode=0o700)
        run_env = {
            **env,
            "KIOSK_DATA_DIR": str(scratch / "data"),
            "KIOSK_LEDGER_URL": "",  # a scratch SQLite ledger, even if the real one is PostgreSQL
            "KIOSK_PRINTER_PATH": "",  # receipts (none are printed) stay in the scratch directory
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_RUNTIME_DIR": str(scratch / "run"),
            "XDG_CACHE_HOME": str(scratch / "cache"),
            "HOME": str(scratch / "home"),
            "NOTIFY_SOCKET": str(scratch / "notify"),
            **extra,
        }
        run_env.pop("WATCHDOG_USEC", None)
        log_path = scratch / "kiosk.stderr"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock, open(log_path, "wb") as log:
            sock.bind(str(scratch / "notify"))
            sock.settimeout(0.2)
            launched = time.monotonic()
            try:
                proc = subprocess.Popen([str(kiosk), "run", "--demo"], env=run_env, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log, start_new_session=True)
            except OSError as exc:
                raise SmokeFailed(f"kiosk run did not start: {exc}") from exc
            try:
                first, ready = _wait_ready(proc, sock, launched, deadline_s, log_path)
                stopped = _stop(proc)
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    return f"first frame after {first:.1f} s, ready after {ready:.1f} s; {stopped}"


def _tail(path: Path) -> str:
    try:
        return last_line(path.read_text(encoding="utf-8", errors="replace")[-4000:])
    except OSError:
        return ""


def _wait_ready(proc: subprocess.Popen[bytes], sock: socket.socket, launched: float, deadline_s: float,
                log_path: Path) -> tuple[float, float]:
    first: float | None = None
    while True:
        elapsed = time.monotonic() - launched
        if elapsed > deadline_s:
            where = "its first frame" if first is None else "READY=1"
            raise SmokeFailed(f"kiosk run did not reach {where} within {deadline_s:.0f} s")
        try:
            message = sock.recv(4096).decode("utf-8", errors="replace")
        except TimeoutError:
            code = proc.poll()
            if code is not None:
                detail = _tail(log_path)
                raise SmokeFailed(f"kiosk run exited with code {code} before "
                                  f"{'its first frame' if first is None else 'READY=1'}"
                                  + (f": {detail}" if detail else "")) from None
            continue
        fields = dict(line.split("=", 1) for line in message.splitlines() if "=" in line)
        now = time.monotonic() - launched
        if first is None and "STATUS" in fields:
            first = now
        if fields.get("READY") == "1":
            status = fields.get("STATUS", "")
            if first is None:
                raise SmokeFailed(f"kiosk run reported READY=1 without a first frame ({status})")
            if status.startswith("out of service"):
                raise SmokeFailed(f"kiosk run started but is {status}")
            return first, now


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(SHORT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise SmokeFailed(f"kiosk run did not stop within {SHORT_TIMEOUT_S:.0f} s of SIGTERM") from None
    return "stopped cleanly" if code == 0 else f"warning: exited {code} on SIGTERM"


def smoke(release: Path, config: Path, data_dir: Path, *, deadline_s: float, test_hook: bool) -> None:
    version = read_stamp(release)["version"]
    kiosk = release / "bin" / "kiosk"
    env = {**BASE_ENV, "HOME": str(data_dir), "KIOSK_CONFIG": str(config), "KIOSK_DATA_DIR": str(data_dir)}
    extra = hook_env(test_hook)
    say(f"kiosk --version: {check_version(kiosk, env, version)}")
    say(f"kiosk diag --only ledger: {check_ledger(kiosk, env)}")
    say(f"kiosk run (offscreen, simulated devices, scratch data): {check_run(kiosk, env, deadline_s, extra)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="smoke_run.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", required=True, type=Path, help="release directory (with bin/kiosk)")
    parser.add_argument("--config", required=True, type=Path, help="the kiosk's configuration file")
    parser.add_argument("--data-dir", required=True, type=Path, help="the kiosk's data directory")
    parser.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE_S, metavar="S",
                        help=f"seconds for kiosk run to become ready (default {DEFAULT_DEADLINE_S:.0f})")
    parser.add_argument("--test-hook", action="store_true", help=f"apply {TEST_HOOK_VAR} (tests only)")
    args = parser.parse_args(argv)
    try:
        smoke(args.release, args.config, args.data_dir, deadline_s=args.deadline, test_hook=args.test_hook)
    except SmokeFailed as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
