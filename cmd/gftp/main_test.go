package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/session"
	"github.com/gftp/gftp/internal/testserver"
)

// runGftp runs gftp in-process with script as stdin.
func runGftp(t *testing.T, script string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Streams{In: strings.NewReader(script), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func startServer(t *testing.T, opts testserver.Options) *testserver.Server {
	t.Helper()
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	srv, err := testserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func login(srv *testserver.Server) string {
	return fmt.Sprintf("open %s %d\nuser ftpuser secret\n", srv.Host(), srv.Port())
}

// Arguments with CR, LF or NUL could smuggle a second command onto the
// control connection; they are refused before anything is sent.
func TestControlCharactersRejected(t *testing.T) {
	for _, line := range []string{
		"cd a\rDELE victim",
		"mkdir a\x00b",
		"quote NOOP\rDELE victim",
		"rename victim b\rDELE victim",
		"user x\rPASS y",
	} {
		t.Run(fmt.Sprintf("%q", line), func(t *testing.T) {
			srv := startServer(t, testserver.Options{})
			if err := os.WriteFile(filepath.Join(srv.Root(), "victim"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := len(srv.Commands())
			code, _, stderr := runGftp(t, login(srv)+line+"\n", "-in")
			if code == 0 {
				t.Fatalf("exit 0 for %q", line)
			}
			if !strings.Contains(stderr, "control character") {
				t.Errorf("stderr %q does not name the control character", stderr)
			}
			for _, c := range srv.Commands()[before:] {
				if strings.HasPrefix(c, "DELE") || strings.HasPrefix(c, "RNFR") || strings.HasPrefix(c, "MKD") || strings.HasPrefix(c, "CWD") {
					t.Errorf("server received %q", c)
				}
			}
			if _, err := os.Stat(filepath.Join(srv.Root(), "victim")); err != nil {
				t.Errorf("victim gone: %v", err)
			}
		})
	}
}

// Defaults < config file < GFTP_* environment < flags, seen through the
// data mode each choice makes gftp use on the wire.
func TestConfigLayering(t *testing.T) {
	cfgDir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfgDir)
	write := func(body string) {
		if err := os.MkdirAll(filepath.Join(cfgDir, "gftp"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfgDir, "gftp", "config.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, config, env string
		flags             []string
		wantVerb          string
	}{
		{"default is passive", "", "", nil, "EPSV"},
		{"config file", "mode: active\n", "", nil, "EPRT"},
		{"env over config", "mode: active\n", "passive", nil, "EPSV"},
		{"flag over env", "mode: passive\n", "passive", []string{"-A"}, "EPRT"},
		{"long flag over env", "", "active", []string{"--mode=passive"}, "EPSV"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			write(tc.config)
			t.Setenv("GFTP_MODE", tc.env)
			if tc.env == "" {
				os.Unsetenv("GFTP_MODE")
			}
			srv := startServer(t, testserver.Options{})
			code, _, stderr := runGftp(t, login(srv)+"ls\n", append([]string{"-in"}, tc.flags...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var verbs []string
			for _, c := range srv.Commands() {
				if v, _, _ := strings.Cut(c, " "); v == "EPSV" || v == "EPRT" || v == "PASV" || v == "PORT" {
					verbs = append(verbs, v)
				}
			}
			if len(verbs) != 1 || verbs[0] != tc.wantVerb {
				t.Errorf("data commands %v, want [%s]", verbs, tc.wantVerb)
			}
		})
	}
	t.Run("bad config file", func(t *testing.T) {
		write("mode: [unclosed\n")
		code, _, stderr := runGftp(t, "", "-in")
		if code != exitUsage || !strings.Contains(stderr, "config.yaml") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("bad mode", func(t *testing.T) {
		write("")
		code, _, stderr := runGftp(t, "", "--mode=sideways")
		if code != exitUsage || !strings.Contains(stderr, `unknown data mode "sideways"`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

func TestExitCode(t *testing.T) {
	reply := &ftp.ReplyError{Command: "CWD", Reply: &ftp.Reply{Code: 550, Lines: []string{"550 no"}}}
	cases := []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{errors.New("local"), exitFailure},
		{&commands.UsageError{Msg: "x"}, exitUsage},
		{fmt.Errorf("line 3: %w", &commands.UsageError{Msg: "x"}), exitUsage},
		{&session.LoginError{Err: reply}, exitLogin},
		{&session.ConnectError{Err: io.EOF}, exitConnect},
		{session.ErrNotConnected, exitConnect},
		{&ftp.DataConnError{Mode: ftp.Active, Err: reply}, exitConnect},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, exitConnect},
		{reply, exitRefused},
		{fmt.Errorf("wrapped: %w", reply), exitRefused},
		{context.Canceled, exitInterrupted},
	}
	for _, tc := range cases {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// The help lists every command of the table and the exit codes.
func TestHelpListsEverything(t *testing.T) {
	code, out, _ := runGftp(t, "", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range commands.Default().Commands() {
		if !strings.Contains(out, "  "+c.Name) || !strings.Contains(out, c.Help) {
			t.Errorf("--help lacks %q (%s)", c.Name, c.Help)
		}
	}
	for _, want := range []string{"-i, --no-prompt", "-n, --no-login", "-d, --debug", "-p, --passive", "-A, --active", "--script", "130  interrupted"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
