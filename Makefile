# gftp: `make demo` runs the nightly-backup heredoc against an embedded FTP
# server; `make test` runs every test. Only Go is needed.

GO      ?= go
BIN     := bin/gftp
# The race detector needs cgo and a C compiler; CI has both.
RACE    := $(if $(filter true,$(CI)),-race,)
# A count of executions, not a duration: with a duration, Go before 1.27
# can fail a target at the deadline with "context deadline exceeded" on a
# loaded machine (golang/go#75804), finding nothing.
FUZZTIME ?= 50000x

.PHONY: all build demo test vet fmtcheck fuzz clean

all: build

# Without cgo the binary is static: no libc mapped (1.5 MB less RSS) and
# no C toolchain needed. Names are then looked up by Go's own resolver
# (/etc/hosts and DNS, as nsswitch.conf's "files dns").
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/gftp

demo: build
	$(GO) run ./cmd/gftp-demo -gftp $(BIN)

# Under CI=true the real servers (vsftpd, pure-ftpd, proftpd, pyftpdlib)
# are fetched first, and the tests that need them or root must run.
test: vet fmtcheck
	@if [ "$(CI)" = true ]; then echo "real servers in $$(testdata/servers/fetch.sh)"; \
	elif [ "$$(id -u)" != 0 ] || [ ! -x "$${GFTP_SERVERS:-$${XDG_CACHE_HOME:-$$HOME/.cache}/gftp/servers}/vsftpd/usr/sbin/vsftpd" ]; then \
		echo "note: the real-server (internal/interop) and firewall (internal/firewall) tests are skipped: they need root and testdata/servers/fetch.sh (CI=true runs both)"; fi
	$(GO) test $(RACE) -count=1 ./...
	$(MAKE) fuzz

vet:
	$(GO) vet ./...

fmtcheck:
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Short runs of each fuzz target (the seeds run in `go test`).
fuzz:
	@set -e; for t in FuzzReadReply FuzzParsePASV FuzzParseEPSV FuzzParseListLine FuzzParseMLSDLine FuzzListingWriter; do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./internal/ftp/; \
	done
	$(GO) test -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME) ./internal/commands/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/netrc/
	$(GO) test -run '^$$' -fuzz '^FuzzVisible$$' -fuzztime $(FUZZTIME) ./internal/safe/

clean:
	rm -rf bin
