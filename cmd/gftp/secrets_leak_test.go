package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/testserver"
)

// leakSecret is the password of these tests; leakParts are the pieces of
// it that a '/', ']' or a blank splits it into. None may show anywhere.
const leakSecret = "S3cr3tZZ"

var leakParts = []string{"S3cr", "3tZZ", "ACCTs3cret"}

// checkNoLeak fails when any of outs shows a piece of the password.
func checkNoLeak(t *testing.T, what string, outs ...string) {
	t.Helper()
	for _, out := range outs {
		for _, p := range leakParts {
			if strings.Contains(out, p) {
				t.Errorf("%s: the password shows (%q): %q", what, p, out)
				break
			}
		}
	}
}

// A .netrc whose "password" keyword was left out has the password where a
// keyword should be: the error says so without quoting it.
func TestSecretsNetrcWithoutPasswordKeyword(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	rc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(rc, []byte("machine "+srv.Host()+" login bob "+leakSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", rc, srv.Host(), strconv.Itoa(srv.Port())},
		{"-N", rc, serverURL(srv, "", "f.txt")},
	} {
		code, stdout, stderr := runGftp(t, "", args...)
		if code == 0 || !strings.Contains(stderr, "unknown keyword (want machine, default, login, password, account or macdef)") {
			t.Errorf("%q: exit %d, stderr %q; want the unknown keyword named", args, code, stderr)
		}
		checkNoLeak(t, strings.Join(args, " "), stdout, stderr)
	}
}

// Lines of a script that carry a password where gftp did not mask it: in
// a URL with an unencoded '/' or ']' or a control character, in a bare
// user:password@host, in the words after user's name, in a macro's
// arguments. The error names each line masked, in one line.
func TestSecretsScriptLines(t *testing.T) {
	isolateURLTest(t)
	rc := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(rc, []byte("macdef m\nuser bob $1\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ line, want string }{
		{"open ftp://bob:S3cr/3tZZ@127.0.0.1:47121", "stdin:1: open ftp://****@127.0.0.1:47121: open takes a host, not a URL with a user name and password"},
		{"open ftp://bob:S3cr]/3tZZ@127.0.0.1/", "stdin:1: open ftp://****@127.0.0.1/: open takes a host"},
		{"open bob:S3cr3tZZ@127.0.0.1", "stdin:1: open bob:****@127.0.0.1: open takes a host, not user@host"},
		{"open bob:S3cr/3tZZ@127.0.0.1 21", "stdin:1: open bob:****@127.0.0.1 21: open takes a host"},
		{"open \"ftp://bob:S3cr3tZZ@127.0.0.1/\x16\"", `stdin:1: open "ftp://bob:****@127.0.0.1/\x16": `},
		{"get \"ftp://bob:S3cr3tZZ@127.0.0.1/\x16\"", `stdin:1: get "ftp://bob:****@127.0.0.1/\x16": `},
		{"user bob S3cr3tZZ ACCTs3cret", "stdin:1: user bob **** ****: usage: user"},
		{"user bob S3cr 3tZZ", "stdin:1: user bob **** ****: usage: user"},
		{"$ m S3cr3tZZ", "stdin:1: $ m ****: .netrc macro m, line 1: user bob ****: "},
	} {
		code, stdout, stderr := runGftp(t, tc.line+"\n", "-N", rc)
		if code == 0 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want one line with %q", tc.line, code, stderr, tc.want)
		}
		checkNoLeak(t, tc.line, stdout, stderr)
	}
}

// The command line's host or URL with a password gftp cannot use: never
// looked up as a host name, never shown.
func TestSecretsCommandLineHosts(t *testing.T) {
	isolateURLTest(t)
	for _, args := range [][]string{
		{"probe", "ftp://bob:S3cr/3tZZ@127.0.0.1:47121"},
		{"trust", "ftp://bob:S3cr/3tZZ@127.0.0.1:47121"},
		{"probe", "bob:S3cr3tZZ@127.0.0.1"},
		{"bob:S3cr3tZZ@127.0.0.1"},
		{"ftp://bob:S3cr]/3tZZ@127.0.0.1/"},
		{"ftp://bob:S3cr]/3tZZ@127.0.0.1/f.txt"},
		{"-u", "ftp://bob:S3cr]/3tZZ@127.0.0.1/", "f.txt"},
	} {
		code, stdout, stderr := runGftp(t, "", args...)
		if code == 0 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want one error line", args, code, stderr)
		}
		checkNoLeak(t, strings.Join(args, " "), stdout, stderr)
	}
}

// A flag that takes a value swallows the URL after it, and its error
// quotes the value: the password is masked there too, however the flag
// is written.
func TestSecretsFlagSwallowsURL(t *testing.T) {
	isolateURLTest(t)
	t.Chdir(t.TempDir())
	url := "ftp://bob:" + leakSecret + "@127.0.0.1/a.txt"
	for _, flag := range []string{"--retries", "--max-time", "--parallel", "--tls", "--mode", "--limit-rate",
		"--active-address", "--active-ports", "--tls-fingerprint", "--config", "--script", "--tls-data", "--tls-max-version"} {
		for _, args := range [][]string{
			{flag, url},
			{flag + "=" + url},
			{flag, "ftp://bob:S3cr/3tZZ@127.0.0.1/a.txt"},
			{flag, "ftp://bob:S3 c\"r3tZZ@127.0.0.1/a.txt"},
			{flag, "ftp:/bob:" + leakSecret + "@127.0.0.1/a.txt"},
		} {
			code, stdout, stderr := runGftp(t, "", args...)
			if code == 0 || !strings.HasPrefix(stderr, "gftp: ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%q: exit %d, stderr %q; want one error line", args, code, stderr)
			}
			checkNoLeak(t, strings.Join(args, " "), stdout, stderr)
		}
	}
}

func TestMaskURLs(t *testing.T) {
	for msg, want := range map[string]string{
		`invalid argument "ftp://bob:S3cr3tZZ@h/a" for "--retries" flag`: `invalid argument "ftp://bob:****@h/a" for "--retries" flag`,
		`parsing "ftp://bob:S3 c\"r3tZZ@h/a": invalid syntax`:            `parsing "ftp://bob:****@h/a": invalid syntax`,
		"config file ftps://bob:S3cr/3tZZ@h/a.txt: Unsupported":          "config file ftps://****@h/a.txt: Unsupported",
		"a ftp://u:S3cr3tZZ@h and b ftp://v:S3cr3tZZ@k/ end":             "a ftp://u:****@h and b ftp://v:****@k/ end",
		"ftp://host/a@b and ://x and 1x://y":                             "ftp://host/a@b and ://x and 1x://y",
		"no URL here":                                                    "no URL here",
	} {
		if got := maskURLs(msg); got != want {
			t.Errorf("maskURLs(%q) = %q, want %q", msg, got, want)
		}
	}
}
