"""Structured logging: JSON lines to the data directory (rotated), readable lines on stderr.

A redaction filter runs before any handler, so a PIN, password or secret passed
in ``extra`` or formatted into a message never reaches a file. The log files (and
the directory made for them) are owner-only whatever the umask: they still name
devices, transactions and, in error details, sometimes a phone number.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import logging.handlers
import re
import sys
from pathlib import Path
from typing import cast

from kiosk.private_files import open_private, private_dir

LOG_FILE = "logs/kiosk.jsonl"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 10
_SENSITIVE_KEYS = re.compile(r"(pin|password|secret|token|pan|track|cvv)", re.IGNORECASE)
_SENSITIVE_TEXT = re.compile(
    r"(?i)\b(pin|password|secret|token)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"
)
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
REDACTED = "***"


def redact_text(text: str) -> str:
    return _SENSITIVE_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Masks sensitive ``extra`` fields and ``key=value`` pairs in messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key in list(vars(record)):
            if key not in _STANDARD_ATTRS and _SENSITIVE_KEYS.search(key):
                setattr(record, key, REDACTED)
        record.msg = redact_text(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every file it opens (the first one and each after a rollover) is created 0600;
    rotation renames files, which keeps their mode."""

    def _open(self) -> io.TextIOWrapper:
        return cast(io.TextIOWrapper, open_private(Path(self.baseFilename), "a", encoding=self.encoding,
                                                   errors=self.errors))


_installed: list[logging.Handler] = []


def setup_logging(data_dir: Path | None, level: str = "INFO", *, quiet: bool = False,
                  report: bool = True) -> str | None:
    """Install the handlers once per process (later calls replace them).

    Returns why the log file cannot be written (``None`` when it can), also printed on
    stderr unless ``report`` is false (the CLI then decides whether it adds anything to
    the one line it prints)."""
    problem: str | None = None
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    # The process's logging belongs to us: drop handlers a library installed with
    # logging.basicConfig() at import (python-escpos does), or lines would print twice.
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(level)
    redactor = RedactingFilter()
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.ERROR if quiet else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    stderr.addFilter(redactor)
    stderr.addFilter(lambda record: getattr(record, "on_stderr", True))  # already said in one line
    _installed.append(stderr)
    if data_dir is not None:
        path = data_dir / LOG_FILE
        try:
            private_dir(path.parent)
            file_handler = PrivateRotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
            )
        except OSError as exc:
            problem = f"cannot write logs to {path}: {exc.strerror}"
            if report:
                print(f"kiosk: {problem}", file=sys.stderr)
        else:
            file_handler.setFormatter(JsonFormatter())
            file_handler.addFilter(redactor)
            _installed.append(file_handler)
    for handler in _installed:
        root.addHandler(handler)
    return problem
