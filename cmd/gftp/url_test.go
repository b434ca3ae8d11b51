package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/testserver"
)

// URLs on the command line (url.go): tnftp's auto-fetch.

// The password every URL test uses, so that each can check it never shows.
const urlSecret = "hunter2"

func TestParseURL(t *testing.T) {
	cases := []struct {
		raw  string
		want ftpURL
	}{
		{"ftp://host/file", ftpURL{Scheme: "ftp", Host: "host", File: "file"}},
		{"FTP://Host:2121/a/b/c.txt", ftpURL{Scheme: "ftp", Host: "Host", Port: "2121", Dirs: []string{"a", "b"}, File: "c.txt"}},
		{"ftp://bob:" + urlSecret + "@host/f", ftpURL{Scheme: "ftp", User: "bob", Password: urlSecret, HasUser: true, HasPassword: true, Host: "host", File: "f"}},
		{"ftp://bob@host/f", ftpURL{Scheme: "ftp", User: "bob", HasUser: true, Host: "host", File: "f"}},
		{"ftp://bob:@host/f", ftpURL{Scheme: "ftp", User: "bob", HasUser: true, HasPassword: true, Host: "host", File: "f"}},
		// The authority's last '@' ends the user info; %XX decoded in both.
		{"ftp://b%40x:p@s%3As%2F@host/f", ftpURL{Scheme: "ftp", User: "b@x", Password: "p@s:s/", HasUser: true, HasPassword: true, Host: "host", File: "f"}},
		// tnftp's table: '/' separates CWDs, %2F stays within one.
		{"ftp://host/dir1/dir2/file", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"dir1", "dir2"}, File: "file"}},
		{"ftp://host/%2Fdir1/dir2/file", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"/dir1", "dir2"}, File: "file"}},
		{"ftp://host/dir1%2Fdir2/file", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"dir1/dir2"}, File: "file"}},
		{"ftp://host/%2Fdir1%2Fdir2%2Ffile", ftpURL{Scheme: "ftp", Host: "host", File: "/dir1/dir2/file"}},
		{"ftp://host/my%20dir/a%20b.txt", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"my dir"}, File: "a b.txt"}},
		{"ftp://host//etc/motd", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"/", "etc"}, File: "motd"}},
		{"ftp://host/a//b/", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"a", "b"}}},
		{"ftp://host/dir/", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"dir"}}},
		{"ftp://host/", ftpURL{Scheme: "ftp", Host: "host"}},
		{"ftp://host", ftpURL{Scheme: "ftp", Host: "host", bare: true}},
		{"ftp://u@host", ftpURL{Scheme: "ftp", User: "u", HasUser: true, Host: "host"}},
		{"ftp://host/f;type=a", ftpURL{Scheme: "ftp", Host: "host", File: "f", Type: 'a'}},
		{"ftp://host/d/;TYPE=I", ftpURL{Scheme: "ftp", Host: "host", Dirs: []string{"d"}, Type: 'i'}},
		{"ftp://host/a;b", ftpURL{Scheme: "ftp", Host: "host", File: "a;b"}},
		{"ftp://host/a@b", ftpURL{Scheme: "ftp", Host: "host", File: "a@b"}},
		{"ftp://[::1]:2121/x", ftpURL{Scheme: "ftp", Host: "::1", Port: "2121", File: "x"}},
		{"ftp://[::1]/", ftpURL{Scheme: "ftp", Host: "::1"}},
		{"ftp://[fe80::1%25eth0]/x", ftpURL{Scheme: "ftp", Host: "fe80::1%eth0", File: "x"}},
		{"ftps://host/x", ftpURL{Scheme: "ftps", Host: "host", File: "x"}},
		{"ftpes://u:p@127.0.0.1:21/d/x", ftpURL{Scheme: "ftpes", User: "u", Password: "p", HasUser: true, HasPassword: true, Host: "127.0.0.1", Port: "21", Dirs: []string{"d"}, File: "x"}},
	}
	for _, tc := range cases {
		got, err := parseURL(tc.raw)
		if err != nil {
			t.Errorf("parseURL(%q): %v", tc.raw, err)
			continue
		}
		got.shown = ""
		if !reflect.DeepEqual(*got, tc.want) {
			t.Errorf("parseURL(%q) =\n %+v, want\n %+v", tc.raw, *got, tc.want)
		}
	}
}

