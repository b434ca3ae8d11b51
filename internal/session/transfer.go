package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
)

// check turns a lost control connection into a ConnectError and forgets
// the connection, so that later commands say "Not connected.".
func (s *Session) check(err error) error {
	if err == nil {
		return nil
	}
	if s.lostConn(err) {
		var ce *ConnectError
		if !errors.As(err, &ce) {
			return &ConnectError{Err: fmt.Errorf("connection lost: %w", err)}
		}
	}
	return err
}

// lostConn forgets the connection when err lost it (or the engine gave it
// up), and reports whether it did.
func (s *Session) lostConn(err error) bool {
	if !errors.Is(err, ftp.ErrClosed) && (s.conn == nil || !s.conn.Closed()) {
		return false
	}
	s.conn, s.loggedIn = nil, false
	// A connection given up because a wait was interrupted is opened
	// again by the next command (EnsureConnected).
	s.cutByStop = errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	return true
}

// ensureType gives the server the session's transfer type; the engine
// sends TYPE only when the server's differs.
func (s *Session) ensureType(ctx context.Context) error {
	t := ftp.TypeImage
	if s.ascii {
		t = ftp.TypeASCII
	}
	return s.check(s.conn.Type(ctx, t))
}

// openData opens a data connection for cmd in the session's mode. In auto
// mode a passive failure switches the session to active for good, with a
// one-line notice, and the command is tried once more.
func (s *Session) openData(ctx context.Context, cmd string, offset int64) (*ftp.DataConn, error) {
	mode := s.dataMode()
	dc, err := s.conn.OpenData(ctx, mode, cmd, offset)
	var de *ftp.DataConnError
	// An interruption is not a passive failure: no fallback for it.
	if err != nil && ctx.Err() == nil && mode == ftp.Passive && errors.As(err, &de) && de.Mode == ftp.Passive {
		if s.mode != ModeAuto {
			return nil, fmt.Errorf("%w (passive mode is on; try: passive off, or passive auto)", err)
		}
		s.fellBack = true
		s.Warnf("%v; switching to active mode for the rest of this session", err)
		dc, err = s.conn.OpenData(ctx, ftp.Active, cmd, offset)
	}
	if err == nil {
		s.dataWorked = true
	}
	if errors.Is(err, ftp.ErrExtendedOff) {
		err = fmt.Errorf("%w (epsv is off; turn it on with: epsv on)", err)
	}
	return dc, s.check(err)
}

// stats counts a finished transfer of name, prints ftp(1)'s summary line
// (verbose) and logs it.
func (s *Session) stats(n int64, verb, name string, start time.Time) {
	if verb == "sent" {
		s.totals.FilesSent++
		s.totals.BytesSent += n
	} else {
		s.totals.FilesReceived++
		s.totals.BytesReceived += n
	}
	secs := time.Since(start).Seconds()
	rate := "-"
	if secs > 0 {
		rate = humanRate(float64(n) / secs)
	}
	line := fmt.Sprintf("%d bytes %s in %.2f secs (%s)", n, verb, secs, rate)
	s.logf("transfer: %s: %s", name, line)
	if s.verbose {
		s.printf("%s\n", line)
	}
}

func humanRate(bps float64) string {
	units := []string{"B/s", "KiB/s", "MiB/s", "GiB/s"}
	i := 0
	for bps >= 1024 && i < len(units)-1 {
		bps /= 1024
		i++
	}
	return fmt.Sprintf("%.2f %s", bps, units[i])
}

// startFile begins a file transfer (verb RETR or STOR) of the remote file
// wire: the type, ftp(1)'s "local: remote:" line, and the data connection.
func (s *Session) startFile(ctx context.Context, verb, local, remote, wire string, offset int64) (*ftp.DataConn, error) {
	if err := s.ensureType(ctx); err != nil {
		return nil, err
	}
	if s.verbose {
		if offset > 0 {
			s.printf("local: %s remote: %s (resuming at byte %d)\n", local, remote, offset)
		} else {
			s.printf("local: %s remote: %s\n", local, remote)
		}
	}
	return s.openData(ctx, verb+" "+wire, offset)
}

