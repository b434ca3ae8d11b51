package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// Downloaded files keep the server's modification time (tnftp's
// preserve): get asks MDTM; mget takes the time from its MLSD listing, with
// no MDTM a file; preserve off (or --preserve=false) leaves today's time.
func TestPreserveTimes(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	when := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, n := range []string{"a.txt", "b.txt", "c.txt"} {
		p := filepath.Join(srv.Root(), n)
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, when, when); err != nil {
			t.Fatal(err)
		}
	}
	mtime := func(dir, name string) time.Time {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime().UTC()
	}

	down := t.TempDir()
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nget a.txt\nmodtime a.txt\nstatus\n", "-inv")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if got := mtime(down, "a.txt"); !got.Equal(when) {
		t.Errorf("get: the local file's time is %s, want the server's %s", got, when)
	}
	if !strings.Contains(stdout, "a.txt\t2020-05-06 07:08:09 UTC\n") || !strings.Contains(stdout, "Preserve modification times: on.") {
		t.Errorf("modtime or status:\n%s", stdout)
	}

	mdtmBefore := count(srv.Commands(), "MDTM .*")
	down2 := t.TempDir()
	if code, _, stderr := runGftp(t, login(srv)+"lcd "+down2+"\nmget *.txt\n", "-in"); code != 0 {
		t.Fatalf("mget: exit %d; stderr:\n%s", code, stderr)
	}
	for _, n := range []string{"a.txt", "b.txt", "c.txt"} {
		if got := mtime(down2, n); !got.Equal(when) {
			t.Errorf("mget %s: time %s, want %s", n, got, when)
		}
	}
	if n := count(srv.Commands(), "MDTM .*") - mdtmBefore; n != 0 {
		t.Errorf("mget sent %d MDTM; its MLSD listing has the times", n)
	}

	for _, off := range [][]string{{"-in", "--preserve=false"}, {"-in"}} {
		down3 := t.TempDir()
		script := login(srv) + "lcd " + down3 + "\nget b.txt\n"
		if len(off) == 1 {
			script = login(srv) + "preserve off\nlcd " + down3 + "\nget b.txt\n"
		}
		if code, _, stderr := runGftp(t, script, off...); code != 0 {
			t.Fatalf("%v: exit %d; stderr:\n%s", off, code, stderr)
		}
		if got := mtime(down3, "b.txt"); time.Since(got) > time.Hour {
			t.Errorf("%v: the time was kept (%s), preserve is off", off, got)
		}
	}
}

// A server without MDTM: the download works and keeps today's time,
// with no error.
func TestPreserveWithoutMDTM(t *testing.T) {
	srv := startServer(t, testserver.Options{Refuse: []string{"MDTM"}})
	os.WriteFile(filepath.Join(srv.Root(), "a.txt"), []byte("a"), 0o644)
	down := t.TempDir()
	code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\nget a.txt\n", "-in")
	if code != 0 || stderr != "" {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(down, "a.txt")); err != nil {
		t.Error(err)
	}
}

