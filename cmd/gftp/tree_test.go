package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// get -r downloads a tree: subdirectories, names with spaces and
// non-ASCII, an empty directory; every file whole and with the server's
// time; serially and over three links.
func TestGetTree(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	when := time.Date(2022, 2, 3, 4, 5, 6, 0, time.UTC)
	files := map[string]string{
		"tree/a.txt":                 "a",
		"tree/sub dir/b.txt":         "bb",
		"tree/sub dir/deep/c.txt":    "ccc",
		"tree/résumé 日本.txt":         "dddd",
		"tree/sub dir/deep/-dash.gz": "eeeee",
	}
	for rel, body := range files {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, when, when)
	}
	os.MkdirAll(filepath.Join(srv.Root(), "tree", "empty"), 0o755)

	for _, args := range []string{"-r tree", "-r -P 3 tree copy"} {
		t.Run(args, func(t *testing.T) {
			down := t.TempDir()
			code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\nget "+args+"\n", "-in")
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d; stderr:\n%s", code, stderr)
			}
			top := "tree"
			if strings.HasSuffix(args, "copy") {
				top = "copy"
			}
			for rel, body := range files {
				p := filepath.Join(down, top, filepath.FromSlash(strings.TrimPrefix(rel, "tree/")))
				b, err := os.ReadFile(p)
				if err != nil || string(b) != body {
					t.Errorf("%s: %q, %v", rel, b, err)
					continue
				}
				if fi, _ := os.Stat(p); !fi.ModTime().UTC().Equal(when) {
					t.Errorf("%s: time %s, want %s", rel, fi.ModTime().UTC(), when)
				}
			}
			if fi, err := os.Stat(filepath.Join(down, top, "empty")); err != nil || !fi.IsDir() {
				t.Errorf("the empty directory: %v", err)
			}
		})
	}
	if n := count(srv.Commands(), "USER ftpuser"); n != 4 {
		t.Errorf("%d logins, want 4 (one, then one and two more for -P 3)", n)
	}
}

// A hostile listing cannot make get -r write outside the local root:
// ".", "..", "a/.." and "/" are skipped with a warning, symbolic links are
// not followed, and bad arguments are usage errors.
func TestGetTreeHostileNames(t *testing.T) {
	listing := func(w io.Writer) error {
		for _, l := range []string{
			"drwxr-xr-x   2 ftp ftp  0 Jan 01 12:00 ..",
			"drwxr-xr-x   2 ftp ftp  0 Jan 01 12:00 a/..",
			"-rw-r--r--   1 ftp ftp  5 Jan 01 12:00 ../evil",
			"lrwxrwxrwx   1 ftp ftp  4 Jan 01 12:00 etc -> /etc",
			"-rw-r--r--   1 ftp ftp  5 Jan 01 12:00 f",
		} {
			if _, err := w.Write([]byte(l + "\r\n")); err != nil {
				return err
			}
		}
		return nil
	}
	h := startHostile(t, testserver.HostileOptions{Files: map[string][]byte{"d/f": []byte("fffff")}, Listing: listing})
	base := t.TempDir()
	down := filepath.Join(base, "a", "b")
	os.MkdirAll(down, 0o755)
	code, _, stderr := runGftp(t, "user u p\nlcd "+down+"\nget -r d\n", hostileArgs(h, "-in")...)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(down, "d", "f")); err != nil || string(b) != "fffff" {
		t.Errorf("d/f: %q, %v", b, err)
	}
	for _, want := range []string{`skipping "a/.."`, `skipping "../evil"`, "skipping the symbolic link d/etc"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no %q in stderr:\n%s", want, stderr)
		}
	}
	filepath.Walk(base, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !strings.HasPrefix(p, down) && p != base && p != filepath.Join(base, "a") {
			t.Errorf("%s was created outside the local root", p)
		}
		return nil
	})
	code, _, stderr = runGftp(t, "user u p\nget -r\n", hostileArgs(h, "-in")...)
	if code != exitUsage || !strings.Contains(stderr, "wrong number of arguments (usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir])") {
		t.Errorf("get -r without a directory: exit %d; stderr:\n%s", code, stderr)
	}
}

