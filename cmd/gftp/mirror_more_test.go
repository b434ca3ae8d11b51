package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// Permission bits travel with mirror: a download gets the listing's, an
// upload the local file's (SITE CHMOD, only where they differ); with
// --no-perms neither. (ftpserverlib's MLSD has no unix.mode: its LIST
// tells the bits; the real servers' MLSD is in the interop tests.)
func TestMirrorPerms(t *testing.T) {
	srv := startServer(t, testserver.Options{Refuse: []string{"MLSD"}})
	site := filepath.Join(srv.Root(), "site")
	os.MkdirAll(filepath.Join(site, "private"), 0o755)
	os.WriteFile(filepath.Join(site, "run.sh"), []byte("#!/bin/sh"), 0o644)
	os.Chmod(filepath.Join(site, "run.sh"), 0o750)
	os.WriteFile(filepath.Join(site, "private", "key"), []byte("k"), 0o644)
	os.Chmod(filepath.Join(site, "private", "key"), 0o600)
	os.Chmod(filepath.Join(site, "private"), 0o750)
	down := t.TempDir()
	perm := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror site\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for rel, want := range map[string]os.FileMode{"run.sh": 0o750, "private/key": 0o600, "private": 0o750} {
		if got := perm(filepath.Join(down, "site", filepath.FromSlash(rel))); got != want {
			t.Errorf("downloaded %s: %o, want the server's %o", rel, got, want)
		}
	}
	// Changed on the server only: a rerun moves nothing and sets the bits.
	os.Chmod(filepath.Join(site, "run.sh"), 0o700)
	runGftp(t, login(srv)+"lcd "+down+"\nmirror site\n", "-in")
	if got := perm(filepath.Join(down, "site", "run.sh")); got != 0o700 {
		t.Errorf("after the server's chmod: %o, want 700", got)
	}
	down2 := t.TempDir()
	runGftp(t, login(srv)+"lcd "+down2+"\nmirror --no-perms site\n", "-in")
	if got := perm(filepath.Join(down2, "site", "run.sh")); got != 0o644 {
		t.Errorf("--no-perms: %o, want 644 (a new file's)", got)
	}

	// Upload: the server makes files 0644 (ftpserverlib); a 0600 one is
	// set, the others are left alone.
	up := t.TempDir()
	// Directories as the server makes them: no SITE CHMOD, also for sub,
	// whose parent holds no file (the size check does not list it).
	os.MkdirAll(filepath.Join(up, "bak", "deep", "sub"), 0o755)
	os.WriteFile(filepath.Join(up, "bak", "deep", "sub", "f"), []byte("f"), 0o644)
	os.WriteFile(filepath.Join(up, "bak", "secret.gz"), []byte("s"), 0o600)
	os.WriteFile(filepath.Join(up, "bak", "plain.gz"), []byte("p"), 0o644)
	before := len(srv.Commands())
	code, stdout, stderr = runGftp(t, login(srv)+"lcd "+up+"\nmirror -R bak backups\n", "-in")
	if code != 0 {
		t.Fatalf("mirror -R: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	cmds := srv.Commands()[before:]
	if n := count(cmds, "SITE CHMOD .*"); n != 1 || count(cmds, "SITE CHMOD 600 backups/secret.gz") != 1 {
		t.Errorf("SITE CHMOD sent %d times, want once, for secret.gz:\n%s", n, strings.Join(cmds, "\n"))
	}
	if got := perm(filepath.Join(srv.Root(), "backups", "secret.gz")); got != 0o600 {
		t.Errorf("uploaded secret.gz: %o on the server, want 600", got)
	}
	before = len(srv.Commands())
	runGftp(t, login(srv)+"lcd "+up+"\nmirror -R bak backups\n", "-in")
	if n := count(srv.Commands()[before:], "SITE CHMOD .*"); n != 0 {
		t.Errorf("an unchanged rerun sent %d SITE CHMOD", n)
	}
	os.WriteFile(filepath.Join(up, "bak", "new.gz"), []byte("n"), 0o640)
	before = len(srv.Commands())
	runGftp(t, login(srv)+"lcd "+up+"\nmirror -R --no-perms bak backups\n", "-in")
	if n := count(srv.Commands()[before:], "SITE CHMOD .*"); n != 0 {
		t.Errorf("--no-perms sent %d SITE CHMOD", n)
	}
}

// An interrupted mirror continues: a partial download an earlier run
// left (".NAME.gftp-part", written after the remote file last changed) is
// resumed with REST; one older than the remote file starts over.
func TestMirrorResumesDownload(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	body := bytes.Repeat([]byte("0123456789"), 10000)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.MkdirAll(filepath.Join(srv.Root(), "site"), 0o755)
	for _, name := range []string{"a.bin", "b.bin"} {
		p := filepath.Join(srv.Root(), "site", name)
		os.WriteFile(p, body, 0o644)
		os.Chtimes(p, old, old)
	}
	down := t.TempDir()
	os.MkdirAll(filepath.Join(down, "site"), 0o755)
	// a: the first 40000 bytes, written after the remote file (resumed);
	// b: garbage written before it changed (started over).
	partA := filepath.Join(down, "site", ".a.bin.gftp-part")
	os.WriteFile(partA, body[:40000], 0o600)
	partB := filepath.Join(down, "site", ".b.bin.gftp-part")
	os.WriteFile(partB, bytes.Repeat([]byte("x"), 30000), 0o600)
	os.Chtimes(partB, old.Add(-time.Hour), old.Add(-time.Hour))
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror site\n", "-in")
	if code != 0 || !strings.Contains(stdout, "2 new") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := count(srv.Commands(), "REST 40000"); n != 1 || count(srv.Commands(), "REST .*") != 1 {
		t.Errorf("REST: %v, want one REST 40000", srv.Commands())
	}
	for _, name := range []string{"a.bin", "b.bin"} {
		if b, err := os.ReadFile(filepath.Join(down, "site", name)); err != nil || !bytes.Equal(b, body) {
			t.Errorf("%s: %d bytes, %v; want the remote file", name, len(b), err)
		}
	}
	for _, p := range []string{partA, partB} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", p, err)
		}
	}
}

