//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// At the prompt, a line with a password gftp used to miss is kept in the
// history masked, and its error (after the echo of what was typed) does
// not show the password either.
func TestSecretsREPLHistory(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "state", "history")
	r := startREPLEnv(t, []string{"GFTP_HISTORY_FILE=" + hist}, "-n")
	r.prompt()
	r.send("macdef m\r")
	r.expect("terminating it with a null line")
	r.send("user bob $1\r")
	r.send("\r")
	r.prompt()
	for _, tc := range []struct{ line, want string }{
		{"open ftp://bob:S3cr/3tZZ@127.0.0.1:47121", "open takes a host, not a URL with a user name and password"},
		{"open ftp://bob:S3cr]/3tZZ@127.0.0.1/", "open takes a host, not a URL with a user name and password"},
		{"open bob:S3cr3tZZ@127.0.0.1", "open takes a host, not user@host"},
		{"user bob S3cr3tZZ ACCTs3cret", "usage: user"},
		{"user bob S3cr 3tZZ", "usage: user"},
		{"$ m S3cr3tZZ", "Not connected."},
	} {
		r.send(tc.line + "\r")
		r.expect(tc.line + "\r\n") // the terminal's echo, redrawn as typed, ends so
		from := r.pos
		r.expect(tc.want)
		r.prompt()
		r.out.mu.Lock()
		after := string(r.out.buf[from:r.pos])
		r.out.mu.Unlock()
		checkNoLeak(t, tc.line, after)
	}
	r.send("bye\r")
	r.wait()
	b, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	checkNoLeak(t, "the history file", string(b))
	for _, want := range []string{"open ftp://****@127.0.0.1:47121\n", "open ftp://****@127.0.0.1/\n", "open bob:****@127.0.0.1\n", "user bob **** ****\n", "$ m ****\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("history file has no line %q:\n%s", want, b)
		}
	}
}
