package ftp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests below run the engine against a scripted fake server: a
// listener on a loopback address whose one control connection is served by
// a script, a func that reads the client's command lines and answers them
// in order. The script runs in its own goroutine; a deviation from the
// script fails the test and ends the goroutine. Every command line the
// server receives is recorded.

// fakeWait bounds every wait in these tests, so that a hang fails fast.
const fakeWait = 5 * time.Second

// bg is the context of calls that nothing interrupts.
var bg = context.Background()

// fakeOpts are client options for tests that do not test a timeout: short
// enough that a missed step fails in seconds, not minutes.
func fakeOpts() Options {
	return Options{ConnectTimeout: fakeWait, ReplyTimeout: fakeWait, DataTimeout: fakeWait}
}

type fakeServer struct {
	t    *testing.T
	ln   net.Listener
	addr string // host:port to dial
	host string // "127.0.0.1" or "::1"; data listeners use it too
	done chan struct{}

	mu      sync.Mutex
	cmds    []string
	closers []io.Closer
	closed  bool
}

// fakeSession is the server side of the one control connection.
type fakeSession struct {
	srv *fakeServer
	c   net.Conn
	br  *bufio.Reader
}

func startFake(t *testing.T, script func(s *fakeSession)) *fakeServer {
	t.Helper()
	return startFakeOn(t, "127.0.0.1", script)
}

func startFakeOn(t *testing.T, host string, script func(s *fakeSession)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("fake server: listen: %v", err)
	}
	srv := &fakeServer{t: t, ln: ln, addr: ln.Addr().String(), host: host, done: make(chan struct{})}
	go srv.run(script)
	t.Cleanup(func() {
		srv.closeAll()
		select {
		case <-srv.done:
		case <-time.After(fakeWait):
			t.Errorf("fake server script did not finish")
		}
	})
	return srv
}

func (srv *fakeServer) run(script func(s *fakeSession)) {
	defer close(srv.done)
	nc, err := srv.ln.Accept()
	srv.ln.Close() // one control connection per test
	if err != nil {
		return
	}
	srv.track(nc)
	s := &fakeSession{srv: srv, c: nc, br: bufio.NewReader(nc)}
	defer nc.Close()
	script(s)
}

// track registers c to be closed when the test ends.
func (srv *fakeServer) track(c io.Closer) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closed {
		c.Close()
		return
	}
	srv.closers = append(srv.closers, c)
}

func (srv *fakeServer) closeAll() {
	srv.ln.Close()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.closed = true
	for _, c := range srv.closers {
		c.Close()
	}
}

// wait waits for the script to finish and returns the commands received.
func (srv *fakeServer) wait() []string {
	srv.t.Helper()
	select {
	case <-srv.done:
	case <-time.After(fakeWait):
		srv.t.Fatalf("fake server script did not finish")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return slices.Clone(srv.cmds)
}

func (s *fakeSession) fail(format string, args ...any) {
	s.srv.t.Helper()
	s.srv.t.Errorf("fake server: "+format, args...)
	s.srv.closeAll() // so that a client blocked on us fails instead of hanging
	runtime.Goexit()
}

// send writes reply lines, each followed by CR LF, in one write.
func (s *fakeSession) send(lines ...string) {
	s.srv.t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	s.c.SetWriteDeadline(time.Now().Add(fakeWait))
	if _, err := io.WriteString(s.c, b.String()); err != nil {
		s.fail("send %q: %v", lines, err)
	}
}

// next reads and records one command line within d.
func (s *fakeSession) next(d time.Duration) (string, error) {
	s.srv.t.Helper()
	s.c.SetReadDeadline(time.Now().Add(d))
	line, err := s.br.ReadString('\n')
	if err != nil {
		if line != "" {
			s.fail("partial command line %q: %v", line, err)
		}
		return "", err
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	s.srv.mu.Lock()
	s.srv.cmds = append(s.srv.cmds, line)
	s.srv.mu.Unlock()
	return line, nil
}

func (s *fakeSession) read() string {
	s.srv.t.Helper()
	line, err := s.next(fakeWait)
	if err != nil {
		s.fail("waiting for a command: %v", err)
	}
	return line
}

func (s *fakeSession) expect(want string) {
	s.srv.t.Helper()
	if got := s.read(); got != want {
		s.fail("got command %q, want %q", got, want)
	}
}

// expectEOF waits for the client to close the control connection and
// fails if it sends anything first.
func (s *fakeSession) expectEOF() {
	s.srv.t.Helper()
	line, err := s.next(fakeWait)
	var ne net.Error
	switch {
	case err == nil:
		s.fail("unexpected command %q; want the client to close the connection", line)
	case errors.As(err, &ne) && ne.Timeout():
		s.fail("the client did not close the connection within %s", fakeWait)
	}
}

// silence stays silent for d and fails if the client sends anything
// meanwhile: it plays a server busy with something else.
func (s *fakeSession) silence(d time.Duration) {
	s.srv.t.Helper()
	line, err := s.next(d)
	var ne net.Error
	switch {
	case err == nil:
		s.fail("unexpected command %q while silent", line)
	case !errors.As(err, &ne) || !ne.Timeout():
		s.fail("connection lost while silent: %v", err)
	}
}

// listenData opens a data listener on the server's host.
func (s *fakeSession) listenData() net.Listener {
	s.srv.t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(s.srv.host, "0"))
	if err != nil {
		s.fail("data listen: %v", err)
	}
	s.srv.track(ln)
	return ln
}

func (s *fakeSession) accept(ln net.Listener) net.Conn {
	s.srv.t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(fakeWait))
	nc, err := ln.Accept()
	if err != nil {
		s.fail("data accept: %v", err)
	}
	s.srv.track(nc)
	return nc
}

// dial connects to the client's data port, from local when it is set.
func (s *fakeSession) dial(addr string, local net.Addr) net.Conn {
	s.srv.t.Helper()
	d := net.Dialer{Timeout: fakeWait, LocalAddr: local}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		s.fail("data dial %s: %v", addr, err)
	}
	s.srv.track(nc)
	return nc
}

// writeData writes data to dc and closes it.
func (s *fakeSession) writeData(dc net.Conn, data []byte) {
	s.srv.t.Helper()
	dc.SetWriteDeadline(time.Now().Add(fakeWait))
	if _, err := dc.Write(data); err != nil {
		s.fail("data write: %v", err)
	}
	dc.Close()
}

// readData reads dc to its end and closes it.
func (s *fakeSession) readData(dc net.Conn) []byte {
	s.srv.t.Helper()
	dc.SetReadDeadline(time.Now().Add(fakeWait))
	b, err := io.ReadAll(dc)
	if err != nil {
		s.fail("data read: %v", err)
	}
	dc.Close()
	return b
}

