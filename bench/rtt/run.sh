#!/usr/bin/env bash
# Times FTP clients uploading many small files over an emulated 40 ms round
# trip: a real vsftpd in namespace gftp-rtt-s (198.18.0.2), the clients in
# gftp-rtt-c (198.18.0.1), the relay between them (see setup.sh). hyperfine
# times each client; every run uploads every file into an emptied server
# folder, and every run's upload is checked against the local files
# (count and SHA-256). Prints a markdown table of medians and ratios to
# tnftp, and the command lines. Tears everything down at exit.
#
# Usage: sudo bench/rtt/run.sh
#
# Environment (defaults in brackets):
#   FILES     number of files [200]       SIZE   bytes per file [4096]
#   RUNS      hyperfine runs per client [5]
#   CLIENTS   which to time, in order [gftp tnftp lftp curl gftp-P4 lftp-P4]; also gftp-pipeline,
#             gftp-active tnftp-active (active mode: the server connects back),
#             gftp-mirror lftp-mirror (mirror -R, 4 connections), and gftp-mirror-again
#             lftp-mirror-again (the same onto an up-to-date copy: nothing should move);
#             gftp-mirror-down lftp-mirror-down (mirror: the server's tree downloaded into an
#             empty folder), gftp-mirror-down-again lftp-mirror-down-again (into an up-to-date one)
#   DIRS      spread the files over this many folders d00 ... [0: no folders]; the mirror
#             clients only (mput and curl's -T take files, not trees)
#   RTT_DELAY one-way delay [20ms]        GFTP   a gftp binary [make build; bin/gftp]
#   RESULTS   also write the report (markdown) to this file
#   KEEP=1    keep the work folder (configs, logs, hyperfine exports)
#   GFTP_SERVERS  where testdata/servers/fetch.sh unpacked vsftpd
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
rtt_need_root "$@"
[ $# = 0 ] || rtt_die "no arguments (settings are environment variables; see the top of $0)"

FILES=${FILES:-200}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-5}
DIRS=${DIRS:-0}
CLIENTS=${CLIENTS:-gftp tnftp lftp curl gftp-P4 lftp-P4}
for v in FILES SIZE RUNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || rtt_die "$v must be a positive number, not '${!v}'"
done
[[ $DIRS =~ ^[0-9]+$ ]] || rtt_die "DIRS must be a number, not '$DIRS'"
[ "$DIRS" = 0 ] || [ $((FILES % DIRS)) = 0 ] || rtt_die "FILES ($FILES) must be a multiple of DIRS ($DIRS)"
mirrors="gftp-mirror lftp-mirror gftp-mirror-again lftp-mirror-again"
mirrors="$mirrors gftp-mirror-down lftp-mirror-down gftp-mirror-down-again lftp-mirror-down-again"
for c in $CLIENTS; do
	case $c in
	gftp | gftp-pipeline | gftp-active | gftp-P4 | tnftp | tnftp-active | lftp | lftp-P4 | curl)
		[ "$DIRS" = 0 ] || rtt_die "$c uploads files, not a tree: with DIRS, only the mirror clients" ;;
	*) case " $mirrors " in *" $c "*) ;; *) rtt_die "unknown client '$c' in CLIENTS" ;; esac ;;
	esac
done

rtt_need_tools hyperfine tnftp lftp curl ip ping go make useradd userdel chpasswd runuser setsid flock sha256sum awk
delay_ms=$(rtt_delay_ms)

# vsftpd, unpacked by testdata/servers/fetch.sh (as the interop tests use it).
vsftpd=
for d in ${GFTP_SERVERS:+"$GFTP_SERVERS"} "${XDG_CACHE_HOME:-$HOME/.cache}/gftp/servers" \
	${SUDO_USER:+"$(getent passwd "$SUDO_USER" | cut -d: -f6)/.cache/gftp/servers"} /root/.cache/gftp/servers; do
	if [ -x "$d/vsftpd/usr/sbin/vsftpd" ]; then vsftpd=$d/vsftpd/usr/sbin/vsftpd && break; fi
