package ftp

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A server that sends some data and then nothing, without closing: the
// transfer fails after the stall timeout instead of hanging, and says so.
func TestRetrieveStalls(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("RETR slow")
		dc := s.accept(ln)
		s.send("150 Opening")
		dc.SetWriteDeadline(time.Now().Add(fakeWait))
		if _, err := dc.Write([]byte("some")); err != nil {
			s.fail("data write: %v", err)
		}
		s.waitClosedByClient(dc)
		s.send("426 Connection closed; transfer aborted")
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.StallTimeout = 300 * time.Millisecond
	c := dialFake(t, srv, opts)
	start := time.Now()
	var buf bytes.Buffer
	n, err := c.Retrieve(context.Background(), Passive, "slow", 0, &buf)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Retrieve took %s with a 300ms stall timeout", d)
	}
	if err == nil || !strings.Contains(err.Error(), "stalled: no data moved for 300ms") {
		t.Errorf("err = %v, want a stall", err)
	}
	if n != 4 || buf.String() != "some" {
		t.Errorf("got %d bytes %q before the stall", n, buf.String())
	}
	c.Close()
	srv.wait()
}

// A slow but moving transfer is not a stall: the deadline is renewed on
// every read.
func TestRetrieveSlowIsNotStall(t *testing.T) {
	payload := testPayload(8, 7)
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("RETR slow")
		dc := s.accept(ln)
		s.send("150 Opening")
		for i := range payload {
			time.Sleep(100 * time.Millisecond) // the pace of the test, not a sync
			dc.SetWriteDeadline(time.Now().Add(fakeWait))
			if _, err := dc.Write(payload[i : i+1]); err != nil {
				s.fail("data write: %v", err)
			}
		}
		dc.Close()
		s.send("226 Transfer complete")
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.StallTimeout = 300 * time.Millisecond
	c := dialFake(t, srv, opts)
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), Passive, "slow", 0, &buf); err != nil {
		t.Fatalf("a slow transfer (800ms, moving every 100ms) failed: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), payload) {
		t.Errorf("got %q", buf.Bytes())
	}
	c.Close()
	srv.wait()
}
