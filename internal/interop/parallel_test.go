//go:build linux

package interop

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The parallel tests: mput -P N and mget -P N move files over N control
// connections at once, against the real servers, over IPv4 only.

// parallelLinks is the -P of the tests.
const parallelLinks = 4

// parallelSizes are the sizes of the files moved: 24 files, from empty to
// 1 MiB, around the sizes where buffers and TCP segments end, each size
// once so that a mix-up of two files shows.
var parallelSizes = []int{
	0, 1, 2, 100, 511, 512, 1023, 1024, 1025, 1460, 4095, 4096,
	4097, 10_000, 32 << 10, 64<<10 - 1, 64 << 10, 100_000, 128<<10 + 1, 256 << 10,
	300_000, 512 << 10, 768<<10 + 3, 1 << 20,
}

// parallelFiles makes one file of each size (n of them, the sizes taken in
// turn), named p00.bin and so on, in the sorted order of their names.
func parallelFiles(n int) (names []string, files map[string][]byte) {
	files = map[string][]byte{}
	for i := range n {
		name := fmt.Sprintf("p%02d.bin", i)
		names = append(names, name)
		files[name] = randomBytes(parallelSizes[i%len(parallelSizes)])
	}
	return names, files
}

// TestParallel is mput -P 4 of 24 files, then mget -P 4 of them into a
// fresh folder, against each server in passive and active mode on
// 127.0.0.1. Servers run in parallel; the two modes of one server one
// after the other on one instance, each from an empty served root.
func TestParallel(t *testing.T) {
	requireServers(t)
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			var opts []serverOption
			if pyftpdlibBased(kind.name) {
				// Without it, pyftpdlib loses sessions' sockets in
				// active mode (see pyftpdlibFdFix).
				opts = append(opts, pyftpdlibFdFix())
			}
			inst, err := kind.start(t, "127.0.0.1", opts...)
			if err != nil {
				t.Fatalf("%s did not start: %v", kind.name, err)
			}
			for _, mode := range modes {
				t.Run(mode.name, func(t *testing.T) {
					c := &cell{inst: inst, mode: mode.name, flag: mode.flag}
					c.clearRoot(t)
					t.Cleanup(func() {
						if t.Failed() {
							t.Logf("%s logs:\n%s", inst.server, inst.logTails())
						}
					})
					c.parallelRoundTrip(t)
				})
			}
		})
	}
}

// parallelRoundTrip puts the files with mput -P, checks them on the
// server's disk, gets them back with mget -P into an empty folder and
// checks them there.
func (c *cell) parallelRoundTrip(t *testing.T) {
	names, files := parallelFiles(len(parallelSizes))
	local := t.TempDir()
	for name, data := range files {
		writeFile(t, filepath.Join(local, name), data)
	}
	c.serverDir(t, "par")

	logins := c.inst.logins()
	r := c.gftp(t, local, fmt.Sprintf("binary\ncd par\nmput -P %d p*.bin\n", parallelLinks))
	r.ok(t, true)
	r.wholeFiles(t, names, files, "sent")
	c.wantMoreLogins(t, r, logins)
	for _, name := range names {
		c.wantServerFile(t, "par/"+name, files[name])
	}
	c.wantServerNames(t, "par", names...)

	back := t.TempDir()
	logins = c.inst.logins()
	r = c.gftp(t, back, fmt.Sprintf("binary\ncd par\nmget -P %d p*.bin\n", parallelLinks))
	r.ok(t, true)
	r.wholeFiles(t, names, files, "received")
	c.wantMoreLogins(t, r, logins)
	if got := dirNames(t, back); !slices.Equal(got, names) {
		r.fail(t, "mget -P %d p*.bin fetched %q, want %q", parallelLinks, got, names)
	}
	for _, name := range names {
		wantFile(t, filepath.Join(back, name), files[name])
	}
}

