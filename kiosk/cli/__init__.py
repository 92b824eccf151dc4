"""The ``kiosk`` command line: one entry point, subcommands from a registry.

Each subcommand module exposes ``register(subparsers) -> None``; the parser it
adds sets ``func(ctx, args) -> int`` as a default. Modules are imported when
the parser is built; a missing one is a programming error, not a silent skip.

Exit codes: 0 success, 1 failure (device, ledger, payment...), 2 usage or
configuration error, 3 no display. Under ``--json`` a failure prints
``{"error": CODE, "message": TEXT}`` on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import Settings, load_settings, resolve_config_path, resolve_data_dir
from kiosk.errors import ConfigError, KioskError

log = logging.getLogger(__name__)

#: Subcommand modules, in help order.
SUBCOMMANDS: tuple[str, ...] = (
    "kiosk.cli.run",
    "kiosk.cli.screenshots",
    "kiosk.cli.txn",
    "kiosk.cli.recover",
    "kiosk.cli.plans",
    "kiosk.cli.ledger",
    "kiosk.cli.sync",
    "kiosk.cli.diag",
    "kiosk.cli.card",
    "kiosk.cli.terminal",
    "kiosk.cli.technician",
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_NO_DISPLAY = 3


@dataclass
class CliContext:
    """What every subcommand gets: validated settings, the data directory, output mode."""

    settings: Settings
    data_dir: Path
    config_path: Path | None
    json: bool

    def emit(self, obj: dict[str, Any], text: str | None = None) -> None:
        """Print one result: a JSON object under ``--json``, else ``text`` (or key: value lines)."""
        if self.json:
            print(json.dumps(obj, ensure_ascii=False, default=str), flush=True)
        elif text is not None:
            print(text, flush=True)
        else:
            for key, value in obj.items():
                print(f"{key}: {value}", flush=True)


def common_options() -> argparse.ArgumentParser:
    """Options every subcommand accepts, before or after its name."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", default=argparse.SUPPRESS, help="TOML file (env KIOSK_CONFIG)")
    parent.add_argument("--data-dir", default=argparse.SUPPRESS, help="data directory (env KIOSK_DATA_DIR)")
    parent.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parent = common_options()
    parser = argparse.ArgumentParser(prog="kiosk", description="simkiosk prepaid top-up kiosk", parents=[parent])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        module = importlib.import_module(name)
        module.register(subparsers, parent)
    return parser


def _fail(error: KioskError, as_json: bool, exit_code: int) -> int:
    if as_json:
        print(json.dumps(error.as_json(), ensure_ascii=False), flush=True)
    print(f"kiosk: {error.message}", file=sys.stderr, flush=True)
    return exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    as_json = bool(getattr(args, "json", False))
    demo = bool(getattr(args, "demo", False))
    try:
        config_path = resolve_config_path(getattr(args, "config", None))
        settings = load_settings(config_path)
        if demo:
            settings = settings.demo()
        data_dir = resolve_data_dir(getattr(args, "data_dir", None), demo=demo, config_path=config_path)
    except ConfigError as exc:
        return _fail(exc, as_json, EXIT_USAGE)
    from kiosk.logs import setup_logging

    setup_logging(data_dir, settings.logging.level, quiet=as_json)
    ctx = CliContext(settings=settings, data_dir=data_dir, config_path=config_path, json=as_json)
    try:
        return int(args.func(ctx, args))
    except ConfigError as exc:
        return _fail(exc, as_json, EXIT_USAGE)
    except KioskError as exc:
        log.error("%s failed: %s", args.command, exc, extra={"error_code": exc.code})
        return _fail(exc, as_json, EXIT_FAILURE)
    except KeyboardInterrupt:
        return 130


def run() -> None:
    sys.exit(main())