done
[ -n "$vsftpd" ] || rtt_die "vsftpd not found; fetch it with: sudo testdata/servers/fetch.sh (or set GFTP_SERVERS)"

rtt_lock

if [ -z "${GFTP:-}" ]; then
	rtt_log "building gftp (make build)"
	rtt_as_user make -s -C "$RTT_REPO" build || rtt_die "make build failed; set GFTP=/path/to/gftp to time another binary"
	GFTP=$RTT_REPO/bin/gftp
fi
GFTP=$(realpath "$GFTP")
[ -x "$GFTP" ] || rtt_die "$GFTP is not executable"

# A throwaway local user for vsftpd (which logs in local users only, through
# PAM), with a random password; deleted at exit.
user=gftprtt
user_comment="gftp bench/rtt (deleted at exit)"
if id -u "$user" >/dev/null 2>&1 && [ "$(getent passwd "$user" | cut -d: -f5)" != "$user_comment" ]; then
	rtt_die "a user $user exists that this script did not create; not touching it"
fi
pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d /tmp/gftp-rtt.XXXXXX)
chmod 755 "$work"
vsftpd_pid=

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$vsftpd_pid" ]; then
		kill -TERM -- "-$vsftpd_pid" 2>/dev/null
		wait "$vsftpd_pid" 2>/dev/null
	fi
	rtt_teardown
	if id -u "$user" >/dev/null 2>&1; then userdel "$user" || rtt_log "could not delete user $user"; fi
	[ $rc != 130 ] || rtt_log "interrupted"
	if [ "${KEEP:-}" = 1 ] || [ $rc != 0 ]; then
		rtt_log "work folder kept: $work"
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! id -u "$user" >/dev/null 2>&1; then
	# Home "/": vsftpd changes into it before its chroot to local_root.
	useradd --no-create-home --home-dir / --shell /usr/sbin/nologin --comment "$user_comment" "$user"
fi
echo "$user:$pass" | chpasswd

rtt_log "setting up the link"
rtt_setup

# The server: a fresh root owned by the user, passive ports 30000-30999.
root=$work/root
mkdir -p "$root" "$work/empty" "$work/home"
chown "$user:" "$root"
cat >"$work/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=$RTT_ADDR_S
listen_port=21
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
# No file in /etc/pam.d by this name: PAM uses "other" (Debian: pam_unix).
pam_service_name=gftp-rtt
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$root
secure_chroot_dir=$work/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30999
port_enable=YES
connect_from_port_20=NO
ftpd_banner=gftp bench/rtt
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=YES
vsftpd_log_file=$work/vsftpd.log
EOF
chmod 600 "$work/vsftpd.conf"
ip netns exec "$RTT_NS_S" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	setsid "$vsftpd" "$work/vsftpd.conf" </dev/null >"$work/vsftpd.out" 2>&1 9>&- &
vsftpd_pid=$!
greeted=
for _ in $(seq 50); do
	if ip netns exec "$RTT_NS_C" timeout 2 bash -c "exec 3<>/dev/tcp/$RTT_ADDR_S/21 && head -c 4 <&3" 2>/dev/null | grep -q '^220'; then
		greeted=1 && break
	fi
	kill -0 "$vsftpd_pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$greeted" ]; then
	kill -0 "$vsftpd_pid" 2>/dev/null || wait "$vsftpd_pid" || rtt_log "vsftpd exited with status $? (an unknown option in $work/vsftpd.conf exits silently with 2)"
	rtt_die "vsftpd did not greet on $RTT_ADDR_S:21: $(cat "$work/vsftpd.out" "$work/vsftpd.log" 2>/dev/null)"
fi

