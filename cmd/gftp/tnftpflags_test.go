package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/session"
	"github.com/gftp/gftp/internal/testserver"
)

// resolved is the config that gftp's flags resolve to, with stdin a
// terminal or not, and no config file or GFTP_* settings of the user's.
func resolved(t *testing.T, stdinTTY bool, args ...string) config {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, k := range []string{"GFTP_VERBOSE", "GFTP_PROGRESS", "GFTP_STALL_TIMEOUT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	var got *config
	cmd := newRootCmd(Streams{In: strings.NewReader(""), Out: &strings.Builder{}, Err: &strings.Builder{}},
		commands.Default(), stdinTTY, func(c config) error { got = &c; return nil })
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("gftp %s: %v", strings.Join(args, " "), err)
	}
	if got == nil {
		t.Fatalf("gftp %s: never ran", strings.Join(args, " "))
	}
	return *got
}

// tnftp's -e, -V and -q are in the help, each said to be tnftp's.
func TestTnftpFlagsInHelp(t *testing.T) {
	code, out, _ := runGftp(t, "", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"-g, --no-glob", "-e, --no-edit", "-V, --no-verbose", "-q, --quit-time N"} {
		i := strings.Index(out, want)
		if i < 0 {
			t.Errorf("--help lacks %q", want)
			continue
		}
		line, _, _ := strings.Cut(out[i:], "\n")
		if !strings.Contains(line, "tnftp") {
			t.Errorf("--help line %q does not say it is for tnftp compatibility", line)
		}
	}
}

// -V turns verbose off where it stands among the flags, as in tnftp: a
// later -v turns it on again. Verbose shows the script's summary line.
func TestNoVerboseFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		verbose bool
	}{
		{[]string{"-inv"}, true},
		{[]string{"-invV"}, false},
		{[]string{"-inVv"}, true},
		{[]string{"-in", "-v", "-V"}, false},
		{[]string{"-in", "--no-verbose", "-v"}, true},
		{[]string{"-inv", "--no-verbose=false"}, true},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			srv := startServer(t, testserver.Options{})
			code, stdout, stderr := runGftp(t, login(srv)+"pwd\n", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got := strings.Contains(stdout, "gftp: 0 files sent"); got != tc.verbose {
				t.Errorf("verbose %v, want %v; stdout:\n%s", got, tc.verbose, stdout)
			}
		})
	}
}

// At a terminal verbose and the progress bars are on by default; -V turns
// both off, as tnftp's does.
func TestNoVerboseAtTerminal(t *testing.T) {
	c := resolved(t, true)
	if !c.Session.Verbose || c.ProgressSet {
		t.Fatalf("default at a terminal: verbose %v, progress set %v", c.Session.Verbose, c.ProgressSet)
	}
	c = resolved(t, true, "-V")
	if c.Session.Verbose || c.Session.Progress || !c.ProgressSet {
		t.Errorf("-V: verbose %v, progress %v (set %v); want both off", c.Session.Verbose, c.Session.Progress, c.ProgressSet)
	}
}

// -e (tnftp: no line editing) is accepted in scripts, alone and among
// the other letters, and changes nothing.
func TestNoEditFlag(t *testing.T) {
	for _, args := range [][]string{{"-inve"}, {"-e", "-in"}, {"-in", "--no-edit"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			srv := startServer(t, testserver.Options{})
			if err := os.WriteFile(filepath.Join(srv.Root(), "f.txt"), []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			local := filepath.Join(t.TempDir(), "f.txt")
			code, _, stderr := runGftp(t, login(srv)+"get f.txt "+local+"\n", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if b, err := os.ReadFile(local); err != nil || string(b) != "hello" {
				t.Errorf("got %q, %v", b, err)
			}
		})
	}
}

// -q N (tnftp's quittime) is the stall timeout in seconds.
func TestQuitTimeFlag(t *testing.T) {
	if c := resolved(t, false, "-q", "7"); c.Session.StallTimeout != 7*time.Second {
		t.Errorf("-q 7: stall timeout %s, want 7s", c.Session.StallTimeout)
	}
	if c := resolved(t, false, "-inq7"); c.Session.StallTimeout != 7*time.Second {
		t.Errorf("-inq7: stall timeout %s, want 7s", c.Session.StallTimeout)
	}
	if c := resolved(t, false); c.Session.StallTimeout != 20*time.Second {
		t.Errorf("no -q: stall timeout %s, want the default 20s", c.Session.StallTimeout)
	}
}

// A stalled upload under -q 1 ends after a second, not the default 20s.
func TestQuitTimeEndsStalledUpload(t *testing.T) {
	src := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(src, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, testserver.Options{WriteDelay: 3 * time.Second})
	start := time.Now()
	code, _, stderr := runGftp(t, login(srv)+"put "+src+" big.bin\n", "-in", "-q", "1", "--data-timeout", "2s", "--retries", "0")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s with -q 1", d)
	}
	if code != exitConnect || !strings.Contains(stderr, "the transfer stalled: no data moved for 1s") {
		t.Errorf("exit %d, stderr %q; want %d and the stall", code, stderr, exitConnect)
	}
}

