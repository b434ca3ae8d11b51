package session

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// hasGlob reports whether a name has glob characters.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

// entries lists dir on the server: MLSD where the server has it (exact
// types and sizes), else LIST parsed in Unix or Windows form.
func (s *Session) entries(ctx context.Context, dir string) ([]ftp.Entry, error) {
	verb := "LIST"
	// RFC 3659 §7.8: a server lists MLST in FEAT when it has MLSD; some
	// (pure-ftpd) also list MLSD itself.
	feat, err := s.features(ctx)
	if err != nil {
		return nil, err
	}
	_, mlst := feat["MLST"]
	_, mlsd := feat["MLSD"]
	if mlst || mlsd {
		verb = "MLSD"
	}
	cmd := verb
	if dir != "" && dir != "." {
		cmd += " " + dir
	}
	var buf bytes.Buffer
	dc, err := s.openData(ctx, cmd, 0)
	if err != nil {
		return nil, err
	}
	_, cerr := dc.CopyTo(ctx, &buf)
	if err := s.check(dc.Close()); err != nil {
		return nil, err
	}
	if cerr != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, cerr)
	}
	if verb == "MLSD" {
		return ftp.ParseMLSD(buf.String()), nil
	}
	return ftp.ParseList(buf.String(), time.Now()), nil
}

// expandRemote expands a glob against a listing on the client, so that mget
// and mdelete don't depend on how (or whether) the server globs NLST. Only
// files and links match; like a shell, * does not match a leading dot.
func (s *Session) expandRemote(ctx context.Context, pattern string) ([]string, error) {
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
	ents, err := s.entries(ctx, strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		name := path.Base(e.Name)
		if e.Type == ftp.EntryDir || e.Type == ftp.EntryOther {
			continue
		}
		if strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		if ok, _ := path.Match(base, name); ok {
			names = append(names, dir+name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no remote files match %q", pattern)
	}
	return names, nil
}
