"""``kiosk screenshots --out DIR [--lang all|en|zh|es] [--size WxH]``: every screen to PNG.

Renders offscreen (no display needed): each screen, every failure screen, the
idle warning and the staff screens (PIN pad, technician, operator), per language
and orientation, as ``<screen>-<lang>-<w>x<h>.png``.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from kiosk.cli import CliContext, summary
from kiosk.errors import ConfigError

LANGS = {"en": ("en",), "zh": ("zh_CN",), "es": ("es",), "all": ("en", "zh_CN", "es")}
DEFAULT_SIZES = ((1080, 1920), (1920, 1080))


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{3,5})x(\d{3,5})", text.strip())
    if match is None:
        raise ConfigError(f"bad --size {text!r}: expected WxH, e.g. 1080x1920")
    return int(match.group(1)), int(match.group(2))


def _screenshots(ctx: CliContext, args: argparse.Namespace) -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # always offscreen, whatever the display
    sizes = [parse_size(args.size)] if args.size else list(DEFAULT_SIZES)
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QGuiApplication

    from ui.screenshots import render

    app = QGuiApplication.instance() or QGuiApplication(["kiosk-screenshots"])
    files = render(
        Path(args.out),
        ctx.settings,
        langs=LANGS[args.lang],
        sizes=[QSize(w, h) for w, h in sizes],
    )
    del app
    ctx.emit(
        {"out": str(Path(args.out).resolve()), "files": len(files)},
        text=f"wrote {len(files)} screenshots to {args.out}",
    )
    return 0


def register(subparsers: argparse._SubParsersAction[Any], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("screenshots", parents=[parent], help=summary("screenshots"))
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--lang", choices=sorted(LANGS), default="all", help="language (default all)")
    p.add_argument("--size", help="one size WxH (default both 1080x1920 and 1920x1080)")
    p.set_defaults(func=_screenshots)