// waitClosedByClient waits for the client to close dc, writing nothing.
func (s *fakeSession) waitClosedByClient(dc net.Conn) {
	s.srv.t.Helper()
	dc.SetReadDeadline(time.Now().Add(fakeWait))
	var buf [64]byte
	for {
		n, err := dc.Read(buf[:])
		if n > 0 {
			s.fail("client sent %q on a download's data connection", buf[:n])
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.fail("the client did not close the data connection within %s", fakeWait)
		}
		if err != nil {
			return // EOF or reset: closed
		}
	}
}

func fakePort(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

func (s *fakeSession) epsv(ln net.Listener) {
	s.srv.t.Helper()
	s.send(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", fakePort(ln)))
}

// pasv answers PASV with an IPv4 address, which need not be the server's.
func (s *fakeSession) pasv(ip string, port int) {
	s.srv.t.Helper()
	s.send(fmt.Sprintf("227 Entering Passive Mode (%s,%d,%d).", strings.ReplaceAll(ip, ".", ","), port>>8, port&0xff))
}

// passiveDownload serves cmd on a data connection accepted from ln and
// returns that connection (closed) so the test can look at its addresses.
func (s *fakeSession) passiveDownload(ln net.Listener, cmd string, data []byte) net.Conn {
	s.srv.t.Helper()
	s.expect(cmd)
	dc := s.accept(ln)
	s.send("150 Opening BINARY mode data connection")
	s.writeData(dc, data)
	s.send("226 Transfer complete")
	return dc
}

func (s *fakeSession) passiveUpload(ln net.Listener, cmd string) []byte {
	s.srv.t.Helper()
	s.expect(cmd)
	dc := s.accept(ln)
	s.send("150 Ok to send data")
	b := s.readData(dc)
	s.send("226 Transfer complete")
	return b
}

// expectEPRT reads an EPRT command with protocol proto and returns the
// address it carries as host:port.
func (s *fakeSession) expectEPRT(proto string) string {
	s.srv.t.Helper()
	line := s.read()
	arg, ok := strings.CutPrefix(line, "EPRT ")
	parts := strings.Split(arg, "|")
	if !ok || len(parts) != 5 || parts[0] != "" || parts[4] != "" || parts[1] != proto {
		s.fail("got %q, want EPRT |%s|host|port|", line, proto)
	}
	if p, err := strconv.Atoi(parts[3]); err != nil || p < 1 || p > 65535 {
		s.fail("EPRT port in %q", line)
	}
	return net.JoinHostPort(parts[2], parts[3])
}

var fakePORTRe = regexp.MustCompile(`^PORT (\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})$`)

// expectPORT reads a PORT command and returns its address as host:port.
func (s *fakeSession) expectPORT() string {
	s.srv.t.Helper()
	line := s.read()
	m := fakePORTRe.FindStringSubmatch(line)
	if m == nil {
		s.fail("got %q, want PORT h1,h2,h3,h4,p1,p2", line)
	}
	var n [6]int
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
		if n[i] > 255 {
			s.fail("PORT number out of range in %q", line)
		}
	}
	return net.JoinHostPort(fmt.Sprintf("%d.%d.%d.%d", n[0], n[1], n[2], n[3]), strconv.Itoa(n[4]<<8|n[5]))
}

// activeDownload serves cmd by connecting to the client at addr.
func (s *fakeSession) activeDownload(addr, cmd string, data []byte) net.Conn {
	s.srv.t.Helper()
	s.expect(cmd)
	s.send("150 Opening BINARY mode data connection")
	dc := s.dial(addr, nil)
	s.writeData(dc, data)
	s.send("226 Transfer complete")
	return dc
}

// dialFake dials srv and closes the client when the test ends (before the
// server's own cleanup, which waits for the script).
func dialFake(t *testing.T, srv *fakeServer, opts Options) *Conn {
	t.Helper()
	c, _, err := Dial(context.Background(), srv.addr, opts)
	if err != nil {
		t.Fatalf("Dial %s: %v", srv.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// replyLog records the codes of the replies the client reads.
type replyLog struct {
	mu    sync.Mutex
	codes []int
}

func (l *replyLog) add(r *Reply) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes = append(l.codes, r.Code)
}

func (l *replyLog) get() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.codes)
}

func testPayload(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

func wantReplyError(t *testing.T, err error, code int, command string) *ReplyError {
	t.Helper()
	var re *ReplyError
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *ReplyError", err, err)
	}
	if re.Reply.Code != code || re.Command != command {
		t.Fatalf("ReplyError = {Command %q, Code %d}, want {%q, %d}", re.Command, re.Reply.Code, command, code)
	}
	return re
}

func wantDataConnError(t *testing.T, err error, mode DataMode) *DataConnError {
	t.Helper()
	var de *DataConnError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DataConnError", err, err)
	}
	if de.Mode != mode {
		t.Fatalf("DataConnError.Mode = %v, want %v (error: %v)", de.Mode, mode, err)
	}
	return de
}

func wantCmds(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("server received\n\t%q\nwant\n\t%q", got, want)
	}
}

// wantNOOP checks that the control stream is in step: NOOP gets its 200.
func wantNOOP(t *testing.T, c *Conn) {
	t.Helper()
	r, err := c.Cmd(bg, "NOOP")
	if err != nil {
		t.Fatalf("NOOP: %v", err)
	}
	if r.Code != 200 {
		t.Fatalf("NOOP reply %q, want 200 (control stream out of step)", r)
	}
}

// ---- Dial ----

func TestDialGreeting(t *testing.T) {
	tests := []struct {
		name      string
		greeting  []string
		wantLines []string
		wantCodes []int // all replies read, as OnReply sees them
	}{
		{
			name:      "multi-line 220",
			greeting:  []string{"220-Welcome to the fake server", "220-Second line", "  indented text", "220 Ready"},
			wantLines: []string{"220-Welcome to the fake server", "220-Second line", "  indented text", "220 Ready"},
			wantCodes: []int{220, 221},
		},
		{
			name:      "120 then 220",
			greeting:  []string{"120 Service ready in 1 minute", "220-Now ready", "220 Go ahead"},
			wantLines: []string{"220-Now ready", "220 Go ahead"},
			wantCodes: []int{120, 220, 221},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send(tc.greeting...)
				s.expect("QUIT")
				s.send("221 Goodbye")
				s.expectEOF()
			})
			var log replyLog
			opts := fakeOpts()
			opts.OnReply = log.add
			c, greeting, err := Dial(context.Background(), srv.addr, opts)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			t.Cleanup(func() { c.Close() })
			if greeting.Code != 220 || !slices.Equal(greeting.Lines, tc.wantLines) {
				t.Errorf("greeting = %d %q, want 220 %q", greeting.Code, greeting.Lines, tc.wantLines)
			}
			if c.Closed() {
				t.Error("Closed() after a good greeting")
			}
			if got := c.RemoteAddr().String(); got != srv.addr {
				t.Errorf("RemoteAddr = %s, want %s", got, srv.addr)
			}
			if err := c.Quit(bg); err != nil {
				t.Errorf("Quit: %v", err)
			}
			if !c.Closed() {
				t.Error("not Closed() after Quit")
			}
			wantCmds(t, srv.wait(), "QUIT")
			if got := log.get(); !slices.Equal(got, tc.wantCodes) {
				t.Errorf("replies read %v, want %v", got, tc.wantCodes)
			}
		})
	}
}

