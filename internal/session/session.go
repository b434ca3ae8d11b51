// Package session holds the state of one FTP session that the command
// dispatcher drives: the connection and login, the transfer type, the data
// mode and its toggles, the local directory and the user's options. Each
// operation is a method that returns an error; printing follows ftp(1).
package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
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
	// Out and Err take the transcript and the warnings: text that may
	// quote the server, so they should make control characters visible
	// (package safe). RawOut is stdout itself, for listings that the
	// user pipes on: they go there byte for byte unless OutTTY says stdout
	// is a terminal.
	Out, Err       io.Writer
	RawOut         io.Writer
	OutTTY         bool
	Verbose, Debug bool
	Prompt         bool // ask per file (ftp's "interactive")
	AutoLogin      bool // log in right after open (ftp without -n)
	Mode           Mode
	LocalDir       string // where relative local paths start
	LocalUser      string // the default name offered at login

	ConnectTimeout, ReplyTimeout, DataTimeout, StallTimeout time.Duration

	// Password answers the server's request for one when a login gives
	// none (GFTP_PASSWORD), before asking the terminal.
	Password string
	// Netrc loads the .netrc that auto-login consults (nil: none). Its
	// error wrapping fs.ErrNotExist means there is none.
	Netrc func() (*netrc.File, error)
	// Log, when set, receives timestamped lines: commands sent (PASS
	// masked), replies and transfers.
	Log io.Writer
	// TempUpload uploads to a temporary name, renamed when complete.
	TempUpload bool
	// Bookmarks are named servers (config file) that open accepts.
	Bookmarks map[string]Bookmark
	// Retries is how many times a transient failure is tried again, the
	// first after RetryWait, then twice as long each time.
	Retries   int
	RetryWait time.Duration
	// NoEPSV starts with the extended commands (EPSV, EPRT) off.
	NoEPSV bool
	// ActivePortLow..ActivePortHigh bounds active mode's listening ports.
	ActivePortLow, ActivePortHigh int
	// ActiveAddr is announced in PORT/EPRT instead of the local address.
	ActiveAddr netip.Addr
}

// Session is one FTP session. Not safe for concurrent use.
type Session struct {
	out, errw io.Writer
	rawOut    io.Writer
	outTTY    bool
	ask       Asker
	confirm   Asker

	verbose, debug, prompt, autoLogin bool

	mode       Mode
	extended   bool // EPSV and EPRT in use (the epsv toggle)
	tempUpload bool
	log        io.Writer
	totals     Totals
	netrc      func() (*netrc.File, error)
	runMacro   func(ctx context.Context, name string, lines []string) error
	// fellBack records that auto mode gave up on passive this session.
	fellBack bool
	ascii    bool

	conn *ftp.Conn
	host string
	port string
	// For reconnecting: the login that worked and the directory.
	loginUser, loginPass string
	relogin              bool
	cwd                  string
	retries              int
	dataWorked           bool // a data connection succeeded this session
	cutByStop            bool // the connection was closed by an interruption
	bookmarks            map[string]Bookmark
	retryWait            time.Duration
	loggedIn             bool
	localDir             string
	localUser            string
	password             string // from the environment; never printed
	timeouts             ftp.Options
}

// New makes a session from cfg.
func New(cfg Config) *Session {
	out, errw := cfg.Out, cfg.Err
	if out == nil {
		out = io.Discard
	}
	if errw == nil {
		errw = io.Discard
	}
	dir := cfg.LocalDir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	raw := cfg.RawOut
	if raw == nil {
		raw = out
	}
	return &Session{
		out: out, errw: errw, rawOut: raw, outTTY: cfg.OutTTY,
		verbose: cfg.Verbose, debug: cfg.Debug, prompt: cfg.Prompt, autoLogin: cfg.AutoLogin,
		mode: cfg.Mode, extended: !cfg.NoEPSV, tempUpload: cfg.TempUpload, log: cfg.Log,
		retries: cfg.Retries, retryWait: cfg.RetryWait, bookmarks: cfg.Bookmarks,
		netrc: cfg.Netrc, password: cfg.Password, localDir: dir, localUser: cfg.LocalUser,
		timeouts: ftp.Options{
			ConnectTimeout: cfg.ConnectTimeout,
			ReplyTimeout:   cfg.ReplyTimeout,
			DataTimeout:    cfg.DataTimeout,
			StallTimeout:   cfg.StallTimeout,
			ActivePortLow:  cfg.ActivePortLow,
			ActivePortHigh: cfg.ActivePortHigh,
			ActiveAddr:     cfg.ActiveAddr,
		},
	}
}

