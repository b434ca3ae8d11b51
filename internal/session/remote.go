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
	verb := "LIST"
	// RFC 3659 §7.8: a server lists MLST in FEAT when it has MLSD; some
	// (pure-ftpd) also list MLSD itself.
	feat, err := l.features(ctx)
	if err != nil {
		return err
	}
	_, mlst := feat["MLST"]
	_, mlsd := feat["MLSD"]
	if (mlst || mlsd) && !l.noMLSD {
		verb = "MLSD"
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
			return l.scanEntries(ctx, dir, fn)
		}
		return err
	}
	lw := ftp.NewListingWriter(verb == "MLSD", time.Now(), fn)
	_, cerr := dc.CopyTo(ctx, lw)
	lw.Close()
	ferr := l.check(dc.Finish(ctx))
	if cerr != nil { // the cause, when the copy broke first
		return l.check(fmt.Errorf("listing %s: %w", dir, cerr))
	}
	return ferr
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
	if !hasGlob(pattern) {
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
func localName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\\\x00")
}
