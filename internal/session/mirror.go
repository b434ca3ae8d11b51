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
	"github.com/gftp/gftp/internal/safe"
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
	// NoPerms leaves permission bits as the receiving side makes them;
	// else a downloaded file gets the listing's (a directory at least
	// rwx for its owner) and an uploaded one the local file's (SITE
	// CHMOD, where they differ).
	NoPerms bool
	// NoSymlinks makes no local symbolic links from the remote's (and
	// skips local ones without a warning); see Mirror for the rules.
	NoSymlinks bool
	// MaxErrors starts no more transfers after that many failed (0: no
	// limit).
	MaxErrors int
	// TempUpload (-R) uploads each file to a temporary name, renamed when
	// complete and checked, as the temp-upload option does; a partial one
	// left by an interrupted run is resumed.
	TempUpload bool
}

// gftpPartial reports gftp's own temporary names (".NAME.gftp-part"), of
// a download or an upload under way or interrupted: never mirrored in
// either direction.
func gftpPartial(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".gftp-part")
}

// listPrecision is how exact e's time is: the second for MLSD, else the
// minute, or the day for a LIST date without a time (a year instead).
func listPrecision(e ftp.Entry) time.Duration {
	switch {
	case e.TimeExact:
		return time.Second
	case e.DateOnly:
		return 24 * time.Hour
	}
	return time.Minute
}

