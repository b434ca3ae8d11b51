//go:build linux

// (linux: the prompt's tests need startREPL's pseudo-terminal.)

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/testserver"
)

// A password that starts with # is a password, not a comment: the login
// works, with no "no terminal to ask", and a # name after a file is its
// remote name.
func TestScriptPasswordWithHash(t *testing.T) {
	srv := startServer(t, testserver.Options{User: "hash2", Password: "#pw"})
	local := filepath.Join(t.TempDir(), "a.tar.gz")
	if err := os.WriteFile(local, []byte("backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("open %s %d\nuser hash2 #pw\nput %s #x\n", srv.Host(), srv.Port(), local)
	code, _, stderr := runGftp(t, script, "-in")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if !slices.Contains(srv.Commands(), "STOR #x") {
		t.Errorf("server got %q, want STOR #x", srv.Commands())
	}
	if b, err := os.ReadFile(filepath.Join(srv.Root(), "#x")); err != nil || string(b) != "backup" {
		t.Errorf("#x on the server: %q, %v", b, err)
	}
	// A wrong password that starts with # is masked like any other.
	code, _, stderr = runGftp(t, fmt.Sprintf("open %s %d\nuser hash2 #nope\n", srv.Host(), srv.Port()), "-in")
	if code != exitLogin || strings.Contains(stderr, "#nope") || !strings.Contains(stderr, "user hash2 ****") {
		t.Errorf("a wrong # password: exit %d; stderr:\n%s", code, stderr)
	}
}

// A bad toggle or setting value is caught before anything connects: exit
// 2, the command's own message, and the server hears nothing. One of each
// kind of check (a toggle, a setting, a value of the session's); every
// value's message is internal/script's TestReadCheckedValues.
func TestScriptBadValuesCaughtFirst(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	for _, tc := range []struct{ line, want string }{
		{"passive bogus", `passive: unknown argument "bogus" (want on, off or auto)`},
		{"restart abc", `"abc" is not a byte offset`},
		{"tls maybe", `tls: unknown TLS mode "maybe" (want off, explicit, implicit or auto)`},
	} {
		before := len(srv.Commands())
		code, _, stderr := runGftp(t, login(srv)+"mkdir first\n"+tc.line+"\n", "-in")
		if want := "gftp: stdin:4: " + tc.line + ": " + tc.want + "\n"; code != exitUsage || stderr != want {
			t.Errorf("%s: exit %d, stderr %q; want exit 2, %q", tc.line, code, stderr, want)
		}
		if got := srv.Commands()[before:]; len(got) != 0 {
			t.Errorf("%s: the server got %q", tc.line, got)
		}
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "first")); err == nil {
		t.Error("a line before the bad one ran")
	}
}

// At the prompt, Ctrl-D or Ctrl-C before a macro's empty line leaves it
// undefined, and says so (tnftp: "macdef: end of file encountered.");
// the prompt goes on.
func TestREPLMacdefUnended(t *testing.T) {
	r := startREPL(t, "-n")
	// ready waits for the line editor to read the next macro line: it
	// has the terminal in raw mode then, so that ^D and ^C reach it as
	// keys (typed between two reads, the terminal would take them itself).
	ready := func() {
		t.Helper()
		r.expect("\r \b") // the empty prompt drawn
	}
	for _, tc := range []struct{ name, key, want string }{
		{"m", "\x04", "gftp: macdef m: the input ended before the empty line that ends the macro; it is not defined"},
		{"c", "\x03", "gftp: macdef c: cancelled; the macro is not defined"},
	} {
		r.prompt()
		r.send("macdef " + tc.name + "\r")
		r.expect("terminating it with a null line.\r\n")
		ready()
		r.send("lpwd\r")
		r.expect("lpwd\r\n")
		ready()
		r.send(tc.key)
		r.expect(tc.want)
		r.prompt()
		r.send("$ " + tc.name + "\r")
		r.expect(fmt.Sprintf("no such macro %q", tc.name))
	}
	r.prompt()
	r.send("bye\r")
	if code := r.wait(); code != 0 {
		t.Errorf("exit %d after bye", code)
	}
	if strings.Contains(r.out.String(), "Local directory: ") {
		t.Error("a line of an unfinished macro ran")
	}
}

// The prompt reads # as scripts do: a comment only as the first
// non-blank character.
func TestREPLHashRule(t *testing.T) {
	r := startREPL(t, "-n")
	r.prompt()
	r.run("help #x", `unknown command "#x"`)
	r.send("   # help\r")
	r.prompt()
	r.run("usage lpwd", "usage: lpwd")
	r.send("bye\r")
	r.wait()
	if strings.Contains(r.out.String(), "Commands may be abbreviated") {
		t.Error("help ran: the # was taken for a comment, or the comment line ran")
	}
}
