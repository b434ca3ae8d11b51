#!/usr/bin/env bash
# Fetches the real FTP servers that interop and firewall tests run. vsftpd,
# pure-ftpd and proftpd conflict as Debian packages, so each is downloaded
# with `apt-get download` and unpacked with `dpkg -x` into its own folder;
# the shared libraries they link against (which do not conflict) and
# pyftpdlib (with python3-openssl, for its TLS_FTPHandler) and iptables are
# installed normally. proftpd's mod_tls comes in proftpd-mod-crypto, which
# is unpacked into proftpd-core's folder, at exactly proftpd-core's
# version. Needs root and Debian.
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
for p in python3-pyftpdlib python3-openssl iptables iproute2; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	apt_update
	apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# fetch PKG[=VERSION] DIR: download the package and unpack it into DIR
# (added to what is there). Prints the version unpacked.
fetch() {
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && { apt-get download "$1" >&2 2>/dev/null || { apt_update; apt-get download "$1" >&2; }; }) || { rm -rf "$tmp"; return 1; }
	mkdir -p "$2"
	dpkg -x "$tmp"/*.deb "$2"
	dpkg-deb -f "$tmp"/*.deb Version
	rm -rf "$tmp"
}

# install_libs PKG: the shared libraries PKG links against. These do not
# conflict, so they are installed the ordinary way, when missing.
install_libs() {
	local libs=() lib
	for lib in $(apt-cache depends "$1" | awk '$1 == "Depends:" && $2 ~ /^lib/ {print $2}'); do
		dpkg -s "$lib" >/dev/null 2>&1 || libs+=("$lib")
	done
	if [ ${#libs[@]} -gt 0 ]; then
		apt_update
		apt-get install -y -qq --no-install-recommends "${libs[@]}" >&2
	fi
}

# The .done marker of each folder holds the version unpacked (an empty
# one, from an older fetch.sh, is read from the package's changelog).
for pkg in vsftpd pure-ftpd proftpd-core; do
	if [ ! -f "$dest/$pkg/.done" ]; then
		rm -rf "${dest:?}/$pkg"
		fetch "$pkg" "$dest/$pkg" >"$dest/$pkg.version"
		mv "$dest/$pkg.version" "$dest/$pkg/.done"
	fi
	install_libs "$pkg"
done

# unpacked_version PKG: the version of the package in $dest/PKG.
unpacked_version() {
	local v ch
	v=$(cat "$dest/$1/.done")
	if [ -z "$v" ]; then
		for ch in "$dest/$1/usr/share/doc/$1/changelog.Debian.amd64.gz" "$dest/$1/usr/share/doc/$1/changelog.Debian.gz"; do
			if [ -f "$ch" ]; then
				v=$(zcat "$ch" | head -n 1 | sed -n 's/^[^ ]* (\([^)]*\)).*/\1/p')
				break
			fi
		done
	fi
	echo "$v"
}

# proftpd-mod-crypto (mod_tls.so) in proftpd-core's folder, at
# proftpd-core's version exactly: proftpd refuses modules of another build.
# Its marker holds that version. When the archive no longer has that
# version, both are fetched again at the one it has.
core=$dest/proftpd-core
ver=$(unpacked_version proftpd-core)
if [ -z "$ver" ] || [ "$(cat "$core/.mod-crypto.done" 2>/dev/null)" != "$ver" ]; then
	if [ -z "$ver" ] || ! got=$(fetch "proftpd-mod-crypto=$ver" "$core"); then
		echo "fetch.sh: proftpd-mod-crypto=${ver:-?} is not in the archive: fetching proftpd-core and it again" >&2
		rm -rf "${core:?}"
		ver=$(fetch proftpd-core "$core")
		echo "$ver" >"$core/.done"
		got=$(fetch "proftpd-mod-crypto=$ver" "$core")
	fi
	if [ "$got" != "$ver" ]; then
		echo "fetch.sh: proftpd-mod-crypto $got unpacked for proftpd-core $ver" >&2
		exit 1
	fi
	echo "$ver" >"$core/.mod-crypto.done"
fi
install_libs proftpd-core
install_libs proftpd-mod-crypto
echo "$dest"
