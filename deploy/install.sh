#!/usr/bin/env bash
# Install (or re-install) simkiosk on a Debian machine. Idempotent: run it again
# after changing anything; it keeps an existing configuration and secret.
#
#   sudo deploy/install.sh                 # the kiosk
#   sudo deploy/install.sh --backend       # also the operator backend unit
#
# The application is built into /opt/simkiosk/releases/VERSION-SOURCEHASH (in place,
# finished by a build stamp; see deploy/lib.sh) and smoke-run before
# /opt/simkiosk/current points at it. To move an installed kiosk to another
# release use deploy/upgrade: it backs up the ledger and rolls back on failure.
#
# Options for testing into another root (a chroot-like tree):
#   --root DIR         install below DIR instead of / (the kiosk user must be able to reach DIR)
#   --skip-packages    do not run apt-get
#   --skip-app         do not build the application's virtual environment
set -euo pipefail
umask 022

ROOT=""
installed=""
SKIP_PACKAGES=0
SKIP_APP=0
BACKEND=0
PROG=install.sh
SRC=$(cd "$(dirname "$0")/.." && pwd)
USER_NAME=simkiosk
GROUPS_WANTED=(dialout lp plugdev video input render audio)
# speech-dispatcher + espeak-ng (voices en-us, cmn, es-419 in espeak-ng-data): audio guidance (docs/ui.md).
PACKAGES=(pcscd libpcsclite1 fonts-noto-cjk cage python3 python3-venv python3-pip python3-dev build-essential
          libpcsclite-dev libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 sqlite3 util-linux
          speech-dispatcher speech-dispatcher-espeak-ng espeak-ng libspeechd2 alsa-utils)

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath "$2"); shift 2 ;;
    --skip-packages) SKIP_PACKAGES=1; shift ;;
    --skip-app) SKIP_APP=1; shift ;;
    --backend) BACKEND=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# shellcheck source=deploy/lib.sh
. "$SRC/deploy/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
cd /
set_paths
lock_deploy
trap cleanup_build EXIT

# 0. Which release this source makes; switching an installed kiosk to another one is an upgrade.
[ ! -e "$MARKER" ] || die "an upgrade was interrupted ($MARKER): run deploy/upgrade${ROOT:+ --root $ROOT} to settle it first"
if [ "$SKIP_APP" = 0 ]; then
  prepare_release
  installed=$(current_release)
  if [ -n "$installed" ] && [ "$installed" != "$RELEASE_ID" ]; then
    if is_built "$installed"; then
      die "simkiosk $installed is installed and this source is $RELEASE_ID: run deploy/upgrade${ROOT:+ --root $ROOT} (it backs up the ledger and rolls back on failure)"
    fi
    say "current points at $installed, which has no build stamp (an unfinished build, or one by an older install.sh that cannot run): replacing it"
  fi
fi