func TestDialRefusedGreeting(t *testing.T) {
	for _, code := range []int{421, 530, 120} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				if code == 120 {
					s.send("120 Wait", "421 Gave up waiting")
				} else {
					s.send(fmt.Sprintf("%d-Not now", code), fmt.Sprintf("%d Go away", code))
				}
				s.expectEOF() // the client hangs up
			})
			c, greeting, err := Dial(context.Background(), srv.addr, fakeOpts())
			if c != nil {
				c.Close()
				t.Fatal("Dial returned a Conn for a refused greeting")
			}
			want := code
			if code == 120 {
				want = 421
			}
			re := wantReplyError(t, err, want, "connect")
			if greeting == nil || greeting.Code != want {
				t.Errorf("greeting = %v, want the %d reply", greeting, want)
			}
			if re.Temporary() != (want/100 == 4) {
				t.Errorf("Temporary() = %v for %d", re.Temporary(), want)
			}
			wantCmds(t, srv.wait())
		})
	}
}

func TestDialClosedPort(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(refusingPort(t)))
	start := time.Now()
	c, _, err := Dial(context.Background(), addr, Options{ConnectTimeout: 3 * time.Second})
	elapsed := time.Since(start)
	if err == nil {
		c.Close()
		t.Fatalf("Dial %s succeeded on a closed port", addr)
	}
	// In words, without Go's "dial tcp ...: connect:" around the reason.
	_, port, _ := net.SplitHostPort(addr)
	if want := "cannot connect to 127.0.0.1 port " + port + ": connection refused"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if elapsed > time.Second {
		t.Errorf("Dial to a closed port took %s", elapsed)
	}
}

// ---- Cmd and Read ----

func TestCmdReplyErrors(t *testing.T) {
	tests := []struct {
		cmd       string
		reply     []string
		code      int
		verb      string // ReplyError.Command; "" means no error
		temporary bool
		msg       string // ReplyError.Error()
	}{
		{cmd: "MKD new", reply: []string{`257 "/new" created`}, code: 257},
		{cmd: "DELE busy", reply: []string{"450 File busy"}, code: 450, verb: "DELE", temporary: true, msg: "450 File busy"},
		{cmd: "dele gone", reply: []string{"550 No such file"}, code: 550, verb: "DELE", msg: "550 No such file"},
		{cmd: "SITE CHMOD 644 x", reply: []string{"502 Not implemented"}, code: 502, verb: "SITE", msg: "502 Not implemented"},
		{cmd: "RNFR a", reply: []string{"350 Ready for RNTO"}, code: 350},
		{cmd: "CWD x", reply: []string{"550-No such", "  directory", "550 here"}, code: 550, verb: "CWD", msg: "550 No such directory here"},
		{cmd: "STAT", reply: []string{"451-Local", "451 error"}, code: 451, verb: "STAT", temporary: true, msg: "451 Local error"},
	}
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		for _, tc := range tests {
			s.expect(tc.cmd)
			s.send(tc.reply...)
		}
		s.expect("NOOP")
		s.send("200 NOOP ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	for _, tc := range tests {
		r, err := c.Cmd(bg, tc.cmd)
		if r == nil || r.Code != tc.code {
			t.Errorf("Cmd(%q) reply %v, want code %d", tc.cmd, r, tc.code)
		}
		if tc.verb == "" {
			if err != nil {
				t.Errorf("Cmd(%q): %v", tc.cmd, err)
			}
			continue
		}
		var re *ReplyError
		if !errors.As(err, &re) {
			t.Errorf("Cmd(%q) error %v (%T), want *ReplyError", tc.cmd, err, err)
			continue
		}
		if re.Command != tc.verb || re.Reply.Code != tc.code || re.Temporary() != tc.temporary {
			t.Errorf("Cmd(%q): ReplyError{Command %q, Code %d, Temporary %v}, want {%q, %d, %v}",
				tc.cmd, re.Command, re.Reply.Code, re.Temporary(), tc.verb, tc.code, tc.temporary)
		}
		if err.Error() != tc.msg {
			t.Errorf("Cmd(%q) error %q, want %q", tc.cmd, err, tc.msg)
		}
		if errors.Is(err, ErrClosed) || c.Closed() {
			t.Errorf("Cmd(%q): a %d closed the connection", tc.cmd, tc.code)
		}
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}

func TestCmd421(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("NOOP")
		s.send("421 Service not available, closing control connection")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	r, err := c.Cmd(bg, "NOOP")
	if r == nil || r.Code != 421 {
		t.Errorf("reply %v, want 421", r)
	}
	re := wantReplyError(t, err, 421, "NOOP")
	if !re.Temporary() {
		t.Error("421 is not Temporary()")
	}
	if !errors.Is(err, ErrClosed) {
		t.Errorf("error %v is not ErrClosed", err)
	}
	if !c.Closed() {
		t.Error("not Closed() after 421")
	}
	// The client hung up after the 421 (expectEOF) and sends nothing more.
	if _, err := c.Cmd(bg, "PWD"); !errors.Is(err, ErrClosed) {
		t.Errorf("Cmd after 421: %v, want ErrClosed", err)
	}
	wantCmds(t, srv.wait(), "NOOP")
}

func TestServerClosesConnection(t *testing.T) {
	t.Run("mid-session", func(t *testing.T) {
		srv := startFake(t, func(s *fakeSession) {
			s.send("220 Ready")
			s.expect("NOOP")
			s.send("200 Ok")
			s.expect("PWD")
			// Hang up without answering.
		})
		c := dialFake(t, srv, fakeOpts())
		wantNOOP(t, c)
		r, err := c.Cmd(bg, "PWD")
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Cmd(PWD) = %v, %v; want an ErrClosed error", r, err)
		}
		if !strings.Contains(err.Error(), "closed") {
			t.Errorf("error %q does not say the connection closed", err)
		}
		if !c.Closed() {
			t.Error("not Closed()")
		}
		if _, err := c.Cmd(bg, "NOOP"); !errors.Is(err, ErrClosed) {
			t.Errorf("second Cmd: %v, want ErrClosed", err)
		}
		wantCmds(t, srv.wait(), "NOOP", "PWD")
	})
	t.Run("while idle", func(t *testing.T) {
		srv := startFake(t, func(s *fakeSession) {
			s.send("220 Ready")
		})
		c := dialFake(t, srv, fakeOpts())
		srv.wait() // the server has hung up
		_, err := c.Cmd(bg, "NOOP")
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Cmd(NOOP) after the server hung up: %v, want ErrClosed", err)
		}
		if !c.Closed() {
			t.Error("not Closed()")
		}
	})
}