# The files, and their checksums for the checks. With DIRS, FILES / DIRS
# files in each of d00 ... (the file names start again in each).
src=$work/src
mkdir -p "$src" "$work/down"
chmod 755 "$work/down"
per=$FILES dirs=.
if [ "$DIRS" != 0 ]; then
	per=$((FILES / DIRS))
	dwidth=$(((${#DIRS} > 2) ? ${#DIRS} : 2))
	dirs=$(for i in $(seq 0 $((DIRS - 1))); do printf "d%0${dwidth}d " "$i"; done)
fi
width=$(((${#per} > 3) ? ${#per} : 3))
first=$(printf "%0${width}d" 0)
last=$(printf "%0${width}d" $((per - 1)))
for d in $dirs; do
	mkdir -p "$src/$d"
	for i in $(seq 0 $((per - 1))); do
		head -c "$SIZE" /dev/urandom >"$src/$d/$(printf "f%0${width}d" "$i")"
	done
done
(cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$work/sums"

# prepare.sh runs before each timed run (hyperfine --prepare, not timed): it
# checks the previous run's copy (count and checksums of the files, the
# number of folders, how many logins and transfers vsftpd logged): in the
# server's folder after an upload, in the download folder after a
# download (*-mirror-down*). Then it empties both, and before a download
# gives the server's folder the source again. Before a *-again client it
# then fills the target with an untimed run of the client's command
# (cmd.CLIENT), and the check after that client also wants no transfer at
# all: the copy was up to date.
cat >"$work/prepare.sh" <<EOF
#!/bin/sh
# Usage: prepare.sh CLIENT (the client about to run) | prepare.sh -check (at the end)
work=$work root=$root src=$src down=$work/down files=$FILES dirs=$DIRS user=$user
EOF
cat >>"$work/prepare.sh" <<'EOF'
logins=$(grep -c 'OK LOGIN' "$work/vsftpd.log" 2>/dev/null)
logins=${logins:-0}
# vsftpd logs each transfer's end: OK UPLOAD or FAIL UPLOAD, and DOWNLOAD.
moved=$(grep -c -E ' (UP|DOWN)LOAD: ' "$work/vsftpd.log" 2>/dev/null)
moved=${moved:-0}
if [ -f "$work/current" ]; then
	prev=$(cat "$work/current")
	target=$root
	case $prev in *-mirror-down*) target=$down ;; esac
	n=$(find "$target" -mindepth 1 -type f | wc -l)
	d=$(find "$target" -mindepth 1 -type d | wc -l)
	stored=$((moved - $(cat "$work/moved")))
	result=bad
	if [ "$n" = "$files" ] && [ "$d" = "$dirs" ] &&
		(cd "$target" && sha256sum --quiet --strict -c "$work/sums" >/dev/null 2>&1); then
		result=ok
	fi
	case $prev in *-again) [ "$stored" = 0 ] || result=bad ;; esac
	echo "$prev $result files=$n logins=$((logins - $(cat "$work/logins"))) moved=$stored" >>"$work/checks"
	rm -f "$work/current"
fi
find "$root" "$down" -mindepth 1 -delete
case $1 in *-mirror-down*)
	cp -a "$src/." "$root/"
	chown -R "$user:" "$root"
	;;
esac
case $1 in *-again)
	# The up-to-date copy: the same client, untimed, into the emptied target.
	sh "$work/cmd.$1" >>"$work/again.log" 2>&1 || { echo "prepare.sh: the untimed run before $1 failed; see $work/again.log" >&2; exit 1; }
	logins=$(grep -c 'OK LOGIN' "$work/vsftpd.log")
	moved=$(grep -c -E ' (UP|DOWN)LOAD: ' "$work/vsftpd.log")
	;;
esac
echo "$logins" >"$work/logins"
echo "$moved" >"$work/moved"
[ "$1" = -check ] || echo "$1" >"$work/current"
EOF
chmod 755 "$work/prepare.sh"

# The clients' command lines.
ftp_script() { printf 'open %s\nuser %s %s\nbinary\n%s\n' "$RTT_ADDR_S" "$user" "$pass" "$1"; }
ftp_script 'mput f*' >"$work/serial.ftp"
ftp_script 'mput -P 4 f*' >"$work/parallel.ftp"
# mirror -R of the client's folder (the files only) into the server's root,
# where the check looks (vsftpd's chroot: / is $root).
ftp_script 'mirror -R -P 4 . /' >"$work/mirror.ftp"
# mirror of the server's root (the same files) into the empty download folder.
ftp_script "mirror -P 4 / $work/down" >"$work/mirror-down.ftp"
lftp_cmd() { echo "lftp -u $user,$pass -e 'set ftp:passive-mode on; set net:max-retries 1; $1; quit' $RTT_ADDR_S"; }
command_of() {
	case $1 in
	gftp) echo "$GFTP -in --script $work/serial.ftp" ;;
	gftp-pipeline) echo "$GFTP -in --pipeline --script $work/serial.ftp" ;;
	gftp-active) echo "$GFTP -in -A --script $work/serial.ftp" ;;
	tnftp-active) echo "tnftp -inA < $work/serial.ftp" ;;
	gftp-P4) echo "$GFTP -in --script $work/parallel.ftp" ;;
	gftp-mirror | gftp-mirror-again) echo "$GFTP -in --script $work/mirror.ftp" ;;
	lftp-mirror | lftp-mirror-again) lftp_cmd 'mirror -R --parallel=4 . /' ;;
	gftp-mirror-down | gftp-mirror-down-again) echo "$GFTP -in --script $work/mirror-down.ftp" ;;
	lftp-mirror-down | lftp-mirror-down-again) lftp_cmd "mirror --parallel=4 / $work/down" ;;
	tnftp) echo "tnftp -in < $work/serial.ftp" ;;
	lftp) lftp_cmd 'mput f*' ;;
	lftp-P4) lftp_cmd 'mput -P 4 f*' ;;
	curl) echo "curl -sS --user $user:$pass -T 'f[$first-$last]' ftp://$RTT_ADDR_S/" ;;
	esac
}
args=()
for c in $CLIENTS; do
	case $c in *-again) command_of "$c" >"$work/cmd.$c" ;; esac
	args+=(--prepare "$work/prepare.sh $c" -n "$c" "$(command_of "$c")")
