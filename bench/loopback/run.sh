#!/usr/bin/env bash
# gftp side by side with tnftp, lftp and curl against a real vsftpd on
# 127.0.0.1 (no namespaces, no delay): one 1 GiB download and upload, and
# 1000 files of 4 KiB up and down with 4 transfers at once; and gftp's
# mirror beside lftp's: a tree of 1000 files of 4 KiB in 20 directories up
# (mirror -R) and down, into an empty target and into an up-to-date one
# (where nothing must move), 4 transfers at once. The clients are
# interleaved: every round runs every client once per measurement, in an
# order rotated by one each round, so that a noisy spell on the machine
# hits all of them alike. Every run is timed with a monotonic clock (CPU
# and peak RSS from GNU time) and checked (exit status, sizes, SHA-256),
# and the server folder and the local download folder are emptied between
# runs. Everything lives on a private tmpfs, so no run reads or writes the
# disk. Prints markdown tables of medians and ratios; see README.md.
#
# Usage: sudo bench/loopback/run.sh
#
# Environment (defaults in brackets):
#   ROUNDS   timed rounds [11]        WARMUP  untimed rounds first [1]
#   BIG_MIB  size of the big file in MiB [1024]
#   FILES    small files [1000]      SIZE    bytes per small file [4096]
#   PAR      transfers at once for the small files [4]
#   PRIME    1: before each run, write and delete as much as it will write (untimed) [1]; 0: not
#   TW_MAX   before each run, wait until fewer TCP connections are in TIME-WAIT [8000]
#   BIG_CLIENTS   [gftp tnftp lftp curl]   SMALL_CLIENTS  [gftp curl lftp]
#   TLS_CLIENTS   [gftp lftp curl] (the big file over FTPS: explicit TLS, data protected)
#   DIRS     directories of the mirrored tree, FILES / DIRS files each [20]
#   MIRROR_CLIENTS  [gftp lftp]
#   AGAIN    how the mirror-*-again runs find their up-to-date copy [copy]: copy: cp -a
#            on the tmpfs (the source's times kept); self: an untimed run of the same client
#   TESTS    which measurements [get-big put-big get-small put-small get-tls put-tls
#            mirror-up mirror-up-again mirror-down mirror-down-again]
#   GFTP     a gftp binary [make build; bin/gftp]
#   PORT     vsftpd's control port [a free one in 20000-28999]; passive: the 1000 ports above it
#   RESULTS  also write the report (markdown) to this file
#   KEEP=1   keep the work folder (per-run table, client logs, vsftpd log)
#   TRACE=1  count commands, not time: vsftpd's protocol log on (the report counts each
#            run's FTP commands), gftp -d and lftp -d, every run's output kept (implies KEEP=1)
#   GFTP_SERVERS  where testdata/servers/fetch.sh unpacked vsftpd
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

lb_log() { printf '%s: %s\n' "loopback" "$*" >&2; }
lb_die() { lb_log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || lb_die "needs root (a throwaway FTP user for vsftpd, a tmpfs); run: sudo $0"
[ $# = 0 ] || lb_die "no arguments (settings are environment variables; see the top of $0)"

# sudo resets PATH; Go's usual home is not on its secure_path.
for _d in /usr/local/go/bin /usr/lib/go/bin /snap/bin /usr/sbin /sbin; do
	[ -d "$_d" ] && case ":$PATH:" in *":$_d:"*) ;; *) PATH=$PATH:$_d ;; esac
done
unset _d
export PATH

ROUNDS=${ROUNDS:-11}
WARMUP=${WARMUP:-1}
BIG_MIB=${BIG_MIB:-1024}
FILES=${FILES:-1000}
SIZE=${SIZE:-4096}
PAR=${PAR:-4}
PRIME=${PRIME:-1}
TW_MAX=${TW_MAX:-8000}
BIG_CLIENTS=${BIG_CLIENTS:-gftp tnftp lftp curl}
SMALL_CLIENTS=${SMALL_CLIENTS:-gftp curl lftp}
TLS_CLIENTS=${TLS_CLIENTS:-gftp lftp curl}
DIRS=${DIRS:-20}
MIRROR_CLIENTS=${MIRROR_CLIENTS:-gftp lftp}
AGAIN=${AGAIN:-copy}
TRACE=${TRACE:-0}
TESTS=${TESTS:-get-big put-big get-small put-small get-tls put-tls mirror-up mirror-up-again mirror-down mirror-down-again}
for v in ROUNDS BIG_MIB FILES SIZE PAR TW_MAX DIRS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || lb_die "$v must be a positive number, not '${!v}'"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || lb_die "WARMUP must be a number, not '$WARMUP'"
[[ $PRIME =~ ^[01]$ ]] || lb_die "PRIME must be 0 or 1, not '$PRIME'"
[[ $TRACE =~ ^[01]$ ]] || lb_die "TRACE must be 0 or 1, not '$TRACE'"
[ "$TRACE" = 0 ] || KEEP=1
case $AGAIN in copy | self) ;; *) lb_die "AGAIN must be copy or self, not '$AGAIN'" ;; esac
[ $((FILES % DIRS)) = 0 ] || lb_die "FILES ($FILES) must be a multiple of DIRS ($DIRS): the mirrored tree has as many files in every directory"
for c in $BIG_CLIENTS; do
	case $c in gftp | tnftp | lftp | curl) ;; *) lb_die "unknown client '$c' in BIG_CLIENTS" ;; esac
done
for c in $TLS_CLIENTS; do
	case $c in gftp | lftp | curl) ;; *) lb_die "unknown client '$c' in TLS_CLIENTS (tnftp has no FTPS)" ;; esac
done
for c in $SMALL_CLIENTS; do
	case $c in gftp | lftp | curl) ;; *) lb_die "unknown client '$c' in SMALL_CLIENTS (tnftp has no parallel mget/mput)" ;; esac
done
for c in $MIRROR_CLIENTS; do
	case $c in gftp | lftp) ;; *) lb_die "unknown client '$c' in MIRROR_CLIENTS (tnftp and curl have no mirror)" ;; esac
