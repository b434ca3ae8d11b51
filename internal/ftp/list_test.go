package ftp

import (
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"
)

// listTestNow is the "now" of the listing tests unless a case sets its own.
var listTestNow = time.Date(2026, time.November, 24, 12, 0, 0, 0, time.UTC)

func listTestDate(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
}

// parseListLineCases is shared by TestParseListLine and the seeds of
// FuzzParseListLine.
var parseListLineCases = []struct {
	name    string
	line    string
	now     time.Time // listTestNow when zero
	want    Entry
	wantErr string
}{
	// Unix ls -l.
	{name: "dir", line: "drwxr-xr-x   2 user group 4096 Nov 24 04:35 bakdir",
		want: Entry{Name: "bakdir", Type: EntryDir, Size: 4096, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "file with year", line: "-rw-r--r-- 1 ftp ftp 1048576 Jan  3  2025 backup-2026-11-17.tgz",
		want: Entry{Name: "backup-2026-11-17.tgz", Type: EntryFile, Size: 1048576, Time: listTestDate(2025, 1, 3, 0, 0), DateOnly: true}},
	{name: "CRLF stripped", line: "-rw-r--r-- 1 ftp ftp 1 Jan  3  2025 a\r\n",
		want: Entry{Name: "a", Type: EntryFile, Size: 1, Time: listTestDate(2025, 1, 3, 0, 0), DateOnly: true}},
	{name: "name with spaces", line: "-rw-r--r-- 1 ftp ftp 12 Nov 24 04:35 my file.txt",
		want: Entry{Name: "my file.txt", Type: EntryFile, Size: 12, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "name with leading spaces", line: "-rw-r--r-- 1 ftp ftp 12 Nov 24 04:35   lead.txt",
		want: Entry{Name: "  lead.txt", Type: EntryFile, Size: 12, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "name with leading space after year", line: "-rw-r--r-- 1 ftp ftp 12 Jan  3  2025  x ",
		want: Entry{Name: " x ", Type: EntryFile, Size: 12, Time: listTestDate(2025, 1, 3, 0, 0), DateOnly: true}},
	{name: "name that looks like a date", line: "-rw-r--r-- 1 ftp ftp 12 Nov 24 04:35 Dec 25 10:00 x",
		want: Entry{Name: "Dec 25 10:00 x", Type: EntryFile, Size: 12, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "symlink", line: "lrwxrwxrwx 1 u g 7 Nov 24 04:35 link -> target",
		want: Entry{Name: "link", Type: EntryLink, Size: 7, Time: listTestDate(2026, 11, 24, 4, 35), Target: "target"}},
	{name: "symlink with spaces", line: "lrwxrwxrwx 1 u g 7 Nov 24 04:35 my link -> ../my target",
		want: Entry{Name: "my link", Type: EntryLink, Size: 7, Time: listTestDate(2026, 11, 24, 4, 35), Target: "../my target"}},
	{name: "arrow in a file name is kept", line: "-rw-r--r-- 1 u g 7 Nov 24 04:35 a -> b",
		want: Entry{Name: "a -> b", Type: EntryFile, Size: 7, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "midnight is a time", line: "-rw-r--r-- 1 u g 1 Nov 24 00:00 m",
		want: Entry{Name: "m", Type: EntryFile, Size: 1, Time: listTestDate(2026, 11, 24, 0, 0)}},
	{name: "DOS midnight is a time", line: "11-24-26  12:00AM                  100 a.bin",
		want: Entry{Name: "a.bin", Type: EntryFile, Size: 100, Time: listTestDate(2026, 11, 24, 0, 0)}},
	{name: "no group", line: "-rw-r--r-- 1 owner 1234 Nov 24 04:35 file",
		want: Entry{Name: "file", Type: EntryFile, Size: 1234, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "no link count and no group", line: "-rw-r--r-- owner 1234 Nov 24 04:35 file",
		want: Entry{Name: "file", Type: EntryFile, Size: 1234, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "numeric owner and group", line: "-rw-r--r-- 1 1000 1000 1234 Nov 24 04:35 file",
		want: Entry{Name: "file", Type: EntryFile, Size: 1234, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "char device", line: "crw-rw-rw- 1 root root 1, 3 Nov 24 04:35 null",
		want: Entry{Name: "null", Type: EntryOther, Size: -1, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "block device, one field", line: "brw-rw---- 1 root disk 8,0 Nov 24 04:35 sda",
		want: Entry{Name: "sda", Type: EntryOther, Size: -1, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "pipe", line: "prw-r--r-- 1 root root 0 Nov 24 04:35 fifo",
		want: Entry{Name: "fifo", Type: EntryOther, Size: 0, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "socket", line: "srwxrwxrwx 1 root root 0 Nov 24 04:35 sock",
		want: Entry{Name: "sock", Type: EntryOther, Size: 0, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "ACL marker", line: "-rw-r--r--+ 1 u g 5 Nov 24 04:35 acl.txt",
		want: Entry{Name: "acl.txt", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "SELinux marker", line: "drwxr-xr-x. 3 u g 5 Nov 24 04:35 ctx",
		want: Entry{Name: "ctx", Type: EntryDir, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "xattr marker", line: "-rw-r--r--@ 1 u g 5 Nov 24 04:35 mac",
		want: Entry{Name: "mac", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "setuid and sticky", line: "drwxrwxrwt 9 root root 4096 Nov 24 04:35 tmp",
		want: Entry{Name: "tmp", Type: EntryDir, Size: 4096, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "setuid file", line: "-rwsr-xr-x 1 root root 5 Nov 24 04:35 su",
		want: Entry{Name: "su", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "non-ASCII name", line: "-rw-r--r-- 1 u g 5 Nov 24 04:35 résumé 日本語.txt",
		want: Entry{Name: "résumé 日本語.txt", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "upper-case month", line: "-rw-r--r-- 1 u g 5 NOV 24 04:35 f",
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "one-digit hour", line: "-rw-r--r-- 1 u g 5 Nov 24 4:35 f",
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "tabs", line: "-rw-r--r--\t1\tu\tg\t5\tNov\t24\t04:35\tf",
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "large size", line: "-rw-r--r-- 1 u g 9223372036854775807 Nov 24 04:35 big",
		want: Entry{Name: "big", Type: EntryFile, Size: 9223372036854775807, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "dot", line: "drwxr-xr-x 2 u g 4096 Nov 24 04:35 .",
		want: Entry{Name: ".", Type: EntryDir, Size: 4096, Time: listTestDate(2026, 11, 24, 4, 35)}},

	// ftpserverlib's fileStat: "%s 1 %s %s %12d %s %s" with Go's FileMode.
	{name: "ftpserverlib file", line: "-rw-r--r-- 1 ftp ftp            5 Nov 24 04:35 a.txt",
		want: Entry{Name: "a.txt", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "ftpserverlib old file", line: "-rw-r--r-- 1 ftp ftp            5 Jan  3  2025 a b.txt",
		want: Entry{Name: "a b.txt", Type: EntryFile, Size: 5, Time: listTestDate(2025, 1, 3, 0, 0), DateOnly: true}},
	{name: "ftpserverlib symlink", line: "Lrwxrwxrwx 1 ftp ftp            7 Nov 24 04:35 link",
		want: Entry{Name: "link", Type: EntryLink, Size: 7, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "ftpserverlib setgid dir", line: "dgrwxr-xr-x 1 ftp ftp         4096 Nov 24 04:35 shared",
		want: Entry{Name: "shared", Type: EntryDir, Size: 4096, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "ftpserverlib setuid file", line: "urwxr-xr-x 1 ftp ftp            5 Nov 24 04:35 su",
		want: Entry{Name: "su", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "ftpserverlib char device", line: "Dcrw-rw-rw- 1 ftp ftp            0 Nov 24 04:35 null",
		want: Entry{Name: "null", Type: EntryOther, Size: 0, Time: listTestDate(2026, 11, 24, 4, 35)}},

	// Choosing the year of "Mon DD HH:MM".
	{name: "date later in the year is last year", line: "-rw-r--r-- 1 u g 5 Nov 24 04:35 f",
		now:  time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC),
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2025, 11, 24, 4, 35)}},
	{name: "date within six months ahead is this year", line: "-rw-r--r-- 1 u g 5 Aug 24 04:35 f",
		now:  time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC),
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2026, 8, 24, 4, 35)}},
	{name: "early date near year end is next year", line: "-rw-r--r-- 1 u g 5 Jan  5 10:00 f",
		now:  time.Date(2026, time.December, 30, 0, 0, 0, 0, time.UTC),
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2027, 1, 5, 10, 0)}},
	{name: "now in another zone", line: "-rw-r--r-- 1 u g 5 Jan  1 00:30 f",
		now:  time.Date(2026, time.December, 31, 20, 0, 0, 0, time.FixedZone("X", -5*3600)),
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2027, 1, 1, 0, 30)}},
	{name: "Feb 29 in a leap year", line: "-rw-r--r-- 1 u g 5 Feb 29 10:00 f",
		now:  time.Date(2028, time.March, 10, 0, 0, 0, 0, time.UTC),
		want: Entry{Name: "f", Type: EntryFile, Size: 5, Time: listTestDate(2028, 2, 29, 10, 0)}},
	{name: "Feb 29 with no leap year near", line: "-rw-r--r-- 1 u g 5 Feb 29 10:00 f",
		now: time.Date(2026, time.March, 10, 0, 0, 0, 0, time.UTC), wantErr: "invalid date"},

	// Windows/IIS.
	{name: "IIS dir", line: "11-24-26  04:35AM       <DIR>          bakdir",
		want: Entry{Name: "bakdir", Type: EntryDir, Size: -1, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "IIS file", line: "11-24-26  11:05PM              1234 backup 2026.tgz",
		want: Entry{Name: "backup 2026.tgz", Type: EntryFile, Size: 1234, Time: listTestDate(2026, 11, 24, 23, 5)}},
	{name: "IIS four-digit year", line: "11-24-2026  04:35AM              1234 a.txt",
		want: Entry{Name: "a.txt", Type: EntryFile, Size: 1234, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "IIS 24-hour", line: "11-24-26  16:35              1234 a.txt",
		want: Entry{Name: "a.txt", Type: EntryFile, Size: 1234, Time: listTestDate(2026, 11, 24, 16, 35)}},
	{name: "IIS 24-hour dir", line: "11-24-26  16:35       <DIR>          my dir",
		want: Entry{Name: "my dir", Type: EntryDir, Size: -1, Time: listTestDate(2026, 11, 24, 16, 35)}},
	{name: "IIS midnight", line: "01-01-99  12:00AM                 0 y2k.txt",
		want: Entry{Name: "y2k.txt", Type: EntryFile, Size: 0, Time: listTestDate(1999, 1, 1, 0, 0)}},
	{name: "IIS 00AM", line: "01-01-99  00:35AM                 0 f",
		want: Entry{Name: "f", Type: EntryFile, Size: 0, Time: listTestDate(1999, 1, 1, 0, 35)}},
	{name: "IIS noon, year 69 is 2069", line: "01-01-69  12:00PM                 0 f",
		want: Entry{Name: "f", Type: EntryFile, Size: 0, Time: listTestDate(2069, 1, 1, 12, 0)}},
	{name: "IIS year 70 is 1970", line: "01-01-70  12:00PM                 0 f",
		want: Entry{Name: "f", Type: EntryFile, Size: 0, Time: listTestDate(1970, 1, 1, 12, 0)}},
	{name: "IIS separate PM", line: "11-24-26 04:35 pm <DIR> d",
		want: Entry{Name: "d", Type: EntryDir, Size: -1, Time: listTestDate(2026, 11, 24, 16, 35)}},
	{name: "IIS file name with leading space", line: "11-24-26  04:35AM                 5  sp",
		want: Entry{Name: " sp", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},
	{name: "IIS non-ASCII", line: "11-24-26  04:35AM                 5 日本語.txt",
		want: Entry{Name: "日本語.txt", Type: EntryFile, Size: 5, Time: listTestDate(2026, 11, 24, 4, 35)}},

	// Errors.
	{name: "empty", line: "", wantErr: "empty listing line"},
	{name: "CRLF only", line: "\r\n", wantErr: "empty listing line"},
	{name: "total", line: "total 12", wantErr: "unknown listing format"},
	{name: "garbage", line: "hello world", wantErr: `unknown listing format "hello world"`},
	{name: "bad mode letter", line: "drwxr-xr-q 2 u g 4096 Nov 24 04:35 d", wantErr: "unknown listing format"},
	{name: "short mode", line: "drwxr-xr- 2 u g 4096 Nov 24 04:35 d", wantErr: "unknown listing format"},
	{name: "no name", line: "drwxr-xr-x 2 u g 4096 Nov 24 04:35", wantErr: "no name"},
	{name: "only a space for a name", line: "drwxr-xr-x 2 u g 4096 Nov 24 04:35 ", wantErr: "no name"},
	{name: "no size", line: "-rw-r--r-- 1 u g abc Nov 24 04:35 f", wantErr: "no date"},
	{name: "bad device size", line: "crw-rw-rw- 1 root root 1,x Nov 24 04:35 null", wantErr: "no date"},
	{name: "size overflows", line: "-rw-r--r-- 1 u g 9223372036854775808 Nov 24 04:35 f", wantErr: "no date"},
	{name: "bad month", line: "-rw-r--r-- 1 u g 5 Foo 24 04:35 f", wantErr: "no date"},
	{name: "day 0", line: "-rw-r--r-- 1 u g 5 Nov 0 04:35 f", wantErr: "no date"},
	{name: "day 32", line: "-rw-r--r-- 1 u g 5 Nov 32 04:35 f", wantErr: "no date"},
	{name: "hour 24", line: "-rw-r--r-- 1 u g 5 Nov 24 24:35 f", wantErr: "no date"},
	{name: "minute 60", line: "-rw-r--r-- 1 u g 5 Nov 24 04:60 f", wantErr: "no date"},
	{name: "one-digit minute", line: "-rw-r--r-- 1 u g 5 Nov 24 04:5 f", wantErr: "no date"},
	{name: "bad year", line: "-rw-r--r-- 1 u g 5 Nov 24 20x5 f", wantErr: "no date"},
	{name: "Feb 30", line: "-rw-r--r-- 1 u g 5 Feb 30  2025 f", wantErr: "invalid date"},
	{name: "IIS bad month", line: "13-24-26  04:35AM 5 f", wantErr: "malformed date"},
	{name: "IIS bad year", line: "11-24-266  04:35AM 5 f", wantErr: "malformed date"},
	{name: "IIS Nov 31", line: "11-31-26  04:35AM 5 f", wantErr: "invalid date"},
	{name: "IIS 13PM", line: "11-24-26  13:00PM 5 f", wantErr: "malformed time"},
	{name: "IIS hour 24", line: "11-24-26  24:00 5 f", wantErr: "malformed time"},
	{name: "IIS bad size", line: "11-24-26  04:35AM 5x f", wantErr: "malformed size"},
	{name: "IIS negative size", line: "11-24-26  04:35AM -5 f", wantErr: "malformed size"},
	{name: "IIS no name", line: "11-24-26  04:35AM       <DIR>", wantErr: "too few fields"},
	{name: "IIS no name after AM", line: "11-24-26  04:35 AM       <DIR>", wantErr: "no name"},
	{name: "digits", line: "12345", wantErr: "too few fields"},
}

func TestParseListLine(t *testing.T) {
	for _, tc := range parseListLineCases {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = listTestNow
			}
			got, err := ParseListLine(tc.line, now)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got %+v, want error containing %q", got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			// The permission bits have their own test (TestListPerm).
			got.Perm, got.HasPerm = 0, false
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestListPerm: the permission bits of Unix mode strings and of MLSD's
// unix.mode fact, and none from a DOS line or an MLSD line without it.
func TestListPerm(t *testing.T) {
	cases := []struct {
		line string
		mlsd bool
		perm fs.FileMode
		has  bool
	}{
		{line: "-rw-r--r-- 1 u g 1 Nov 24 04:35 a", perm: 0o644, has: true},
		{line: "drwxr-x--- 2 u g 1 Nov 24 04:35 d", perm: 0o750, has: true},
		{line: "-rwsr-xr-x 1 u g 1 Nov 24 04:35 su", perm: 0o755, has: true},
		{line: "-rwSr--r-- 1 u g 1 Nov 24 04:35 su", perm: 0o644, has: true},
		{line: "drwxrwxrwt 2 u g 1 Nov 24 04:35 tmp", perm: 0o777, has: true},
		{line: "drwxrwxrwT 2 u g 1 Nov 24 04:35 tmp", perm: 0o776, has: true},
		{line: "----------+ 1 u g 1 Nov 24 04:35 acl", perm: 0, has: true},
		{line: "-rw-------. 1 u g 1 Nov 24 04:35 se", perm: 0o600, has: true},
		{line: "urwxr-x--- 1 ftp ftp 1 Nov 24 04:35 go", perm: 0o750, has: true},
		{line: "11-30-26  11:47PM                 4096 dos.txt"},
		{line: "type=file;size=1;UNIX.mode=0640; m", mlsd: true, perm: 0o640, has: true},
		{line: "type=file;size=1;unix.mode=4755; m", mlsd: true, perm: 0o755, has: true},
		{line: "type=file;size=1;unix.mode=0o750; m", mlsd: true, perm: 0o750, has: true},
		{line: "type=file;size=1;unix.mode=rw; m", mlsd: true},
		{line: "type=file;size=1;unix.mode=99999999; m", mlsd: true},
		{line: "type=file;size=1; m", mlsd: true},
	}
	for _, tc := range cases {
		var e Entry
		var err error
		if tc.mlsd {
			e, err = ParseMLSDLine(tc.line)
		} else {
			e, err = ParseListLine(tc.line, listTestNow)
		}
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if e.Perm != tc.perm || e.HasPerm != tc.has {
			t.Errorf("%q: perm %o (told: %v), want %o (%v)", tc.line, e.Perm, e.HasPerm, tc.perm, tc.has)
		}
	}
}

// TestParseListLineFtpserverlib formats lines exactly as ftpserverlib's
// fileStat does (handle_dirs.go, v0.30.0), from real os.FileMode values,
// and checks they parse back.
func TestParseListLineFtpserverlib(t *testing.T) {
	stat := func(mode os.FileMode, size int64, mod time.Time, name string) string {
		format := "Jan _2 15:04"
		if listTestNow.Sub(mod) > 24*30*6*time.Hour {
			format = "Jan _2  2006"
		}
		return fmt.Sprintf("%s 1 %s %s %12d %s %s", mode, "ftp", "ftp", size, mod.Format(format), name)
	}
	recent := listTestDate(2026, 11, 20, 8, 5)
	old := listTestDate(2024, 2, 9, 0, 0)
	cases := []struct {
		mode os.FileMode
		size int64
		mod  time.Time
		name string
		typ  EntryType
	}{
		{0o644, 5, recent, "a.txt", EntryFile},
		{0o644, 123456789012, old, "big file.iso", EntryFile},
		{os.ModeDir | 0o755, 4096, recent, "dir", EntryDir},
		{os.ModeDir | os.ModeSetgid | os.ModeSticky | 0o775, 4096, old, "shared", EntryDir},
		{os.ModeSymlink | 0o777, 7, recent, "link", EntryLink},
		{os.ModeSetuid | 0o755, 5, recent, "su", EntryFile},
		{os.ModeAppend | 0o644, 5, recent, "log", EntryFile},
		{os.ModeNamedPipe | 0o644, 0, recent, "fifo", EntryOther},
		{os.ModeSocket | 0o777, 0, recent, "sock", EntryOther},
		{os.ModeDevice | os.ModeCharDevice | 0o666, 0, recent, "null", EntryOther},
		{os.ModeIrregular | 0o644, 0, recent, "odd", EntryOther},
		{0o600, 1, recent, "ünïcødé ☃", EntryFile},
	}
	for _, tc := range cases {
		line := stat(tc.mode, tc.size, tc.mod, tc.name)
		got, err := ParseListLine(line, listTestNow)
		if err != nil {
			t.Errorf("ParseListLine(%q): %v", line, err)
			continue
		}
		want := Entry{Name: tc.name, Type: tc.typ, Size: tc.size, Time: tc.mod, Perm: tc.mode.Perm(), HasPerm: true, DateOnly: tc.mod == old}
		if got != want {
			t.Errorf("ParseListLine(%q)\n got  %+v\n want %+v", line, got, want)
		}
	}
}

func TestParseList(t *testing.T) {
	body := "total 12\r\n" +
		"drwxr-xr-x   2 user group 4096 Nov 24 04:35 bakdir\r\n" +
		"\r\n" +
		"this is not a listing line\n" +
		"-rw-r--r-- 1 ftp ftp 1048576 Jan  3  2025 backup 1.tgz\n" +
		"   \n" +
		"11-24-26  04:35AM       <DIR>          win dir\r\n"
	got := ParseList(body, listTestNow)
	want := []Entry{
		{Name: "bakdir", Type: EntryDir, Size: 4096, Time: listTestDate(2026, 11, 24, 4, 35), Perm: 0o755, HasPerm: true},
		{Name: "backup 1.tgz", Type: EntryFile, Size: 1048576, Time: listTestDate(2025, 1, 3, 0, 0), Perm: 0o644, HasPerm: true, DateOnly: true},
		{Name: "win dir", Type: EntryDir, Size: -1, Time: listTestDate(2026, 11, 24, 4, 35)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	if got := ParseList("", listTestNow); len(got) != 0 {
		t.Errorf("ParseList(\"\") = %+v, want none", got)
	}
	if got := ParseList("total 0\r\n", listTestNow); len(got) != 0 {
		t.Errorf("ParseList(total 0) = %+v, want none", got)
	}
}

func listTestMLSDTime(y int, m time.Month, d, hh, mm, ss, ns int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, ns, time.UTC)
}

// parseMLSDLineCases is shared by TestParseMLSDLine and the seeds of
// FuzzParseMLSDLine.
var parseMLSDLineCases = []struct {
	name    string
	line    string
	want    Entry
	wantErr string
}{
	{name: "file", line: "type=file;size=1234;modify=20261124043512; backup 2026.tgz",
		want: Entry{Name: "backup 2026.tgz", Type: EntryFile, Size: 1234, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 12, 0), TimeExact: true}},
	{name: "ftpserverlib", line: "Type=file;Size=5;Modify=20261124043500; a.txt\r\n",
		want: Entry{Name: "a.txt", Type: EntryFile, Size: 5, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 0, 0), TimeExact: true}},
	{name: "dir with fraction", line: "TYPE=DIR;MODIFY=20261124043512.123; some dir",
		want: Entry{Name: "some dir", Type: EntryDir, Size: -1, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 12, 123000000), TimeExact: true}},
	{name: "long fraction", line: "type=file;modify=20261124043512.1234567891234; f",
		want: Entry{Name: "f", Type: EntryFile, Size: -1, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 12, 123456789), TimeExact: true}},
	{name: "leap second", line: "type=file;modify=20161231235960; f",
		want: Entry{Name: "f", Type: EntryFile, Size: -1, Time: listTestMLSDTime(2017, 1, 1, 0, 0, 0, 0), TimeExact: true}},
	{name: "cdir", line: "type=cdir;modify=20261124043512; /home/ftp",
		want: Entry{Name: "/home/ftp", Type: EntryDir, Size: -1, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 12, 0), TimeExact: true}},
	{name: "pdir", line: "type=pdir; ..",
		want: Entry{Name: "..", Type: EntryDir, Size: -1}},
	{name: "slink", line: "type=OS.unix=slink:/etc/Passwd;size=11; passwd-link",
		want: Entry{Name: "passwd-link", Type: EntryLink, Size: 11, Target: "/etc/Passwd"}},
	{name: "slink without target", line: "type=OS.unix=slink; l",
		want: Entry{Name: "l", Type: EntryLink, Size: -1}},
	{name: "symlink", line: "type=OS.unix=symlink; l",
		want: Entry{Name: "l", Type: EntryLink, Size: -1}},
	{name: "other OS type", line: "type=OS.unix=blkdev; sda",
		want: Entry{Name: "sda", Type: EntryOther, Size: -1}},
	{name: "slink look-alike", line: "type=OS.unix=slinky; x",
		want: Entry{Name: "x", Type: EntryOther, Size: -1}},
	{name: "name with ';' and spaces", line: "type=file;size=1; a;b c.txt ",
		want: Entry{Name: "a;b c.txt ", Type: EntryFile, Size: 1}},
	{name: "name with leading space", line: "type=file;  x",
		want: Entry{Name: " x", Type: EntryFile, Size: -1}},
	{name: "no facts", line: " name",
		want: Entry{Name: "name", Type: EntryOther, Size: -1}},
	{name: "no trailing ';'", line: "type=file;size=3 x",
		want: Entry{Name: "x", Type: EntryFile, Size: 3}},
	{name: "unknown facts ignored", line: "type=file;perm=adfrw;UNIX.mode=0644;unix.owner=ftp;unique=803U1; f",
		want: Entry{Name: "f", Type: EntryFile, Size: -1, Perm: 0o644, HasPerm: true}},
	{name: "sizd for dir", line: "type=dir;sizd=4096; d",
		want: Entry{Name: "d", Type: EntryDir, Size: 4096}},
	{name: "size wins over sizd", line: "type=dir;sizd=4096;size=10; d",
		want: Entry{Name: "d", Type: EntryDir, Size: 10}},
	{name: "sizd ignored for file", line: "type=file;sizd=4096; f",
		want: Entry{Name: "f", Type: EntryFile, Size: -1}},
	{name: "non-ASCII name", line: "type=file;size=0; 日本語 ☃.txt",
		want: Entry{Name: "日本語 ☃.txt", Type: EntryFile, Size: 0}},

	{name: "empty", line: "", wantErr: "no name"},
	{name: "no space", line: "type=file;size=1;", wantErr: "no name"},
	{name: "empty name", line: "type=file;size=1; ", wantErr: "no name"},
	{name: "bad size", line: "type=file;size=abc; f", wantErr: `malformed size fact "abc"`},
	{name: "negative size", line: "type=file;size=-1; f", wantErr: "malformed size fact"},
	{name: "plus size", line: "type=file;size=+1; f", wantErr: "malformed size fact"},
	{name: "empty size", line: "type=file;size=; f", wantErr: "malformed size fact"},
	{name: "bad sizd", line: "type=dir;sizd=x; f", wantErr: "malformed sizd fact"},
	{name: "short modify", line: "type=file;modify=2026112404351; f", wantErr: "malformed modify fact"},
	{name: "month 13", line: "modify=20261324043512; f", wantErr: "malformed modify fact"},
	{name: "Feb 30", line: "modify=20260230000000; f", wantErr: "malformed modify fact"},
	{name: "hour 24", line: "modify=20261124240000; f", wantErr: "malformed modify fact"},
	{name: "empty fraction", line: "modify=20261124043512.; f", wantErr: "malformed modify fact"},
	{name: "bad fraction", line: "modify=20261124043512.1x; f", wantErr: "malformed modify fact"},
	{name: "fact without '='", line: "type=file;garbage; f", wantErr: `malformed fact "garbage"`},
	{name: "fact without name", line: "=x; f", wantErr: "malformed fact"},
}

func TestParseMLSDLine(t *testing.T) {
	for _, tc := range parseMLSDLineCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMLSDLine(tc.line)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("got %+v, want error containing %q", got, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseMLSD(t *testing.T) {
	body := "type=cdir;modify=20261124043512; .\r\n" +
		"type=pdir;modify=20261124043512; ..\r\n" +
		"Type=file;Size=5;Modify=20261124043500; a.txt\r\n" +
		"\r\n" +
		"type=file;size=bad; broken\r\n" +
		"not an mlsd line\n" +
		"type=dir;modify=20261124043512; sub dir\n"
	got := ParseMLSD(body)
	want := []Entry{
		{Name: "a.txt", Type: EntryFile, Size: 5, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 0, 0), TimeExact: true},
		{Name: "sub dir", Type: EntryDir, Size: -1, Time: listTestMLSDTime(2026, 11, 24, 4, 35, 12, 0), TimeExact: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	if got := ParseMLSD(""); len(got) != 0 {
		t.Errorf("ParseMLSD(\"\") = %+v, want none", got)
	}
}

func TestEntryTypeString(t *testing.T) {
	for typ, want := range map[EntryType]string{EntryFile: "file", EntryDir: "dir", EntryLink: "link", EntryOther: "other", 42: "other"} {
		if got := typ.String(); got != want {
			t.Errorf("EntryType(%d).String() = %q, want %q", int(typ), got, want)
		}
	}
}

// listTestCheckEntry checks what must hold for every parsed entry.
func listTestCheckEntry(t *testing.T, line string, e Entry) {
	t.Helper()
	if e.Name == "" {
		t.Fatalf("%q: empty name", line)
	}
	if e.Size < -1 {
		t.Fatalf("%q: size %d", line, e.Size)
	}
	if e.Type < EntryFile || e.Type > EntryOther {
		t.Fatalf("%q: type %d", line, e.Type)
	}
	if e.Type != EntryLink && e.Target != "" {
		t.Fatalf("%q: target %q on a %v", line, e.Target, e.Type)
	}
	if !e.Time.IsZero() && e.Time.Location() != time.UTC {
		t.Fatalf("%q: time %v not UTC", line, e.Time)
	}
}

func FuzzParseListLine(f *testing.F) {
	for _, tc := range parseListLineCases {
		now := tc.now
		if now.IsZero() {
			now = listTestNow
		}
		f.Add(tc.line, now.Unix())
	}
	f.Fuzz(func(t *testing.T, line string, nowUnix int64) {
		now := time.Unix(nowUnix, 0)
		e, err := ParseListLine(line, now)
		if err != nil {
			if e != (Entry{}) {
				t.Fatalf("entry %+v returned with error %v", e, err)
			}
			return
		}
		listTestCheckEntry(t, line, e)
		if !strings.Contains(line, e.Name) {
			t.Fatalf("%q: name %q not in line", line, e.Name)
		}
		// A line that parses alone must come out of ParseList the same,
		// unless it is one ParseList deliberately skips.
		if !strings.ContainsAny(line, "\n") && !strings.HasPrefix(line, "total ") && strings.TrimSpace(line) != "" {
			all := ParseList(line, now)
			if len(all) != 1 || all[0] != e {
				t.Fatalf("ParseList(%q) = %+v, want [%+v]", line, all, e)
			}
		}
	})
}

func FuzzParseMLSDLine(f *testing.F) {
	for _, tc := range parseMLSDLineCases {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParseMLSDLine(line)
		if err != nil {
			if e != (Entry{}) {
				t.Fatalf("entry %+v returned with error %v", e, err)
			}
			return
		}
		listTestCheckEntry(t, line, e)
		// The name is exactly what follows the first space.
		_, name, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
		if e.Name != name {
			t.Fatalf("%q: name %q, want %q", line, e.Name, name)
		}
	})
}