// newer gets the remote file only when it is newer than the local one.
func TestNewer(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	remote := filepath.Join(srv.Root(), "r.txt")
	os.WriteFile(remote, []byte("remote"), 0o644)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(remote, old, old)
	down := t.TempDir()
	local := filepath.Join(down, "r.txt")
	os.WriteFile(local, []byte("local, newer"), 0o644)

	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nnewer r.txt\n", "-inv")
	if code != 0 || !strings.Contains(stdout, `Local file "r.txt" is newer than remote file "r.txt".`) {
		t.Errorf("local newer: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(local); string(b) != "local, newer" || count(srv.Commands(), "RETR .*") != 0 {
		t.Errorf("the newer local file was replaced (%q)", b)
	}

	os.Chtimes(local, old.Add(-time.Hour), old.Add(-time.Hour))
	if code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\nnewer r.txt\n", "-in"); code != 0 {
		t.Fatalf("remote newer: exit %d; stderr:\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(local); string(b) != "remote" {
		t.Errorf("newer did not get the newer remote file: %q", b)
	}
}

// mkdir -p makes the missing parents, and succeeds when the directory is
// already there; rm is delete, as ftp(1) users expect.
func TestMkdirParentsAndRm(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	os.MkdirAll(filepath.Join(srv.Root(), "a"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "victim"), []byte("x"), 0o644)
	code, _, stderr := runGftp(t, login(srv)+"mkdir -p a/b/c\nmkdir -p a/b/c\nmkdir -p /x/y\nrm victim\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, d := range []string{"a/b/c", "x/y"} {
		if fi, err := os.Stat(filepath.Join(srv.Root(), d)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "victim")); !os.IsNotExist(err) {
		t.Errorf("rm did not delete: %v", err)
	}
	// A file in the way is a failure, not an "exists".
	code, _, stderr = runGftp(t, login(srv)+"mkdir -p a/b/c/victim2/d\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	os.WriteFile(filepath.Join(srv.Root(), "file"), []byte("x"), 0o644)
	code, _, stderr = runGftp(t, login(srv)+"mkdir -p file\n", "-in")
	if code != exitRefused {
		t.Errorf("mkdir -p over a file: exit %d, want %d; stderr:\n%s", code, exitRefused, stderr)
	}
	code, _, stderr = runGftp(t, login(srv)+"mkdir a b\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "usage: mkdir [-p] directory-name") {
		t.Errorf("mkdir a b: exit %d; stderr:\n%s", code, stderr)
	}
}

// Without MLSD (a LIST-only server: vsftpd, IIS) the times of a
// multi-file download are asked before the first RETR, all MDTM commands
// pipelined, instead of one round trip after each file; mget, get -r and
// mirror alike.
func TestPreserveBatchedMDTM(t *testing.T) {
	srv := startServer(t, testserver.Options{Refuse: []string{"MLSD", "MLST"}})
	when := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, rel := range []string{"t/a.txt", "t/b.txt", "t/c.txt"} {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(rel), 0o644)
		os.Chtimes(p, when, when)
	}
	for _, cmd := range []string{"cd t\nmget *.txt", "get -r t", "mirror t"} {
		before := len(srv.Commands())
		down := t.TempDir()
		code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\n"+cmd+"\n", "-in")
		if code != 0 {
			t.Fatalf("%s: exit %d; stderr:\n%s", cmd, code, stderr)
		}
		cmds := srv.Commands()[before:]
		firstRetr, lastMdtm := -1, -1
		for i, c := range cmds {
			if strings.HasPrefix(c, "RETR ") && firstRetr < 0 {
				firstRetr = i
			}
			if strings.HasPrefix(c, "MDTM ") {
				lastMdtm = i
			}
		}
		if n := count(cmds, "MDTM .*"); n != 3 || lastMdtm > firstRetr {
			t.Errorf("%s: %d MDTM, the last at %d, the first RETR at %d:\n%s", cmd, n, lastMdtm, firstRetr, strings.Join(cmds, "\n"))
		}
		err := filepath.WalkDir(down, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, _ := d.Info(); !fi.ModTime().Equal(when) {
					t.Errorf("%s: %s has %v, want %v", cmd, p, fi.ModTime(), when)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// rate caps each transfer: 300 KiB at 400 KiB a second takes at least
// about 0.7 s each way (the first tenth of a second's worth goes at
// once), and the files arrive whole; rate 0 lifts the cap.
func TestRate(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	body := bytes.Repeat([]byte("rate limited "), 300<<10/13)
	os.WriteFile(filepath.Join(srv.Root(), "big.bin"), body, 0o644)
	down := t.TempDir()
	os.WriteFile(filepath.Join(down, "up.bin"), body, 0o644)
	for _, step := range []string{"get big.bin", "put up.bin"} {
		start := time.Now()
		code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\nrate all 400k\n"+step+"\n", "-in")
		took := time.Since(start)
		if code != 0 {
			t.Fatalf("%s: exit %d; stderr:\n%s", step, code, stderr)
		}
		if took < 650*time.Millisecond {
			t.Errorf("%s at 400 KiB/s took %v, want at least about 0.7s", step, took)
		}
	}
	for _, p := range []string{filepath.Join(down, "big.bin"), filepath.Join(srv.Root(), "up.bin")} {
		if b, _ := os.ReadFile(p); !bytes.Equal(b, body) {
			t.Errorf("%s: %d bytes, not the file", p, len(b))
		}
	}
	code, _, stderr := runGftp(t, "rate sideways 1m\n", "-in")
	if code == 0 || !strings.Contains(stderr, `direction "sideways" is not all, get or put`) {
		t.Errorf("a bad direction: exit %d; stderr:\n%s", code, stderr)
	}
}

// --limit-rate is rate all for the whole run; a bad value is a usage
// error.
func TestLimitRateFlag(t *testing.T) {
	code, stdout, _ := runGftp(t, "rate\nstatus\n", "-n", "--limit-rate", "2m")
	if code != 0 || !strings.Contains(stdout, "get rate: 2 MiB a second.") || !strings.Contains(stdout, "put rate: 2 MiB a second.") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
	code, _, stderr := runGftp(t, "", "-n", "--limit-rate", "fast")
	if code != exitUsage || !strings.Contains(stderr, `limit-rate: "fast" is not a size`) {
		t.Errorf("--limit-rate fast: exit %d; stderr:\n%s", code, stderr)
	}
}
