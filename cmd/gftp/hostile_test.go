package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// What a broken or hostile server can do, tried on the whole program
// against scripted servers (testserver.Hostile).

// A server that answers CWD with a 150 and then a 250: the replies stay in
// step, so the refused delete is reported as refused, on its own line,
// and the script stops there (exit 5) before pwd.
func TestRepliesStayInStep(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Replies: map[string]string{
		"CWD":  "150 Hold on\r\n250 Directory changed",
		"DELE": "550 Permission denied",
	}})
	code, _, stderr := runGftp(t, "user u p\ncd x\ndelete important\npwd\n", hostileArgs(h, "-in")...)
	if code != exitRefused || stderr != "gftp: stdin:3: delete important: 550 Permission denied\n" {
		t.Errorf("exit %d, stderr %q; want %d and the 550 on line 3", code, stderr, exitRefused)
	}
	// One PWD: gftp's own after the cd (to return there on a reconnect);
	// the script's pwd never ran.
	if n := strings.Count(strings.Join(h.Commands(), "\n"), "PWD"); n != 1 {
		t.Errorf("%d PWD commands, want 1: %q", n, h.Commands())
	}
}

// A reply nobody asked for (a second reply to CWD) is set aside with a
// warning, not taken as the answer to the next command.
func TestStrayReplyWarned(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Replies: map[string]string{
		"CWD": "250 Directory changed\r\n250 And again",
	}})
	code, _, stderr := runGftp(t, "user u p\ncd x\nmkdir y\npwd\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "gftp: ignored a reply the server sent unasked: 250 And again") {
		t.Errorf("stderr %q lacks the warning about the stray reply", stderr)
	}
}

// A stuck server (the data connection open and silent, or the final
// reply never coming) is tried again once, not up to --retries times,
// each after a whole timeout: two timeouts in a row with nothing moved
// between them end the command.
func TestStuckServerNotRetriedAtLength(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   testserver.HostileOptions
		script string
	}{
		{"silent data", testserver.HostileOptions{Files: map[string][]byte{"f": []byte("x")}, DataHang: true}, "get f\n"},
		{"no 226 after an upload", testserver.HostileOptions{NoFinal: true}, "put up.bin\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, tc.opts)
			local := t.TempDir()
			if err := os.WriteFile(filepath.Join(local, "up.bin"), []byte("payload"), 0o644); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			code, _, stderr := runGftp(t, "user u p\nlcd "+local+"\n"+tc.script,
				hostileArgs(h, "-in", "--retries", "5", "--retry-wait", "50ms", "--reply-timeout", "500ms", "--stall-timeout", "500ms")...)
			if code != exitConnect {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, exitConnect, stderr)
			}
			if n := strings.Count(stderr, "trying again"); n != 1 {
				t.Errorf("tried again %d times, want once; stderr:\n%s", n, stderr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}
