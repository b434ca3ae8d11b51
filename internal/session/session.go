// Package session holds the state of one FTP session that the command
// dispatcher drives: the connection and login, the transfer type, the data
// mode and its toggles, the local directory and the user's options. Each
// operation is a method that returns an error; printing follows ftp(1).
package session

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/netrc"
)

// ErrNotConnected is returned by commands that need a connection.
var ErrNotConnected = errors.New("Not connected.")

// ErrNoTerminal means nobody can be asked: gftp never takes answers from a
// script's own input.
var ErrNoTerminal = errors.New("no terminal to ask")

// ErrCancelled is a question the person at the terminal cancelled
// (Ctrl-C at the prompt).
var ErrCancelled = errors.New("cancelled")

// AskError is a question that got no answer; it names the prompt.
type AskError struct {
	Prompt string // as shown, e.g. "Name (host:anna): "
	Err    error  // ErrCancelled, io.EOF, or what reading failed with
}

func (e *AskError) Error() string {
	label := e.Prompt
	if i := strings.IndexAny(label, "(:"); i >= 0 {
		label = label[:i]
	}
	label = strings.TrimSpace(label) + ":"
	switch {
	case errors.Is(e.Err, ErrCancelled):
		return "cancelled at the " + label + " prompt"
	case errors.Is(e.Err, io.EOF):
		return "no answer at the " + label + " prompt (end of input)"
	}
	return fmt.Sprintf("no answer at the %s prompt: %v", label, e.Err)
}

func (e *AskError) Unwrap() error { return e.Err }

// LoginError is a failed login.
type LoginError struct{ Err error }

