#!/usr/bin/env bash
# Side-by-side speed and memory of gftp, tnftp and lftp against one local
# server (the embedded one, on 127.0.0.1): upload and download of one file.
# Needs hyperfine, tnftp, lftp and GNU time (Debian: hyperfine tnftp lftp
# time). Usage: bench/compare.sh [size-in-MiB] (default 256).
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-256}
for tool in hyperfine tnftp lftp /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install hyperfine tnftp lftp time)" >&2; exit 2; }
done
make -s build
go build -o bin/gftp-demo ./cmd/gftp-demo
work=$(mktemp -d)
trap 'kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/srv" "$work/local"
head -c "$((size << 20))" /dev/urandom > "$work/local/big.bin"
cp "$work/local/big.bin" "$work/srv/down.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/gftp-demo -serve "$work/srv" -listen "127.0.0.1:$port" > "$work/server.log" &
srv=$!
for _ in $(seq 50); do grep -q serving "$work/server.log" && break; sleep 0.1; done

gftp=$PWD/bin/gftp
cd "$work/local"
ftp_script() { printf 'open 127.0.0.1 %s\nuser ftpuser secret\nbinary\n%s\n' "$port" "$1"; }
ftp_script 'put big.bin up-gftp.bin' > gftp-put.ftp
ftp_script 'put big.bin up-tnftp.bin' > tnftp-put.ftp
ftp_script 'get down.bin down-gftp.bin' > gftp-get.ftp
ftp_script 'get down.bin down-tnftp.bin' > tnftp-get.ftp
lftp_cmd() { echo "lftp -u ftpuser,secret -p $port -e 'set ftp:passive-mode on; set net:max-retries 1; set xfer:clobber on; $1; quit' 127.0.0.1"; }

echo "== ${size} MiB upload and download, passive mode, 127.0.0.1 ($(nproc) cores)"
hyperfine --warmup 1 --runs 8 -N --export-markdown "$work/put.md" \
	-n gftp-put "$gftp -in --script gftp-put.ftp" \
	-n tnftp-put "sh -c 'tnftp -in < tnftp-put.ftp'" \
	-n lftp-put "$(lftp_cmd 'put big.bin -o up-lftp.bin')"
hyperfine --warmup 1 --runs 8 -N --export-markdown "$work/get.md" \
	-n gftp-get "$gftp -in --script gftp-get.ftp" \
	-n tnftp-get "sh -c 'tnftp -in < tnftp-get.ftp'" \
	-n lftp-get "$(lftp_cmd 'get down.bin -o down-lftp.bin')"
cat "$work/put.md" "$work/get.md"
for f in up-gftp.bin up-tnftp.bin up-lftp.bin; do cmp "$work/srv/$f" big.bin; done
for f in down-gftp.bin down-tnftp.bin down-lftp.bin; do cmp "$f" big.bin; done

echo "== peak memory (max RSS, KiB), upload then download"
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
printf 'gftp  %s %s\n' "$(rss "$gftp" -in --script gftp-put.ftp)" "$(rss "$gftp" -in --script gftp-get.ftp)"
printf 'tnftp %s %s\n' "$(rss sh -c 'tnftp -in < tnftp-put.ftp')" "$(rss sh -c 'tnftp -in < tnftp-get.ftp')"
printf 'lftp  %s %s\n' "$(rss sh -c "$(lftp_cmd 'put big.bin -o up-lftp.bin')")" "$(rss sh -c "$(lftp_cmd 'get down.bin -o down-lftp.bin')")"
