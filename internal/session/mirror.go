package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// Mirror, download direction: make a local tree the same as a remote one.
// Files are compared by size and modification time, from the listing
// alone (MLSD's exact times, else the LIST date at its precision), so a
// run over an unchanged tree costs one listing per directory and moves
// nothing. Deletes (--delete) come only after every transfer of the run
// succeeded, and never outside the local root.

// MirrorOptions are mirror's options.
type MirrorOptions struct {
	Reverse bool // -R: upload, local to remote
	DryRun  bool // print the plan, change nothing
	// OnlyNewer moves only files that are new or newer on the source: one
	// whose size differs but that is older stays.
	OnlyNewer bool
	// Exclude and Include are globs matched on the path relative to the
	// mirrored directory (a pattern without "/" also on the base name).
	// An excluded directory is left out whole; with Include, only files
	// matching one of them are taken. What is left out is never deleted.
	Exclude, Include []string
	Delete           bool // remove local files and directories the remote no longer has
	N                int  // links (0: --parallel)
}

// leftOut reports whether rel (slash-separated, relative to the mirrored
// directory) is excluded by o: by an Exclude pattern, or, for a file, by
// matching no Include pattern.
func (o MirrorOptions) leftOut(rel string, dir bool) bool {
	matches := func(pats []string) bool {
		for _, p := range pats {
			if ok, _ := path.Match(p, rel); ok {
				return true
			}
			if !strings.Contains(p, "/") {
				if ok, _ := path.Match(p, path.Base(rel)); ok {
					return true
				}
			}
		}
		return false
	}
	if matches(o.Exclude) {
		return true
	}
	return !dir && len(o.Include) > 0 && !matches(o.Include)
}

// leftOutTree is leftOut for rel or any directory above it.
func (o MirrorOptions) leftOutTree(rel string, dir bool) bool {
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		if o.leftOut(d, true) {
			return true
		}
	}
	return o.leftOut(rel, dir)
}

// MirrorTotals count what a mirror did.
type MirrorTotals struct{ New, Updated, Skipped, Deleted, Failed int }

// mirrorFile is one remote file and why it moves.
type mirrorFile struct {
	remote string
	local  string
	entry  ftp.Entry
	reason string // "new", "size differs", "newer"; "" when it is up to date
}

