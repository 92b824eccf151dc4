"""The ``kiosk`` command line: one entry point, subcommands from a registry.

Each subcommand module exposes ``register(subparsers) -> None``; the parser it
adds sets ``func(ctx, args) -> int`` as a default. Modules are imported when
the parser is built; a missing one is a programming error, not a silent skip.

Exit codes: 0 success, 1 failure (device, ledger, payment...), 2 usage or
configuration error (also bad input refused before anything happened: an
invalid phone number, a plan of another carrier), 3 no display. Under ``--json``
a failure prints ``{"error": CODE, "message": TEXT}`` on stdout.

Output into a closed pipe (``kiosk plans --json | head -c 100``) ends the command
quietly with exit 1, never with a BrokenPipe traceback; what the command did
(a sale, a recovery) is in the ledger either way.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import Settings, check_data_dir, load_settings, resolve_config_path, resolve_data_dir
from kiosk.errors import ConfigError, KioskError

log = logging.getLogger(__name__)

#: Subcommands in help order: name → (module, one-line help). A module is imported
#: only when its command runs, so ``kiosk run`` does not pay for ``kiosk diag``.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "run": ("kiosk.cli.run", "run the kiosk (touch UI)"),
    "screenshots": ("kiosk.cli.screenshots", "render every screen to PNG"),
    "txn": ("kiosk.cli.txn", "run a money transaction without the UI"),
    "recover": ("kiosk.cli.recover", "finish or reverse interrupted transactions"),
    "plans": ("kiosk.cli.plans", "list the plans on sale"),
    "ledger": ("kiosk.cli.ledger", "export, verify or back up the ledger"),
    "sync": ("kiosk.cli.sync", "send ledger events and a heartbeat to the backend"),
    "diag": ("kiosk.cli.diag", "check every device and the ledger; advice for each fault"),
    "card": ("kiosk.cli.card", "read the SIM card"),
    "terminal": ("kiosk.cli.terminal", "payment terminal (ZVT) commands"),
    "technician": ("kiosk.cli.technician", "technician PIN: hash, status, unlock"),
}


def summary(command: str) -> str:
    """The one-line help of ``command`` (its module's ``register`` passes it on)."""
    return SUBCOMMANDS[command][1]


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


class _VersionAction(argparse.Action):
    """``kiosk --version``: ``simkiosk X.Y.Z`` from the installed distribution's metadata.

    Looked up only when asked (``importlib.metadata`` costs milliseconds every start would
    pay); the deploy scripts' smoke run compares it with the release's build stamp."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("simkiosk")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"simkiosk {found}", flush=True)
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's full parser (``command`` None), or only ``command``'s with the others
    listed by name and help; ``""`` lists them all without importing any."""
    parent = common_options()
    parser = argparse.ArgumentParser(prog="kiosk", description="simkiosk prepaid top-up kiosk", parents=[parent])
    parser.add_argument("--version", action=_VersionAction, help="print the installed version and exit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if command is None or name == command:
            importlib.import_module(module_name).register(subparsers, parent)
        else:  # listed only; its options are checked by the full parser
            subparsers.add_parser(name, help=help_text, parents=[parent], add_help=False)
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Find the command with the light parser, then parse with that command's full one."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = build_parser("").parse_known_args(args)[0].command  # exits on --help, or no command
    return build_parser(command).parse_args(args)


def _fail(error: KioskError, as_json: bool, exit_code: int) -> int:
    if as_json:
        print(json.dumps(error.as_json(), ensure_ascii=False), flush=True)
    with contextlib.suppress(OSError):  # a closed stderr must not turn one line into a traceback
        print(f"kiosk: {error.message}", file=sys.stderr, flush=True)
    return exit_code


def exit_code_for(error: KioskError) -> int:
    """2 for configuration and input the command refused before doing anything, else 1."""
    if isinstance(error, ConfigError) or getattr(error, "usage_error", False):
        return EXIT_USAGE
    return EXIT_FAILURE


def uses_data_dir(args: argparse.Namespace) -> bool:
    """Every command but these keeps its ledger, locks, logs or simulator state in the data
    directory: a PIN hash, a card read and screenshots work without one (logs aside), and
    ``kiosk run`` shows "Out of service" (its start-up names the directory in the log)
    rather than leave the screen blank."""
    if args.command in ("screenshots", "card", "run"):
        return False
    return not (args.command == "technician" and getattr(args, "technician_command", "") == "hash-pin")


def _silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush is quiet."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        code = _main(argv)
        sys.stdout.flush()  # what a command wrote without flushing (an export to stdout)
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        _silence_stdout()
        return EXIT_FAILURE


def _main(argv: Sequence[str] | None) -> int:
    args = parse_args(argv)
    if argv is None and args.command == "run":  # the kiosk itself, from a command line
        from kiosk.memory import reexec_with_runtime_env

        reexec_with_runtime_env()  # with the kiosk's allocator settings, unless they are set
    as_json = bool(getattr(args, "json", False))
    demo = bool(getattr(args, "demo", False))
    try:
        config_path = resolve_config_path(getattr(args, "config", None))
        settings = load_settings(config_path)
        if demo:
            settings = settings.demo()
        data_dir = resolve_data_dir(getattr(args, "data_dir", None), demo=demo, config_path=config_path)
        if uses_data_dir(args):  # a bad one is this one line, not "cannot write logs" too
            check_data_dir(data_dir)
    except ConfigError as exc:
        return _fail(exc, as_json, EXIT_USAGE)
    from kiosk.logs import setup_logging

    log_problem = setup_logging(data_dir, settings.logging.level, quiet=as_json, report=False)
    if log_problem is not None:
        with contextlib.suppress(OSError):
            print(f"kiosk: {log_problem}", file=sys.stderr, flush=True)
    ctx = CliContext(settings=settings, data_dir=data_dir, config_path=config_path, json=as_json)
    try:
        return int(args.func(ctx, args))
    except KioskError as exc:
        code = exit_code_for(exc)
        if code != EXIT_USAGE:  # to the log file; stderr gets the one line below
            log.error("%s failed: %s", args.command, exc, extra={"error_code": exc.code, "on_stderr": False})
        return _fail(exc, as_json, code)
    except KeyboardInterrupt:
        return 130


def run() -> None:
    sys.exit(main())