// partialOf reports whether a partial copy (have bytes, last written at
// written) of a source (size bytes, changed at source, known to prec) was
// written after the source last changed: then it holds the start of that
// very version, and can be continued. Sizes too must say it is a start.
func partialOf(have, size int64, written, source time.Time, prec time.Duration) bool {
	return have > 0 && size > have && !source.IsZero() && !written.Before(source.Truncate(prec).Add(prec))
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
type MirrorTotals struct{ New, Updated, Skipped, Deleted, Failed, NotTried int }

// summary is the line a mirror ends with.
func (t MirrorTotals) summary(dryRun bool) string {
	line := fmt.Sprintf("%d new, %d updated, %d skipped (up to date), %d deleted, %d failed", t.New, t.Updated, t.Skipped, t.Deleted, t.Failed)
	if t.NotTried > 0 {
		line += fmt.Sprintf(", %d not tried (--max-errors)", t.NotTried)
	}
	if dryRun {
		line += "; nothing changed (--dry-run)"
	}
	return line
}

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
	var t MirrorTotals
	dirPerms := map[string]fs.FileMode{} // local directory: the remote's bits
	ahead := s.lazyAhead(ctx, o)
	if ahead.n > 1 {
		// The links, once open, list the rest of the tree ahead.
		ahead.pre = newListAhead(ctx, s)
	}
	defer ahead.finish()
	var unlisted []error
	err = s.walkRemote(ctx, "mirror", remote, 0, &unlisted, ahead.pre, func(r string, e ftp.Entry) error {
		lp := localOf(r)
		if r != remote && (o.leftOut(strings.TrimPrefix(r, remote+"/"), e.Type == ftp.EntryDir) || gftpPartial(e.Name)) {
			keep[s.localPath(lp)] = true // left out: never deleted
			if e.Type == ftp.EntryDir {
				return errSkipDir
			}
			return nil
		}
		switch e.Type {
		case ftp.EntryDir:
			keep[s.localPath(lp)] = true
			if r != remote && s.localLink(lp) {
				return errSkipDir // never written through: see localLink
			}
			if r != remote {
				ahead.far()
			}
			if !o.DryRun {
				if err := os.MkdirAll(s.localPath(lp), 0o755); err != nil {
					return fmt.Errorf("local directory: %w", err)
				}
			}
			if e.HasPerm && !o.NoPerms {
				dirPerms[s.localPath(lp)] = e.Perm | 0o700
			}
		case ftp.EntryFile:
			keep[s.localPath(lp)] = true
			why := s.whyMove(lp, e, o.OnlyNewer)
			plan = append(plan, mirrorFile{remote: r, local: lp, entry: e, reason: why})
			if why != "" {
				ahead.start()
			}
			if why == "" && !o.DryRun && !o.NoPerms {
				s.setLocalPerm(lp, e)
			}
		case ftp.EntryLink:
			keep[s.localPath(lp)] = true // a link skipped is left as it is
			if !o.NoSymlinks {
				s.mirrorLink(lp, r, strings.TrimPrefix(r, remote+"/"), e, o, &t)
			}
		}
		return nil
	})
	ahead.walked()
	if err != nil {
		return err
	}
	var vague []string // up to date by a listed day only
	for _, f := range plan {
		if f.reason == "" && f.entry.DateOnly {
			vague = append(vague, f.remote)
		}
	}
	if exact := s.exactTimes(ctx, vague); len(exact) > 0 {
		for i, f := range plan {
			if tm, ok := exact[f.remote]; ok {
				plan[i].entry.Time, plan[i].entry.TimeExact, plan[i].entry.DateOnly = tm, true, false
				plan[i].reason = s.whyMove(f.local, plan[i].entry, o.OnlyNewer)
			}
		}
	}
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
		times := map[string]time.Time{}
		for _, r := range moves {
			if e := byRemote[r].entry; e.TimeExact {
				times[r] = e.Time
			}
		}
		s.batchTimes(ctx, moves, times)
		var nfailed, started atomic.Int32
		failed = s.multiMax(ctx, "mirror", moves, s.links(o.N), ahead.a, o.MaxErrors, func(ctx context.Context, l *link, tr transcript, r string) error {
			started.Add(1)
			f := byRemote[r]
			err := l.get(ctx, tr, r, f.local, getOpts{mtime: times[r], partial: true, resume: s.resumable(f)})
			if err != nil {
				nfailed.Add(1)
			} else if !o.NoPerms {
				s.setLocalPerm(f.local, f.entry)
			}
			return err
		})
		t.Failed = int(nfailed.Load())
		if failed != nil && t.Failed == 0 {
			t.Failed = 1 // stopped before a file could fail (a lost connection)
		}
		t.NotTried = len(moves) - int(started.Load())
	}
	if len(unlisted) > 0 {
		// Counted as failures: what those directories hold is not here,
		// and nothing may be deleted on that word.
		t.Failed += len(unlisted)
		if failed == nil {
			failed = unlistedError(unlisted)
		}
	}
	if !o.DryRun {
		for _, d := range slices.Sorted(maps.Keys(dirPerms)) {
			if fi, err := os.Lstat(d); err == nil && fi.IsDir() && fi.Mode().Perm() != dirPerms[d] {
				if err := os.Chmod(d, dirPerms[d]); err != nil {
					s.Warnf("%s: the server's permissions not kept: %v", d, err)
				}
			}
		}
	}
	if o.Delete && failed == nil && ctx.Err() == nil {
		n, err := s.mirrorDelete(local, keep, o)
		t.Deleted = n
		if err != nil {
			failed = err
		}
	}
	s.printf("mirror %s: %s\n", remote, t.summary(o.DryRun))
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
		prec := listPrecision(e)
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

// exactTimes asks the server's modification times of the remote files,
// MDTM pipelined (ftp.MdtmAll), where the server has MDTM; a file it does
// not answer for is left out. Mirror asks it for files whose listed time
// is a day only (ls shows older files' year, not their time) where that
// day cannot decide: a same-size change made on the day of the last copy
// would go unseen.
func (s *Session) exactTimes(ctx context.Context, paths []string) map[string]time.Time {
	if len(paths) == 0 {
		return nil
	}
	l := s.main
	if f, err := l.features(ctx); err != nil || !hasFeature(f, "MDTM") {
		return nil
	}
	got, err := l.conn.MdtmAll(s.own(ctx), paths)
	if err != nil {
		l.check(err)
		s.logf("mdtm: %v", err)
	}
	return got
}

