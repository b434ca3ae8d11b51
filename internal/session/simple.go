package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
)

// show prints a reply that the user asked for even when not verbose
// (verbose mode has printed it already).
func (s *Session) show(r *ftp.Reply) {
	if !s.opts.Verbose && r != nil {
		s.printf("%s\n", r.String())
	}
}

// Cd changes the remote directory.
func (s *Session) Cd(ctx context.Context, dir string) error {
	if path.IsAbs(dir) {
		return s.cdAbsolute(ctx, dir)
	}
	if err := s.EnsureConnected(ctx); err != nil {
		return err
	}
	return s.main.retrying(ctx, "cd "+dir, func(bool) error {
		if err := s.main.check(s.main.conn.Cwd(ctx, dir)); err != nil {
			return err
		}
		s.main.moved(ctx, dir)
		return nil
	})
}

// cdAbsolute is a cd to an absolute directory, which needs no way back to
// the old one: a reconnect on the way (a connection lost before the cd,
// or by its CWD) goes to the login directory, and the cd goes on from
// there. The old directory may be what failed: deleted since, its CWD
// refused at every reconnect, so that no other command could get the
// session out of it. A cd that fails after such a reconnect leaves the
// link closed and the old directory the place to go back to: no command
// runs in the login directory.
func (s *Session) cdAbsolute(ctx context.Context, dir string) error {
	l := s.main
	old, afresh := l.cwd.clone(), false
	fresh := func() {
		l.cwd, afresh = where{}, true
	}
	err := l.retrying(ctx, "cd "+dir, func(bool) error {
		if !l.connected() {
			fresh()
			if err := s.EnsureConnected(ctx); err != nil {
				return err
			}
		}
		if err := l.check(l.conn.Cwd(ctx, dir)); err != nil {
			if !l.connected() {
				fresh() // for the retry's reconnect
			}
			return err
		}
		l.moved(ctx, dir)
		return nil
	})
	if err != nil && afresh {
		if l.conn != nil {
			l.conn.Close()
		}
		l.conn, l.loggedIn = nil, false
		l.cwd = old
	}
	return err
}

// Cdup goes to the remote parent directory.
func (s *Session) Cdup(ctx context.Context) error {
	return s.main.retrying(ctx, "cdup", func(bool) error {
		if err := s.main.check(s.main.conn.Cdup(ctx)); err != nil {
			return err
		}
		s.main.moved(ctx, cdup)
		return nil
	})
}

// Pwd prints the remote directory.
func (s *Session) Pwd(ctx context.Context) error {
	var dir string
	err := s.main.retrying(ctx, "pwd", func(bool) (err error) {
		dir, err = s.main.conn.Pwd(ctx)
		return s.main.check(err)
	})
	if err != nil {
		return err
	}
	if !s.opts.Verbose {
		s.printf("Remote directory: %s\n", dir)
	}
	return nil
}

// Lcd changes the local directory (the session's own, not the process's).
func (s *Session) Lcd(dir string) error {
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("no home directory: %w", err)
		}
		dir = home
	}
	p := s.localPath(dir)
	fi, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("local directory %s: %w", dir, bareCause(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("local directory %s: not a directory", dir)
	}
	s.localDir = p
	s.printf("Local directory now: %s\n", p)
	return nil
}

// Delete deletes a remote file.
func (s *Session) Delete(ctx context.Context, name string) error {
	return s.main.check(s.main.conn.Delete(ctx, name))
}

// Mkdir makes a remote directory. (Retried: making a folder twice is
// refused, not harmful.)
//
// A refused MKD of a directory that is there already is said and no
// failure: a nightly script's "mkdir bakdir" must not stop every run after
// the first (tnftp goes on past its 550 too). A CWD there and back tells.
func (s *Session) Mkdir(ctx context.Context, name string) error {
	return s.main.retrying(ctx, "mkdir "+name, func(bool) error {
		err := s.main.check(s.main.conn.Mkdir(ctx, name))
		var re *ftp.ReplyError
		if errors.As(err, &re) && s.main.isDir(ctx, name) {
			s.Warnf("mkdir %s: the directory is there already", safe.Visible(name))
			return nil
		}
		return err
	})
}

// Rmdir removes a remote directory.
// MkdirAll makes dir and the parents it lacks (mkdir -p): an MKD for each
// part in turn, where a refusal before the last is taken for "exists" (a
// missing parent fails the next one anyway). When the last is refused,
// a CWD there and back tells whether it exists, which is success, as for
// mkdir -p.
func (s *Session) MkdirAll(ctx context.Context, dir string) error {
	l := s.main
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	prefix := ""
	if strings.HasPrefix(dir, "/") {
		prefix = "/"
	}
	for i, p := range parts {
		if p == "" {
			continue
		}
		prefix = path.Join(prefix, p)
		if i == len(parts)-1 {
			return s.ensureRemoteDir(ctx, prefix)
		}
		if err := l.conn.Mkdir(ctx, prefix); err != nil && l.lost(err) {
			return l.check(err)
		}
	}
	return nil
}

