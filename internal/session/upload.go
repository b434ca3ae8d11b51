package session

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// Put uploads local to remote (default: the local base name). Then the
// server's size is checked against what was sent: a mismatch is a failure.
// With the temp-upload option the data goes to a temporary name in the
// same folder and is renamed when complete and checked, so readers never
// see a half-written file; on failure the temporary file is removed.
func (s *Session) Put(ctx context.Context, local, remote string) error {
	o := putOpts{temp: s.opts.TempUpload, from: s.takeRestart()}
	switch {
	case s.sunique:
		o = putOpts{verb: "STOU", from: o.from}
	case o.from > 0:
		// restart continues the file that is there, not a temporary one
		// (which REST would pad with zeros).
		o.temp = false
	}
	return s.main.put(ctx, s.p, local, remote, o)
}

// putOpts say how put uploads a file.
type putOpts struct {
	// later, when set, takes the size check (one listing for many files),
	// unless the upload goes to a temporary name, whose rename needs the
	// check first.
	later *uploadCheck
	temp  bool // to tempName(remote), renamed when complete and checked
	// from resumes at this byte: a partial upload of this file is there
	// (under the temporary name, with temp). A refusal starts over.
	from int64
	// keepPartial leaves the temporary file on failure, for the next run
	// to resume (mirror); else it is removed.
	keepPartial bool
	// times gives the remote file the local one's modification time, where
	// the server has MFMT (put -r, mirror -R with preserve on).
	times bool
	// verb is the transfer command: STOR when "", APPE (append) or STOU
	// (sunique: the server picks a unique name). The server's size then
	// says nothing about what was sent, and is not checked.
	verb string
	// resumeRemote continues from the size the server has (reput, put -c).
	resumeRemote bool
}

// put is Put on link l, its transcript lines going to t.
func (l *link) put(ctx context.Context, t transcript, local, remote string, o putOpts) error {
	s := l.s
	lp := s.localPath(local)
	f, err := os.Open(lp)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", local, bareCause(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", local, bareCause(err))
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("local file %s is not a regular file", local)
	}
	size := fi.Size()
	if remote == "" {
		remote = filepath.Base(local)
	}
	if err := ftp.CheckArg(remote); err != nil {
		return err
	}
	wire := remote
	if o.temp {
		wire = tempName(remote)
	}
	start := time.Now()
	var n int64 // where the file is now
	meter := s.newMeter(t, local, 0, size)
	defer meter.end()
	resumable := true
	err = l.retryingMoving(ctx, "put "+local, func() int64 { return meter.n }, func(retry bool) error {
		// Resume from what the server has, when it can tell and take it.
		var offset int64
		switch {
		case !retry && o.from > 0 && o.from < size && l.canResume(ctx):
			offset = o.from
		case !retry && o.resumeRemote && l.canResume(ctx):
			have, err := l.remoteSize(ctx, wire)
			if err == nil && have > size {
				return fmt.Errorf("the remote file %s (%d bytes) is longer than the local one (%d bytes): not the same file", remote, have, size)
			}
			if err == nil && have > 0 {
				offset = have
			}
		case retry && o.verb == "APPE":
			// What the file held before the append is unknown now:
			// appending again would double or skip bytes.
			return fmt.Errorf("append %s: not tried again after a failure (the remote file may hold part of it)", local)
		case retry && resumable && l.canResume(ctx):
			if have, err := l.remoteSize(ctx, wire); err == nil && have > 0 && have <= size {
				offset = have
			}
		}
		for {
			if _, err := f.Seek(offset, io.SeekStart); err != nil {
				return fmt.Errorf("local file: %w", err)
			}
			meter.restart(offset)
			m, err := l.storeOnce(ctx, t, meter, f, cmp.Or(o.verb, "STOR"), local, remote, wire, offset)
			n = offset + m
			if err != nil {
				var re *ftp.ReplyError
				if refusedResume(offset, err) {
					resumable = false
					if m == 0 && errors.As(err, &re) && !re.Temporary() && l.connected() {
						// The restart refused for good before any
						// data (proftpd without AllowStoreRestart): once
						// the whole file, now.
						offset = 0
						continue
					}
				}
				return err
			}
			break
		}
		switch {
		case o.verb != "":
			return nil // appended, or under a name the server chose
		case o.later != nil && wire == remote && !s.ascii:
			o.later.add(remote, n)
			return nil
		}
		return l.verifySize(ctx, wire, n)
	})
	if err == nil && wire != remote {
		err = l.check(l.conn.Rename(ctx, wire, remote))
	}
	if err != nil {
		if wire != remote && l.connected() && !o.keepPartial {
			l.conn.Delete(l.s.own(ctx), wire) // best effort
		}
		return err
	}
	s.stats(t, n, "sent", remote, start)
	if o.times {
		l.keepTimeUp(ctx, remote, fi.ModTime())
	}
	return nil
}

