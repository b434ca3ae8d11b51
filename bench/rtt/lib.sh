# Shared by setup.sh, teardown.sh and run.sh (sourced, not run).
#
# The emulated link: two network namespaces, each with a TUN device, and the
# relay (bench/rtt/relay) copying IP packets between the two devices after a
# one-way delay. Nothing in the namespaces can reach any other network: each
# holds only its loopback and its TUN device.

RTT_NS_C=gftp-rtt-c    # client namespace
RTT_NS_S=gftp-rtt-s    # server namespace
RTT_ADDR_C=198.18.0.1
RTT_ADDR_S=198.18.0.2
RTT_DEV=rtt0           # the TUN device's name, in both namespaces
RTT_DELAY=${RTT_DELAY:-20ms} # one way: the round trip is twice this
RTT_STATE=/run/gftp-rtt      # the relay's binary, pid file and log
RTT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

rtt_log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
rtt_die() { rtt_log "$*"; exit 1; }

rtt_need_root() {
	[ "$(id -u)" = 0 ] ||
		rtt_die "needs root (network namespaces, TUN devices, a throwaway FTP user); run: sudo $0${*:+ $*}"
}

# rtt_need_tools checks that each command exists.
rtt_need_tools() {
	local t missing=()
	for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
	[ ${#missing[@]} = 0 ] || rtt_die "missing: ${missing[*]} (Debian: apt-get install $(rtt_packages "${missing[@]}"))"
}

rtt_packages() {
	local t
	for t in "$@"; do
		case $t in
		ip) echo -n 'iproute2 ' ;;
		ping) echo -n 'iputils-ping ' ;;
		useradd | userdel | chpasswd) echo -n 'passwd ' ;;
		runuser | setsid) echo -n 'util-linux ' ;;
		*) echo -n "$t " ;;
		esac
	done
}

# sudo resets PATH; Go's usual home is not on its secure_path.
for _d in /usr/local/go/bin /usr/lib/go/bin /snap/bin /usr/sbin /sbin; do
	[ -d "$_d" ] && case ":$PATH:" in *":$_d:"*) ;; *) PATH=$PATH:$_d ;; esac
done
unset _d
export PATH

# rtt_as_user runs a command as the user who ran sudo (so that a build uses
# their Go caches and leaves files they own), else as ourselves.
rtt_as_user() {
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && id -u "$SUDO_USER" >/dev/null 2>&1; then
		local home
		home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
		runuser -u "$SUDO_USER" -- env HOME="$home" PATH="$PATH" "$@"
	else
		"$@"
	fi
}

rtt_relay_pid() {
	local pid
	pid=$(cat "$RTT_STATE/relay.pid" 2>/dev/null) || return 1
	# Only the process we started: the pid must still be a relay.
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = gftp-rtt-relay ] && echo "$pid"
}

