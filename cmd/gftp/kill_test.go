//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// A mirror killed in mid-file (SIGKILL: nothing of gftp's runs after it)
// goes on when run again: the partial file it left is continued with
// REST, and the result is whole. Downloads and --temp-upload uploads.
func TestMirrorResumesAfterKill(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	restAt := regexp.MustCompile(`^REST (\d+)$`)
	resumed := func(srv *testserver.Server, from int) int64 {
		for _, c := range srv.Commands()[from:] {
			if m := restAt.FindStringSubmatch(c); m != nil {
				n, _ := strconv.ParseInt(m[1], 10, 64)
				return n
			}
		}
		return 0
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}

	t.Run("download", func(t *testing.T) {
		srv := startServer(t, testserver.Options{ReadDelay: 10 * time.Millisecond})
		p := filepath.Join(srv.Root(), "site", "big.bin")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, body, 0o644)
		os.Chtimes(p, old, old)
		g := startGftp(t, login(srv)+"mirror site\n", "-in")
		partial := filepath.Join(g.dir, "site", ".big.bin.gftp-part")
		waitFor(t, "a partial download", func() bool { return size(partial) > 0 })
		g.cmd.Process.Signal(syscall.SIGKILL)
		g.waitExit(t, 5*time.Second)
		have := size(partial)
		if have <= 0 || have >= int64(len(body)) {
			t.Fatalf("the partial file has %d bytes", have)
		}
		before := len(srv.Commands())
		code, stdout, stderr := runGftp(t, login(srv)+"lcd "+g.dir+"\nmirror site\n", "-in")
		if code != 0 {
			t.Fatalf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if n := resumed(srv, before); n < have {
			t.Errorf("rerun resumed at %d, want at least %d (the partial file)", n, have)
		}
		if b, _ := os.ReadFile(filepath.Join(g.dir, "site", "big.bin")); !bytes.Equal(b, body) {
			t.Errorf("after the rerun: %d bytes, not the remote file", len(b))
		}
	})

	t.Run("upload", func(t *testing.T) {
		srv := startServer(t, testserver.Options{WriteDelay: 10 * time.Millisecond})
		bak := filepath.Join(t.TempDir(), "bak")
		os.MkdirAll(bak, 0o755)
		local := filepath.Join(bak, "big.bin")
		os.WriteFile(local, body, 0o644)
		os.Chtimes(local, old, old)
		script := login(srv) + "lcd " + bak + "\nmirror -R --temp-upload . backups\n"
		g := startGftp(t, script, "-in")
		partial := filepath.Join(srv.Root(), "backups", ".big.bin.gftp-part")
		waitFor(t, "a partial upload", func() bool { return size(partial) > 0 })
		g.cmd.Process.Signal(syscall.SIGKILL)
		g.waitExit(t, 5*time.Second)
		time.Sleep(100 * time.Millisecond) // the server writes what it has
		have := size(partial)
		if have <= 0 || have >= int64(len(body)) {
			t.Fatalf("the partial upload has %d bytes", have)
		}
		before := len(srv.Commands())
		code, stdout, stderr := runGftp(t, script, "-in")
		if code != 0 {
			t.Fatalf("rerun: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if n := resumed(srv, before); n == 0 || n > have {
			t.Errorf("rerun resumed at %d, want within the %d bytes the server had", n, have)
		}
		if b, _ := os.ReadFile(filepath.Join(srv.Root(), "backups", "big.bin")); !bytes.Equal(b, body) {
			t.Errorf("on the server after the rerun: %d bytes, not the local file", len(b))
		}
	})
}
