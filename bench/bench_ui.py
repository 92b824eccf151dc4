"""Touch UI figures (offscreen): cold start, GUI-thread stalls, memory over many sessions.

1. Cold start: the real ``kiosk run --demo`` process (kiosk mode, offscreen, a
   kiosk data directory that already has its ledger, bytecode compiled as an
   install leaves it) from launch to the first frame of the attract screen,
   against a minimal QML window measured the same way in the same run (median
   of 9 alternating runs each). Both report over a systemd-style notification
   socket: the kiosk sends ``STATUS=`` at its first frame (and ``READY=1`` once
   its services are built and recovery has run, printed for information).
   Target ratio <= 2.0.
2. GUI thread's longest stall during one full sale on the real demo services
   (simulated devices, the real saga, ledger and receipt printing: what
   ``kiosk run --demo`` runs) made slow (reader 1.0 s, lookups and catalogs
   0.4 s, payment 2.0 s with prompts), measured by a 1 ms precise heartbeat
   timer on the GUI thread. Target < 50 ms. Measured twice: without speech, and
   with audio guidance on (Qt TextToSpeech on speech-dispatcher with espeak-ng, a
   private daemon playing into ALSA's null device; Qt's silent mock engine when
   speech-dispatcher is not installed), every screen and prompt spoken.
3. Peak RSS after 100 whole sessions (card → account → plan → pay → success
   → attract) on the same real demo services, QML and view models (the soak's
   driver, ``bench/soak.py``). Target ≤ 200 MiB.

Each part runs in its own process so one does not warm up or bloat another.
"""

from __future__ import annotations

import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["QT_QPA_PLATFORM"] = "offscreen"

RUNS = 9
PACKAGES = ("kiosk", "ui", "devices", "payment")
SESSIONS = 100


def _launch_until(argv: list[str], data_dir: Path, *, until_ready: bool) -> tuple[float, float | None]:
    """Seconds from launch to the first ``STATUS=`` datagram (and to ``READY=1``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(60)
        # both programs with the kiosk's allocator settings, as the systemd unit starts it
        # (without them `kiosk run` re-executes itself to get them: about 50 ms more)
        from kiosk.memory import RUNTIME_ENV

        env = dict(os.environ, NOTIFY_SOCKET=path, QT_QPA_PLATFORM="offscreen", KIOSK_DATA_DIR=str(data_dir),
                   **RUNTIME_ENV)
        env.pop("WATCHDOG_USEC", None)
        launched = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        first: float | None = None
        ready: float | None = None
        try:
            while ready is None:
                message = sock.recv(4096).decode()
                now = time.perf_counter() - launched
                if first is None and message.startswith("STATUS="):
                    first = now
                    if not until_ready:
                        break
                if message.startswith("READY=1"):
                    ready = now
        except TimeoutError:
            proc.kill()
            raise SystemExit(f"no notification from {argv}: {proc.communicate()[1][-2000:]!r}") from None
        finally:
            sock.close()
            proc.terminate()
            proc.wait(30)
        assert first is not None
        return first, ready


def _cold_start() -> tuple[list[float], list[float], list[float]]:
    """Alternating runs of the minimal window and ``kiosk run``; returns their times."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(REPO / d) for d in PACKAGES)],
                   check=True, stdout=subprocess.DEVNULL)  # an install compiles the bytecode too
    kiosk = [sys.executable, "-c", "import sys; from kiosk.cli import run; sys.argv[0] = 'kiosk'; run()",
             "run", "--demo"]  # full screen with the kiosk lockdown, as deployed
    minimal_argv = [sys.executable, str(REPO / "bench" / "minimal_window.py")]
    with tempfile.TemporaryDirectory() as data:
        data_dir = Path(data)
        _launch_until(kiosk, data_dir, until_ready=True)  # creates the ledger, fills the QML cache
        _launch_until(minimal_argv, data_dir, until_ready=False)
        minimal: list[float] = []
        first: list[float] = []
        ready: list[float] = []
        for _ in range(RUNS):
            minimal.append(_launch_until(minimal_argv, data_dir, until_ready=False)[0])
            f, r = _launch_until(kiosk, data_dir, until_ready=True)
            first.append(f)
            ready.append(r or 0.0)
    return minimal, first, ready