# rtt_teardown stops the relay and whatever still runs in the namespaces,
# and deletes the namespaces (and so their TUN devices). Safe to run when
# nothing is set up.
rtt_teardown() {
	local pid ns i
	if pid=$(rtt_relay_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		# Its counters, printed as it exits.
		sed "1d; s/^/  /" "$RTT_STATE/relay.log" >&2 2>/dev/null || true
	fi
	for ns in "$RTT_NS_C" "$RTT_NS_S"; do
		[ -e "/run/netns/$ns" ] || continue
		# Processes a benchmark left behind in the namespace (vsftpd's
		# sessions, a client): ours, found by the namespace they are in.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
		for i in $(seq 30); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$RTT_STATE"
}

# rtt_setup builds the relay, creates the namespaces and their TUN devices,
# starts the relay, and checks that a ping crosses it. It starts from a clean
# slate (rtt_teardown), so running it twice is harmless.
rtt_setup() {
	rtt_need_tools ip go runuser setsid ping
	[ -c /dev/net/tun ] || rtt_die "/dev/net/tun is missing (modprobe tun)"
	rtt_teardown
	mkdir -p "$RTT_STATE"
	chmod 755 "$RTT_STATE"

	local build
	build=$(mktemp -d)
	[ -z "${SUDO_USER:-}" ] || chown "$SUDO_USER" "$build" 2>/dev/null || true
	rtt_log "building the relay"
	if ! (cd "$RTT_REPO" && rtt_as_user go build -buildvcs=false -o "$build/gftp-rtt-relay" ./bench/rtt/relay); then
		rm -rf "$build"
		rtt_die "could not build bench/rtt/relay"
	fi
	mv "$build/gftp-rtt-relay" "$RTT_STATE/"
	rm -rf "$build"

	local ns addr
	for ns in "$RTT_NS_C" "$RTT_NS_S"; do
		addr=$RTT_ADDR_C
		[ "$ns" = "$RTT_NS_S" ] && addr=$RTT_ADDR_S
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		# Persistent, without packet-information headers: the relay
		# attaches to it by name.
		ip -n "$ns" tuntap add mode tun name "$RTT_DEV"
		# No IPv6 on the link: no router solicitations or MLD reports
		# crossing the relay during a benchmark.
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$RTT_DEV.disable_ipv6=1" 2>/dev/null || true
		ip -n "$ns" addr add "$addr/24" dev "$RTT_DEV"
		ip -n "$ns" link set "$RTT_DEV" up
	done

	# Real-time priority (SCHED_FIFO) when allowed: the link's delay should
	# not grow when the clients, the server or anything else keeps the CPUs
	# busy. The relay sleeps between packets, so it takes little CPU.
	local rt=()
	if [ "${RTT_RT:-1}" = 1 ] && chrt -f 10 true 2>/dev/null; then rt=(chrt -f 10); fi
	rtt_log "starting the relay: $RTT_DELAY each way${rt:+, real-time priority}"
	"${rt[@]}" setsid "$RTT_STATE/gftp-rtt-relay" -a "$RTT_NS_C:$RTT_DEV" -b "$RTT_NS_S:$RTT_DEV" -delay "$RTT_DELAY" \
		</dev/null >"$RTT_STATE/relay.log" 2>&1 9>&- &
	echo $! >"$RTT_STATE/relay.pid"
	local i
	for i in $(seq 50); do
		grep -q ': ready$' "$RTT_STATE/relay.log" && break
		kill -0 "$(cat "$RTT_STATE/relay.pid")" 2>/dev/null || break
		sleep 0.1
	done
	grep -q ': ready$' "$RTT_STATE/relay.log" || rtt_die "the relay did not start: $(cat "$RTT_STATE/relay.log")"
	ip netns exec "$RTT_NS_C" ping -q -c 1 -W 3 "$RTT_ADDR_S" >/dev/null ||
		rtt_die "no ping through the relay from $RTT_ADDR_C to $RTT_ADDR_S"
}

# rtt_ping prints the round-trip summary of count pings across the link.
rtt_ping() {
	ip netns exec "$RTT_NS_C" ping -q -c "${1:-5}" -i 0.2 "$RTT_ADDR_S" | tail -n 2
}

# rtt_lock keeps two of these scripts from setting up or tearing down the
# same namespaces at once (fd 9 stays open until the script exits).
rtt_lock() {
	exec 9>/run/lock/gftp-rtt.lock
	flock -n 9 || rtt_die "another bench/rtt script is running (lock /run/lock/gftp-rtt.lock)"
}

# rtt_delay_ms prints RTT_DELAY (a Go duration: 20ms, 0.02s, 20000us) in
# milliseconds.
rtt_delay_ms() {
	awk -v d="$RTT_DELAY" 'BEGIN {
		if (match(d, /^[0-9.]+/)) { n = substr(d, 1, RLENGTH); u = substr(d, RLENGTH + 1) }
		if (u == "ms") f = 1; else if (u == "s") f = 1000; else if (u == "us" || u == "µs") f = 0.001; else exit 1
		print n * f
	}' || rtt_die "RTT_DELAY '$RTT_DELAY': use a duration like 20ms"
}
