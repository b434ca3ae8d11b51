package testserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

var errServerClosed = errors.New("testserver: server closed")

// sessionCounter counts ftpserverlib sessions still running, so Close can
// wait for them: ftpserverlib offers no way to wait for its goroutines.
type sessionCounter struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops to 0
}

func newSessionCounter() *sessionCounter {
	c := &sessionCounter{zero: make(chan struct{})}
	close(c.zero)

	return c
}

func (c *sessionCounter) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		c.zero = make(chan struct{})
	}
	c.n++
}

func (c *sessionCounter) done() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == 0 {
		return // unbalanced call; never go negative
	}
	c.n--
	if c.n == 0 {
		close(c.zero)
	}
}

// wait blocks until no session runs or timeout passes, and returns how many
// sessions are still running.
func (c *sessionCounter) wait(timeout time.Duration) int {
	c.mu.Lock()
	zero := c.zero
	c.mu.Unlock()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-zero:
	case <-timer.C:
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	return c.n
}

// countingListener is ftpserverlib's control listener. Each accepted
// connection starts one session, which ends with driver.ClientDisconnected.
type countingListener struct {
	net.Listener
	sessions *sessionCounter
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		// Unwrapped: ftpserverlib recognises a closed listener by its message.
		return nil, err
	}
	l.sessions.add()

	return conn, nil
}

// closerSet holds resources to close on shutdown. Once closed, anything
// added is closed at once.
type closerSet struct {
	mu     sync.Mutex
	closed bool
	items  map[io.Closer]struct{}
}

func newCloserSet() *closerSet {
	return &closerSet{items: make(map[io.Closer]struct{})}
}

// add reports false, having closed c, if the set is already closed.
func (s *closerSet) add(c io.Closer) bool {
	s.mu.Lock()
	if !s.closed {
		s.items[c] = struct{}{}
		s.mu.Unlock()

		return true
	}
	s.mu.Unlock()
	_ = c.Close()

	return false
}

func (s *closerSet) remove(c io.Closer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.items, c)
}

func (s *closerSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	items := s.items
	s.items = make(map[io.Closer]struct{})
	s.mu.Unlock()

	for c := range items {
		_ = c.Close() // errors only mean it was already closed
	}
}

// wrapListener tracks a passive listener and the data connection it accepts.
func (s *closerSet) wrapListener(ln net.Listener) (net.Listener, error) {
	if !s.add(ln) {
		return nil, errServerClosed
	}

	return &trackedListener{Listener: ln, set: s}, nil
}

// trackedListener is a passive data listener. ftpserverlib closes the
// underlying listener, not this wrapper, so it leaves the set after its one
// Accept; one left behind by an unused PASV is closed again at shutdown,
// which is harmless.
type trackedListener struct {
	net.Listener
	set *closerSet
}

func (l *trackedListener) Accept() (net.Conn, error) {
	defer l.set.remove(l.Listener)

	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, fmt.Errorf("accept data connection: %w", err)
	}
	tc := &trackedConn{Conn: conn, set: l.set}
	if !l.set.add(tc) {
		return nil, errServerClosed
	}

	return tc, nil
}

// trackedConn is a passive data connection that leaves the set when closed.
type trackedConn struct {
	net.Conn
	set *closerSet
}

func (c *trackedConn) Close() error {
	c.set.remove(c)

	// Unwrapped: ftpserverlib inspects close errors by their message.
	return c.Conn.Close()
}
