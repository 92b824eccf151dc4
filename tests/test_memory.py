"""kiosk.memory: freed heap pages go back to the OS (glibc), never an error elsewhere; the
kiosk runs with its allocator settings; the ledger's SQLite cache is bounded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from kiosk.memory import RUNTIME_ENV, release_free_memory, runtime_env_missing


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def test_freed_memory_goes_back_to_the_os() -> None:
    # ~40 MiB of malloc'd blocks freed below a block still in use: free() keeps them (only
    # the top of the heap goes back by itself); a session's garbage looks like this
    blocks = [bytearray(2000) for _ in range(20_000)]
    pinned = bytearray(2000)
    del blocks
    before = _rss_kib()
    assert release_free_memory() is True
    assert _rss_kib() < before - 16 * 1024
    assert pinned


def test_warm_up_imports_the_sale_modules_and_freezes_the_heap() -> None:
    """In a fresh process (a frozen heap is for good): the modules are loaded, a missing
    one is only logged, and what exists is out of the collector's way."""
    import subprocess
    import sys

    code = ("import gc, sys\nfrom kiosk.warmup import SALE_MODULES, warm_up\n"
            "assert 'segno' not in sys.modules and gc.get_freeze_count() == 0\n"
            "warm_up(SALE_MODULES + ('no_such_module_here',))\n"
            "assert all(m in sys.modules for m in SALE_MODULES), SALE_MODULES\n"
            "print(gc.get_freeze_count())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 10_000
    assert "cannot import no_such_module_here" in proc.stderr


def _environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as fh:
        pairs = [item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode() for k, v in pairs}


def test_kiosk_run_re_executes_itself_in_place_with_the_runtime_allocator(tmp_path: Path) -> None:
    """Same PID (systemd's notify and watchdog follow it), the allocator settings set,
    and the first notification comes from the re-executed process."""
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(60)
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
    env.update(NOTIFY_SOCKET=path, QT_QPA_PLATFORM="offscreen", KIOSK_DATA_DIR=str(tmp_path / "data"))
    with open(tmp_path / "stderr", "wb") as err:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("kiosk")), "run", "--demo"], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        assert sock.recv(4096).startswith(b"STATUS="), (tmp_path / "stderr").read_text()  # the UI is up
        seen = _environ_of(proc.pid)
        assert proc.poll() is None
        assert {k: seen.get(k) for k in RUNTIME_ENV} == dict(RUNTIME_ENV)
    finally:
        sock.close()
        proc.terminate()
        proc.wait(30)


def test_a_value_the_operator_set_stays_and_the_re_execution_keeps_the_pid() -> None:
    assert runtime_env_missing({"PYTHONMALLOC": "pymalloc"}) == {"MALLOC_ARENA_MAX": "2"}
    assert runtime_env_missing(dict(RUNTIME_ENV)) == {}
    code = ("import os\nprint('start', os.getpid(), flush=True)\n"
            "from kiosk.memory import reexec_with_runtime_env\nreexec_with_runtime_env()\n"
            "print('after', os.getpid(), os.environ['PYTHONMALLOC'], os.environ['MALLOC_ARENA_MAX'])\n")
    env = {k: v for k, v in os.environ.items() if k not in RUNTIME_ENV}
    env["PYTHONMALLOC"] = "pymalloc_debug"  # the operator's choice
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    pid = out[0].split()[1]
    assert out[:3] == [f"start {pid}", f"start {pid}", f"after {pid} pymalloc_debug 2"]


def test_the_ledger_caps_sqlite_s_page_cache(tmp_path: Path) -> None:
    from kiosk.ledger.store import LEDGER_CACHE_KIB, Ledger

    ledger = Ledger.open(None, tmp_path)
    try:
        with ledger._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -LEDGER_CACHE_KIB
    finally:
        ledger.close()


def test_main_called_with_arguments_never_re_executes() -> None:
    """Only the command line re-executes: ``main(["run"])`` from Python code (a test, a
    tool) must not replace the calling process. Without a display it stops at once."""
    code = ("import os\nfrom kiosk.cli import main\nprint('start', os.getpid(), flush=True)\n"
            "print('returned', main(['run']), os.environ.get('PYTHONMALLOC'), flush=True)\n")
    env = {k: v for k, v in os.environ.items()
           if k not in RUNTIME_ENV and k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60).stdout.split("\n")
    assert out[0].startswith("start ") and out[1] == "returned 3 None", out