func TestReplyTimeout(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("NOOP")
		s.expectEOF() // silent until the client gives up
	})
	opts := fakeOpts()
	opts.ReplyTimeout = 200 * time.Millisecond
	c := dialFake(t, srv, opts)
	start := time.Now()
	_, err := c.Cmd(bg, "NOOP")
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("Cmd succeeded against a silent server")
	}
	if !strings.Contains(err.Error(), "200ms") || !strings.Contains(err.Error(), "no reply") {
		t.Errorf("error %q does not mention the 200ms reply timeout", err)
	}
	if !errors.Is(err, ErrClosed) || !c.Closed() {
		t.Errorf("after a reply timeout: error %v, Closed() %v; want ErrClosed and closed", err, c.Closed())
	}
	if elapsed < 200*time.Millisecond || elapsed > 1500*time.Millisecond {
		t.Errorf("reply timeout took %s, want about 200ms", elapsed)
	}
	wantCmds(t, srv.wait(), "NOOP")
}

// ---- Send and Login ----

func TestSendRejectsControlCharacters(t *testing.T) {
	var received []byte
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.c.SetReadDeadline(time.Now().Add(fakeWait))
		b, err := io.ReadAll(s.c) // everything until the client hangs up
		received = b
		if err != nil {
			s.fail("read: %v (received %q)", err, b)
		}
	})
	var sent []string
	opts := fakeOpts()
	opts.OnSend = func(line string) { sent = append(sent, line) }
	c := dialFake(t, srv, opts)
	bad := []string{"NOOP\r\nDELE x", "RETR a\nb", "CWD a\x00b", "STOR a\rb", "\n", "PASS secret\r\n"}
	for _, line := range bad {
		if err := c.Send(bg, line); err == nil || !strings.Contains(err.Error(), "control character") {
			t.Errorf("Send(%q) = %v, want a control character error", line, err)
		}
		if _, err := c.Cmd(bg, line); err == nil {
			t.Errorf("Cmd(%q) succeeded", line)
		}
		if dc, err := c.OpenData(context.Background(), Passive, line, 0); err == nil {
			dc.Close()
			t.Errorf("OpenData(%q) succeeded", line)
		}
		if dc, err := c.OpenData(context.Background(), Active, line, 0); err == nil {
			dc.Close()
			t.Errorf("OpenData(Active, %q) succeeded", line)
		}
	}
	called := false
	if err := c.Login(bg, "anna\r\nDELE x", func() (string, error) { called = true; return "pw", nil }); err == nil {
		t.Error("Login with CR LF in the user name succeeded")
	}
	if called {
		t.Error("pass func called")
	}
	if c.Closed() {
		t.Error("a rejected line closed the connection")
	}
	c.Close()
	srv.wait()
	if len(received) != 0 {
		t.Errorf("server received %q, want nothing", received)
	}
	if len(sent) != 0 {
		t.Errorf("OnSend saw %q, want nothing", sent)
	}
}

func TestLogin(t *testing.T) {
	type exchange struct{ cmd, reply string }
	tests := []struct {
		name      string
		password  string
		passErr   error
		script    []exchange
		wantPass  int      // times the pass func is called
		wantSent  []string // as OnSend sees them
		wantCode  int      // ReplyError code; 0: no ReplyError
		wantVerb  string
		wantErr   string // substring of the error; "" with wantCode 0: success
		wantNoErr bool
	}{
		{
			name:      "230 after USER, no password asked",
			script:    []exchange{{"USER anna", "230 Logged in without a password"}},
			wantSent:  []string{"USER anna"},
			wantNoErr: true,
		},
		{
			name:      "331 PASS 230",
			password:  "s3cret pw",
			script:    []exchange{{"USER anna", "331 Password required"}, {"PASS s3cret pw", "230 Logged in"}},
			wantPass:  1,
			wantSent:  []string{"USER anna", "PASS ****"},
			wantNoErr: true,
		},
		{
			name:      "202 after PASS",
			password:  "pw",
			script:    []exchange{{"USER anna", "331 Password required"}, {"PASS pw", "202 Already logged in"}},
			wantPass:  1,
			wantSent:  []string{"USER anna", "PASS ****"},
			wantNoErr: true,
		},
		{
			name:     "530 after PASS",
			password: "wrong",
			script:   []exchange{{"USER anna", "331 Password required"}, {"PASS wrong", "530 Login incorrect"}},
			wantPass: 1,
			wantSent: []string{"USER anna", "PASS ****"},
			wantCode: 530, wantVerb: "PASS",
		},
		{
			name:     "530 after USER",
			script:   []exchange{{"USER anna", "530 No such user"}},
			wantSent: []string{"USER anna"},
			wantCode: 530, wantVerb: "USER",
		},
		{
			name:     "332 after PASS",
			password: "pw",
			script:   []exchange{{"USER anna", "331 Password required"}, {"PASS pw", "332 Need account for login"}},
			wantPass: 1,
			wantSent: []string{"USER anna", "PASS ****"},
			wantErr:  "ACCT",
		},
		{
			name:     "332 after USER",
			script:   []exchange{{"USER anna", "332 Need account for login"}},
			wantSent: []string{"USER anna"},
			wantErr:  "ACCT",
		},
		{
			name:     "pass func fails",
			passErr:  errors.New("no terminal"),
			script:   []exchange{{"USER anna", "331 Password required"}},
			wantPass: 1,
			wantSent: []string{"USER anna"},
			wantErr:  "no terminal",
		},
		{
			// The password must not show up in the error (nor be sent).
			name:     "password with a line break",
			password: "se\r\nDELE cret",
			script:   []exchange{{"USER anna", "331 Password required"}},
			wantPass: 1,
			wantSent: []string{"USER anna"},
			wantErr:  "control character",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				for _, x := range tc.script {
					s.expect(x.cmd)
					s.send(x.reply)
				}
				s.expectEOF()
			})
			var sent []string
			opts := fakeOpts()
			opts.OnSend = func(line string) { sent = append(sent, line) }
			c := dialFake(t, srv, opts)
			calls := 0
			err := c.Login(bg, "anna", func() (string, error) {
				calls++
				return tc.password, tc.passErr
			})
			c.Close()
			var want []string
			for _, x := range tc.script {
				want = append(want, x.cmd)
			}
			wantCmds(t, srv.wait(), want...)
			if calls != tc.wantPass {
				t.Errorf("pass func called %d times, want %d", calls, tc.wantPass)
			}
			if !slices.Equal(sent, tc.wantSent) {
				t.Errorf("OnSend saw %q, want %q", sent, tc.wantSent)
			}
			switch {
			case tc.wantNoErr:
				if err != nil {
					t.Fatalf("Login: %v", err)
				}
				return
			case tc.wantCode != 0:
				wantReplyError(t, err, tc.wantCode, tc.wantVerb)
			case err == nil:
				t.Fatalf("Login succeeded, want an error containing %q", tc.wantErr)
			case !strings.Contains(err.Error(), tc.wantErr):
				t.Errorf("Login error %q does not contain %q", err, tc.wantErr)
			}
			if tc.passErr != nil && !errors.Is(err, tc.passErr) {
				t.Errorf("Login error %v does not wrap the pass func's error", err)
			}
			if tc.password != "" && strings.Contains(err.Error(), "cret") {
				t.Errorf("Login error %q shows the password", err)
			}
		})
	}
}