// Get downloads remote to local (default: the remote base name). The file
// is written under a temporary name and renamed on success, so a failed
// download never clobbers an existing local file. A transient failure is
// retried, resuming where the data stopped when the server has REST STREAM.
func (s *Session) Get(ctx context.Context, remote, local string) error {
	if local == "" {
		if local = path.Base(remote); !localName(local) {
			return fmt.Errorf("%q cannot name a local file; give the local name: get %s LOCAL", local, remote)
		}
	}
	lp := s.localPath(local)
	start := time.Now()
	tmp, err := os.CreateTemp(filepath.Dir(lp), "."+filepath.Base(lp)+".gftp-*")
	if err != nil {
		return fmt.Errorf("create local file: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed; removed on failure
	var n, moved int64          // where the file is now; all bytes moved, over every try
	resumable := true
	err = s.retryingMoving(ctx, "get "+remote, func() int64 { return moved }, func(retry bool) error {
		var offset int64
		if retry && resumable && s.canResume(ctx) {
			offset, _ = tmp.Seek(0, io.SeekEnd)
		} else if err := tmp.Truncate(0); err != nil {
			return fmt.Errorf("local file: %w", err)
		}
		if _, err := tmp.Seek(offset, io.SeekStart); err != nil {
			return fmt.Errorf("local file: %w", err)
		}
		m, err := s.retrieveOnce(ctx, tmp, local, remote, offset)
		n, moved = offset+m, moved+m
		if err != nil {
			resumable = resumable && !refusedResume(offset, err)
		}
		return err
	})
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("local file: %w", cerr)
	}
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(lp); err == nil {
		mode = fi.Mode().Perm()
	}
	os.Chmod(tmp.Name(), mode)
	if err := os.Rename(tmp.Name(), lp); err != nil {
		return fmt.Errorf("save local file: %w", err)
	}
	s.stats(n, "received", remote, start)
	return nil
}

// retrieveOnce runs one RETR (from offset) into f.
func (s *Session) retrieveOnce(ctx context.Context, f *os.File, local, remote string, offset int64) (int64, error) {
	dc, err := s.startFile(ctx, "RETR", local, remote, remote, offset)
	if err != nil {
		return 0, err
	}
	var w io.Writer = f
	var conv *crlfToLF
	if s.ascii {
		conv = newCRLFToLF(f)
		w = conv
	}
	n, cerr := dc.CopyTo(ctx, w)
	if conv != nil && cerr == nil {
		cerr = conv.Flush()
	}
	rerr := s.check(dc.Finish(ctx))
	if cerr != nil {
		return n, fmt.Errorf("download %s: %w", remote, cerr)
	}
	return n, rerr
}

// List runs LIST or NLST on dir and writes the listing to stdout, or to
// the local file out ("-" is stdout too).
func (s *Session) List(ctx context.Context, verb, dir, out string) error {
	// The listing is the server's text: at a terminal its control
	// characters are made visible (as ls(1) does with -q), while a pipe or
	// a file the user named gets it byte for byte.
	var w io.Writer = s.rawOut
	if s.outTTY {
		stream := safe.NewStream(s.rawOut)
		defer stream.Flush()
		w = stream
	}
	var f *os.File
	if out != "" && out != "-" {
		var err error
		if f, err = os.Create(s.localPath(out)); err != nil {
			return fmt.Errorf("local file: %w", err)
		}
		defer f.Close()
		w = f
	}
	cmd := verb
	if dir != "" {
		cmd += " " + dir
	}
	// Retried only while nothing has been written out, so a listing never
	// appears twice.
	wrote := false
	err := s.retrying(ctx, strings.ToLower(verb), func(bool) error {
		if wrote {
			return nil
		}
		dc, err := s.openData(ctx, cmd, 0)
		if err != nil {
			return err
		}
		wrote = true
		// Listings travel as ASCII (CR LF); show them with local line ends.
		conv := newCRLFToLF(w)
		_, cerr := dc.CopyTo(ctx, conv)
		if cerr == nil {
			cerr = conv.Flush()
		}
		rerr := s.check(dc.Finish(ctx))
		if cerr != nil {
			return fmt.Errorf("listing: %w", cerr)
		}
		return rerr
	})
	if err != nil {
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}
