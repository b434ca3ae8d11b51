#!/usr/bin/env bash
# Peak memory (GNU time's maximum resident set) of gftp while it globs a
# huge listing that matches nothing (mget zzz*), and while it checks an
# upload's size on a server without SIZE (the same listing), next to
# lftp's mget. The server is bench/hostile on 127.0.0.1. Needs GNU time
# (and lftp for the comparison). Usage: bench/listing.sh [lines] (default
# 3000000).
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-3000000}
[ -x /usr/bin/time ] || { echo "bench: GNU time is missing (apt-get install time)" >&2; exit 2; }
make -s build
go build -o bin/hostile ./bench/hostile
work=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; rm -rf "$work"' EXIT
bin/hostile -lines "$lines" > "$work/server.out" &
srv=$!
for _ in $(seq 50); do grep -q '^port' "$work/server.out" && break; sleep 0.1; done
port=$(awk '/^port/ {print $2}' "$work/server.out")
echo x > "$work/up.bin"
rss() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk -F': ' '/Maximum resident/ {printf "%.1f MiB\n", $2/1024}'; }
cd "$work"
echo "== $lines-line listing, nothing matches, 127.0.0.1"
printf 'user u p\nmget zzz*\n' > mget.ftp
printf 'user u p\nput up.bin\n' > put.ftp
printf 'gftp mget zzz*:       '; rss "$OLDPWD/bin/gftp" -in --script mget.ftp 127.0.0.1 "$port"
printf 'gftp put (no SIZE):   '; rss "$OLDPWD/bin/gftp" -in --script put.ftp 127.0.0.1 "$port"
if command -v lftp >/dev/null; then
	printf 'lftp mget zzz*:       '; rss lftp -u u,p -p "$port" -e 'set cmd:fail-exit no; mget zzz*; quit' 127.0.0.1
fi