// ---- FEAT ----

func TestFeatures(t *testing.T) {
	tests := []struct {
		name  string
		reply []string
		want  map[string]string
	}{
		{
			name: "211 multi-line",
			reply: []string{
				"211-Extensions supported:",
				" MLSD",
				" REST STREAM",
				" SIZE",
				" mdtm",
				" MLST type*;size*;modify*;",
				" UTF8",
				"211 End",
			},
			want: map[string]string{
				"MLSD": "", "REST": "STREAM", "SIZE": "", "MDTM": "",
				"MLST": "type*;size*;modify*;", "UTF8": "",
			},
		},
		{name: "211 single line", reply: []string{"211 No features"}, want: map[string]string{}},
		{name: "500", reply: []string{"500 FEAT not understood"}, want: map[string]string{}},
		{name: "502", reply: []string{"502 Command not implemented"}, want: map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("FEAT")
				s.send(tc.reply...)
				s.expect("NOOP")
				s.send("200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			got, err := c.Features(bg)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("Features() = nil, want a map")
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("Features() = %v, want %v", got, tc.want)
			}
			if again, _ := c.Features(bg); fmt.Sprint(again) != fmt.Sprint(tc.want) {
				t.Errorf("second Features() = %v", again)
			}
			wantNOOP(t, c)
			c.Close()
			wantCmds(t, srv.wait(), "FEAT", "NOOP") // FEAT asked once
		})
	}
}

// ---- Passive mode ----

func TestPassiveEPSVTransfers(t *testing.T) {
	retr := testPayload(300<<10, 1)
	listing := []byte("-rw-r--r--   1 ftp ftp   42 Jan 01 12:00 a.txt\r\ndrwxr-xr-x   2 ftp ftp 4096 Jan 01 12:00 dir\r\n")
	stor := testPayload(200<<10+7, 2)
	var (
		retrConn net.Conn
		retrLn   net.Listener
		stored   []byte
	)
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")

		s.expect("EPSV")
		retrLn = s.listenData()
		s.epsv(retrLn)
		retrConn = s.passiveDownload(retrLn, "RETR dir/file.bin", retr)

		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.passiveDownload(ln, "LIST -la", listing)

		s.expect("EPSV")
		ln = s.listenData()
		s.epsv(ln)
		stored = s.passiveUpload(ln, "STOR up.bin")

		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	var log replyLog
	opts := fakeOpts()
	opts.OnReply = log.add
	c := dialFake(t, srv, opts)
	ctx := context.Background()

	var buf bytes.Buffer
	n, err := c.Retrieve(ctx, Passive, "dir/file.bin", 0, &buf)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if n != int64(len(retr)) || !bytes.Equal(buf.Bytes(), retr) {
		t.Errorf("Retrieve got %d bytes (equal: %v), want %d", n, bytes.Equal(buf.Bytes(), retr), len(retr))
	}
	if codes := log.get(); codes[len(codes)-1] != 226 {
		t.Errorf("replies %v: Retrieve did not read the 226", codes)
	}

	buf.Reset()
	n, err = c.List(ctx, Passive, "LIST", "-la", &buf)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if n != int64(len(listing)) || buf.String() != string(listing) {
		t.Errorf("List got %d bytes %q, want %q", n, buf.String(), listing)
	}

	n, err = c.Store(ctx, Passive, "up.bin", bytes.NewReader(stor))
	if err != nil {
		t.Fatalf("Store: %v", err)
	}
	if n != int64(len(stor)) {
		t.Errorf("Store reported %d bytes, want %d", n, len(stor))
	}
	wantNOOP(t, c)
	c.Close()
	wantCmds(t, srv.wait(), "EPSV", "RETR dir/file.bin", "EPSV", "LIST -la", "EPSV", "STOR up.bin", "NOOP")
	if !bytes.Equal(stored, stor) {
		t.Errorf("server stored %d bytes, want the %d sent (equal: false)", len(stored), len(stor))
	}
	wantCodes := []int{220, 229, 150, 226, 229, 150, 226, 229, 150, 226, 200}
	if got := log.get(); !slices.Equal(got, wantCodes) {
		t.Errorf("replies read %v, want %v", got, wantCodes)
	}
	// The client dialed the control peer's address at the EPSV port.
	if got, want := retrConn.LocalAddr().String(), retrLn.Addr().String(); got != want {
		t.Errorf("data connection reached %s, want %s", got, want)
	}
	if ip := retrConn.RemoteAddr().(*net.TCPAddr).IP.String(); ip != "127.0.0.1" {
		t.Errorf("data connection came from %s", ip)
	}
}

func TestPassiveEPSVRefused(t *testing.T) {
	tests := []struct {
		name     string
		refusal  string
		wantMemo bool // the next OpenData goes straight to PASV
	}{
		{name: "500 sets the memo", refusal: "500 EPSV not understood", wantMemo: true},
		{name: "502 sets the memo", refusal: "502 Command not implemented", wantMemo: true},
		{name: "4xx does not", refusal: "425 Cannot open passive connection now", wantMemo: false},
	}
	first := []byte("first file contents\n")
	second := []byte("a.txt\r\nb.txt\r\n")
	third := []byte("third")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("EPSV")
				s.send(tc.refusal)
				s.expect("PASV")
				ln := s.listenData()
				s.pasv("127.0.0.1", fakePort(ln))
				s.passiveDownload(ln, "RETR a", first)

				ln = s.listenData()
				if tc.wantMemo {
					s.expect("PASV")
					s.pasv("127.0.0.1", fakePort(ln))
				} else {
					s.expect("EPSV")
					s.epsv(ln)
				}
				s.passiveDownload(ln, "NLST", second)

				ln = s.listenData()
				if tc.wantMemo {
					s.expect("PASV")
					s.pasv("127.0.0.1", fakePort(ln))
				} else {
					s.expect("EPSV")
					s.epsv(ln)
				}
				s.passiveDownload(ln, "RETR c", third)
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			ctx := context.Background()
			var buf bytes.Buffer
			if _, err := c.Retrieve(ctx, Passive, "a", 0, &buf); err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), first) {
				t.Errorf("Retrieve got %q, want %q", buf.Bytes(), first)
			}
			buf.Reset()
			if _, err := c.List(ctx, Passive, "NLST", "", &buf); err != nil {
				t.Fatalf("List: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), second) {
				t.Errorf("List got %q, want %q", buf.Bytes(), second)
			}
			buf.Reset()
			if _, err := c.Retrieve(ctx, Passive, "c", 0, &buf); err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), third) {
				t.Errorf("Retrieve got %q, want %q", buf.Bytes(), third)
			}
			c.Close()
			second := "EPSV"
			if tc.wantMemo {
				second = "PASV"
			}
			wantCmds(t, srv.wait(), "EPSV", "PASV", "RETR a", second, "NLST", second, "RETR c")
		})
	}
}

// A PASV reply naming another address is not trusted: the client dials the
// control connection's peer at the advertised port. The data listener is on
// 127.0.0.1 only, so dialing 127.0.0.2 (also loopback on Linux) would fail.
func TestPassivePASVAddressReplaced(t *testing.T) {
	for _, adv := range []string{"10.1.2.3", "127.0.0.2", "0.0.0.0", "127.0.0.1"} {
		t.Run(adv, func(t *testing.T) {
			payload := []byte("data for " + adv)
			var (
				dc net.Conn
				ln net.Listener
			)
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("EPSV")
				s.send("500 Unknown command")
				s.expect("PASV")
				ln = s.listenData()
				s.pasv(adv, fakePort(ln))
				dc = s.passiveDownload(ln, "RETR f", payload)
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			var buf bytes.Buffer
			n, err := c.Retrieve(context.Background(), Passive, "f", 0, &buf)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if n != int64(len(payload)) || buf.String() != string(payload) {
				t.Errorf("Retrieve got %q, want %q", buf.String(), payload)
			}
			c.Close()
			wantCmds(t, srv.wait(), "EPSV", "PASV", "RETR f")
			if got, want := dc.LocalAddr().String(), ln.Addr().String(); got != want {
				t.Errorf("the client connected to %s, want %s", got, want)
			}
			if got := dc.LocalAddr().(*net.TCPAddr).IP.String(); got != "127.0.0.1" {
				t.Errorf("the client connected to %s, want 127.0.0.1", got)
			}
		})
	}
}

func TestPassiveNoPreliminaryReply(t *testing.T) {
	// Some servers send the data and then 226 without a 150 first.
	payload := []byte("no 150 here")
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("RETR f")
		s.writeData(s.accept(ln), payload)
		s.send("226 Done")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), Passive, "f", 0, &buf); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if buf.String() != string(payload) {
		t.Errorf("got %q, want %q", buf.String(), payload)
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
}

func TestPassiveTransferRefused(t *testing.T) {
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("RETR missing")
		dc := s.accept(ln)
		s.send("550 missing: No such file or directory")
		s.waitClosedByClient(dc)

		// A failure reported at the end of a transfer.
		s.expect("EPSV")
		ln = s.listenData()
		s.epsv(ln)
		s.expect("RETR half")
		dc = s.accept(ln)
		s.send("150 Opening")
		s.writeData(dc, []byte("partial"))
		s.send("451 Local error in processing")

		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var buf bytes.Buffer
	n, err := c.Retrieve(context.Background(), Passive, "missing", 0, &buf)
	var de *DataConnError
	if errors.As(err, &de) {
		t.Errorf("550 to RETR gave a *DataConnError: %v", err)
	}
	wantReplyError(t, err, 550, "RETR")
	if n != 0 || buf.Len() != 0 {
		t.Errorf("Retrieve moved %d bytes", n)
	}

	n, err = c.Retrieve(context.Background(), Passive, "half", 0, &buf)
	wantReplyError(t, err, 451, "RETR")
	if n != 7 || buf.String() != "partial" {
		t.Errorf("Retrieve moved %d bytes %q, want 7 %q", n, buf.String(), "partial")
	}
	wantNOOP(t, c)
	c.Close()
	wantCmds(t, srv.wait(), "EPSV", "RETR missing", "EPSV", "RETR half", "NOOP")
}

func TestPassiveDialFails(t *testing.T) {
	for _, viaPASV := range []bool{false, true} {
		name := "EPSV"
		if viaPASV {
			name = "PASV advertising 10.1.2.3"
		}
		t.Run(name, func(t *testing.T) {
			port := refusingPort(t)
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expect("EPSV")
				if viaPASV {
					s.send("500 No EPSV")
					s.expect("PASV")
					s.pasv("10.1.2.3", port)
				} else {
					s.send(fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port))
				}
				s.expect("NOOP")
				s.send("200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			start := time.Now()
			dc, err := c.OpenData(context.Background(), Passive, "RETR f", 0)
			if err == nil {
				dc.Close()
				t.Fatal("OpenData succeeded on a closed port")
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("a refused dial took %s", d)
			}
			de := wantDataConnError(t, err, Passive)
			want := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if de.Addr != want {
				t.Errorf("DataConnError.Addr = %q, want %q", de.Addr, want)
			}
			if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "10.1.2.3") {
				t.Errorf("error %q should name %s (and not the advertised address)", err, want)
			}
			var re *ReplyError
			if errors.As(err, &re) {
				t.Errorf("a dial failure is a *ReplyError: %v", err)
			}
			wantNOOP(t, c) // no transfer command was sent
			c.Close()
			srv.wait()
		})
	}
}

// ---- Active mode ----

func TestActiveEPRT(t *testing.T) {
	payload := testPayload(100<<10, 3)
	var eprt string
	var dc net.Conn
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		eprt = s.expectEPRT("1")
		s.send("200 EPRT command successful")
		dc = s.activeDownload(eprt, "RETR f", payload)
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	var sent []string
	opts := fakeOpts()
	opts.OnSend = func(line string) { sent = append(sent, line) }
	c := dialFake(t, srv, opts)
	var buf bytes.Buffer
	n, err := c.Retrieve(context.Background(), Active, "f", 0, &buf)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if n != int64(len(payload)) || !bytes.Equal(buf.Bytes(), payload) {
		t.Errorf("Retrieve got %d bytes, want %d (equal: %v)", n, len(payload), bytes.Equal(buf.Bytes(), payload))
	}
	wantNOOP(t, c)
	c.Close()
	cmds := srv.wait()
	if len(cmds) != 3 || !regexp.MustCompile(`^EPRT \|1\|127\.0\.0\.1\|\d+\|$`).MatchString(cmds[0]) {
		t.Errorf("server received %q, want EPRT |1|127.0.0.1|port|, RETR f, NOOP", cmds)
	}
	wantCmds(t, cmds[1:], "RETR f", "NOOP")
	if got := dc.RemoteAddr().String(); got != eprt {
		t.Errorf("server connected to %s, want the EPRT address %s", got, eprt)
	}
	if !slices.Equal(sent, cmds) {
		t.Errorf("OnSend saw %q, server received %q", sent, cmds)
	}
}

