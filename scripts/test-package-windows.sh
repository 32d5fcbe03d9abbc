#!/usr/bin/env bash
# The Windows installer's test: builds it (scripts/package-windows.sh), reads it back with 7-Zip,
# checks that every DLL the programs import is either Windows' own or installed with them, then
# runs it silently under Wine and checks what a user gets: the files, the Start-menu entry, the
# entry in Settings > Apps, an engine that starts; that neither the installer nor the uninstaller
# touches a running Plugboard; and that the uninstaller removes all of it (and the app's
# launch-at-login entry) but keeps the user's settings. Prints each step's time.
#
#   scripts/test-package-windows.sh          the release installer (`make package-windows`)
#   scripts/test-package-windows.sh --debug  the debug one (quicker to build)
#
# The app's window cannot be opened here: Wine has no WebView2 runtime. Exits non-zero with the
# reason on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

fail() { echo "Windows installer test FAILED: $*" >&2; exit 1; }
step() { echo "=== $1: $((SECONDS - step_start)) s"; step_start=$SECONDS; }
step_start=$SECONDS

installer=$(scripts/package-windows.sh "$@" | tail -1)
[ -f "$installer" ] || fail "scripts/package-windows.sh did not produce an installer"
files=$(dirname "$installer")/files
shipped=(plugboard.exe plugboard-engine.exe WebView2Loader.dll)
echo "built $(basename "$installer") ($(du -h "$installer" | cut -f1))"
step "Windows installer: build"

prefix=$(scripts/windows-wine-prefix.sh | tail -1)
export WINEPREFIX="$prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
work=$(mktemp -d)
trap 'rm -rf "$work"; wineserver --kill >/dev/null 2>&1 || true' EXIT

# --- What the installer carries, read by 7-Zip (which unpacks NSIS installers).
listing=$(7z l -slt -ba "$installer" | sed -n 's/^Path = //p' | grep -v '^\$PLUGINSDIR/' | sort)
expected=$(printf '%s\n' "${shipped[@]}" uninstall.exe | sort)
[ "$listing" = "$expected" ] || fail "the installer carries $(echo $listing), expected $(echo $expected)"
7z x -y -bd -o"$work/unpacked" "$installer" "${shipped[@]}" >/dev/null || fail "7z could not unpack $installer"
for file in "${shipped[@]}"; do
  cmp -s "$files/$file" "$work/unpacked/$file" || fail "$file in the installer differs from the one built"
done
file -b "$files/plugboard.exe" | grep -q '^PE32+ executable.*x86-64' || fail "plugboard.exe is not a 64-bit Windows program: $(file -b "$files/plugboard.exe")"
if [ "${1:-}" != "--debug" ]; then
  # The release app is a GUI program: no console window opens behind it.
  file -b "$files/plugboard.exe" | grep -q '(GUI)' || fail "the release plugboard.exe would open a console window: $(file -b "$files/plugboard.exe")"
fi
# The icon the Start-menu entry and the taskbar show is a resource of the .exe.
7z l -ba "$files/plugboard.exe" | grep -q '\.rsrc/GROUP_ICON/' || fail "plugboard.exe has no icon"

# Every DLL a shipped program imports is Windows' own (present in Wine's system32, or an API
# set, a name Windows resolves itself) or shipped beside it: a mingw runtime DLL or
# WebView2Loader.dll missing here would stop the app starting.
system32="$prefix/drive_c/windows/system32"
for file in "${shipped[@]}"; do
  while read -r dll; do
    [ -n "$dll" ] || continue
    case "${dll,,}" in api-ms-win-*|ext-ms-win-*) continue ;; esac
    printf '%s\n' "${shipped[@]}" | grep -qix "$dll" && continue
    [ -n "$(find "$system32" -maxdepth 1 -iname "$dll" -print -quit)" ] && continue
    fail "$file imports $dll, which is neither a Windows DLL nor installed with it"
  done < <(x86_64-w64-mingw32-objdump -p "$files/$file" | sed -n 's/^\s*DLL Name: //p')
done
step "Windows installer: contents"

# --- Under Wine.
win_env() { wine cmd /c echo "%$1%" | tr -d '\r'; }
reg_value() { wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | sed -n "s/^ *$2 *REG_[A-Z_]* *//p"; }
uninstall_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\Plugboard'
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
approved_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run'
install_dir_win="$(win_env LOCALAPPDATA)\\Programs\\Plugboard"
install_dir=$(winepath -u "$install_dir_win")
start_menu=$(winepath -u "$(reg_value 'HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\Shell Folders' Programs)")
shortcut="$start_menu/Plugboard.lnk"
settings_dir=$(winepath -u "$(win_env APPDATA)\\plugboard")
[ -d "$start_menu" ] || fail "no Start-menu folder in the Wine prefix ($start_menu)"

# A run that was interrupted may have left an installation behind.
rm -rf "$install_dir" "$shortcut"
wine reg delete "$uninstall_key" /f >/dev/null 2>&1 || true

