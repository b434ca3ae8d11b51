package testserver

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

const (
	refusedReply = "502 Command not implemented.\r\n"
	// maxCommandLine matches ftpserverlib, which drops clients sending longer lines.
	maxCommandLine = 4096
	dialTimeout    = 5 * time.Second
)

// proxy relays control connections to ftpserverlib, recording commands and
// answering refused ones itself.
type proxy struct {
	ln          net.Listener
	backendAddr string
	answers     map[string]string        // verb → the reply the proxy gives itself
	answerOnce  map[string]string        // the same, consumed on first use (under mu)
	answerLine  map[string]string        // whole command line → the reply
	delays      map[string]time.Duration // verb → how long it waits before passing it on
	logFn       func(format string, args ...any)
	wg          sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	commands []string
	byConn   [][]string // the same, per control connection, in the order they came
	conns    map[net.Conn]struct{}
	// clientAddr maps the proxy's outgoing address of each backend
	// connection to the local address its client connected to.
	clientAddr map[string]net.Addr

	tls     TLSOptions
	tlsCtrl *tls.Config // the control connection's, when tls.Mode is set
}

func newProxy(ln net.Listener, backendAddr string, opts Options, tlsCtrl *tls.Config) *proxy {
	answers := make(map[string]string, len(opts.Refuse)+len(opts.Answer))
	for _, verb := range opts.Refuse {
		answers[strings.ToUpper(strings.TrimSpace(verb))] = refusedReply
	}
	for verb, reply := range opts.Answer {
		answers[strings.ToUpper(strings.TrimSpace(verb))] = reply + "\r\n"
	}

	once := make(map[string]string, len(opts.AnswerOnce))
	for verb, reply := range opts.AnswerOnce {
		once[strings.ToUpper(strings.TrimSpace(verb))] = reply + "\r\n"
	}

	delays := make(map[string]time.Duration, len(opts.Delay))
	for verb, d := range opts.Delay {
		delays[strings.ToUpper(strings.TrimSpace(verb))] = d
	}

	lines := make(map[string]string, len(opts.AnswerLine))
	for line, reply := range opts.AnswerLine {
		lines[line] = reply + "\r\n"
	}

	return &proxy{
		answerLine:  lines,
		delays:      delays,
		answerOnce:  once,
		ln:          ln,
		backendAddr: backendAddr,
		answers:     answers,
		logFn:       opts.Logf,
		conns:       make(map[net.Conn]struct{}),
		clientAddr:  make(map[string]net.Addr),
		tls:         opts.TLS,
		tlsCtrl:     tlsCtrl,
	}
}

func (p *proxy) logf(format string, args ...any) {
	if p.logFn != nil {
		p.logFn(format, args...)
	}
}

func (p *proxy) start() {
	p.wg.Go(p.acceptLoop)
}

func (p *proxy) acceptLoop() {
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if p.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient failures such as EMFILE: back off instead of spinning.
			p.logf("testserver: accept: %v", err)
			time.Sleep(10 * time.Millisecond)

			continue
		}
		if !p.track(conn) {
			return
		}
		p.wg.Go(func() { p.serveClient(conn) })
	}
}

// track registers a live connection so close can drop it. It reports false,
// having closed conn, once the proxy is closed.
func (p *proxy) track(conn net.Conn) bool {
	p.mu.Lock()
	if !p.closed {
		p.conns[conn] = struct{}{}
		p.mu.Unlock()

		return true
	}
	p.mu.Unlock()
	_ = conn.Close()

	return false
}

func (p *proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}

func (p *proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()

	return p.closed
}

// close stops accepting and drops every live connection; the relay
// goroutines then end on their own (wait on p.wg).
func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = make(map[net.Conn]struct{})
	p.mu.Unlock()

	_ = p.ln.Close()
	for c := range conns {
		_ = c.Close()
	}
}

// newConn numbers a control connection, for record.
func (p *proxy) newConn() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byConn = append(p.byConn, nil)
	return len(p.byConn) - 1
}

func (p *proxy) record(conn int, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.commands = append(p.commands, line)
	p.byConn[conn] = append(p.byConn[conn], line)
}

func (p *proxy) commandLog() []string {
	p.mu.Lock()
	defer p.mu.Unlock()

	return append([]string(nil), p.commands...)
}

func (p *proxy) connLog() [][]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]string, len(p.byConn))
	for i, c := range p.byConn {
		out[i] = append([]string(nil), c...)
	}
	return out
}

// clientFacingIP returns the proxy address the client behind the backend
// session with peer address backendPeer connected to.
func (p *proxy) clientFacingIP(backendPeer net.Addr) (net.IP, bool) {
	p.mu.Lock()
	addr, ok := p.clientAddr[backendPeer.String()]
	p.mu.Unlock()
	if !ok {
		return nil, false
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil, false
	}

	return tcp.IP, true
}

func (p *proxy) serveClient(raw net.Conn) {
	backend, err := net.DialTimeout("tcp", p.backendAddr, dialTimeout)
	if err != nil {
		p.logf("testserver: dial backend: %v", err)
		_, _ = io.WriteString(raw, "421 Service not available.\r\n")
		p.untrack(raw)
		_ = raw.Close()

		return
	}
	if !p.track(backend) {
		p.untrack(raw)
		_ = raw.Close()

		return
	}
	peerKey := backend.LocalAddr().String()
	p.mu.Lock()
	p.clientAddr[peerKey] = raw.LocalAddr()
	p.mu.Unlock()

	client := &clientSide{conn: raw}
	if p.tls.Mode == ImplicitTLS {
		client.conn, client.secure = tls.Server(raw, p.tlsCtrl), true
	}
	closeBoth := func() {
		_ = raw.Close()
		_ = backend.Close()
	}
	repliesDone := make(chan struct{})
	p.wg.Go(func() {
		defer close(repliesDone)
		defer closeBoth()
		p.relayReplies(backend, client)
	})

	p.relayCommands(client, backend)
	closeBoth()
	<-repliesDone

	p.untrack(raw, backend)
	p.mu.Lock()
	delete(p.clientAddr, peerKey)
	p.mu.Unlock()
}