func (e *LoginError) Error() string { return "login failed: " + e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// ConnectError is a failed attempt to reach the server.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string { return e.Err.Error() }
func (e *ConnectError) Unwrap() error { return e.Err }

// Asker asks the person at the terminal.
type Asker interface {
	Ask(prompt string) (string, error)
	AskPassword(prompt string) (string, error)
}

// Config is what a session starts with.
type Config struct {
	Options Options
	Printer *Printer // nil: one that discards everything
	// LocalDir is where relative local paths start; LocalUser the default
	// name offered at login.
	LocalDir, LocalUser string
	// Password answers the server's request for one when a login gives
	// none (GFTP_PASSWORD), before asking the terminal.
	Password string
	// Netrc loads the .netrc that auto-login consults (nil: none). Its
	// error wrapping fs.ErrNotExist means there is none.
	Netrc func() (*netrc.File, error)
	// Bookmarks are named servers (config file) that open accepts.
	Bookmarks map[string]Bookmark
	// KnownHosts keeps the server certificates the user chose to trust.
	KnownHosts *KnownHosts
}

// Session is one user's FTP session: the options, the printer, the
// askers, the totals and the bookmarks, and the links to the server. Its
// commands run one at a time; the links of a parallel command share only
// what is guarded by mu.
type Session struct {
	opts Options
	// autoTLS is what --tls auto found (autoTLSOn, autoTLSOff) on this
	// server, for the parallel links, which may read it while the main
	// link reconnects.
	autoTLS atomic.Int32
	bm      *Bookmark // the current connection's bookmark (a copy), or nil
	// tlsFor is the TLS mode an ftps:// or ftpes:// host named, for that
	// connection only; nil: the user's.
	tlsFor    *TLSMode
	known     *KnownHosts       // certificates trusted by the user; nil: none
	trusting  *x509.Certificate // Trust: the certificate seen
	p         *Printer
	ask       Asker
	confirm   Asker
	netrc     func() (*netrc.File, error)
	runMacro  func(ctx context.Context, name string, lines []string) error
	bookmarks map[string]Bookmark
	localDir  string
	localUser string
	password  string // from the environment; never printed
	ascii     bool
	// completions caches listings for the prompt's remote completion, by
	// absolute remote directory (complete.go).
	completions map[string][]remoteName

	main *link // the link the session's commands run on
	host string
	port string
	// The login that worked (kept in memory only), for reconnecting and
	// for opening more links.
	loginUser, loginPass string
	relogin              bool

	poolMu sync.Mutex
	idle   []*link // more links, for parallel commands (pool.go)

	mu     sync.Mutex // guards what parallel transfers share, below
	totals Totals
	// fellBack records that auto mode gave up on passive for this
	// connection; dataWorked that a data connection worked.
	fellBack, dataWorked bool
	// zone is how far the server's LIST times are ahead of UTC, once
	// zoneKnown (zone.go).
	zone      time.Duration
	zoneKnown bool

	// tnftp's toggles and marks (extra.go).
	shellIn                                   ShellInput // the terminal, for ! alone at the prompt
	restartAt                                 int64      // where the next get or put starts (restart)
	bell, noGlob, lowerCase, runique, sunique bool
	macros                                    map[string][]string // macdef's, by name
}

// New makes a session from cfg.
func New(cfg Config) *Session {
	dir := cfg.LocalDir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	p := cfg.Printer
	if p == nil {
		p = NewPrinter(Streams{})
	}
	s := &Session{
		opts: cfg.Options, p: p, bookmarks: cfg.Bookmarks,
		netrc: cfg.Netrc, password: cfg.Password, localDir: dir, localUser: cfg.LocalUser, known: cfg.KnownHosts,
		noGlob: cfg.Options.NoGlob,
	}
	s.main = &link{s: s}
	return s
}

// Connected reports whether the session's control connection is open.
func (s *Session) Connected() bool { return s.main.connected() }

// EnsureConnected is for a command that needs a connection. A connection
// lost since the login (an interruption closed it while the server owed
// a reply, or the server ended it) is opened again, logged in and back in
// its directory; otherwise a missing connection is ErrNotConnected.
func (s *Session) EnsureConnected(ctx context.Context) error {
	if s.Connected() {
		return nil
	}
	// A connection lost since the login (the server ended it while gftp
	// was idle, or an interruption cut it) is opened again, with the same
	// login and directory, as a retry would; one the user closed is not.
	if !s.relogin {
		return ErrNotConnected
	}
	s.main.cutByStop = false
	return s.main.reconnect(ctx)
}

// printf writes to the transcript.
func (s *Session) printf(format string, args ...any) { s.p.Printf(format, args...) }

// Warnf writes a one-line notice to stderr.
func (s *Session) Warnf(format string, args ...any) { s.p.Warnf(format, args...) }

// logf appends a timestamped line to the log, if there is one.
func (s *Session) logf(format string, args ...any) { s.p.Logf(format, args...) }

// onSend and onReply see every exchange on every link, for the log. What
// the transcript shows is the context's business (Shown, own).
func (s *Session) onSend(line string) {
	s.logf("---> %s", line) // line comes masked from the engine
}

func (s *Session) onReply(r *ftp.Reply) {
	for _, l := range r.Lines {
		s.logf("<--- %s", l)
	}
}

// What runs under a context is shown on its transcript: the printer, or
// one file's section of a parallel command.
type (
	transcriptKey struct{}
	ownKey        struct{}
)

// Shown returns ctx for a command the user gave: the replies to what runs
// under it are shown when verbose, as ftp(1) shows the replies to the
// commands typed, and the commands sent when debugging. The dispatcher
// runs every command under it.
func (s *Session) Shown(ctx context.Context) context.Context { return s.shownTo(ctx, s.p) }

// shownTo is Shown with the lines going to t (one file's section).
func (s *Session) shownTo(ctx context.Context, t transcript) context.Context {
	ctx = context.WithValue(context.WithValue(ctx, transcriptKey{}, t), ownKey{}, false)
	return ftp.WithTrace(ctx, &ftp.Trace{
		Sent: func(line string) {
			if s.opts.Debug {
				t.Printf("---> %s\n", line)
			}
		},
		Reply: func(r *ftp.Reply) {
			if s.opts.Verbose {
				t.Printf("%s\n", r.String())
			}
		},
	})
}

// own returns ctx for gftp's own bookkeeping (FEAT, a size check, the PWD
// after a cd, opening more links): its exchanges are shown only when
// debugging, on the same transcript as the command's.
func (s *Session) own(ctx context.Context) context.Context {
	t, ok := ctx.Value(transcriptKey{}).(transcript)
	if !ok {
		t = s.p
	}
	ctx = context.WithValue(ctx, ownKey{}, true)
	return ftp.WithTrace(ctx, &ftp.Trace{
		Sent: func(line string) {
			if s.opts.Debug {
				t.Printf("---> %s\n", line)
			}
		},
		Reply: func(r *ftp.Reply) {
			if s.opts.Debug && s.opts.Verbose {
				t.Printf("%s\n", r.String())
			}
		},
	})
}

// usersOwn reports whether ctx is a command of the user's (Shown), not
// gftp's own bookkeeping.
func usersOwn(ctx context.Context) bool {
	own, ok := ctx.Value(ownKey{}).(bool)
	return ok && !own
}

// transcriptOf is where lines of the command under ctx go.
func (s *Session) transcriptOf(ctx context.Context) transcript {
	if t, ok := ctx.Value(transcriptKey{}).(transcript); ok {
		return t
	}
	return s.p
}

// Open connects to host (and port, default 21), then logs in when the
// session auto-logs in and someone can be asked for the name. A bookmark's
// settings hold for this connection only.
func (s *Session) Open(ctx context.Context, host, port string) error {
	if strings.Contains(host, "@") {
		// No host name has an '@': it is user[:password]@host, bare or
		// in a URL (a '/' in the password ends the authority early).
		// Never looked up, nor quoted, which would show the password.
		what := "user@host"
		if strings.Contains(host, "://") {
			what = "a URL with a user name and password"
		}
		return fmt.Errorf("open takes a host, not %s: open HOST, then user NAME (or gftp ftp://user@host/ on the command line)", what)
	}
	if s.Connected() {
		if host == s.host && (port == s.port || port == "" && s.port == "21") {
			// The script of "ftp -inv host <<EOF" that opens it again (as
			// tnftp, which says so and goes on with the connection it has).
			s.Warnf("already connected to %s", s.host)
			return nil
		}
		return fmt.Errorf("already connected to %s, use close first", s.host)
	}
	// Links left from the last server (its connection lost, not closed)
	// must not serve this one's commands.
	s.closeIdle(s.own(ctx))
	s.autoTLS.Store(autoTLSUnknown)
	s.relogin, s.fellBack, s.dataWorked, s.main.cutByStop = false, false, false, false
	s.zone, s.zoneKnown = 0, false
	host, port, s.bm = s.bookmark(host, port)
	host, s.tlsFor = tlsScheme(host)
	if s.tlsFor == nil && s.bm != nil && s.bm.TLS != nil {
		m := *s.bm.TLS
		s.tlsFor = &m
	}
	if port == "" {
		// "host:port" and "[v6addr]:port", as lftp and URLs write them; a
		// bare IPv6 address has colons too, and is left whole.
		if h, p, err := net.SplitHostPort(host); err == nil && p != "" {
			host, port = h, p
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1] // [::1], with the port given apart or not at all
	}
	if port == "" {
		port = "21"
		if s.tlsMode() == TLSImplicit {
			port = "990"
		}
	}
	s.host, s.port = host, port
	err := s.dialBusy(ctx)
	if err != nil && s.askTrust(err) {
		err = s.dialBusy(ctx)
	}
	if err != nil {
		s.bm, s.tlsFor = nil, nil
		return err
	}
	if !s.opts.AutoLogin {
		return nil
	}
	if done, err := s.netrcLogin(ctx); done {
		return err
	}
	if done, err := s.bookmarkLogin(ctx); done {
		return err
	}
	return s.autoLoginNow(ctx)
}

// dialBusy dials the session's link, trying again (as for other transient
// failures) while the server greets with a 4xx such as 421 "too many
// connections". A refused or unreachable address is not retried: nothing
// is there.
func (s *Session) dialBusy(ctx context.Context) error {
	wait := s.opts.RetryWait
	err := s.main.dial(ctx)
	var re *ftp.ReplyError
	for try := 1; try <= s.opts.Retries && errors.As(err, &re) && re.Temporary() && ctx.Err() == nil; try++ {
		if err := s.pause(ctx, "open "+s.host, err, try, &wait); err != nil {
			return err
		}
		err = s.main.dial(ctx)
	}
	return err
}

// netrcLogin logs in with the .netrc entry for the host, if there is one
// with a login, and runs its init macro. done reports whether it applied.
func (s *Session) netrcLogin(ctx context.Context) (done bool, err error) {
	if s.netrc == nil {
		return false, nil
	}
	f, err := s.netrc()
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return true, &LoginError{Err: err}
	}
	e, ok := f.Lookup(s.host)
	if !ok || e.Login == "" {
		return false, nil
	}
	if e.HasPassword {
		err = s.Login(ctx, e.Login, e.Password)
	} else {
		err = s.LoginAsking(ctx, e.Login)
	}
	if err != nil {
		return true, err
	}
	if lines, ok := f.Macro(s.host, "init"); ok && s.runMacro != nil {
		return true, s.runMacro(ctx, "init", lines)
	}
	return true, nil
}