// utimeForm is how a server without MFMT takes SITE UTIME.
type utimeForm int8

const (
	utimeUnknown utimeForm = iota // not tried on this link yet
	utimeShort                    // SITE UTIME time path
	utimeLong                     // SITE UTIME path atime mtime ctime UTC
	utimeNone                     // neither: times are not set
)

// keepTimeUp gives an uploaded file the local file's modification time,
// where the server says it can (MFMT in FEAT), else with SITE UTIME in
// whichever form the server takes, found with the first file (lftp tries
// both too); silently not elsewhere, as the upload's own time is the next
// best. A refusal is logged only.
func (l *link) keepTimeUp(ctx context.Context, remote string, mtime time.Time) {
	f, err := l.features(ctx)
	if err != nil {
		return
	}
	if _, ok := f["MFMT"]; ok {
		if err := l.conn.SetModTime(l.s.own(ctx), remote, mtime); err != nil {
			l.check(err)
			l.s.logf("mfmt: %s: %v", remote, err)
		}
		return
	}
	for _, form := range []utimeForm{utimeShort, utimeLong} {
		if l.utime != utimeUnknown && l.utime != form {
			continue
		}
		err := l.conn.SiteUtime(l.s.own(ctx), remote, mtime, form == utimeLong)
		if err == nil {
			l.utime = form
			return
		}
		if l.check(err) != nil && !l.connected() {
			return
		}
		l.s.logf("site utime: %s: %v", remote, err)
		if l.utime == form {
			return // it took this form before: this file's own trouble
		}
	}
	l.utime = utimeNone
}

// storeOnce runs one STOR (from offset) of f.
func (l *link) storeOnce(ctx context.Context, t transcript, meter *meter, f *os.File, verb, local, remote, wire string, offset int64) (int64, error) {
	dc, err := l.startFile(ctx, t, verb, local, remote, wire, offset)
	if err != nil {
		return 0, err
	}
	before := meter.n
	dc.Limit = l.s.opts.RatePut
	var cerr error
	if l.s.ascii {
		// Counted as read from the file: local bytes, not the wire's.
		_, cerr = dc.CopyFrom(ctx, newLFToCRLF(meter.reader(f)))
	} else {
		// Straight from the file, so the kernel can move the bytes.
		dc.Progress = meter.add
		_, cerr = dc.CopyFrom(ctx, f)
	}
	n := meter.n - before
	rerr := l.check(dc.Finish(ctx))
	if cerr != nil {
		return n, fmt.Errorf("upload %s: %w", local, ftp.BrokenBecause(cerr, rerr))
	}
	return n, rerr
}

// refusedResume reports a resumed transfer (offset > 0) that the server
// refused: it may advertise REST STREAM and still refuse a restarted STOR
// (proftpd without AllowStoreRestart). The next try starts from byte 0.
func refusedResume(offset int64, err error) bool {
	var re *ftp.ReplyError
	return offset > 0 && errors.As(err, &re)
}

// tempName is where a temp-upload writes: a hidden name beside the target.
func tempName(remote string) string {
	return path.Join(path.Dir(remote), "."+path.Base(remote)+".gftp-part")
}

