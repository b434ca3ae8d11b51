package session

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

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

// Mput uploads every local file matching the patterns, under its base
// name, over n links at once (n <= 1: one after another).
func (s *Session) Mput(ctx context.Context, n int, patterns []string) error {
	var files []string
	for _, p := range patterns {
		lp := s.localPath(p)
		matches, err := filepath.Glob(lp)
		if s.noGlob { // glob off: the name as it is
			matches, err = []string{lp}, nil
		}
		if err != nil {
			return fmt.Errorf("bad pattern %q: %w", p, err)
		}
		if len(matches) == 0 {
			return fmt.Errorf("no local files match %q", p)
		}
		sort.Strings(matches)
		for _, m := range matches {
			// Show names as the user wrote them, not as resolved.
			shown := m
			if !filepath.IsAbs(p) {
				if rel, err := filepath.Rel(s.localDir, m); err == nil {
					shown = rel
				}
			}
			// One that cannot be read (a link to an unmounted disk) is
			// kept: its upload fails, so the command does, and a script
			// stops before its mdelete of last week's copy. A directory
			// or a device is no file to send: said, and left.
			if fi, err := os.Stat(m); err == nil && !fi.Mode().IsRegular() {
				what := "not a regular file"
				if fi.IsDir() {
					what = "a directory (put -r sends one)"
				}
				s.Warnf("skipping %s: %s", safe.Visible(shown), what)
				continue
			}
			files = append(files, shown)
		}
	}
	if len(files) == 0 {
		return fmt.Errorf("no regular local files match %s", strings.Join(patterns, " "))
	}
	var later uploadCheck
	err := s.multi(ctx, "mput", files, s.links(n), nil, func(ctx context.Context, l *link, t transcript, f string) error {
		return l.put(ctx, t, f, filepath.Base(f), putOpts{later: &later, temp: s.opts.TempUpload})
	})
	if ctx.Err() != nil || !s.main.connected() {
		return err // nothing to check with
	}
	if cerr := later.check(ctx, s.main, s.links(n)); err == nil {
		err = cerr
	}
	return err
}

// Mget downloads every remote file matching the patterns, globbed here,
// over n links at once (n <= 1: one after another).
// The extra links log in while the files are listed.
func (s *Session) Mget(ctx context.Context, n int, patterns []string) (err error) {
	n = s.links(n)
	a := s.openAhead(ctx, n)
	defer func() { a.finish(err != nil) }()
	// The listing's exact times (MLSD) save an MDTM a file.
	times := map[string]time.Time{}
	files, err := s.expandAll(ctx, patterns, times)
	if err != nil {
		return err
	}
	s.batchTimes(ctx, files, times)
	return s.multi(ctx, "mget", files, n, a, func(ctx context.Context, l *link, t transcript, f string) error {
		return l.get(ctx, t, f, s.localNameFor(path.Base(f)), getOpts{mtime: times[f]})
	})
}

// links is how many links a multi-file command uses: n when it says
// (-P N), else the session's --parallel.
func (s *Session) links(n int) int {
	if n > 0 {
		return n
	}
	return max(1, s.opts.Parallel)
}

// Mdelete deletes every remote file matching the patterns, globbed here,
// one after another.
func (s *Session) Mdelete(ctx context.Context, patterns []string) error {
	files, err := s.expandAll(ctx, patterns, nil)
	if err != nil {
		return err
	}
	return s.multi(ctx, "mdelete", files, 1, nil, func(ctx context.Context, l *link, t transcript, f string) error {
		return l.check(l.conn.Delete(ctx, f))
	})
}

func (s *Session) expandAll(ctx context.Context, patterns []string, times map[string]time.Time) ([]string, error) {
	var files []string
	for _, p := range patterns {
		names, err := s.expandRemote(ctx, p, times)
		if err != nil {
			return nil, err
		}
		files = append(files, names...)
	}
	return files, nil
}