class _SlowProvider:
    """The demo's real provider with a network's latency on lookups and catalogs."""

    def __init__(self, inner: Any, delay_s: float) -> None:
        self._inner, self._delay_s = inner, delay_s

    def lookup(self, *, iccid: str | None = None, msisdn: str | None = None) -> Any:
        time.sleep(self._delay_s)
        return self._inner.lookup(iccid=iccid, msisdn=msisdn)

    def catalog(self, carrier: str | None = None) -> Any:
        time.sleep(self._delay_s)
        return self._inner.catalog(carrier)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _demo(data_dir: Path, *, slow: bool, speech_engine: Any = None) -> tuple[Any, Any, Any]:
    """The real demo services (simulated devices, real saga, real ledger), the kiosk UI on
    them, and a driver of whole sessions (bench/soak.py's)."""
    import dataclasses

    from PySide6.QtCore import QSize

    from bench.soak import Driver
    from kiosk.app import build_services
    from kiosk.config import Settings
    from payment.simulated import SimulatedDelays
    from ui.app import KioskUi

    settings = Settings().demo()
    services = build_services(settings, data_dir)
    terminal: Any = services.terminal
    if slow:  # reader 1.0 s, lookups and catalogs 0.4 s, payment 2.0 s with prompts
        services.reader.set_delay(0.05)  # type: ignore[attr-defined]  # per command: ~1 s a read
        services = dataclasses.replace(services, provider=_SlowProvider(services.provider, 0.4))
        terminal.set_delays(SimulatedDelays(card_s=0.5, pin_s=0.5, processing_s=0.5, remove_s=0.5))
    else:
        terminal.set_delays(SimulatedDelays(card_s=0.01, pin_s=0.01, processing_s=0.01, remove_s=0.0))
    ui = KioskUi(services, settings, size=QSize(1080, 1920), speech_engine=speech_engine)
    ui.window.show()
    return services, ui, Driver(ui, services)


def _private_speech_dispatcher(tmp: Path) -> subprocess.Popen[bytes] | None:
    """speech-dispatcher with espeak-ng playing into ALSA's null device, on its own socket
    (``SPEECHD_ADDRESS``); ``None`` when it is not installed."""
    import re
    import shutil

    binary = shutil.which("speech-dispatcher")
    if binary is None or not Path("/etc/speech-dispatcher").is_dir():
        return None
    conf = tmp / "conf"
    shutil.copytree("/etc/speech-dispatcher", conf)
    text = (conf / "speechd.conf").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^#?\s*AudioOutputMethod .*$', 'AudioOutputMethod "alsa"', text)
    text = re.sub(r'(?m)^#?\s*AudioALSADevice .*$', 'AudioALSADevice "null"', text)
    (conf / "speechd.conf").write_text(text, encoding="utf-8")
    sock = tmp / "speechd.sock"
    from ui.speech_helper import NICE  # as the helper's autospawned daemon inherits it

    argv = ["nice", "-n", str(NICE), binary, "-s", "-t", "0", "-C", str(conf), "-c", "unix_socket",
            "-S", str(sock), "-L", str(tmp)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    os.environ["SPEECHD_ADDRESS"] = f"unix_socket:{sock}"
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.05)
    return proc


