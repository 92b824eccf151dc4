"""Files that hold phone numbers, ICCIDs or secrets: owner-only, whatever the umask.

The ledger, its backups and head record, the logs, exports (masked ones too: they are
still the kiosk's sales) and the backend's database are created mode 0600 and the
directories made for them 0700. A process umask can only take permission bits away, so
creating with these modes and tightening what already exists is enough; nothing here
widens a mode. Standard library only: the CLI imports this on every start.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, TextIO, overload

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents 0700; directories that exist are left alone
    (``/var/lib/simkiosk`` belongs to the installer, a USB stick to its filesystem)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # created meanwhile by another process: its mode is its creator's
        os.chmod(directory, DIR_MODE)
    return path


def tighten(path: Path) -> None:
    """Take group and world bits off an existing file (an older release, a ``cp`` of a
    backup); a file owned by someone else is logged, not fatal."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode) and mode & 0o077:
        try:
            os.chmod(path, stat.S_IMODE(mode) & ~0o077)
        except OSError as exc:
            log.warning("cannot make %s private (mode %o): %s", path, stat.S_IMODE(mode), exc)


def tighten_dir(path: Path) -> None:
    """Take group and world bits off an existing directory that holds only our private
    files (the backend's data directory made 0755 by an older release or by hand); never
    for a shared parent such as ``/var/lib``. One owned by someone else is logged, not fatal."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode) and mode & 0o077:
        try:
            os.chmod(path, stat.S_IMODE(mode) & ~0o077)
        except OSError as exc:
            log.warning("cannot make directory %s private (mode %o): %s", path, stat.S_IMODE(mode), exc)


def create_private(path: Path) -> None:
    """Make sure ``path`` exists as a private file (created empty when missing)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    tighten(path)


@overload
def open_private(path: Path, mode: Literal["w", "a"] = "w", **kwargs: Any) -> TextIO: ...
@overload
def open_private(path: Path, mode: Literal["wb", "ab"], **kwargs: Any) -> BinaryIO: ...


def open_private(path: Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open()`` for writing that creates the file 0600 (``w``, ``a``, ``wb``, ``ab``);
    an existing file is truncated or appended to and made private as well."""
    flags = os.O_WRONLY | os.O_CREAT
    if mode.startswith("w"):
        flags |= os.O_TRUNC
    elif mode.startswith("a"):
        flags |= os.O_APPEND
    else:
        raise ValueError(f"open_private writes; mode {mode!r} is not w or a")
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
        except PermissionError as exc:  # an existing file of another owner: written as it is
            log.warning("cannot make %s private: %s", path, exc)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise
