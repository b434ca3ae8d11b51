package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/testserver"
)

// endlessListing writes line over and over until the client stops
// reading: a listing that never ends.
func endlessListing(line string) func(w io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 64<<10)
		for {
			if _, err := bw.WriteString(line); err != nil {
				return err
			}
		}
	}
}

// runGuarded is runGftp under a guard: the run is stopped when the heap
// passes maxHeap or after maxRun, so that a listing held without bound
// fails the test instead of taking the machine's memory.
func runGuarded(t *testing.T, script string, maxHeap uint64, maxRun time.Duration, args ...string) (code int, stderr string, peak uint64, guard string) {
	t.Helper()
	runtime.GC() // what an earlier run left is not this one's
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tripped := make(chan string, 1)
	done := make(chan struct{})
	var highest atomic.Uint64
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		deadline := time.After(maxRun)
		for {
			metrics.Read(sample)
			v := sample[0].Value.Uint64()
			highest.Store(max(highest.Load(), v))
			if v > maxHeap {
				tripped <- fmt.Sprintf("the heap passed %.0f MB", float64(v)/1e6)
				cancel()
				return
			}
			select {
			case <-done:
				return
			case <-deadline:
				tripped <- "the run took longer than " + maxRun.String()
				cancel()
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var out, errb bytes.Buffer
	code = Main(ctx, args, Streams{In: strings.NewReader(script), Out: &out, Err: &errb})
	close(done)
	<-watching
	select {
	case guard = <-tripped:
	default:
	}
	return code, errb.String(), highest.Load(), guard
}

// A listing that never ends fails each command that holds it (mget's
// matches, a tree walk's entries) at maxListEntries, with a one-line
// error naming the directory, and a non-zero exit; the connection is
// still good for the next command (--keep-going: get f after it).
// mdelete, mreget and rm -r hold their listings as mget and get -r do
// (expandRemote, walkRemote).
func TestEndlessListingBounded(t *testing.T) {
	if raceBuild {
		t.Skip("a million lines under the race detector take too long")
	}
	line := "-rw-r--r--   1 ftp      ftp          1234 Jan 01 12:00 same.dat\r\n"
	files := map[string][]byte{"f": []byte("after\n")}
	endless := startHostile(t, testserver.HostileOptions{Listing: endlessListing(line), Files: files})
	// Two subdirectories, then listings without end: with -P 2 the
	// links listing ahead of the walk (which hold each listing whole)
	// list those the walk has not got to. Which link lists which is the
	// race of the links' logins: the walk's own stops at the tree's bound
	// (the two directories count), an extra link at the listing's. Each
	// link may hold a listing at once: the heap's bound is higher.
	var listed atomic.Int32
	below := startHostile(t, testserver.HostileOptions{Files: files, Listing: func(w io.Writer) error {
		if listed.Add(1) == 1 {
			_, err := io.WriteString(w, "drwxr-xr-x   2 ftp ftp  4096 Jan 01 12:00 s1\r\n"+
				"drwxr-xr-x   2 ftp ftp  4096 Jan 01 12:00 s2\r\n")
			return err
		}
		return endlessListing(line)(w)
	}})
	for _, tc := range []struct {
		h    *testserver.Hostile
		cmd  string
		want string // or, after a "|", another
		heap uint64 // the guard's bound; 0: 1 GB
	}{
		{endless, "mget *", "mget *: the server's listing of the current directory has more than 1000000 entries; gftp stops there", 0},
		{endless, "get -r d", "get -r: the server's listing of d has more than 1000000 entries; gftp stops there", 0},
		{endless, "mirror d mx", "mirror: the server's listing of d has more than 1000000 entries; gftp stops there", 0},
		{below, "get -r -P 2 d", "get -r: the server's tree under d has more than 1000000 entries; gftp stops there|" +
			"get -r: the server's listing of d/s1 has more than 1000000 entries; gftp stops there", 1500 << 20},
	} {
		t.Run(tc.cmd, func(t *testing.T) {
			local := t.TempDir()
			start := time.Now()
			if tc.heap == 0 {
				tc.heap = 1 << 30
			}
			code, stderr, peak, guard := runGuarded(t, "user u p\nlcd "+local+"\n"+tc.cmd+"\nget f\n", tc.heap, 60*time.Second,
				hostileArgs(tc.h, "-in", "--keep-going")...)
			t.Logf("%s: exit %d after %v, the heap at most %.0f MB", tc.cmd, code, time.Since(start).Round(time.Millisecond), float64(peak)/1e6)
			if guard != "" {
				t.Fatalf("%s over an endless listing: %s; stderr %q", tc.cmd, guard, stderr)
			}
			if code == 0 {
				t.Errorf("%s over an endless listing: exit 0", tc.cmd)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			one, other, _ := strings.Cut(tc.want, "|")
			if len(lines) != 1 || !strings.Contains(lines[0], one) && (other == "" || !strings.Contains(lines[0], other)) {
				t.Errorf("%s: stderr %q, want one line with %q", tc.cmd, stderr, tc.want)
			}
			if b, err := os.ReadFile(filepath.Join(local, "f")); err != nil || string(b) != "after\n" {
				t.Errorf("get f after %s: %q, %v", tc.cmd, b, err)
			}
		})
	}
}

// Names that are each long take the bound on the bytes held instead:
// a million names of 32 KiB would be 32 GB.
func TestLongNamesBounded(t *testing.T) {
	line := "-rw-r--r--   1 ftp      ftp          1234 Jan 01 12:00 " + strings.Repeat("n", 32<<10) + "\r\n"
	h := startHostile(t, testserver.HostileOptions{Listing: endlessListing(line)})
	code, stderr, _, guard := runGuarded(t, "user u p\nlcd "+t.TempDir()+"\nmget *\n", 1<<30, 60*time.Second, hostileArgs(h, "-in")...)
	if guard != "" {
		t.Fatalf("mget * over endless long names: %s; stderr %q", guard, stderr)
	}
	want := "mget *: the names in the server's listing of the current directory take more than 256 MiB; gftp stops there"
	if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want one line with %q", code, stderr, want)
	}
}
