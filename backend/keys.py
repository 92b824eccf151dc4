"""Per-kiosk secrets derived from one server master key.

Verifying an HMAC needs the secret itself, so a one-way hash alone cannot work.
Rather than keep an encrypted copy of every secret (which needs a cipher library
and key handling anyway), the backend derives each kiosk's secret:

    secret = hex(HMAC-SHA256(master_key, "simkiosk-kiosk-secret" 0x00 kiosk_id 0x00 generation))

and stores only ``generation`` and a SHA-256 check value of the secret. A copy of
the database therefore reveals no secret; the master key file (0600, outside the
database) is the one thing to protect and back up. Re-issuing a kiosk's secret
bumps its generation, which invalidates the old one at once.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from backend.errors import BackendError
from kiosk.private_files import private_dir

MASTER_KEY_BYTES = 32


def derive_secret(master_key: bytes, kiosk_id: str, generation: int) -> bytes:
    """The kiosk's secret as the ASCII bytes the kiosk keeps in its ``secret_file``."""
    message = b"simkiosk-kiosk-secret\x00" + kiosk_id.encode("utf-8") + b"\x00" + str(generation).encode()
    return hmac.new(master_key, message, hashlib.sha256).hexdigest().encode("ascii")


def secret_check(secret: bytes) -> str:
    """What the database keeps: proves a derived secret is the one issued, reveals nothing."""
    return hashlib.sha256(b"simkiosk-secret-check\x00" + secret).hexdigest()


def load_master_key(path: Path, *, create: bool) -> bytes:
    """Read the master key (hex); with ``create``, make a new one (mode 0600) when absent."""
    if create and not path.exists():
        try:
            private_dir(path.parent)  # 0700 whatever the umask (a plain mkdir made it 0755)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker made it meanwhile: read theirs below
        except OSError as exc:
            raise BackendError(f"cannot create master key file {path}: {exc.strerror or exc}",
                               code="no_master_key") from exc
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(MASTER_KEY_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise BackendError(f"master key file {path} not found (add-kiosk creates it)",
                           code="no_master_key") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BackendError(f"cannot read master key file {path}: {exc}", code="no_master_key") from exc
    if mode & 0o077:
        raise BackendError(f"master key file {path} is readable by others; chmod 600 it",
                           code="master_key_exposed")
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise BackendError(f"master key file {path} is not hex", code="bad_master_key") from exc
    if len(key) < 16:
        raise BackendError(f"master key in {path} is too short", code="bad_master_key")
    return key