// mirrorAhead opens a mirror's extra links (-P N) once the walk has found
// a file to move, so that their logins (tens of milliseconds each where
// the server checks passwords through PAM) overlap the rest of the walk;
// a run over an unchanged tree opens none, unless the way to the server
// is long (slowRoundTrip) and there are directories to list. With pre,
// until the walk ends the links list directories ahead of it.
type mirrorAhead struct {
	s   *Session
	ctx context.Context
	n   int
	a   *ahead
	pre *listAhead
}

func (s *Session) lazyAhead(ctx context.Context, o MirrorOptions) *mirrorAhead {
	n := s.links(o.N)
	if o.DryRun {
		n = 1
	}
	return &mirrorAhead{s: s, ctx: ctx, n: n}
}

// start opens the links, the first time it is called.
func (m *mirrorAhead) start() {
	if m.a == nil && m.n > 1 {
		m.a = m.s.openAhead(m.ctx, m.n)
		m.pre.use(m.a, m.n)
	}
}

// slowRoundTrip is the round trip (RoundTrip) from which mirror opens
// its extra links to list the tree even before it has found a file to
// move. A listing costs about 3 round trips; the logins run beside the
// walk, but each costs the server some CPU (vsftpd's PAM check: 35 ms
// here), which on a short way (loopback, a LAN) the listings would not
// win back.
const slowRoundTrip = 5 * time.Millisecond

// far opens the links, for a directory to list, when the way to the
// server is long: logged in meanwhile, they list the rest of the tree
// with the walk's own link, even if nothing is to move.
func (m *mirrorAhead) far() {
	if m.s.main.conn.RoundTrip() >= slowRoundTrip {
		m.start()
	}
}

// walked ends the listing ahead: the links are the transfers' now, also
// those opened later.
func (m *mirrorAhead) walked() {
	m.pre.close(m.a)
	m.pre = nil
}

// finish puts the links the command did not take in the pool.
func (m *mirrorAhead) finish() {
	m.walked()
	if m.a != nil {
		m.a.finish(false)
	}
}

// resumable reports whether f's download can continue a partial one an
// earlier run left (see partialOf).
func (s *Session) resumable(f mirrorFile) bool {
	fi, err := os.Stat(partialName(s.localPath(f.local)))
	if err != nil {
		return false
	}
	return partialOf(fi.Size(), f.entry.Size, fi.ModTime(), f.entry.Time, listPrecision(f.entry))
}

// setLocalPerm gives the local copy lp of e the listing's permission bits,
// when the listing told them and they differ. A failure is a warning: the
// file is there.
func (s *Session) setLocalPerm(lp string, e ftp.Entry) {
	if !e.HasPerm {
		return
	}
	p := s.localPath(lp)
	if fi, err := os.Lstat(p); err != nil || fi.Mode()&os.ModeSymlink != 0 || fi.Mode().Perm() == e.Perm {
		return // a link's target is not the listing's to change
	}
	if err := os.Chmod(p, e.Perm); err != nil {
		s.Warnf("%s: the server's permissions not kept: %v", lp, err)
	}
}

// localLink reports (with a warning) a local directory of the tree that
// is a symbolic link: gftp never writes through one. A link's target is
// checked when it is made, but only as text, and a chain of links (s ->
// ../.., t -> s/..) can point anywhere; nor are links the user made
// gftp's to follow. What the server has below that name is left out.
func (s *Session) localLink(lp string) bool {
	fi, err := os.Lstat(s.localPath(lp))
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return false
	}
	s.Warnf("skipping %s: it is a symbolic link here, and gftp does not write through one", lp)
	return true
}

// upThenDown reports whether a link's target climbs only first ("../../a/b",
// "a/b", never "a/../b"): a ".." after a name would climb out of wherever
// that name leads, and when the name is another link (x -> ., y -> x/..)
// that is anywhere, whatever the target says as text. Climbing first goes
// up through the link's own directories, which are real ones.
func upThenDown(target string) bool {
	down := false
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if down {
				return false
			}
		default:
			down = true
		}
	}
	return true
}

