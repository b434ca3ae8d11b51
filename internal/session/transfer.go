package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// stats counts a finished transfer of name, prints ftp(1)'s summary line
// (verbose) to t and logs it.
func (s *Session) stats(t transcript, n int64, verb, name string, start time.Time) {
	s.mu.Lock()
	if verb == "sent" {
		s.totals.FilesSent++
		s.totals.BytesSent += n
	} else {
		s.totals.FilesReceived++
		s.totals.BytesReceived += n
	}
	s.mu.Unlock()
	if s.bell {
		s.p.Bell()
	}
	secs := time.Since(start).Seconds()
	rate := "-"
	if secs > 0 {
		rate = humanRate(float64(n) / secs)
	}
	line := fmt.Sprintf("%d bytes %s in %.2f secs (%s)", n, verb, secs, rate)
	s.logf("transfer: %s: %s", name, line)
	if s.opts.Verbose {
		t.Printf("%s\n", line)
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
func (l *link) startFile(ctx context.Context, t transcript, verb, local, remote, wire string, offset int64) (*ftp.DataConn, error) {
	if err := l.ensureType(ctx); err != nil {
		return nil, err
	}
	if l.s.opts.Verbose {
		if offset > 0 {
			t.Printf("local: %s remote: %s (resuming at byte %d)\n", local, remote, offset)
		} else {
			t.Printf("local: %s remote: %s\n", local, remote)
		}
	}
	dc, err := l.openData(ctx, verb+" "+wire, offset)
	if err == nil {
		dc.Prefetch, dc.Eager = l.more, l.s.opts.Pipeline
	}
	return dc, err
}

// Get downloads remote to local (default: the remote base name). The file
// is written under a temporary name and renamed on success, so a failed
// download never clobbers an existing local file. A transient failure is
// retried, resuming where the data stopped when the server has REST STREAM.
//
// A local name of "-" is stdout, and "|command" pipes the file into the
// command, as in tnftp: only here, for names the user typed. mget and
// mirror take names from the server's listing, and never do this
// (tnftp's CVE-2014-8517 was a server's name run as a command).
func (s *Session) Get(ctx context.Context, remote, local string) error {
	switch {
	case local == "-":
		w, flush := s.p.Listing() // made safe at a terminal
		defer flush()
		return s.main.retrieveTo(ctx, remote, w)
	case strings.HasPrefix(local, "|"):
		return s.pipeTo(ctx, remote, strings.TrimPrefix(local, "|"))
	}
	if n := s.takeRestart(); n > 0 {
		return s.main.get(ctx, s.p, remote, local, getOpts{inPlace: true, from: n})
	}
	return s.main.get(ctx, s.p, remote, local, getOpts{})
}

// getOpts say how get downloads a file.
type getOpts struct {
	// mtime is the remote file's modification time when a listing told it
	// exactly (zero: unknown).
	mtime time.Time
	// partial writes to partialName(local), which a failure leaves for a
	// later run to resume (mirror), instead of a temporary file removed
	// on failure; with resume, what it holds is the start of this remote
	// file (see resumeOffset) and the download continues after it.
	partial, resume bool
	// inPlace writes the local file itself, keeping what it holds (reget,
	// get -c: resume), or from byte from (restart), instead of a
	// temporary file renamed at the end.
	inPlace bool
	from    int64
}

// partialName is where a resumable download writes: a hidden name beside
// the target, the same in every run.
func partialName(lp string) string {
	return filepath.Join(filepath.Dir(lp), "."+filepath.Base(lp)+".gftp-part")
}

// get is Get on link l, its transcript lines going to t.
func (l *link) get(ctx context.Context, t transcript, remote, local string, o getOpts) error {
	s := l.s
	if local == "" {
		if local = path.Base(remote); !localName(local) {
			return fmt.Errorf("%q cannot name a local file; give the local name: get %s LOCAL", local, remote)
		}
	}
	lp := s.localPath(local)
	if !o.partial && !o.inPlace {
		var err error
		if lp, err = s.uniqueLocal(lp); err != nil {
			return err
		}
	}
	start := time.Now()
	_, lerr := os.Lstat(lp)
	fresh := errors.Is(lerr, fs.ErrNotExist) // no local file to clobber
	var tmp *os.File
	var err error
	switch {
	case o.inPlace:
		// The name may be the server's (mreget): a link of that name here
		// must not let the server's bytes land wherever it points.
		if fi, lerr := os.Lstat(lp); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link here, and gftp does not write through one; give its target as the local name", local)
		}
		if fi, serr := os.Stat(lp); o.from > 0 && (serr != nil || fi.Size() < o.from) {
			return fmt.Errorf("restart at byte %d: the local file %s is shorter than that (or not there)", o.from, local)
		}
		tmp, err = os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil && o.resume {
			if done, err := l.regetDone(ctx, tmp, remote); err != nil || done {
				tmp.Close()
				return err
			}
		}
	case o.partial:
		tmp, err = os.OpenFile(partialName(lp), os.O_RDWR|os.O_CREATE, 0o600)
	default:
		tmp, err = os.CreateTemp(filepath.Dir(lp), "."+filepath.Base(lp)+".gftp-*")
	}
	if err != nil {
		// Named as the user knows it, not by the temporary file's name.
		return fmt.Errorf("cannot create %s: %w", local, bareCause(err))
	}
	ok := false
	var n int64 // where the file is now
	defer func() {
		if ok || o.partial {
			return
		}
		if o.inPlace {
			if fresh && n == 0 {
				os.Remove(lp) // made by this command, and nothing came
			}
			return
		}
		// Ctrl-C at the prompt keeps what arrived, as tnftp does, for
		// reget to continue; never over a file that was there, and never
		// in a script, where a half file could pass for a whole one.
		if ctx.Err() != nil && s.confirm != nil && fresh && n > 0 && os.Rename(tmp.Name(), lp) == nil {
			// Dated at the epoch: newer and mirror must not take a part
			// for an up-to-date copy (reget goes by its size).
			os.Chtimes(lp, time.Unix(0, 0), time.Unix(0, 0))
			s.Warnf("interrupted: the first %d bytes are in %s; reget %s continues", n, local, remote)
			return
		}
		os.Remove(tmp.Name()) // a failure leaves nothing
	}()
	meter := s.newMeter(t, remote, 0, -1)
	defer meter.end()
	if meter.bar != nil {
		// The bar wants the size; SIZE costs a round trip, paid only
		// when a bar shows (the 150 reply may tell it too).
		if err := l.ensureType(ctx); err == nil {
			if size, err := l.conn.Size(l.s.own(ctx), remote); err == nil {
				meter.setTotal(size)
			}
		}
	}
	resumable := true
	err = l.retryingMoving(ctx, "get "+remote, func() int64 { return meter.n }, func(retry bool) error {
		var offset int64
		switch {
		case (retry || o.resume) && resumable && l.canResume(ctx):
			offset, _ = tmp.Seek(0, io.SeekEnd)
		case !retry && o.from > 0:
			offset = o.from // restart: as the user asked, REST or not in FEAT
			if err := tmp.Truncate(offset); err != nil {
				return fmt.Errorf("local file: %w", err)
			}
		default:
			if err := tmp.Truncate(0); err != nil {
				return fmt.Errorf("local file: %w", err)
			}
		}
		for {
			if _, err := tmp.Seek(offset, io.SeekStart); err != nil {
				return fmt.Errorf("local file: %w", err)
			}
			meter.restart(offset)
			m, err := l.retrieveOnce(ctx, t, meter, tmp, local, remote, offset)
			n = offset + m
			if err != nil && refusedResume(offset, err) {
				resumable = false
				var re *ftp.ReplyError
				if o.inPlace {
					// The user's own file: not emptied to start over.
					return fmt.Errorf("%w (the server would not continue at byte %d; the local file is left as it was)", err, offset)
				}
				if m == 0 && errors.As(err, &re) && !re.Temporary() && l.connected() {
					// The restart refused for good: once from the
					// start, now.
					if err := tmp.Truncate(0); err != nil {
						return fmt.Errorf("local file: %w", err)
					}
					offset = 0
					continue
				}
			}
			return err
		}
	})
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("local file: %w", cerr)
	}
	if err != nil {
		return err
	}
	if !o.inPlace {
		mode := fs.FileMode(0o644)
		if fi, err := os.Stat(lp); err == nil {
			mode = fi.Mode().Perm()
		}
		os.Chmod(tmp.Name(), mode)
		if err := os.Rename(tmp.Name(), lp); err != nil {
			if fi, serr := os.Lstat(lp); serr == nil && fi.IsDir() {
				return fmt.Errorf("cannot save %s: a local directory has its name", local)
			}
			return fmt.Errorf("cannot save %s: %w", local, bareCause(err))
		}
	}
	ok = true
	s.stats(t, n, "received", remote, start)
	l.keepTime(ctx, lp, remote, o.mtime)
	return nil
}