func TestActiveEPRTRefused(t *testing.T) {
	tests := []struct {
		name     string
		refusal  string
		wantMemo bool
	}{
		{name: "500 sets the memo", refusal: "500 EPRT not understood", wantMemo: true},
		{name: "4xx does not", refusal: "450 Not now", wantMemo: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expectEPRT("1")
				s.send(tc.refusal)
				addr := s.expectPORT()
				if !strings.HasPrefix(addr, "127.0.0.1:") {
					s.fail("PORT address %s, want 127.0.0.1", addr)
				}
				s.send("200 PORT command successful")
				s.activeDownload(addr, "RETR a", []byte("one"))

				if tc.wantMemo {
					addr = s.expectPORT()
				} else {
					addr = s.expectEPRT("1")
				}
				s.send("200 Ok")
				s.activeDownload(addr, "LIST", []byte("two"))
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			ctx := context.Background()
			var buf bytes.Buffer
			if _, err := c.Retrieve(ctx, Active, "a", 0, &buf); err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if _, err := c.List(ctx, Active, "LIST", "", &buf); err != nil {
				t.Fatalf("List: %v", err)
			}
			if buf.String() != "onetwo" {
				t.Errorf("got %q, want %q", buf.String(), "onetwo")
			}
			c.Close()
			cmds := srv.wait()
			if len(cmds) != 5 {
				t.Fatalf("server received %q", cmds)
			}
			verbs := make([]string, len(cmds))
			for i, cmd := range cmds {
				verbs[i] = verbOf(cmd)
			}
			second := "EPRT"
			if tc.wantMemo {
				second = "PORT"
			}
			wantCmds(t, verbs, "EPRT", "PORT", "RETR", second, "LIST")
			if !regexp.MustCompile(`^PORT 127,0,0,1,\d+,\d+$`).MatchString(cmds[1]) {
				t.Errorf("PORT command %q", cmds[1])
			}
		})
	}
}

// canBind127002 reports whether this host lets a socket use 127.0.0.2 as
// its source address (Linux does; some systems only have 127.0.0.1).
func canBind127002(t *testing.T) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := net.Dialer{Timeout: fakeWait, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	nc, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		return false
	}
	nc.Close()
	return true
}

func TestActiveDropsForeignConnection(t *testing.T) {
	if !canBind127002(t) {
		t.Skip("cannot use 127.0.0.2 as a source address here")
	}
	payload := []byte("the real data")
	var good net.Conn
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		addr := s.expectEPRT("1")
		s.send("200 Ok")
		s.expect("RETR f")
		s.send("150 Opening")
		// An intruder connects first and is dropped unread.
		evil := s.dial(addr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)})
		evil.Write([]byte("EVIL DATA"))
		s.waitClosedByClient(evil)
		good = s.dial(addr, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		s.writeData(good, payload)
		s.send("226 Transfer complete")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), Active, "f", 0, &buf); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if buf.String() != string(payload) {
		t.Errorf("got %q, want %q", buf.String(), payload)
	}
	wantNOOP(t, c)
	c.Close()
	srv.wait()
	if ip := good.LocalAddr().(*net.TCPAddr).IP.String(); ip != "127.0.0.1" {
		t.Errorf("the accepted connection came from %s", ip)
	}
}

func TestActiveServerNeverConnects(t *testing.T) {
	const dataTimeout = 300 * time.Millisecond
	tests := []struct {
		name  string
		delay time.Duration // after 150, before the server's 425
	}{
		// The 425 comes after the client stopped waiting for the data
		// connection, within the DataTimeout it then waits for the reply.
		{name: "425 after the client's timeout", delay: dataTimeout + 100*time.Millisecond},
		// The 425 comes while the client waits in accept.
		{name: "425 during the wait", delay: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				s.expectEPRT("1")
				s.send("200 Ok")
				s.expect("RETR f")
				s.send("150 Opening")
				if tc.delay > 0 {
					s.silence(tc.delay)
				}
				s.send("425 Can't open data connection")
				s.expect("NOOP")
				s.send("200 NOOP ok")
				s.expectEOF()
			})
			opts := fakeOpts()
			opts.DataTimeout = dataTimeout
			c := dialFake(t, srv, opts)
			start := time.Now()
			_, err := c.Retrieve(context.Background(), Active, "f", 0, io.Discard)
			elapsed := time.Since(start)
			de := wantDataConnError(t, err, Active)
			if !strings.HasPrefix(de.Addr, "127.0.0.1:") {
				t.Errorf("DataConnError.Addr = %q", de.Addr)
			}
			if msg := err.Error(); !strings.Contains(msg, "300ms") || !strings.Contains(msg, "firewall") {
				t.Errorf("error %q should mention the 300ms timeout and a firewall", msg)
			}
			if elapsed < dataTimeout || elapsed > 3*dataTimeout {
				t.Errorf("Retrieve returned after %s, want about %s", elapsed, dataTimeout)
			}
			if c.Closed() {
				t.Fatal("connection closed after a data timeout")
			}
			wantNOOP(t, c) // the NOOP's 200, not the stale 425
			c.Close()
			srv.wait()
		})
	}
}

func TestActive425(t *testing.T) {
	var eprt string
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		eprt = s.expectEPRT("1")
		s.send("200 Ok")
		s.expect("RETR f")
		s.send("425 Can't open data connection")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	_, err := c.Retrieve(context.Background(), Active, "f", 0, io.Discard)
	de := wantDataConnError(t, err, Active)
	if !strings.Contains(err.Error(), "firewall") || !strings.Contains(err.Error(), "425") {
		t.Errorf("error %q should carry the 425 and mention a firewall", err)
	}
	wantReplyError(t, err, 425, "RETR")
	wantNOOP(t, c)
	c.Close()
	srv.wait()
	if de.Addr != eprt {
		t.Errorf("DataConnError.Addr = %q, want the EPRT address %q", de.Addr, eprt)
	}
}

// ---- REST ----

func TestRest(t *testing.T) {
	payload := []byte("the rest of the file")
	for _, mode := range []DataMode{Passive, Active} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				var ln net.Listener
				var addr string
				if mode == Passive {
					s.expect("EPSV")
					ln = s.listenData()
					s.epsv(ln)
				} else {
					addr = s.expectEPRT("1")
					s.send("200 Ok")
				}
				s.expect("REST 100")
				s.send("350 Restarting at 100")
				if mode == Passive {
					s.passiveDownload(ln, "RETR f", payload)
				} else {
					s.activeDownload(addr, "RETR f", payload)
				}
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			var buf bytes.Buffer
			n, err := c.Retrieve(context.Background(), mode, "f", 100, &buf)
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if n != int64(len(payload)) || buf.String() != string(payload) {
				t.Errorf("got %d %q, want %q", n, buf.String(), payload)
			}
			c.Close()
			cmds := srv.wait()
			if len(cmds) != 3 {
				t.Fatalf("server received %q", cmds)
			}
			wantCmds(t, cmds[1:], "REST 100", "RETR f")
		})
	}
}

