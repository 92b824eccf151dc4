"""Give freed heap memory back to the operating system between customers.

Why: a kiosk runs for months. Each session allocates and frees many small blocks
(screens, images, journal rows) on several threads; glibc keeps what was freed in
its arenas, so the resident size creeps up by a few KiB per session although
nothing leaks (``make soak`` measured +4 KiB/session without this, none with it).
``malloc_trim(0)`` returns the free pages. It takes a few milliseconds and locks the
allocator's arenas meanwhile, so it runs off the GUI thread, when a session ends.

The kiosk process also runs with :data:`RUNTIME_ENV` (``kiosk run`` re-executes
itself with it when it is not set). Measured with ``make soak`` (sessions 500 to
1,000; neither allocator's live memory grew): Python's own small-object allocator
keeps pages it once used in its 1 MiB arenas for good, and a few long-lived objects
per session spread over them, so the resident size crept up by about 1 MiB per 500
sessions; with ``PYTHONMALLOC=malloc`` those blocks live in glibc's heap, whose free
pages ``malloc_trim`` gives back. ``MALLOC_ARENA_MAX=2`` stops each short-lived
thread (Qt's pool comes and goes) from spreading the heap over arenas of its own.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

_trim: Callable[[int], int] | None = None
_looked = False


def _malloc_trim() -> Callable[[int], int] | None:
    global _trim, _looked
    if not _looked:
        _looked = True
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _trim = libc.malloc_trim
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
            log.debug("malloc_trim not available; freed memory stays with the allocator")
    return _trim


def release_free_memory() -> bool:
    """Return free heap pages to the OS; ``True`` when the allocator gave some back."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


#: The allocator settings of a long-running kiosk process (read when the interpreter
#: starts, so they must be in the environment before it does).
RUNTIME_ENV: Mapping[str, str] = {"PYTHONMALLOC": "malloc", "MALLOC_ARENA_MAX": "2"}


def runtime_env_missing(environ: Mapping[str, str]) -> dict[str, str]:
    """What :data:`RUNTIME_ENV` would add to ``environ`` (a value already set, even a
    different one, is the operator's choice and stays)."""
    return {k: v for k, v in RUNTIME_ENV.items() if k not in environ}


def reexec_with_runtime_env() -> None:
    """Re-execute this process (same PID, arguments and file descriptors) with
    :data:`RUNTIME_ENV` when any of it is missing; return when nothing is missing or the
    exec is not possible (logged: the kiosk then runs with the default allocator)."""
    missing = runtime_env_missing(os.environ)
    if not missing:
        return
    if not sys.executable or not sys.orig_argv:
        log.warning("cannot re-execute with %s: interpreter path unknown", missing)
        return
    env = {**os.environ, **missing}
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    except OSError as exc:
        log.warning("cannot re-execute with %s: %s; running with the default allocator",
                    missing, exc)
