package session

import (
	"io/fs"
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
		{"upload, LIST day: hours do not count", list(1, at(0, 0, 0)), true, local(1, at(23, 0, 0)), true, false, ""},
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