// mirrorLink makes the local symbolic link lp for the remote link r (rel:
// its path in the mirrored tree), as the listing shows it: only when its
// target is relative and stays inside the mirrored tree (so nothing ever
// written through it lands outside); else it is skipped with a warning.
// The link is never followed: what it points to is mirrored where it is.
func (s *Session) mirrorLink(lp, r, rel string, e ftp.Entry, o MirrorOptions, t *MirrorTotals) {
	target := e.Target
	inside := path.Join(path.Dir(rel), target)
	switch {
	case target == "":
		s.Warnf("skipping the symbolic link %s: the listing does not say where it points", r)
		return
	case path.IsAbs(target) || strings.ContainsAny(target, "\\\x00") || inside == ".." || strings.HasPrefix(inside, "../") || !upThenDown(target):
		s.Warnf("skipping the symbolic link %s -> %s: it points outside the mirrored directory", r, safe.Visible(target))
		return
	}
	p := s.localPath(lp)
	want := filepath.FromSlash(target)
	fi, err := os.Lstat(p)
	switch {
	case err == nil && fi.Mode()&os.ModeSymlink != 0:
		if cur, _ := os.Readlink(p); cur == want {
			t.Skipped++
			return
		}
	case err == nil && fi.IsDir():
		s.Warnf("skipping the symbolic link %s: a local directory has its name", r)
		return
	}
	why := "new"
	if err == nil {
		why = "link differs"
	}
	if o.DryRun {
		s.printf("symlink %s -> %s (%s)\n", lp, safe.Visible(target), why)
	} else {
		if err == nil {
			os.Remove(p)
		}
		if err := os.Symlink(want, p); err != nil {
			s.Warnf("symbolic link %s not made: %v", lp, err)
			return
		}
	}
	if why == "new" {
		t.New++
	} else {
		t.Updated++
	}
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
	// blind: part of the remote tree could not be listed (a drop box
	// that takes uploads and shows nothing, a subdirectory the server
	// refuses): what is there goes up as new, and nothing is deleted.
	var unlisted []error
	blind := false
	ahead := s.lazyAhead(ctx, o)
	if ahead.n > 1 {
		ahead.pre = newListAhead(ctx, s)
	}
	defer ahead.finish()
	err := s.walkRemote(ctx, "mirror -R", remote, 0, &unlisted, ahead.pre, func(r string, e ftp.Entry) error {
		if r != remote {
			have[r] = e
			if e.Type == ftp.EntryDir {
				ahead.far()
			}
		}
		return nil
	})
	ahead.walked()
	var re *ftp.ReplyError
	rootThere := err == nil // listed: something in it, or checked to be a directory
	switch {
	case errors.Is(err, errNoRemoteDir):
		have = map[string]ftp.Entry{}
	case errors.As(err, &re):
		have = map[string]ftp.Entry{}
		if s.main.isDir(ctx, remote) {
			s.Warnf("mirror -R: %s cannot be listed (%v): every file goes up, and nothing is deleted", remote, err)
			blind, rootThere = true, true
		}
	case err != nil:
		return err
	}
	blind = blind || len(unlisted) > 0

	var dirs, moves []string
	locals := map[string]string{} // local path -> remote path
	reasons := map[string]string{}
	from := map[string]int64{} // local path -> where its partial upload stopped
	temp := o.TempUpload || s.opts.TempUpload
	// Permission bits: the local ones, and what the remote listing showed.
	perms, listed := map[string]fs.FileMode{}, map[string]fs.FileMode{}
	// Files up to date by a listed day only, decided after the walk.
	type vagueUp struct {
		local, remote string
		fi            fs.FileInfo
		e             ftp.Entry
	}
	var vague []vagueUp
	// wantPerm notes that rp should have perm: always when it is made or
	// moved (changed), else only when the listing (e, ok) shows other bits.
	wantPerm := func(rp string, perm fs.FileMode, e ftp.Entry, ok, changed bool) {
		switch {
		case ok && e.HasPerm:
			if changed || e.Perm != perm {
				perms[rp], listed[rp] = perm, e.Perm
			}
		case changed || !ok:
			perms[rp] = perm
		}
	}
	var t MirrorTotals
	// move counts a file and, when it is to go (why), plans it.
	move := func(lp, rp, why string) {
		switch why {
		case "":
			t.Skipped++
			return
		case "new":
			t.New++
		default:
			t.Updated++
		}
		ahead.start()
		moves = append(moves, lp)
		locals[lp], reasons[lp] = rp, why
	}
	werr := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("local directory: %w", err)
		}
		rel, _ := filepath.Rel(root, p)
		rp := path.Join(remote, filepath.ToSlash(rel))
		lp := filepath.Join(local, rel)
		if rel != "." && (o.leftOut(filepath.ToSlash(rel), d.IsDir()) || gftpPartial(d.Name())) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() && strings.Count(rel, string(filepath.Separator)) >= maxTreeDepth {
			return fmt.Errorf("mirror -R: %s is more than %d directories deep", shortPath(p), maxTreeDepth)
		}
		switch {
		case d.IsDir():
			e, ok := have[rp]
			if rp == remote {
				ok, e.Type = rootThere, ftp.EntryDir // no MKD for what is there
			}
			if !ok || e.Type != ftp.EntryDir {
				dirs = append(dirs, rp)
			}
			delete(have, rp)
			if fi, err := d.Info(); err == nil && !o.NoPerms && rp != remote {
				isDir := ok && e.Type == ftp.EntryDir
				wantPerm(rp, fi.Mode().Perm(), e, isDir, !isDir)
			}
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return fmt.Errorf("local file: %w", err)
			}
			e, ok := have[rp]
			delete(have, rp)
			tmp := tempName(rp)
			if pe, ok := have[tmp]; ok && temp {
				// An earlier run's partial upload: continued, or
				// replaced, either way not deleted.
				delete(have, tmp)
				if partialOf(pe.Size, fi.Size(), pe.Time, fi.ModTime(), listPrecision(pe)) {
					from[lp] = pe.Size
				}
			}
			why := moveReason(e, ok, fi, true, o.OnlyNewer)
			if !o.NoPerms {
				wantPerm(rp, fi.Mode().Perm(), e, ok, why != "")
			}
			if why == "" && e.DateOnly {
				vague = append(vague, vagueUp{lp, rp, fi, e})
				return nil
			}
			move(lp, rp, why)
		case d.Type()&os.ModeSymlink != 0:
			if !o.NoSymlinks {
				s.Warnf("skipping the symbolic link %s: links are not followed, and FTP cannot make them", lp)
			}
		default:
			s.Warnf("skipping %s: not a regular file", lp)
		}
		return nil
	})
	if werr != nil {
		return werr
	}
	var paths []string
	for _, v := range vague {
		paths = append(paths, v.remote)
	}
	exact := s.exactTimes(ctx, paths)
	for _, v := range vague {
		why := ""
		if tm, ok := exact[v.remote]; ok {
			v.e.Time, v.e.TimeExact, v.e.DateOnly = tm, true, false
			if why = moveReason(v.e, true, v.fi, true, o.OnlyNewer); why != "" && !o.NoPerms {
				wantPerm(v.remote, v.fi.Mode().Perm(), v.e, true, true)
			}
		}
		move(v.local, v.remote, why)
	}

	if o.DryRun {
		for _, d := range dirs {
			s.printf("mkdir %s\n", d)
		}
	} else if err := s.ensureRemoteDirs(ctx, dirs); err != nil {
		return err
	}
	var failed error
	if o.DryRun {
		for _, lp := range moves {
			s.printf("put %s (%s)\n", lp, reasons[lp])
		}
	} else if len(moves) > 0 {
		var nfailed, started atomic.Int32
		var later uploadCheck
		failed = s.multiMax(ctx, "mirror -R", moves, s.links(o.N), ahead.a, o.MaxErrors, func(ctx context.Context, l *link, tr transcript, lp string) error {
			started.Add(1)
			err := l.put(ctx, tr, lp, locals[lp], putOpts{later: &later, temp: temp, from: from[lp], keepPartial: true, times: s.opts.Preserve})
			if err != nil {
				nfailed.Add(1)
			}
			return err
		})
		if failed == nil && ctx.Err() == nil && s.main.connected() {
			if failed = later.check(ctx, s.main, s.links(o.N)); failed != nil {
				nfailed.Add(1)
			}
		}
		t.Failed = int(nfailed.Load())
		if failed != nil && t.Failed == 0 {
			t.Failed = 1
		}
		t.NotTried = len(moves) - int(started.Load())
		maps.Copy(listed, later.perms)
		for _, lp := range moves {
			if _, ok := later.perms[locals[lp]]; !ok {
				delete(listed, locals[lp]) // replaced: its old bits say nothing
			}
		}
	}
	if !o.DryRun && !o.NoPerms && ctx.Err() == nil && s.main.connected() {
		s.listNewDirs(ctx, dirs, perms, listed)
		s.chmodRemote(ctx, perms, listed)
	}
	if o.Delete && blind {
		s.Warnf("mirror -R --delete: nothing deleted, as part of %s could not be listed", remote)
	}
	if o.Delete && !blind && failed == nil && ctx.Err() == nil {
		for r, e := range have {
			if o.leftOutTree(strings.TrimPrefix(r, remote+"/"), e.Type == ftp.EntryDir) {
				delete(have, r) // left out: never deleted
			}
		}
		n, err := s.mirrorDeleteRemote(ctx, have, o.DryRun)
		t.Deleted = n
		failed = err
	}
	s.printf("mirror -R %s: %s\n", local, t.summary(o.DryRun))
	if failed != nil && o.Delete && t.Deleted == 0 {
		return fmt.Errorf("%w (so nothing was deleted)", failed)
	}
	return failed
}

