#!/usr/bin/env bash
# Runs a command in a private network namespace that has an address besides loopback, so the
# tests can connect to the engine as a client from another machine would (tests/e2e/gui.rs,
# tests/e2e/security.rs) on any machine, with a network or without. One end of a veth pair
# holds 10.200.0.1/24 and the default route; loopback works as usual. Nothing outside the
# namespace can be reached from it, nor reach into it.
#
# Usage: with-test-network.sh COMMAND [ARG...]
# Needs root (CI runs `make test` as root) and iproute2 (scripts/ensure-system-packages.sh).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "with-test-network.sh: making a network namespace needs root; run \`make test\` as root" >&2
  exit 1
fi
if [ "${PLUGBOARD_TEST_NETWORK:-}" != "inside" ]; then
  exec unshare --net -- env PLUGBOARD_TEST_NETWORK=inside "$0" "$@"
fi

ip link set lo up
ip link add plugboard0 type veth peer name plugboard1
ip address add 10.200.0.1/24 dev plugboard0
ip link set plugboard0 up
ip link set plugboard1 up
ip route add default dev plugboard0
exec "$@"
