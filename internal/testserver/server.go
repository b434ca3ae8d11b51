// Package testserver runs an embedded FTP server for gftp's tests and demo.
//
// The server is ftpserverlib serving a local folder, reached through a small
// proxy on the control connection. The proxy records every command a client
// sends and can answer chosen commands with 502 itself, so tests can check
// what a client said and how it copes with missing features. Data
// connections bypass the proxy and go straight to ftpserverlib.
package testserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
)

// Default option values.
const (
	DefaultUser              = "ftpuser"
	DefaultPassword          = "secret"
	DefaultListen            = "127.0.0.1:0"
	DefaultConnectionTimeout = 5 * time.Second
	defaultBanner            = "gftp test server ready"
)

// sessionGrace bounds how long Close waits, beyond ConnectionTimeout, for
// ftpserverlib's sessions to notice their control connection is gone.
const sessionGrace = 5 * time.Second

// Options configures a Server. The zero value is usable apart from Root.
type Options struct {
	Root     string   // folder to serve; required (caller makes it, e.g. t.TempDir())
	User     string   // default "ftpuser"
	Password string   // default "secret"
	Listen   string   // default "127.0.0.1:0"; "[::1]:0" for IPv6
	Refuse   []string // verbs (case-insensitive) the proxy answers with "502 Command not implemented." without forwarding
	// Answer maps verbs to a one-line reply the proxy gives itself, to
	// script a server's misbehaviour (e.g. "SIZE": "213 1").
	Answer map[string]string
	// AnswerLine is like Answer for one whole command line ("MLSD d/e"),
	// as the client sent it: a fault of one file or directory.
	AnswerLine map[string]string
	// Delay maps verbs to how long the proxy waits before it passes them
	// on: a slow server, or one far away.
	Delay map[string]time.Duration
	// AnswerOnce is like Answer, but only for the first time the verb
	// comes (on any connection); later ones reach the server: a fault that
	// passes.
	AnswerOnce map[string]string
	// WriteDelay slows uploads down: it is slept before each write to a
	// file (ftpserverlib writes what each read of the data connection got).
	WriteDelay time.Duration
	// ReadDelay slows downloads down: it is slept before each read from a
	// file.
	ReadDelay time.Duration
	// PASVHost, when set (an IPv4 address), is advertised in PASV replies
	// instead of the real address; the data listener stays on the real one.
	PASVHost string
	Banner   []string // welcome lines; more than one makes a multi-line 220 reply
	// ConnectionTimeout is how long the server waits for or spends
	// connecting a data connection; default 5s, rounded up to whole seconds.
	ConnectionTimeout time.Duration
	Logf              func(format string, args ...any) // optional log of proxy traffic (e.g. t.Logf)
	// TLS makes it an FTPS server (tls.go).
	TLS TLSOptions
}

// Server is a running test FTP server. Stop it with Close.
type Server struct {
	host      net.IP // what clients dial: the listen IP, or loopback for a wildcard
	root      string
	connWait  time.Duration
	proxy     *proxy
	backendLn net.Listener
	driver    *driver
	serveDone chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Start serves opts.Root over FTP until Close is called.
func Start(opts Options) (*Server, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}

	proxyLn, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("testserver: listen on %s: %w", opts.Listen, err)
	}
	proxyIP := proxyLn.Addr().(*net.TCPAddr).IP
	// Only the proxy reaches the backend, so it stays on loopback when the
	// proxy listens on every interface.
	host := connectableIP(opts.Listen, proxyIP)
	backendHost := host.String()
	rawBackendLn, err := net.Listen("tcp", net.JoinHostPort(backendHost, "0"))
	if err != nil {
		_ = proxyLn.Close()
		return nil, fmt.Errorf("testserver: listen for backend on %s: %w", backendHost, err)
	}

	var tlsCtrl, tlsData *tls.Config
	if opts.TLS.Mode != NoTLS {
		if tlsCtrl, tlsData, err = tlsConfigs(opts.TLS); err != nil {
			_ = proxyLn.Close()
			_ = rawBackendLn.Close()
			return nil, err
		}
	}
	sessions := newSessionCounter()
	p := newProxy(proxyLn, rawBackendLn.Addr().String(), opts, tlsCtrl)
	backendLn := &countingListener{Listener: rawBackendLn, sessions: sessions}
	d := newDriver(opts, backendLn, sessions, dataCheck(proxyIP), p.clientFacingIP)
	d.tls = tlsData
	if opts.PASVHost != "" {
		d.realIP = connectableIP(opts.Listen, proxyIP)
	}

	ftp := ftpserver.NewFtpServer(d)
	if err := ftp.Listen(); err != nil {
		_ = proxyLn.Close()
		_ = rawBackendLn.Close()
		return nil, fmt.Errorf("testserver: start ftpserverlib: %w", err)
	}

	s := &Server{
		host:      host,
		root:      opts.Root,
		connWait:  opts.ConnectionTimeout,
		proxy:     p,
		backendLn: rawBackendLn,
		driver:    d,
		serveDone: make(chan struct{}),
	}
	go func() {
		defer close(s.serveDone)
		if err := ftp.Serve(); err != nil {
			p.logf("testserver: backend stopped: %v", err)
		}
	}()
	p.start()

	return s, nil
}

