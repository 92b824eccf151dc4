# shellcheck shell=bash
# Shared by deploy/install.sh and deploy/upgrade (sourced, not run).
#
# A release is a virtual environment in /opt/simkiosk/releases/VERSION-SOURCEHASH,
# built in that final place (a venv is not relocatable: its scripts' #! lines name
# the path it was built in) and finished by a stamp file written last. A release
# directory without the stamp is an interrupted build: it is removed and built
# again, never used. The source tree is copied to a temporary directory first, so
# building writes nothing into it. "current" is switched only after the release
# passed its smoke run (deploy/smoke_run.py).
#
# The caller sets PROG, SRC, ROOT and USER_NAME; set_paths derives the rest.

STAMP_NAME=.simkiosk-release
# The interpreter the releases are built with, and whose pip installs them: Debian's
# (install.sh installs python3-venv and python3-pip). SIMKIOSK_PYTHON overrides it.
PYTHON=${SIMKIOSK_PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
SERVICE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

set_paths() {
  ETC="$ROOT/etc/simkiosk"
  CONFIG="$ETC/kiosk.toml"
  DATA="$ROOT/var/lib/simkiosk"
  OPT="$ROOT/opt/simkiosk"
  # shellcheck disable=SC2034  # used by the scripts that source this file
  MARKER="$DATA/upgrade-in-progress"  # written by deploy/upgrade while the ledger may be half-upgraded
}

# One install or upgrade at a time (fd 9 stays open until the script exits).
lock_deploy() {
  install -d -m 0755 "$OPT"
  exec 9>"$OPT/.deploy.lock"
  flock -n 9 || die "another install or upgrade is running (it holds $OPT/.deploy.lock)"
}

# SVC_UID, SVC_GID and SVC_GROUPS (supplementary gids) of the service user, from the
# target root's own passwd and group files: under --root it may not exist on this host.
service_ids() {
  SVC_UID=$(awk -F: -v u="$USER_NAME" '$1 == u {print $3}' "$ROOT/etc/passwd")
  SVC_GID=$(awk -F: -v u="$USER_NAME" '$1 == u {print $4}' "$ROOT/etc/passwd")
  [ -n "$SVC_UID" ] && [ -n "$SVC_GID" ] || die "no user $USER_NAME in $ROOT/etc/passwd: run deploy/install.sh first"
  SVC_GROUPS=$(awk -F: -v u="$USER_NAME" \
    '{n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) print $3}' "$ROOT/etc/group" | paste -sd, -)
}

# Run a command as the service user with a clean environment pointing at the kiosk's
# configuration and data, from / (the caller's directory may be unreadable to it).
# Leading NAME=VALUE arguments are added to the environment.
as_service() {
  local groups=(--clear-groups)
  [ -n "$SVC_GROUPS" ] && groups=(--groups "$SVC_GROUPS")
  (cd / && setpriv --reuid="$SVC_UID" --regid="$SVC_GID" "${groups[@]}" -- \
    env -i PATH="$SERVICE_PATH" LANG=C.UTF-8 HOME="$DATA" KIOSK_CONFIG="$CONFIG" KIOSK_DATA_DIR="$DATA" "$@")
}

# kiosk_cli RELEASE_ID ARGS...: that release's kiosk command as the service user.
kiosk_cli() {
  local id=$1; shift
  as_service "$OPT/releases/$id/bin/kiosk" "$@"
}

stamp_field() {  # stamp_field RELEASE_ID KEY
  sed -n "s/^$2=//p" "$OPT/releases/$1/$STAMP_NAME" 2>/dev/null | head -n1
}

current_release() {  # the release "current" points at ("" when none)
  local target
  target=$(readlink "$OPT/current" 2>/dev/null || true)
  printf '%s' "${target#releases/}"
}

# Point "current" at releases/ID atomically (a symlink renamed over the old one).
switch_current() {
  ln -sfn "releases/$1" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current" && sync -f "$OPT"
}

# Copy what the wheel is built from (and the docs) into $1: pyproject and friends,
# docs/, and every top-level Python package except the tests and benchmarks.
stage_source() {
  local dest=$1 items=() entry
  for entry in pyproject.toml setup.cfg setup.py MANIFEST.in README.md LICENSE constraints.txt docs; do
    [ -e "$SRC/$entry" ] && items+=("$entry")
  done
  for entry in "$SRC"/*/__init__.py; do
    entry=$(basename "$(dirname "$entry")")
    case "$entry" in tests|bench) ;; *) items+=("$entry") ;; esac
  done
  mkdir -p "$dest"
  tar -C "$SRC" --exclude=__pycache__ --exclude='*.pyc' --exclude='*.qm' --exclude='*.egg-info' \
    -cf - "${items[@]}" | tar -C "$dest" -xf -
}

# prepare_release: copies the source in $SRC to a scratch directory and sets VERSION,
# RELEASE_ID (VERSION-SOURCEHASH) and RELEASE (its directory); build_release then
# builds it there unless a finished build is already in place.
BUILD_TMP=""
cleanup_build() { if [ -n "$BUILD_TMP" ]; then rm -rf "$BUILD_TMP"; BUILD_TMP=""; fi; }
prepare_release() {
  local fingerprint
  if ! "$PYTHON" -m pip --version >/dev/null 2>&1 || ! "$PYTHON" -c 'import venv' 2>/dev/null; then
    die "$PYTHON cannot build releases: install python3-venv and python3-pip (install.sh does, unless --skip-packages)"
  fi
  VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$SRC/pyproject.toml" | head -n1)
  [ -n "$VERSION" ] || die "cannot read the version from $SRC/pyproject.toml"
  BUILD_TMP=$(mktemp -d -t simkiosk-build.XXXXXX)
  stage_source "$BUILD_TMP/src"
  fingerprint=$(cd "$BUILD_TMP/src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum \
    | sha256sum | cut -c1-12)
  RELEASE_ID="$VERSION-$fingerprint"
  RELEASE="$OPT/releases/$RELEASE_ID"
}

is_built() { [ -f "$OPT/releases/$1/$STAMP_NAME" ]; }

build_release() {
  local commit started
  if is_built "$RELEASE_ID"; then
    say "release $RELEASE_ID is already built"
    cleanup_build
    return 0
  fi
  if [ -e "$RELEASE" ]; then
    say "found an unfinished build of $RELEASE_ID (no build stamp): removing it and building again"
    rm -rf "$RELEASE"
  fi
  say "building release $RELEASE_ID in $RELEASE"
  started=$(date +%s)
  install -d -m 0755 "$OPT/releases"
  # From the scratch directory: nothing may pick up (or write into) the caller's directory.
  (
    cd "$BUILD_TMP" || exit 1
    # The system's pip installs into the release (Debian's python3-pip): the release needs
    # none of its own, and leaving it out saves seconds per build. pip honours
    # PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX (an offline wheelhouse) as usual.
    "$PYTHON" -m venv --without-pip "$RELEASE"
    "$PYTHON" -m pip --python "$RELEASE/bin/python" install -q --disable-pip-version-check \
      --no-warn-script-location -c "$BUILD_TMP/src/constraints.txt" "$BUILD_TMP/src"
    # The release is read-only at run time: compile the translations into it now.
    "$RELEASE/bin/python" -I -m ui.i18n build >/dev/null
    install -d "$RELEASE/share/doc/simkiosk"
    cp "$BUILD_TMP"/src/docs/*.md "$RELEASE/share/doc/simkiosk/"
    "$RELEASE/bin/python" -I -c 'from importlib.metadata import distributions
for name, version in sorted((d.metadata["Name"], d.version) for d in distributions()):
    print(f"{name}=={version}")' >"$RELEASE/share/doc/simkiosk/installed-packages.txt"
  )
  # Every script's #! must name this release's own interpreter.
  local script first
  for script in "$RELEASE"/bin/*; do
    [ -f "$script" ] && [ ! -L "$script" ] || continue
    IFS= read -r first <"$script" || true
    case "$first" in
      "#!$RELEASE/"*|"#!/bin/sh"*|"#!/usr/bin/env "*) ;;
      "#!"*) die "build of $RELEASE_ID is unusable: $script starts with ${first}" ;;
    esac
  done
  commit=$(git -C "$SRC" rev-parse --verify -q HEAD 2>/dev/null || true)
  sync -f "$RELEASE"  # everything on disk before the stamp says it is
  printf 'version=%s\nsource=%s\ncommit=%s\npython=%s\nbuilt=%s\n' "$VERSION" "${RELEASE_ID##*-}" "${commit:-unknown}" \
    "$("$RELEASE/bin/python" -c 'import platform; print(platform.python_version())')" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$RELEASE/$STAMP_NAME.tmp"
  mv "$RELEASE/$STAMP_NAME.tmp" "$RELEASE/$STAMP_NAME"
  sync -f "$RELEASE"
  say "built $RELEASE_ID in $(( $(date +%s) - started )) s"
  cleanup_build
}

# smoke_release ID [--test-hook]: deploy/smoke_run.py as the service user. The script
# is fed on stdin so that the service user need not be able to read the source tree.
smoke_release() {
  local id=$1; shift
  say "smoke run of $id"
  as_service ${SIMKIOSK_TEST_SMOKE_ENV:+SIMKIOSK_TEST_SMOKE_ENV="$SIMKIOSK_TEST_SMOKE_ENV"} \
    "$PYTHON" - --release "$OPT/releases/$id" --config "$CONFIG" --data-dir "$DATA" "$@" <"$SRC/deploy/smoke_run.py"
}

# The service user must reach the target root (a --root below a private directory fails).
check_reachable() {
  as_service test -x "$OPT" \
    || die "user $USER_NAME (uid $SVC_UID) cannot reach $OPT: make every parent directory searchable (chmod o+x)"
}