// A lost connection in mid-download leaves the partial file, and the next
// run continues it.
func TestMirrorDownloadLeavesPartial(t *testing.T) {
	srv := startServer(t, testserver.Options{Answer: map[string]string{"RETR": "451 Local error in processing."}})
	os.MkdirAll(filepath.Join(srv.Root(), "site"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "site", "a.bin"), []byte("abc"), 0o644)
	down := t.TempDir()
	code, _, _ := runGftp(t, login(srv)+"lcd "+down+"\nmirror site\n", "-in", "--retries", "0")
	if code == 0 {
		t.Fatal("a failed RETR gave exit 0")
	}
	if _, err := os.Stat(filepath.Join(down, "site", ".a.bin.gftp-part")); err != nil {
		t.Errorf("no partial file left for the next run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(down, "site", "a.bin")); !os.IsNotExist(err) {
		t.Errorf("a.bin exists after a failed download: %v", err)
	}
}

// mirror -R --temp-upload continues an upload an earlier run left under
// the temporary name (REST, then STOR to it, then the rename), and lands
// every file atomically.
func TestMirrorResumesUpload(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	body := bytes.Repeat([]byte("abcdefghij"), 10000)
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "bak"), 0o755)
	local := filepath.Join(up, "bak", "db.gz")
	os.WriteFile(local, body, 0o644)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	os.Chtimes(local, old, old)
	os.MkdirAll(filepath.Join(srv.Root(), "backups"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "backups", ".db.gz.gftp-part"), body[:25000], 0o644)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+up+"\nmirror -R --temp-upload bak backups\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	cmds := srv.Commands()
	for _, want := range []string{"REST 25000", `STOR backups/\.db\.gz\.gftp-part`, `RNTO backups/db\.gz`} {
		if count(cmds, want) != 1 {
			t.Errorf("no %s in %v", want, cmds)
		}
	}
	if b, err := os.ReadFile(filepath.Join(srv.Root(), "backups", "db.gz")); err != nil || !bytes.Equal(b, body) {
		t.Errorf("on the server: %d bytes, %v", len(b), err)
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "backups", ".db.gz.gftp-part")); !os.IsNotExist(err) {
		t.Errorf("the temporary file is still there: %v", err)
	}
}