// isDir reports whether dir is a directory the server lets us enter,
// and returns to where the link was.
func (l *link) isDir(ctx context.Context, dir string) bool {
	here, err := l.conn.Pwd(l.s.own(ctx))
	if err != nil || l.conn.Cwd(l.s.own(ctx), dir) != nil {
		return false
	}
	if err := l.conn.Cwd(l.s.own(ctx), here); err != nil && l.check(err) != nil && l.connected() {
		// Inside dir, and not back: no command may run here in the belief
		// that it runs there. The next one reconnects, to where it was.
		l.conn.Close()
		l.loggedIn = false
	}
	return true
}

func (s *Session) Rmdir(ctx context.Context, name string) error {
	return s.main.check(s.main.conn.Rmdir(ctx, name))
}

// Rename renames a remote file (RNFR then RNTO).
func (s *Session) Rename(ctx context.Context, from, to string) error {
	return s.main.check(s.main.conn.Rename(ctx, from, to))
}

// Size prints the size of a remote file. SIZE depends on the type, so the
// session's type is set first.
func (s *Session) Size(ctx context.Context, name string) error {
	var n int64
	err := s.main.retrying(ctx, "size "+name, func(bool) (err error) {
		if err := s.main.ensureType(ctx); err != nil {
			return err
		}
		n, err = s.main.conn.Size(ctx, name)
		return s.main.check(err)
	})
	if err != nil {
		return err
	}
	s.printf("%s\t%d\n", name, n)
	return nil
}

// Quote sends a raw command and prints its replies, up to the final one.
func (s *Session) Quote(ctx context.Context, line string) error {
	replies, err := s.main.conn.Raw(ctx, strings.Trim(line, " \t"))
	for _, r := range replies {
		s.show(r)
	}
	return s.main.check(err)
}

// System prints the server's system type.
func (s *Session) System(ctx context.Context) error {
	replies, err := s.main.conn.Raw(ctx, "SYST")
	for _, r := range replies {
		s.show(r)
	}
	return s.main.check(err)
}

// SetASCII chooses ASCII (true) or binary transfers, telling the server at
// once when connected, as ftp(1) does.
func (s *Session) SetASCII(ctx context.Context, ascii bool) error {
	s.ascii = ascii
	if s.Connected() {
		return s.main.ensureType(ctx)
	}
	return nil
}

// Type reports the transfer type name.
func (s *Session) Type() string {
	if s.ascii {
		return "ascii"
	}
	return "binary"
}

// ToggleVerbose flips or sets verbose mode.
func (s *Session) ToggleVerbose(arg string) error {
	return s.setFlag(&s.opts.Verbose, arg, "Verbose mode %s.\n")
}

// ToggleDebug flips or sets debug mode (commands sent are shown).
func (s *Session) ToggleDebug(arg string) error {
	return s.setFlag(&s.opts.Debug, arg, "Debugging %s.\n")
}

// ToggleProgress flips or sets the progress bars.
// TogglePreserve is tnftp's preserve: downloaded files keep the server's
// modification time.
func (s *Session) TogglePreserve(arg string) error {
	return s.setFlag(&s.opts.Preserve, arg, "Preserve modification times: %s.\n")
}

// Modtime shows a remote file's modification time (MDTM), in UTC, as the
// server keeps it.
func (s *Session) Modtime(ctx context.Context, name string) error {
	t, err := s.main.conn.Mdtm(ctx, name)
	if err != nil {
		return s.main.check(err)
	}
	s.printf("%s\t%s\n", safe.Visible(name), t.Format("2006-01-02 15:04:05 MST"))
	return nil
}

// Newer gets remote only when it is newer than the local file (or there
// is none), by MDTM against the local file's time, to the second.
func (s *Session) Newer(ctx context.Context, remote, local string) error {
	if local == "" {
		local = path.Base(remote)
	}
	if fi, err := os.Stat(s.localPath(local)); err == nil {
		t, err := s.main.conn.Mdtm(s.Shown(ctx), remote)
		if err != nil {
			return fmt.Errorf("newer: cannot tell the remote file's time: %w", s.main.check(err))
		}
		if !t.Truncate(time.Second).After(fi.ModTime().Truncate(time.Second)) {
			s.printf("Local file %q is newer than remote file %q.\n", local, safe.Visible(remote))
			return nil
		}
	}
	return s.main.get(ctx, s.p, remote, local, getOpts{})
}