// wholeFiles checks that each file's lines came out whole, once: its
// "local: ... remote: ..." line, then its byte count, with no other file's
// between them. (With -d, as the tests run gftp, the commands and replies
// of all the links are printed as they go, interleaved: only the lines
// that -v alone prints are held per file.)
func (r *gftpRun) wholeFiles(t *testing.T, names []string, files map[string][]byte, verb string) {
	t.Helper()
	start := regexp.MustCompile(`^local: (.+) remote: `)
	count := regexp.MustCompile(`^(\d+) bytes ` + verb + ` in `)
	var open string
	seen := map[string]int{}
	for line := range strings.SplitSeq(r.stdout, "\n") {
		if m := start.FindStringSubmatch(line); m != nil {
			if open == m[1] {
				r.fail(t, "%s's lines began again before they ended (the file was tried again?)", open)
				return
			}
			if open != "" {
				r.fail(t, "%s's lines began before %s's ended", m[1], open)
				return
			}
			open = m[1]
			continue
		}
		if m := count.FindStringSubmatch(line); m != nil {
			if open == "" {
				r.fail(t, "a byte count outside any file's lines: %q", line)
				return
			}
			if want := fmt.Sprint(len(files[open])); m[1] != want {
				r.fail(t, "%s: %s bytes %s, want %s: the lines of two files are mixed up", open, m[1], verb, want)
			}
			seen[open]++
			open = ""
		}
	}
	for _, name := range names {
		if seen[name] != 1 {
			r.fail(t, "%s: %d whole transcripts (local: line to byte count), want 1", name, seen[name])
		}
	}
}

// loginMarks are what a server's protocol log (instance.protocolLog)
// says once for each login: vsftpd's log_ftp_protocol line, proftpd's
// ExtendedLog line of a PASS accepted, pyftpdlib's DEBUG line (iis-style's
// too: it is pyftpdlib).
var loginMarks = map[string]*regexp.Regexp{
	"vsftpd":    regexp.MustCompile(`(?m)\bOK LOGIN: `),
	"proftpd":   regexp.MustCompile(`(?m)"PASS \(hidden\)" 230$`),
	"pyftpdlib": regexp.MustCompile(`(?m) logged in\.`),
	"iis-style": regexp.MustCompile(`(?m) logged in\.`),
}

// logins counts the logins in the server's protocol log so far; -1 where
// there is none (pure-ftpd logs to syslog only).
func (inst *instance) logins() int {
	mark, ok := loginMarks[inst.server]
	if !ok {
		return -1
	}
	return len(mark.FindAllStringIndex(inst.protocolLog(), -1))
}

// wantMoreLogins checks, where the server logs its logins, that the run
// logged in more than once since before was counted: the files went over
// several control connections.
func (c *cell) wantMoreLogins(t *testing.T, r *gftpRun, before int) {
	t.Helper()
	if before < 0 {
		return // pure-ftpd: no log of logins to count
	}
	if n := c.inst.logins() - before; n < 2 {
		r.fail(t, "%s logged %d logins during the run, want 2 or more: the files did not go over several connections", c.inst.server, n)
	} else {
		t.Logf("%s logged %d logins", c.inst.server, n)
	}
}

// TestParallelMaxPerIP is mget -P 4, in passive mode, from a vsftpd that
// takes only two connections from one address (max_per_ip=2): the links
// it refuses (with a 421 greeting) are warned about, and the files go
// over the others.
func TestParallelMaxPerIP(t *testing.T) {
	requireServers(t)
	c := startFaultServer(t, serverKind{"vsftpd", startVsftpd}, maxPerIP(2))
	names, files := parallelFiles(12)
	for name, data := range files {
		c.serverFile(t, name, data)
	}
	local := t.TempDir()
	r := c.gftp(t, local, fmt.Sprintf("binary\nmget -P %d p*.bin\n", parallelLinks))
	if r.code != 0 {
		r.fail(t, "exit status %d, want 0", r.code)
	}
	if !strings.Contains(r.stderr, "going on with fewer") {
		r.fail(t, "stderr does not say it is going on with fewer connections")
	}
	r.wholeFiles(t, names, files, "received")
	if got := dirNames(t, local); !slices.Equal(got, names) {
		r.fail(t, "mget -P %d p*.bin fetched %q, want %q", parallelLinks, got, names)
	}
	for _, name := range names {
		wantFile(t, filepath.Join(local, name), files[name])
	}
	t.Logf("%d links refused", strings.Count(r.stderr, "going on with fewer"))
}

