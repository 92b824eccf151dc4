#!/usr/bin/env bash
# Install (or re-install) simkiosk on a Debian machine. Idempotent: run it again
# after changing anything; it keeps an existing configuration and secret.
#
#   sudo deploy/install.sh                 # the kiosk
#   sudo deploy/install.sh --backend       # also the operator backend unit
#
# Options for testing into another root (a chroot-like tree):
#   --root DIR         install below DIR instead of /
#   --skip-packages    do not run apt-get
#   --skip-app         do not build the application's virtual environment
set -euo pipefail

ROOT=""
SKIP_PACKAGES=0
SKIP_APP=0
BACKEND=0
SRC=$(cd "$(dirname "$0")/.." && pwd)
USER_NAME=simkiosk
GROUPS_WANTED=(dialout lp plugdev video input render)
PACKAGES=(pcscd libpcsclite1 fonts-noto-cjk cage python3 python3-venv python3-dev build-essential
          libpcsclite-dev libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 sqlite3)

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(realpath "$2"); shift 2 ;;
    --skip-packages) SKIP_PACKAGES=1; shift ;;
    --skip-app) SKIP_APP=1; shift ;;
    --backend) BACKEND=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$SRC/pyproject.toml" | head -n1)
[ -n "$VERSION" ] || die "cannot read the version from $SRC/pyproject.toml"
ETC="$ROOT/etc/simkiosk"
DATA="$ROOT/var/lib/simkiosk"
OPT="$ROOT/opt/simkiosk"
RELEASE="$OPT/releases/$VERSION"

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
uid=$(awk -F: -v u="$USER_NAME" '$1 == u {print $3}' "$ROOT/etc/passwd")
gid=$(awk -F: -v u="$USER_NAME" '$1 == u {print $4}' "$ROOT/etc/passwd")

# 3. The application, in its own virtual environment per release; "current" points at it.
if [ "$SKIP_APP" = 0 ]; then
  if [ ! -x "$RELEASE/bin/kiosk" ]; then
    say "building $RELEASE"
    rm -rf "$RELEASE.partial"
    python3 -m venv "$RELEASE.partial"
    "$RELEASE.partial/bin/python" -m pip install -q --upgrade pip
    "$RELEASE.partial/bin/python" -m pip install -q -c "$SRC/constraints.txt" "$SRC"
    mkdir -p "$RELEASE.partial/share/doc"
    cp "$SRC"/docs/*.md "$RELEASE.partial/share/doc/"
    mv "$RELEASE.partial" "$RELEASE"
  fi
  ln -sfn "releases/$VERSION" "$OPT/current.new" && mv -T "$OPT/current.new" "$OPT/current"
fi

# 4. Configuration: kept when present; the secret must be readable by the service user only.
install -d -m 0750 -o root -g "$gid" "$ETC"
if [ ! -e "$ETC/kiosk.toml" ]; then
  install -m 0640 -o root -g "$gid" "$SRC/deploy/kiosk.example.toml" "$ETC/kiosk.toml"
  say "wrote $ETC/kiosk.toml from the example: set [kiosk] id, location and the devices"
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
chown "$uid:$gid" "$ETC/secret"
chmod 0400 "$ETC/secret"

# 5. Data directory.
install -d -m 0750 -o "$uid" -g "$gid" "$DATA"

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
say "done (simkiosk $VERSION)"