func (s *Session) ToggleProgress(arg string) error {
	return s.setFlag(&s.opts.Progress, arg, "Progress bar %s.\n")
}

// SetHash is tnftp's hash: with no argument it flips hash marks (one # per
// 1024 bytes); on and off set them; a size sets the bytes per mark.
func (s *Session) SetHash(arg string) error {
	switch strings.ToLower(arg) {
	case "":
		if s.opts.Hash > 0 {
			s.opts.Hash = 0
		} else {
			s.opts.Hash = 1024
		}
	case "on":
		s.opts.Hash = 1024
	case "off":
		s.opts.Hash = 0
	default:
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return fmt.Errorf("hash: %q is not on, off or a number of bytes per mark", arg)
		}
		s.opts.Hash = n
	}
	if s.opts.Hash > 0 {
		s.printf("Hash mark printing on (%d bytes/hash mark).\n", s.opts.Hash)
	} else {
		s.printf("Hash mark printing off.\n")
	}
	return nil
}

// TogglePrompt flips or sets per-file prompting.
func (s *Session) TogglePrompt(arg string) error {
	return s.setFlag(&s.opts.Prompt, arg, "Interactive mode %s.\n")
}

// setFlag flips *flag (no arg) or sets it (on, off), and reports the new
// state with format.
func (s *Session) setFlag(flag *bool, arg, format string) error {
	v, err := toggle(*flag, arg)
	if err != nil {
		return err
	}
	*flag = v
	s.printf(format, onOff(v))
	return nil
}

func toggle(cur bool, arg string) (bool, error) {
	switch strings.ToLower(arg) {
	case "":
		return !cur, nil
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return cur, fmt.Errorf("unknown argument %q (want on or off)", arg)
}

// Status prints the session's state: for the connection open, its own
// settings (a bookmark's included).
func (s *Session) Status(ctx context.Context) error {
	if s.Connected() {
		s.printf("Connected to %s (%s).\n", s.host, s.main.conn.RemoteAddr())
		if !s.main.loggedIn {
			s.printf("Not logged in.\n")
		} else {
			s.printf("Logged in as %s.\n", s.loginUser)
		}
		s.main.resolve(ctx)
		if dir, ok := s.main.cwd.known(); ok && dir != "" {
			s.printf("Remote directory: %s\n", dir)
		}
	} else {
		s.printf("Not connected.\n")
	}
	s.printf("Type: %s; Verbose: %s; Debugging: %s; Prompting: %s.\n",
		s.Type(), onOff(s.opts.Verbose), onOff(s.opts.Debug), onOff(s.opts.Prompt))
	m := s.mode()
	s.printf("Passive mode: %s; fallback to active mode: %s.\n", onOff(m != ModeActive), onOff(m == ModeAuto))
	s.printf("EPSV/EPRT: %s.\n", onOff(s.opts.EPSV))
	s.printf("Preserve modification times: %s.\n", onOff(s.opts.Preserve))
	s.printf("Mode: stream; Form: non-print; Structure: file.\n")
	s.printf("Bell: %s; Globbing: %s; Case: %s; Store unique: %s; Receive unique: %s.\n",
		onOff(s.bell), onOff(!s.noGlob), onOff(s.lowerCase), onOff(s.sunique), onOff(s.runique))
	hash := "off"
	if s.opts.Hash > 0 {
		hash = fmt.Sprintf("on (a # per %d bytes)", s.opts.Hash)
	}
	s.printf("Hash mark printing: %s; Progress bar: %s.\n", hash, onOff(s.opts.Progress))
	rate := func(n int64) string {
		if n == 0 {
			return "off"
		}
		return humanBytes(n) + " a second"
	}
	s.printf("Get transfer rate throttle: %s; Put transfer rate throttle: %s.\n", rate(s.opts.RateGet), rate(s.opts.RatePut))
	s.printf("Retries: %d; Parallel transfers: %d; Temporary upload names: %s.\n", s.opts.Retries, max(1, s.opts.Parallel), onOff(s.opts.TempUpload))
	if s.restartAt > 0 {
		s.printf("Restart point: %d.\n", s.restartAt)
	}
	s.printf("%s\n", s.tlsStatus())
	o := s.engineOptions()
	if o.ActivePortLow > 0 {
		s.printf("Active mode listens on ports %d-%d.\n", o.ActivePortLow, o.ActivePortHigh)
	}
	if a := o.ActiveAddr; a.IsValid() {
		s.printf("Active mode announces address %s.\n", a)
	}
	s.mu.Lock()
	fellBack := s.fellBack
	s.mu.Unlock()
	if fellBack {
		s.printf("Passive mode failed this session: data connections now use active mode.\n")
	}
	s.printf("Local directory: %s\n", s.localDir)
	return nil
}