// keepTime gives a downloaded file the server's modification time, when
// preserve is on: mtime if known, else MDTM where the server has it. A
// server that cannot tell leaves the file with today's time, silently, as
// tnftp does; a local failure is a warning, the file being there.
func (l *link) keepTime(ctx context.Context, local, remote string, mtime time.Time) {
	if !l.s.opts.Preserve {
		return
	}
	if mtime.IsZero() {
		f, err := l.features(ctx)
		if _, ok := f["MDTM"]; err != nil || !ok {
			return
		}
		if mtime, err = l.conn.Mdtm(l.s.own(ctx), remote); err != nil {
			l.check(err)
			return
		}
	}
	if err := os.Chtimes(local, time.Time{}, mtime); err != nil {
		l.s.Warnf("%s: the server's time not kept: %v", local, err)
	}
}

// retrieveOnce runs one RETR (from offset) into f, and returns the bytes
// written to f (in ASCII mode fewer than came over the wire).
func (l *link) retrieveOnce(ctx context.Context, t transcript, meter *meter, f *os.File, local, remote string, offset int64) (int64, error) {
	dc, err := l.startFile(ctx, t, "RETR", local, remote, remote, offset)
	if err != nil {
		return 0, err
	}
	if size := dc.Announced(); size >= 0 && !meter.known {
		meter.setTotal(size)
	}
	before := meter.n
	dc.Limit = l.s.opts.RateGet
	var cerr error
	if l.s.ascii {
		// Counted as written to the file: local bytes, not the wire's.
		conv := newCRLFToLF(meter.writer(f))
		if _, cerr = dc.CopyTo(ctx, conv); cerr == nil {
			cerr = conv.Flush()
		}
	} else {
		// Straight into the file, so the kernel can move the bytes.
		dc.Progress = meter.add
		_, cerr = dc.CopyTo(ctx, f)
	}
	n := meter.n - before
	rerr := l.check(dc.Finish(ctx))
	if cerr != nil {
		return n, fmt.Errorf("download %s: %w", remote, cerr)
	}
	return n, rerr
}

