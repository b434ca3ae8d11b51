package session

import (
	"context"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
)

// Remote completion for the prompt: names in a remote directory, from a
// cache of listings that commands which may change the server drop.

// completeWait bounds the listing a Tab waits for: a slow server must not
// freeze the prompt. A listing cut short gives up the connection (its
// reply was owed); the next command opens it again.
const completeWait = 2 * time.Second

// maxCompleteNames bounds what one directory's cache holds.
const maxCompleteNames = 20000

// remoteName is a name in a listing, and whether it is a directory.
type remoteName struct {
	name string
	dir  bool
}

// CompleteRemote returns the remote names that complete prefix (a path
// as typed): directories end in "/", files in " ". It lists the directory
// on the session's connection only while the prompt waits for input, and
// at most completeWait.
func (s *Session) CompleteRemote(ctx context.Context, prefix string) []string {
	if !s.Connected() {
		return nil
	}
	dir, base := path.Split(prefix)
	key := path.Join(s.main.cwd.key(), dir)
	if strings.HasPrefix(dir, "/") {
		key = path.Clean(dir)
	}
	names, ok := s.completions[key]
	if !ok {
		var err error
		if names, err = s.listForCompletion(ctx, strings.TrimSuffix(dir, "/")); err != nil {
			return nil // not kept: the next Tab tries again
		}
		if s.completions == nil {
			s.completions = map[string][]remoteName{}
		}
		s.completions[key] = names
	}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n.name, base) || (strings.HasPrefix(n.name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		if n.dir {
			out = append(out, dir+n.name+"/")
		} else {
			out = append(out, dir+n.name+" ")
		}
	}
	sort.Strings(out)
	return out
}

func (s *Session) listForCompletion(ctx context.Context, dir string) ([]remoteName, error) {
	// Nothing may print while the user types, not even -d's trace: no
	// trace at all.
	ctx, cancel := context.WithTimeout(ftp.WithTrace(ctx, nil), completeWait)
	defer cancel()
	var names []remoteName
	err := s.main.scanEntries(ctx, dir, func(e ftp.Entry) {
		name := path.Base(e.Name)
		// The candidates are printed, and their common prefix goes into
		// the edit line, as they are: a name a terminal would act on (an
		// escape sequence), or a tab, is left out, as a user cannot type
		// it anyway.
		if len(names) >= maxCompleteNames || !localName(name) || safe.Visible(name) != name || strings.ContainsAny(name, "\t\n") {
			return
		}
		names = append(names, remoteName{name: name, dir: e.Type == ftp.EntryDir})
	})
	return names, err
}

// ForgetListings drops the completion cache: after a command that may
// have changed the server's directories.
func (s *Session) ForgetListings() { s.completions = nil }
