//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// At a terminal, a directory URL opens the prompt logged in and in that
// directory; one whose directory is missing ends gftp with the failure,
// as tnftp does, and no prompt. The password never reaches the terminal.
func TestREPLDirURL(t *testing.T) {
	srv := startREPLServer(t)
	if err := os.MkdirAll(filepath.Join(srv.Root(), "sub", "deep"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := startREPL(t, serverURL(srv, "ftpuser:"+urlSecret+"x", "sub/deep/"))
	r.expect("530 ")
	if code := r.wait(); code != exitLogin {
		t.Errorf("a wrong password: exit %d, want %d", code, exitLogin)
	}

	r = startREPL(t, serverURL(srv, "ftpuser:secret", "sub/deep/"))
	r.expect("230 ")
	r.expect("250 ")
	r.prompt()
	r.run("pwd", `257 "/sub/deep"`)
	r.send("bye\r")
	if code := r.wait(); code != 0 {
		t.Errorf("exit %d after bye, want 0", code)
	}

	r = startREPL(t, serverURL(srv, "ftpuser:secret", "sub/nodir/"))
	r.expect("cd nodir: 550")
	if code := r.wait(); code != exitRefused {
		t.Errorf("a missing directory: exit %d, want %d", code, exitRefused)
	}
	if out := r.out.String(); strings.Contains(out, "gftp> ") || strings.Contains(out, "secret") || strings.Contains(out, urlSecret) {
		t.Errorf("a prompt or the password on the terminal:\n%q", out)
	}
}