# 1. Debian packages.
if [ "$SKIP_PACKAGES" = 0 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# 2. The service user and its device groups.
useradd_root=()
[ -n "$ROOT" ] && useradd_root=(--root "$ROOT")
for f in passwd group; do
  [ -f "$ROOT/etc/$f" ] || die "$ROOT/etc/$f is missing: a --root tree needs the user database the service user goes into (copy /etc/passwd, group, shadow, gshadow and login.defs there first)"
done
for g in "${GROUPS_WANTED[@]}"; do
  getent_out=$(grep -E "^$g:" "$ROOT/etc/group" || true)
  [ -n "$getent_out" ] || groupadd "${useradd_root[@]}" --system "$g"
done
if ! grep -qE "^$USER_NAME:" "$ROOT/etc/passwd"; then
  say "creating user $USER_NAME"
  useradd "${useradd_root[@]}" --system --home-dir /var/lib/simkiosk --no-create-home \
    --shell /usr/sbin/nologin --user-group "$USER_NAME"
fi
usermod "${useradd_root[@]}" --append --groups "$(IFS=,; echo "${GROUPS_WANTED[*]}")" "$USER_NAME"
service_ids

# 3. Configuration: kept when present; the secret must be readable by the service user only.
install -d -m 0750 -o root -g "$SVC_GID" "$ETC"
if [ ! -e "$CONFIG" ]; then
  install -m 0640 -o root -g "$SVC_GID" "$SRC/deploy/kiosk.example.toml" "$CONFIG"
  say "wrote $CONFIG from the example: set [kiosk] id, location and the devices"
fi
if [ -e "$ETC/secret" ]; then
  mode=$(stat -c '%a' "$ETC/secret")
  if [ $((8#$mode & 8#007)) -ne 0 ]; then
    die "$ETC/secret is readable by others (mode $mode): chmod 0400 it and rotate the secret"
  fi
else
  umask 077
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$ETC/secret"
  umask 022
  say "generated $ETC/secret: register it with the backend (kiosk-backend add-kiosk)"
fi
chown "$SVC_UID:$SVC_GID" "$ETC/secret"
chmod 0400 "$ETC/secret"

# 4. Data directory: the ledger, its backups and the logs hold phone numbers; only the
# service user (which every kiosk command runs as) reads them, so no group access (0700;
# an existing 0750 one from an older install.sh is tightened).
install -d -m 0700 -o "$SVC_UID" -g "$SVC_GID" "$DATA"

# 5. The application: build the release in place, smoke-run it, then point "current" at it.
if [ "$SKIP_APP" = 0 ]; then
  build_release
  check_reachable
  if ! smoke_release "$RELEASE_ID" --test-hook; then
    die "release $RELEASE_ID failed its smoke run (above): current not switched${installed:+ (still $installed)}; fix the cause and run install.sh again"
  fi
  if [ "$(current_release)" != "$RELEASE_ID" ]; then
    switch_current "$RELEASE_ID"
    say "current -> releases/$RELEASE_ID"
  fi
  # The commands on the PATH, always the current release's.
  install -d "$ROOT/usr/local/bin"
  for cmd in kiosk kiosk-backend; do
    ln -sfn "/opt/simkiosk/current/bin/$cmd" "$ROOT/usr/local/bin/$cmd"
  done
fi

# 5b. Audio guidance: the kiosk autospawns speech-dispatcher as its own user under cage, with no
# sound server, so it plays straight to ALSA (the headphone jack or speaker of the default card).
SPEECHD_CONF="$ROOT/etc/speech-dispatcher/speechd.conf"
if [ -f "$SPEECHD_CONF" ] && ! grep -qE '^AudioOutputMethod' "$SPEECHD_CONF"; then
  printf '\n# simkiosk (deploy/install.sh): no PulseAudio/PipeWire under cage\nAudioOutputMethod "alsa"\n' >> "$SPEECHD_CONF"
  say "speech-dispatcher plays through ALSA ($SPEECHD_CONF)"
fi

# 6. systemd units and udev rules.
install -d "$ROOT/etc/systemd/system" "$ROOT/etc/udev/rules.d"
install -m 0644 "$SRC/deploy/systemd/simkiosk.service" "$ROOT/etc/systemd/system/simkiosk.service"
if [ "$BACKEND" = 1 ]; then
  install -m 0644 "$SRC/deploy/systemd/simkiosk-backend.service" "$ROOT/etc/systemd/system/"
  grep -qE '^simkiosk-backend:' "$ROOT/etc/passwd" || useradd "${useradd_root[@]}" --system \
    --home-dir /var/lib/simkiosk-backend --no-create-home --shell /usr/sbin/nologin --user-group simkiosk-backend
fi
install -m 0644 "$SRC/deploy/udev/99-simkiosk.rules" "$ROOT/etc/udev/rules.d/99-simkiosk.rules"

if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  udevadm control --reload && udevadm trigger --subsystem-match=tty --subsystem-match=usbmisc \
    || say "warning: udev reload failed; replug the terminal and printer"
  systemctl daemon-reload
  systemctl enable pcscd.socket simkiosk.service
  if [ "$BACKEND" = 1 ]; then systemctl enable simkiosk-backend.service; fi
  systemctl set-default graphical.target
  say "enabled; start with: systemctl start simkiosk"
else
  say "files installed under ${ROOT:-/} (systemd not running here: units not enabled)"
fi
if [ "$SKIP_APP" = 0 ]; then
  say "done (simkiosk $RELEASE_ID)"
else
  say "done (application not built: --skip-app)"
fi