// autoLoginNow asks the terminal for a user name, as ftp(1) does.
func (s *Session) autoLoginNow(ctx context.Context) error {
	// Without a terminal (cron), a script logs in with its own user line;
	// its input is never read as the answer.
	noTTY := func() error {
		if s.opts.Verbose {
			s.Warnf("not logged in: no terminal to ask for a user name (use: user NAME [PASSWORD], or -n)")
		}
		return nil
	}
	if s.ask == nil {
		return noTTY()
	}
	name, err := s.ask.Ask(fmt.Sprintf("Name (%s:%s): ", s.host, s.localUser))
	if errors.Is(err, ErrNoTerminal) {
		return noTTY()
	}
	if err != nil {
		return &LoginError{Err: err}
	}
	if name = strings.TrimSpace(name); name == "" {
		name = s.localUser
	}
	return s.LoginAsking(ctx, name)
}

// OpenAsking is open with no host, as in tnftp: it asks "(to) " for the
// host and port.
func (s *Session) OpenAsking(ctx context.Context) error {
	words, err := s.askWords("(to) ", "open: no host (usage: open host [port])")
	if err != nil {
		return err
	}
	if len(words) > 2 {
		return fmt.Errorf("open: %q is more than a host and a port", strings.Join(words, " "))
	}
	port := ""
	if len(words) == 2 {
		port = words[1]
	}
	return s.Open(ctx, words[0], port)
}

