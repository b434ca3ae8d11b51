package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
)

// confirmer asks per file, ftp(1) style, and remembers "all" and "quit".
type confirmer struct {
	s    *Session
	verb string
	all  bool
	quit bool
}

func (s *Session) newConfirmer(verb string) *confirmer {
	// Only a person at the prompt is asked: never a script, never cron.
	return &confirmer{s: s, verb: verb, all: !s.opts.Prompt || s.confirm == nil}
}

// ok asks whether to act on name: y (yes), n (no), a (all), q (quit).
func (c *confirmer) ok(name string) bool {
	if c.quit {
		return false
	}
	if c.all {
		return true
	}
	for {
		// The name may be the server's: the line editor prints the prompt
		// raw.
		ans, err := c.s.confirm.Ask(fmt.Sprintf("%s %s [anqy?]? ", c.verb, safe.Visible(name)))
		if err != nil {
			c.quit = true
			return false
		}
		switch strings.ToLower(strings.TrimSpace(ans)) {
		case "", "y", "yes":
			return true
		case "n", "no":
			return false
		case "a", "all":
			c.all = true
			return true
		case "q", "quit":
			c.quit = true
			return false
		}
		c.s.printf("a: answer yes to all, n: no, q: stop, y: yes\n")
	}
}

// Mput uploads every local file matching the patterns, under its base name.
func (s *Session) Mput(ctx context.Context, patterns []string) error {
	var files []string
	for _, p := range patterns {
		lp := s.localPath(p)
		matches, err := filepath.Glob(lp)
		if err != nil {
			return fmt.Errorf("bad pattern %q: %w", p, err)
		}
		if len(matches) == 0 {
			return fmt.Errorf("no local files match %q", p)
		}
		sort.Strings(matches)
		for _, m := range matches {
			if fi, err := os.Stat(m); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			// Show names as the user wrote them, not as resolved.
			if !filepath.IsAbs(p) {
				if rel, err := filepath.Rel(s.localDir, m); err == nil {
					m = rel
				}
			}
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("no regular local files match %s", strings.Join(patterns, " "))
	}
	return s.each(ctx, "mput", files, func(f string) error {
		return s.Put(ctx, f, filepath.Base(f))
	})
}

// Mget downloads every remote file matching the patterns, globbed here.
func (s *Session) Mget(ctx context.Context, patterns []string) error {
	files, err := s.expandAll(ctx, patterns)
	if err != nil {
		return err
	}
	return s.each(ctx, "mget", files, func(f string) error {
		return s.Get(ctx, f, path.Base(f))
	})
}

// Mdelete deletes every remote file matching the patterns, globbed here.
func (s *Session) Mdelete(ctx context.Context, patterns []string) error {
	files, err := s.expandAll(ctx, patterns)
	if err != nil {
		return err
	}
	return s.each(ctx, "mdelete", files, func(f string) error {
		return s.Delete(ctx, f)
	})
}

func (s *Session) expandAll(ctx context.Context, patterns []string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		names, err := s.expandRemote(ctx, p)
		if err != nil {
			return nil, err
		}
		files = append(files, names...)
	}
	return files, nil
}

// each runs fn on each confirmed file, going on past failures (each is
// printed when there are several) but stopping when the connection is
// gone. The result wraps the first failure, so its kind (a server refusal,
// say) sets the exit status.
func (s *Session) each(ctx context.Context, verb string, files []string, fn func(string) error) error {
	c := s.newConfirmer(verb)
	failed := 0
	var first error
	for _, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !c.ok(f) {
			continue
		}
		err := fn(f)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return err // interrupted: the runner says so, once
		}
		// A lost connection or a data connection that cannot be made would
		// fail every remaining file the same way, each after a timeout.
		var de *ftp.DataConnError
		if !s.Connected() || len(files) == 1 || errors.As(err, &de) {
			return err
		}
		failed++
		if first == nil {
			first = err
		}
		s.Warnf("%s %s: %v", verb, f, err)
	}
	if first != nil {
		return fmt.Errorf("%d of %d files failed, the first: %w", failed, len(files), first)
	}
	return nil
}