// Connected reports whether a control connection is open.
func (s *Session) Connected() bool { return s.conn != nil && !s.conn.Closed() }

// EnsureConnected is for a command that needs a connection. A connection
// that an interruption closed (Ctrl-C while the server owed a reply) is
// opened again, logged in and back in its directory; otherwise a missing
// connection is ErrNotConnected.
func (s *Session) EnsureConnected(ctx context.Context) error {
	if s.Connected() {
		return nil
	}
	if !s.cutByStop || !s.relogin {
		return ErrNotConnected
	}
	s.cutByStop = false
	return s.reconnect(ctx)
}

// printf writes to the transcript.
func (s *Session) printf(format string, args ...any) { fmt.Fprintf(s.out, format, args...) }

// Warnf writes a one-line notice to stderr.
func (s *Session) Warnf(format string, args ...any) {
	fmt.Fprintf(s.errw, "gftp: "+format+"\n", args...)
}

// onSend and onReply see every exchange on the connection: all go to the
// log, and with -d to the transcript, gftp's own bookkeeping included.
func (s *Session) onSend(line string) {
	s.logf("---> %s", line) // line comes masked from the engine
	if s.debug {
		s.printf("---> %s\n", line)
	}
}

func (s *Session) onReply(r *ftp.Reply) {
	for _, l := range r.Lines {
		s.logf("<--- %s", l)
	}
	if s.debug && s.verbose {
		s.printf("%s\n", r.String())
	}
}

// Shown returns ctx with the transcript's trace: the replies to what runs
// under it are shown when verbose, as ftp(1) shows the replies to the
// commands typed. The dispatcher runs every command under it.
func (s *Session) Shown(ctx context.Context) context.Context {
	return ftp.WithTrace(ctx, &ftp.Trace{Reply: func(r *ftp.Reply) {
		if s.verbose && !s.debug { // with -d, onReply showed it
			s.printf("%s\n", r.String())
		}
	}})
}

// own returns ctx for gftp's own bookkeeping (FEAT, a size check, the PWD
// after a cd): its replies are not the user's to read, unless debugging.
func own(ctx context.Context) context.Context { return ftp.WithTrace(ctx, nil) }

// Open connects to host (and port, default 21), then logs in when the
// session auto-logs in and someone can be asked for the name.
func (s *Session) Open(ctx context.Context, host, port string) error {
	if s.Connected() {
		return fmt.Errorf("already connected to %s, use close first", s.host)
	}
	s.relogin, s.fellBack, s.dataWorked, s.cutByStop = false, false, false, false
	host, port, bm := s.bookmark(host, port)
	if port == "" {
		// "host:port" and "[v6addr]:port", as lftp and URLs write them; a
		// bare IPv6 address has colons too, and is left whole.
		if h, p, err := net.SplitHostPort(host); err == nil && p != "" {
			host, port = h, p
		} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			host = host[1 : len(host)-1]
		}
	}
	if port == "" {
		port = "21"
	}
	if err := s.dialBusy(ctx, host, port); err != nil {
		return err
	}
	if !s.autoLogin {
		return nil
	}
	if done, err := s.netrcLogin(ctx); done {
		return err
	}
	if done, err := s.bookmarkLogin(ctx, bm); done {
		return err
	}
	return s.autoLoginNow(ctx)
}

// dialBusy dials, trying again (as for other transient failures) while
// the server greets with a 4xx such as 421 "too many connections". A
// refused or unreachable address is not retried: nothing is there.
func (s *Session) dialBusy(ctx context.Context, host, port string) error {
	wait := s.retryWait
	err := s.dial(ctx, host, port)
	var re *ftp.ReplyError
	for try := 1; try <= s.retries && errors.As(err, &re) && re.Temporary() && ctx.Err() == nil; try++ {
		if err := s.pause(ctx, "open "+host, err, try, &wait); err != nil {
			return err
		}
		err = s.dial(ctx, host, port)
	}
	return err
}

