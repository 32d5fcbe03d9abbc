#!/usr/bin/env bash
# The repository explains itself: comments and docs cite docs/architecture.md or the public
# Buttplug spec, never documents that live outside the repository (design notes, reference
# write-ups). Fails with the offending lines.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='ARCHITECTURE\.md|devices\.md|buttplug-protocol\.md|reference §|app-contract\.md|landscape\.md|lovense-api\.md|tauri-linux\.md|[^a-z]clients\.md|\.\./shared/'
if git grep -nE "$pattern" -- ':!scripts/check-citations.sh' ':!*.lock' ':!**/node_modules/**'; then
    echo "These lines cite documents outside the repository: cite docs/architecture.md or the Buttplug spec." >&2
    exit 1
fi
