"""kiosk.memory: freed heap pages go back to the OS (glibc), never an error elsewhere."""

from __future__ import annotations

from kiosk.memory import release_free_memory


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
