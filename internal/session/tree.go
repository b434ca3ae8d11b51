package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
)

// Trees: get -r downloads a remote directory with everything below it.
// The walk lists each directory once (MLSD where the server has it, else
// LIST), makes the local directories, and then moves the files as mget
// does: serially or over several links, failures reported and counted.

// maxTreeDepth bounds a walk, against a server whose listings never end
// (a directory that contains itself under another name).
const maxTreeDepth = 1000

// shortPath is p for a message: its start and end, when it is long.
func shortPath(p string) string {
	if len(p) <= 120 {
		return p
	}
	return strings.ToValidUTF8(p[:50], "") + "..." + strings.ToValidUTF8(p[len(p)-50:], "") // whole characters
}

// treeFile is one file of a walked tree.
type treeFile struct {
	local string    // where it goes, below the local root
	mtime time.Time // exact (MLSD), or zero
}

// GetTree downloads the remote directory dir into local (default: its
// base name, in the local directory), over n links (0: --parallel).
// Names that could leave the local root are skipped with a warning, and
// so are symbolic links: a link in a listing may point anywhere, and is
// not followed out of the tree.
func (s *Session) GetTree(ctx context.Context, n int, dir, local string) (err error) {
	dir = path.Clean(dir)
	if local == "" {
		if local = path.Base(path.Clean(dir)); !localName(local) {
			return fmt.Errorf("%q cannot name a local directory; give the local name: get -r %s LOCAL", local, dir)
		}
	}
	n = s.links(n)
	a := s.openAhead(ctx, n)
	defer func() { a.finish(err != nil) }()
	files := map[string]treeFile{}
	var order []string
	localOf := func(remote string) string {
		rel := strings.TrimPrefix(strings.TrimPrefix(remote, dir), "/")
		return filepath.Join(local, filepath.FromSlash(rel))
	}
	var pre *listAhead
	if n > 1 {
		pre = newListAhead(ctx, s) // the links list the tree ahead of the walk
		pre.use(a, n)
	}
	var unlisted []error
	err = s.walkRemote(ctx, "get -r", dir, 0, &unlisted, pre, func(remote string, e ftp.Entry) error {
		switch e.Type {
		case ftp.EntryDir:
			if remote != dir && s.localLink(localOf(remote)) {
				return errSkipDir
			}
			if err := os.MkdirAll(s.localPath(localOf(remote)), 0o755); err != nil {
				return fmt.Errorf("local directory: %w", err)
			}
		case ftp.EntryFile:
			files[remote] = treeFile{local: localOf(remote), mtime: exactTime(e)}
			order = append(order, remote)
		case ftp.EntryLink:
			s.Warnf("skipping the symbolic link %s: links are not followed", remote)
		}
		return nil
	})
	pre.close(a)
	if err != nil {
		return err
	}
	if len(order) > 0 {
		times := map[string]time.Time{}
		for f, tf := range files {
			if !tf.mtime.IsZero() {
				times[f] = tf.mtime
			}
		}
		s.batchTimes(ctx, order, times)
		err = s.multi(ctx, "get", order, n, a, func(ctx context.Context, l *link, t transcript, f string) error {
			return l.get(ctx, t, f, files[f].local, getOpts{mtime: times[f]})
		})
	}
	if err == nil && len(unlisted) > 0 {
		err = unlistedError(unlisted)
	}
	return err
}

// unlistedError is the failure of a walk that skipped directories it
// could not list.
func unlistedError(unlisted []error) error {
	if len(unlisted) == 1 {
		return unlisted[0]
	}
	return fmt.Errorf("%d directories could not be listed, the first: %w", len(unlisted), unlisted[0])
}

// walkRemote hands fn dir itself (as a directory) and then, directory by
// directory, each entry below it, parents before their children; each
// directory is listed once, and fn sees its entries after the listing is
// done (a link is free for other commands then). Names that are not a
// plain name in their directory ("../x", "a/..", MLSD's cdir with its
// full path) are skipped with a warning.
//
// With unlisted set, a subdirectory whose listing the server refuses (a
// link to outside the user's root that it shows as a directory, one
// without read permission) is skipped with a warning and its error kept
// there, and the walk goes on; else it ends the walk.
//
// With pre, the subdirectories are listed ahead on extra links (see
// listAhead); the walk is the same.
//
// What the walk holds is bounded (see maxListEntries): one directory's
// entries, and the entries fn is handed over the whole tree, since fn
// keeps them (get -r's files, mirror's plan). Past a bound the walk
// fails.
func (s *Session) walkRemote(ctx context.Context, verb, dir string, depth int, unlisted *[]error, pre *listAhead, fn func(remote string, e ftp.Entry) error) error {
	w := &treeWalk{verb: verb, unlisted: unlisted, pre: pre, fn: fn, maxList: maxListEntries,
		held: holding{what: "the server's tree under " + shortPath(dir), maxEntries: maxWalkEntries, maxBytes: maxHeldBytes}}
	return s.walkTree(ctx, w, dir, depth)
}