// --max-errors N starts no more transfers after N failed; the summary
// counts what was not tried, and the exit status says it failed.
func TestMirrorMaxErrors(t *testing.T) {
	srv := startServer(t, testserver.Options{Answer: map[string]string{"RETR": "550 Permission denied."}})
	os.MkdirAll(filepath.Join(srv.Root(), "site"), 0o755)
	for _, name := range []string{"a", "b", "c", "d"} {
		os.WriteFile(filepath.Join(srv.Root(), "site", name), []byte(name), 0o644)
	}
	down := t.TempDir()
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror --max-errors 2 site\n", "-in")
	if code != exitRefused || !strings.Contains(stdout, "2 failed, 2 not tried (--max-errors)") ||
		!strings.Contains(stderr, "stopped after 2 failures (--max-errors), 2 of 4 files not tried") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := count(srv.Commands(), "RETR .*"); n != 2 {
		t.Errorf("%d RETR, want 2", n)
	}
	code, _, stderr = runGftp(t, login(srv)+"mirror --max-errors=none site\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "--max-errors none: not a number") {
		t.Errorf("a bad --max-errors: exit %d; stderr:\n%s", code, stderr)
	}
	// A switch takes no value: --dry-run=false is a mistake, not a run.
	code, _, stderr = runGftp(t, login(srv)+"mirror --dry-run=false site\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "--dry-run takes no value") {
		t.Errorf("--dry-run=false: exit %d; stderr:\n%s", code, stderr)
	}
}

// mirror -R gives uploaded files the local time where the server has
// MFMT, so the next run compares like with like.
func TestMirrorUpKeepsTimes(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "bak"), 0o755)
	local := filepath.Join(up, "bak", "a.gz")
	os.WriteFile(local, []byte("a"), 0o644)
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	os.Chtimes(local, when, when)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+up+"\nmirror -R bak backups\n", "-in")
	if code != 0 || count(srv.Commands(), "MFMT 20240506070809 backups/a.gz") != 1 {
		t.Fatalf("exit %d, commands %v\nstdout:\n%s\nstderr:\n%s", code, srv.Commands(), stdout, stderr)
	}
	if fi, err := os.Stat(filepath.Join(srv.Root(), "backups", "a.gz")); err != nil || !fi.ModTime().Equal(when) {
		t.Errorf("the server's file: %v, %v; want the local time %v", fi.ModTime(), err, when)
	}
	before := len(srv.Commands())
	code, stdout, _ = runGftp(t, login(srv)+"lcd "+up+"\nmirror -R bak backups\n", "-in")
	if code != 0 || count(srv.Commands()[before:], "STOR .*") != 0 || !strings.Contains(stdout, "1 skipped") {
		t.Errorf("rerun: exit %d\n%s", code, stdout)
	}

	// A server that refuses it: the upload stands, nothing is said.
	refusing := startServer(t, testserver.Options{Refuse: []string{"MFMT"}})
	code, _, stderr = runGftp(t, login(refusing)+"lcd "+up+"\nput -r bak\n", "-in")
	if code != 0 || count(refusing.Commands(), "MFMT .*") != 1 || stderr != "" {
		t.Errorf("put -r, MFMT refused: exit %d, %v; stderr:\n%s", code, refusing.Commands(), stderr)
	}
}