def _child_stall(with_speech: bool = False) -> None:
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, Qt, QTimer
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        real = with_speech and not os.environ.get("BENCH_SPEECH_MOCK")  # 1: Qt's silent engine
        daemon = _private_speech_dispatcher(Path(tmp)) if real else None
        engine = None
        if with_speech:
            from ui.audio import QtSpeechEngine

            engine = QtSpeechEngine("speechd" if daemon is not None else "mock")
        data = Path(tmp) / "data"
        data.mkdir()
        services, ui, driver = _demo(data, slow=True, speech_engine=engine)
        said: list[int] = []
        if with_speech:
            ui.speech.spoken.connect(lambda utterances: said.append(len(utterances)))
            deadline = time.monotonic() + 60
            while not ui.speech.available:
                if time.monotonic() > deadline:
                    raise SystemExit(f"speech engine not ready: {ui.speech.detail}")
                QCoreApplication.processEvents()
                time.sleep(0.01)
            ui.speech.begin()
        driver.screen("attract")
        import gc

        driver.pump(lambda: gc.get_freeze_count() > 0, "the warm-up after start (kiosk.warmup)")
        for _ in range(20):  # let the first frames render before measuring
            QCoreApplication.processEvents()
        clock = QElapsedTimer()
        gaps: list[int] = []
        heartbeat = QTimer()
        heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        heartbeat.setInterval(1)
        heartbeat.timeout.connect(lambda: gaps.append(clock.restart()))
        clock.start()
        heartbeat.start()
        started = time.monotonic()
        driver.session()
        heartbeat.stop()
        took = time.monotonic() - started
        detail = ui.speech.detail.split(" (")[0] if with_speech else "off"
        ui.close(wait=True)
        services.close()
        if daemon is not None:
            os.killpg(daemon.pid, 15)
            daemon.wait(10)
    ordered = sorted(gaps)
    print(f"{max(gaps)} {ordered[len(ordered) * 99 // 100]} {took:.2f} {len(gaps)} {len(said)} {detail}",
          flush=True)
    del app


def _child_rss() -> None:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication([])
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        services, ui, driver = _demo(Path(tmp), slow=False)
        rss_after_first = 0.0
        for n in range(SESSIONS):
            driver.session()
            if n == 0:
                rss_after_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ui.close(wait=True)
        services.close()
    print(f"{peak:.1f} {rss_after_first:.1f}", flush=True)
    del app


def _run_child(part: str) -> str:
    """The part in a fresh process with the kiosk's allocator settings (``kiosk run`` has them)."""
    from kiosk.memory import runtime_env_missing

    env = {**os.environ, **runtime_env_missing(os.environ)}
    proc = subprocess.run([sys.executable, __file__, "--child", part], capture_output=True,
                          text=True, timeout=300, check=False, env=env)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{part} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout.strip().splitlines()[-1]


def main() -> None:
    minimal, first, ready = _cold_start()
    a, m, r = statistics.median(first), statistics.median(minimal), statistics.median(ready)
    print(f"cold start to first frame: kiosk run {a * 1000:.0f} ms, minimal QML window {m * 1000:.0f} ms "
          f"(median of {RUNS}); ratio {a / m:.2f} (target <= 2.0)")  # fmt: skip
    print(f"  runs: kiosk {' '.join(f'{x * 1000:.0f}' for x in first)}; "
          f"minimal {' '.join(f'{x * 1000:.0f}' for x in minimal)} ms")  # fmt: skip
    print(f"  ready to serve (services built, recovery run; READY=1): {r * 1000:.0f} ms after launch")

    worst, p99, took, beats, _, _ = _run_child("stall").split()
    print(f"GUI thread during one sale on the real demo services with slow devices ({float(took):.1f} s, {beats} "
          f"heartbeats): longest stall {worst} ms, p99 {p99} ms (target < 50 ms)")  # fmt: skip
    worst, p99, took, beats, said, engine = _run_child("stall_speech").split()
    print(f"  with audio guidance on ({engine} engine, {said} requests spoken; {float(took):.1f} s, {beats} "
          f"heartbeats): longest stall {worst} ms, p99 {p99} ms (target < 50 ms)")  # fmt: skip

    peak, first = _run_child("rss").split()
    print(f"peak RSS after {SESSIONS} sessions on the real demo services: {peak} MiB (after the first: {first} MiB; "
          f"target <= 200 MiB)")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        part = sys.argv[2]
        if part == "stall":
            _child_stall()
        elif part == "stall_speech":
            _child_stall(with_speech=True)
        elif part == "rss":
            _child_rss()
        else:
            raise SystemExit(f"unknown part {part}")
        sys.stdout.flush()
        os._exit(0)  # skip interpreter teardown of Qt objects: the figures are printed
    else:
        main()