// SizeMismatchError is an upload whose size on the server differs from
// what was sent.
type SizeMismatchError struct {
	Remote         string
	Sent, OnServer int64
}

func (e *SizeMismatchError) Error() string {
	return fmt.Sprintf("upload check failed: the server has %d bytes of %s, %d were sent", e.OnServer, e.Remote, e.Sent)
}

// verifySize compares the remote file's size with sent: SIZE where the
// server has it, else the listing. In ASCII mode sizes legitimately differ
// (line ends), and a server that tells neither way is taken at its 226.
func (l *link) verifySize(ctx context.Context, remote string, sent int64) error {
	if l.s.ascii {
		return nil
	}
	size, err := l.remoteSize(ctx, remote)
	if err != nil || size < 0 {
		return err
	}
	if size != sent {
		return &SizeMismatchError{Remote: remote, Sent: sent, OnServer: size}
	}
	return nil
}

// remoteSize is a file's size by SIZE, else from its folder's listing; -1
// when neither tells. Its replies are shown only when debugging.
func (l *link) remoteSize(ctx context.Context, remote string) (int64, error) {
	ctx = l.s.own(ctx)
	if err := l.ensureType(ctx); err != nil { // SIZE counts in the current type
		return -1, err
	}
	n, err := l.conn.Size(ctx, remote)
	if err == nil {
		return n, nil
	}
	var re *ftp.ReplyError
	var ue *ftp.UnexpectedReplyError
	if !errors.As(err, &re) && !errors.As(err, &ue) {
		return -1, l.check(err)
	}
	size := int64(-1)
	err = l.scanEntries(ctx, path.Dir(remote), func(e ftp.Entry) {
		if size < 0 && path.Base(e.Name) == path.Base(remote) {
			size = e.Size
		}
	})
	return size, err
}

// uploadCheck holds what a multi-file upload sent, to check it against
// the server's sizes at the end with one listing, instead of a SIZE per
// file (a round trip each).
type uploadCheck struct {
	mu   sync.Mutex
	sent map[string]int64 // remote path (a name, in the current directory): bytes
	// perms holds the permission bits the check's listings showed, of
	// every entry in them (for mirror -R).
	perms map[string]fs.FileMode
}

func (u *uploadCheck) add(name string, n int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.sent == nil {
		u.sent = map[string]int64{}
	}
	u.sent[name] = n
}

// check lists each directory uploaded to, once, and compares: on link l
// alone, or with n > 1 over that many links at once (the pool's, after a
// parallel upload), a directory each. A file the listing does not show,
// or shows without a size, is taken at its 226 (as when a server has
// neither SIZE nor sizes in its listing). The result wraps the first
// mismatch, by name.
func (u *uploadCheck) check(ctx context.Context, l *link, n int) error {
	if len(u.sent) == 0 {
		return nil
	}
	dirSet := map[string]bool{}
	for p := range u.sent {
		dirSet[path.Dir(p)] = true
	}
	dirs := slices.Sorted(maps.Keys(dirSet))
	var bad []*SizeMismatchError
	checkDir := func(ctx context.Context, l *link, _ transcript, dir string) error {
		if found, err := u.statCheck(ctx, l, dir, &bad); found || err != nil {
			return err
		}
		listed := dir
		if listed == "." {
			listed = "" // the current directory
		}
		err := l.scanEntries(l.s.own(ctx), listed, func(e ftp.Entry) {
			name := path.Join(dir, path.Base(e.Name))
			u.mu.Lock()
			defer u.mu.Unlock()
			sent, ok := u.sent[name]
			if ok && e.HasPerm { // only what was sent: a listing may be endless
				if u.perms == nil {
					u.perms = map[string]fs.FileMode{}
				}
				u.perms[name] = e.Perm
			}
			if ok && e.Size >= 0 && e.Size != sent {
				bad = append(bad, &SizeMismatchError{Remote: name, Sent: sent, OnServer: e.Size})
			}
		})
		if err != nil {
			return fmt.Errorf("upload check: %w", err)
		}
		return nil
	}
	var err error
	if n = min(n, len(dirs)); n <= 1 {
		for _, dir := range dirs {
			if err = checkDir(ctx, l, nil, dir); err != nil {
				break
			}
		}
	} else {
		a := l.s.openAhead(ctx, n) // the links the upload used, from the pool
		err = l.s.parallel(ctx, "upload check", dirs, n, a, 0, checkDir)
		a.finish(err != nil)
	}
	if err != nil {
		return err
	}
	slices.SortFunc(bad, func(a, b *SizeMismatchError) int { return strings.Compare(a.Remote, b.Remote) })
	for _, e := range bad[min(1, len(bad)):] {
		l.s.Warnf("%v", e)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d of %d files failed the upload check, the first: %w", len(bad), len(u.sent), bad[0])
	}
	return nil
}

