"""``make soak``: complete simulated sessions through the real UI, offscreen, watching for leaks.

Each session is a whole sale: attract → language → insert SIM (the simulated
reader, real SIM decoding) → account → plans → confirm → pay (the simulated
terminal, short delays) → success (receipt from the file printer, QR code) →
attract, with the SIM pulled. Everything runs through the real composition
root (``kiosk.app.build_services`` with demo settings), the real saga and
ledger, the real QML screens (each screen is built and torn down every
session) and the real session controller; the touches are the same intents
the QML buttons send.

Prints RSS, open file descriptors and threads at the start, after the warm-up
(session 500) and at the end; exits 1 if RSS grew by more than 1 MiB from
session 500 to the end, or if file descriptors or threads grew at all (Qt's
pool threads, which start and end on demand, and their eventfds are counted
apart and only held to the pool's size). It runs with the kiosk's allocator
settings (``kiosk.memory.RUNTIME_ENV``, re-executing itself like ``kiosk run``),
and the kiosk gives freed heap back to the OS between customers
(``kiosk/memory.py``).

Usage: ``python bench/soak.py [--sessions 1000] [--warmup 500] [--max-growth-mib 1]``
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SESSION_TIMEOUT_S = 30.0


@dataclasses.dataclass(frozen=True)
class Sample:
    sessions: int
    rss_mib: float
    fds: int  # eventfds not included (Qt's pool threads each have one)
    os_threads: int  # Qt's pool threads not included
    py_threads: int
    elapsed_s: float
    pooled: int = 0  # Qt pool threads
    eventfds: int = 0


#: Qt's global thread pool starts threads on demand and ends them after 30 s idle (each
#: with an eventfd): they are counted apart, so the leak checks compare like with like
POOLED_THREAD = "Thread (pooled)"


def _threads() -> tuple[int, int]:
    """(OS threads other than Qt's pool threads, Qt pool threads)."""
    pooled = other = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm", encoding="utf-8") as fh:
                name = fh.read().strip()
        except FileNotFoundError:  # ended meanwhile
            continue
        if name == POOLED_THREAD:
            pooled += 1
        else:
            other += 1
    return other, pooled


def _fds() -> tuple[int, int]:
    """(open file descriptors other than eventfds, eventfds)."""
    events = other = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:
            continue
        if target == "anon_inode:[eventfd]":
            events += 1
        else:
            other += 1
    return other, events


def _status_field(name: str) -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{name} not in /proc/self/status")


def sample(sessions: int, started: float) -> Sample:
    """RSS of what is alive: a full collection frees cyclic garbage (which the kiosk's own
    automatic collections free later anyway), then the freed heap goes back to the OS as
    the kiosk does between customers (``kiosk.memory``); without that second step the
    collection's garbage would stay in the allocator and be counted as growth."""
    from kiosk.memory import release_free_memory

    gc.collect()
    release_free_memory()
    fds, eventfds = _fds()
    os_threads, pooled = _threads()
    return Sample(
        sessions=sessions,
        rss_mib=_status_field("VmRSS") / 1024,
        fds=fds,
        os_threads=os_threads,
        py_threads=threading.active_count(),
        elapsed_s=time.monotonic() - started,
        pooled=pooled,
        eventfds=eventfds,
    )


class Driver:
    """Runs sessions on the kiosk UI, pumping the Qt event loop while it waits."""

    def __init__(self, ui: Any, services: Any) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        self.ui = ui
        self.services = services
        self.loader = ui.find("screenLoader")
        self.unprinted = 0
        # A real event loop, as in the kiosk: processEvents() alone never runs deferred
        # deletes, so replaced screens would pile up and look like a leak.
        self._loop = QEventLoop()
        self._poll = QTimer()
        self._poll.setInterval(2)
        self._until: Any = None
        self._poll.timeout.connect(self._check)

    def _check(self) -> None:
        if self._until is None or self._until():
            self._loop.quit()

    def pump(self, until: Any, what: str) -> None:
        if until():
            return
        deadline = time.monotonic() + SESSION_TIMEOUT_S
        self._until = lambda: until() or time.monotonic() > deadline
        self._poll.start()
        self._loop.exec()
        self._poll.stop()
        self._until = None
        if not until():
            raise TimeoutError(f"timed out waiting for {what} (screen {self.ui.controller.screen})")

    def screen(self, name: str) -> None:
        """Wait until the controller is on ``name`` and its QML screen is built."""
        object_name = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(name.split("_"))) + "Screen"

        def shown() -> bool:
            item = self.loader.property("item")
            return (self.ui.controller.screen == name and item is not None
                    and item.objectName() == object_name and self.loader.property("progress") == 1.0)

        self.pump(shown, name)

    def session(self) -> None:
        c = self.ui.controller
        self.screen("attract")
        c.send("touch")
        self.screen("language")
        c.send("choose_language", "en")
        self.screen("insert_sim")
        self.services.reader.insert("T-Mobile")
        self.screen("account")
        self.pump(lambda: c.session.plans is not None, "plans")
        c.send("next")
        self.screen("plans")
        plan = c.session.plans[0]
        c.send("choose_plan", plan.id)
        self.screen("confirm")
        c.send("pay")
        # the receipt may fail to print on an overloaded machine: the sale is complete either way
        self.pump(lambda: c.screen in ("success", "printer_out_of_paper"), "success")
        if c.screen != "success":
            self.unprinted += 1
        self.screen(c.screen)
        self.services.reader.pull()
        c.send("next")
        self.screen("attract")


