package session

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/gftp/gftp/internal/ftp"
)

// cmd runs one control-connection command and checks for a lost connection.
func (s *Session) cmd(ctx context.Context, line string) (*ftp.Reply, error) {
	r, err := s.conn.Cmd(ctx, line)
	return r, s.check(err)
}

// show prints a reply that the user asked for even when not verbose
// (verbose mode has printed it already).
func (s *Session) show(r *ftp.Reply) {
	if !s.verbose && r != nil {
		s.printf("%s\n", r.String())
	}
}

// Cd changes the remote directory.
func (s *Session) Cd(ctx context.Context, dir string) error {
	return s.retrying(ctx, "cd "+dir, func(bool) error {
		if _, err := s.cmd(ctx, "CWD "+dir); err != nil {
			return err
		}
		s.trackCwd(ctx)
		return nil
	})
}

// Cdup goes to the remote parent directory.
func (s *Session) Cdup(ctx context.Context) error {
	return s.retrying(ctx, "cdup", func(bool) error {
		if _, err := s.cmd(ctx, "CDUP"); err != nil {
			return err
		}
		s.trackCwd(ctx)
		return nil
	})
}

// Pwd prints the remote directory.
func (s *Session) Pwd(ctx context.Context) error {
	var r *ftp.Reply
	err := s.retrying(ctx, "pwd", func(bool) (err error) {
		r, err = s.cmd(ctx, "PWD")
		return err
	})
	if err != nil {
		return err
	}
	dir := pwdPath(r.Message())
	if !s.verbose {
		s.printf("Remote directory: %s\n", dir)
	}
	return nil
}

// pwdPath reads the directory out of a 257 reply: `"dir" text` is the
// RFC 959 form, where a doubled quote stands for a quote.
func pwdPath(msg string) string {
	if i, j := strings.Index(msg, `"`), strings.LastIndex(msg, `"`); i >= 0 && j > i {
		return strings.ReplaceAll(msg[i+1:j], `""`, `"`)
	}
	return msg
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
		return fmt.Errorf("local directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("local directory: %s is not a directory", dir)
	}
	s.localDir = p
	s.printf("Local directory now: %s\n", p)
	return nil
}

// Delete deletes a remote file.
func (s *Session) Delete(ctx context.Context, name string) error {
	_, err := s.cmd(ctx, "DELE "+name)
	return err
}

// Mkdir makes a remote directory. (Retried: making a folder twice is
// refused, not harmful.)
func (s *Session) Mkdir(ctx context.Context, name string) error {
	return s.retrying(ctx, "mkdir "+name, func(bool) error {
		_, err := s.cmd(ctx, "MKD "+name)
		return err
	})
}

// Rmdir removes a remote directory.
func (s *Session) Rmdir(ctx context.Context, name string) error {
	_, err := s.cmd(ctx, "RMD "+name)
	return err
}

// Rename renames a remote file (RNFR then RNTO).
func (s *Session) Rename(ctx context.Context, from, to string) error {
	if err := ftp.CheckArg(to); err != nil {
		return err // before RNFR, so nothing is left half done
	}
	r, err := s.cmd(ctx, "RNFR "+from)
	if err != nil {
		return err
	}
	if r.Code != 350 {
		return &ftp.ReplyError{Command: "RNFR", Reply: r}
	}
	_, err = s.cmd(ctx, "RNTO "+to)
	return err
}

// Size prints the size of a remote file. SIZE depends on the type, so the
// session's type is set first.
func (s *Session) Size(ctx context.Context, name string) error {
	var r *ftp.Reply
	err := s.retrying(ctx, "size "+name, func(bool) (err error) {
		if err := s.ensureType(ctx); err != nil {
			return err
		}
		r, err = s.cmd(ctx, "SIZE "+name)
		return err
	})
	if err != nil {
		return err
	}
	s.printf("%s\t%s\n", name, strings.TrimSpace(r.Message()))
	return nil
}

// Quote sends a raw command and prints the replies. Preliminary (1xx)
// replies are followed to the final one so the stream stays in step.
func (s *Session) Quote(ctx context.Context, line string) error {
	line = strings.Trim(line, " \t")
	verb := strings.ToUpper(strings.Fields(line + " ?")[0])
	if err := s.conn.Send(ctx, line); err != nil {
		return s.check(err)
	}
	for range maxQuoteReplies {
		r, err := s.conn.Read(ctx)
		if err != nil {
			return s.check(err)
		}
		s.show(r)
		if r.Class() == 1 {
			continue
		}
		if r.Class() >= 4 {
			return s.check(&ftp.ReplyError{Command: verb, Reply: r})
		}
		if verb == "TYPE" {
			s.sentType = "" // the server's type is no longer known
		}
		return nil
	}
	s.conn.Close()
	return s.check(fmt.Errorf("%s: the server sent only preliminary replies: %w", verb, ftp.ErrClosed))
}

// maxQuoteReplies bounds the replies one quoted command may bring.
const maxQuoteReplies = 16

// System prints the server's system type.
func (s *Session) System(ctx context.Context) error {
	r, err := s.cmd(ctx, "SYST")
	if err != nil {
		return err
	}
	s.show(r)
	return nil
}

// SetASCII chooses ASCII (true) or binary transfers, telling the server at
// once when connected, as ftp(1) does.
func (s *Session) SetASCII(ctx context.Context, ascii bool) error {
	s.ascii = ascii
	if s.Connected() {
		return s.ensureType(ctx)
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
	return s.setFlag(&s.verbose, arg, "Verbose mode %s.\n")
}

// ToggleDebug flips or sets debug mode (commands sent are shown).
func (s *Session) ToggleDebug(arg string) error {
	return s.setFlag(&s.debug, arg, "Debugging %s.\n")
}

// TogglePrompt flips or sets per-file prompting.
func (s *Session) TogglePrompt(arg string) error {
	return s.setFlag(&s.prompt, arg, "Interactive mode %s.\n")
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

// Status prints the session's state.
func (s *Session) Status() error {
	if s.Connected() {
		s.printf("Connected to %s (%s).\n", s.host, s.conn.RemoteAddr())
		if !s.loggedIn {
			s.printf("Not logged in.\n")
		}
	} else {
		s.printf("Not connected.\n")
	}
	s.printf("Type: %s; Verbose: %s; Debugging: %s; Prompting: %s.\n",
		s.Type(), onOff(s.verbose), onOff(s.debug), onOff(s.prompt))
	s.printf("Passive mode: %s; fallback to active mode: %s.\n", onOff(s.mode != ModeActive), onOff(s.mode == ModeAuto))
	s.printf("EPSV/EPRT: %s.\n", onOff(s.extended))
	if lo := s.timeouts.ActivePortLow; lo > 0 {
		s.printf("Active mode listens on ports %d-%d.\n", lo, s.timeouts.ActivePortHigh)
	}
	if a := s.timeouts.ActiveAddr; a.IsValid() {
		s.printf("Active mode announces address %s.\n", a)
	}
	if s.fellBack {
		s.printf("Passive mode failed this session: data connections now use active mode.\n")
	}
	s.printf("Local directory: %s\n", s.localDir)
	return nil
}
