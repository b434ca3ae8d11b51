#!/usr/bin/env bash
# Undoes setup.sh: stops the relay (printing its counters) and anything still
# running in the two namespaces, and deletes the namespaces. Idempotent.
# Usage: sudo bench/rtt/teardown.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rtt_need_root "$@"
rtt_lock
rtt_teardown
rtt_log "down"
