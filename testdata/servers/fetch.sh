#!/usr/bin/env bash
# Fetches the real FTP servers that interop and firewall tests run. vsftpd,
# pure-ftpd and proftpd conflict as Debian packages, so each is downloaded
# with `apt-get download` and unpacked with `dpkg -x` into its own folder;
# the shared libraries they link against (which do not conflict) and
# pyftpdlib and iptables are installed normally. Needs root and Debian.
#
# Usage: testdata/servers/fetch.sh [DEST]   (default: $GFTP_SERVERS, else
# ${XDG_CACHE_HOME:-~/.cache}/gftp/servers). Prints DEST. Idempotent.
set -euo pipefail
dest=${1:-${GFTP_SERVERS:-${XDG_CACHE_HOME:-$HOME/.cache}/gftp/servers}}
mkdir -p "$dest"
export DEBIAN_FRONTEND=noninteractive

updated=
apt_update() { [ -n "$updated" ] || { apt-get update -qq >&2; updated=1; }; }

# Packages installed the ordinary way: no conflicts among these.
need=()
for p in python3-pyftpdlib iptables iproute2; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	apt_update
	apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

for pkg in vsftpd pure-ftpd proftpd-core; do
	if [ ! -f "$dest/$pkg/.done" ]; then
		tmp=$(mktemp -d)
		(cd "$tmp" && { apt-get download "$pkg" >&2 2>/dev/null || { apt_update; apt-get download "$pkg" >&2; }; })
		rm -rf "${dest:?}/$pkg"
		dpkg -x "$tmp"/*.deb "$dest/$pkg"
		rm -rf "$tmp"
		touch "$dest/$pkg/.done"
	fi
	# The shared libraries it links against: these do not conflict, so
	# they are installed the ordinary way, when missing.
	libs=()
	for lib in $(apt-cache depends "$pkg" | awk '$1 == "Depends:" && $2 ~ /^lib/ {print $2}'); do
		dpkg -s "$lib" >/dev/null 2>&1 || libs+=("$lib")
	done
	if [ ${#libs[@]} -gt 0 ]; then
		apt_update
		apt-get install -y -qq --no-install-recommends "${libs[@]}" >&2
	fi
done
echo "$dest"