// TestPipeline is a serial mput and mget of 24 files in passive mode,
// each next EPSV sent before the previous transfer's 226: by default once
// the server is done with the data connection (it closed it, or its 226
// has begun), and with --pipeline as soon as the data is out. By default
// every server takes it in order, pyftpdlib too. With --pipeline, vsftpd
// and proftpd read it after the transfer and answer in order; pure-ftpd
// refuses it mid-transfer with a 500, which gftp tells apart and stops
// sending. pyftpdlib is left out of --pipeline: it takes the command
// mid-transfer and the next transfer on the port it gave never starts
// (gftp then waits a reply timeout); --pipeline says it is not for every
// server. So is iis-style, which is pyftpdlib. (proftpd too answers an
// upload's EPSV sent eagerly out of order.)
//
// In active mode the command sent ahead is the next EPRT, with the
// listener it names already open.
func TestPipeline(t *testing.T) {
	requireServers(t)
	for _, kind := range serverKinds {
		for _, v := range []struct {
			suffix string
			active bool
			eager  bool
		}{{"", false, false}, {"/active", true, false}, {"/--pipeline", false, true}} {
			if v.eager && pyftpdlibBased(kind.name) {
				continue
			}
			t.Run(kind.name+v.suffix, func(t *testing.T) {
				t.Parallel()
				pipelineRoundTrip(t, kind, v.active, v.eager)
			})
		}
	}
}

func pipelineRoundTrip(t *testing.T, kind serverKind, active, eager bool) {
	inst, err := kind.start(t, "127.0.0.1")
	if err != nil {
		t.Fatalf("%s did not start: %v", kind.name, err)
	}
	c := &cell{inst: inst, mode: "passive", flag: "-p"}
	if active {
		c.mode, c.flag = "active", "-A"
	}
	if eager {
		c.extra = []string{"--pipeline"}
	}
	c.clearRoot(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s logs:\n%s", inst.server, inst.logTails())
		}
	})
	names, files := parallelFiles(len(parallelSizes))
	local := t.TempDir()
	for name, data := range files {
		writeFile(t, filepath.Join(local, name), data)
	}
	c.serverDir(t, "pipe")
	// Sent ahead: the EPSV shows before the previous transfer's 226
	// (pure-ftpd's has two lines).
	ahead := regexp.MustCompile(`(?m)^---> EPSV\n226[ -]`)
	if active {
		ahead = regexp.MustCompile(`(?m)^---> EPRT [^\n]*\n226[ -]`)
	}
	r := c.gftp(t, local, "binary\ncd pipe\nmput p*.bin\n")
	r.ok(t, true)
	for _, name := range names {
		c.wantServerFile(t, "pipe/"+name, files[name])
	}
	up := len(ahead.FindAllString(r.stdout, -1))
	upEPRT := strings.Count(r.stdout, "---> EPRT ")
	// The upload check: one STAT of the directory, no listing over a data
	// connection (all five list a directory in STAT's reply).
	if !strings.Contains(r.stdout, "---> STAT .\n") || regexp.MustCompile(`(?m)^---> (LIST|MLSD)`).MatchString(r.stdout) {
		r.fail(t, "the upload check was not one STAT .")
	}
	back := t.TempDir()
	r = c.gftp(t, back, "binary\ncd pipe\nmget p*.bin\n")
	r.ok(t, true)
	for _, name := range names {
		wantFile(t, filepath.Join(back, name), files[name])
	}
	down := len(ahead.FindAllString(r.stdout, -1))
	t.Logf("%s: sent ahead of a 226: %d of %d uploads, %d of %d downloads", t.Name(), up, len(names), down, len(names))
	// Each listener announced ahead was the next transfer's: one EPRT a
	// file, and one for mget's listing.
	if downEPRT := strings.Count(r.stdout, "---> EPRT "); active && (upEPRT != len(names) || downEPRT != len(names)+1) {
		r.fail(t, "%d EPRT for %d uploads, %d for the listing and %d downloads", upEPRT, len(names), downEPRT, len(names))
	}
	if down < len(names)-2 {
		r.fail(t, "%d EPSV sent ahead of a 226 for %d downloads", down, len(names))
	}
	// Eager uploads: pure-ftpd and proftpd read the EPSV mid-transfer,
	// and gftp stops sending it.
	if !eager && up < len(names)-2 {
		r.fail(t, "%d EPSV sent ahead of a 226 for %d uploads", up, len(names))
	}
}