# A stand-in for a running Plugboard: holds the app's single-instance mutex until its input closes.
hold_exe="$(dirname "$prefix")/hold-mutex.exe"
if [ ! -f "$hold_exe" ] || [ tests/windows/hold-mutex.c -nt "$hold_exe" ]; then
  x86_64-w64-mingw32-gcc -municode -O2 -s -Wall -Werror -o "$hold_exe" tests/windows/hold-mutex.c
fi
hold_start() {
  mkfifo "$work/hold.in"
  wine "$hold_exe" org.plugboard.app-sim <"$work/hold.in" >"$work/hold.out" 2>&1 &
  holder=$!
  exec {hold_fd}>"$work/hold.in"
  for _ in $(seq 1 600); do
    grep -q held "$work/hold.out" 2>/dev/null && return 0
    kill -0 "$holder" 2>/dev/null || fail "hold-mutex exited: $(cat "$work/hold.out")"
    sleep 0.1
  done
  fail "hold-mutex did not take the mutex in 60 s"
}
hold_stop() { exec {hold_fd}>&-; wait "$holder" || fail "hold-mutex failed: $(cat "$work/hold.out")"; rm -f "$work/hold.in"; }

hold_start
status=0; wine "$installer" /S || status=$?
[ "$status" -ne 0 ] || fail "the installer ran while Plugboard was running"
[ ! -e "$install_dir" ] || fail "the installer wrote $install_dir while Plugboard was running"
hold_stop
wineserver --wait
step "Windows installer: refuses while Plugboard runs"

wine "$installer" /S || fail "the silent install exited with $?"
wineserver --wait
for file in "${shipped[@]}"; do
  cmp -s "$files/$file" "$install_dir/$file" || fail "$file is not installed in $install_dir_win"
done
[ -f "$install_dir/uninstall.exe" ] || fail "no uninstaller in $install_dir_win"
[ -f "$shortcut" ] || fail "no Start-menu entry ($shortcut)"
grep -aqF "$install_dir_win\\plugboard.exe" "$shortcut" || fail "the Start-menu entry does not start $install_dir_win\\plugboard.exe"
[ "$(reg_value "$uninstall_key" DisplayName)" = Plugboard ] || fail "no entry in Settings > Apps ($uninstall_key)"
version=$(basename "$installer" | sed -n 's/^Plugboard_\(.*\)_x64-setup\.exe$/\1/p')
[ "$(reg_value "$uninstall_key" DisplayVersion)" = "$version" ] || fail "the Apps entry does not say version $version"
[ "$(reg_value "$uninstall_key" UninstallString)" = "\"$install_dir_win\\uninstall.exe\"" ] || fail "the Apps entry does not run the uninstaller: $(reg_value "$uninstall_key" UninstallString)"
wine "$install_dir/plugboard-engine.exe" --list-protocols | tr -d '\r' | grep -qx lovense || fail "the installed plugboard-engine.exe does not run"
step "Windows installer: silent install"

# The uninstaller, run in place (_?=) so that its exit status is the one seen here.
hold_start
status=0; wine "$install_dir/uninstall.exe" /S "_?=$install_dir_win" || status=$?
[ "$status" -ne 0 ] || fail "the uninstaller ran while Plugboard was running"
[ -f "$install_dir/plugboard.exe" ] || fail "the uninstaller removed plugboard.exe while Plugboard was running"
hold_stop
wineserver --wait

# What the app leaves for the uninstaller: the launch-at-login entry (tauri-plugin-autostart
# writes it under the app's name) and the user's settings, which stay.
wine reg add "$run_key" /v Plugboard /d "\"$install_dir_win\\plugboard.exe\"" /f >/dev/null
wine reg add "$approved_key" /v Plugboard /t REG_BINARY /d 020000000000000000000000 /f >/dev/null
mkdir -p "$settings_dir"
kept="$settings_dir/installer-test-kept.json"
echo '{}' >"$kept"
wine "$install_dir/uninstall.exe" /S || fail "the silent uninstall exited with $?"
# The uninstaller copies itself to %TEMP% and runs from there: wait for every Wine process.
wineserver --wait
[ ! -e "$install_dir" ] || fail "$install_dir_win is left after uninstalling: $(ls "$install_dir")"
[ ! -e "$shortcut" ] || fail "the Start-menu entry is left after uninstalling"
wine reg query "$uninstall_key" >/dev/null 2>&1 && fail "the Apps entry is left after uninstalling"
[ -z "$(reg_value "$run_key" Plugboard)" ] || fail "the launch-at-login entry is left after uninstalling"
[ -z "$(reg_value "$approved_key" Plugboard)" ] || fail "the launch-at-login approval is left after uninstalling"
[ -f "$kept" ] || fail "the uninstaller removed the user's settings in %APPDATA%\\plugboard"
rm -f "$kept"
step "Windows installer: silent uninstall"
echo "Windows installer test passed: $installer"