func withDefaults(opts Options) (Options, error) {
	if opts.Root == "" {
		return opts, errors.New("testserver: Options.Root is required")
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return opts, fmt.Errorf("testserver: resolve root %q: %w", opts.Root, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return opts, fmt.Errorf("testserver: root: %w", err)
	}
	if !info.IsDir() {
		return opts, fmt.Errorf("testserver: root %q is not a directory", root)
	}
	opts.Root = root

	if opts.User == "" {
		opts.User = DefaultUser
	}
	if opts.Password == "" {
		opts.Password = DefaultPassword
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.ConnectionTimeout <= 0 {
		opts.ConnectionTimeout = DefaultConnectionTimeout
	}
	if len(opts.Banner) == 0 {
		opts.Banner = []string{defaultBanner}
	}
	if opts.PASVHost != "" {
		ip := net.ParseIP(opts.PASVHost)
		if ip == nil || ip.To4() == nil {
			return opts, fmt.Errorf("testserver: PASVHost %q is not an IPv4 address", opts.PASVHost)
		}
	}
	for _, line := range opts.Banner {
		if strings.ContainsAny(line, "\r\n") {
			return opts, fmt.Errorf("testserver: banner line %q contains a line break", line)
		}
	}

	return opts, nil
}

// connectableIP turns a wildcard listen address into loopback. It looks at
// the requested address because Go reports "0.0.0.0" listeners as "::".
func connectableIP(listen string, bound net.IP) net.IP {
	if !bound.IsUnspecified() {
		return bound
	}
	host, _, err := net.SplitHostPort(listen)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.To4() == nil {
		return net.IPv6loopback
	}

	return net.IPv4(127, 0, 0, 1)
}

// dataCheck picks ftpserverlib's data-connection IP check. The backend sees
// the proxy as the control peer, which only equals the client's address when
// everything is on loopback; otherwise the check would refuse every client.
func dataCheck(proxyIP net.IP) ftpserver.DataConnectionRequirement {
	if proxyIP.IsLoopback() {
		return ftpserver.IPMatchRequired
	}

	return ftpserver.IPMatchDisabled
}

// Addr returns the host:port clients connect to, e.g. "127.0.0.1:2121" or
// "[::1]:2121". When listening on every interface it names loopback.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host(), strconv.Itoa(s.Port())) }

// Host returns the IP clients connect to, e.g. "127.0.0.1" or "::1".
func (s *Server) Host() string { return s.host.String() }

// Port returns the port clients connect to.
func (s *Server) Port() int { return s.proxy.ln.Addr().(*net.TCPAddr).Port }

// Root returns the absolute path of the served folder.
func (s *Server) Root() string { return s.root }

// Commands returns every command line received from clients so far, in
// order, across all connections, without line endings. Passwords are masked
// as "PASS ****".
func (s *Server) Commands() []string { return s.proxy.commandLog() }

// ConnCommands is Commands per control connection: one list each, in the
// order the connections came.
func (s *Server) ConnCommands() [][]string { return s.proxy.connLog() }

// Close stops the server, drops every connection and waits for the server's
// goroutines to end. Calling it again is harmless and returns the same result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })

	return s.closeErr
}

func (s *Server) close() error {
	var errs []error

	s.proxy.close()
	if err := s.backendLn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		errs = append(errs, fmt.Errorf("testserver: close backend listener: %w", err))
	}
	// Passive listeners and data connections would otherwise keep sessions
	// blocked until ConnectionTimeout or until the client gives up.
	s.driver.data.closeAll()

	s.proxy.wg.Wait()
	<-s.serveDone

	limit := s.connWait + sessionGrace
	if n := s.driver.sessions.wait(limit); n > 0 {
		errs = append(errs, fmt.Errorf("testserver: %d FTP sessions still running after %v", n, limit))
	}

	return errors.Join(errs...)
}
