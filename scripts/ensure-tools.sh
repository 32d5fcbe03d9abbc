#!/usr/bin/env bash
# Installs the cargo-installed tools the tests need, and only those that are missing (or at
# another version). Quiet when all is present.
#   tauri-driver  WebDriver bridge between the end-to-end tests and the app's WebKitWebDriver
set -euo pipefail

want_tauri_driver="2.1.0"
have=$(tauri-driver --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want_tauri_driver" ]; then
  echo "Installing tauri-driver $want_tauri_driver (cargo install, about 2 minutes)"
  cargo install --quiet --locked tauri-driver --version "=$want_tauri_driver"
fi
