package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// unixListing writes a LIST body in ls -l form, one line per name.
func unixListing(names ...string) func(w io.Writer) error {
	return func(w io.Writer) error {
		for _, n := range names {
			if _, err := fmt.Fprintf(w, "-rw-r--r--   1 ftp ftp  5 Jan 01 12:00 %s\r\n", n); err != nil {
				return err
			}
		}
		return nil
	}
}

// Replies and file names with terminal escapes are shown with their
// control characters made visible, on stdout, on stderr and in the log,
// so they cannot clear the screen, retitle the window or fake a line. A
// listing the user sends to a file (or a pipe) keeps its bytes.
func TestServerTextMadeVisible(t *testing.T) {
	evil := "550 \x1b[2J\x1b[H gftp: all files transferred OK \x1b]0;title\x07"
	names := []string{"evil\x1b[2Jname\x07.txt", "bs\x08\x08\x08ok.txt"}
	files := map[string][]byte{}
	for _, n := range names {
		files[n] = []byte("data\n")
	}
	h := startHostile(t, testserver.HostileOptions{
		Replies: map[string]string{"CWD": evil},
		Listing: unixListing(names...),
		Files:   files,
	})
	local := t.TempDir()
	logf := filepath.Join(local, "gftp.log")
	script := "user u p\nlcd " + local + "\nmget *\nls\nls . listing.txt\n-cd x\nsize x\n"
	var out, errb bytes.Buffer
	code := Main(context.Background(), hostileArgs(h, "-iv", "-d", "--log", logf),
		Streams{In: strings.NewReader(script), Out: &out, Err: &errb, OutTTY: true})
	if code != exitRefused {
		t.Errorf("exit %d, want %d (size x refused); stderr:\n%s", code, exitRefused, errb.String())
	}
	logb, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"stdout": out.String(), "stderr": errb.String(), "log": string(logb)} {
		if i := strings.IndexAny(text, "\x1b\x07\x08"); i >= 0 {
			t.Errorf("%s holds a raw control character at byte %d: %q", what, i, text[max(0, i-30):min(len(text), i+30)])
		}
	}
	for what, text := range map[string]string{"stderr": errb.String(), "stdout": out.String(), "log": string(logb)} {
		if !strings.Contains(text, `550 \x1b[2J\x1b[H gftp: all files transferred OK \x1b]0;title\x07`) {
			t.Errorf("%s does not show the refusal made visible:\n%s", what, text)
		}
	}
	for _, want := range []string{`local: evil\x1b[2Jname\x07.txt remote: evil\x1b[2Jname\x07.txt`, `bs\x08\x08\x08ok.txt`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	// The files themselves have their real names; the listing file its
	// real bytes.
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(local, n)); err != nil {
			t.Errorf("mget did not save %q: %v", n, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(local, "listing.txt")); !bytes.Contains(b, []byte(names[0])) {
		t.Errorf("listing.txt lacks the raw name: %q", b)
	}
}

// A listing piped on (stdout not a terminal) keeps its bytes, as ls(1)'s
// does: a script may be parsing the names.
func TestListingToPipeKeepsBytes(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Listing: unixListing("caf\xe9\x1b.txt")})
	code, stdout, stderr := runGftp(t, "user u p\nls\n", hostileArgs(h, "-in")...)
	if code != 0 || !strings.Contains(stdout, "caf\xe9\x1b.txt") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
