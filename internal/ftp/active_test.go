package ftp

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// Like vsftpd, the server connects back before it sends 150. When that
// works, the transfer goes through.
func TestActiveConnectBeforePreliminaryReply(t *testing.T) {
	payload := testPayload(64<<10, 9)
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		addr := s.expectEPRT("1")
		s.send("200 EPRT ok")
		s.expect("RETR f")
		dc := s.dial(addr, nil)
		s.send("150 Opening BINARY mode data connection")
		s.writeData(dc, payload)
		s.send("226 Transfer complete")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), Active, "f", 0, &buf); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), payload) {
		t.Errorf("got %d bytes, want %d", buf.Len(), len(payload))
	}
	c.Close()
	srv.wait()
}

// ...and when this host's firewall silently drops the server's connection,
// no reply ever comes: gftp gives up after the data timeout, not the reply
// timeout, with the firewall hint.
func TestActiveNoReplyNoConnection(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expectEPRT("1")
		s.send("200 EPRT ok")
		s.expect("STOR f")
		// Stuck connecting to the client: say nothing until it hangs up.
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.DataTimeout = 300 * time.Millisecond
	opts.ReplyTimeout = 20 * time.Second
	c := dialFake(t, srv, opts)
	start := time.Now()
	_, err := c.Store(context.Background(), Active, "f", strings.NewReader("data"))
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Store took %s with a 300ms data timeout", d)
	}
	de := wantDataConnError(t, err, Active)
	if msg := de.Error(); !strings.Contains(msg, "firewall on this host") || !strings.Contains(msg, "300ms") {
		t.Errorf("error %q lacks the timeout or the firewall hint", msg)
	}
	if !c.Closed() {
		t.Error("the control connection is out of step but still open")
	}
	srv.wait()
}
