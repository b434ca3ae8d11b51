package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// Scripts draw no bars unless asked (--progress), and then only when
// stderr is a terminal.
func TestProgressInScripts(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 64<<10)
	h := startHostile(t, testserver.HostileOptions{Files: map[string][]byte{"f": data}, SlowData: 300 * time.Millisecond})
	for _, tc := range []struct {
		name   string
		flags  []string
		errTTY bool
		bar    bool
	}{
		{"script at a terminal", nil, true, false},
		{"--progress at a terminal", []string{"--progress"}, true, true},
		{"--progress into a pipe", []string{"--progress"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(context.Background(), hostileArgs(h, append([]string{"-in"}, tc.flags...)...),
				Streams{In: strings.NewReader("user u p\nlcd " + t.TempDir() + "\nget f\n"), Out: &out, Err: &errb, ErrTTY: tc.errTTY})
			if code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", code, errb.String())
			}
			if got := strings.Contains(errb.String(), "64.0 KiB"); got != tc.bar {
				t.Errorf("bar shown: %v, want %v; stderr:\n%q", got, tc.bar, errb.String())
			}
		})
	}
}

// hash prints a # per 1024 bytes (or the size given), then a newline.
func TestHashMarks(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	if err := os.WriteFile(filepath.Join(srv.Root(), "f"), make([]byte, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	down := t.TempDir()
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nhash\nget f\nhash 2000\nget f g\nhash off\nget f h\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	want := "Hash mark printing on (1024 bytes/hash mark).\n####\nHash mark printing on (2000 bytes/hash mark).\n##\nHash mark printing off.\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("stdout %q, want it to hold %q", stdout, want)
	}
}

// In ASCII mode the byte count is of local bytes: the CR LF on the wire
// are not counted as the file's.
func TestASCIICountsLocalBytes(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	local := t.TempDir()
	text := strings.Repeat("a line of text\n", 1000) // 15000 bytes, 1000 LF
	if err := os.WriteFile(filepath.Join(local, "t.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+local+"\nascii\nput t.txt\nget t.txt back.txt\n", "-iv")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"15000 bytes sent", "15000 bytes received"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(local, "back.txt")); string(got) != text {
		t.Errorf("back.txt differs (%d bytes)", len(got))
	}
}