// treeWalk is one walkRemote.
type treeWalk struct {
	verb     string
	unlisted *[]error
	pre      *listAhead
	fn       func(remote string, e ftp.Entry) error
	maxList  int     // entries of one directory's listing
	held     holding // of the whole tree
}

func (s *Session) walkTree(ctx context.Context, w *treeWalk, dir string, depth int) error {
	verb, unlisted, pre := w.verb, w.unlisted, w.pre
	if depth > maxTreeDepth {
		return fmt.Errorf("%s: %s is more than %d directories deep", verb, shortPath(dir), maxTreeDepth)
	}
	if depth == 0 {
		s.main.walking = true
		defer s.main.endWalk()
	}
	var entries []ftp.Entry
	listed := listHolding(dir)
	listed.maxEntries = w.maxList
	add := func(e ftp.Entry) error {
		switch {
		case e.Name == "." || e.Name == "..":
		case !localName(e.Name):
			s.Warnf("skipping %q from the listing of %s: not a name a local file can have", e.Name, dir)
		default:
			n := len(e.Name) + len(e.Target)
			if err := listed.add(n); err != nil {
				return err
			}
			if err := w.held.add(len(dir) + 1 + n); err != nil { // fn keeps the path
				return err
			}
			entries = append(entries, e)
		}
		return nil
	}
	l, err := s.main, error(nil)
	if d := pre.claim(dir); d != nil && (d.err == nil || d.l.connected()) {
		l, err = d.l, d.err
		for _, e := range d.entries {
			if err != nil {
				break // its failure, not what was listed before it
			}
			err = add(e)
		}
	} else {
		// Not listed ahead, or the extra link was lost on the way: the
		// walk's own link.
		err = s.main.scanUntil(ctx, dir, add)
	}
	var he *heldError
	if errors.As(err, &he) {
		// Not a directory to skip: the rest of the tree is not known.
		return fmt.Errorf("%s: %w", verb, err)
	}
	var re *ftp.ReplyError
	if err != nil && depth > 0 && unlisted != nil && errors.As(err, &re) && l.connected() && ctx.Err() == nil {
		err = fmt.Errorf("%s: cannot list %s: %w", verb, dir, err)
		s.Warnf("%v", err)
		*unlisted = append(*unlisted, err)
		return nil
	}
	if err != nil {
		return err
	}
	s.inUTC(ctx, dir, entries)
	s.main.linkTargets(ctx, dir, entries)
	if depth == 0 && len(entries) == 0 && !s.main.isDir(ctx, dir) {
		// Some servers (vsftpd) list a missing directory as an empty one:
		// a typo must not look like an empty tree, which mirror --delete
		// would make the local copy of.
		return fmt.Errorf("%s: %s: %w", verb, dir, errNoRemoteDir)
	}
	if depth == 0 {
		if err := w.fn(dir, ftp.Entry{Name: path.Base(dir), Type: ftp.EntryDir}); err != nil {
			return err
		}
	}
	skip := map[string]bool{}
	for _, e := range entries {
		err := w.fn(path.Join(dir, e.Name), e)
		switch {
		case errors.Is(err, errSkipDir):
			skip[e.Name] = true
		case err != nil:
			return err
		}
	}
	var below []string
	for _, e := range entries {
		if e.Type == ftp.EntryDir && !skip[e.Name] {
			below = append(below, path.Join(dir, e.Name))
		}
	}
	pre.want(below)
	for _, d := range below {
		if err := s.walkTree(ctx, w, d, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// errSkipDir, from walkRemote's fn for a directory, leaves out what is
// below it.
var errSkipDir = errors.New("skip this directory")

// errNoRemoteDir is a walk of a directory the server does not have.
var errNoRemoteDir = errors.New("no such directory on the server")

// RmTree deletes the remote directory dir and everything in it (rm -r):
// its files and links (a link itself, never what it points to), then
// its directories, deepest first, and dir last. At the prompt, with
// prompting on, it asks once, after counting; scripts do not ask (they
// say what they mean, and cannot answer). Deletes are never retried, and
// the first failure stops it: what was left is reported.
func (s *Session) RmTree(ctx context.Context, dir string) error {
	var files, dirs []string
	err := s.walkRemote(ctx, "rm -r", dir, 0, nil, nil, func(remote string, e ftp.Entry) error {
		if e.Type == ftp.EntryDir {
			dirs = append(dirs, remote)
		} else {
			files = append(files, remote)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.opts.Prompt && s.confirm != nil {
		ans, aerr := s.confirm.Ask(fmt.Sprintf("Delete %s and all in it: %d files, %d directories? [y/N] ",
			safe.Visible(dir), len(files), len(dirs)-1))
		if aerr != nil || !strings.EqualFold(strings.TrimSpace(ans), "y") && !strings.EqualFold(strings.TrimSpace(ans), "yes") {
			s.printf("Nothing deleted.\n")
			return nil
		}
	}
	l := s.main
	for i, f := range files {
		if err := l.check(l.conn.Delete(ctx, f)); err != nil {
			return fmt.Errorf("rm -r %s: %d of %d files deleted, then %s: %w", dir, i, len(files), f, err)
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := l.check(l.conn.Rmdir(ctx, dirs[i])); err != nil {
			return fmt.Errorf("rm -r %s: all %d files deleted, then the directory %s: %w", dir, len(files), dirs[i], err)
		}
	}
	return nil
}

func exactTime(e ftp.Entry) time.Time {
	if e.TimeExact {
		return e.Time
	}
	return time.Time{}
}

// PutTree uploads the local directory dir into remote (default: its base
// name, in the remote directory), over n links (0: --parallel): the
// remote directories first, parents before children (one that exists
// already is fine), then the files as mput moves them, their sizes
// checked with one listing per directory at the end. Symbolic links are
// not followed, and what is neither a file nor a directory is skipped,
// each with a warning.
func (s *Session) PutTree(ctx context.Context, n int, dir, remote string) error {
	root := s.localPath(dir)
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		return fmt.Errorf("put -r %s: %w", dir, err)
	}
	if remote == "" {
		remote = filepath.Base(filepath.Clean(root))
	}
	var dirs []string
	var locals []string // local paths, as put takes them
	remotes := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("local directory: %w", err)
		}
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			return rerr
		}
		if d.IsDir() && strings.Count(rel, string(filepath.Separator)) >= maxTreeDepth {
			return fmt.Errorf("put -r: %s is more than %d directories deep", shortPath(p), maxTreeDepth)
		}
		rp := path.Join(remote, filepath.ToSlash(rel))
		lp := filepath.Join(dir, rel) // as the user wrote dir: relative stays relative
		switch {
		case d.IsDir():
			dirs = append(dirs, rp)
		case d.Type().IsRegular():
			locals = append(locals, lp)
			remotes[lp] = rp
		case d.Type()&os.ModeSymlink != 0:
			s.Warnf("skipping the symbolic link %s: links are not followed", lp)
		default:
			s.Warnf("skipping %s: not a regular file", lp)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.ensureRemoteDirs(ctx, dirs); err != nil {
		return err
	}
	if len(locals) == 0 {
		return nil
	}
	var later uploadCheck
	err = s.multi(ctx, "put", locals, s.links(n), nil, func(ctx context.Context, l *link, t transcript, f string) error {
		return l.put(ctx, t, f, remotes[f], putOpts{later: &later, temp: s.opts.TempUpload, times: s.opts.Preserve})
	})
	if ctx.Err() != nil || !s.main.connected() {
		return err
	}
	if cerr := later.check(ctx, s.main, s.links(n)); err == nil {
		err = cerr
	}
	return err
}

// ensureRemoteDirs makes the directories on the server, parents before
// children, their MKD commands pipelined (a round trip for many, not one
// each); one that is there already is fine.
func (s *Session) ensureRemoteDirs(ctx context.Context, dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	l := s.main
	lines := make([]string, len(dirs))
	for i, d := range dirs {
		lines[i] = "MKD " + d
	}
	replies, err := l.conn.CmdAll(ctx, lines)
	if err != nil {
		return fmt.Errorf("mkdir: %w", l.check(err))
	}
	for i, r := range replies {
		if r.Class() != 2 && !l.isDir(ctx, dirs[i]) {
			return fmt.Errorf("mkdir %s: %w", dirs[i], l.check(&ftp.ReplyError{Command: "MKD", Reply: r}))
		}
	}
	return nil
}

// ensureRemoteDir makes dir on the server, whose parent exists; one that
// is there already is fine.
func (s *Session) ensureRemoteDir(ctx context.Context, dir string) error {
	l := s.main
	err := l.conn.Mkdir(ctx, dir)
	if err == nil {
		return nil
	}
	if l.lost(err) || !l.isDir(ctx, dir) {
		return fmt.Errorf("mkdir %s: %w", dir, l.check(err))
	}
	return nil
}

// MgetTree is mget -r: every remote file and directory matching the
// patterns (globbed here; a name without glob characters is asked for
// directly), the files as mget moves them, each directory as get -r does,
// into its base name. It goes on past a failed file or directory, and
// fails with the first.
func (s *Session) MgetTree(ctx context.Context, n int, patterns []string) error {
	times := map[string]time.Time{}
	isDir := map[string]bool{}
	var files, dirs []string
	for _, p := range patterns {
		if !hasGlob(p) {
			if s.main.isDir(ctx, p) {
				dirs = append(dirs, p)
			} else {
				files = append(files, p)
			}
			continue
		}
		names, err := s.expandRemoteDirs(ctx, p, times, isDir)
		if err != nil {
			return err
		}
		for _, name := range names {
			if isDir[name] {
				dirs = append(dirs, name)
			} else {
				files = append(files, name)
			}
		}
	}
	var steps []func() error
	if len(files) > 0 {
		steps = append(steps, func() error {
			s.batchTimes(ctx, files, times)
			return s.multi(ctx, "mget", files, s.links(n), nil, func(ctx context.Context, l *link, t transcript, f string) error {
				return l.get(ctx, t, f, path.Base(f), getOpts{mtime: times[f]})
			})
		})
	}
	for _, d := range dirs {
		steps = append(steps, func() error { return s.GetTree(ctx, n, d, "") })
	}
	return s.treeSteps(ctx, "mget -r", steps)
}

// MputTree is mput -r: every local file and directory matching the
// patterns, the files as mput moves them, each directory as put -r does,
// under its base name. It goes on past a failed file or directory, and
// fails with the first.
func (s *Session) MputTree(ctx context.Context, n int, patterns []string) error {
	var files, dirs []string
	for _, p := range patterns {
		matches, err := filepath.Glob(s.localPath(p))
		if err != nil {
			return fmt.Errorf("bad pattern %q: %w", p, err)
		}
		if len(matches) == 0 {
			return fmt.Errorf("no local files match %q", p)
		}
		for _, m := range matches {
			fi, err := os.Stat(m)
			if !filepath.IsAbs(p) { // shown as the user wrote it: relative
				if rel, rerr := filepath.Rel(s.localDir, m); rerr == nil {
					m = rel
				}
			}
			switch {
			case err != nil:
				return fmt.Errorf("local file: %w", err)
			case fi.IsDir():
				dirs = append(dirs, m)
			case fi.Mode().IsRegular():
				files = append(files, m)
			}
		}
	}
	var steps []func() error
	if len(files) > 0 {
		steps = append(steps, func() error {
			var later uploadCheck
			err := s.multi(ctx, "mput", files, s.links(n), nil, func(ctx context.Context, l *link, t transcript, f string) error {
				return l.put(ctx, t, f, filepath.Base(f), putOpts{later: &later, temp: s.opts.TempUpload})
			})
			if err == nil && ctx.Err() == nil && s.main.connected() {
				err = later.check(ctx, s.main, s.links(n))
			}
			return err
		})
	}
	for _, d := range dirs {
		steps = append(steps, func() error { return s.PutTree(ctx, n, d, "") })
	}
	return s.treeSteps(ctx, "mput -r", steps)
}

// treeSteps runs the steps of mget -r or mput -r in order, going on past
// failures (each reported) but not past an interruption or a lost
// connection.
func (s *Session) treeSteps(ctx context.Context, verb string, steps []func() error) error {
	var first error
	failed := 0
	for _, step := range steps {
		err := step()
		if err == nil {
			continue
		}
		if ctx.Err() != nil || !s.main.connected() || len(steps) == 1 {
			return err
		}
		if failed++; first == nil {
			first = err
		}
		s.Warnf("%s: %v", verb, err)
	}
	if first != nil {
		return fmt.Errorf("%s: %d of %d parts failed, the first: %w", verb, failed, len(steps), first)
	}
	return nil
}
