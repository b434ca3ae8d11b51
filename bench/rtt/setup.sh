#!/usr/bin/env bash
# Sets up the emulated 40 ms link: network namespaces gftp-rtt-c (client,
# 198.18.0.1) and gftp-rtt-s (server, 198.18.0.2), a TUN device in each, and
# the relay between them delaying each packet by RTT_DELAY (default 20ms)
# each way. Idempotent: an existing setup is torn down first. A failure
# tears down what was set up. Then, for example:
#
#	ip netns exec gftp-rtt-s <server listening on 198.18.0.2>
#	ip netns exec gftp-rtt-c <client of 198.18.0.2>
#
# Usage: sudo bench/rtt/setup.sh      Undo: sudo bench/rtt/teardown.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
rtt_need_root "$@"
rtt_lock
trap 'rc=$?; if [ $rc != 0 ]; then rtt_log "failed; tearing down"; rtt_teardown; fi' EXIT
trap 'exit 130' INT TERM
rtt_setup
rtt_log "up: $RTT_NS_C ($RTT_ADDR_C) <-> relay ($RTT_DELAY each way) <-> $RTT_NS_S ($RTT_ADDR_S); relay log: $RTT_STATE/relay.log"
rtt_ping 5
