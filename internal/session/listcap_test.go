package session

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
	"github.com/gftp/gftp/internal/testserver"
)

// hostileSession is a session logged in to a scripted server.
func hostileSession(t *testing.T, opts testserver.HostileOptions) (*Session, *testserver.Hostile) {
	t.Helper()
	h, err := testserver.StartHostile(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	s := New(Config{LocalDir: t.TempDir()})
	ctx := context.Background()
	if err := s.Open(ctx, h.Host(), strconv.Itoa(h.Port())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	if err := s.Login(ctx, "u", "p"); err != nil {
		t.Fatal(err)
	}
	return s, h
}

// listing writes a LIST body in ls -l form: the directories, then the
// files.
func listing(dirs, files []string) func(w io.Writer) error {
	return func(w io.Writer) error {
		for _, d := range dirs {
			if _, err := fmt.Fprintf(w, "drwxr-xr-x   2 ftp ftp  4096 Jan 01 12:00 %s\r\n", d); err != nil {
				return err
			}
		}
		for _, f := range files {
			if _, err := fmt.Fprintf(w, "-rw-r--r--   1 ftp ftp     5 Jan 01 12:00 %s\r\n", f); err != nil {
				return err
			}
		}
		return nil
	}
}

// A tree walk holds at most its bounds: of one directory's listing, of
// the whole tree's entries, of their paths' bytes. Each directory here
// lists a subdirectory and five files (the server lists every directory
// alike, so the tree is as deep as the walk goes). Past a bound the walk
// fails, naming it, and the connection is still good for a listing.
func TestWalkBounded(t *testing.T) {
	long := strings.Repeat("n", 10<<10)
	ctx := context.Background()
	for _, tc := range []struct {
		name                       string
		files                      []string
		maxList, maxWalk, maxBytes int
		want                       string
	}{
		{"one listing", []string{"a", "b", "c", "d", "e"}, 3, 1000, 1 << 20,
			"get -r: the server's listing of top has more than 3 entries; gftp stops there"},
		{"the tree", []string{"a", "b", "c", "d", "e"}, 100, 20, 1 << 20,
			"get -r: the server's tree under top has more than 20 entries; gftp stops there"},
		{"the paths' bytes", []string{long + "a", long + "b", long + "c", long + "d", long + "e"}, 100, 1000, 1 << 20,
			"get -r: the names in the server's tree under top take more than 1 MiB; gftp stops there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := hostileSession(t, testserver.HostileOptions{Listing: listing([]string{"sub"}, tc.files)})
			w := &treeWalk{verb: "get -r", maxList: tc.maxList, fn: func(string, ftp.Entry) error { return nil },
				held: holding{what: "the server's tree under top", maxEntries: tc.maxWalk, maxBytes: tc.maxBytes}}
			if err := s.walkTree(ctx, w, "top", 0); err == nil || err.Error() != tc.want {
				t.Errorf("walk: %v, want %q", err, tc.want)
			}
			if n := w.held.entries; n > tc.maxWalk+1 || n > 200 {
				t.Errorf("the walk took %d entries", n)
			}
			var after []string
			if err := s.main.scanEntries(ctx, "again", func(e ftp.Entry) { after = append(after, e.Name) }); err != nil || len(after) != 6 {
				t.Errorf("a listing after the walk: %d entries, %v", len(after), err)
			}
		})
	}
}

// The links listing ahead of a walk hold each listing whole: on them a
// listing past maxListEntries fails, here at the bytes' bound.
func TestListAheadBounded(t *testing.T) {
	long := strings.Repeat("n", 60<<10)
	s, _ := hostileSession(t, testserver.HostileOptions{
		Listing: func(w io.Writer) error {
			for {
				if _, err := fmt.Fprintf(w, "-rw-r--r--   1 ftp ftp     5 Jan 01 12:00 %s\r\n", long); err != nil {
					return err
				}
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s.main.walking = true // as listAhead's work has it
	defer s.main.endWalk()
	n := 0
	err := s.main.scanEntries(ctx, "d", func(ftp.Entry) { n++ })
	want := "the names in the server's listing of d take more than 256 MiB; gftp stops there"
	if err == nil || err.Error() != want {
		t.Errorf("scanEntries on a walk's link: %v, want %q", err, want)
	}
	if n > maxHeldBytes/len(long) {
		t.Errorf("fn had %d entries", n)
	}
}

// silentAfterAbort is a server whose LIST never ends and which, when the
// client stops reading, never sends the final reply either.
func silentAfterAbort(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		var data net.Listener
		br := bufio.NewReader(c)
		fmt.Fprintf(c, "220 Hello\r\n")
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch strings.ToUpper(verb) {
			case "USER":
				fmt.Fprintf(c, "331 Password\r\n")
			case "PASS":
				fmt.Fprintf(c, "230 Logged in\r\n")
			case "TYPE":
				fmt.Fprintf(c, "200 Ok\r\n")
			case "PWD":
				fmt.Fprintf(c, "257 \"/\"\r\n")
			case "PASV":
				if data, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
					return
				}
				defer data.Close()
				p := data.Addr().(*net.TCPAddr).Port
				fmt.Fprintf(c, "227 Entering Passive Mode (127,0,0,1,%d,%d)\r\n", p>>8, p&0xff)
			case "LIST":
				dc, err := data.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(c, "150 Here it comes\r\n")
				bw := bufio.NewWriter(dc)
				for {
					if _, err := bw.WriteString("-rw-r--r--   1 ftp ftp     5 Jan 01 12:00 same\r\n"); err != nil {
						break
					}
				}
				dc.Close()
				io.Copy(io.Discard, br) // and never a word more
				return
			default:
				fmt.Fprintf(c, "502 No\r\n")
			}
		}
	}()
	return ln
}

// A listing stopped at its bound, whose server does not answer the abort
// in time: the error says the connection is closed, and it is.
func TestBoundNoAnswerToAbort(t *testing.T) {
	ln := silentAfterAbort(t)
	s := New(Config{LocalDir: t.TempDir()})
	ctx := context.Background()
	if err := s.Open(ctx, "127.0.0.1", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)); err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.Login(ctx, "u", "p"); err != nil {
		t.Fatal(err)
	}
	w := &treeWalk{verb: "get -r", maxList: 1000, fn: func(string, ftp.Entry) error { return nil },
		held: holding{what: "the server's tree under d", maxEntries: 1000, maxBytes: 1 << 20}}
	err := s.walkTree(ctx, w, "d", 0)
	want := "get -r: the server's listing of d has more than 1000 entries; gftp stops there (the server did not answer the abort, and the connection is closed)"
	if err == nil || err.Error() != want {
		t.Errorf("walk: %v, want %q", err, want)
	}
	if s.Connected() {
		t.Errorf("still connected after the abort went unanswered")
	}
}

// Tab completion offers no name a terminal would act on (the candidates
// are printed, and their common prefix goes into the edit line), nor a
// tab: names a user cannot type anyway.
func TestCompleteRemoteSkipsControls(t *testing.T) {
	s, _ := hostileSession(t, testserver.HostileOptions{
		Listing: listing([]string{"evildir\x1b[2J"}, []string{"evil\x1b]0;PWNED\x07x", "evil\x1b[31mred", "evil\u202eexe.txt", "evil\ttab", "evil\xffbyte", "evilok"}),
	})
	got := s.CompleteRemote(context.Background(), "ev")
	if len(got) != 1 || got[0] != "evilok " {
		t.Errorf("CompleteRemote(%q) = %q, want [\"evilok \"]", "ev", got)
	}
	for _, c := range got {
		if safe.Visible(c) != c {
			t.Errorf("candidate %q has a control character", c)
		}
	}
}