// A server without MFMT gets SITE UTIME, in the form it takes: the time
// first, else the path first with three times and UTC (found with the
// first file, kept for the rest). One that takes neither is asked once
// per connection; the uploads stand and nothing is said.
func TestUploadSiteUtime(t *testing.T) {
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "bak"), 0o755)
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, name := range []string{"a", "b", "c"} {
		p := filepath.Join(up, "bak", name)
		os.WriteFile(p, []byte(name), 0o644)
		os.Chtimes(p, when, when)
	}
	noMFMT := map[string]string{"FEAT": "211 No features"}
	long := func(name string) string {
		return "SITE UTIME bak/" + name + " 20240506070809 20240506070809 20240506070809 UTC"
	}
	cases := []struct {
		name        string
		answer      map[string]string // AnswerLine
		short, long int               // each form's count over the three files
	}{
		{"time first", map[string]string{"SITE UTIME 20240506070809 bak/a": "200 ok", "SITE UTIME 20240506070809 bak/b": "200 ok", "SITE UTIME 20240506070809 bak/c": "200 ok"}, 3, 0},
		{"path first", map[string]string{long("a"): "213 UTIME OK", long("b"): "213 UTIME OK", long("c"): "213 UTIME OK"}, 1, 3},
		{"neither", nil, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, testserver.Options{Answer: noMFMT, AnswerLine: c.answer})
			code, _, stderr := runGftp(t, login(srv)+"lcd "+up+"\nput -r bak\n", "-in")
			cmds := srv.Commands()
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, commands %v; stderr:\n%s", code, cmds, stderr)
			}
			if n := count(cmds, "MFMT .*"); n != 0 {
				t.Errorf("%d MFMT to a server without it", n)
			}
			if s, l := count(cmds, "SITE UTIME 2024.*"), count(cmds, "SITE UTIME bak/.* UTC"); s != c.short || l != c.long {
				t.Errorf("SITE UTIME: %d of the short form, %d of the long, want %d and %d: %v", s, l, c.short, c.long, cmds)
			}
			for _, name := range []string{"a", "b", "c"} {
				if b, err := os.ReadFile(filepath.Join(srv.Root(), "bak", name)); err != nil || string(b) != name {
					t.Errorf("bak/%s: %q, %v", name, b, err)
				}
			}
		})
	}
}

// mirror -P 4 moves the files over four logged-in connections, both ways;
// over an unchanged tree it logs in once and moves nothing.
func TestMirrorParallel(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	want := map[string]string{}
	for d := range 3 {
		for f := range 4 {
			rel := filepath.Join(fmt.Sprintf("d%d", d), fmt.Sprintf("f%d", f))
			want[rel] = strings.Repeat(rel, 100)
			p := filepath.Join(srv.Root(), "site", rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(want[rel]), 0o644)
		}
	}
	logins := func(from int) int { return count(srv.Commands()[from:], "USER .*") }
	down := t.TempDir()
	before := len(srv.Commands())
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror -P 4 site\n", "-in")
	if code != 0 || !strings.Contains(stdout, "12 new") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := logins(before); n != 4 {
		t.Errorf("mirror -P 4: %d logins, want 4", n)
	}
	for rel, body := range want {
		if b, err := os.ReadFile(filepath.Join(down, "site", rel)); err != nil || string(b) != body {
			t.Errorf("%s: %q, %v", rel, b, err)
		}
	}
	before = len(srv.Commands())
	code, stdout, _ = runGftp(t, login(srv)+"lcd "+down+"\nmirror -P 4 site\n", "-in")
	if code != 0 || !strings.Contains(stdout, "0 new, 0 updated, 12 skipped") || logins(before) != 1 {
		t.Errorf("unchanged: exit %d, %d logins\n%s", code, logins(before), stdout)
	}
	before = len(srv.Commands())
	code, stdout, stderr = runGftp(t, login(srv)+"lcd "+down+"\nmirror -R -P 4 site copy\n", "-in")
	if code != 0 || !strings.Contains(stdout, "12 new") || logins(before) != 4 {
		t.Fatalf("mirror -R -P 4: exit %d, %d logins\nstdout:\n%s\nstderr:\n%s", code, logins(before), stdout, stderr)
	}
	for rel, body := range want {
		if b, err := os.ReadFile(filepath.Join(srv.Root(), "copy", rel)); err != nil || string(b) != body {
			t.Errorf("on the server, %s: %q, %v", rel, b, err)
		}
	}
}

