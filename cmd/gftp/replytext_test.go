package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/testserver"
)

// What a server's reply text can do to gftp's own output, tried on the
// whole program: show the password, or print a line that reads as gftp's.

// runReplies runs script against a Hostile server with replies, with
// --log, and returns stdout, stderr and the log.
func runReplies(t *testing.T, replies map[string]string, script string, flags ...string) (stdout, stderr, logged string) {
	t.Helper()
	h := startHostile(t, testserver.HostileOptions{Replies: replies})
	logf := filepath.Join(t.TempDir(), "gftp.log")
	var out, errb bytes.Buffer
	Main(context.Background(), hostileArgs(h, append(flags, "--log", logf)...),
		Streams{In: strings.NewReader(script), Out: &out, Err: &errb})
	b, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), string(b)
}

// A reply to PASS without a code is quoted in the error, the password
// masked on stderr and in the log.
func TestReplyTextMalformedPassReplyMasked(t *testing.T) {
	stdout, stderr, logged := runReplies(t, map[string]string{"PASS": "bad: PASS S3cr3tZZ"},
		"user u S3cr3tZZ\n", "-inv", "-d")
	for what, text := range map[string]string{"stdout": stdout, "stderr": stderr, "log": logged} {
		if strings.Contains(text, "PASS S3cr3tZZ") {
			t.Errorf("%s shows the password:\n%s", what, text)
		}
	}
	for what, text := range map[string]string{"stderr": stderr, "log": logged} {
		if !strings.Contains(text, `malformed reply line "bad: PASS ****"`) {
			t.Errorf("%s lacks the masked quote of the reply:\n%s", what, text)
		}
	}
}

// A server that repeats the password in a later reply (SYST, PWD): masked
// there too, with -v, in errors and in the log.
func TestReplyTextPasswordMaskedInLaterReplies(t *testing.T) {
	said := "500 you said PASS S3cr3tZZ earlier"
	stdout, stderr, logged := runReplies(t, map[string]string{"SYST": said, "PWD": said},
		"user u S3cr3tZZ\n-system\npwd\n", "-inv", "-d")
	for what, text := range map[string]string{"stdout": stdout, "stderr": stderr, "log": logged} {
		if strings.Contains(strings.ToLower(text), "pass s3cr3tzz") {
			t.Errorf("%s shows the password:\n%s", what, text)
		}
	}
	if n := strings.Count(stderr, "500 you said PASS **** earlier"); n != 2 {
		t.Errorf("stderr has the masked refusal %d times, want 2 (SYST, PWD):\n%s", n, stderr)
	}
}

// A multi-line reply cannot put a line of its own on stderr (332 to PASS)
// or on stdout (PWD's 257).
func TestReplyTextNoForgedLines(t *testing.T) {
	_, stderr, logged := runReplies(t, map[string]string{
		"PASS": "332-Need account\r\ngftp: stdin:9: all 3 transfers OK\r\n332 end",
	}, "user u p\n", "-in")
	for what, text := range map[string]string{"stderr": stderr, "log": logged} {
		for line := range strings.Lines(text) {
			if strings.HasPrefix(line, "gftp: stdin:9") || strings.HasPrefix(strings.TrimSpace(line), "end") {
				t.Errorf("%s has a line of the server's: %q in\n%s", what, line, text)
			}
		}
	}
	if !strings.Contains(stderr, "332 Need account gftp: stdin:9: all 3 transfers OK end") {
		t.Errorf("stderr lacks the 332 on one line:\n%s", stderr)
	}

	stdout, stderr, _ := runReplies(t, map[string]string{
		"PWD": "257-\"/home\r\ngftp: fake line\" x\r\n257 end",
	}, "user u p\npwd\n", "-in")
	if stdout != "Remote directory: /home\n" || strings.Contains(stderr, "fake line") {
		t.Errorf("stdout %q, stderr %q; want the directory of the first line only", stdout, stderr)
	}
}
