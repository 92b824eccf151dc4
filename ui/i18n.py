"""Translations: compile ``ui/translations/*.ts`` to ``.qm`` and switch language at runtime.

Why here: the ``.ts`` sources are committed, the compiled ``.qm`` files are
not (a fresh checkout has none), so the kiosk compiles missing or stale ones
at start with the ``lrelease`` that ships inside PySide6. ``python -m ui.i18n
build`` does the same from the Makefile.

Languages are the flow's codes (``en``, ``zh_CN``, ``es``); English is the
source language, so it needs no translator.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.errors import KioskError

log = logging.getLogger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
CATALOG = "simkiosk"
SOURCE_LANGUAGE = "en"
#: Each language's own name, shown on the language buttons (never translated).
NATIVE_NAMES: dict[str, str] = {"en": "English", "zh_CN": "中文", "es": "Español"}
#: ``kiosk run --lang`` short codes.
SHORT_CODES: dict[str, str] = {"en": "en", "zh": "zh_CN", "zh_CN": "zh_CN", "es": "es"}


class TranslationBuildError(KioskError):
    """``lrelease`` is missing or failed on a ``.ts`` file."""

    code = "translation_build_error"


def ts_path(lang: str) -> Path:
    return TRANSLATIONS_DIR / f"{CATALOG}_{lang}.ts"


def find_lrelease() -> Path:
    """The ``lrelease`` bundled with PySide6 (or one on ``PATH``)."""
    import PySide6

    bundled = Path(PySide6.__file__).resolve().parent / "lrelease"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return bundled
    import shutil

    for name in ("pyside6-lrelease", "lrelease"):
        found = shutil.which(name)
        if found:
            return Path(found)
    raise TranslationBuildError("lrelease not found (PySide6 installation incomplete?)")


def _cache_dir() -> Path:
    import tempfile

    return Path(tempfile.gettempdir()) / f"simkiosk-qm-{os.getuid()}"


def qm_path(lang: str) -> Path:
    """Where the compiled catalogue lives: next to the ``.ts`` or, if that is read-only, a cache."""
    beside = TRANSLATIONS_DIR / f"{CATALOG}_{lang}.qm"
    if os.access(TRANSLATIONS_DIR, os.W_OK) or beside.exists():
        return beside
    return _cache_dir() / beside.name


def is_stale(lang: str) -> bool:
    qm = qm_path(lang)
    src = ts_path(lang)
    return not qm.exists() or (src.exists() and qm.stat().st_mtime < src.stat().st_mtime)


def build(langs: Sequence[str] | None = None, *, force: bool = False) -> list[Path]:
    """Compile the ``.ts`` files that need it; returns the ``.qm`` paths written."""
    written: list[Path] = []
    sources = sorted(TRANSLATIONS_DIR.glob(f"{CATALOG}_*.ts"))
    wanted = set(langs) if langs is not None else None
    for src in sources:
        lang = src.stem[len(CATALOG) + 1 :]
        if wanted is not None and lang not in wanted:
            continue
        if not force and not is_stale(lang):
            continue
        import subprocess  # only when a catalogue needs compiling, not on every start

        out = qm_path(lang)
        out.parent.mkdir(parents=True, exist_ok=True)
        tool = find_lrelease()
        try:
            proc = subprocess.run(
                [str(tool), "-silent", str(src), "-qm", str(out)],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TranslationBuildError(f"lrelease failed on {src.name}: {exc}") from exc
        if proc.returncode != 0 or not out.exists():
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise TranslationBuildError(
                f"lrelease failed on {src.name}: {detail[-1] if detail else proc.returncode}"
            )
        written.append(out)
    return written


def ensure_built(langs: Sequence[str]) -> None:
    """Build missing or stale catalogues at start; a failure leaves the kiosk in English."""
    needed = [lang for lang in langs if lang != SOURCE_LANGUAGE and is_stale(lang)]
    if not needed:
        return
    try:
        build(needed)
    except TranslationBuildError as exc:
        log.error("translations not built, showing English only: %s", exc)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ui.i18n build [--force]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "build":
        sys.stderr.write("usage: python -m ui.i18n build [--force]\n")
        return 2
    try:
        written = build(force="--force" in args[1:])
    except TranslationBuildError as exc:
        sys.stderr.write(f"ui.i18n: {exc.message}\n")
        return 1
    for path in written:
        sys.stdout.write(f"built {path}\n")
    if not written:
        sys.stdout.write("translations up to date\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
