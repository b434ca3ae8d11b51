package ftp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The end of an upload when the kernel still holds much of the file: the
// server's small receive window keeps it there (SIOCOUTQ is Linux's, so
// are these tests).

// listenSmallWindow is a data listener whose connections have a receive
// buffer of a few KiB: what the server does not read stays in the
// client's send queue.
func (s *fakeSession) listenSmallWindow() net.Listener {
	s.srv.t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, 4096) })
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(s.srv.host, "0"))
	if err != nil {
		s.fail("data listen: %v", err)
	}
	s.srv.track(ln)
	return ln
}

// acceptSmallUpload greets, answers EPSV with a small-window listener,
// and takes the STOR big's data connection, with its 150.
func (s *fakeSession) acceptSmallUpload() net.Conn {
	s.send("220 Ready")
	s.expect("EPSV")
	ln := s.listenSmallWindow()
	s.epsv(ln)
	s.expect("STOR big")
	dc := s.accept(ln)
	s.send("150 Ok to send data")
	return dc
}

// waitReset waits, without reading (which would open the window), until
// the client has reset dc.
func (s *fakeSession) waitReset(dc net.Conn) {
	s.srv.t.Helper()
	rc, _ := dc.(*net.TCPConn).SyscallConn()
	for end := time.Now().Add(fakeWait); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		var info *unix.TCPInfo
		rc.Control(func(fd uintptr) { info, _ = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO) })
		if info != nil && info.State == unix.BPF_TCP_CLOSE {
			return
		}
	}
	s.fail("the client did not reset the data connection within %s", fakeWait)
}

// An upload whose last bytes stop on their way to the server (which reads
// nothing more, here) fails as a stall, after the stall timeout rather
// than the reply timeout, and the data connection is reset, so that the
// server cannot take the part for the whole file.
func TestUploadDrainStalls(t *testing.T) {
	// The stall timeout first, or with the reply timeout (their defaults
	// are the same): a stall either way, and a reset.
	for _, reply := range []time.Duration{fakeWait, 300 * time.Millisecond} {
		t.Run(reply.String(), func(t *testing.T) { testUploadDrainStalls(t, reply) })
	}
}

func testUploadDrainStalls(t *testing.T, reply time.Duration) {
	payload := testPayload(256<<10, 3)
	srv := startFake(t, func(s *fakeSession) {
		dc := s.acceptSmallUpload()
		s.waitReset(dc)
		s.send("426 Failure writing network stream")
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.StallTimeout, opts.ReplyTimeout = 300*time.Millisecond, reply
	c := dialFake(t, srv, opts)
	n, err := c.Store(context.Background(), Passive, "big", bytes.NewReader(payload))
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "last bytes stopped on their way to the server") {
		t.Errorf("Store: %d bytes, %v; want the end of the upload stalled", n, err)
	}
	c.Close()
	srv.wait()
}

// A slow server that takes in the end of the file over longer than the
// reply timeout is not timed out while its window moves: the wait for its
// 226 counts from the last progress.
func TestUploadSlowDrainNotTimedOut(t *testing.T) {
	payload := testPayload(256<<10, 4)
	var got []byte
	srv := startFake(t, func(s *fakeSession) {
		dc := s.acceptSmallUpload()
		dc.SetReadDeadline(time.Now().Add(fakeWait))
		buf := make([]byte, 8<<10)
		for {
			time.Sleep(20 * time.Millisecond) // the server's pace, not a sync
			n, err := dc.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				s.fail("data read: %v", err)
			}
		}
		dc.Close()
		// In two pieces: the rest of the reply is read with the wait
		// moved on, not the first one's, long over.
		s.send("226-Transfer complete")
		time.Sleep(30 * time.Millisecond)
		s.send("226 Bye")
		s.expectEOF()
	})
	opts := fakeOpts()
	opts.ReplyTimeout = 200 * time.Millisecond
	opts.StallTimeout = 2 * time.Second
	c := dialFake(t, srv, opts)
	start := time.Now()
	if _, err := c.Store(context.Background(), Passive, "big", bytes.NewReader(payload)); err != nil {
		t.Fatalf("Store over %s (a 200ms reply timeout): %v", time.Since(start).Round(time.Millisecond), err)
	}
	c.Close()
	srv.wait()
	if !bytes.Equal(got, payload) {
		t.Errorf("the server got %d bytes, want the %d sent", len(got), len(payload))
	}
}