// A LIST date without a time (ls shows older files' year) cannot tell a
// same-size change made on the same day: mirror asks MDTM for just those
// files (pipelined), both ways, and finds it; an unchanged tree still
// moves nothing.
func TestMirrorDayPrecision(t *testing.T) {
	srv := startServer(t, testserver.Options{Refuse: []string{"MLSD", "MLST"}})
	morning := time.Date(2021, 3, 4, 8, 0, 0, 0, time.UTC)
	for _, name := range []string{"a.txt", "b.txt"} {
		p := filepath.Join(srv.Root(), "site", name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("same size"), 0o644)
		os.Chtimes(p, morning, morning)
	}
	down := t.TempDir()
	run := func(args string) string {
		t.Helper()
		code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror "+args+"\n", "-in")
		if code != 0 {
			t.Fatalf("mirror %s: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
		return stdout
	}
	run("site")
	before := len(srv.Commands())
	if out := run("site"); !strings.Contains(out, "0 new, 0 updated, 2 skipped") || count(srv.Commands()[before:], "MDTM .*") != 2 {
		t.Errorf("unchanged: %d MDTM\n%s", count(srv.Commands()[before:], "MDTM .*"), out)
	}
	// Changed in the evening, same size, same day.
	evening := morning.Add(10 * time.Hour)
	os.WriteFile(filepath.Join(srv.Root(), "site", "a.txt"), []byte("SAME SIZE"), 0o644)
	os.Chtimes(filepath.Join(srv.Root(), "site", "a.txt"), evening, evening)
	if out := run("site"); !strings.Contains(out, "0 new, 1 updated, 1 skipped") {
		t.Errorf("a same-day change:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(down, "site", "a.txt")); string(b) != "SAME SIZE" {
		t.Errorf("a.txt: %q", b)
	}

	// Upload: the server's copy is from the morning, the local file
	// changed in the evening of that day.
	os.MkdirAll(filepath.Join(srv.Root(), "up"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "up", "b.txt"), []byte("same size"), 0o644)
	os.Chtimes(filepath.Join(srv.Root(), "up", "b.txt"), morning, morning)
	local := filepath.Join(down, "site", "b.txt")
	os.WriteFile(local, []byte("SAME size"), 0o644)
	os.Chtimes(local, evening, evening)
	os.Remove(filepath.Join(down, "site", "a.txt"))
	if out := run("-R --no-perms site up"); !strings.Contains(out, "0 new, 1 updated, 0 skipped") {
		t.Errorf("mirror -R, a same-day change:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(srv.Root(), "up", "b.txt")); string(b) != "SAME size" {
		t.Errorf("b.txt on the server: %q", b)
	}
}

// A local directory of the tree that is a symbolic link (made by an
// earlier run from a chain of links, or by the user) is never written
// through: what the server has below that name is skipped, with a
// warning, and nothing lands where the link points.
func TestMirrorNeverWritesThroughLinks(t *testing.T) {
	listings := 0
	h := startHostile(t, testserver.HostileOptions{
		Files: map[string][]byte{"site/t/pwned.txt": []byte("x"), "site/ok.txt": []byte("fine")},
		Listing: func(w io.Writer) error {
			listings++
			if listings == 1 {
				fmt.Fprintf(w, "drwxrwxrwx   2 ftp ftp  4096 Jan 01 12:00 t\r\n")
				return unixListing("ok.txt")(w)
			}
			return unixListing("pwned.txt")(w)
		}})
	down := t.TempDir()
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(down, "site"), 0o755)
	if err := os.Symlink(outside, filepath.Join(down, "site", "t")); err != nil {
		t.Fatal(err)
	}
	_, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmirror --no-perms site\nget -r site got\n", hostileArgs(h, "-in")...)
	if !strings.Contains(stderr, "skipping "+filepath.Join("site", "t")+": it is a symbolic link here") {
		t.Errorf("no warning about the link; stderr:\n%s", stderr)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("mirror wrote through the link: %v", ents)
	}
	if b, _ := os.ReadFile(filepath.Join(down, "site", "ok.txt")); string(b) != "fine" {
		t.Errorf("ok.txt: %q", b)
	}
}

// mirror -R into a directory the server will not list (a drop box that
// takes uploads and shows nothing) uploads everything, says so, and
// deletes nothing even with --delete.
func TestMirrorUpUnlistable(t *testing.T) {
	srv := startServer(t, testserver.Options{AnswerOnce: map[string]string{"MLSD": "550 Permission denied."}})
	os.MkdirAll(filepath.Join(srv.Root(), "incoming"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "incoming", "theirs.txt"), []byte("keep"), 0o644)
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "bak"), 0o755)
	os.WriteFile(filepath.Join(up, "bak", "mine.txt"), []byte("mine"), 0o644)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+up+"\nmirror -R --delete bak incoming\n", "-in")
	if code != 0 || !strings.Contains(stderr, "incoming cannot be listed") || !strings.Contains(stderr, "nothing deleted") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(srv.Root(), "incoming", "mine.txt")); string(b) != "mine" {
		t.Errorf("mine.txt on the server: %q", b)
	}
	if count(srv.Commands(), "DELE .*") != 0 {
		t.Errorf("a DELE into a directory it could not list: %v", srv.Commands())
	}
}

