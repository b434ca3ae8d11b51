//go:build linux

package interop

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// serverKind is one of the real servers and how to start it.
type serverKind struct {
	name  string
	start func(t *testing.T, host string, opts ...serverOption) (*instance, error)
}

var serverKinds = []serverKind{
	{"vsftpd", startVsftpd},
	{"pure-ftpd", startPureFTPd},
	{"proftpd", startProFTPD},
	{"pyftpdlib", startPyftpdlib},
	{"iis-style", startIISStyle},
}

var modes = []struct{ name, flag string }{
	{"passive", "-p"},
	{"active", "-A"},
}

var addrFamilies = []struct{ name, host string }{
	{"ipv4", "127.0.0.1"},
	{"ipv6", "::1"},
}

// TestInterop is the matrix: server/mode/ipv. Servers run in parallel; the
// cells of one server run one after the other on its two instances (one
// per address), each starting from an empty served root.
func TestInterop(t *testing.T) {
	requireServers(t)
	for _, kind := range serverKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			insts := map[string]*instance{}
			errs := map[string]error{}
			for _, af := range addrFamilies {
				if af.name == "ipv6" && !haveIPv6() {
					continue
				}
				insts[af.name], errs[af.name] = kind.start(t, af.host)
			}
			for _, mode := range modes {
				t.Run(mode.name, func(t *testing.T) {
					for _, af := range addrFamilies {
						t.Run(af.name, func(t *testing.T) {
							if err := errs[af.name]; err != nil {
								t.Fatalf("%s on %s did not start: %v", kind.name, af.host, err)
							}
							inst := insts[af.name]
							if inst == nil {
								t.Skip("this host has no IPv6 loopback (::1)")
							}
							(&cell{inst: inst, mode: mode.name, flag: mode.flag}).run(t)
						})
					}
				})
			}
		})
	}
}

func haveIPv6() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// cell is one server × mode × address.
type cell struct {
	inst  *instance
	mode  string   // "passive" or "active"
	flag  string   // gftp's flag for it
	extra []string // more flags
}

func (c *cell) run(t *testing.T) {
	c.clearRoot(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s logs:\n%s", c.inst.server, c.inst.logTails())
		}
	})
	t.Run("backup", c.backup)
	t.Run("roundtrip", c.roundTrips)
	t.Run("listing", c.listing)
	t.Run("dirs", c.dirs)
	t.Run("syst", c.syst)
	t.Run("times", c.times)
	t.Run("newer", c.newer)
	t.Run("tree", c.tree)
	t.Run("links", c.links)
	t.Run("perms", c.perms)
}

// listsByLIST says whether gftp has only LIST to go by on the server:
// no MLSD (vsftpd, and iis-style, like IIS). Its times are then to the
// minute (for recent files; vsftpd gives older ones the day only).
func listsByLIST(server string) bool { return server == "vsftpd" || server == "iis-style" }

// listLine is a regexp for the line that a LIST of its folder has for
// name, a file of size bytes or, with size -1, a folder, in the server's
// own style: for iis-style IIS's MS-DOS form, column for column (the
// date, the 12-hour time, "<DIR>" or the size right-aligned in 20
// columns, the name from the 40th), for the others ls -l's.
func listLine(server, name string, size int64) string {
	if server == "iis-style" {
		what := "       <DIR>         "
		if size >= 0 {
			what = fmt.Sprintf(" %20d", size)
		}
		return `^\d\d-\d\d-\d\d  \d\d:\d\d[AP]M` + what + ` ` + regexp.QuoteMeta(name) + `$`
	}
	kind := "-"
	if size < 0 {
		kind = "d"
	}
	return `^` + kind + `[-rwxsStT]{9}\s.* ` + regexp.QuoteMeta(name) + `$`
}