done
big_tests=0 # a test of the big file: only then is it written
for t in $TESTS; do
	case $t in
	get-big | put-big | get-tls | put-tls) big_tests=1 ;;
	get-small | put-small | mirror-up | mirror-up-again | mirror-down | mirror-down-again) ;;
	*) lb_die "unknown test '$t' in TESTS" ;;
	esac
done

need=(tnftp lftp curl perl go make useradd userdel chpasswd runuser setsid flock ss mount umount split sha256sum awk)
missing=()
for t in "${need[@]}" /usr/bin/time; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} != 0 ]; then
	pkgs=$(printf '%s\n' "${missing[@]}" | sed 's,^/usr/bin/time$,time,; s/^ss$/iproute2/; s/^\(useradd\|userdel\|chpasswd\)$/passwd/; s/^\(runuser\|setsid\|flock\|mount\|umount\)$/util-linux/; s/^\(split\|sha256sum\)$/coreutils/' | sort -u | tr '\n' ' ')
	lb_die "missing: ${missing[*]} (Debian: apt-get install $pkgs)"
fi
perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e 1 2>/dev/null || lb_die "perl's Time::HiRes is missing"

# SHA-256 of one file: openssl's is several times faster than coreutils'.
if command -v openssl >/dev/null && openssl dgst -sha256 -r /dev/null >/dev/null 2>&1; then
	sum1() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }
else
	sum1() { sha256sum "$1" | cut -d' ' -f1; }
fi

# as_user runs a command as the user who ran sudo (so that a build uses
# their Go caches and leaves files they own), else as ourselves.
as_user() {
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && id -u "$SUDO_USER" >/dev/null 2>&1; then
		local home
		home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
		runuser -u "$SUDO_USER" -- env HOME="$home" PATH="$PATH" "$@"
	else
		"$@"
	fi
}

# vsftpd, unpacked by testdata/servers/fetch.sh (as the interop tests use it).
vsftpd=
for d in ${GFTP_SERVERS:+"$GFTP_SERVERS"} "${XDG_CACHE_HOME:-$HOME/.cache}/gftp/servers" \
	${SUDO_USER:+"$(getent passwd "$SUDO_USER" | cut -d: -f6)/.cache/gftp/servers"} /root/.cache/gftp/servers; do
	if [ -x "$d/vsftpd/usr/sbin/vsftpd" ]; then vsftpd=$d/vsftpd/usr/sbin/vsftpd && break; fi
done
[ -n "$vsftpd" ] || lb_die "vsftpd not found; fetch it with: sudo testdata/servers/fetch.sh (or set GFTP_SERVERS)"

exec 9>/run/lock/gftp-loopback.lock
flock -n 9 || lb_die "another bench/loopback/run.sh is running (lock /run/lock/gftp-loopback.lock)"

gftp_given=${GFTP:+1}
if [ -z "${GFTP:-}" ]; then
	lb_log "building gftp (make build)"
	as_user make -s -C "$repo" build || lb_die "make build failed; set GFTP=/path/to/gftp to time another binary"
	GFTP=$repo/bin/gftp
fi
GFTP=$(realpath "$GFTP")
[ -x "$GFTP" ] || lb_die "$GFTP is not executable"

big_bytes=$((BIG_MIB << 20))
# The big file three times (the source, the server's, a download), the
# small files three times, the tree four times (the source, the server's,
# a download or an upload, and its up-to-date copy for an -again run).
tmpfs_mib=$((3 * BIG_MIB * big_tests + 7 * FILES * (SIZE + 4096) / 1048576 + 256))
mem_mib=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
[ "$mem_mib" -gt $((tmpfs_mib + 1024)) ] ||
	lb_die "needs about $((tmpfs_mib + 1024)) MiB of free memory (a tmpfs of $tmpfs_mib MiB); $mem_mib MiB available (try BIG_MIB=256)"

# A throwaway local user for vsftpd (which logs in local users only, through
# PAM), with a random password; deleted at exit.
user=gftploop
user_comment="gftp bench/loopback (deleted at exit)"
if id -u "$user" >/dev/null 2>&1 && [ "$(getent passwd "$user" | cut -d: -f5)" != "$user_comment" ]; then
	lb_die "a user $user exists that this script did not create; not touching it"
fi
pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d /tmp/gftp-loopback.XXXXXX)
chmod 755 "$work"
t=$work/t # the tmpfs: files, the server's root, the download folder
vsftpd_pid=
mounted=

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [ -n "$vsftpd_pid" ]; then
		kill -TERM -- "-$vsftpd_pid" 2>/dev/null
		wait "$vsftpd_pid" 2>/dev/null
	fi
	if [ -n "$mounted" ]; then
		# Keep the logs (small), not the data.
		cp -a "$t/vsftpd.log" "$work/" 2>/dev/null
		umount "$t" || lb_log "could not unmount $t"
	fi
	if id -u "$user" >/dev/null 2>&1; then userdel "$user" || lb_log "could not delete user $user"; fi
	[ $rc != 130 ] || lb_log "interrupted"
	if [ "${KEEP:-}" = 1 ] || [ $rc != 0 ]; then
		lb_log "work folder kept: $work"
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$t"
mount -t tmpfs -o "size=${tmpfs_mib}m,mode=755" gftp-loopback "$t"
mounted=1

if ! id -u "$user" >/dev/null 2>&1; then
	# Home "/": vsftpd changes into it before its chroot to local_root.
	useradd --no-create-home --home-dir / --shell /usr/sbin/nologin --comment "$user_comment" "$user"
fi
echo "$user:$pass" | chpasswd

# The files. src: what the clients upload; root: the server's root, holding
# the same files for the downloads and put/ for the uploads; dl: where the
# clients download to. The mirrored tree is tree/ in src and in root:
# DIRS directories (d00 ... d19) of FILES / DIRS files each (f000 ... f049).
src=$t/src root=$t/root dl=$t/dl
mkdir -p "$src/tree" "$root/put" "$dl" "$t/empty" "$work/home/.config" "$work/logs"
n1=$((FILES - 1))
width=$(((${#n1} > 4) ? ${#n1} : 4)) # f0000 ... f0999, as curl's glob f[0000-0999] names them
first=$(printf "%0${width}d" 0)
last=$(printf "%0${width}d" $((FILES - 1)))
per_dir=$((FILES / DIRS))
n1=$((DIRS - 1)) && dwidth=$(((${#n1} > 2) ? ${#n1} : 2))
n1=$((per_dir - 1)) && fwidth=$(((${#n1} > 3) ? ${#n1} : 3))
lb_log "writing $([ "$big_tests" = 1 ] && echo "$BIG_MIB MiB, ")$FILES files of $SIZE bytes and a tree of as many in $DIRS directories (random) to a tmpfs at $t"
if [ "$big_tests" = 1 ]; then
	head -c "$big_bytes" /dev/urandom >"$src/big.bin"
	big_sum=$(sum1 "$src/big.bin")
	cp "$src/big.bin" "$root/"
fi
head -c $((FILES * SIZE)) /dev/urandom | (cd "$src" && split -a "$width" -d -b "$SIZE" - f)
[ "$(find "$src" -maxdepth 1 -name 'f*' | wc -l)" = "$FILES" ] || lb_die "could not write $FILES files"
(cd "$src" && sha256sum f*) >"$t/sums"
cp "$src"/f* "$root/"
for i in $(seq 0 $((DIRS - 1))); do
	d=$src/tree/d$(printf "%0${dwidth}d" "$i")
	mkdir "$d"
	head -c $((per_dir * SIZE)) /dev/urandom | (cd "$d" && split -a "$fwidth" -d -b "$SIZE" - f)
done
[ "$(find "$src/tree" -type f | wc -l)" = "$FILES" ] || lb_die "could not write the tree of $FILES files"
(cd "$src/tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$t/tree.sums"
cp -a "$src/tree" "$root/"
chown -R "$user:" "$root/tree"
chown "$user:" "$root" "$root/put"

# A free control port, below the ephemeral range, with the 1000 ports above
# it free for passive mode. Connections in TIME-WAIT do not count: vsftpd
# listens with SO_REUSEADDR, which binds a port they still hold (and other
# tests on a shared machine leave thousands of them all over this range).
free_range() { [ -z "$(ss -Htan exclude time-wait "( sport >= :$1 and sport <= :$2 )" 2>/dev/null)" ]; }
if [ -n "${PORT:-}" ]; then
	[[ $PORT =~ ^[1-9][0-9]*$ && $PORT -le 64535 ]] || lb_die "PORT must be a number up to 64535"
	free_range "$PORT" $((PORT + 1000)) || lb_die "port $PORT or one of the 1000 above it is in use"
	port=$PORT
else
	port=
	for _ in $(seq 50); do
		p=$((20000 + (RANDOM % 9000)))
		if free_range "$p" $((p + 1000)); then port=$p && break; fi
	done
	[ -n "$port" ] || lb_die "no free port range found in 20000-29999; set PORT"
fi

# vsftpd configured as the interop tests and bench/rtt configure it, on
# 127.0.0.1. The transfer log (xferlog, vsftpd's format: one line per
# login and per file, with the session's pid) is what shows the number of
# connections; the protocol log stays off, as it writes a line per command
# (TRACE=1 turns it on, for counting the commands of each run).
# FTPS for the -tls runs: a self-signed certificate for 127.0.0.1, which
# every client is given to trust. TLS is offered, not forced, so the
# plaintext runs are as before; data connections over TLS must resume the
# control connection's session (require_ssl_reuse), as vsftpd's default.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$t/key.pem" -out "$t/cert.pem" 2>/dev/null ||
	lb_die "openssl could not make a certificate"
cat >"$t/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$port
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
# No file in /etc/pam.d by this name: PAM uses "other" (Debian: pam_unix).
pam_service_name=gftp-loopback
chroot_local_user=YES
allow_writeable_chroot=YES
local_root=$root
secure_chroot_dir=$t/empty
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
pasv_enable=YES
pasv_address=127.0.0.1
pasv_min_port=$((port + 1))
pasv_max_port=$((port + 1000))
port_enable=YES
connect_from_port_20=NO
max_clients=0
max_per_ip=0
ftpd_banner=gftp bench/loopback
xferlog_enable=YES
xferlog_std_format=NO
log_ftp_protocol=$([ "$TRACE" = 1 ] && echo YES || echo NO)
vsftpd_log_file=$t/vsftpd.log
ssl_enable=YES
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=YES
rsa_cert_file=$t/cert.pem
rsa_private_key_file=$t/key.pem
ssl_ciphers=HIGH
ssl_sslv2=NO
ssl_sslv3=NO
ssl_tlsv1=NO
EOF
chmod 600 "$t/vsftpd.conf"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
	setsid "$vsftpd" "$t/vsftpd.conf" </dev/null >"$work/vsftpd.out" 2>&1 9>&- &
vsftpd_pid=$!
greeted=
for _ in $(seq 50); do
	if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null | grep -q '^220'; then
		greeted=1 && break
	fi
	kill -0 "$vsftpd_pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$greeted" ]; then
	kill -0 "$vsftpd_pid" 2>/dev/null || wait "$vsftpd_pid" || lb_log "vsftpd exited with status $? (an unknown option in $t/vsftpd.conf exits silently with 2)"
	lb_die "vsftpd did not greet on 127.0.0.1:$port: $(cat "$work/vsftpd.out" "$t/vsftpd.log" 2>/dev/null)"
fi
: >>"$t/vsftpd.log"

# The clients' scripts and command lines.
ftp_script() { printf 'open 127.0.0.1 %s\nuser %s %s\nbinary\n%s\n' "$port" "$user" "$pass" "$1"; }
ftp_script 'get big.bin' >"$t/get-big.ftp"
ftp_script $'cd put\nput big.bin' >"$t/put-big.ftp"
ftp_script "mget -P $PAR f*" >"$t/get-small.ftp"
ftp_script $'cd put\n'"mput -P $PAR f*" >"$t/put-small.ftp"
ftp_script "mirror -R -P $PAR tree put/tree" >"$t/mirror-up.ftp"
ftp_script "mirror -P $PAR tree tree" >"$t/mirror-down.ftp"
cp "$t/mirror-up.ftp" "$t/mirror-up-again.ftp"
cp "$t/mirror-down.ftp" "$t/mirror-down-again.ftp"
url=ftp://$user:$pass@127.0.0.1:$port

# command_of TEST CLIENT sets cmd (the argv) and cmd_in (its stdin).
command_of() {
	local lftp=(lftp -u "$user,$pass" -p "$port") gftp=("$GFTP" -in)
	[ "$TRACE" = 0 ] || lftp+=(-d) gftp+=(-d)
	# lftp takes TLS whenever the server offers it (ftp:ssl-allow), and
	# vsftpd offers it here: plaintext runs turn that off.
	local lset='set ftp:passive-mode on; set net:max-retries 1; set ftp:ssl-allow false'
	local ltls="set ftp:ssl-allow true; set ftp:ssl-force true; set ftp:ssl-protect-data true; set ssl:ca-file $t/cert.pem"
	cmd_in=/dev/null
	case $2:$1 in
	gftp:get-tls) cmd=("${gftp[@]}" --tls explicit --tls-ca "$t/cert.pem" --script "$t/get-big.ftp") ;;
	gftp:put-tls) cmd=("${gftp[@]}" --tls explicit --tls-ca "$t/cert.pem" --script "$t/put-big.ftp") ;;
	gftp:*) cmd=("${gftp[@]}" --script "$t/$1.ftp") ;;
	tnftp:*) cmd=(tnftp -in) cmd_in=$t/$1.ftp ;;
	lftp:get-big) cmd=("${lftp[@]}" -e "$lset; get big.bin; quit" 127.0.0.1) ;;
	lftp:put-big) cmd=("${lftp[@]}" -e "$lset; cd put; put big.bin; quit" 127.0.0.1) ;;
	lftp:get-small) cmd=("${lftp[@]}" -e "$lset; mget -P $PAR f*; quit" 127.0.0.1) ;;
	lftp:put-small) cmd=("${lftp[@]}" -e "$lset; cd put; mput -P $PAR f*; quit" 127.0.0.1) ;;
	lftp:get-tls) cmd=("${lftp[@]}" -e "$lset; $ltls; get big.bin; quit" 127.0.0.1) ;;
	lftp:put-tls) cmd=("${lftp[@]}" -e "$lset; $ltls; cd put; put big.bin; quit" 127.0.0.1) ;;
	lftp:mirror-up | lftp:mirror-up-again) cmd=("${lftp[@]}" -e "$lset; mirror -R --parallel=$PAR tree put/tree; quit" 127.0.0.1) ;;
	lftp:mirror-down | lftp:mirror-down-again) cmd=("${lftp[@]}" -e "$lset; mirror --parallel=$PAR tree tree; quit" 127.0.0.1) ;;
	curl:get-tls) cmd=(curl -sS --ssl-reqd --cacert "$t/cert.pem" -o big.bin "$url/big.bin") ;;
	curl:put-tls) cmd=(curl -sS --ssl-reqd --cacert "$t/cert.pem" -T big.bin "$url/put/") ;;
	curl:get-big) cmd=(curl -sS -o big.bin "$url/big.bin") ;;
	curl:put-big) cmd=(curl -sS -T big.bin "$url/put/") ;;
	# A URL per file (curl's glob); -Z runs up to --parallel-max at once,
	# each on a connection of its own, reused for the next file.
	curl:get-small) cmd=(curl -sS -Z --parallel-max "$PAR" -o "f#1" "$url/f[$first-$last]") ;;
	curl:put-small) cmd=(curl -sS -Z --parallel-max "$PAR" -T "f[$first-$last]" "$url/put/") ;;
	esac
}
# The command lines as the report shows them.
shown() {
	local a out=
	command_of "$1" "$2"
	for a in "${cmd[@]}"; do
		case $a in *[!A-Za-z0-9_./:,=@%+-]*) a="'$a'" ;; esac
		out+="${out:+ }$a"
	done
	[ "$cmd_in" = /dev/null ] || out+=" < $1.ftp"
	out=${out//"$GFTP"/bin/gftp}
	echo "${out//"$t/"/}"
}

# The timer: runs argv under GNU time (user and system CPU, peak RSS) and
# prints the wall time, taken with the monotonic clock around fork and
# wait, and the exit status. The client's stdin is $1, its output goes to $2.
cat >"$work/timeit.pl" <<'EOF'
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
my ($in, $log, @cmd) = @ARGV;
my $t0 = clock_gettime(CLOCK_MONOTONIC);
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	open(STDIN, '<', $in) or die "$in: $!";
	open(STDOUT, '>', $log) or die "$log: $!";
	open(STDERR, '>&', \*STDOUT) or die "stderr: $!";
	exec { $cmd[0] } @cmd or die "exec $cmd[0]: $!";
}
waitpid($pid, 0);
my $st = $?;
my $t1 = clock_gettime(CLOCK_MONOTONIC);
printf "%.6f %d\n", $t1 - $t0, $st & 127 ? 128 + ($st & 127) : $st >> 8;
EOF

# check TEST: is the transfer complete and intact? Prints "ok" or what is wrong.
check() {
	local dir top n bad
	case $1 in
	*-big | *-tls)
		dir=$dl
		[ "${1%%-*}" = put ] && dir=$root/put
		n=$(find "$dir" -mindepth 1 | wc -l)
		[[ $n = 1 && -f $dir/big.bin ]] || { echo "files=$n"; return; }
		[ "$(stat -c %s "$dir/big.bin")" = "$big_bytes" ] || { echo "size=$(stat -c %s "$dir/big.bin")"; return; }
		[ "$(sum1 "$dir/big.bin")" = "$big_sum" ] || { echo "sha256"; return; }
		;;
	*-small)
		dir=$dl
		[ "$1" = put-small ] && dir=$root/put
		n=$(find "$dir" -mindepth 1 | wc -l)
		[ "$n" = "$FILES" ] || { echo "files=$n"; return; }
		bad=$(find "$dir" -mindepth 1 \( -not -type f -o -not -size "${SIZE}c" \) | wc -l)
		[ "$bad" = 0 ] || { echo "wrong-size=$bad"; return; }
		(cd "$dir" && sha256sum --quiet --strict -c "$t/sums" >/dev/null 2>&1) || { echo "sha256"; return; }
		;;
	mirror-*)
		top=$dl
		case $1 in mirror-up*) top=$root/put ;; esac
		dir=$top/tree
		n=$(find "$top" -mindepth 1 -type f | wc -l)
		[ "$n" = "$FILES" ] || { echo "files=$n"; return; }
		# tree/ and its directories, and nothing else (no temporary file)
		n=$(find "$top" -mindepth 1 -not -type f | wc -l)
		[ "$n" = $((DIRS + 1)) ] || { echo "others=$n"; return; }
		bad=$(find "$dir" -type f -not -size "${SIZE}c" | wc -l)
		[ "$bad" = 0 ] || { echo "wrong-size=$bad"; return; }
		(cd "$dir" && sha256sum --quiet --strict -c "$t/tree.sums" >/dev/null 2>&1) || { echo "sha256"; return; }
		# Nothing moved, so nothing was written: every file and directory
		# as it was before the run, down to its inode, mtime and ctime.
		case $1 in
		*-again)
			bad=$(snapshot "$dir" | diff - "$t/snapshot" | grep -c '^>') || true
			[ "$bad" = 0 ] || { echo "touched=$bad"; return; }
			;;
		esac
		;;
	esac
	echo ok
}