def _snapshot() -> Any:
    import tracemalloc

    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, "<frozen importlib._bootstrap>")])


def _print_growth(before: Any, after: Any, sessions: int, top: int = 15) -> None:
    """Where Python memory grew between the two snapshots (by allocating line)."""
    stats = after.compare_to(before, "traceback")
    grown = [s for s in stats if s.size_diff > 0]
    total = sum(s.size_diff for s in stats)
    print(f"tracemalloc: Python heap {total / 1024:+.1f} KiB over {sessions} sessions "
          f"({total / 1024 / sessions:+.2f} KiB/session); largest growths:")
    for stat in grown[:top]:
        frame = stat.traceback[-1]
        where = " <- ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in list(stat.traceback)[-4:][::-1])
        print(f"  {stat.size_diff / 1024:+8.1f} KiB {stat.count_diff:+6d} blocks  {where}")
        del frame


#: after the warm-up, RSS is sampled every this many sessions for the fitted trend
EVERY = 10


def fitted_growth_mib(trend: list[Sample]) -> float:
    """Least-squares slope of RSS over the sessions, times their span: single samples
    swing by a MiB or two (the allocator, the QML engine's garbage collector), a trend
    over 50 samples does not."""
    xs = [float(s.sessions) for s in trend]
    ys = [s.rss_mib for s in trend]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    return slope * (xs[-1] - xs[0])


def run(sessions: int, warmup: int, trace: bool = False) -> tuple[list[Sample], list[Sample]]:
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QGuiApplication

    from kiosk.app import build_services
    from kiosk.config import Settings
    from payment.simulated import SimulatedDelays
    from ui.app import KioskUi

    app = QGuiApplication.instance() or QGuiApplication(["kiosk-soak"])
    snapshots: list[Any] = []
    if trace:
        import tracemalloc

        tracemalloc.start(8)
    started = time.monotonic()
    samples = [sample(0, started)]
    trend: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp:
        settings = Settings().demo()
        services = build_services(settings, Path(tmp))
        terminal: Any = services.terminal
        terminal.set_delays(SimulatedDelays(card_s=0.01, pin_s=0.01, processing_s=0.01, remove_s=0.0))
        ui = KioskUi(services, settings, size=QSize(540, 960))
        ui.window.show()
        driver = Driver(ui, services)
        try:
            for n in range(1, sessions + 1):
                driver.session()
                if n in (warmup, sessions):
                    if trace:
                        snapshots.append(_snapshot())
                    samples.append(sample(n, started))
                    trend.append(samples[-1])
                    s = samples[-1]
                    print(f"  after {n:5d} sessions: RSS {s.rss_mib:7.1f} MiB, fds {s.fds}, "
                          f"threads {s.os_threads} (python {s.py_threads}), {s.elapsed_s:6.1f} s", flush=True)
                elif n > warmup and n % EVERY == 0:
                    trend.append(sample(n, started))
                if n % 100 == 0 and n not in (warmup, sessions):
                    print(f"  {n:5d} sessions: RSS {_status_field('VmRSS') / 1024:7.1f} MiB, "
                          f"{time.monotonic() - started:6.1f} s", flush=True)
            if len(snapshots) == 2:
                _print_growth(snapshots[0], snapshots[1], sessions - warmup)
            if driver.unprinted:
                print(f"  receipts not printed (shown as QR only): {driver.unprinted}", flush=True)
            rows = list(services.ledger.transactions(states={"completed"}))
            if len(rows) != sessions:
                raise RuntimeError(f"{len(rows)} completed transactions in the ledger, expected {sessions}")
        finally:
            ui.close(wait=True)
            services.close()
            ui.deleteLater()
    del app
    return samples, trend


