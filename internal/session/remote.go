package session

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// hasGlob reports whether a name has glob characters.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// Bounds on what a command holds of the server's listings (mget's
// matches, a tree walk's entries), since a hostile server's listing may
// never end. A million entries is several times the largest real
// directories (a few hundred thousand files), and held takes some 150
// to 400 MB (mget, get -r at the bound); a walk holds as many over all
// its directories, so it goes through trees of up to a million files.
// The bytes bound is for long names: real ones are at most 255 bytes
// (NAME_MAX), and a million of them fit, where a million names of 64
// KiB (the longest line a listing may have) would be 64 GB.
const (
	maxListEntries = 1_000_000 // of one listing
	maxWalkEntries = 1_000_000 // of one tree walk, all its directories
	maxHeldBytes   = 256 << 20 // of the names (a walk's: the paths) held
)

// holding counts what a command holds of the server's listings against
// a bound on the entries and one on their bytes.
type holding struct {
	what       string // for the error: "the server's listing of d"
	maxEntries int
	maxBytes   int
	entries    int
	bytes      int
}

// listHolding is the holding of one listing of dir.
func listHolding(dir string) holding {
	what := "the server's listing of the current directory"
	if dir != "" && dir != "." {
		what = "the server's listing of " + shortPath(dir)
	}
	return holding{what: what, maxEntries: maxListEntries, maxBytes: maxHeldBytes}
}

// heldError is a command stopped by a holding's bound.
type heldError struct{ msg string }

func (e *heldError) Error() string { return e.msg }

// add counts one more entry of n bytes; past a bound, the command's
// failure.
func (h *holding) add(n int) error {
	h.entries++
	h.bytes += n
	switch {
	case h.entries > h.maxEntries:
		return &heldError{fmt.Sprintf("%s has more than %d entries; gftp stops there", h.what, h.maxEntries)}
	case h.bytes > h.maxBytes:
		return &heldError{fmt.Sprintf("the names in %s take more than %d MiB; gftp stops there", h.what, h.maxBytes>>20)}
	}
	return nil
}

// scanEntries lists dir on the server, MLSD where the server has it
// (exact types and sizes), else LIST parsed in Unix or Windows form, and
// hands each entry to fn as it arrives: only one line is held at a time,
// so a listing of millions of lines costs no memory.
//
// Except on a tree walk's link (walking), where the links listing ahead
// of the walk (listAhead) hold each listing whole until the walk takes
// it: there a listing past listHolding's bounds fails.
func (l *link) scanEntries(ctx context.Context, dir string, fn func(ftp.Entry)) error {
	if !l.walking {
		return l.scan(ctx, dir, false, func(e ftp.Entry) error { fn(e); return nil })
	}
	held := listHolding(dir)
	return l.scan(ctx, dir, false, func(e ftp.Entry) error {
		if err := held.add(len(e.Name) + len(e.Target)); err != nil {
			return err
		}
		fn(e)
		return nil
	})
}

// scanUntil is scanEntries whose fn can end the listing, for a caller
// that bounds what it holds itself: fn's error stops the copy, the data
// connection is aborted (the server's final reply awaited a moment, as
// for any broken transfer, else the connection is given up and the next
// command opens it again), and the error is the result.
func (l *link) scanUntil(ctx context.Context, dir string, fn func(ftp.Entry) error) error {
	return l.scan(ctx, dir, false, fn)
}

// stoppable is a listing's writer that fails once *stop is set (by the
// entries' fn), so that the copy ends there.
type stoppable struct {
	w    io.Writer
	stop *error
}

func (s stoppable) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if *s.stop != nil {
		return n, *s.stop
	}
	return n, err
}

// scan is scanUntil, with LIST whatever the server has when list is set.
func (l *link) scan(ctx context.Context, dir string, list bool, fn func(ftp.Entry) error) error {
	verb := "LIST"
	// RFC 3659 §7.8: a server lists MLST in FEAT when it has MLSD; some
	// (pure-ftpd) also list MLSD itself.
	feat, err := l.features(ctx)
	if err != nil {
		return err
	}
	facts, mlst := feat["MLST"]
	_, mlsd := feat["MLSD"]
	if (mlst || mlsd) && !l.noMLSD && !list {
		verb = "MLSD"
		l.chooseFacts(ctx, facts)
	}
	cmd := verb
	if dir != "" && dir != "." {
		cmd += " " + dir
	}
	dc, err := l.openData(ctx, cmd, 0)
	if err != nil {
		if verb == "MLSD" && ftp.NotImplemented(err) {
			// FEAT said MLSD and the server does not have it after all.
			l.noMLSD = true
			return l.scan(ctx, dir, true, fn)
		}
		return err
	}
	dc.Prefetch = l.walking
	var stop error // fn's: the entries after it are not fn's
	lw := ftp.NewListingWriter(verb == "MLSD", time.Now(), func(e ftp.Entry) {
		if stop == nil {
			stop = fn(e)
		}
	})
	_, cerr := dc.CopyTo(ctx, stoppable{lw, &stop})
	lw.Close()
	ferr := l.check(dc.Finish(ctx))
	if stop != nil {
		if ferr != nil && !l.connected() {
			// No final reply in time: the next command finds no connection.
			return fmt.Errorf("%w (the server did not answer the abort, and the connection is closed)", stop)
		}
		return stop // the server's 426 for the abort is no news
	}
	if cerr != nil { // the cause, when the copy broke first
		return l.check(fmt.Errorf("listing %s: %w", dir, cerr))
	}
	return ferr
}