// A malformed URL is a usage error naming what is wrong, and never shows
// the password, however it is malformed.
func TestParseURLErrors(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"http://bob:hunter2@host/f", `unsupported scheme "http"`},
		{"ftp://bob:hunter2@[::1/f", "no ']' after the IPv6 address"},
		{"ftp://bob:hunter2@[::1]x/f", `"x" after the IPv6 address`},
		{"ftp://bob:hunter2@[1.2.3.4]/f", "[1.2.3.4] is not an IPv6 address"},
		{"ftp://bob:hunter2@::1/f", "an IPv6 address goes in brackets"},
		{"ftp://bob:hunter2@host:99999/f", `the port "99999" is not a number from 1 to 65535`},
		{"ftp://bob:hunter2@host:ftp/f", `the port "ftp" is not a number`},
		{"ftp://bob:hunter2@/f", "no host"},
		{"ftp://bob:hunter2@a b/f", `the host "a b" has ' '`},
		{"ftp://bob:hunter2@host/f;type=d", "unknown transfer type ;type=d"},
		{"ftp://bob:hunter2@host/a%zz", `the path segment "a%zz" has a '%' not followed by two hex digits`},
		{"ftp://bob:hunter2@host/a%0d%0aDELE%20x", "has a control character"},
		{"ftp://:hunter2@host/f", "the user name before '@' is empty"},
		{"ftp://bob:hun%zter2@host/f", "the password has a '%' not followed by two hex digits"},
		{"ftp://bob:hunter2%0a@host/f", "the password has a control character"},
		// An unencoded '/' in the password ends the authority early.
		{"ftp://bob:hun/ter2@host/f", "write a '/' in a user name or password as %2F"},
		{"ftp://bob:12/hunter2@host/f", "write a '/' in a user name or password as %2F"},
		// Not even scheme://: nothing after the scheme is shown.
		{"ftp:/bob:hunter2@host/f", "want ftp://, ftps:// or ftpes:// and the host"},
		{"bob:hunter2@host://f", "want ftp://, ftps:// or ftpes:// and the host"},
		{"1bob:hunter2@host://f", "want ftp://, ftps:// or ftpes:// and the host"},
	}
	for _, tc := range cases {
		_, err := parseURL(tc.raw)
		var ue *commands.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("parseURL(%q): %v, want a usage error", tc.raw, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "bad URL ") || strings.Contains(msg, "\n") {
			t.Errorf("parseURL(%q): %q, want one line with %q", tc.raw, msg, tc.want)
		}
		for _, part := range []string{urlSecret, "hun", "ter2", "12/"} {
			if strings.Contains(msg, part) {
				t.Errorf("parseURL(%q): %q shows the password", tc.raw, msg)
			}
		}
	}
}

