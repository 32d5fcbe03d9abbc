#!/usr/bin/env bash
# The install test of `make test`: builds the .deb the way `make package` does, but from the
# debug build (scripts/package.sh --debug, to keep CI time down), installs it with apt, checks
# the installed files, starts the installed app under Xvfb and waits for its window to be on
# screen, then removes the package and checks that nothing is left behind.
# Needs root or sudo (CI runs as root). Exits non-zero with the reason on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "package test FAILED: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_quiet() { as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" >/dev/null 2>&1; }
remove_package() { dpkg-query -W plugboard >/dev/null 2>&1 && apt_quiet remove plugboard || true; }

deb=$(scripts/package.sh --debug | tail -1)
[ -f "$deb" ] || fail "scripts/package.sh --debug did not produce a .deb"
echo "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# A run that was interrupted may have left it installed.
remove_package
trap remove_package EXIT
apt_quiet install "$deb" || fail "apt-get install $deb"
dpkg-query -W -f='${Status}' plugboard | grep -q "install ok installed" || fail "plugboard is not installed"

# The files a desktop app needs: both binaries, the menu entry, an icon at every size.
installed=$(dpkg -L plugboard)
expect=(/usr/bin/plugboard /usr/bin/plugboard-engine /usr/share/applications/Plugboard.desktop)
for size in 16 24 32 48 64 128 256 512; do
  expect+=("/usr/share/icons/hicolor/${size}x${size}/apps/plugboard.png")
done
for path in "${expect[@]}"; do
  grep -qx "$path" <<<"$installed" || fail "$path is not in the package"
  [ -e "$path" ] || fail "$path is listed but not on disk"
done
entry=/usr/share/applications/Plugboard.desktop
grep -qx "Exec=plugboard" "$entry" || fail "the menu entry does not start plugboard: $(cat "$entry")"
grep -qx "Icon=plugboard" "$entry" || fail "the menu entry has no icon"
desktop-file-validate "$entry" || fail "the menu entry is not a valid desktop file"
description=$(dpkg-query -W -f='${Description}' plugboard)
grep -q "Buttplug" <<<"$description" || fail "no description: $description"
/usr/bin/plugboard-engine --list-protocols | grep -qx lovense || fail "the installed plugboard-engine does not run"

# The installed app, from PATH as the menu entry starts it, shows its window.
home=$(mktemp -d)
trap 'rm -rf "$home"; remove_package' EXIT
HOME="$home" XDG_CONFIG_HOME="$home/.config" dbus-run-session -- \
  xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
    plugboard >"$HOME/app.log" 2>&1 &
    app=$!
    for _ in $(seq 1 300); do
      if xwininfo -name Plugboard 2>/dev/null | grep -q "Map State: IsViewable"; then
        echo "the installed app shows its window"
        kill -TERM "$app"; wait "$app" || true
        exit 0
      fi
      kill -0 "$app" 2>/dev/null || { echo "the installed app exited:"; cat "$HOME/app.log"; exit 1; }
      sleep 0.1
    done
    echo "no Plugboard window after 30 s:"; cat "$HOME/app.log"; kill -TERM "$app"; exit 1
  ' || fail "the installed app did not show its window"

# Removal leaves nothing of it behind.
apt_quiet remove plugboard || fail "apt-get remove plugboard"
dpkg-query -W -f='${Status}' plugboard 2>/dev/null | grep -q "install ok installed" && fail "still installed after removal"
for path in "${expect[@]}"; do
  [ ! -e "$path" ] || fail "$path is left after removal"
done
echo "package test passed: installed, checked, started, removed"
