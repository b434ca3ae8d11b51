package testserver

import (
	"bufio"
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
	answers     map[string]string // verb → the reply the proxy gives itself
	answerOnce  map[string]string // the same, consumed on first use (under mu)
	logFn       func(format string, args ...any)
	wg          sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	commands []string
	conns    map[net.Conn]struct{}
	// clientAddr maps the proxy's outgoing address of each backend
	// connection to the local address its client connected to.
	clientAddr map[string]net.Addr
}

func newProxy(ln net.Listener, backendAddr string, opts Options) *proxy {
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

	return &proxy{
		answerOnce:  once,
		ln:          ln,
		backendAddr: backendAddr,
		answers:     answers,
		logFn:       opts.Logf,
		conns:       make(map[net.Conn]struct{}),
		clientAddr:  make(map[string]net.Addr),
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

func (p *proxy) record(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.commands = append(p.commands, line)
}

func (p *proxy) commandLog() []string {
	p.mu.Lock()
	defer p.mu.Unlock()

	return append([]string(nil), p.commands...)
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

func (p *proxy) serveClient(client net.Conn) {
	backend, err := net.DialTimeout("tcp", p.backendAddr, dialTimeout)
	if err != nil {
		p.logf("testserver: dial backend: %v", err)
		_, _ = io.WriteString(client, "421 Service not available.\r\n")
		p.untrack(client)
		_ = client.Close()

		return
	}
	if !p.track(backend) {
		p.untrack(client)
		_ = client.Close()

		return
	}
	peerKey := backend.LocalAddr().String()
	p.mu.Lock()
	p.clientAddr[peerKey] = client.LocalAddr()
	p.mu.Unlock()

	closeBoth := func() {
		_ = client.Close()
		_ = backend.Close()
	}
	var clientMu sync.Mutex // replies and the proxy's own 502s must not interleave
	repliesDone := make(chan struct{})
	p.wg.Go(func() {
		defer close(repliesDone)
		defer closeBoth()
		p.relayReplies(backend, client, &clientMu)
	})

	p.relayCommands(client, backend, &clientMu)
	closeBoth()
	<-repliesDone

	p.untrack(client, backend)
	p.mu.Lock()
	delete(p.clientAddr, peerKey)
	p.mu.Unlock()
}

// relayReplies copies server replies to the client a whole line at a time.
func (p *proxy) relayReplies(backend, client net.Conn, clientMu *sync.Mutex) {
	r := bufio.NewReader(backend)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			p.logf("testserver: S> %s", strings.TrimRight(line, "\r\n"))
			clientMu.Lock()
			_, werr := io.WriteString(client, line)
			clientMu.Unlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// relayCommands records each client command and forwards it, or answers
// it itself (refused or scripted verbs).
func (p *proxy) relayCommands(client, backend net.Conn, clientMu *sync.Mutex) {
	r := bufio.NewReaderSize(client, maxCommandLine)
	for {
		raw, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			p.logf("testserver: command line longer than %d bytes, disconnecting", maxCommandLine)
			return
		}
		if len(raw) > 0 {
			line := string(raw) // raw is only valid until the next read
			text := strings.TrimRight(line, "\r\n")
			verb, _, _ := strings.Cut(text, " ")
			verb = strings.ToUpper(verb)
			if verb == "PASS" {
				text = "PASS ****"
			}
			p.record(text)
			p.logf("testserver: C> %s", text)

			reply, ok := p.answers[verb]
			if !ok {
				reply, ok = p.takeOnce(verb)
			}
			if ok {
				p.logf("testserver: S> (proxy) %s", strings.TrimRight(reply, "\r\n"))
				clientMu.Lock()
				_, werr := io.WriteString(client, reply)
				clientMu.Unlock()
				if werr != nil {
					return
				}
			} else if _, werr := io.WriteString(backend, line); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// takeOnce returns (and forgets) a one-time answer for verb.
func (p *proxy) takeOnce(verb string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	reply, ok := p.answerOnce[verb]
	delete(p.answerOnce, verb)
	return reply, ok
}
