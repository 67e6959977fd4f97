#!/usr/bin/env bash
# The main job (make demo): set up the host, build what is missing, boot the
# emulated board and show kbridge working, then power off.
#   scripts/demo.sh [LANE]   LANE: 6.12 (default), latest, 6.12-debug
. "$(dirname "$0")/lib.sh"
lane=${1:-${LANE:-6.12}}
"$KB_ROOT/scripts/setup-host.sh"
"$KB_ROOT/scripts/kernel.sh" "$lane" >/dev/null
"$KB_ROOT/scripts/build-agent.sh" >/dev/null
exec "$KB_ROOT/scripts/run-guest.sh" "$lane" demo
