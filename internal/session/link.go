package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/gftp/gftp/internal/ftp"
)

// link is one logged-in control connection of a session, with its own
// remote directory, transfer type (the Conn keeps it) and reconnect with
// the session's login. The session's commands run on its main link; a
// parallel command runs on several.
type link struct {
	s        *Session
	conn     *ftp.Conn // nil when closed
	loggedIn bool
	// cwd is the remote directory, to return to after a reconnect.
	cwd where
	// cutByStop: the connection was closed by an interruption (a reply
	// was owed), and the next command opens it again.
	cutByStop bool
	// more: another file of a multi-file command follows on this link, so
	// the next data connection's passive command may go out early.
	more bool
	// walking: a tree walk lists directories on this link, so a listing
	// is likely followed by another transfer and sends its passive
	// command ahead too (one not used is dropped by the next command).
	walking bool
	// noMLSD: the server refused MLSD as not implemented although FEAT
	// offered it; listings use LIST.
	noMLSD bool
	// factsAsked: the facts MLSD sends were chosen (OPTS MLST), once.
	factsAsked bool
	// noStat: STAT with a pathname did not list a directory here, so the
	// upload check lists with LIST or MLSD (statCheck).
	noStat bool
	// utime: which SITE UTIME form sets times on a server without MFMT
	// (utimeUnknown until a first upload tries them).
	utime utimeForm
}

func (l *link) connected() bool { return l.conn != nil && !l.conn.Closed() }

// endMore ends a multi-file command on the link: no next file follows,
// and an active-mode listener announced for one is closed.
func (l *link) endMore() {
	l.more = false
	l.dropAhead()
}

// endWalk is endMore for a tree walk's listings.
func (l *link) endWalk() {
	l.walking = false
	l.dropAhead()
}

func (l *link) dropAhead() {
	if l.conn != nil {
		l.conn.DropAhead()
	}
}

// dial opens the link's control connection to the session's server and
// reads the greeting.
func (l *link) dial(ctx context.Context) error {
	s := l.s
	l.noMLSD, l.factsAsked, l.noStat = false, false, false // a new connection, perhaps another server
	opts := s.engineOptions()
	opts.OnSend = s.onSend
	opts.OnStray = func(r *ftp.Reply) {
		s.Warnf("ignored a reply the server sent unasked: %s", strings.Join(strings.Fields(r.String()), " "))
	}
	opts.OnReply = s.onReply
	// The greeting arrives inside Dial; print "Connected to" before it, as
	// ftp(1) does, by holding its replies until the dial is done.
	var greeting []*ftp.Reply
	shown := ftp.TraceFrom(ctx)
	hold := &ftp.Trace{Reply: func(r *ftp.Reply) { greeting = append(greeting, r) }}
	if s.tlsMode() != TLSOff {
		cfg, err := s.tlsConfig()
		if err != nil {
			return err
		}
		opts.TLS, opts.ImplicitTLS = cfg, s.tlsMode() == TLSImplicit
	}
	c, _, err := ftp.Dial(ftp.WithTrace(ctx, hold), net.JoinHostPort(s.host, s.port), opts)
	if err == nil && s.opts.Verbose && usersOwn(ctx) {
		s.transcriptOf(ctx).Printf("Connected to %s.\n", s.host)
	}
	if shown != nil && shown.Reply != nil {
		for _, r := range greeting {
			shown.Reply(r)
		}
	}
	var ue *UntrustedError
	if errors.As(err, &ue) {
		return &LoginError{Err: ue}
	}
	if err != nil {
		return &ConnectError{Err: err}
	}
	l.conn, l.loggedIn = c, false
	c.SetExtended(s.opts.EPSV)
	if err := l.secure(ctx); err != nil {
		c.Close()
		l.conn = nil
		return err
	}
	return nil
}

// login logs the link in (USER, PASS when the server wants one).
func (l *link) login(ctx context.Context, user string, pass func() (string, error)) error {
	if err := l.conn.Login(ctx, user, pass); err != nil {
		if l.lost(err) {
			return &ConnectError{Err: err}
		}
		return &LoginError{Err: err}
	}
	l.loggedIn = true
	return l.protect(ctx)
}

// reconnect opens a new control connection to the same server and logs
// in again with the session's login (kept in memory only), back in the
// link's directory.
func (l *link) reconnect(ctx context.Context) error {
	s := l.s
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
	if s.host == "" || !s.relogin {
		return ErrNotConnected
	}
	s.Warnf("reconnecting to %s", s.host)
	// The same server: what it was found to lack still holds.
	noMLSD, noStat := l.noMLSD, l.noStat
	err := l.open(ctx)
	l.noMLSD, l.noStat = l.noMLSD || noMLSD, l.noStat || noStat
	var we *wayError
	if errors.As(err, &we) && l == s.main {
		// Every command fails so until the directory is there again;
		// a cd to an absolute directory (cdAbsolute) is the way out.
		err = fmt.Errorf("%w (a cd to an absolute directory goes elsewhere)", err)
	}
	return err
}