// tree checks get -r against the server's own listings (MLSD with its
// cdir and pdir entries, or LIST), put -r of what came, and rm -r of that:
// subdirectories, a space, non-ASCII, an empty directory.
func (c *cell) tree(t *testing.T) {
	c.serverDir(t, "tr")
	files := map[string][]byte{
		"tr/top.bin":                  randomBytes(3000),
		"tr/sub dir/mid.bin":          randomBytes(2000),
		"tr/sub dir/deeper/ü low.bin": randomBytes(1000),
	}
	for rel, data := range files {
		c.serverDir(t, path.Dir(rel))
		writeFile(t, c.path(rel), data)
	}
	c.serverDir(t, "tr/empty")
	local := t.TempDir()
	r := c.gftp(t, local, "get -r tr got\n")
	r.ok(t, true)
	for rel, data := range files {
		wantFile(t, filepath.Join(local, "got", filepath.FromSlash(strings.TrimPrefix(rel, "tr/"))), data)
	}
	if fi, err := os.Stat(filepath.Join(local, "got", "empty")); err != nil || !fi.IsDir() {
		r.fail(t, "the empty directory was not made: %v", err)
	}
	// And back up, with put -r, beside it.
	r = c.gftp(t, local, "put -r got back\n")
	r.ok(t, true)
	for rel, data := range files {
		c.wantServerFile(t, "back/"+strings.TrimPrefix(rel, "tr/"), data)
	}
	if fi, err := os.Stat(c.path("back/empty")); err != nil || !fi.IsDir() {
		r.fail(t, "put -r did not make the empty directory: %v", err)
	}
	// mirror: the first run moves the three files, a second none, by
	// the listings alone (vsftpd's LIST dates, iis-style's MS-DOS ones
	// to the minute, the others' MLSD).
	r = c.gftp(t, local, "mirror tr mirrored\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror tr: 3 new, 0 updated, 0 skipped \(up to date\), 0 deleted, 0 failed$`)
	r = c.gftp(t, local, "mirror tr mirrored\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror tr: 0 new, 0 updated, 3 skipped \(up to date\), 0 deleted, 0 failed$`)
	if regexp.MustCompile(`(?m)^---> RETR `).MatchString(r.stdout) {
		r.fail(t, "the second mirror moved a file")
	}
	// mirror -R: the tree goes up once, and a second run sends nothing.
	r = c.gftp(t, local, "mirror -R got up\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror -R got: 3 new, 0 updated, 0 skipped \(up to date\), 0 deleted, 0 failed$`)
	r = c.gftp(t, local, "mirror -R got up\n")
	r.ok(t, true)
	r.stdoutHas(t, `^mirror -R got: 0 new, 0 updated, 3 skipped \(up to date\), 0 deleted, 0 failed$`)
	for rel, data := range files {
		c.wantServerFile(t, "up/"+strings.TrimPrefix(rel, "tr/"), data)
	}
	// And rm -r it; tr stays.
	r = c.gftp(t, local, "rm -r back\n")
	r.ok(t, true)
	if _, err := os.Stat(c.path("back")); !os.IsNotExist(err) {
		r.fail(t, "rm -r left back: %v", err)
	}
	c.wantServerFile(t, "tr/top.bin", files["tr/top.bin"])
}

// times checks that downloads keep the server's modification time:
// get through MDTM, mget through its MLSD listing (or MDTM, for a server
// without MLSD), to the second.
func (c *cell) times(t *testing.T) {
	c.serverDir(t, "tm")
	when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, n := range []string{"one.txt", "two.txt"} {
		writeFile(t, c.path("tm/"+n), randomBytes(100))
		if err := os.Chtimes(c.path("tm/"+n), when, when); err != nil {
			t.Fatal(err)
		}
	}
	local := t.TempDir()
	r := c.gftp(t, local, "cd tm\nget one.txt got.txt\nmget *.txt\nmodtime one.txt\n")
	r.ok(t, true)
	r.stdoutHas(t, `^one\.txt\t2021-03-04 05:06:07 UTC$`)
	for _, n := range []string{"got.txt", "one.txt", "two.txt"} {
		fi, err := os.Stat(filepath.Join(local, n))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.ModTime().UTC(); !got.Equal(when) {
			r.fail(t, "%s has time %s, want the server's %s", n, got, when)
		}
	}
}

// newer checks mirror's comparison of times, both ways, at the precision
// of the server's listing: the second for MLSD, the minute for LIST's
// HH:MM (vsftpd's, for a recent file; iis-style's MS-DOS lines, whose
// 12-hour clock says PM here: read as AM, the times would be twelve
// hours early). Sizes are the same throughout, so that only the times
// decide.
func (c *cell) newer(t *testing.T) {
	// Three days ago, so that vsftpd lists the time and not the year; in
	// the afternoon.
	day := time.Now().UTC().AddDate(0, 0, -3)
	when := time.Date(day.Year(), day.Month(), day.Day(), 17, 6, 7, 0, time.UTC)
	setTime := func(p string, at time.Time) {
		t.Helper()
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
	byLIST := listsByLIST(c.inst.server)
	local := t.TempDir()
	for _, dir := range []string{"nw", "up"} {
		c.serverDir(t, dir)
		if err := os.Mkdir(filepath.Join(local, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copies := map[string]time.Duration{
		// Download: the local copies are older than the server's files.
		"nw/morning.bin": -12 * time.Hour,  // 05:06:07: out of date
		"nw/seconds.bin": -5 * time.Second, // 17:06:02: the same minute
		// Upload: one local file older, one newer by seconds.
		"up/earlier.bin": -time.Hour,      // 16:06:07: never sent
		"up/seconds.bin": 5 * time.Second, // 17:06:12: the same minute
	}
	remote := map[string][]byte{}
	for rel, off := range copies {
		remote[rel] = randomBytes(100)
		setTime(c.serverFile(t, rel, remote[rel]), when)
		p := filepath.Join(local, filepath.FromSlash(rel))
		writeFile(t, p, randomBytes(100))
		setTime(p, when.Add(off))
	}
	if c.inst.server == "iis-style" {
		// The test is about the PM: make sure the server says it.
		r := c.gftp(t, local, "cd nw\ndir\n")
		r.ok(t, false)
		stamp := regexp.QuoteMeta(when.Format("01-02-06  03:04PM"))
		r.stdoutHas(t, `^`+stamp+` {18}100 morning\.bin$`)
	}

	r := c.gftp(t, local, "mirror nw nw\n")
	r.ok(t, true)
	want := `0 new, 2 updated, 0 skipped`
	if byLIST {
		want = `0 new, 1 updated, 1 skipped` // seconds.bin: up to date by the minute
	}
	r.stdoutHas(t, `^mirror nw: `+want+` \(up to date\), 0 deleted, 0 failed$`)
	wantFile(t, filepath.Join(local, "nw", "morning.bin"), remote["nw/morning.bin"])
	if !byLIST {
		wantFile(t, filepath.Join(local, "nw", "seconds.bin"), remote["nw/seconds.bin"])
	}

	r = c.gftp(t, local, "mirror -R up up\n")
	r.ok(t, false)
	want = `0 new, 1 updated, 1 skipped`
	if byLIST {
		want = `0 new, 0 updated, 2 skipped` // seconds.bin: the same minute
	}
	r.stdoutHas(t, `^mirror -R up: `+want+` \(up to date\), 0 deleted, 0 failed$`)
	c.wantServerFile(t, "up/earlier.bin", remote["up/earlier.bin"])
}

// backup is the README's nightly heredoc: mput the new backups, then delete
// last week's.
func (c *cell) backup(t *testing.T) {
	old := c.serverFile(t, "bakdir/backup-2026-11-17.tgz", randomBytes(4<<10))
	local := t.TempDir()
	files := map[string][]byte{
		"backup-2026-11-24.tgz":   randomBytes(3 << 20),
		"backup-2026-11-24.one":   randomBytes(1),
		"backup-2026-11-24.empty": {},
	}
	for name, data := range files {
		writeFile(t, filepath.Join(local, name), data)
	}
	r := c.gftp(t, local, `
binary
cd bakdir
mput backup-2026-11-24*
mdelete backup-2026-11-17.tgz
`)
	r.ok(t, true)
	r.stdoutHas(t, `^Connected to `+regexp.QuoteMeta(c.inst.host)+`\.$`)
	for _, line := range c.inst.banner {
		r.stdoutHas(t, `^`+regexp.QuoteMeta(line)+`$`)
	}
	r.stdoutHas(t, `^230 `)
	r.stdoutHas(t, `^local: backup-2026-11-24\.tgz remote: backup-2026-11-24\.tgz$`)
	r.stdoutHas(t, `^3145728 bytes sent in `)
	r.stdoutHas(t, `^---> DELE backup-2026-11-17\.tgz$`)
	for name, data := range files {
		c.wantServerFile(t, "bakdir/"+name, data)
	}
	if _, err := os.Stat(old); err == nil {
		t.Errorf("mdelete: %s is still on the server", old)
	}
	c.wantServerNames(t, "bakdir", "backup-2026-11-24.empty", "backup-2026-11-24.one", "backup-2026-11-24.tgz")
}

// roundTrips puts each file and gets it back under another name, one gftp
// run per file so that each failure is reported on its own.
func (c *cell) roundTrips(t *testing.T) {
	c.serverDir(t, "rt")
	for _, f := range []struct {
		test, name string
		size       int
	}{
		{"0B", "empty.bin", 0},
		{"1B", "one.bin", 1},
		{"10MiB", "big.bin", 10 << 20},
		{"space", "with space.txt", 1000},
		{"non-ASCII", "résumé ü.txt", 2000},
	} {
		t.Run(f.test, func(t *testing.T) {
			local := t.TempDir()
			data := randomBytes(f.size)
			writeFile(t, filepath.Join(local, f.name), data)
			back := f.name + ".back"
			r := c.gftp(t, local, fmt.Sprintf("cd rt\nput %s\nget %s %s\n", quote(f.name), quote(f.name), quote(back)))
			r.ok(t, true)
			r.stdoutHas(t, fmt.Sprintf(`^%d bytes sent in `, f.size))
			r.stdoutHas(t, fmt.Sprintf(`^%d bytes received in `, f.size))
			c.wantServerFile(t, "rt/"+f.name, data)
			wantFile(t, filepath.Join(local, back), data)
		})
	}
}

// listing checks that ls and dir show the names, and that mget and mdelete
// globs (which gftp matches itself against MLSD, or against LIST when the
// server has no MLSD) take exactly the matching files: not c.dat, not the
// folder sub.txt, not the dot file.
func (c *cell) listing(t *testing.T) {
	files := map[string][]byte{
		"a.txt":       randomBytes(1 << 10),
		"b.txt":       randomBytes(2 << 10),
		"c.dat":       randomBytes(3 << 10),
		"d e.txt":     randomBytes(10),
		"naïve.txt":   randomBytes(20),
		".hidden.txt": randomBytes(5),
	}
	for name, data := range files {
		c.serverFile(t, "ls/"+name, data)
	}
	c.serverDir(t, "ls/sub.txt")
	c.serverFile(t, "ls/sub.txt/inner.txt", randomBytes(7))
	matching := []string{"a.txt", "b.txt", "d e.txt", "naïve.txt"}

	local := t.TempDir()
	r := c.gftp(t, local, "cd ls\nls\ndir\nmget *.txt\n")
	r.ok(t, true)
	for _, name := range []string{"a.txt", "b.txt", "c.dat", "d e.txt", "naïve.txt", "sub.txt"} {
		// A LIST line ends in the name.
		if n := len(regexp.MustCompile(`(?m) `+regexp.QuoteMeta(name)+`$`).FindAllString(r.stdout, -1)); n < 2 {
			r.fail(t, "ls and dir: %q is in %d listings, want 2", name, n)
		}
	}
	// And in the server's own style: for iis-style, the MS-DOS lines
	// that gftp globbed against.
	for _, name := range matching {
		r.stdoutHas(t, listLine(c.inst.server, name, int64(len(files[name]))))
	}
	r.stdoutHas(t, listLine(c.inst.server, "sub.txt", -1))
	if got := dirNames(t, local); !slices.Equal(got, matching) {
		r.fail(t, "mget *.txt fetched %q, want %q", got, matching)
	}
	for _, name := range matching {
		wantFile(t, filepath.Join(local, name), files[name])
	}
	t.Run("MLSD", func(t *testing.T) {
		// RFC 3659 section 7.8: a server that lists MLST in FEAT supports
		// MLSD too; the RFC defines no "MLSD" feature line (pure-ftpd
		// sends one anyway). The README says gftp globs against MLSD
		// where the server has it.
		mlst := regexp.MustCompile(`(?m)^ MLST\b`).MatchString(r.stdout)
		mlsd := regexp.MustCompile(`(?m)^---> MLSD\b`).MatchString(r.stdout)
		switch {
		case mlst && !mlsd:
			r.fail(t, "gftp bug: %s's FEAT lists MLST, so it has MLSD (RFC 3659 section 7.8), but mget listed with LIST: "+
				"gftp enables MLSD only on a FEAT line \"MLSD\", which RFC 3659 does not define and %s does not send "+
				"(internal/session/remote.go, entries)", c.inst.server, c.inst.server)
		case !mlst && mlsd:
			r.fail(t, "gftp sent MLSD to %s, whose FEAT does not list MLST", c.inst.server)
		case !mlst:
			t.Logf("%s has no MLST in FEAT: gftp globbed against its LIST format", c.inst.server)
		}
	})

	r = c.gftp(t, t.TempDir(), "cd ls\nmdelete *.txt\n")
	r.ok(t, true)
	c.wantServerNames(t, "ls", ".hidden.txt", "c.dat", "sub.txt")
	c.wantServerNames(t, "ls/sub.txt", "inner.txt")
}

// dirs checks mkdir, rmdir and rename on the server's disk.
func (c *cell) dirs(t *testing.T) {
	data := randomBytes(100)
	c.serverFile(t, "ops/old.txt", data)
	c.serverDir(t, "ops/olddir")
	r := c.gftp(t, t.TempDir(), `
cd ops
mkdir newdir
mkdir "new dir 2"
rmdir olddir
rename old.txt "new name.txt"
`)
	r.ok(t, false)
	r.stdoutHas(t, `^257 `)
	r.stdoutHas(t, `^250 `)
	c.wantServerNames(t, "ops", "new dir 2", "new name.txt", "newdir")
	for _, d := range []string{"ops/newdir", "ops/new dir 2"} {
		if fi, err := os.Stat(c.path(d)); err != nil || !fi.IsDir() {
			t.Errorf("mkdir: %s is not a folder on the server (%v)", d, err)
		}
	}
	c.wantServerFile(t, "ops/new name.txt", data)
}

// syst checks that quote passes SYST through and prints the 215 reply.
func (c *cell) syst(t *testing.T) {
	r := c.gftp(t, t.TempDir(), "quote SYST\n")
	r.ok(t, false)
	// gftp sends SYST itself after login: the reply wanted follows the
	// last SYST sent.
	i := strings.LastIndex(r.stdout, "---> SYST\n")
	if i < 0 || !regexp.MustCompile(`^---> SYST\n215 \S`).MatchString(r.stdout[i:]) {
		r.fail(t, "quote SYST: no 215 reply printed after the SYST sent")
	}
}

// gftpRun is one run of the gftp binary.
type gftpRun struct {
	mode           string // "passive" or "active"
	args           []string
	script         string
	code           int
	stdout, stderr string
	elapsed        time.Duration
	shown          bool
}

// gftp runs the binary in local (its working folder) with the script, after
// open and user lines, on stdin: -i -n -v as in the classic heredoc, -d so
// that the transcript shows the commands sent, and the cell's mode flag.
// The environment is clean: no config file, no GFTP_* variables.
func (c *cell) gftp(t *testing.T, local, script string) *gftpRun {
	t.Helper()
	home := t.TempDir()
	r := &gftpRun{
		mode: c.mode,
		args: append([]string{"-i", "-n", "-v", "-d", c.flag}, c.extra...),
		script: fmt.Sprintf("open %s %d\nuser %s %s\n", c.inst.host, c.inst.port, c.inst.user, c.inst.pass) +
			strings.TrimLeft(script, "\n"),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := gftpCommand(ctx, local, home, r.script, r.args)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r.elapsed = time.Since(start)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running gftp: %v", err)
	}
	if ctx.Err() != nil {
		r.fail(t, "gftp still running after 2 minutes: killed")
	}
	return r
}

// ok checks exit status 0, an empty stderr, and that the data connections
// used the cell's mode only (transfers: at least one was made).
func (r *gftpRun) ok(t *testing.T, transfers bool) {
	t.Helper()
	if r.code != 0 {
		r.fail(t, "exit status %d, want 0", r.code)
	}
	if r.stderr != "" {
		r.fail(t, "stderr not empty")
	}
	passive := regexp.MustCompile(`(?m)^---> (EPSV|PASV)\b`).MatchString(r.stdout)
	active := regexp.MustCompile(`(?m)^---> (EPRT|PORT) `).MatchString(r.stdout)
	switch {
	case r.mode == "passive" && (active || transfers && !passive):
		r.fail(t, "passive mode (-p): want EPSV/PASV and no EPRT/PORT")
	case r.mode == "active" && (passive || transfers && !active):
		r.fail(t, "active mode (-A): want EPRT/PORT and no EPSV/PASV")
	}
}

// stdoutHas checks that a line of stdout matches the regexp.
func (r *gftpRun) stdoutHas(t *testing.T, re string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)` + re).MatchString(r.stdout) {
		r.fail(t, "stdout has no line matching %q", re)
	}
}

// fail reports a failure, with the run's transcript the first time.
func (r *gftpRun) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if !r.shown {
		r.shown = true
		msg += fmt.Sprintf("\n--- gftp %s (exit status %d, %v) with stdin:\n%s--- stdout:\n%s--- stderr:\n%s",
			strings.Join(r.args, " "), r.code, r.elapsed.Round(time.Millisecond), r.script, r.stdout, r.stderr)
	}
	t.Error(msg)
}

// quote makes a name one argument of a gftp command.
func quote(name string) string {
	if strings.ContainsAny(name, " \t\"'") {
		return `"` + name + `"`
	}
	return name
}

// path is rel's path on the server's disk.
func (c *cell) path(rel string) string {
	return filepath.Join(c.inst.root, filepath.FromSlash(rel))
}

// clearRoot empties the served root: the two cells of an instance run one
// after the other on the same root.
func (c *cell) clearRoot(t *testing.T) {
	ents, err := os.ReadDir(c.inst.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(c.inst.root, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// serverDir makes a folder (and its parents) on the server's disk, owned
// like the server's own files so the server may write in it.
func (c *cell) serverDir(t *testing.T, rel string) {
	t.Helper()
	dir := c.inst.root
	for part := range strings.SplitSeq(rel, "/") {
		dir = filepath.Join(dir, part)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		c.chown(t, dir)
	}
}

// serverFile puts a file on the server's disk and returns its path.
func (c *cell) serverFile(t *testing.T, rel string, data []byte) string {
	t.Helper()
	if d := path.Dir(rel); d != "." {
		c.serverDir(t, d)
	}
	p := c.path(rel)
	writeFile(t, p, data)
	c.chown(t, p)
	return p
}

func (c *cell) chown(t *testing.T, p string) {
	if c.inst.uid < 0 {
		return
	}
	if err := os.Chown(p, c.inst.uid, c.inst.gid); err != nil {
		t.Fatal(err)
	}
}

// wantServerFile checks that the file on the server's disk holds data.
func (c *cell) wantServerFile(t *testing.T, rel string, data []byte) {
	t.Helper()
	wantFile(t, c.path(rel), data)
}

// wantServerNames checks that a server folder holds exactly these names.
func (c *cell) wantServerNames(t *testing.T, rel string, names ...string) {
	t.Helper()
	if got := dirNames(t, c.path(rel)); !slices.Equal(got, names) {
		t.Errorf("server folder %s holds %q, want %q", rel, got, names)
	}
}

// dirNames lists a folder's names, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// wantFile checks that the file at p holds exactly data.
func wantFile(t *testing.T, p string, data []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	if !bytes.Equal(got, data) {
		i := 0
		for i < len(got) && i < len(data) && got[i] == data[i] {
			i++
		}
		t.Errorf("%s: %d bytes, want %d; they differ from byte %d", p, len(got), len(data), i)
	}
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var seeds atomic.Uint64

// randomBytes is n random bytes, different on each call, with an LF and a
// CR in them so that a stray ASCII-mode conversion would show.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	var seed [32]byte
	copy(seed[:], strconv.FormatUint(seeds.Add(1), 10))
	rand.NewChaCha8(seed).Read(b)
	if n > 1 {
		b[0], b[n/2] = '\n', '\r'
	}
	return b
}

// gftpCommand is the gftp binary run as cron would: in local, with a
// clean environment, the script on stdin and no controlling terminal (so
// it must never stop to ask on /dev/tty).
func gftpCommand(ctx context.Context, local, home, script string, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, gftpBin, args...)
	cmd.Dir = local
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local", "state"),
		"LANG=C.UTF-8",
	}
	cmd.Stdin = strings.NewReader(script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}
