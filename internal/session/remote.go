package session

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// hasGlob reports whether a name has glob characters.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// scanEntries lists dir on the server, MLSD where the server has it
// (exact types and sizes), else LIST parsed in Unix or Windows form, and
// hands each entry to fn as it arrives: only one line is held at a time,
// so a listing of millions of lines costs no memory.
func (l *link) scanEntries(ctx context.Context, dir string, fn func(ftp.Entry)) error {
	return l.scan(ctx, dir, false, fn)
}

// scan is scanEntries, with LIST whatever the server has when list is set.
func (l *link) scan(ctx context.Context, dir string, list bool, fn func(ftp.Entry)) error {
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
	lw := ftp.NewListingWriter(verb == "MLSD", time.Now(), fn)
	_, cerr := dc.CopyTo(ctx, lw)
	lw.Close()
	ferr := l.check(dc.Finish(ctx))
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
	err := l.scan(ctx, dir, true, func(e ftp.Entry) {
		if i, ok := missing[e.Name]; ok && e.Type == ftp.EntryLink {
			entries[i].Target = e.Target
		}
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
	err := s.main.scanEntries(ctx, strings.TrimSuffix(dir, "/"), func(e ftp.Entry) {
		if e.Type == ftp.EntryOther || e.Type == ftp.EntryDir && dirs == nil {
			return
		}
		name := path.Base(e.Name)
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			return
		}
		if ok, _ := path.Match(base, name); !ok {
			return
		}
		if !localName(name) {
			s.Warnf("skipping %q from the server's listing: not a name a local file can have", e.Name)
			return
		}
		names = append(names, dir+name)
		if e.Type == ftp.EntryDir {
			dirs[dir+name] = true
		}
		if times != nil && e.TimeExact {
			times[dir+name] = e.Time
		}
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