func TestIsURL(t *testing.T) {
	for arg, want := range map[string]bool{
		"ftp://h/f": true, "FTPS://h": true, "ftp:/h/f": true, "http://h": true, "x:y://z": true,
		"host": false, "host:21": false, "::1": false, "fe80::1": false, "[::1]:21": false, "192.0.2.1": false,
	} {
		if got := isURL(arg); got != want {
			t.Errorf("isURL(%q) = %v, want %v", arg, got, want)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for raw, want := range map[string]string{
		"ftp://bob:hunter2@host/f":       "ftp://bob:****@host/f",
		"ftp://bob:p@ss@host/f":          "ftp://bob:****@host/f",
		"ftp://bob@host/f":               "ftp://bob@host/f",
		"ftp://host/a@b":                 "ftp://host/a@b",
		"ftp://host:21/f":                "ftp://host:21/f",
		"ftp://bob:hun/ter2@host/f":      "ftp://****@host/f",
		"ftp://[::1]:21/a":               "ftp://[::1]:21/a",
		"ftp://bob:hunter2@[::1]:21/a@b": "ftp://bob:****@[::1]:21/a@b",
		"ftp:/bob:hunter2@host/f":        "ftp:****",
		"bob:hunter2@host://f":           "bob:****",
		"@bob:hunter2://f":               "****",
	} {
		if got := maskURL(raw); got != want {
			t.Errorf("maskURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// isolateURLTest keeps the developer's .netrc, config and environment out of a
// test.
func isolateURLTest(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, ".state"))
	for _, k := range []string{"NETRC", "FTPANONPASS", "GFTP_PASSWORD"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// serverURL is a URL of srv with userinfo ("" for none) and path.
func serverURL(srv *testserver.Server, userinfo, path string) string {
	if userinfo != "" {
		userinfo += "@"
	}
	return "ftp://" + userinfo + net.JoinHostPort(srv.Host(), strconv.Itoa(srv.Port())) + "/" + path
}

func writeServerFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cmdsInOrder reports whether cmds holds each of want, in that order.
func cmdsInOrder(cmds []string, want ...string) bool {
	i := 0
	for _, c := range cmds {
		if i < len(want) && c == want[i] {
			i++
		}
	}
	return i == len(want)
}

// A file URL downloads into the current directory under its base name,
// quietly, and exits 0; several URLs are fetched in turn, each over a
// connection of its own.
func TestURLFetchToCurrentDir(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	files := someFiles(t, t.TempDir(), 2, 70<<10)
	writeServerFile(t, filepath.Join(srv.Root(), "pub", "f00.bin"), files["f00.bin"])
	writeServerFile(t, filepath.Join(srv.Root(), "f01.bin"), files["f01.bin"])
	cwd := t.TempDir()
	t.Chdir(cwd)
	code, stdout, stderr := runGftp(t, "", serverURL(srv, "ftpuser:secret", "pub/f00.bin"), serverURL(srv, "ftpuser:secret", "f01.bin"))
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	sameFiles(t, cwd, files)
	cmds := srv.Commands()
	if !cmdsInOrder(cmds, "USER ftpuser", "CWD pub", "RETR f00.bin", "QUIT", "USER ftpuser", "RETR f01.bin", "QUIT") {
		t.Errorf("server commands %q", cmds)
	}
	if n := count(cmds, "CWD .*"); n != 1 {
		t.Errorf("%d CWDs, want 1: %q", n, cmds)
	}
}

// Several URLs stop at the first that fails, as tnftp does, with that
// failure's exit code.
func TestURLStopsAtFirstFailure(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	writeServerFile(t, filepath.Join(srv.Root(), "there.txt"), []byte("x"))
	t.Chdir(t.TempDir())
	code, _, stderr := runGftp(t, "", serverURL(srv, "ftpuser:secret", "missing.txt"), serverURL(srv, "ftpuser:secret", "there.txt"))
	if code != exitRefused {
		t.Errorf("exit %d, want %d", code, exitRefused)
	}
	if want := "gftp: " + serverURL(srv, "ftpuser:****", "missing.txt") + ": "; !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one line starting %q", stderr, want)
	}
	if _, err := os.Stat("there.txt"); err == nil {
		t.Errorf("the URL after the failed one was fetched")
	}
}

// -o FILE names the first URL's download (the others keep their names);
// -o - writes every file to stdout, and what gftp says goes to stderr.
func TestURLOutput(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	writeServerFile(t, filepath.Join(srv.Root(), "d", "a.txt"), []byte("first file\n"))
	writeServerFile(t, filepath.Join(srv.Root(), "b.txt"), []byte("second file\n"))
	a, b := serverURL(srv, "ftpuser:secret", "d/a.txt"), serverURL(srv, "ftpuser:secret", "b.txt")
	cwd := t.TempDir()
	t.Chdir(cwd)

	t.Run("file", func(t *testing.T) {
		code, _, stderr := runGftp(t, "", "-o", "named.txt", a, b)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if got, _ := os.ReadFile("named.txt"); string(got) != "first file\n" {
			t.Errorf("named.txt: %q", got)
		}
		if got, _ := os.ReadFile("b.txt"); string(got) != "second file\n" {
			t.Errorf("b.txt: %q", got)
		}
		if _, err := os.Stat("a.txt"); err == nil {
			t.Errorf("a.txt written too")
		}
	})
	t.Run("pipe", func(t *testing.T) {
		// -o "|cmd" pipes the file into a command, as get FILE "|cmd" does.
		code, _, stderr := runGftp(t, "", "-o", "|tr a-z A-Z > piped.txt", a)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if got, _ := os.ReadFile("piped.txt"); string(got) != "FIRST FILE\n" {
			t.Errorf("piped.txt: %q", got)
		}
		os.Remove("piped.txt")
	})
	t.Run("stdout", func(t *testing.T) {
		os.Remove("b.txt")
		code, stdout, stderr := runGftp(t, "", "-v", "-o", "-", a, b)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if stdout != "first file\nsecond file\n" {
			t.Errorf("stdout %q, want the two files and nothing else", stdout)
		}
		if !strings.Contains(stderr, "226 ") || !strings.Contains(stderr, "bytes received in") {
			t.Errorf("the transcript is not on stderr: %q", stderr)
		}
		if ents, _ := os.ReadDir(cwd); len(ents) != 1 {
			t.Errorf("files left in the current directory: %v", ents)
		}
	})
	// At a terminal, the file cannot drive it (as README's "No terminal
	// tricks" promises); a pipe gets it byte for byte.
	t.Run("stdout at a terminal", func(t *testing.T) {
		evil := "title\x1b]0;pwned\x07\n"
		writeServerFile(t, filepath.Join(srv.Root(), "evil.txt"), []byte(evil))
		u := serverURL(srv, "ftpuser:secret", "evil.txt")
		for _, tty := range []bool{true, false} {
			var out, errb bytes.Buffer
			code := Main(context.Background(), []string{"-o", "-", u}, Streams{In: strings.NewReader(""), Out: &out, Err: &errb, OutTTY: tty})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if want := map[bool]string{true: `title\x1b]0;pwned\x07` + "\n", false: evil}[tty]; out.String() != want {
				t.Errorf("stdout a terminal: %v: %q, want %q", tty, out.String(), want)
			}
		}
	})
	t.Run("not a URL", func(t *testing.T) {
		code, _, stderr := runGftp(t, "", "-o", "x", srv.Host())
		if code != exitUsage || !strings.Contains(stderr, "-o names a URL's download") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("a directory", func(t *testing.T) {
		code, _, stderr := runGftp(t, "", "-o", "x", serverURL(srv, "ftpuser:"+urlSecret, "d/"))
		if code != exitUsage || !strings.Contains(stderr, "is a directory") || strings.Contains(stderr, urlSecret) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// A directory URL runs stdin's script logged in and in that directory;
// one that cannot be reached ends gftp before the script runs.
func TestURLDirRunsScript(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	writeServerFile(t, filepath.Join(srv.Root(), "sub", "deep", "f.txt"), []byte("deep\n"))
	cwd := t.TempDir()
	t.Chdir(cwd)
	code, stdout, stderr := runGftp(t, "pwd\nget f.txt\n", serverURL(srv, "ftpuser:secret", "sub/deep/"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Remote directory: /sub/deep\n") {
		t.Errorf("stdout %q", stdout)
	}
	if got, _ := os.ReadFile("f.txt"); string(got) != "deep\n" {
		t.Errorf("f.txt: %q", got)
	}
	if cmds := srv.Commands(); !cmdsInOrder(cmds, "USER ftpuser", "CWD sub", "CWD deep", "PWD", "RETR f.txt") {
		t.Errorf("server commands %q", cmds)
	}

	before := len(srv.Commands())
	code, _, stderr = runGftp(t, "pwd\n", serverURL(srv, "ftpuser:secret", "sub/nodir/"))
	if code != exitRefused || !strings.Contains(stderr, "ftpuser:****@") || !strings.Contains(stderr, "/sub/nodir/: cd nodir: 550") || strings.Contains(stderr, "secret") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if cmds := srv.Commands()[before:]; slices.Contains(cmds, "PWD") && slices.Index(cmds, "PWD") > slices.Index(cmds, "CWD nodir") {
		t.Errorf("the script ran after the failed cd: %q", cmds)
	}
}

// -u uploads files into a directory URL under their names, or one file
// under the URL's name; a missing local file is found before connecting.
func TestURLUpload(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	if err := os.Mkdir(filepath.Join(srv.Root(), "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	files := someFiles(t, local, 2, 40<<10)
	t.Chdir(local)

	code, _, stderr := runGftp(t, "", "-u", serverURL(srv, "ftpuser:secret", "in/"), "f00.bin", filepath.Join(local, "f01.bin"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sameFiles(t, filepath.Join(srv.Root(), "in"), files)
	if cmds := srv.Commands(); !cmdsInOrder(cmds, "CWD in", "STOR f00.bin", "STOR f01.bin") {
		t.Errorf("server commands %q", cmds)
	}

	code, _, stderr = runGftp(t, "", "-u", serverURL(srv, "ftpuser:secret", "in/renamed.bin"), "f00.bin")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sameFiles(t, filepath.Join(srv.Root(), "in"), map[string][]byte{"renamed.bin": files["f00.bin"]})

	code, _, stderr = runGftp(t, "", "-u", serverURL(srv, "ftpuser:secret", "in/one.bin"), "f00.bin", "f01.bin")
	if code != exitUsage || !strings.Contains(stderr, "names one file; end it with /") {
		t.Errorf("two files to a file URL: exit %d, stderr %q", code, stderr)
	}
	before := len(srv.Commands())
	code, _, stderr = runGftp(t, "", "-u", serverURL(srv, "ftpuser:secret", "in/"), "f00.bin", "nosuch.bin")
	if code != exitFailure || !strings.Contains(stderr, "nosuch.bin") {
		t.Errorf("a missing file: exit %d, stderr %q", code, stderr)
	}
	if n := len(srv.Commands()) - before; n != 0 {
		t.Errorf("%d commands sent for an upload of a missing file", n)
	}
	code, _, stderr = runGftp(t, "", "-u", serverURL(srv, "ftpuser:secret", "in/"))
	if code != exitUsage || !strings.Contains(stderr, "needs the local files") {
		t.Errorf("no files: exit %d, stderr %q", code, stderr)
	}
}

// %XX is decoded after the path is split: %20 in names, and %2F as a '/'
// within one CWD or one RETR, as tnftp reads them.
func TestURLEncodedNames(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	writeServerFile(t, filepath.Join(srv.Root(), "my dir", "a b", "file one.txt"), []byte("spaces\n"))
	writeServerFile(t, filepath.Join(srv.Root(), "x", "y", "z.txt"), []byte("zed\n"))
	cwd := t.TempDir()
	t.Chdir(cwd)
	cases := []struct {
		path, local string
		cmds        []string
	}{
		{"my%20dir/a%20b/file%20one.txt", "file one.txt", []string{"CWD my dir", "CWD a b", "RETR file one.txt"}},
		{"%2Fx%2Fy/z.txt", "z.txt", []string{"CWD /x/y", "RETR z.txt"}},
		{"x%2Fy%2Fz.txt", "z.txt", []string{"RETR x/y/z.txt"}},
	}
	for _, tc := range cases {
		before := len(srv.Commands())
		os.Remove(filepath.Join(cwd, tc.local))
		code, _, stderr := runGftp(t, "", serverURL(srv, "ftpuser:secret", tc.path))
		if code != 0 {
			t.Errorf("%s: exit %d: %s", tc.path, code, stderr)
			continue
		}
		if _, err := os.Stat(filepath.Join(cwd, tc.local)); err != nil {
			t.Errorf("%s: %v", tc.path, err)
		}
		cmds := srv.Commands()[before:]
		if !cmdsInOrder(cmds, tc.cmds...) || count(cmds, "CWD .*") != count(tc.cmds, "CWD .*") {
			t.Errorf("%s: server commands %q, want %q", tc.path, cmds, tc.cmds)
		}
	}
}

// The bug: a bad URL was looked up as a host name and the error
// printed the password. Now it is one usage line, exit 2, the password
// masked, nothing sent, and nothing of it in the log or the -d trace.
func TestURLBadURLHidesPassword(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	hp := net.JoinHostPort(srv.Host(), strconv.Itoa(srv.Port()))
	log := filepath.Join(t.TempDir(), "gftp.log")
	for _, bad := range []string{
		"ftp://bob:" + urlSecret + "@" + srv.Host() + ":99999/file",
		"ftp://bob:" + urlSecret + "@[::1/file",
		"ftp://bob:" + urlSecret + "@" + hp + "/f;type=x",
		"ftp://bob:" + urlSecret + "@" + hp + "/a%0d%0aDELE%20x",
		"ftp://bob:hun/ter2@" + hp + "/file",
		"ftps://bob:" + urlSecret + "@my host/file",
		"ftp:/bob:" + urlSecret + "@" + hp + "/file",
	} {
		for _, args := range [][]string{{"-d", "-v", "--log", log, bad}, {"-u", bad, "f"}} {
			code, stdout, stderr := runGftp(t, "", args...)
			if code != exitUsage {
				t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
			}
			if !strings.HasPrefix(stderr, "gftp: bad URL ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%v: stderr %q, want one line", args, stderr)
			}
			logged, _ := os.ReadFile(log)
			for _, out := range []string{stdout, stderr, string(logged)} {
				if strings.Contains(out, urlSecret) || strings.Contains(out, "ter2") {
					t.Errorf("%v: the password shows: %q", args, out)
				}
			}
		}
	}
	if cmds := srv.Commands(); len(cmds) != 0 {
		t.Errorf("a bad URL sent %q", cmds)
	}
}

// A wrong password: exit 4, the server's refusal named with the URL, the
// password masked on stdout (-d trace), stderr and in the log.
func TestURLWrongPassword(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	writeServerFile(t, filepath.Join(srv.Root(), "f"), []byte("x"))
	t.Chdir(t.TempDir())
	log := filepath.Join(t.TempDir(), "gftp.log")
	code, stdout, stderr := runGftp(t, "", "-d", "-v", "--log", log, serverURL(srv, "ftpuser:"+urlSecret, "f"))
	if code != exitLogin {
		t.Errorf("exit %d, want %d", code, exitLogin)
	}
	if want := "gftp: " + serverURL(srv, "ftpuser:****", "f") + ": login failed: 530"; !strings.HasPrefix(stderr, want) {
		t.Errorf("stderr %q, want it to start %q", stderr, want)
	}
	if !strings.Contains(stdout, "---> PASS ****") {
		t.Errorf("no masked PASS in the -d trace: %q", stdout)
	}
	logged, err := os.ReadFile(log)
	if err != nil || !strings.Contains(string(logged), "PASS ****") || !strings.Contains(string(logged), "ftpuser:****@") {
		t.Errorf("log (%v): %q", err, logged)
	}
	for _, out := range []string{stdout, stderr, string(logged)} {
		if strings.Contains(out, urlSecret) {
			t.Errorf("the password shows: %q", out)
		}
	}
}

// An IPv6 address in brackets, with a port.
func TestURLIPv6(t *testing.T) {
	isolateURLTest(t)
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
	srv := startServer(t, testserver.Options{Listen: "[::1]:0"})
	writeServerFile(t, filepath.Join(srv.Root(), "d", "six.txt"), []byte("over IPv6\n"))
	t.Chdir(t.TempDir())
	u := "ftp://ftpuser:secret@[::1]:" + strconv.Itoa(srv.Port()) + "/d/six.txt"
	code, _, stderr := runGftp(t, "", u)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile("six.txt"); string(got) != "over IPv6\n" {
		t.Errorf("six.txt: %q", got)
	}
	if cmds := srv.Commands(); !slices.Contains(cmds, "EPSV") {
		t.Errorf("server commands %q: no EPSV", cmds)
	}
}

// ;type=a and ;type=i set the transfer type before the transfer.
func TestURLType(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	writeServerFile(t, filepath.Join(srv.Root(), "d", "t.txt"), []byte("text\n"))
	t.Chdir(t.TempDir())
	for suffix, want := range map[string]string{";type=a": "TYPE A", ";TYPE=I": "TYPE I", "": "TYPE I"} {
		before := len(srv.Commands())
		code, _, stderr := runGftp(t, "", serverURL(srv, "ftpuser:secret", "d/t.txt"+suffix))
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", suffix, code, stderr)
		}
		cmds := srv.Commands()[before:]
		if !cmdsInOrder(cmds, want, "RETR t.txt") || count(cmds, "TYPE .*") != 1 {
			t.Errorf("%q: server commands %q, want one %s before RETR", suffix, cmds, want)
		}
		if got, _ := os.ReadFile("t.txt"); string(got) != "text\n" {
			t.Errorf("%q: t.txt: %q", suffix, got)
		}
	}
}

// Without a user: the host's .netrc entry, else anonymous with tnftp's
// password ($FTPANONPASS, else "anonymous@"); a user without a password
// takes the entry's for that login.
func TestURLLoginWithoutPassword(t *testing.T) {
	t.Run("anonymous", func(t *testing.T) {
		isolateURLTest(t)
		srv := startServer(t, testserver.Options{User: "anonymous", Password: "anonymous@"})
		writeServerFile(t, filepath.Join(srv.Root(), "pub.txt"), []byte("public\n"))
		t.Chdir(t.TempDir())
		code, _, stderr := runGftp(t, "", serverURL(srv, "", "pub.txt"))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		// The server takes only "anonymous@": the login shows it was sent.
		if cmds := srv.Commands(); !cmdsInOrder(cmds, "USER anonymous", "RETR pub.txt") {
			t.Errorf("server commands %q", cmds)
		}
	})
	t.Run("FTPANONPASS", func(t *testing.T) {
		isolateURLTest(t)
		t.Setenv("FTPANONPASS", "me@example.org")
		srv := startServer(t, testserver.Options{User: "anonymous", Password: "me@example.org"})
		writeServerFile(t, filepath.Join(srv.Root(), "pub.txt"), []byte("public\n"))
		t.Chdir(t.TempDir())
		if code, _, stderr := runGftp(t, "", serverURL(srv, "", "pub.txt")); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
	for _, tc := range []struct{ name, userinfo string }{{"netrc entry", ""}, {"netrc password for the URL's user", "ftpuser"}} {
		t.Run(tc.name, func(t *testing.T) {
			isolateURLTest(t)
			srv := startServer(t, testserver.Options{})
			writeServerFile(t, filepath.Join(srv.Root(), "p.txt"), []byte("private\n"))
			rc := filepath.Join(t.TempDir(), "netrc")
			if err := os.WriteFile(rc, []byte("machine "+srv.Host()+" login ftpuser password secret\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("NETRC", rc)
			t.Chdir(t.TempDir())
			code, _, stderr := runGftp(t, "", serverURL(srv, tc.userinfo, "p.txt"))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if cmds := srv.Commands(); !cmdsInOrder(cmds, "USER ftpuser", "RETR p.txt") {
				t.Errorf("server commands %q", cmds)
			}
		})
	}
}

// ftps:// is implicit TLS and ftpes:// explicit, as `open ftps://host` is;
// ftp:// follows --tls.
func TestURLTLS(t *testing.T) {
	isolateURLTest(t)
	for _, tc := range []struct {
		scheme string
		mode   testserver.TLSMode
		flags  []string
	}{
		{"ftps", testserver.ImplicitTLS, nil},
		{"ftpes", testserver.ExplicitTLS, nil},
		{"ftp", testserver.ExplicitTLS, []string{"--tls", "explicit"}},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			srv := startTLSServer(t, tc.mode, 0)
			writeServerFile(t, filepath.Join(srv.Root(), "s.txt"), []byte("secure\n"))
			t.Chdir(t.TempDir())
			u := tc.scheme + strings.TrimPrefix(serverURL(srv.Server, "ftpuser:secret", "s.txt"), "ftp")
			code, _, stderr := runGftp(t, "", append(tc.flags, "--tls-ca", srv.caFile, u)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got, _ := os.ReadFile("s.txt"); string(got) != "secure\n" {
				t.Errorf("s.txt: %q", got)
			}
			if auth := slices.Contains(srv.Commands(), "AUTH TLS"); auth != (tc.mode == testserver.ExplicitTLS) {
				t.Errorf("AUTH TLS sent: %v; server commands %q", auth, srv.Commands())
			}
		})
	}
}

// "gftp ftp://host:port" with no path and no user is still a host, opened
// as `gftp host` opens one (here with -n, so the script logs in), not an
// anonymous URL login.
func TestURLBareHostIsAHost(t *testing.T) {
	isolateURLTest(t)
	srv := startServer(t, testserver.Options{})
	bare := strings.TrimSuffix(serverURL(srv, "", ""), "/")
	code, stdout, stderr := runGftp(t, "user ftpuser secret\npwd\n", "-n", bare)
	if code != 0 || !strings.Contains(stdout, "Remote directory: /") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if cmds := srv.Commands(); slices.Contains(cmds, "USER anonymous") || !cmdsInOrder(cmds, "USER ftpuser", "PWD") {
		t.Errorf("server commands %q", cmds)
	}
	code, _, stderr = runGftp(t, "", bare, srv.Host())
	if code != exitUsage || !strings.Contains(stderr, "give URLs or a host [port], not both") {
		t.Errorf("a URL and a host: exit %d, stderr %q", code, stderr)
	}
}

// Whatever follows the password, parsing never panics, and neither an
// error nor the URL as shown carries the password.
func FuzzParseURL(f *testing.F) {
	for _, seed := range []string{"host/f", "[::1/f", "h:99999/f", "h/a%zz", "h/f;type=x", "a@b/c", "h/%0d%0a", "[fe80::1%25x]:1/"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rest string) {
		const pw = "S3cr3tPw"
		if strings.Contains(rest, pw) {
			t.Skip("the password in the path too")
		}
		raw := "ftp://bob:" + pw + "@" + rest
		u, err := parseURL(raw)
		if err != nil {
			var ue *commands.UsageError
			if !errors.As(err, &ue) || strings.Contains(err.Error(), pw) {
				t.Fatalf("parseURL(%q): %v", raw, err)
			}
			return
		}
		if strings.Contains(u.shown, pw) || !u.HasPassword {
			t.Fatalf("parseURL(%q): shown %q, password %v", raw, u.shown, u.HasPassword)
		}
	})
}