// UserAsking is user with no name, as in tnftp: it asks "(username) ",
// then for the password when the server wants one.
func (s *Session) UserAsking(ctx context.Context) error {
	words, err := s.askWords("(username) ", "user: no user name (usage: user user-name [password])")
	if err != nil {
		return err
	}
	if len(words) > 1 {
		return fmt.Errorf("user: type the password when it is asked for, not with the name")
	}
	return s.LoginAsking(ctx, words[0])
}

// askWords asks the terminal and splits the answer; none, or no terminal,
// is the error none.
func (s *Session) askWords(prompt, none string) ([]string, error) {
	if s.ask == nil {
		return nil, errors.New(none)
	}
	ans, err := s.ask.Ask(prompt)
	if errors.Is(err, ErrNoTerminal) {
		return nil, errors.New(none)
	}
	if err != nil {
		return nil, err
	}
	words := strings.Fields(ans)
	if len(words) == 0 {
		return nil, errors.New(none)
	}
	return words, nil
}

// Login logs in as user with pass.
func (s *Session) Login(ctx context.Context, user, pass string) error {
	return s.login(ctx, user, func() (string, error) { return pass, nil })
}

// LoginAsking logs in as user; when the server wants a password, it comes
// from GFTP_PASSWORD, else from the terminal.
func (s *Session) LoginAsking(ctx context.Context, user string) error {
	return s.login(ctx, user, func() (string, error) {
		if s.password != "" {
			return s.password, nil
		}
		noTTY := fmt.Errorf("the server wants a password for %s and there is %w for it", user, ErrNoTerminal)
		if s.ask == nil {
			return "", noTTY
		}
		answer, err := s.ask.AskPassword("Password: ")
		if errors.Is(err, ErrNoTerminal) {
			return "", noTTY
		}
		return answer, err
	})
}