// listNewDirs learns the permission bits the server gave the directories
// it made (dirs), from one listing of each of their parents, as a SITE
// CHMOD each would cost more when most already have the local bits.
func (s *Session) listNewDirs(ctx context.Context, dirs []string, perms, listed map[string]fs.FileMode) {
	parents := map[string]bool{}
	for _, d := range dirs {
		if _, want := perms[d]; want {
			if _, known := listed[d]; !known {
				parents[path.Dir(d)] = true
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(parents)) {
		dir := p
		if dir == "." {
			dir = ""
		}
		err := s.main.scanEntries(s.own(ctx), dir, func(e ftp.Entry) {
			if e.HasPerm {
				listed[path.Join(p, path.Base(e.Name))] = e.Perm
			}
		})
		if err != nil {
			s.logf("listing %s for its directories' permissions: %v", p, err)
			return
		}
	}
}

// chmodRemote gives each remote path the permission bits in want, where
// listed (what the server's listing showed) differs or does not know
// (SITE CHMOD, on the main link). A server without SITE CHMOD is told
// once; other refusals are warnings (the files are there), the first and
// a count.
func (s *Session) chmodRemote(ctx context.Context, want, listed map[string]fs.FileMode) {
	l := s.main
	refused := 0
	var first error
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if have, ok := listed[p]; ok && have == want[p] {
			continue
		}
		err := l.conn.Chmod(ctx, want[p], p)
		switch {
		case err == nil:
		case ftp.NotImplemented(err):
			s.Warnf("the server has no SITE CHMOD: permissions not kept (--no-perms: do not try)")
			return
		case l.lost(err):
			l.check(err)
			return
		default:
			if refused++; first == nil {
				first = fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	if first != nil {
		s.Warnf("permissions not kept for %d files, the first: %v", refused, first)
	}
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