// clientSide is the client's end of a proxied session: plaintext, or TLS
// once AUTH TLS is through. Its lock keeps replies whole and keeps them
// off the wire during the handshake.
type clientSide struct {
	mu     sync.Mutex
	conn   net.Conn
	secure bool // TLS on the control connection
	prot   bool // PROT P: data connections must be TLS
}

func (c *clientSide) write(s string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.conn, s)

	return err
}

func (c *clientSide) current() net.Conn {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.conn
}

// relayReplies copies server replies to the client a whole line at a time.
func (p *proxy) relayReplies(backend net.Conn, client *clientSide) {
	r := bufio.NewReader(backend)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			p.logf("testserver: S> %s", strings.TrimRight(line, "\r\n"))
			if werr := client.write(line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// transfers are the commands that open a data connection.
var transfers = map[string]bool{"RETR": true, "STOR": true, "APPE": true, "STOU": true, "LIST": true, "NLST": true, "MLSD": true}

// relayCommands records each client command and forwards it, or answers
// it itself (refused or scripted verbs, and TLS: AUTH, and the refusals
// of a server that requires it).
func (p *proxy) relayCommands(client *clientSide, backend net.Conn) {
	r := bufio.NewReaderSize(client.current(), maxCommandLine)
	conn := p.newConn()
	for {
		raw, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.logf("testserver: command line longer than %d bytes, disconnecting", maxCommandLine)
			return
		}
		if len(raw) > 0 {
			line := string(raw) // raw is only valid until the next read
			text := strings.TrimRight(line, "\r\n")
			verb, arg, _ := strings.Cut(text, " ")
			verb = strings.ToUpper(verb)
			if verb == "PASS" {
				text = "PASS ****"
			}
			p.record(conn, text)
			p.logf("testserver: C> %s", text)
			if d := p.delays[verb]; d > 0 {
				time.Sleep(d) // a slow server, or a long way to it
			}

			reply, ok := p.answerLine[text]
			if !ok {
				reply, ok = p.answers[verb]
			}
			if !ok {
				reply, ok = p.takeOnce(verb)
			}
			if !ok {
				reply, ok = p.tlsAnswer(client, verb, arg)
			}
			switch {
			case ok:
				p.logf("testserver: S> (proxy) %s", strings.TrimRight(reply, "\r\n"))
				if werr := client.write(reply); werr != nil {
					return
				}
			case verb == "AUTH" && p.tls.Mode == ExplicitTLS && !client.secure:
				if !p.startTLS(client, r.Buffered()) {
					return
				}
				r = bufio.NewReaderSize(client.current(), maxCommandLine)
			default:
				if verb == "PROT" {
					client.mu.Lock()
					client.prot = strings.EqualFold(strings.TrimSpace(arg), "P")
					client.mu.Unlock()
				}
				if _, werr := io.WriteString(backend, line); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// tlsAnswer is the proxy's own reply to a command, as a server that
// requires TLS gives it, or false to pass the command on.
func (p *proxy) tlsAnswer(client *clientSide, verb, arg string) (string, bool) {
	client.mu.Lock()
	secure, prot := client.secure, client.prot
	client.mu.Unlock()
	switch {
	case verb == "AUTH" && p.tls.Mode == NoTLS:
		return "502 TLS is not configured.\r\n", true
	case verb == "AUTH" && secure:
		return "503 TLS is already on.\r\n", true
	case verb == "AUTH" && !strings.EqualFold(strings.TrimSpace(arg), "TLS") && !strings.EqualFold(strings.TrimSpace(arg), "TLS-C"):
		return "504 AUTH TLS only.\r\n", true
	case (verb == "PBSZ" || verb == "PROT") && !secure:
		return "503 PBSZ and PROT need AUTH TLS first.\r\n", true
	case !p.tls.Required || p.tls.Mode == NoTLS:
		return "", false
	case (verb == "USER" || verb == "PASS") && !secure:
		return "530 TLS is required: AUTH TLS first.\r\n", true
	case transfers[verb] && !prot:
		return "521 Data connections must be protected: PROT P first.\r\n", true
	}
	return "", false
}

// startTLS answers AUTH TLS and runs the handshake; the replies relay
// waits meanwhile. Bytes the client sent after AUTH, before the
// handshake, end the session.
func (p *proxy) startTLS(client *clientSide, buffered int) bool {
	client.mu.Lock()
	defer client.mu.Unlock()
	if buffered > 0 {
		return false
	}
	if _, err := io.WriteString(client.conn, "234 AUTH TLS OK.\r\n"); err != nil {
		return false
	}
	tc := tls.Server(client.conn, p.tlsCtrl)
	if err := tc.Handshake(); err != nil {
		p.logf("testserver: control TLS handshake: %v", err)
		return false
	}
	client.conn, client.secure = tc, true

	return true
}

// takeOnce returns (and forgets) a one-time answer for verb.
func (p *proxy) takeOnce(verb string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	reply, ok := p.answerOnce[verb]
	delete(p.answerOnce, verb)
	return reply, ok
}
