package ftp

// The end of an upload: the end of file goes to the server with a
// half-close (after TLS's close_notify), and the data connection stays
// open until the server is done with it, so that what the server still
// sends on it (TLS 1.3 session tickets) is read rather than answered with
// a reset, and so that the last bytes' way to the server can be watched.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// closeUploadWrite ends the sending half of an upload's data connection:
// close_notify first under TLS, then the TCP half-close. It reports
// whether the connection is now half-open (false: close it).
func closeUploadWrite(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		if tc.CloseWrite() != nil {
			return false
		}
		nc = tc.NetConn()
	}
	t, ok := nc.(*net.TCPConn)
	return ok && t.CloseWrite() == nil
}

// What serverDone reads of a half-closed upload's connection, at most: a
// server that sends data there is not read for ever, nor taken to have
// closed it. TLS needs room for tickets and close_notify.
const (
	uploadTailPlain = 64 << 10
	uploadTailTLS   = 1 << 20
)

// errDrainStalled: the last bytes of an upload stopped on their way to
// the server (a send queue that did not shrink for the stall timeout).
var errDrainStalled = errors.New("the upload's last bytes stopped on their way to the server")

// serverDone waits, after an upload's data and end of file went out, for
// the server to be done with the data connection: it closed its side (it
// read everything), or its final reply has begun to arrive (done true),
// or neither before w or ctx ends (false). The control connection is read
// meanwhile (a peek, which keeps the reply for readFinal); that read may
// still be in flight when this returns, and ends with replied's value:
// until then, only writes to the control connection are allowed.
//
// The kernel may hold megabytes of the file when the copy ends, which a
// slow server or link takes longer than the reply timeout to take in: so
// while the send queue shrinks, the wait goes on from the last progress,
// and when it does not shrink for the stall timeout the data connection
// is reset and stalled is errDrainStalled, as a stall in the copy would
// be. Where the queue cannot be read, w alone bounds the wait.
//
// w is the wait as it stands at the end: the reply's read goes on from the
// last progress too.
func (d *DataConn) serverDone(ctx context.Context, w *wait) (done bool, replied <-chan error, stalled error) {
	d.Conn.SetReadDeadline(w.until)
	tail := int64(uploadTailPlain)
	if _, isTLS := d.Conn.(*tls.Conn); isTLS {
		tail = uploadTailTLS
	}
	closed := make(chan bool, 1)
	go func() {
		_, err := io.CopyN(io.Discard, d.Conn, tail)
		closed <- err == io.EOF
	}()
	d.c.ctrl.SetReadDeadline(w.until)
	peeked := make(chan error, 1)
	go func() {
		_, err := d.c.br.Peek(1)
		peeked <- err
	}()
	q := d.sendQueue(w.d)
	var tick <-chan time.Time
	if q.ok {
		t := time.NewTicker(q.every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case eof := <-closed:
			if eof {
				return true, peeked, nil
			}
			closed = nil // a reset, a timeout, data: the reply decides
		case err := <-peeked:
			ch := make(chan error, 1)
			ch <- err
			if err != nil && q.ok && q.check() != queueEmpty {
				// The reply's wait ran out with bytes still on their way
				// (the two timeouts ended together): a stall all the same,
				// and the connection is reset, not closed, so that its rest
				// never reaches the server after a retry has begun.
				d.abort()
				return false, ch, d.drainStalled()
			}
			return err == nil, ch, nil
		case <-ctx.Done():
			return false, peeked, nil
		case <-tick:
			switch q.check() {
			case queueMoved:
				// The server cannot answer before it has the whole file:
				// its reply's wait counts from the last progress.
				w.until = time.Now().Add(w.d)
				d.Conn.SetReadDeadline(w.until)
				d.c.ctrl.SetReadDeadline(w.until)
			case queueEmpty:
				tick = nil
			case queueStuck:
				d.abort()                                 // the server must not take a part for the whole
				d.c.ctrl.SetReadDeadline(time.Unix(1, 0)) // end the peek
				return false, peeked, d.drainStalled()
			}
		}
	}
}

func (d *DataConn) drainStalled() error {
	return fmt.Errorf("%w: %w (no progress for %s)", ErrStalled, errDrainStalled, d.c.opts.StallTimeout)
}

// sendQueue watches the kernel's send queue of an upload's connection.
type sendQueue struct {
	tc    *net.TCPConn
	ok    bool          // the queue can be read here
	every time.Duration // how often to look
	stall time.Duration
	last  int       // bytes in it when last looked
	moved time.Time // when it last shrank
}

type queueState int

const (
	queueMoved queueState = iota // it shrank
	queueSame                    // it did not, for less than the stall timeout
	queueEmpty                   // the server's TCP has every byte (or the queue is gone)
	queueStuck                   // it did not shrink for the stall timeout
)

func (d *DataConn) sendQueue(replyWait time.Duration) *sendQueue {
	q := &sendQueue{stall: d.c.opts.StallTimeout, moved: time.Now()}
	tc, ok := rawTCP(d.Conn)
	if !ok {
		return q
	}
	n, ok := unsent(tc)
	if !ok || n == 0 {
		return q
	}
	// Often enough to tell a stall within a quarter of its timeout, and
	// progress well before the reply's runs out; not so often as to cost
	// anything when the end is near anyway.
	q.tc, q.ok, q.last = tc, true, n
	q.every = min(max(min(q.stall, replyWait)/4, 10*time.Millisecond), 250*time.Millisecond)
	return q
}

func (q *sendQueue) check() queueState {
	n, ok := unsent(q.tc)
	switch {
	case !ok || n == 0:
		return queueEmpty
	case n < q.last:
		q.last, q.moved = n, time.Now()
		return queueMoved
	case time.Since(q.moved) >= q.stall:
		return queueStuck
	}
	return queueSame
}