done

ping_line=$(rtt_ping 10 | tail -n 1)
rtt_log "ping through the relay: $ping_line"
# A serial client takes about 5 round trips a file here (tnftp: EPSV,
# connect, STOR, then 226 after the data, which vsftpd's Nagle holds until
# the client's delayed ACK of 150); -P 4 about a quarter of that.
estimate=$(awk -v n="$FILES" -v r="$RUNS" -v d="$delay_ms" -v clients="$CLIENTS" 'BEGIN {
	k = split(clients, c, " "); t = 0
	for (i = 1; i <= k; i++) t += (c[i] ~ /-P4$|mirror$|mirror-down$/ ? 0.25 : c[i] ~ /-again$/ ? 0.4 : 1) * (n * 5 + 10) * 2 * d / 1000
	printf "%.0f", t * r / 60 + 0.5 }')
rtt_log "timing $CLIENTS: $RUNS runs each, $FILES files of $SIZE bytes a run (about $estimate min)"
# HOME: no ~/.netrc, ~/.lftprc, ~/.curlrc or gftp config of the caller's.
# In the background, so that a signal to this script is handled at once
# (the cleanup stops everything in the namespaces).
(cd "$src" && exec ip netns exec "$RTT_NS_C" env HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" \
	hyperfine --runs "$RUNS" --export-csv "$work/hyperfine.csv" --export-json "$work/hyperfine.json" \
	--export-markdown "$work/hyperfine.md" "${args[@]}") >&2 &
wait $! || rtt_die "hyperfine failed (a client exited with an error?); logs in $work"
"$work/prepare.sh" -check

# The report. hyperfine's CSV: command,mean,stddev,median,user,system,min,max
# (seconds; user and system are means).
report() {
	local rtt_ms
	rtt_ms=$(awk -v d="$delay_ms" 'BEGIN {print 2 * d}')
	local layout=
	[ "$DIRS" = 0 ] || layout=" in $DIRS folders"
	echo "### $FILES files of $SIZE bytes$layout, moved one client at a time over a $rtt_ms ms round trip"
	echo
	echo "vsftpd $("$vsftpd" -v 0>&1 2>&1 | awk '{print $3}') in $RTT_NS_S ($RTT_ADDR_S), clients in $RTT_NS_C," \
		"relay $RTT_DELAY each way; ping: \`$ping_line\`."
	echo "hyperfine $(hyperfine --version | awk '{print $2}'), $RUNS runs per client (each run verified);" \
		"$(nproc) cores, Linux $(uname -r), $(date -u +%F)."
	echo
	echo "| client | median (s) | min (s) | max (s) | per file (ms) | RTTs per file | logins per run | CPU user+sys (s) | vs tnftp |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -v clients="$CLIENTS" -v files="$FILES" -v rtt="$rtt_ms" '
		FNR == 1 { part++; if (part == 2) FS = "," }
		part == 1 {
			# checks: CLIENT ok|bad files=N logins=M
			runs[$1]++
			if ($2 != "ok") bad[$1]++
			sub(/^logins=/, "", $4); logins[$1] = logins[$1] == "" || logins[$1] == $4 ? $4 : logins[$1] "," $4
			next
		}
		FNR > 1 { median[$1] = $4; min[$1] = $7; max[$1] = $8; cpu[$1] = $5 + $6 }
		END {
			split("mirror mirror-again mirror-down mirror-down-again", m, " ")
			for (j = 1; j <= 4; j++)
				if (("gftp-" m[j]) in median && ("lftp-" m[j]) in median)
					mirror = mirror sprintf("%sgftp-%s is %.2f x lftp-%s'"'"'s time.", mirror == "" ? "" : "\n",
						m[j], median["gftp-" m[j]] / median["lftp-" m[j]], m[j])
			k = split(clients, c, " ")
			for (i = 1; i <= k; i++) {
				n = c[i]; if (!(n in median)) continue
				base = (n ~ /-active$/) ? "tnftp-active" : "tnftp" # active mode against active mode
				ratio = (base in median) ? sprintf("%.2f", median[n] / median[base]) : "-"
				name = bad[n] ? sprintf("%s (**%d of %d runs incomplete**)", n, bad[n], runs[n]) : n
				printf "| %s | %.2f | %.2f | %.2f | %.0f | %.2f | %s | %.2f | %s |\n", name, median[n], min[n], max[n],
					median[n] / files * 1000, median[n] / files / rtt * 1000, logins[n], cpu[n], ratio
			}
			if (mirror != "") print "\n" mirror
		}' "$work/checks" "$work/hyperfine.csv"
	echo
	echo "Per file and RTTs per file: the median over $FILES files (login and logout included);" \
		"vs tnftp: median / tnftp's median (lower is faster; *-active: tnftp-active's)."
	case " $CLIENTS " in *-again\ *)
		echo "*-again: the server already holds an up-to-date copy (an untimed run of the same client" \
			"just before); each such run checked that nothing moved." ;;
	esac
	echo
	local holding="f$first ... f$last"
	[ "$DIRS" = 0 ] || holding="$(printf "d%0${dwidth}d ... d%0${dwidth}d" 0 $((DIRS - 1))), each of f$first ... f$last"
	echo "Command lines (in a folder holding $holding; U and P: a throwaway account's):"
	echo
	echo '```'
	local c
	for c in $CLIENTS; do printf '%-8s %s\n' "$c:" "$(command_of "$c")"; done
	echo "$work/serial.ftp:"
	sed 's/^/    /' "$work/serial.ftp"
	echo "$work/parallel.ftp: the same, with mput -P 4 f*"
	case " $CLIENTS " in *mirror*) echo "$work/mirror.ftp: the same, with mirror -R -P 4 . /" ;; esac
	case " $CLIENTS " in *mirror-down*) echo "$work/mirror-down.ftp: the same, with mirror -P 4 / $work/down" ;; esac
	echo '```'
}
report | sed "s/$pass/P/g; s/$user\([ :,]\)/U\1/g" | tee ${RESULTS:+"$RESULTS"}
if awk '$2 != "ok" {bad = 1} END {exit !bad}' "$work/checks"; then
	rtt_log "some runs did not upload every file intact (client, result, files on the server, logins):"
	awk '$2 != "ok"' "$work/checks" >&2
	exit 1
fi