func TestRestRefused(t *testing.T) {
	tests := []struct {
		mode  DataMode
		reply string
		code  int
	}{
		{Passive, "502 REST not implemented", 502},
		{Passive, "200 Whatever", 200},
		{Active, "554 Invalid REST parameter", 554},
		{Active, "250 Ok?", 250},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v %d", tc.mode, tc.code), func(t *testing.T) {
			srv := startFake(t, func(s *fakeSession) {
				s.send("220 Ready")
				if tc.mode == Passive {
					s.expect("EPSV")
					s.epsv(s.listenData())
				} else {
					s.expectEPRT("1")
					s.send("200 Ok")
				}
				s.expect("REST 5")
				s.send(tc.reply)
				s.expect("NOOP")
				s.send("200 Ok")
				s.expectEOF()
			})
			c := dialFake(t, srv, fakeOpts())
			dc, err := c.OpenData(context.Background(), tc.mode, "RETR f", 5)
			if err == nil {
				dc.Close()
				t.Fatal("OpenData succeeded after REST was refused")
			}
			wantReplyError(t, err, tc.code, "REST")
			wantNOOP(t, c) // RETR was not sent
			c.Close()
			srv.wait()
		})
	}
}

// ---- Cancellation ----

// cancelWriter cancels the context at the first bytes it receives.
type cancelWriter struct {
	cancel context.CancelFunc
	n      int
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.cancel()
	return len(p), nil
}

func retrieveCancelled(t *testing.T) error {
	t.Helper()
	srv := startFake(t, func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		s.expect("RETR big")
		dc := s.accept(ln)
		s.send("150 Opening")
		dc.SetWriteDeadline(time.Now().Add(fakeWait))
		if _, err := dc.Write([]byte("first chunk")); err != nil {
			s.fail("data write: %v", err)
		}
		// A stalled transfer: no more data until the client gives up.
		s.waitClosedByClient(dc)
		s.send("426 Connection closed; transfer aborted")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	start := time.Now()
	n, err := c.Retrieve(ctx, Passive, "big", 0, w)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Retrieve took %s after the cancel", d)
	}
	if err == nil {
		t.Fatal("a cancelled Retrieve succeeded")
	}
	if n != int64(w.n) || n == 0 || n > int64(len("first chunk")) {
		t.Errorf("Retrieve reported %d bytes, the writer got %d", n, w.n)
	}
	wantNOOP(t, c) // the 426 was read
	c.Close()
	srv.wait()
	return err
}

func TestRetrieveCancel(t *testing.T) {
	retrieveCancelled(t)
}

// exitCode (cmd/gftp) maps context.Canceled to "interrupted"; a cancelled
// transfer must say so rather than look like a network failure.
func TestRetrieveCancelReportsCanceled(t *testing.T) {
	if err := retrieveCancelled(t); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Retrieve error %q is not context.Canceled", err)
	}
}

// ---- IPv6 ----

func needIPv6(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	ln.Close()
}

func TestIPv6EPSV(t *testing.T) {
	needIPv6(t)
	payload := testPayload(10<<10, 4)
	var dc net.Conn
	srv := startFakeOn(t, "::1", func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		ln := s.listenData()
		s.epsv(ln)
		dc = s.passiveDownload(ln, "RETR f", payload)
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), Passive, "f", 0, &buf); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !bytes.Equal(buf.Bytes(), payload) {
		t.Errorf("got %d bytes, want %d", buf.Len(), len(payload))
	}
	c.Close()
	wantCmds(t, srv.wait(), "EPSV", "RETR f")
	if ip := dc.RemoteAddr().(*net.TCPAddr).IP.String(); ip != "::1" {
		t.Errorf("data connection from %s, want ::1", ip)
	}
}

func TestIPv6EPSVRefused(t *testing.T) {
	needIPv6(t)
	srv := startFakeOn(t, "::1", func(s *fakeSession) {
		s.send("220 Ready")
		s.expect("EPSV")
		s.send("500 EPSV not understood")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	for i := range 2 { // the second time from the noEPSV memo
		dc, err := c.OpenData(context.Background(), Passive, "RETR f", 0)
		if err == nil {
			dc.Close()
			t.Fatal("OpenData succeeded")
		}
		wantDataConnError(t, err, Passive)
		msg := err.Error()
		if !strings.Contains(msg, "PASV cannot reach an IPv6 server") {
			t.Errorf("attempt %d: error %q should say PASV cannot reach IPv6", i+1, msg)
		}
		if strings.Contains(msg, "<nil>") || strings.Contains(msg, "%!") {
			t.Errorf("attempt %d: malformed error %q", i+1, msg)
		}
	}
	wantNOOP(t, c)
	c.Close()
	wantCmds(t, srv.wait(), "EPSV", "NOOP") // PASV never sent
}

func TestIPv6EPRT(t *testing.T) {
	needIPv6(t)
	payload := []byte("over IPv6")
	srv := startFakeOn(t, "::1", func(s *fakeSession) {
		s.send("220 Ready")
		addr := s.expectEPRT("2")
		if !strings.HasPrefix(addr, "[::1]:") {
			s.fail("EPRT address %s, want ::1", addr)
		}
		s.send("200 Ok")
		s.activeDownload(addr, "RETR f", payload)
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	var buf bytes.Buffer
	if _, err := c.Retrieve(context.Background(), Active, "f", 0, &buf); err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if buf.String() != string(payload) {
		t.Errorf("got %q, want %q", buf.String(), payload)
	}
	c.Close()
	cmds := srv.wait()
	if len(cmds) != 2 || !regexp.MustCompile(`^EPRT \|2\|::1\|\d+\|$`).MatchString(cmds[0]) || cmds[1] != "RETR f" {
		t.Errorf("server received %q, want EPRT |2|::1|port|, RETR f", cmds)
	}
}

func TestIPv6EPRTRefused(t *testing.T) {
	needIPv6(t)
	srv := startFakeOn(t, "::1", func(s *fakeSession) {
		s.send("220 Ready")
		s.expectEPRT("2")
		s.send("500 EPRT not understood")
		s.expect("NOOP")
		s.send("200 Ok")
		s.expectEOF()
	})
	c := dialFake(t, srv, fakeOpts())
	for i := range 2 { // the second time from the noEPRT memo
		dc, err := c.OpenData(context.Background(), Active, "RETR f", 0)
		if err == nil {
			dc.Close()
			t.Fatal("OpenData succeeded")
		}
		wantDataConnError(t, err, Active)
		msg := err.Error()
		if !strings.Contains(msg, "PORT cannot carry an IPv6 address") {
			t.Errorf("attempt %d: error %q should say PORT cannot carry IPv6", i+1, msg)
		}
		if strings.Contains(msg, "<nil>") || strings.Contains(msg, "%!") {
			t.Errorf("attempt %d: malformed error %q", i+1, msg)
		}
	}
	wantNOOP(t, c)
	c.Close()
	cmds := srv.wait()
	if len(cmds) != 2 || !strings.HasPrefix(cmds[0], "EPRT |2|::1|") || cmds[1] != "NOOP" {
		t.Errorf("server received %q, want EPRT |2|::1|port|, NOOP (no PORT)", cmds)
	}
}
