"""Fixtures for the SIM-reader tests, including a real PC/SC stack.

``pcsc_stack`` (session) starts its own ``pcscd -f`` with a private
``reader.conf.d`` that loads the vsmartcard vpcd driver on a free TCP port
pair, and stops it by PID at the end. pcsc-lite 1.9.9's *daemon* ignores
``PCSCLITE_CSOCK_NAME`` (only the client library honours it), so to stay
clear of a system pcscd the daemon runs in a private mount namespace
(``unshare --mount``) where a temporary directory is bind-mounted on
``/run/pcscd``; its socket is then reachable from outside at
``<tmp>/pcscd.comm``, which this process and the CLI subprocesses use
through ``PCSCLITE_CSOCK_NAME``. Without ``unshare`` rights the daemon
runs unconfined on ``/run/pcscd``, if no other pcscd is running.

The virtual cards connect to the vpcd port as TCP clients; nobody probes the
port (a connection is a card insertion): readiness is seen through PC/SC.

When the stack cannot start, ``pcsc`` tests skip locally and FAIL under CI.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

PCSCD = "/usr/sbin/pcscd"
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
SYSTEM_SOCKET = "/run/pcscd/pcscd.comm"
REPO = Path(__file__).resolve().parents[2]

# The client library reads PCSCLITE_CSOCK_NAME once, on the first PC/SC call:
# set it before anything here loads pyscard.
_IPC_DIR = Path(tempfile.mkdtemp(prefix="simkiosk-pcscd-"))
atexit.register(shutil.rmtree, _IPC_DIR, ignore_errors=True)
_PRIVATE_SOCKET = str(_IPC_DIR / "pcscd.comm")
_CAN_UNSHARE = os.geteuid() == 0 and shutil.which("unshare") is not None
os.environ["PCSCLITE_CSOCK_NAME"] = _PRIVATE_SOCKET if _CAN_UNSHARE else SYSTEM_SOCKET


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"real PC/SC stack unavailable under CI: {reason}")
    pytest.skip(f"real PC/SC stack unavailable: {reason}")


def _free_port_pair() -> int:
    """A port P with P and P+1 free (vpcd's readers 0 and 1)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        try:
            with socket.socket() as s2:
                s2.bind(("127.0.0.1", port + 1))
            with socket.socket() as s3:
                s3.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for vpcd")


@dataclass
class PcscStack:
    """A running pcscd with two vpcd readers; helpers to insert virtual cards."""

    port: int
    socket_path: str
    readers: list[str]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def reader0(self) -> str:
        return self.readers[0]

    def cli(self, *args: str, data_dir: Path, timeout: float = 30.0,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``kiosk`` as a subprocess against this stack."""
        full_env = {**self.env, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "kiosk", *args, "--data-dir", str(data_dir)],
            capture_output=True, text=True, timeout=timeout, env=full_env, cwd=REPO,
        )

    def popen(self, *args: str, data_dir: Path) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "kiosk", *args, "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env, cwd=REPO,
        )

    def wait_card(self, present: bool, timeout: float = 10.0, reader: str | None = None) -> None:
        """Block until pcscd reports the card in ``reader`` present (or gone)."""
        from smartcard import scard

        name = reader or self.reader0
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        assert hresult == scard.SCARD_S_SUCCESS
        try:
            deadline = time.monotonic() + timeout
            state = scard.SCARD_STATE_UNAWARE
            while True:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    raise AssertionError(f"card in {name} never became present={present}")
                hresult, states = scard.SCardGetStatusChange(ctx, left, [(name, state)])
                if hresult == scard.SCARD_E_TIMEOUT:
                    continue
                assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
                state = states[0][1]
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return
                state &= ~scard.SCARD_STATE_CHANGED
        finally:
            scard.SCardReleaseContext(ctx)

    @contextmanager
    def inserted(self, profile: str = "tmobile", *, slot: int = 0, wait: bool = True,
                 remove_after: int | None = None, delay_s: float = 0.0,
                 **options: Any) -> Iterator[Any]:
        """A virtual card in reader ``slot`` for the duration of the block."""
        from devices.vsim.card import PROFILES, CardOptions, VirtualSim
        from devices.vsim.vpcd import VpcdCard

        sim = VirtualSim(PROFILES[profile], CardOptions(**options))
        card = VpcdCard(sim, port=self.port + slot, remove_after=remove_after, delay_s=delay_s)
        card.insert()
        try:
            if wait:
                self.wait_card(True, reader=self.readers[slot])
            yield card
        finally:
            card.remove()
            self.wait_card(False, reader=self.readers[slot])


def _start_pcscd(conf_dir: Path, log_file: Any) -> subprocess.Popen[bytes]:
    if _CAN_UNSHARE:
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'mount --bind "$1" /run/pcscd && exec "$2" -f -c "$3"', "sh",
               str(_IPC_DIR), PCSCD, str(conf_dir)]
    else:
        if Path(SYSTEM_SOCKET).exists():
            _unavailable("another pcscd owns /run/pcscd and unshare is not available")
        cmd = [PCSCD, "-f", "-c", str(conf_dir)]
    # exec chain: the PID we get is pcscd's own, so we can stop it by PID.
    return subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT)


@contextmanager
def running_stack(base: Path) -> Iterator[PcscStack]:
    """Start pcscd with vpcd on a free port pair under ``base``; stop it by PID on exit.
    Also used by ``bench/bench_card.py``."""
    if not Path(PCSCD).exists():
        _unavailable(f"{PCSCD} not installed (Debian package pcscd)")
    if not Path(VPCD_DRIVER).exists():
        _unavailable(f"{VPCD_DRIVER} not installed (Debian package vsmartcard-vpcd)")
    try:
        from smartcard import scard
    except ImportError as exc:
        _unavailable(f"pyscard not importable: {exc}")
    conf_dir = base / "reader.conf.d"
    conf_dir.mkdir()
    port = _free_port_pair()
    (conf_dir / "vpcd").write_text(
        'FRIENDLYNAME "Virtual PCD"\n'
        f"DEVICENAME   /dev/null:0x{port:04X}\n"
        f"LIBPATH      {VPCD_DRIVER}\n"
        f"CHANNELID    0x{port:04X}\n"
    )
    log_path = base / "pcscd.log"
    with log_path.open("wb") as log_file:
        proc = _start_pcscd(conf_dir, log_file)
    socket_path = os.environ["PCSCLITE_CSOCK_NAME"]
    try:
        readers = _wait_for_readers(scard, proc, log_path)
        env = {**os.environ, "PCSCLITE_CSOCK_NAME": socket_path, "KIOSK_READER_BACKEND": "pcsc",
               "PYTHONPATH": str(REPO)}
        env.pop("KIOSK_CONFIG", None)
        yield PcscStack(port, socket_path, readers, log_path, env)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(_IPC_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def pcsc_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscStack]:
    with running_stack(tmp_path_factory.mktemp("pcscd")) as stack:
        yield stack


def _wait_for_readers(scard: Any, proc: subprocess.Popen[bytes], log_path: Path) -> list[str]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _unavailable(f"pcscd exited with {proc.returncode}: {log_path.read_text()[-500:]}")
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult == scard.SCARD_S_SUCCESS:
            try:
                hresult, names = scard.SCardListReaders(ctx, [])
            finally:
                scard.SCardReleaseContext(ctx)
            vpcd = sorted(n for n in (names or []) if n.startswith("Virtual PCD"))
            if hresult == scard.SCARD_S_SUCCESS and len(vpcd) >= 2:
                return vpcd
        time.sleep(0.1)
    _unavailable(f"pcscd never listed the vpcd readers: {log_path.read_text()[-500:]}")
    raise AssertionError("unreachable")