# snapshot DIR: what a write to DIR or below it changes (sorted lines).
snapshot() { find "$1" -printf '%P %y %i %s %T@ %C@\n' | sort; }

# The vsftpd log lines of one run: logins, failed lines, the sessions
# (pids) that moved files, with the fewest and most files one moved, the
# files moved; and with the protocol log on (TRACE=1), the FTP commands
# and how many of each (LIST=21,PASV=...; "-": none).
sessions() {
	tail -n "+$(($1 + 1))" "$t/vsftpd.log" | awk '
		/ OK LOGIN/ { logins++ }
		/ FAIL / { fails++ }
		/ OK (UPLOAD|DOWNLOAD):/ { moved++; match($0, /\[pid [0-9]+\]/); n[substr($0, RSTART, RLENGTH)]++ }
		/ FTP command: / {
			cmds++
			v = $0; sub(/.* FTP command: Client "[^"]*", "/, "", v); sub(/[ "].*/, "", v)
			v = toupper(v); if (!(v in verb)) order[++nv] = v; verb[v]++
		}
		END {
			s = 0; lo = ""; hi = 0
			for (p in n) { s++; if (lo == "" || n[p] < lo) lo = n[p]; if (n[p] > hi) hi = n[p] }
			vs = ""; for (i = 1; i <= nv; i++) vs = vs (i > 1 ? "," : "") order[i] "=" verb[order[i]]
			printf "%d %d %d %d %d %d %d %s\n", logins, fails, s, lo == "" ? 0 : lo, hi, moved, cmds, vs == "" ? "-" : vs
		}'
}

runs=$work/runs.tsv
printf 'round\ttest\tclient\twall\tuser\tsys\trss_kib\trc\tcheck\tlogins\tfails\tsessions\tmin_files\tmax_files\tmoved\tcommands\tverbs\n' >"$runs"
failed=0

# settle waits (at most 90 s) until fewer than TW_MAX TCP connections are
# in TIME-WAIT, and adds the wait to waited.
waited=0
settle() {
	local i
	for i in $(seq 90); do
		[ "$(ss -Htan state time-wait | wc -l)" -ge "$TW_MAX" ] || return 0
		sleep 1
		waited=$((waited + 1))
	done
	lb_log "still $(ss -Htan state time-wait | wc -l) connections in TIME-WAIT after 90 s; going on"
}

# The clients' environment. HOME: no ~/.netrc, ~/.lftprc, ~/.curlrc or
# gftp config of the caller's.
client_env=(env HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config")

# prepare TEST CLIENT LOG: before a mirror-*-again run (untimed), the
# up-to-date copy it is to find, and its snapshot (which the check
# compares with). AGAIN=copy: the source tree copied with cp -a, keeping
# the times, which both clients compare (the server's tree into the
# download folder; the local tree into put/, given to the FTP user, as an
# upload leaves it); AGAIN=self: the client's own mirror-up or mirror-down,
# checked. Prints "ok" or what is wrong.
prepare() {
	local client=$2 log=$3 base=${1%-again} dir=$src target=$root/put/tree verdict
	case $base in mirror-down) dir=$dl target=$dl/tree ;; esac
	if [ "$AGAIN" = self ]; then
		command_of "$base" "$client"
		(cd "$dir" && "${client_env[@]}" "${cmd[@]}" <"$cmd_in" >"$log" 2>&1) || { echo "prepare: exit=$?" && return; }
		verdict=$(check "$base")
		[ "$verdict" = ok ] || { echo "prepare: $verdict" && return; }
	elif [ "$base" = mirror-up ]; then
		cp -a "$src/tree" "$root/put/" && chown -R "$user:" "$target"
	else
		cp -a "$root/tree" "$dl/"
	fi
	snapshot "$target" >"$t/snapshot"
	echo ok
}

# run_one ROUND TEST CLIENT: one timed, checked run, appended to runs.tsv.
run_one() {
	local round=$1 test=$2 client=$3 dir lines out wall rc cpu verdict log prep=ok ses moved
	dir=$src
	case $test in get-* | mirror-down*) dir=$dl ;; esac
	find "$dl" "$root/put" -mindepth 1 -delete
	log=$work/logs/$round-$test-$client.log
	case $test in *-again) prep=$(prepare "$test" "$client" "${log%.log}.prepare.log") ;; esac
	command_of "$test" "$client"
	lines=$(wc -l <"$t/vsftpd.log")
	# Untimed: write and delete a little more than the run will write (see
	# "Fresh memory" in README.md), right before the run, so that the
	# pages the client (download) or vsftpd (upload) writes into are pages
	# the machine has just used, not pages a virtual machine's free page
	# reporting gave back to its host, which cost a host fault each.
	if [ "$PRIME" = 1 ]; then
		local mib=64
		case $test in *-big | *-tls) mib=$((BIG_MIB + 64)) ;; esac
		dd if=/dev/zero of="$t/prime" bs=1M count="$mib" status=none
		rm -f "$t/prime"
	fi
	# Untimed: wait for the TCP connections of earlier runs (a thousand
	# a run, each in TIME-WAIT for 60 s) to drain below TW_MAX: with tens
	# of thousands of them every connect() searches long for a free port
	# (seen here: a run's system time from 0.1 s to 1.4 s), which would
	# charge each client for its predecessors.
	settle
	out=$(cd "$dir" && "${client_env[@]}" \
		perl "$work/timeit.pl" "$cmd_in" "$log" /usr/bin/time -f '%U %S %M' -o "$t/time.out" "${cmd[@]}")
	read -r wall rc <<<"$out"
	cpu=$(tail -n 1 "$t/time.out")
	ses=$(sessions "$lines")
	read -r _ _ _ _ _ moved _ <<<"$ses"
	verdict=$(check "$test")
	case $test in *-again) [ "$verdict" != ok ] || [ "$moved" = 0 ] || verdict="moved=$moved" ;; esac
	[ "$rc" = 0 ] || verdict="exit=$rc"
	[ "$prep" = ok ] || verdict=$prep
	[ "$verdict" = ok ] || { failed=$((failed + 1)) && lb_log "round $round, $test, $client: $verdict (log: $log)"; }
	# shellcheck disable=SC2086 # cpu and ses: words
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$test" "$client" "$wall" \
		$cpu "$rc" "$verdict" $ses >>"$runs"
	[ "$verdict" != ok ] || [ "$TRACE" = 1 ] || rm -f "$log" "${log%.log}.prepare.log"
	find "$dl" "$root/put" -mindepth 1 -delete
}