// put -r uploads a tree: directories first (existing ones are fine, so a
// second run works), files as mput moves them, sizes checked with one
// listing per directory; a symbolic link is not followed.
func TestPutTree(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	up := t.TempDir()
	files := map[string]string{
		"tree/a.txt":              "a",
		"tree/sub dir/b.txt":      "bb",
		"tree/sub dir/deep/c.txt": "ccc",
		"tree/résumé 日本.txt":      "dddd",
	}
	for rel, body := range files {
		p := filepath.Join(up, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	os.MkdirAll(filepath.Join(up, "tree", "empty"), 0o755)
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("not to be sent"), 0o600)
	if err := os.Symlink(outside, filepath.Join(up, "tree", "link")); err != nil {
		t.Fatal(err)
	}

	for i, args := range []string{"-r tree", "-r tree", "-r -P 3 tree copy"} {
		code, _, stderr := runGftp(t, login(srv)+"lcd "+up+"\nput "+args+"\n", "-in")
		if code != 0 {
			t.Fatalf("put %s (run %d): exit %d; stderr:\n%s", args, i+1, code, stderr)
		}
		if !strings.Contains(stderr, "skipping the symbolic link tree/link: links are not followed") {
			t.Errorf("put %s: no warning about the link; stderr:\n%s", args, stderr)
		}
		top := "tree"
		if strings.HasSuffix(args, "copy") {
			top = "copy"
		}
		for rel, body := range files {
			p := filepath.Join(srv.Root(), top, filepath.FromSlash(strings.TrimPrefix(rel, "tree/")))
			if b, err := os.ReadFile(p); err != nil || string(b) != body {
				t.Errorf("put %s: %s on the server: %q, %v", args, rel, b, err)
			}
		}
		if fi, err := os.Stat(filepath.Join(srv.Root(), top, "empty")); err != nil || !fi.IsDir() {
			t.Errorf("put %s: the empty directory: %v", args, err)
		}
		if _, err := os.Lstat(filepath.Join(srv.Root(), top, "link")); !os.IsNotExist(err) {
			t.Errorf("put %s: the link was sent: %v", args, err)
		}
	}
	if n := count(srv.Commands(), "SIZE .*"); n != 0 {
		t.Errorf("%d SIZE: the sizes are checked with one listing per directory", n)
	}
}

// rm -r deletes a tree: files first, then directories deepest first; a
// sibling with a similar name stays; no delete is retried; a lone -r is a
// usage error.
func TestRmTree(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	for _, rel := range []string{"tree/a", "tree/sub/b", "tree/sub/deep/c", "treeX/keep"} {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	os.MkdirAll(filepath.Join(srv.Root(), "tree", "empty"), 0o755)
	code, _, stderr := runGftp(t, login(srv)+"rm -r tree\n", "-in")
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "tree")); !os.IsNotExist(err) {
		t.Errorf("tree is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(srv.Root(), "treeX", "keep")); err != nil {
		t.Errorf("the sibling was touched: %v", err)
	}
	if d, r := count(srv.Commands(), "DELE .*"), count(srv.Commands(), "RMD .*"); d != 3 || r != 4 {
		t.Errorf("%d DELE and %d RMD, want 3 and 4: %q", d, r, srv.Commands())
	}
	code, _, stderr = runGftp(t, login(srv)+"rm -r\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "wrong number of arguments") {
		t.Errorf("rm -r alone: exit %d; stderr:\n%s", code, stderr)
	}
	if n := count(srv.Commands(), "DELE -r"); n != 0 {
		t.Error("rm -r alone sent DELE -r")
	}
}

// put -r checks sizes in every directory it uploaded to: a server that
// kept fewer bytes of a file in a subdirectory fails the command, naming
// the file.
func TestPutTreeChecksSubdirectories(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{NoSize: true, Listing: unixListing("x")}) // lists x with 5 bytes
	up := t.TempDir()
	os.MkdirAll(filepath.Join(up, "tree", "sub"), 0o755)
	os.WriteFile(filepath.Join(up, "tree", "sub", "x"), []byte("seven b"), 0o644)
	code, _, stderr := runGftp(t, "user u p\nlcd "+up+"\nput -r tree\n", hostileArgs(h, "-in")...)
	if code == 0 || !strings.Contains(stderr, "the server has 5 bytes of tree/sub/x, 7 were sent") {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
}

// mget -r and mput -r take globs that match files and directories: the
// files move as with mget/mput, each directory with all below it.
func TestMgetMputRecursive(t *testing.T) {
	srv := startServer(t, testserver.Options{})
	for rel, body := range map[string]string{
		"logs/a.log": "a", "logs/2026/b.log": "bb", "logs-old/c.log": "ccc", "other/x": "x", "top.log": "t",
	} {
		p := filepath.Join(srv.Root(), filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	down := t.TempDir()
	code, stdout, stderr := runGftp(t, login(srv)+"lcd "+down+"\nmget -r -P 2 logs* top.log\n", "-in")
	if code != 0 {
		t.Fatalf("mget -r: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for rel, body := range map[string]string{"logs/a.log": "a", "logs/2026/b.log": "bb", "logs-old/c.log": "ccc", "top.log": "t"} {
		if b, err := os.ReadFile(filepath.Join(down, filepath.FromSlash(rel))); err != nil || string(b) != body {
			t.Errorf("mget -r: %s: %q, %v", rel, b, err)
		}
	}
	if _, err := os.Stat(filepath.Join(down, "other")); !os.IsNotExist(err) {
		t.Errorf("mget -r took a directory no pattern matched: %v", err)
	}
	// Without -r a directory is not taken.
	down2 := t.TempDir()
	runGftp(t, login(srv)+"lcd "+down2+"\nmget logs*\n", "-in")
	if _, err := os.Stat(filepath.Join(down2, "logs")); !os.IsNotExist(err) {
		t.Errorf("mget without -r made a directory: %v", err)
	}

	up := t.TempDir()
	for rel, body := range map[string]string{"bak/d1/f": "f", "bak/g": "g", "bak2/h": "h", "one.tgz": "1"} {
		p := filepath.Join(up, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	code, stdout, stderr = runGftp(t, login(srv)+"lcd "+up+"\nmkdir in\ncd in\nmput -r bak* one.tgz\n", "-in")
	if code != 0 {
		t.Fatalf("mput -r: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for rel, body := range map[string]string{"bak/d1/f": "f", "bak/g": "g", "bak2/h": "h", "one.tgz": "1"} {
		if b, err := os.ReadFile(filepath.Join(srv.Root(), "in", filepath.FromSlash(rel))); err != nil || string(b) != body {
			t.Errorf("mput -r: %s on the server: %q, %v", rel, b, err)
		}
	}
	code, _, stderr = runGftp(t, login(srv)+"mget -r\n", "-in")
	if code != exitUsage || !strings.Contains(stderr, "no files named") {
		t.Errorf("mget -r with no names: exit %d; stderr:\n%s", code, stderr)
	}
}

// A tree 1000 directories deep (the walk's limit) goes both ways, with
// get -r, mirror and mirror -R; one level more is refused, not walked.
func TestDeepTree(t *testing.T) {
	if testing.Short() {
		t.Skip("walks 1000 directories four times")
	}
	srv := startServer(t, testserver.Options{})
	const depth = 1000
	chain := strings.Repeat("d/", depth-1) + "d"
	bottom := filepath.Join(srv.Root(), "deep", filepath.FromSlash(chain))
	if err := os.MkdirAll(bottom, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bottom, "end.txt"), []byte("the end"), 0o644)
	down := t.TempDir()
	code, _, stderr := runGftp(t, login(srv)+"lcd "+down+"\nget -r deep\nmirror deep deep2\n", "-in")
	if code != 0 {
		t.Fatalf("get -r and mirror: exit %d; stderr:\n%s", code, stderr)
	}
	for _, d := range []string{"deep", "deep2"} {
		if b, err := os.ReadFile(filepath.Join(down, d, filepath.FromSlash(chain), "end.txt")); err != nil || string(b) != "the end" {
			t.Errorf("%s: %q, %v", d, b, err)
		}
	}
	code, _, stderr = runGftp(t, login(srv)+"lcd "+down+"\nmirror -R deep up\nput -r deep2 up2\n", "-in")
	if code != 0 {
		t.Fatalf("mirror -R and put -r: exit %d; stderr:\n%s", code, stderr)
	}
	for _, d := range []string{"up", "up2"} {
		if b, err := os.ReadFile(filepath.Join(srv.Root(), d, filepath.FromSlash(chain), "end.txt")); err != nil || string(b) != "the end" {
			t.Errorf("on the server, %s: %q, %v", d, b, err)
		}
	}
	os.Mkdir(filepath.Join(bottom, "d"), 0o755)
	code, _, stderr = runGftp(t, login(srv)+"lcd "+down+"\nget -r deep deep3\n", "-in")
	if code == 0 || !strings.Contains(stderr, "more than 1000 directories deep") {
		t.Errorf("1001 levels: exit %d; stderr:\n%s", code, stderr)
	}
}

// With -P, the upload check lists the directories over the links at once
// and still finds each mismatch, reported in name order.
func TestPutTreeParallelCheck(t *testing.T) {
	h := startHostile(t, testserver.HostileOptions{NoSize: true, Listing: unixListing("x")}) // lists x with 5 bytes
	up := t.TempDir()
	for _, d := range []string{"a", "b", "c"} {
		os.MkdirAll(filepath.Join(up, "tree", d), 0o755)
		os.WriteFile(filepath.Join(up, "tree", d, "x"), []byte("seven b"), 0o644)
	}
	code, _, stderr := runGftp(t, "user u p\nlcd "+up+"\nput -r -P 3 tree\n", hostileArgs(h, "-in")...)
	if code == 0 || !strings.Contains(stderr, "3 of 3 files failed the upload check, the first: upload check failed: the server has 5 bytes of tree/a/x, 7 were sent") {
		t.Errorf("exit %d; stderr:\n%s", code, stderr)
	}
	if n := count(h.Commands(), "USER u"); n != 3 {
		t.Errorf("%d logins, want 3", n)
	}
}