// List runs LIST or NLST on dir and writes the listing to stdout, or to
// the local file out ("-" is stdout too).
func (s *Session) List(ctx context.Context, verb, dir, out string) error {
	// A file the user named gets the listing byte for byte; stdout gets
	// it made safe at a terminal.
	w, flush := s.p.Listing()
	defer flush()
	var f *os.File
	if out != "" && out != "-" {
		var err error
		if f, err = os.Create(s.localPath(out)); err != nil {
			return fmt.Errorf("local file: %w", err)
		}
		defer f.Close()
		w = f
	}
	if err := s.listTo(ctx, verb, dir, w); err != nil {
		return err
	}
	if f != nil {
		return f.Close()
	}
	return nil
}

// listTo writes the listing (verb: LIST, NLST, MLSD) of dir to w, with
// local line ends.
func (s *Session) listTo(ctx context.Context, verb, dir string, w io.Writer) error {
	cmd := verb
	if dir != "" {
		cmd += " " + dir
	}
	// Retried only while nothing has been written out, so a listing never
	// appears twice.
	wrote := false
	l := s.main
	return l.retrying(ctx, strings.ToLower(verb), func(bool) error {
		if wrote {
			return nil
		}
		dc, err := l.openData(ctx, cmd, 0)
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
		rerr := l.check(dc.Finish(ctx))
		if cerr != nil {
			return fmt.Errorf("listing: %w", cerr)
		}
		return rerr
	})
}