// Mirror makes local (default: remote's base name) a copy of remote.
func (s *Session) Mirror(ctx context.Context, remote, local string, o MirrorOptions) (err error) {
	remote = path.Clean(remote)
	if local == "" {
		if local = path.Base(remote); !localName(local) {
			return fmt.Errorf("%q cannot name a local directory; give the local name: mirror %s LOCAL", local, remote)
		}
	}
	var plan []mirrorFile
	keep := map[string]bool{s.localPath(local): true} // local paths the remote has
	localOf := func(r string) string {
		rel := strings.TrimPrefix(strings.TrimPrefix(r, remote), "/")
		return filepath.Join(local, filepath.FromSlash(rel))
	}
	err = s.walkRemote(ctx, "mirror", remote, 0, func(r string, e ftp.Entry) error {
		lp := localOf(r)
		if r != remote && o.leftOut(strings.TrimPrefix(r, remote+"/"), e.Type == ftp.EntryDir) {
			keep[s.localPath(lp)] = true // left out: never deleted
			if e.Type == ftp.EntryDir {
				return errSkipDir
			}
			return nil
		}
		switch e.Type {
		case ftp.EntryDir:
			keep[s.localPath(lp)] = true
			if !o.DryRun {
				if err := os.MkdirAll(s.localPath(lp), 0o755); err != nil {
					return fmt.Errorf("local directory: %w", err)
				}
			}
		case ftp.EntryFile:
			keep[s.localPath(lp)] = true
			why := s.whyMove(lp, e, o.OnlyNewer)
			plan = append(plan, mirrorFile{remote: r, local: lp, entry: e, reason: why})
		case ftp.EntryLink:
			s.Warnf("skipping the symbolic link %s: links are not followed", r)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var t MirrorTotals
	byRemote := map[string]mirrorFile{}
	var moves []string
	for _, f := range plan {
		r := f.remote
		switch f.reason {
		case "":
			t.Skipped++
		case "new":
			t.New++
		default:
			t.Updated++
		}
		if f.reason != "" {
			byRemote[r] = f
			moves = append(moves, r)
			if o.DryRun {
				s.printf("get %s (%s)\n", r, f.reason)
			}
		}
	}
	var failed error
	if !o.DryRun && len(moves) > 0 {
		var nfailed atomic.Int32
		failed = s.multi(ctx, "mirror", moves, s.links(o.N), nil, func(ctx context.Context, l *link, tr transcript, r string) error {
			f := byRemote[r]
			err := l.get(ctx, tr, r, f.local, exactOrListed(f.entry))
			if err != nil {
				nfailed.Add(1)
			}
			return err
		})
		t.Failed = int(nfailed.Load())
		if failed != nil && t.Failed == 0 {
			t.Failed = 1 // stopped before a file could fail (a lost connection)
		}
	}
	if o.Delete && failed == nil && ctx.Err() == nil {
		n, err := s.mirrorDelete(local, keep, o)
		t.Deleted = n
		if err != nil {
			failed = err
		}
	}
	s.printf("mirror %s: %d new, %d updated, %d skipped (up to date), %d deleted, %d failed%s\n",
		remote, t.New, t.Updated, t.Skipped, t.Deleted, t.Failed, map[bool]string{true: "; nothing changed (--dry-run)"}[o.DryRun])
	if failed != nil && o.Delete {
		return fmt.Errorf("%w (so nothing was deleted)", failed)
	}
	return failed
}

// moveReason compares a file with its copy at the other end: the remote
// side e (from a listing; ok: there is one) and the local side fi (nil:
// none). It says why the source (the remote file, or the local one when
// upload) should replace the copy: "new", "size differs", "newer" (at
// the precision of the listing's time: the second for MLSD, else the
// minute, or the day for a date without a time), or "" when the copy is
// up to date. With onlyNewer, a size that differs counts only when the
// source is newer too.
func moveReason(e ftp.Entry, ok bool, fi fs.FileInfo, upload, onlyNewer bool) string {
	switch {
	case !ok || e.Type != ftp.EntryFile:
		if upload {
			return "new"
		}
		return "" // nothing to download
	case fi == nil:
		if upload {
			return "" // nothing to upload
		}
		return "new"
	}
	newer := false
	if !e.Time.IsZero() {
		prec := time.Second
		if !e.TimeExact {
			prec = time.Minute
			if h, m, _ := e.Time.Clock(); h == 0 && m == 0 {
				prec = 24 * time.Hour
			}
		}
		remote, local := e.Time.Truncate(prec), fi.ModTime().UTC().Truncate(prec)
		newer = remote.After(local)
		if upload {
			newer = local.After(remote)
		}
	}
	switch {
	case e.Size >= 0 && e.Size != fi.Size() && (newer || !onlyNewer):
		return "size differs"
	case newer:
		return "newer"
	}
	return ""
}

// whyMove is moveReason for a download into lp.
func (s *Session) whyMove(lp string, e ftp.Entry, onlyNewer bool) string {
	fi, err := os.Stat(s.localPath(lp))
	if err != nil {
		fi = nil
	}
	return moveReason(e, true, fi, false, onlyNewer)
}

// exactOrListed is the time a downloaded file gets: the listing's exact
// one, else zero (get then asks MDTM, for the second).
func exactOrListed(e ftp.Entry) time.Time {
	if e.TimeExact {
		return e.Time
	}
	return time.Time{}
}

// mirrorDelete removes what is below local and not in keep, deepest
// first, and returns how many it removed (or would, with dryRun).
func (s *Session) mirrorDelete(local string, keep map[string]bool, o MirrorOptions) (int, error) {
	dryRun := o.DryRun
	root := s.localPath(local)
	var gone []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel != "." && o.leftOut(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir // left out, with all below it
			}
			return nil
		}
		if !keep[p] {
			gone = append(gone, p)
			if d.IsDir() {
				return filepath.SkipDir // all below it goes with it
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mirror --delete: %w", err)
	}
	slices.Reverse(gone)
	for i, p := range gone {
		if dryRun {
			s.printf("delete %s\n", p)
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return i, fmt.Errorf("mirror --delete: %w", err)
		}
	}
	return len(gone), nil
}

// MirrorUp makes remote (default: local's base name) a copy of the local
// directory local (mirror -R): remote directories made where missing,
// files uploaded when new, of another size, or newer here than there (at
// the remote listing's precision), their sizes checked with one listing
// per directory; with --delete, what the remote has and local does not
// is removed, only after every upload succeeded. An uploaded file takes
// the server's time of the upload, later than the local one, so the next
// run finds it up to date with no MFMT.
func (s *Session) MirrorUp(ctx context.Context, local, remote string, o MirrorOptions) error {
	root := s.localPath(local)
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		return fmt.Errorf("mirror -R %s: %w", local, err)
	}
	if remote == "" {
		remote = filepath.Base(filepath.Clean(root))
	}
	remote = path.Clean(remote)

	// What the server has below remote: nothing, when the directory is
	// not there yet (a refusal to list it, or, as vsftpd does, an empty
	// listing). remote itself is not taken from the listing; when it
	// lists nothing it is made, or found to exist, below.
	have := map[string]ftp.Entry{}
	err := s.walkRemote(ctx, "mirror -R", remote, 0, func(r string, e ftp.Entry) error {
		if r != remote {
			have[r] = e
		}
		return nil
	})
	var re *ftp.ReplyError
	switch {
	case errors.Is(err, errNoRemoteDir), errors.As(err, &re) && !re.Temporary():
		have = map[string]ftp.Entry{}
	case err != nil:
		return err
	}

	var dirs, moves []string
	locals := map[string]string{} // local path -> remote path
	reasons := map[string]string{}
	var t MirrorTotals
	werr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("local directory: %w", err)
		}
		rel, _ := filepath.Rel(root, p)
		rp := path.Join(remote, filepath.ToSlash(rel))
		lp := filepath.Join(local, rel)
		if rel != "." && o.leftOut(filepath.ToSlash(rel), d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
			e, ok := have[rp]
			if rp == remote {
				ok, e.Type = len(have) > 0, ftp.EntryDir // listed something: it is there
			}
			if !ok || e.Type != ftp.EntryDir {
				dirs = append(dirs, rp)
			}
			delete(have, rp)
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return fmt.Errorf("local file: %w", err)
			}
			e, ok := have[rp]
			delete(have, rp)
			why := moveReason(e, ok, fi, true, o.OnlyNewer)
			if why == "" {
				t.Skipped++
				return nil
			}
			if why == "new" {
				t.New++
			} else {
				t.Updated++
			}
			moves = append(moves, lp)
			locals[lp], reasons[lp] = rp, why
		case d.Type()&os.ModeSymlink != 0:
			s.Warnf("skipping the symbolic link %s: links are not followed", lp)
		default:
			s.Warnf("skipping %s: not a regular file", lp)
		}
		return nil
	})
	if werr != nil {
		return werr
	}

	for _, d := range dirs {
		if o.DryRun {
			s.printf("mkdir %s\n", d)
		} else if err := s.ensureRemoteDir(ctx, d); err != nil {
			return err
		}
	}
	var failed error
	if o.DryRun {
		for _, lp := range moves {
			s.printf("put %s (%s)\n", lp, reasons[lp])
		}
	} else if len(moves) > 0 {
		var nfailed atomic.Int32
		var later uploadCheck
		failed = s.multi(ctx, "mirror -R", moves, s.links(o.N), nil, func(ctx context.Context, l *link, tr transcript, lp string) error {
			err := l.put(ctx, tr, lp, locals[lp], &later)
			if err != nil {
				nfailed.Add(1)
			}
			return err
		})
		if failed == nil && ctx.Err() == nil && s.main.connected() {
			if failed = later.check(ctx, s.main); failed != nil {
				nfailed.Add(1)
			}
		}
		t.Failed = int(nfailed.Load())
		if failed != nil && t.Failed == 0 {
			t.Failed = 1
		}
	}
	if o.Delete && failed == nil && ctx.Err() == nil {
		for r, e := range have {
			if o.leftOutTree(strings.TrimPrefix(r, remote+"/"), e.Type == ftp.EntryDir) {
				delete(have, r) // left out: never deleted
			}
		}
		n, err := s.mirrorDeleteRemote(ctx, have, o.DryRun)
		t.Deleted = n
		failed = err
	}
	s.printf("mirror -R %s: %d new, %d updated, %d skipped (up to date), %d deleted, %d failed%s\n",
		local, t.New, t.Updated, t.Skipped, t.Deleted, t.Failed, map[bool]string{true: "; nothing changed (--dry-run)"}[o.DryRun])
	if failed != nil && o.Delete && t.Deleted == 0 {
		return fmt.Errorf("%w (so nothing was deleted)", failed)
	}
	return failed
}

// mirrorDeleteRemote removes the remote entries left in gone (what local
// does not have): files and links first, then directories, deepest
// first. Never retried; the first failure stops it.
func (s *Session) mirrorDeleteRemote(ctx context.Context, gone map[string]ftp.Entry, dryRun bool) (int, error) {
	names := slices.Sorted(maps.Keys(gone))
	var files, dirs []string
	for _, n := range names {
		if gone[n].Type == ftp.EntryDir {
			dirs = append(dirs, n)
		} else {
			files = append(files, n)
		}
	}
	slices.Reverse(dirs) // children sort after their parents
	done := 0
	l := s.main
	for _, f := range files {
		if dryRun {
			s.printf("delete %s\n", f)
		} else if err := l.check(l.conn.Delete(ctx, f)); err != nil {
			return done, fmt.Errorf("mirror -R --delete: %s: %w", f, err)
		}
		done++
	}
	for _, d := range dirs {
		if dryRun {
			s.printf("rmdir %s\n", d)
		} else if err := l.check(l.conn.Rmdir(ctx, d)); err != nil {
			return done, fmt.Errorf("mirror -R --delete: %s: %w", d, err)
		}
		done++
	}
	return done, nil
}
