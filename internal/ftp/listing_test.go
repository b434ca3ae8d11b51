package ftp

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// streamed feeds body to a ListingWriter in pieces of random sizes and
// returns the entries it yields.
func streamed(body string, mlsd bool, now time.Time, seed uint64) []Entry {
	var got []Entry
	w := NewListingWriter(mlsd, now, func(e Entry) { got = append(got, e) })
	rng := rand.New(rand.NewPCG(seed, 1))
	for len(body) > 0 {
		n := min(len(body), 1+rng.IntN(40))
		w.Write([]byte(body[:n]))
		body = body[n:]
	}
	w.Close()
	return got
}

// Streaming a listing yields what parsing it whole does, wherever the
// pieces are cut.
func TestListingWriterMatchesParse(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	list := "total 3\r\n-rw-r--r--  1 ftp ftp 12 Jan 02 10:00 a file.txt\r\n" +
		"drwxr-xr-x  2 ftp ftp 4096 Mar 3 2024 dir\r\n\r\nnot a listing line\r\n" +
		"lrwxrwxrwx  1 ftp ftp 3 Jan 02 10:00 ln -> a\r\n" +
		"01-02-26  10:00AM       <DIR>          win dir\r\n01-02-26  10:00PM  7 win.txt"
	mlsd := "type=cdir;modify=20260101000000; .\r\ntype=pdir; ..\r\n" +
		"type=file;size=5;modify=20260102030405; five.bin\r\ntype=dir; sub\r\nbroken\r\n"
	for seed := range uint64(50) {
		if got, want := streamed(list, false, now, seed), ParseList(list, now); !reflect.DeepEqual(got, want) {
			t.Fatalf("LIST, seed %d:\n got %+v\nwant %+v", seed, got, want)
		}
		if got, want := streamed(mlsd, true, now, seed), ParseMLSD(mlsd); !reflect.DeepEqual(got, want) {
			t.Fatalf("MLSD, seed %d:\n got %+v\nwant %+v", seed, got, want)
		}
	}
}

// A line longer than any real entry is skipped whole, and the lines after
// it still parse.
func TestListingWriterSkipsOverlongLine(t *testing.T) {
	body := "-rw-r--r-- 1 a b 1 Jan 01 2020 " + strings.Repeat("x", 2*maxListingLine) + "\n" +
		"-rw-r--r-- 1 a b 1 Jan 01 2020 after\n"
	got := streamed(body, false, time.Now(), 1)
	if len(got) != 1 || got[0].Name != "after" {
		t.Errorf("got %d entries %+v, want only \"after\"", len(got), got)
	}
}

func FuzzListingWriter(f *testing.F) {
	f.Add("-rw-r--r-- 1 a b 1 Jan 01 2020 x\r\n", false, uint64(1))
	f.Add("type=file;size=1; x\r\ntype=dir; y", true, uint64(2))
	f.Fuzz(func(t *testing.T, body string, mlsd bool, seed uint64) {
		if len(body) > 4<<10 {
			return
		}
		now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
		want := ParseList(body, now)
		if mlsd {
			want = ParseMLSD(body)
		}
		if got := streamed(body, mlsd, now, seed); !reflect.DeepEqual(got, want) {
			t.Fatalf("streamed %+v, parsed whole %+v", got, want)
		}
	})
}
