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
# The go command stamps the commit into the binary (gftp --version) when
# it can; an environment's GOFLAGS=-buildvcs=false would stop it, so the
# build says auto. BUILDVCS=false builds from a tree git cannot read.
BUILDVCS ?= auto
# The platforms `make cross` builds and vets for besides this one.
CROSS   ?= darwin/arm64 windows/amd64

# `make install` puts gftp where distributions look for each part; with
# DESTDIR, under a staging root (make install DESTDIR=/tmp/pkg PREFIX=/usr).
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
MAN1DIR  = $(PREFIX)/share/man/man1
BASHDIR  = $(PREFIX)/share/bash-completion/completions
ZSHDIR   = $(PREFIX)/share/zsh/site-functions
FISHDIR  = $(PREFIX)/share/fish/vendor_completions.d
# Generated from the binary's own command tree (bin/, never committed).
MAN      = bin/man/gftp.1
COMPDIR  = bin/completions

.PHONY: all build demo test vet cross fmtcheck fuzz man completions install uninstall installcheck clean

all: build

# Without cgo the binary is static: no libc mapped (1.5 MB less RSS) and
# no C toolchain needed. Names are then looked up by Go's own resolver
# (/etc/hosts and DNS, as nsswitch.conf's "files dns").
build:
	CGO_ENABLED=0 $(GO) build -buildvcs=$(BUILDVCS) -o $(BIN) ./cmd/gftp

# gftp(1), from the same cobra tree and command table as --help and help.
man: build
	@mkdir -p $(dir $(MAN))
	$(BIN) __man > $(MAN).tmp && mv $(MAN).tmp $(MAN)

# cobra's completion scripts; they ask gftp itself (gftp __complete) for
# flag values and bookmark names at each Tab.
completions: build
	@mkdir -p $(COMPDIR)
	$(BIN) completion bash > $(COMPDIR)/gftp.bash
	$(BIN) completion zsh > $(COMPDIR)/_gftp
	$(BIN) completion fish > $(COMPDIR)/gftp.fish

install: build man completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/gftp
	install -m 0644 $(MAN) $(DESTDIR)$(MAN1DIR)/gftp.1
	install -m 0644 $(COMPDIR)/gftp.bash $(DESTDIR)$(BASHDIR)/gftp
	install -m 0644 $(COMPDIR)/_gftp $(DESTDIR)$(ZSHDIR)/_gftp
	install -m 0644 $(COMPDIR)/gftp.fish $(DESTDIR)$(FISHDIR)/gftp.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/gftp $(DESTDIR)$(MAN1DIR)/gftp.1 $(DESTDIR)$(BASHDIR)/gftp \
		$(DESTDIR)$(ZSHDIR)/_gftp $(DESTDIR)$(FISHDIR)/gftp.fish

# install and uninstall into a scratch DESTDIR: every file lands where
# it should, the page renders, and uninstall leaves no file behind.
installcheck:
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(MAKE) -s install DESTDIR="$$d" PREFIX=/usr; \
	for f in bin/gftp share/man/man1/gftp.1 share/bash-completion/completions/gftp \
		share/zsh/site-functions/_gftp share/fish/vendor_completions.d/gftp.fish; do \
		test -s "$$d/usr/$$f" || { echo "installcheck: $$f not installed"; exit 1; }; done; \
	test -x "$$d/usr/bin/gftp"; "$$d/usr/bin/gftp" --version; \
	$(GO) tool nm "$$d/usr/bin/gftp" >"$$d/syms" || { echo "installcheck: go tool nm failed (a stripped binary?)"; exit 1; }; \
	if grep -q 'reflect.Value.MethodByName' "$$d/syms"; then \
		echo "installcheck: reflect.Value.MethodByName is linked (a cobra help or version template, text/template?): the linker then keeps every exported method, 2 MB of binary and 2 MB of RSS"; exit 1; fi; \
	if command -v man >/dev/null; then man -l "$$d/usr/share/man/man1/gftp.1" | grep -q '^COMMANDS'; fi; \
	rm "$$d/syms"; $(MAKE) -s uninstall DESTDIR="$$d" PREFIX=/usr; \
	left=$$(find "$$d" -type f); if [ -n "$$left" ]; then echo "installcheck: uninstall left $$left"; exit 1; fi; \
	echo "installcheck: ok"

demo: build
	$(GO) run ./cmd/gftp-demo -gftp $(BIN)

# Under CI=true the real servers (vsftpd, pure-ftpd, proftpd, pyftpdlib)
# are fetched first, and the tests that need them or root must run.
test: vet cross fmtcheck installcheck
	@if [ "$(CI)" = true ]; then echo "real servers in $$(testdata/servers/fetch.sh)"; \
	elif [ "$$(id -u)" != 0 ] || [ ! -x "$${GFTP_SERVERS:-$${XDG_CACHE_HOME:-$$HOME/.cache}/gftp/servers}/vsftpd/usr/sbin/vsftpd" ]; then \
		echo "note: the real-server (internal/interop) and firewall (internal/firewall) tests are skipped: they need root and testdata/servers/fetch.sh (CI=true runs both)"; fi
	$(GO) test $(RACE) -count=1 ./...
	$(MAKE) fuzz

vet:
	$(GO) vet ./...

# gftp builds for macOS and Windows too: a Unix-only call outside a file
# with a build tag fails here, not on a user's machine. vet type-checks
# the tests as well (those that need Linux say //go:build linux).
cross:
	@set -e; for p in $(CROSS); do \
		echo "GOOS=$${p%/*} GOARCH=$${p#*/}: go build ./... && go vet ./..."; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build ./...; \
		GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./...; \
	done

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
