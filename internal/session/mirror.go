package session

import (
	"context"
	"fmt"
	"io/fs"
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
	DryRun bool // print the plan, change nothing
	Delete bool // remove local files and directories the remote no longer has
	N      int  // links (0: --parallel)
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
			plan = append(plan, mirrorFile{remote: r, local: lp, entry: e, reason: s.whyMove(lp, e)})
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
		n, err := s.mirrorDelete(local, keep, o.DryRun)
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

// whyMove says why the remote file e should replace the local file lp:
// it is missing, its size differs, or the remote one is newer at the
// precision the listing gives (the second for MLSD, else the minute, or
// the day for a date without a time); "" when it is up to date.
func (s *Session) whyMove(lp string, e ftp.Entry) string {
	fi, err := os.Stat(s.localPath(lp))
	switch {
	case err != nil:
		return "new"
	case e.Size >= 0 && fi.Size() != e.Size:
		return "size differs"
	case e.Time.IsZero():
		return ""
	}
	prec := time.Second
	if !e.TimeExact {
		prec = time.Minute
		if h, m, _ := e.Time.Clock(); h == 0 && m == 0 {
			prec = 24 * time.Hour
		}
	}
	if e.Time.Truncate(prec).After(fi.ModTime().UTC().Truncate(prec)) {
		return "newer"
	}
	return ""
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
func (s *Session) mirrorDelete(local string, keep map[string]bool, dryRun bool) (int, error) {
	root := s.localPath(local)
	var gone []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
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
