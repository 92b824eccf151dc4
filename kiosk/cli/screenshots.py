"""``kiosk screenshots --out DIR [--lang all|en|zh|es] [--size WxH] [--large-text] [--contrast]
[--all-modes] [--check] [--speech]``: every screen to PNG.

Renders offscreen (no display needed): each screen, every failure screen, the
idle warning and the staff screens (PIN pad, technician, operator), per language
and orientation, as ``<screen>-<lang>-<w>x<h>[-large][-contrast].png``;
``--large-text`` and ``--contrast`` turn the customer's options on, ``--all-modes``
renders all four combinations. ``--check`` also reports any text cut off, box
spilling over or item off the window (exit 1 when there is one). ``--speech``
prints what audio guidance says on each screen (and renders nothing unless
``--out`` is given too); ``--headphones`` reads numbers in full, as private audio does.
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


def _speech(ctx: CliContext, args: argparse.Namespace) -> list[dict[str, str]]:
    from ui.screenshots import speech_scripts

    found = speech_scripts(ctx.settings, langs=LANGS[args.lang], private=True if args.headphones else None)
    return [{"screen": name, "lang": lang, "script": text} for name, lang, text in found]


def _screenshots(ctx: CliContext, args: argparse.Namespace) -> int:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # always offscreen, whatever the display
    if args.out is None and not args.speech:
        raise ConfigError("screenshots: give --out DIR (images) or --speech (the spoken script), or both")
    sizes = [parse_size(args.size)] if args.size else list(DEFAULT_SIZES)
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QGuiApplication

    from ui.screenshots import render

    app = QGuiApplication.instance() or QGuiApplication(["kiosk-screenshots"])
    from ui.layoutcheck import ALL_MODES, Mode

    if args.out is None:
        scripts = _speech(ctx, args)
        ctx.emit({"speech": scripts}, text="\n\n".join(f"== {s['screen']} ({s['lang']})\n{s['script']}"
                                                        for s in scripts))
        del app
        return 0

    modes = list(ALL_MODES) if args.all_modes else [Mode(bool(args.large_text), bool(args.contrast))]
    files = render(
        Path(args.out),
        ctx.settings,
        langs=LANGS[args.lang],
        sizes=[QSize(w, h) for w, h in sizes],
        modes=modes,
    )
    found: list[str] = []
    if args.check:
        found = check(ctx, LANGS[args.lang], [QSize(w, h) for w, h in sizes], modes)
    scripts = _speech(ctx, args) if args.speech else []
    del app
    spoken = [f"== {s['screen']} ({s['lang']})\n{s['script']}" for s in scripts]
    ctx.emit(
        {"out": str(Path(args.out).resolve()), "files": len(files), "problems": found,
         **({"speech": scripts} if args.speech else {})},
        text="\n".join([*spoken, f"wrote {len(files)} screenshots to {args.out}", *found]),
    )
    return 1 if found else 0


def check(ctx: CliContext, langs: Any, sizes: Any, modes: Any) -> list[str]:
    from PySide6.QtCore import QSize

    from ui.app import KioskUi
    from ui.layoutcheck import check_all

    ui = KioskUi(None, ctx.settings, size=QSize(1080, 1920))
    ui.controller.close()
    ui.window.show()
    try:
        return check_all(ui, langs=langs, sizes=sizes, modes=modes)
    finally:
        ui.close()
        ui.deleteLater()


def register(subparsers: argparse._SubParsersAction[Any], parent: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("screenshots", parents=[parent], help=summary("screenshots"))
    p.add_argument("--out", help="output directory for the images")
    p.add_argument("--lang", choices=sorted(LANGS), default="all", help="language (default all)")
    p.add_argument("--size", help="one size WxH (default both 1080x1920 and 1920x1080)")
    p.add_argument("--large-text", action="store_true", help="with the large-text option on")
    p.add_argument("--contrast", action="store_true", help="with the high-contrast option on")
    p.add_argument("--all-modes", action="store_true",
                   help="every combination of text size and contrast (4 images per screen)")
    p.add_argument("--check", action="store_true",
                   help="also report text cut off or items off the window (exit 1 if any)")
    p.add_argument("--speech", action="store_true",
                   help="print what audio guidance says on each screen (with --out: the images too)")
    p.add_argument("--headphones", action="store_true",
                   help="with --speech: numbers read in full, as with private audio ([speech] headphones)")
    p.set_defaults(func=_screenshots)