// retrieveTo downloads remote into w (page, get FILE -): once, as what
// went out cannot be taken back; ASCII mode's line ends made local.
func (l *link) retrieveTo(ctx context.Context, remote string, w io.Writer) error {
	if err := l.ensureType(ctx); err != nil {
		return err
	}
	dc, err := l.openData(ctx, "RETR "+remote, 0)
	if err != nil {
		return err
	}
	var cerr error
	if l.s.ascii {
		conv := newCRLFToLF(w)
		if _, cerr = dc.CopyTo(ctx, conv); cerr == nil {
			cerr = conv.Flush()
		}
	} else {
		_, cerr = dc.CopyTo(ctx, w)
	}
	rerr := l.check(dc.Finish(ctx))
	if cerr != nil {
		return fmt.Errorf("download %s: %w", remote, cerr)
	}
	return rerr
}

// startShell starts the shell command line in the local directory, its
// output to the terminal, and returns its standard input; what names it
// in errors.
func (s *Session) startShell(ctx context.Context, line, what string) (*exec.Cmd, io.WriteCloser, error) {
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", line)
	cmd.Dir = s.localDir
	cmd.Stdout, cmd.Stderr = s.p.raw, s.p.rawErr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	return cmd, in, nil
}

// pipeTo downloads remote into the standard input of the shell command
// line, whose output goes to the terminal.
func (s *Session) pipeTo(ctx context.Context, remote, line string) error {
	if strings.TrimSpace(line) == "" {
		return fmt.Errorf("get %s |: no command to pipe into", remote)
	}
	cmd, in, err := s.startShell(ctx, line, "pipe to "+line)
	if err != nil {
		return err
	}
	gerr := s.main.retrieveTo(ctx, remote, in)
	in.Close()
	werr := cmd.Wait()
	var ee *exec.ExitError
	// The pipe's own broken pipe (a file's error: a socket's is a network
	// one), not the control connection's.
	var pe *fs.PathError
	stopped := errors.As(gerr, &pe) && errors.Is(pe.Err, syscall.EPIPE)
	switch {
	case stopped && werr == nil:
		// The command stopped reading and ended well (head): it had what
		// it wanted, as in a shell pipeline. The rest is not fetched.
		return nil
	case stopped && errors.As(werr, &ee):
		return fmt.Errorf("|%s stopped reading the download and ended with exit status %d", line, ee.ExitCode())
	case gerr != nil:
		return gerr
	case errors.As(werr, &ee):
		return fmt.Errorf("|%s: exit status %d", line, ee.ExitCode())
	}
	return werr
}

// regetDone reports a local file f already as long as remote (SIZE), so
// that reget has nothing to do; unknown sizes go on.
func (l *link) regetDone(ctx context.Context, f *os.File, remote string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("local file: %w", err)
	}
	if fi.Size() == 0 {
		return false, nil
	}
	size, err := l.remoteSize(ctx, remote)
	if err != nil || size < 0 || fi.Size() < size {
		return false, nil
	}
	if fi.Size() > size {
		return true, fmt.Errorf("reget %s: the local file (%d bytes) is longer than the remote one (%d): not the same file", remote, fi.Size(), size)
	}
	l.s.printf("%s: the local file is complete (%d bytes)\n", remote, size)
	return true, nil
}

// batchTimes fills times with the server's modification times of the
// files it lacks, when preserve is on and they are several: MDTM for
// each, pipelined (ftp.MdtmAll), before the downloads, instead of one
// round trip after each. A file left out gets its MDTM after its
// download, as a single get does.
func (s *Session) batchTimes(ctx context.Context, files []string, times map[string]time.Time) {
	var ask []string
	for _, f := range files {
		if _, ok := times[f]; !ok {
			ask = append(ask, f)
		}
	}
	if !s.opts.Preserve || len(ask) < 2 {
		return
	}
	maps.Copy(times, s.exactTimes(ctx, ask))
}

// bareCause is a local file system error without Go's "open PATH:" (or
// "rename A B:") in front, for a message that names the file itself:
// "no such file or directory", "permission denied".
func bareCause(err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		return pe.Err
	case errors.As(err, &le):
		return le.Err
	}
	return err
}