// Bad -q values, and -q with --stall-timeout, are usage errors: one line,
// exit 2.
func TestQuitTimeRejected(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-q", "0"}, "-q (quit time) must be 1 or more seconds, not 0"},
		{[]string{"-q", "-5"}, "-q (quit time) must be 1 or more seconds, not -5"},
		{[]string{"-q", "soon"}, `invalid argument "soon"`},
		{[]string{"-q", "3", "--stall-timeout", "2s"}, "-q (quit time) and --stall-timeout set the same timeout"},
		{[]string{"-in", "-q"}, "needs an argument"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runGftp(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// tnftp's options that gftp lacks fail as before (exit 2), and the one
// line says what to do instead.
func TestTnftpUnsupportedFlagsHint(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-int"}, "-t (tnftp: packet tracing) is not supported; use -d, or --log FILE"},
		{[]string{"-inx"}, "unknown shorthand flag: 'x'"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runGftp(t, "", tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}

// The summary line counts in words: one file, one byte, one failed
// command; other counts in the plural.
func TestScriptSummaryWording(t *testing.T) {
	for _, tc := range []struct {
		t        session.Totals
		failures int
		want     string
	}{
		{session.Totals{FilesSent: 1, BytesSent: 4096, FilesReceived: 1, BytesReceived: 1}, 1,
			"1 file sent (4096 bytes), 1 received (1 byte), 1 failed command"},
		{session.Totals{FilesSent: 2, BytesSent: 1, FilesReceived: 3, BytesReceived: 10}, 2,
			"2 files sent (1 byte), 3 received (10 bytes), 2 failed commands"},
		{session.Totals{}, 0, "0 files sent (0 bytes), 0 received (0 bytes), 0 failed commands"},
	} {
		if got := scriptSummary(tc.t, tc.failures); got != tc.want {
			t.Errorf("scriptSummary(%+v, %d) = %q, want %q", tc.t, tc.failures, got, tc.want)
		}
	}
}

// -g (tnftp: no globbing) makes mput send a* as the one file of that
// name, not every file starting with a; GFTP_GLOB=false and the config's
// glob: false do the same.
func TestNoGlobFlag(t *testing.T) {
	local := t.TempDir()
	for _, name := range []string{"a*", "ab", "ac"} {
		if err := os.WriteFile(filepath.Join(local, name), []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgDir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgDir)
	for _, tc := range []struct {
		name, env, config string
		args              []string
		want              []string
	}{
		{"globbing by default", "", "", []string{"-in"}, []string{"a*", "ab", "ac"}},
		{"-g", "", "", []string{"-ing"}, []string{"a*"}},
		{"--no-glob", "", "", []string{"-in", "--no-glob"}, []string{"a*"}},
		{"env", "false", "", []string{"-in"}, []string{"a*"}},
		{"config", "", "glob: false\n", []string{"-in"}, []string{"a*"}},
		{"--no-glob=false over the config", "", "glob: false\n", []string{"-in", "--no-glob=false"}, []string{"a*", "ab", "ac"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Join(cfgDir, "gftp"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cfgDir, "gftp", "config.yaml"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("GFTP_GLOB", tc.env)
			if tc.env == "" {
				os.Unsetenv("GFTP_GLOB")
			}
			srv := startServer(t, testserver.Options{})
			code, _, stderr := runGftp(t, login(srv)+"lcd "+local+"\nmput a*\n", tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var stored []string
			for _, c := range srv.Commands() {
				if name, ok := strings.CutPrefix(c, "STOR "); ok {
					stored = append(stored, name)
				}
			}
			if strings.Join(stored, "|") != strings.Join(tc.want, "|") {
				t.Errorf("STOR %q, want %q", stored, tc.want)
			}
		})
	}
}

// -4 and -6 (tnftp's): the server is reached by one address family only;
// a host with no address of it is a one-line connect failure (exit 3).
func TestAddressFamilyFlags(t *testing.T) {
	srv := startServer(t, testserver.Options{}) // on 127.0.0.1
	port := strconv.Itoa(srv.Port())
	if code, stdout, stderr := runGftp(t, "user ftpuser secret\npwd\n", "-in", "-4", srv.Host(), port); code != 0 || !strings.Contains(stdout, "Remote directory: /") {
		t.Errorf("-4 to %s: exit %d, stdout %q, stderr %q", srv.Host(), code, stdout, stderr)
	}
	code, _, stderr := runGftp(t, "user ftpuser secret\npwd\n", "-in", "-6", srv.Host(), port)
	if code != exitConnect || stderr != "gftp: cannot connect to 127.0.0.1 port "+port+": it has no IPv6 address\n" {
		t.Errorf("-6 to %s: exit %d, stderr %q; want exit %d and no IPv6 address", srv.Host(), code, stderr, exitConnect)
	}
	if code, _, stderr := runGftp(t, "", "-in", "-4", "-6", srv.Host(), port); code != exitUsage || !strings.Contains(stderr, "exclude each other") {
		t.Errorf("-4 -6: exit %d, stderr %q", code, stderr)
	}
	t.Setenv("GFTP_FAMILY", "5")
	if code, _, stderr := runGftp(t, "", "-in", srv.Host(), port); code != exitUsage || !strings.Contains(stderr, `family must be any, 4 or 6, not "5"`) {
		t.Errorf("GFTP_FAMILY=5: exit %d, stderr %q", code, stderr)
	}
}
