package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// mirror makes a local copy of a remote tree: the first run moves every
// file; a second over an unchanged tree moves none (no RETR) and costs a
// listing per directory; a changed file alone moves; --dry-run changes
// nothing; --delete removes what the remote no longer has, and only after
// a run without failures.
func TestMirror(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	write := func(rel, body string, when time.Time) {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, when, when)
	}
	old := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	write("site/a.txt", "a", old)
	write("site/sub dir/b.txt", "bb", old)
	write("site/sub dir/deep/ü.txt", "ccc", old)
	os.MkdirAll(filepath.Join(srv.Root(), "site", "empty"), 0o755)
	down := t.TempDir()
	run := func(args string) (int, string, string) {
		t.Helper()
		return runGftp(t, login(srv)+"lcd "+down+"\nmirror "+args+"\n", "-in")
	}
	retrs := func() int { return count(srv.Commands(), "RETR .*") }

	code, stdout, stderr := run("site")
	if code != 0 || !strings.Contains(stdout, "mirror site: 3 new, 0 updated, 0 skipped (up to date), 0 deleted, 0 failed") {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for rel, body := range map[string]string{"a.txt": "a", "sub dir/b.txt": "bb", "sub dir/deep/ü.txt": "ccc"} {
		if b, err := os.ReadFile(filepath.Join(down, "site", filepath.FromSlash(rel))); err != nil || string(b) != body {
			t.Errorf("%s: %q, %v", rel, b, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(down, "site", "empty")); err != nil || !fi.IsDir() {
		t.Errorf("the empty directory: %v", err)
	}

	before, listsBefore := retrs(), count(srv.Commands(), "(MLSD|LIST).*")
	code, stdout, _ = run("site")
	if code != 0 || retrs() != before || !strings.Contains(stdout, "0 new, 0 updated, 3 skipped") {
		t.Errorf("second run: exit %d, %d RETR\n%s", code, retrs()-before, stdout)
	}
	if n := count(srv.Commands(), "(MLSD|LIST).*") - listsBefore; n != 4 {
		t.Errorf("second run: %d listings, want 4 (one per directory)", n)
	}
	if n := count(srv.Commands(), "MDTM .*"); n != 0 {
		t.Errorf("%d MDTM: MLSD's times are enough", n)
	}

	write("site/sub dir/b.txt", "changed", old.Add(time.Hour))
	os.WriteFile(filepath.Join(down, "site", "extra.txt"), []byte("local only"), 0o644)
	os.MkdirAll(filepath.Join(down, "site", "gone dir", "x"), 0o755)
	before = retrs()
	code, stdout, _ = run("--dry-run --delete site")
	if code != 0 || retrs() != before || !strings.Contains(stdout, "get site/sub dir/b.txt (size differs)") ||
		!strings.Contains(stdout, "delete "+filepath.Join(down, "site", "extra.txt")) || !strings.Contains(stdout, "nothing changed (--dry-run)") {
		t.Errorf("dry run: exit %d, %d RETR\n%s", code, retrs()-before, stdout)
	}
	if _, err := os.Stat(filepath.Join(down, "site", "extra.txt")); err != nil {
		t.Errorf("--dry-run deleted: %v", err)
	}

	code, stdout, _ = run("--delete site")
	if code != 0 || retrs() != before+1 || !strings.Contains(stdout, "0 new, 1 updated, 2 skipped (up to date), 2 deleted, 0 failed") {
		t.Errorf("--delete run: exit %d, %d RETR\n%s", code, retrs()-before, stdout)
	}
	if b, _ := os.ReadFile(filepath.Join(down, "site", "sub dir", "b.txt")); string(b) != "changed" {
		t.Errorf("b.txt: %q", b)
	}
	for _, gone := range []string{"extra.txt", "gone dir"} {
		if _, err := os.Stat(filepath.Join(down, "site", gone)); !os.IsNotExist(err) {
			t.Errorf("%s survived --delete: %v", gone, err)
		}
	}
}

// --delete after a failed transfer deletes nothing, and the run fails.
func TestMirrorDeleteAfterFailure(t *testing.T) {
	srv := startServer(t, testserver.Options{Answer: map[string]string{"RETR": "550 Permission denied."}})
	os.MkdirAll(filepath.Join(srv.Root(), "site"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "site", "a.txt"), []byte("a"), 0o644)
	down := t.TempDir()
	os.MkdirAll(filepath.Join(down, "site"), 0o755)
	os.WriteFile(filepath.Join(down, "site", "keep.txt"), []byte("must stay"), 0o644)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror --delete site\n", "-in")
	if code != exitRefused || !strings.Contains(stderr, "so nothing was deleted") || !strings.Contains(stdout, "1 failed") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(down, "site", "keep.txt")); err != nil {
		t.Errorf("deleted after a failure: %v", err)
	}
}

// mirror -R, the backup direction: the first run uploads everything (the
// remote directory made), a second uploads nothing, a changed file alone
// goes, and --delete removes on the server what the local tree no longer
// has, after the uploads succeeded.
func TestMirrorUp(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	up := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(up, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bak/2026-11-24.tgz", "full")
	write("bak/db/2026-11-24.sql.gz", "dump")
	os.MkdirAll(filepath.Join(up, "bak", "empty"), 0o755)
	run := func(args string) (int, string, string) {
		t.Helper()
		return runGftp(t, login(srv)+"lcd "+up+"\nmirror -R "+args+"\n", "-in")
	}
	stors := func() int { return count(srv.Commands(), "STOR .*") }

	code, stdout, stderr := run("bak backups")
	if code != 0 || !strings.Contains(stdout, "mirror -R bak: 2 new, 0 updated, 0 skipped (up to date), 0 deleted, 0 failed") {
		t.Fatalf("first run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for rel, body := range map[string]string{"2026-11-24.tgz": "full", "db/2026-11-24.sql.gz": "dump"} {
		if b, err := os.ReadFile(filepath.Join(srv.Root(), "backups", filepath.FromSlash(rel))); err != nil || string(b) != body {
			t.Errorf("%s on the server: %q, %v", rel, b, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(srv.Root(), "backups", "empty")); err != nil || !fi.IsDir() {
		t.Errorf("the empty directory: %v", err)
	}

	before := stors()
	code, stdout, _ = run("bak backups")
	if code != 0 || stors() != before || !strings.Contains(stdout, "0 new, 0 updated, 2 skipped") {
		t.Errorf("second run: exit %d, %d STOR\n%s", code, stors()-before, stdout)
	}

	write("bak/2026-11-24.tgz", "full, and more")
	os.Remove(filepath.Join(up, "bak", "db", "2026-11-24.sql.gz"))
	code, stdout, _ = run("--dry-run --delete bak backups")
	if code != 0 || stors() != before || !strings.Contains(stdout, "put "+filepath.Join("bak", "2026-11-24.tgz")+" (size differs)") ||
		!strings.Contains(stdout, "delete backups/db/2026-11-24.sql.gz") {
		t.Errorf("dry run: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = run("--delete bak backups")
	if code != 0 || stors() != before+1 || !strings.Contains(stdout, "0 new, 1 updated, 0 skipped (up to date), 1 deleted, 0 failed") {
		t.Errorf("--delete run: exit %d, %d STOR\n%s", code, stors()-before, stdout)
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "backups", "db", "2026-11-24.sql.gz")); !os.IsNotExist(err) {
		t.Errorf("the deleted dump is still on the server: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(srv.Root(), "backups", "2026-11-24.tgz")); string(b) != "full, and more" {
		t.Errorf("the changed file: %q", b)
	}
}

// mirror -R --delete after a failed upload deletes nothing on the server.
func TestMirrorUpDeleteAfterFailure(t *testing.T) {
	srv := startServer(t, testserver.Options{Answer: map[string]string{"STOR": "553 Could not create file."}})
	os.MkdirAll(filepath.Join(srv.Root(), "backups"), 0o755)
	os.WriteFile(filepath.Join(srv.Root(), "backups", "last-week.tgz"), []byte("keep me"), 0o644)
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "bak"), 0o755)
	os.WriteFile(filepath.Join(up, "bak", "today.tgz"), []byte("new"), 0o644)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+up+"\nmirror -R --delete bak backups\n", "-in")
	if code != exitRefused || !strings.Contains(stderr, "so nothing was deleted") || !strings.Contains(stdout, "1 failed") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := count(srv.Commands(), "DELE .*"); n != 0 {
		t.Errorf("%d DELE after a failed upload", n)
	}
}

// --exclude leaves a file or a whole directory out, --include takes only
// matching files, and what is left out is never deleted; --only-newer
// keeps a local file that is newer although its size differs.
func TestMirrorFilters(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	old := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	for rel, body := range map[string]string{
		"site/a.txt": "a", "site/b.log": "b", "site/logs/x.txt": "x", "site/sub/c.txt": "c",
	} {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
		os.Chtimes(p, old, old)
	}
	down := t.TempDir()
	os.MkdirAll(filepath.Join(down, "site", "logs"), 0o755)
	os.WriteFile(filepath.Join(down, "site", "logs", "mine.txt"), []byte("local, excluded"), 0o644)
	os.WriteFile(filepath.Join(down, "site", "keep.log"), []byte("local, not included"), 0o644)
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmirror --delete --exclude logs --include *.txt site\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for rel, want := range map[string]bool{"a.txt": true, "sub/c.txt": true, "b.log": false, "logs/x.txt": false} {
		_, err := os.Stat(filepath.Join(down, "site", filepath.FromSlash(rel)))
		if (err == nil) != want {
			t.Errorf("%s: there %v, want %v", rel, err == nil, want)
		}
	}
	for _, kept := range []string{"logs/mine.txt", "keep.log"} {
		if _, err := os.Stat(filepath.Join(down, "site", filepath.FromSlash(kept))); err != nil {
			t.Errorf("--delete removed %s, which was left out: %v", kept, err)
		}
	}

	// A local a.txt, newer and of another size, stays with --only-newer.
	os.WriteFile(filepath.Join(down, "site", "a.txt"), []byte("newer here"), 0o644)
	runGftp(t, login(srv)+"lcd "+down+"\nmirror --only-newer site\n", "-in")
	if b, _ := os.ReadFile(filepath.Join(down, "site", "a.txt")); string(b) != "newer here" {
		t.Errorf("--only-newer replaced a newer local file: %q", b)
	}
	code, _, stderr = runGftp(t, login(srv)+"mirror --exclude\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "--exclude wants a pattern") {
		t.Errorf("--exclude without a pattern: exit %d; stderr:\n%s", code, stderr)
	}
}

// A remote directory that is not there is an error, not an empty tree,
// even from a server that lists it as empty (vsftpd does): mirror
// --delete of a typo deletes nothing local.
func TestMirrorMissingRemoteDir(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{Replies: map[string]string{"CWD": "550 Failed to change directory."}})
	down := t.TempDir()
	os.MkdirAll(filepath.Join(down, "site"), 0o755)
	os.WriteFile(filepath.Join(down, "site", "precious.txt"), []byte("keep"), 0o644)
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nmirror --delete sitee site\n", hostileArgs(h, "-in")...)
	if code == 0 || !strings.Contains(stderr, "mirror: sitee: no such directory on the server") {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(down, "site", "precious.txt")); err != nil {
		t.Errorf("mirror of a missing directory deleted local files: %v", err)
	}
	code, _, stderr = runGftp(t, "user u p\nlcd "+down+"\nget -r nothere\n", hostileArgs(h, "-in")...)
	if code == 0 || !strings.Contains(stderr, "no such directory on the server") {
		t.Errorf("get -r of a missing directory: exit %d; stderr:\n%s", code, stderr)
	}
}

// A tree walk's listings send the next transfer's EPSV ahead of their
// 226, as the files of a multi-file command do: mirror of a tree of four
// directories, one listing after another, each with its EPSV before the
// 226 but the last (a round trip a directory over a slow link).
func TestWalkListsAhead(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	for _, d := range []string{"t", "t/a", "t/a/b", "t/c"} {
		if err := os.MkdirAll(filepath.Join(srv.Root(), filepath.FromSlash(d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+t.TempDir()+"\nmirror t\n", "-in", "-v", "-d", "-p")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	listings := count(srv.Commands(), "(MLSD|LIST).*")
	ahead := len(regexp.MustCompile(`(?m)^---> EPSV\n226[ -]`).FindAllString(stdout, -1))
	if listings != 4 || ahead < listings-1 {
		t.Errorf("%d listings, %d with the next EPSV sent ahead; want 4 and at least 3\n%s", listings, ahead, stdout)
	}
	if n := count(srv.Commands(), "EPSV"); n > listings+1 {
		t.Errorf("%d EPSV for %d listings: the ones sent ahead were not used", n, listings)
	}
}