// dial opens the control connection and reads the greeting.
func (s *Session) dial(ctx context.Context, host, port string) error {
	opts := s.timeouts
	opts.OnSend = s.onSend
	opts.OnStray = func(r *ftp.Reply) {
		s.Warnf("ignored a reply the server sent unasked: %s", strings.Join(strings.Fields(r.String()), " "))
	}
	// The greeting arrives inside Dial; print "Connected to" before it, as
	// ftp(1) does, by holding its replies until the dial is done.
	var greeting []*ftp.Reply
	held := true
	opts.OnReply = func(r *ftp.Reply) {
		if held {
			greeting = append(greeting, r)
			return
		}
		s.onReply(r)
	}
	shown := ftp.TraceFrom(ctx)
	c, _, err := ftp.Dial(ftp.WithTrace(ctx, nil), net.JoinHostPort(host, port), opts)
	held = false
	if err == nil && s.verbose {
		s.printf("Connected to %s.\n", host)
	}
	for _, r := range greeting {
		s.onReply(r)
		if shown != nil && shown.Reply != nil {
			shown.Reply(r)
		}
	}
	if err != nil {
		return &ConnectError{Err: err}
	}
	s.conn, s.host, s.port, s.loggedIn = c, host, port, false
	c.SetExtended(s.extended)
	return nil
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
	if err := s.Login(ctx, e.Login, e.Password, e.HasPassword); err != nil {
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
		if s.verbose {
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
	return s.Login(ctx, name, "", false)
}

// Login logs in as user. Without a password (hasPass false) one is asked
// on the terminal if the server wants it.
func (s *Session) Login(ctx context.Context, user, pass string, hasPass bool) error {
	if !s.Connected() {
		return ErrNotConnected
	}
	if err := ftp.CheckArg(user); err != nil {
		return err
	}
	used := pass
	askPass := func() (pw string, err error) {
		defer func() { used = pw }()
		if hasPass {
			return pass, nil
		}
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
	}
	if err := s.conn.Login(ctx, user, askPass); err != nil {
		if s.lostConn(err) {
			return &ConnectError{Err: err}
		}
		return &LoginError{Err: err}
	}
	s.loggedIn = true
	// Remembered (in memory only) so that a lost connection can be
	// re-established for a retry.
	s.loginUser, s.loginPass, s.relogin, s.cwd = user, used, true, ""
	// Like ftp(1): tell the system type and the transfer type. gftp
	// always starts in binary, which is what backups need.
	if sys, err := s.conn.Syst(ctx); err == nil && s.verbose {
		s.printf("Remote system type is %s.\n", sys)
	}
	if s.verbose && !s.ascii {
		s.printf("Using binary mode to transfer files.\n")
	}
	return nil
}

// Disconnect is the close command: Close, and ErrNotConnected when there
// is nothing to close, not even a connection an interruption cut.
func (s *Session) Disconnect(ctx context.Context) error {
	if s.conn == nil && !s.cutByStop {
		return ErrNotConnected
	}
	return s.Close(ctx)
}

// Close ends the connection with QUIT.
func (s *Session) Close(ctx context.Context) error {
	s.cutByStop = false
	if s.conn == nil {
		return nil
	}
	err := s.conn.Quit(ctx)
	s.conn, s.loggedIn = nil, false
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// localPath resolves a local name against the session's local directory
// (lcd), so that no process-wide chdir is needed.
func (s *Session) localPath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(s.localDir, name)
}

// features asks the server's FEAT list (cached), without printing it.
// The error is a lost connection or an interruption.
func (s *Session) features(ctx context.Context) (f map[string]string, err error) {
	f, err = s.conn.Features(own(ctx))
	return f, s.check(err)
}

// Printf writes to the session's transcript (stdout).
func (s *Session) Printf(format string, args ...any) { s.printf(format, args...) }

// Writer is the session's transcript writer.
func (s *Session) Writer() io.Writer { return s.out }

// LocalDir is the session's local directory (changed by lcd).
func (s *Session) LocalDir() string { return s.localDir }

// SetConfirm sets who is asked per file in mget/mput/mdelete (the REPL's
// terminal; nobody in scripts).
func (s *Session) SetConfirm(a Asker) { s.confirm = a }

// SetAsk sets who is asked for names and passwords (the terminal; nil
// when there is none, as under cron, and then nothing is asked).
func (s *Session) SetAsk(a Asker) { s.ask = a }

// Verbose reports whether server replies are shown.
func (s *Session) Verbose() bool { return s.verbose }

// Totals counts what a session moved.
type Totals struct {
	FilesSent, FilesReceived int
	BytesSent, BytesReceived int64
}

// Totals reports what the session moved so far.
func (s *Session) Totals() Totals { return s.totals }

// logf appends a timestamped line to the log, if there is one.
func (s *Session) logf(format string, args ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, "%s %s\n", time.Now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
	}
}

// Logf writes to the log (for the runners' start and summary lines).
func (s *Session) Logf(format string, args ...any) { s.logf(format, args...) }

// SetMacroRunner sets who runs .netrc macros (the dispatcher, which
// depends on this package and so cannot be called from here directly).
func (s *Session) SetMacroRunner(fn func(ctx context.Context, name string, lines []string) error) {
	s.runMacro = fn
}