// open dials and logs in with the session's login, and goes to the link's
// directory.
func (l *link) open(ctx context.Context) error {
	s := l.s
	if err := l.dial(ctx); err != nil {
		return err
	}
	pass := s.loginPass
	if err := l.login(ctx, s.loginUser, func() (string, error) { return pass, nil }); err != nil {
		// Open but not logged in is no link to run commands on (they
		// would get 530s, and no reconnect).
		l.conn.Close()
		l.loggedIn = false
		return err
	}
	// l.cwd stays where the link is to be, through a failure too (the
	// next reconnect tries again), and is never the login directory on
	// the way: the pool reads the main link's.
	return l.goTo(ctx, where{}, l.cwd)
}

// close ends the link with QUIT.
func (l *link) close(ctx context.Context) error {
	l.cutByStop = false
	if l.conn == nil {
		return nil
	}
	err := l.conn.Quit(ctx)
	l.conn, l.loggedIn = nil, false
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

// check turns a lost control connection into a ConnectError and forgets
// the connection, so that later commands say "Not connected.".
func (l *link) check(err error) error {
	if err == nil {
		return nil
	}
	if l.lost(err) {
		var ce *ConnectError
		if !errors.As(err, &ce) {
			return &ConnectError{Err: fmt.Errorf("connection lost: %w", err)}
		}
	}
	return err
}

// lost forgets the connection when err lost it (or the engine gave it
// up), and reports whether it did.
func (l *link) lost(err error) bool {
	if !errors.Is(err, ftp.ErrClosed) && (l.conn == nil || !l.conn.Closed()) {
		return false
	}
	// Kept, closed for good, not nil: a step of the command under way
	// that goes on after a call whose error it did not need (a SIZE to
	// find where to resume) then gets "closed" from the engine, as a
	// retry wants, where a nil would crash.
	if l.conn != nil {
		l.conn.Close()
	}
	l.loggedIn = false
	// A connection given up because a wait was interrupted is opened
	// again by the next command (EnsureConnected).
	l.cutByStop = errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	return true
}

// ensureType gives the server the session's transfer type; the engine
// sends TYPE only when the server's differs.
func (l *link) ensureType(ctx context.Context) error {
	t := ftp.TypeImage
	if l.s.ascii {
		t = ftp.TypeASCII
	}
	return l.check(l.conn.Type(ctx, t))
}

// features asks the server's FEAT list (cached), without printing it.
// The error is a lost connection or an interruption.
func (l *link) features(ctx context.Context) (map[string]string, error) {
	f, err := l.conn.Features(l.s.own(ctx))
	return f, l.check(err)
}

// canResume reports whether an interrupted binary transfer can go on from
// where it stopped (RFC 3659 REST STREAM).
func (l *link) canResume(ctx context.Context) bool {
	f, _ := l.features(ctx)
	return !l.s.ascii && f["REST"] == "STREAM"
}

// openData opens a data connection for cmd in the session's mode. In auto
// mode a passive failure switches the session (every link) to active for
// good, with a one-line notice, and the command is tried once more.
func (l *link) openData(ctx context.Context, cmd string, offset int64) (*ftp.DataConn, error) {
	s := l.s
	mode := s.dataMode()
	dc, err := l.conn.OpenData(ctx, mode, cmd, offset)
	var de *ftp.DataConnError
	// An interruption is not a passive failure, nor is a failure after
	// passive worked (a passing fault, tried again): no fallback for them.
	if err != nil && ctx.Err() == nil && mode == ftp.Passive && errors.As(err, &de) && de.Mode == ftp.Passive && !s.worked() {
		if s.mode() != ModeAuto {
			return nil, fmt.Errorf("%w (passive mode is on; try: passive off, or passive auto)", err)
		}
		if s.fallBack() {
			s.Warnf("%v; switching to active mode for the rest of this session", err)
		}
		dc, err = l.conn.OpenData(ctx, ftp.Active, cmd, offset)
	}
	if err == nil {
		s.mu.Lock()
		s.dataWorked = true
		s.mu.Unlock()
	}
	if errors.Is(err, ftp.ErrExtendedOff) {
		err = fmt.Errorf("%w (epsv is off; turn it on with: epsv on)", err)
	}
	return dc, l.check(err)
}

// worked reports whether a data connection has worked in this session.
func (s *Session) worked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataWorked
}
