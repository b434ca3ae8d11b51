package session

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// fakeInfo is a local file's size and time.
type fakeInfo struct {
	fs.FileInfo
	size int64
	mod  time.Time
}

func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) ModTime() time.Time { return f.mod }

func TestMoveReason(t *testing.T) {
	at := func(h, m, sec int) time.Time { return time.Date(2026, 11, 24, h, m, sec, 0, time.UTC) }
	mlsd := func(size int64, tm time.Time) ftp.Entry {
		return ftp.Entry{Type: ftp.EntryFile, Size: size, Time: tm, TimeExact: true}
	}
	list := func(size int64, tm time.Time) ftp.Entry { return ftp.Entry{Type: ftp.EntryFile, Size: size, Time: tm} }
	local := func(size int64, tm time.Time) fs.FileInfo { return fakeInfo{size: size, mod: tm} }
	for _, tc := range []struct {
		name              string
		e                 ftp.Entry
		ok                bool
		fi                fs.FileInfo
		upload, onlyNewer bool
		want              string
	}{
		{"download, no local copy", mlsd(1, at(1, 0, 0)), true, nil, false, false, "new"},
		{"download, same", mlsd(1, at(1, 0, 0)), true, local(1, at(1, 0, 0)), false, false, ""},
		{"download, remote newer by a second", mlsd(1, at(1, 0, 1)), true, local(1, at(1, 0, 0)), false, false, "newer"},
		// A LIST date drops the seconds (or the time): the local copy of
		// the same file is not newer for them.
		{"upload, LIST minute: seconds do not count", list(1, at(1, 2, 0)), true, local(1, at(1, 2, 59)), true, false, ""},
		{"upload, LIST day: hours do not count", ftp.Entry{Type: ftp.EntryFile, Size: 1, Time: at(0, 0, 0), DateOnly: true}, true, local(1, at(23, 0, 0)), true, false, ""},
		{"upload, LIST midnight is a time: later hours count", list(1, at(0, 0, 0)), true, local(1, at(10, 0, 30)), true, false, "newer"},
		{"upload, LIST minute: a later minute counts", list(1, at(1, 2, 0)), true, local(1, at(1, 3, 0)), true, false, "newer"},
		{"download, size differs", mlsd(2, at(1, 0, 0)), true, local(1, at(1, 0, 0)), false, false, "size differs"},
		{"download, only newer: older remote of another size stays", mlsd(2, at(1, 0, 0)), true, local(1, at(2, 0, 0)), false, true, ""},
		{"download, only newer: newer remote of another size goes", mlsd(2, at(3, 0, 0)), true, local(1, at(2, 0, 0)), false, true, "size differs"},
		{"upload, no remote copy", ftp.Entry{}, false, local(1, at(1, 0, 0)), true, false, "new"},
		{"upload, a directory in the way", ftp.Entry{Type: ftp.EntryDir}, true, local(1, at(1, 0, 0)), true, false, "new"},
		{"upload, local newer", mlsd(1, at(1, 0, 0)), true, local(1, at(1, 0, 5)), true, false, "newer"},
		{"upload, remote newer (the upload's time)", mlsd(1, at(2, 0, 0)), true, local(1, at(1, 0, 0)), true, false, ""},
		{"upload, only newer: older local of another size stays", mlsd(2, at(2, 0, 0)), true, local(1, at(1, 0, 0)), true, true, ""},
		{"no time known: size alone", ftp.Entry{Type: ftp.EntryFile, Size: 1}, true, local(1, at(1, 0, 0)), false, false, ""},
	} {
		if got := moveReason(tc.e, tc.ok, tc.fi, tc.upload, tc.onlyNewer); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A remote symbolic link becomes a local one only when its target is
// relative, stays inside the mirrored tree and climbs (..) only first; a second run finds it up
// to date, a changed target replaces it, and a local directory of its
// name is left alone. Nothing is made with --dry-run.
func TestMirrorLink(t *testing.T) {
	root := t.TempDir()
	var stderr strings.Builder
	s := New(Config{LocalDir: root, Printer: NewPrinter(Streams{Err: &stderr})})
	os.MkdirAll(filepath.Join(root, "m", "sub", "dir"), 0o755)
	link := func(rel, target string, o MirrorOptions) MirrorTotals {
		t.Helper()
		var tot MirrorTotals
		s.mirrorLink(filepath.Join("m", filepath.FromSlash(rel)), "site/"+rel, rel,
			ftp.Entry{Name: path.Base(rel), Type: ftp.EntryLink, Target: target}, o, &tot)
		return tot
	}
	made := func(rel string) string {
		got, err := os.Readlink(filepath.Join(root, "m", filepath.FromSlash(rel)))
		if err != nil {
			return ""
		}
		return filepath.ToSlash(got)
	}
	for _, tc := range []struct{ rel, target, want string }{
		{"a", "b.txt", "b.txt"},
		{"sub/up", "../b.txt", "../b.txt"},
		{"sub/self", ".", "."},
		// A climb after a name: the name may be a link made a moment
		// before (x -> ., then y -> x/.. is the parent of the tree).
		{"sub/deep", "dir/../../b.txt", ""},
		{"x", ".", "."},
		{"y", "x/..", ""},
		{"sub/z", "../x/..", ""},
		{"sub/w", "./../x/b", "./../x/b"},
		{"out", "../x", ""},
		{"sub/out", "../../x", ""},
		{"sub/sneaky", "dir/../../../x", ""},
		{"abs", "/etc/passwd", ""},
		{"back", `..\x`, ""},
		{"none", "", ""},
	} {
		link(tc.rel, tc.target, MirrorOptions{})
		if got := made(tc.rel); got != tc.want {
			t.Errorf("link %s -> %q: made %q, want %q", tc.rel, tc.target, got, tc.want)
		}
	}
	if n := strings.Count(stderr.String(), "skipping the symbolic link"); n != 9 {
		t.Errorf("%d warnings, want one per link skipped (9):\n%s", n, stderr.String())
	}
	if tot := link("a", "b.txt", MirrorOptions{}); tot.Skipped != 1 || tot.New+tot.Updated != 0 {
		t.Errorf("the same link again: %+v, want skipped", tot)
	}
	if tot := link("a", "c.txt", MirrorOptions{DryRun: true}); tot.Updated != 1 || made("a") != "b.txt" {
		t.Errorf("--dry-run: %+v, link now %q", tot, made("a"))
	}
	if tot := link("a", "c.txt", MirrorOptions{}); tot.Updated != 1 || made("a") != "c.txt" {
		t.Errorf("a changed target: %+v, link now %q", tot, made("a"))
	}
	if link("sub/dir", "a", MirrorOptions{}); made("sub/dir") != "" {
		t.Error("a local directory was replaced by a link")
	}
}

// partialOf: a partial copy continues only when it was written after its
// source last changed (at the source time's precision) and is shorter.
func TestPartialOf(t *testing.T) {
	src := time.Date(2026, 12, 1, 10, 20, 30, 0, time.UTC)
	for _, tc := range []struct {
		name        string
		have, size  int64
		written     time.Time
		source      time.Time
		prec        time.Duration
		wantPartial bool
	}{
		{"written after", 10, 100, src.Add(2 * time.Second), src, time.Second, true},
		{"written in the same second", 10, 100, src.Add(500 * time.Millisecond), src, time.Second, false},
		{"source changed since", 10, 100, src.Add(-time.Hour), src, time.Second, false},
		{"minute precision, same minute", 10, 100, src.Add(20 * time.Second), src.Truncate(time.Minute), time.Minute, false},
		{"minute precision, next minute", 10, 100, src.Add(40 * time.Second), src.Truncate(time.Minute), time.Minute, true},
		{"as long as the source", 100, 100, src.Add(time.Hour), src, time.Second, false},
		{"empty", 0, 100, src.Add(time.Hour), src, time.Second, false},
		{"no source time", 10, 100, src.Add(time.Hour), time.Time{}, time.Second, false},
		{"source size unknown", 10, -1, src.Add(time.Hour), src, time.Second, false},
	} {
		got := partialOf(tc.have, tc.size, tc.written, tc.source, tc.prec)
		if got != tc.wantPartial {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.wantPartial)
		}
	}
}

// ~ and ~user in local paths are home directories, as in a shell; an
// unknown user's is the name as it is.
func TestExpandHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	root, err := lookupUser("root")
	if err != nil {
		t.Skipf("no user root here: %v", err)
	}
	for in, want := range map[string]string{
		"~":                    home,
		"~/x/y":                filepath.Join(home, "x", "y"),
		"~root/etc":            filepath.Join(root, "etc"),
		"~no-such-user-gftp/a": "~no-such-user-gftp/a",
		"a/~b":                 "a/~b",
		"plain":                "plain",
	} {
		if got := expandHome(in); got != want {
			t.Errorf("expandHome(%q) = %q, want %q", in, got, want)
		}
	}
	s := New(Config{LocalDir: "/somewhere"})
	if got := s.localPath("~/f"); got != filepath.Join(home, "f") {
		t.Errorf("localPath(~/f) = %q", got)
	}
}
