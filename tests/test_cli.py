"""The ``kiosk`` command line: one parser per command, imported only when it runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import SUBCOMMANDS, build_parser, parse_args


def test_every_command_registers_under_its_name_with_its_summary() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == list(SUBCOMMANDS)
    listed = {action.dest: action.help for action in sub._choices_actions}
    assert listed == {name: help_text for name, (_module, help_text) in SUBCOMMANDS.items()}


def test_running_one_command_imports_no_other_command() -> None:
    script = (
        "import sys; from kiosk.cli import parse_args\n"
        "args = parse_args(['--data-dir', '/tmp/x', 'run', '--demo', '--lang', 'es'])\n"
        "print(args.command, args.demo, args.lang, args.data_dir)\n"
        "print(sorted(m for m in sys.modules if m.startswith('kiosk.cli.')))\n"
        "print('kiosk.diagnostics' in sys.modules, 'sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         timeout=60).stdout.splitlines()
    assert out == ["run True es /tmp/x", "['kiosk.cli.run']", "False False"]


def test_options_of_the_command_are_checked_by_its_full_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["run", "--lang", "fr"])
    assert exc.value.code == 2 and "invalid choice: 'fr'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        parse_args(["nope"])
    assert exc.value.code == 2 and "invalid choice: 'nope'" in capsys.readouterr().err
    args = parse_args(["ledger", "export", "--format", "jsonl", "--json"])
    assert (args.command, args.ledger_command, args.json) == ("ledger", "export", True)


def test_help_lists_every_command_and_each_command_its_own_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per command
    with pytest.raises(SystemExit) as exc:
        parse_args(["--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    for name, (_module, help_text) in SUBCOMMANDS.items():
        assert name in out and help_text in out
    with pytest.raises(SystemExit):
        parse_args(["diag", "--help"])
    assert "--only CHECK" in capsys.readouterr().out  # the command's own options


# --------------------------------------------------------------------------- output into a closed pipe

DEMO_ENV = {"KIOSK_PROVIDER_BACKEND": "simulated", "KIOSK_TERMINAL_BACKEND": "simulated",
            "KIOSK_READER_BACKEND": "simulated", "KIOSK_PRINTER_BACKEND": "none"}


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return {**env, **DEMO_ENV, "KIOSK_DATA_DIR": str(data_dir)}


def test_piped_into_head_prints_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(f"{sys.executable} -m kiosk plans --json | head -c 100", shell=True, capture_output=True,
                          text=True, timeout=60, env=_env(tmp_path), executable="/bin/bash")
    assert len(proc.stdout) == 100
    assert proc.stderr == "", proc.stderr


CLOSED_STDOUT_COMMANDS = [
    ["plans", "--json"], ["plans"], ["--help"], ["recover", "--json"], ["ledger", "export", "--format", "jsonl"],
    ["technician", "status"], ["nope"],
]


def test_every_command_survives_a_closed_stdout(tmp_path: Path) -> None:
    """The reader is gone before the command writes: EPIPE ends it quietly, never a traceback
    (the commands run side by side: each is a fresh interpreter)."""
    procs = []
    for i, argv in enumerate(CLOSED_STDOUT_COMMANDS):
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", *argv], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env(tmp_path / str(i)))
        assert proc.stdout is not None
        proc.stdout.close()
        procs.append((argv, proc))
    for argv, proc in procs:
        assert proc.stderr is not None
        err = proc.stderr.read()
        rc = proc.wait(timeout=60)
        assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, (argv, err)
        assert rc in (0, 1, 2), (argv, rc)


# --------------------------------------------------------------------------- a receipt folder that cannot exist


def test_an_uncreatable_printer_folder_is_one_line_and_exit_2_for_every_command_that_builds_it(
        tmp_path: Path) -> None:
    """``[printer] path`` under /proc: the printer is built before the device checks, so a
    folder made in its constructor was a traceback (exit 1). Real processes, side by side."""
    env = {**_env(tmp_path), "KIOSK_PRINTER_BACKEND": "file", "KIOSK_PRINTER_PATH": "/proc/x/r.escpos"}
    runs = {
        "txn": ["txn", "run", "--plan", "tmo-unl-40", "--msisdn", "2025550101"],
        "diag": ["diag", "--json", "--only", "startup", "--only", "printer", "--only", "ledger"],
        "recover": ["recover"],
    }
    procs = {name: subprocess.Popen([sys.executable, "-m", "kiosk", *argv], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=env)
             for name, argv in runs.items()}
    done = {name: (*proc.communicate(timeout=60), proc.returncode) for name, proc in procs.items()}
    line = "[printer] path: cannot create /proc/x: No such file or directory"
    out, err, rc = done["txn"]
    assert rc == 2 and err == f"kiosk: {line}\n" and out == ""
    out, err, rc = done["diag"]  # every check still reported; the configuration problem sets the exit code
    report = json.loads(out)
    assert rc == 2 and "Traceback" not in err
    assert {c["name"]: (c["ok"], c["detail"]) for c in report["checks"]}.items() >= {
        "startup": (False, line), "printer": (False, line)}.items()
    out, err, rc = done["recover"]  # settling money needs no printer
    assert rc == 0 and "Traceback" not in err, err


# --------------------------------------------------------------------------- a refusal is one line


def test_refusals_are_one_line_each(tmp_path: Path) -> None:
    """Terminal busy, the catalog from the cache, a data directory that is a file: the
    refusal (or notice) is one line; the log line behind it goes to the log file only."""
    from kiosk.config import load_settings
    from kiosk.lease import LOCK_DIR, TerminalLock, terminal_identity
    from kiosk.topup.simulated import SimulatedProvider

    busy, cached, a_file = tmp_path / "busy", tmp_path / "cached", tmp_path / "a-file"
    a_file.write_text("")
    env = _env(busy)
    sale = ["txn", "run", "--plan", "tmo-unl-40", "--msisdn", "2025550101"]
    subprocess.run([sys.executable, "-m", "kiosk", "plans"], env=_env(cached), check=True, capture_output=True,
                   timeout=60)  # a good catalog, kept
    SimulatedProvider(cached).set_control(mode="unreachable")
    lock = TerminalLock(terminal_identity(load_settings(None, env).terminal), busy / LOCK_DIR)
    lock.acquire(0)  # a sale of another process
    try:
        runs = {
            "busy": (sale, {**env, "KIOSK_TERMINAL_LOCK_WAIT_S": "0.2"}),
            "busy_json": ([*sale, "--json"], {**env, "KIOSK_TERMINAL_LOCK_WAIT_S": "0.2"}),
            "cached": (["plans"], _env(cached)),
            **{f"file_{i}": (argv, _env(a_file)) for i, argv in enumerate([sale, ["plans"], ["recover", "--json"]])},
        }
        procs = {name: subprocess.Popen([sys.executable, "-m", "kiosk", *argv], env=run_env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for name, (argv, run_env) in runs.items()}
        done = {name: (*proc.communicate(timeout=60), proc.returncode) for name, proc in procs.items()}
    finally:
        lock.release()
    out, err, rc = done["busy"]
    assert rc == 1 and err == "" and out.startswith("terminal_unavailable: ") and out.count("\n") == 1
    out, err, rc = done["busy_json"]
    assert rc == 1 and err == "" and json.loads(out)["error"] == "terminal_unavailable"
    out, err, rc = done["cached"]
    assert rc == 0 and err.startswith("kiosk: upstream unreachable (") and err.count("\n") == 1, err
    assert "tmo-unl-40" in out
    for i in range(3):
        out, err, rc = done[f"file_{i}"]
        assert rc == 2 and err == f"kiosk: the data directory (--data-dir / KIOSK_DATA_DIR): cannot create {a_file}: " \
                                  "File exists\n", (i, err)
    assert "sale refused" in (busy / "logs" / "kiosk.jsonl").read_text()  # kept, in the log file
