"""``kiosk run [--demo] [--windowed] [--lang en|zh|es]``: the customer-facing kiosk.

Checks for a display before Qt is touched: without one Qt would abort the
process, so this exits with code 3 and one line saying what is missing.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from kiosk.cli import EXIT_NO_DISPLAY, CliContext, summary

log = logging.getLogger(__name__)

#: Qt platform plugins that draw without an X11/Wayland server.
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "eglfs", "linuxfb", "vnc", "vkkhrdisplay"})
LANG_CHOICES = {"en": "en", "zh": "zh_CN", "es": "es"}


def display_problem(environ: Mapping[str, str]) -> str | None:
    """Why no window can be opened, or ``None`` when one can."""
    platform = environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip()
    if platform in HEADLESS_PLATFORMS:
        return None
    if platform.startswith("wayland"):
        return None if environ.get("WAYLAND_DISPLAY") else "no display: WAYLAND_DISPLAY is not set"
    if platform == "xcb":
        return None if environ.get("DISPLAY") else "no display: DISPLAY is not set"
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display: set DISPLAY or WAYLAND_DISPLAY (or QT_QPA_PLATFORM=offscreen), "
        "e.g. run under xvfb-run"
    )


def build_services(ctx: CliContext) -> Any:
    """The composition root's services, or ``None`` until ``kiosk.app`` exists.

    Called by the UI on its control lane after the attract screen's first frame, so
    importing SQLAlchemy and the adapters does not delay it. Crash recovery is *not*
    run here: the UI runs it (``services.recover``) next, on the same lane, while the
    customer flow waits, so a slow terminal cannot freeze the screen past the systemd
    watchdog.
    """
    try:
        app = importlib.import_module("kiosk.app")
    except ModuleNotFoundError as exc:
        if exc.name != "kiosk.app":
            raise
        log.warning("kiosk.app is not available yet: running the UI without devices")
        return None
    return app.build_services(ctx.settings, ctx.data_dir, recover_now=False)


def _run(ctx: CliContext, args: argparse.Namespace) -> int:
    problem = display_problem(os.environ)
    if problem is not None:
        if ctx.json:
            ctx.emit({"error": "no_display", "message": problem})
        print(f"kiosk: {problem}", file=sys.stderr, flush=True)
        return EXIT_NO_DISPLAY
    from ui.app import run

    return run(
        lambda: build_services(ctx),  # closed by the UI on the way out
        ctx.settings,
        demo=bool(args.demo),
        windowed=bool(args.windowed),
        lang=LANG_CHOICES[args.lang] if args.lang else None,
    )


def register(subparsers: argparse._SubParsersAction[Any], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("run", parents=[parent], help=summary("run"))
    p.add_argument("--demo", action="store_true", help="simulated devices and the demo panel (F2)")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen")
    p.add_argument("--lang", choices=sorted(LANG_CHOICES), help="start language")
    p.set_defaults(func=_run)