func (s *Session) login(ctx context.Context, user string, pass func() (string, error)) error {
	if !s.Connected() {
		return ErrNotConnected
	}
	if err := ftp.CheckArg(user); err != nil {
		return err
	}
	var used string
	s.main.cwd = where{} // a new login starts in its own directory
	// The pool's links are the old login's, in its directory: not this one's.
	s.closeIdle(s.own(ctx))
	err := s.main.login(ctx, user, func() (string, error) {
		pw, err := pass()
		used = pw
		return pw, err
	})
	if err != nil {
		return err
	}
	// Remembered (in memory only) so that a lost connection can be
	// re-established, and more links opened, with the same login.
	s.loginUser, s.loginPass, s.relogin = user, used, true
	// Like ftp(1): tell the system type and the transfer type (SYST only
	// then: a round trip nobody reads otherwise). gftp always starts in
	// binary, which is what backups need.
	if s.opts.Verbose {
		if sys, err := s.main.conn.Syst(ctx); err == nil {
			s.printf("Remote system type is %s.\n", sys)
		}
		if !s.ascii {
			s.printf("Using binary mode to transfer files.\n")
		}
	}
	return nil
}

// Disconnect is the close command: Close. With nothing to close (not
// even a connection an interruption cut) it says so and is no failure,
// as in tnftp: a script's "close" after the server hung up has lost
// nothing.
func (s *Session) Disconnect(ctx context.Context) error {
	if !s.main.connected() && !s.main.cutByStop {
		s.Warnf("not connected")
		return s.Close(ctx) // the idle links, and the login kept for a reconnect
	}
	return s.Close(ctx)
}

// Close ends the connection with QUIT. The bookmark's settings end with
// it.
func (s *Session) Close(ctx context.Context) error {
	s.bm, s.tlsFor, s.relogin = nil, nil, false
	// The idle links' QUITs go with the main link's.
	idle := make(chan error, 1)
	go func() { idle <- s.closeIdle(s.own(ctx)) }() // their goodbyes are gftp's business
	err := s.main.close(ctx)
	return errors.Join(<-idle, err)
}

// localPath resolves a local name against the session's local directory
// (lcd), so that no process-wide chdir is needed.
func (s *Session) localPath(name string) string {
	name = expandHome(name)
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(s.localDir, name)
}

// Printer is the session's printer.
func (s *Session) Printer() *Printer { return s.p }

// Printf writes to the session's transcript (stdout).
func (s *Session) Printf(format string, args ...any) { s.printf(format, args...) }

// Writer is the session's transcript writer.
func (s *Session) Writer() io.Writer { return s.p.Stdout() }

// LocalDir is the session's local directory (changed by lcd).
func (s *Session) LocalDir() string { return s.localDir }

// SetConfirm sets who is asked per file in mget/mput/mdelete (the REPL's
// terminal; nobody in scripts).
func (s *Session) SetConfirm(a Asker) { s.confirm = a }

// SetAsk sets who is asked for names and passwords (the terminal; nil
// when there is none, as under cron, and then nothing is asked).
func (s *Session) SetAsk(a Asker) { s.ask = a }

// Verbose reports whether server replies are shown.
func (s *Session) Verbose() bool { return s.opts.Verbose }

// Totals counts what a session moved.
type Totals struct {
	FilesSent, FilesReceived int
	BytesSent, BytesReceived int64
}

// Totals reports what the session moved so far.
func (s *Session) Totals() Totals {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totals
}

// Logf writes to the log (for the runners' start and summary lines).
func (s *Session) Logf(format string, args ...any) { s.logf(format, args...) }

// SetMacroRunner sets who runs .netrc macros (the dispatcher, which
// depends on this package and so cannot be called from here directly).
func (s *Session) SetMacroRunner(fn func(ctx context.Context, name string, lines []string) error) {
	s.runMacro = fn
}