# rotate N WORDS...: the words, starting at the (N mod count)th.
rotate() {
	local n=$1
	shift
	local a=("$@") i
	for i in $(seq 0 $((${#a[@]} - 1))); do printf '%s ' "${a[$(((i + n) % ${#a[@]}))]}"; done
}

lb_log "vsftpd on 127.0.0.1:$port (passive $((port + 1))-$((port + 1000))); $WARMUP warm-up and $ROUNDS timed rounds of: $TESTS"
start=$(date +%s)
for round in $(seq $((1 - WARMUP)) "$ROUNDS"); do
	t0=$(date +%s)
	for test in $TESTS; do
		clients=$BIG_CLIENTS
		case $test in *-small) clients=$SMALL_CLIENTS ;; *-tls) clients=$TLS_CLIENTS ;; mirror-*) clients=$MIRROR_CLIENTS ;; esac
		# shellcheck disable=SC2086
		for client in $(rotate $((round + WARMUP)) $clients); do run_one "$round" "$test" "$client"; done
	done
	took=$(($(date +%s) - t0))
	if [ "$round" -le 0 ]; then
		lb_log "warm-up round done in ${took}s; the $ROUNDS timed rounds take about $((took * ROUNDS / 60 + 1)) min"
	else
		lb_log "round $round of $ROUNDS done in ${took}s"
	fi
done
lb_log "all rounds took $((($(date +%s) - start + 30) / 60)) min (${waited}s of it waiting for TIME-WAIT to drain); $failed failed runs"

report() {
	local v gv
	v=$("$vsftpd" -v 0>&1 2>&1 | awk '{print $3}')
	gv=$(cd "$repo" && as_user git describe --always --dirty 2>/dev/null || echo unknown)
	[ -z "$gftp_given" ] || gv="$GFTP (GFTP; the repository at $gv)"
	echo "### gftp, tnftp, lftp and curl against vsftpd on 127.0.0.1"
	echo
	echo "vsftpd $v on 127.0.0.1:$port; gftp $gv; tnftp $(dpkg-query -W -f '${Version}' tnftp 2>/dev/null || echo '?')," \
		"lftp $(lftp --version | awk 'NR == 1 {print $4}'), curl $(curl --version | awk 'NR == 1 {print $2}');" \
		"$(nproc) cores, Linux $(uname -r), $(date -u +%F)."
	echo "$ROUNDS rounds (after $WARMUP warm-up), each running every client once per measurement in a rotated order;" \
		"medians over the rounds. Files on a tmpfs$([ "$PRIME" = 1 ] && echo ", memory primed before each run"); every run checked (exit status, sizes, SHA-256)."
	[ "$TRACE" = 0 ] || echo "**TRACE=1**: vsftpd's protocol log on, gftp -d, lftp -d: for counting commands, not for the times."
	echo
	awk -F '\t' -v big="$big_bytes" -v bigmib="$BIG_MIB" -v files="$FILES" -v size="$SIZE" -v par="$PAR" \
		-v bigc="$BIG_CLIENTS" -v smallc="$SMALL_CLIENTS" -v tlsc="$TLS_CLIENTS" -v mirrorc="$MIRROR_CLIENTS" \
		-v tests="$TESTS" -v dirs="$DIRS" -v again="$AGAIN" -v trace="$TRACE" '
	function sort(s, a,   n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return n
	}
	function median(s,   a, n) { n = sort(s, a); if (n == 0) return ""; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	function lo(s,   a) { sort(s, a); return a[1] }
	function hi(s,   a, n) { n = sort(s, a); return a[n] }
	function has(list, w,   a, n, i) { n = split(list, a, " "); for (i = 1; i <= n; i++) if (a[i] == w) return 1; return 0 }
	function name(k, c) { return nbad[k] ? sprintf("%s (**%d of %d runs failed**)", c, nbad[k], nbad[k] + nok[k]) : c }
	NR == 1 || $1 <= 0 { next }
	{
		k = $2 SUBSEP $3
		if ($9 != "ok") { nbad[k]++; next }
		nok[k]++
		wall[k] = wall[k] " " $4; cpu[k] = cpu[k] " " ($5 + $6); rss[k] = rss[k] " " $7
		ses[k] = ses[k] " " $12; logins[k] = logins[k] " " $10
		per[k] = per[k] " " $13 "-" $14
		seq[k] = seq[k] sprintf(" %.2f", $4)
		moved[k] = moved[k] " " $15; cmds[k] = cmds[k] " " $16; verbs[k] = $17
	}
	function bigtable(test, ref, what, cl,   n, c, i, k, m, rm, r2) {
		printf "#### %d MiB %s (one file, binary, passive)\n\n", bigmib, what
		hdr = ref; if (gsub(/\|/, " and ", hdr)) hdr = "the faster of " hdr
		printf "| client | median (s) | min - max (s) | MB/s | best MB/s | CPU user+sys (s) | speed vs %s |\n|---|---:|---:|---:|---:|---:|---:|\n", hdr
		n = split(cl, c, " ")
		# "lftp|curl": the faster of the two
		split(ref, refs, "|"); rm = ""
		for (i = 1; i in refs; i++) { r2 = median(wall[test SUBSEP refs[i]]); if (r2 != "" && (rm == "" || r2 < rm)) rm = r2 }
		for (i = 1; i <= n; i++) {
			k = test SUBSEP c[i]
			if (!(k in nok) && !(k in nbad)) continue
			m = median(wall[k])
			if (m == "") { printf "| %s | - | - | - | - | - | - |\n", name(k, c[i]); continue }
			printf "| %s | %.3f | %.3f - %.3f | %.0f | %.0f | %.2f | %s |\n", name(k, c[i]), m, lo(wall[k]), hi(wall[k]),
				big / 1e6 / m, big / 1e6 / lo(wall[k]), median(cpu[k]), rm == "" ? "-" : sprintf("%.2f", rm / m)
		}
		printf "\n"
	}
	function smalltable(test, what,   n, c, i, k, m, rm) {
		printf "#### %d files of %d bytes, %s, %d at once\n\n", files, size, what, par
		printf "| client | median (s) | min - max (s) | files/s | CPU user+sys (s) | logins | sessions that moved files (files each) | speed vs curl |\n|---|---:|---:|---:|---:|---:|---|---:|\n"
		n = split(smallc, c, " ")
		rm = median(wall[test SUBSEP "curl"])
		for (i = 1; i <= n; i++) {
			k = test SUBSEP c[i]
			if (!(k in nok) && !(k in nbad)) continue
			m = median(wall[k])
			if (m == "") { printf "| %s | - | - | - | - | - | - | - |\n", name(k, c[i]); continue }
			printf "| %s | %.3f | %.3f - %.3f | %.0f | %.2f | %s | %s (%s) | %s |\n", name(k, c[i]), m, lo(wall[k]), hi(wall[k]),
				files / m, median(cpu[k]), (lo(logins[k]) == hi(logins[k]) ? lo(logins[k]) : lo(logins[k]) "-" hi(logins[k])),
				(lo(ses[k]) == hi(ses[k]) ? lo(ses[k]) : lo(ses[k]) "-" hi(ses[k])), per1(per[k]),
				rm == "" ? "-" : sprintf("%.2f", rm / m)
		}
		printf "\n"
	}
	function range(s) { return lo(s) == hi(s) ? lo(s) : lo(s) "-" hi(s) }
	# A mirror: the ratio to lftp is of files/s for a tree moved whole
	# (above 1: faster), of the time for an up-to-date one (below 1: faster).
	function mirrortable(test, what, up2date,   n, c, i, k, m, rm) {
		printf "#### %s: %d files of %d bytes in %d directories, %s, %d at once\n\n", test, files, size, dirs, what, par
		printf "| client | median (s) | min - max (s) | files/s | CPU user+sys (s) | logins | files moved | sessions that moved files (files each) | %s |\n|---|---:|---:|---:|---:|---:|---:|---|---:|\n",
			up2date ? "time vs lftp" : "files/s vs lftp"
		n = split(mirrorc, c, " ")
		rm = median(wall[test SUBSEP "lftp"])
		for (i = 1; i <= n; i++) {
			k = test SUBSEP c[i]
			if (!(k in nok) && !(k in nbad)) continue
			m = median(wall[k])
			if (m == "") { printf "| %s | - | - | - | - | - | - | - | - |\n", name(k, c[i]); continue }
			printf "| %s | %.3f | %.3f - %.3f | %.0f | %.2f | %s | %s | %s (%s) | %s |\n", name(k, c[i]), m, lo(wall[k]), hi(wall[k]),
				files / m, median(cpu[k]), range(logins[k]), range(moved[k]), range(ses[k]), per1(per[k]),
				rm == "" ? "-" : sprintf("%.2f", up2date ? m / rm : rm / m)
			if (c[i] == "gftp") r[test] = rm == "" ? "" : (up2date ? m / rm : rm / m)
		}
		printf "\n"
		if (r[test] != "")
			printf up2date ? "gftp'\''s time is %.2f x lftp'\''s (the bar: at most 0.5).\n\n" : "gftp moves %.2f x lftp'\''s files/s (the bar: at least 1.2).\n\n", r[test]
	}
	# The files per session over all runs: the fewest and the most.
	function per1(s,   a, n, i, b, l, h) {
		n = split(s, a, " "); l = ""; h = 0
		for (i = 1; i <= n; i++) { split(a[i], b, "-"); if (l == "" || b[1] + 0 < l) l = b[1] + 0; if (b[2] + 0 > h) h = b[2] + 0 }
		return l == h ? l : l "-" h
	}
	END {
		if (has(tests, "get-big")) bigtable("get-big", "tnftp", "download (get)", bigc)
		if (has(tests, "put-big")) bigtable("put-big", "lftp", "upload (put)", bigc)
		if (has(tests, "get-tls")) bigtable("get-tls", "lftp|curl", "download over TLS (explicit, data protected; TLS 1.3)", tlsc)
		if (has(tests, "put-tls")) bigtable("put-tls", "lftp|curl", "upload over TLS (explicit, data protected; TLS 1.3)", tlsc)
		if (has(tests, "get-small")) smalltable("get-small", "downloaded (mget)")
		if (has(tests, "put-small")) smalltable("put-small", "uploaded (mput)")
		if (has(tests, "mirror-up")) mirrortable("mirror-up", "uploaded (mirror -R) into an empty directory", 0)
		if (has(tests, "mirror-up-again")) mirrortable("mirror-up-again", "uploaded (mirror -R) again: the server has them all, nothing to move", 1)
		if (has(tests, "mirror-down")) mirrortable("mirror-down", "downloaded (mirror) into an empty directory", 0)
		if (has(tests, "mirror-down-again")) mirrortable("mirror-down-again", "downloaded (mirror) again: the local copy is up to date, nothing to move", 1)
		if (has(tests, "mirror-up-again") || has(tests, "mirror-down-again"))
			printf "The up-to-date copy of the -again runs: %s. Checked after each: no file moved (vsftpd'\''s log), no file or directory changed (inode, size, mtime, ctime).\n\n",
				again == "self" ? "made by an untimed run of the same client right before" : "the source tree copied with cp -a right before (the times kept)"
		# Peak RSS: a column for each measurement that ran.
		split("get-big put-big get-small put-small get-tls put-tls mirror-up mirror-up-again mirror-down mirror-down-again", all, " ")
		split("get " bigmib " MiB|put " bigmib " MiB|mget " files " files|mput " files " files|get over TLS|put over TLS|mirror -R|mirror -R again|mirror|mirror again", head, "|")
		nt = 0; hl = ""; sl = ""
		for (j = 1; j in all; j++) if (has(tests, all[j])) { tt[++nt] = all[j]; hl = hl " | " head[j]; sl = sl "---:|" }
		printf "#### Peak RSS (KiB, GNU time %%M; median over the rounds)\n\n| client%s |\n|---|%s\n", hl, sl
		n = split("gftp tnftp lftp curl", c, " ")
		for (i = 1; i <= n; i++) {
			row = "| " c[i]; any = 0
			for (j = 1; j <= nt; j++) {
				k = tt[j] SUBSEP c[i]
				m = (k in rss) ? median(rss[k]) : ""
				if (m != "") any = 1
				row = row " | " (m == "" ? "-" : sprintf("%d", m))
			}
			if (any) print row " |"
		}
		printf "\n"
		if (tests ~ /-(big|tls|small)( |$)/)
			printf "MB/s: 10^6 bytes a second, at the median time (best: at the shortest). Speed vs X: X'\''s median time / the client'\''s (above 1: faster than X).\n"
		printf "Logins: per run, from vsftpd'\''s log; sessions: the vsftpd sessions that moved files in a run, and the fewest and most files one moved.\n"
		if (tests ~ /mirror-/)
			printf "Mirror: files/s vs lftp: lftp'\''s median time / the client'\''s (above 1: faster); time vs lftp: the client'\''s median time / lftp'\''s (below 1: faster); files/s of an -again run: files compared a second; files moved: from vsftpd'\''s log.\n"
		printf "\n"
		if (trace) {
			printf "FTP commands a run (vsftpd'\''s protocol log, all connections; median over the rounds, and each command'\''s count in the last run):\n\n| measurement | client | commands | of them |\n|---|---|---:|---|\n"
			split(tests, tl0, " ")
			for (j = 1; j in tl0; j++) {
				cl = tl0[j] ~ /-big$/ ? bigc : tl0[j] ~ /-tls$/ ? tlsc : tl0[j] ~ /^mirror-/ ? mirrorc : smallc
				n = split(cl, c, " ")
				for (i = 1; i <= n; i++) {
					k = tl0[j] SUBSEP c[i]
					if (k in verbs) { v = verbs[k]; gsub(/,/, ", ", v); gsub(/=/, " ", v); printf "| %s | %s | %s | %s |\n", tl0[j], c[i], median(cmds[k]), v }
				}
			}
			printf "\n"
		}
		printf "Wall time of each timed run in round order (s):\n\n```\n"
		split(tests, tl, " ")
		for (j = 1; j in tl; j++) {
			cl = tl[j] ~ /-big$/ ? bigc : tl[j] ~ /-tls$/ ? tlsc : tl[j] ~ /^mirror-/ ? mirrorc : smallc
			n = split(cl, c, " ")
			for (i = 1; i <= n; i++) { k = tl[j] SUBSEP c[i]; if (k in seq) printf "%-17s %-6s%s\n", tl[j], c[i], seq[k] }
		}
		printf "```\n"
	}' "$runs"
	echo
	echo "Command lines (U and P: the throwaway account's; uploads run in a folder of$([ "$big_tests" = 1 ] && echo " big.bin,") f$first ... f$last" \
		"and tree/ (d$(printf "%0${dwidth}d" 0) ... d$(printf "%0${dwidth}d" $((DIRS - 1))), each of f$(printf "%0${fwidth}d" 0) ... f$(printf "%0${fwidth}d" $((per_dir - 1))))," \
		"downloads in an empty one, mirror-down-again in one holding an up-to-date tree/):"
	echo
	echo '```'
	local test c scripts=
	for test in $TESTS; do
		local cl=$BIG_CLIENTS
		case $test in *-small) cl=$SMALL_CLIENTS ;; *-tls) cl=$TLS_CLIENTS ;; mirror-*) cl=$MIRROR_CLIENTS ;; esac
		for c in $cl; do printf '%-17s %-6s %s\n' "$test" "$c" "$(shown "$test" "$c")"; done
		# The scripts those command lines run (the -tls runs: the -big ones).
		case $test in *-tls) test=${test%-tls}-big ;; esac
		case " $scripts " in *" $test "*) ;; *) scripts+=" $test" ;; esac
	done
	for test in $scripts; do
		[ -f "$t/$test.ftp" ] || continue
		echo "$test.ftp:"
		sed 's/^/    /' "$t/$test.ftp"
	done
	echo '```'
}
report | sed "s/$pass/P/g; s/$user\([ :,]\)/U\1/g" | tee ${RESULTS:+"$RESULTS"}
[ "$failed" = 0 ] || lb_die "$failed runs failed their check (see $runs and $work/logs)"