// chooseFacts asks for the permission bits (unix.mode) in MLSD listings
// where the server has them but does not send them unasked (pyftpdlib),
// with the facts gftp reads: once per link, a refusal ignored. facts is
// FEAT's MLST line, the facts sent by default marked with "*".
func (l *link) chooseFacts(ctx context.Context, facts string) {
	if l.factsAsked {
		return
	}
	l.factsAsked = true
	offered := map[string]bool{}
	for f := range strings.SplitSeq(strings.ToLower(facts), ";") {
		if f != "" {
			offered[strings.TrimSuffix(f, "*")] = strings.HasSuffix(f, "*")
		}
	}
	if on, ok := offered["unix.mode"]; !ok || on {
		return // not there, or sent already
	}
	var want []string
	for _, f := range []string{"type", "size", "modify", "unix.mode"} {
		if _, ok := offered[f]; ok {
			want = append(want, f)
		}
	}
	if err := l.conn.OptsMLST(l.s.own(ctx), want); err != nil {
		l.check(err)
	}
}

// linkTargets fills in the targets of the symbolic links in entries (the
// listing of dir) that MLSD left without one (pure-ftpd's and proftpd's
// OS.unix=symlink): LIST shows them as "name -> target". One LIST, only
// for a directory with such links.
func (l *link) linkTargets(ctx context.Context, dir string, entries []ftp.Entry) {
	missing := map[string]int{}
	for i, e := range entries {
		if e.Type == ftp.EntryLink && e.Target == "" {
			missing[e.Name] = i
		}
	}
	if len(missing) == 0 {
		return
	}
	err := l.scan(ctx, dir, true, func(e ftp.Entry) error {
		if i, ok := missing[e.Name]; ok && e.Type == ftp.EntryLink {
			entries[i].Target = e.Target
		}
		return nil
	})
	if err != nil {
		l.s.logf("listing %s for its links' targets: %v", dir, err)
	}
}

// expandRemote expands a glob against a listing on the client, so that mget
// and mdelete don't depend on how (or whether) the server globs NLST. Only
// files and links match; like a shell, * does not match a leading dot.
// The listing streams: only the matches are kept.
// Exact modification times (MLSD) of the matches go into times, when
// it is not nil.
func (s *Session) expandRemote(ctx context.Context, pattern string, times map[string]time.Time) ([]string, error) {
	return s.expandRemoteDirs(ctx, pattern, times, nil)
}

// expandRemoteDirs is expandRemote that, with dirs set, also matches
// directories and marks them in dirs (mget -r).
func (s *Session) expandRemoteDirs(ctx context.Context, pattern string, times map[string]time.Time, dirs map[string]bool) ([]string, error) {
	if !hasGlob(pattern) || s.noGlob {
		return []string{pattern}, nil
	}
	dir, base := path.Split(pattern)
	if hasGlob(dir) {
		return nil, fmt.Errorf("glob characters in a directory part are not supported: %q", pattern)
	}
	if _, err := path.Match(base, ""); err != nil {
		return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
	}
	var names []string
	held := listHolding(strings.TrimSuffix(dir, "/"))
	err := s.main.scanUntil(ctx, strings.TrimSuffix(dir, "/"), func(e ftp.Entry) error {
		if e.Type == ftp.EntryOther || e.Type == ftp.EntryDir && dirs == nil {
			return nil
		}
		name := path.Base(e.Name)
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			return nil
		}
		if ok, _ := path.Match(base, name); !ok {
			return nil
		}
		if !localName(name) {
			s.Warnf("skipping %q from the server's listing: not a name a local file can have", e.Name)
			return nil
		}
		// Only the matches are held, so only they count.
		if err := held.add(len(dir) + len(name)); err != nil {
			return err
		}
		names = append(names, dir+name)
		if e.Type == ftp.EntryDir {
			dirs[dir+name] = true
		}
		if times != nil && e.TimeExact {
			times[dir+name] = e.Time
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no remote files match %q", pattern)
	}
	return names, nil
}

// localName reports whether name (a base name from a server's listing)
// can name a file in the local directory and nothing else: not empty, not
// "." or "..", no separator of this system's or Windows'. A listing is the
// server's word, and a hostile server could otherwise have mget write
// outside the local directory (even a temporary file).
//
// Nor may it start with "~": a local path that does is a home directory
// (expandHome), and a server's "~" would write into the user's.
func localName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.HasPrefix(name, "~") && !strings.ContainsAny(name, "/\\\x00")
}