// mirror -R into an existing, empty directory sends no MKD for it: the
// walk found it there.
func TestMirrorUpExistingEmptyDir(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	os.MkdirAll(filepath.Join(srv.Root(), "backups"), 0o755)
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "bak"), 0o755)
	os.WriteFile(filepath.Join(up, "bak", "a.gz"), []byte("a"), 0o644)
	code, _, stderr := runGftp(t, login(srv)+"lcd "+up+"\nmirror -R bak backups\n", "-in")
	if code != 0 || count(srv.Commands(), "MKD .*") != 0 {
		t.Errorf("exit %d, commands %v; stderr:\n%s", code, srv.Commands(), stderr)
	}
}

// mirror -P 4 and get -r -P 4 list the tree's directories ahead on their
// extra links once they are open: over a slow link (here, a server that
// takes 40 ms to start each listing) siblings are listed at once, not one
// after the other. The walk, and what it brings, stay the same.
func TestListsAhead(t *testing.T) {
	const dirs = 8
	srv := startServer(t, testserver.Options{Delay: map[string]time.Duration{"MLSD": 40 * time.Millisecond, "LIST": 40 * time.Millisecond}})
	want := map[string]string{"top": "at the top"}
	for d := range dirs {
		rel := filepath.Join(fmt.Sprintf("d%d", d), "f")
		want[rel] = strings.Repeat(rel, 50)
	}
	for rel, body := range want {
		p := filepath.Join(srv.Root(), "site", rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	for _, cmd := range []string{"mirror -P 4 site", "get -r -P 4 site"} {
		t.Run(cmd, func(t *testing.T) {
			down := t.TempDir()
			conns := len(srv.ConnCommands())
			code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\n"+cmd+"\n", "-in")
			if code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			for rel, body := range want {
				if b, err := os.ReadFile(filepath.Join(down, "site", rel)); err != nil || string(b) != body {
					t.Errorf("%s: %q, %v", rel, b, err)
				}
			}
			// Which connection listed each subdirectory, and each one once.
			listedOn := map[string]int{}
			for i, cmds := range srv.ConnCommands()[conns:] {
				for _, c := range cmds {
					verb, arg, _ := strings.Cut(c, " ")
					if (verb == "MLSD" || verb == "LIST") && strings.HasPrefix(arg, "site/d") {
						if _, twice := listedOn[arg]; twice {
							t.Errorf("%s listed twice", arg)
						}
						listedOn[arg] = i
					}
				}
			}
			used := map[int]bool{}
			for _, i := range listedOn {
				used[i] = true
			}
			if len(listedOn) != dirs || len(used) < 2 {
				t.Errorf("the %d subdirectories were listed %d times, on %d connections (want all, on several): %v", dirs, len(listedOn), len(used), listedOn)
			}
		})
	}
}

// Over a long way to the server (FEAT, its round trip, takes 20 ms here)
// mirror -P 4 opens its extra links to list an unchanged tree too; over
// a short one it does not (TestMirrorParallel: one login).
func TestListAheadUnchangedSlow(t *testing.T) {
	const dirs = 6
	srv := startServer(t, testserver.Options{Delay: map[string]time.Duration{"FEAT": 20 * time.Millisecond, "MLSD": 20 * time.Millisecond}})
	for d := range dirs {
		p := filepath.Join(srv.Root(), "site", fmt.Sprintf("d%d", d), "f")
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("f"), 0o644)
	}
	down := t.TempDir()
	if code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror site\n", "-in"); code != 0 {
		t.Fatalf("first copy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	conns := len(srv.ConnCommands())
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror -P 4 site\n", "-in")
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("0 new, 0 updated, %d skipped", dirs)) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	listed, on := 0, map[int]bool{}
	for i, cmds := range srv.ConnCommands()[conns:] {
		if n := count(cmds, "MLSD site/d.*"); n > 0 {
			listed += n
			on[i] = true
		}
		if count(cmds, "RETR .*") > 0 {
			t.Errorf("connection %d downloaded from an unchanged tree: %v", i, cmds)
		}
	}
	if listed != dirs || len(on) < 2 {
		t.Errorf("%d listings of the %d subdirectories, on %d connections; want each once, on several", listed, dirs, len(on))
	}

	// mirror -R the same way, of the local copy onto the server's, which
	// is up to date; then with one file changed, which goes up over the
	// links the walk used.
	for _, changed := range []bool{false, true} {
		if changed {
			os.WriteFile(filepath.Join(down, "site", "d3", "f"), []byte("changed"), 0o644)
		}
		conns = len(srv.ConnCommands())
		code, stdout, stderr = runGftp(t, login(srv)+"lcd "+down+"\nmirror -R -P 4 site site\n", "-in")
		if code != 0 {
			t.Fatalf("mirror -R (changed %v): exit %d\nstdout:\n%s\nstderr:\n%s", changed, code, stdout, stderr)
		}
		listed, on = 0, map[int]bool{}
		stors := 0
		for i, cmds := range srv.ConnCommands()[conns:] {
			if n := count(cmds, "MLSD site/d.*"); n > 0 {
				listed += n
				on[i] = true
			}
			stors += count(cmds, "STOR .*")
		}
		if want := map[bool]int{false: 0, true: 1}[changed]; stors != want || len(on) < 2 {
			t.Errorf("mirror -R (changed %v): %d STOR (want %d), listings on %d connections (want several)\n%s", changed, stors, want, len(on), stdout)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(srv.Root(), "site", "d3", "f")); string(b) != "changed" {
		t.Errorf("the changed file on the server: %q", b)
	}
}

// A subdirectory whose listing the server refuses, listed ahead on an
// extra link, is what it is on the main link: a warning and a failure,
// the rest of the tree mirrored, nothing deleted.
func TestListAheadRefused(t *testing.T) {
	const dirs = 6
	srv := startServer(t, testserver.Options{
		Delay:      map[string]time.Duration{"MLSD": 50 * time.Millisecond},
		AnswerLine: map[string]string{"MLSD site/d4": "550 Permission denied."},
	})
	for _, rel := range []string{"top", "d0/f", "d1/f", "d2/f", "d3/f", "d4/f", "d5/f"} {
		p := filepath.Join(srv.Root(), "site", rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(rel), 0o644)
	}
	down := t.TempDir()
	keep := filepath.Join(down, "site", "d4", "kept")
	os.MkdirAll(filepath.Dir(keep), 0o755)
	os.WriteFile(keep, []byte("mine"), 0o644)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror --delete -P 4 site\n", "-in")
	if code == 0 || !strings.Contains(stderr, "cannot list site/d4") {
		t.Errorf("exit %d, want a failure naming site/d4\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for d := range dirs {
		if d == 4 {
			continue
		}
		rel := fmt.Sprintf("d%d/f", d)
		if b, err := os.ReadFile(filepath.Join(down, "site", rel)); err != nil || string(b) != rel {
			t.Errorf("%s: %q, %v", rel, b, err)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file below the unlisted directory was deleted: %v", err)
	}
	// The refusal came to an extra link (the walk's own link lists the
	// first subdirectory, the extra ones those after it).
	if on := srv.ConnCommands(); count(on[0], "MLSD site/d4") != 0 {
		t.Errorf("site/d4 was listed on the main link, not ahead: %v", on)
	}
}
