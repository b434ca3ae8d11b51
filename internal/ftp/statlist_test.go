package ftp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// StatList reads a STAT listing line by line: more lines than a reply
// may hold (maxReplyLines) arrive whole, proftpd's indented lines and
// lines carrying the code parse, other lines are skipped, and the control
// connection is in step afterwards.
func TestStatListStreams(t *testing.T) {
	const n = maxReplyLines + 2000
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("STAT .")
		var b strings.Builder
		b.WriteString("213-Status follows:\r\n")
		b.WriteString("total 8\r\n")
		b.WriteString("a line that is not an entry\r\n")
		for i := range n {
			switch i % 3 {
			case 0:
				fmt.Fprintf(&b, "-rw-r--r--    1 1002 1002 %d Dec 02 10:34 f%d\r\n", i, i)
			case 1:
				fmt.Fprintf(&b, " -rw-r--r--   1 gftp gftp %d Dec  2 10:34 f%d\r\n", i, i)
			default:
				fmt.Fprintf(&b, "213-12-02-26  10:34AM %d f%d\r\n", i, i)
			}
		}
		b.WriteString("213 End of status")
		s.send(b.String())
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	got := 0
	err := c.StatList(bg, ".", time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), func(e Entry) {
		if e.Name != fmt.Sprintf("f%d", got) || e.Size != int64(got) {
			t.Errorf("entry %d: %q with %d bytes", got, e.Name, e.Size)
		}
		got++
	})
	if err != nil || got != n {
		t.Fatalf("StatList: %d entries, %v; want %d", got, err, n)
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}

// The reply timeout bounds each line of a STAT listing, not all of it: a
// listing that comes slowly is read to its end.
func TestStatListSlow(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("STAT d")
		s.send("212-Status of d:")
		for i := range 8 {
			time.Sleep(60 * time.Millisecond)
			s.send(fmt.Sprintf(" -rw-r--r--   1 u g 1 Dec  2 10:34 f%d", i))
		}
		s.send("212 End of status")
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.ReplyTimeout = 300 * time.Millisecond // the 8 lines take 480 ms
	c := dialFake(t, srv, opts)
	got := 0
	if err := c.StatList(bg, "d", time.Now(), func(Entry) { got++ }); err != nil || got != 8 {
		t.Fatalf("StatList: %d entries, %v; want 8", got, err)
	}
	c.Close()
	srv.wait()
}

// A 1xx before the listing is read past, as for any command: the final
// reply is the listing, and the stream stays in step.
func TestStatListPreliminary(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("STAT .")
		s.send("150 Here it comes", "213-Status follows:", "-rw-r--r-- 1 u g 5 Dec 02 10:34 a", "213 End of status")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var names []string
	if err := c.StatList(bg, ".", time.Now(), func(e Entry) { names = append(names, e.Name) }); err != nil || len(names) != 1 || names[0] != "a" {
		t.Fatalf("StatList: %q, %v; want [a]", names, err)
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}

// A refusal is a ReplyError and an answer that is no listing an
// UnexpectedReplyError, with the connection in step after either.
func TestStatListRefused(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("STAT gone")
		s.send("550 No such file or directory.")
		s.expect("STAT odd")
		s.send("200 Whatever")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var re *ReplyError
	if err := c.StatList(bg, "gone", time.Now(), func(Entry) {}); !errors.As(err, &re) || re.Reply.Code != 550 {
		t.Errorf("STAT gone: %v, want the 550", err)
	}
	var ue *UnexpectedReplyError
	if err := c.StatList(bg, "odd", time.Now(), func(Entry) {}); !errors.As(err, &ue) {
		t.Errorf("STAT odd: %v, want an unexpected reply", err)
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}