def _pool_max() -> int:
    from PySide6.QtCore import QThreadPool

    return int(QThreadPool.globalInstance().maxThreadCount())


def main(argv: list[str] | None = None) -> int:
    from kiosk.memory import RUNTIME_ENV, reexec_with_runtime_env

    reexec_with_runtime_env()  # the kiosk's allocator settings, as `kiosk run` has them
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--max-growth-mib", type=float, default=1.0)
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also print where the Python heap grew after the warm-up (slower)")
    args = parser.parse_args(argv)
    if not 0 < args.warmup < args.sessions:
        parser.error("need 0 < --warmup < --sessions")
    print(f"soak: {args.sessions} complete sessions through the real UI (offscreen) and simulators", flush=True)
    print("allocator: " + " ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in RUNTIME_ENV)
          + " (kiosk.memory.RUNTIME_ENV, as `kiosk run` runs)", flush=True)
    samples, trend = run(args.sessions, args.warmup, args.tracemalloc)
    start, warm, end = samples[0], samples[1], samples[-1]
    growth = fitted_growth_mib(trend)
    per_session_kib = growth * 1024 / (end.sessions - warm.sessions)
    print(f"RSS start {start.rss_mib:.1f} MiB, after {warm.sessions} {warm.rss_mib:.1f} MiB, "
          f"after {end.sessions} {end.rss_mib:.1f} MiB (endpoints differ by "
          f"{end.rss_mib - warm.rss_mib:+.1f} MiB)")
    print(f"RSS growth {warm.sessions}->{end.sessions}, fitted over {len(trend)} samples: {growth:+.2f} MiB "
          f"({per_session_kib:+.2f} KiB/session; limit {args.max_growth_mib:g} MiB)")
    print(f"open fds: start {start.fds}, after {warm.sessions} {warm.fds}, after {end.sessions} {end.fds} "
          f"(and eventfds {warm.eventfds} -> {end.eventfds})")
    print(f"threads (OS): start {start.os_threads}, after {warm.sessions} {warm.os_threads}, "
          f"after {end.sessions} {end.os_threads}; python {warm.py_threads} -> {end.py_threads}; "
          f"Qt pool threads {warm.pooled} -> {end.pooled} (they come and go)")
    print(f"time: {end.elapsed_s:.0f} s ({end.elapsed_s / end.sessions * 1000:.0f} ms/session)")
    failures = []
    if growth > args.max_growth_mib:
        failures.append(f"RSS grew {growth:.1f} MiB")
    if end.fds > warm.fds:
        failures.append(f"fds grew {warm.fds} -> {end.fds}")
    pool_max = _pool_max()
    if end.pooled > pool_max or end.eventfds > warm.eventfds + pool_max:
        failures.append(f"Qt pool threads {end.pooled} / eventfds {end.eventfds} beyond the pool's "
                        f"{pool_max} threads")
    if end.os_threads > warm.os_threads or end.py_threads > warm.py_threads:
        failures.append(f"threads grew {warm.os_threads} -> {end.os_threads}")
    if failures:
        print("SOAK FAILED: " + "; ".join(failures))
        return 1
    print("soak OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