// statCheck checks the files sent into dir with one STAT of it, a round
// trip with no data connection (ftp.Conn.StatList): found is true when it
// listed every one of them with a size, and the mismatches are then added
// to bad. Otherwise (a server without it, a listing gftp cannot read, a
// directory name a server might take for ls options or a pattern) the
// caller lists as before, so the check is never weaker for it.
func (u *uploadCheck) statCheck(ctx context.Context, l *link, dir string, bad *[]*SizeMismatchError) (found bool, err error) {
	if l.noStat || !l.connected() || !statSafe(dir) {
		return false, nil
	}
	u.mu.Lock()
	want := map[string]int64{}
	for name, n := range u.sent {
		if path.Dir(name) == dir {
			want[name] = n
		}
	}
	u.mu.Unlock()
	// Each line is compared as it comes, as the LIST check does: a name
	// listed twice (a co-tenant's name with a line break in it) cannot
	// hide a mismatch behind a second, right-sized line.
	seen := map[string]bool{}
	perms := map[string]fs.FileMode{}
	mismatched := map[string]*SizeMismatchError{} // the first wrong size a name was listed with
	err = l.conn.StatList(l.s.own(ctx), dir, time.Now(), func(e ftp.Entry) {
		name := path.Join(dir, path.Base(e.Name))
		sent, ok := want[name]
		if !ok || e.Size < 0 {
			return
		}
		if e.HasPerm {
			perms[name] = e.Perm
		}
		if _, ok := mismatched[name]; !ok && e.Size != sent {
			mismatched[name] = &SizeMismatchError{Remote: name, Sent: sent, OnServer: e.Size}
		}
		seen[name] = true
	})
	var re *ftp.ReplyError
	var ue *ftp.UnexpectedReplyError
	switch {
	case errors.As(err, &re), errors.As(err, &ue):
		l.noStat = true
		return false, nil
	case err != nil && ctx.Err() == nil && l.lost(err):
		// A STAT this server mishandles (a reply gftp cannot read, or
		// none): the connection is lost with it, and the uploads are not.
		// Again, then the listing, and no STAT on this link from now on.
		l.noStat = true
		if rerr := l.reconnect(ctx); rerr != nil {
			return false, l.check(rerr)
		}
		return false, nil
	case err != nil:
		return false, l.check(err)
	case len(seen) < len(want):
		return false, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for name, p := range perms {
		if u.perms == nil {
			u.perms = map[string]fs.FileMode{}
		}
		u.perms[name] = p
	}
	for _, m := range mismatched {
		*bad = append(*bad, m) // check sorts them by name
	}
	return true, nil
}

// statSafe reports a directory name that STAT takes as a name on every
// server: vsftpd and pure-ftpd read a leading "-" as ls options, and some
// servers expand wildcards.
func statSafe(dir string) bool {
	if dir == "." {
		return true
	}
	for _, r := range dir {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("._-+/=@,%", r):
		default:
			return false
		}
	}
	return !strings.HasPrefix(dir, "-") && !strings.Contains(dir, "/-")
}
