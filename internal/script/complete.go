package script

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/safe"
)

// completer completes command names from the table and, for arguments the
// table marks as local, local file names.
type completer struct {
	t        *commands.Table
	localDir func() string
	remote   func(prefix string) []string // nil: no remote completion
}

// Do implements readline.AutoCompleter: candidates are the suffixes that
// complete the word under the cursor, and the length of that word.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	before := string(line[:pos])
	words := strings.Fields(before)
	atNewWord := before == "" || strings.HasSuffix(before, " ") || strings.HasSuffix(before, "\t")
	cur := ""
	if !atNewWord && len(words) > 0 {
		cur = words[len(words)-1]
		words = words[:len(words)-1]
	}
	var cands []string
	if len(words) == 0 {
		cands = c.commandNames(cur)
	} else {
		cmd, err := c.t.Find(words[0])
		if err != nil {
			return nil, 0
		}
		switch cmd.ArgKind(len(words) - 1) {
		case commands.ArgCommand:
			cands = c.commandNames(cur)
		case commands.ArgLocal:
			cands = c.localNames(cur)
		case commands.ArgRemote:
			if c.remote != nil {
				cands = c.remote(cur)
			}
		}
	}
	out := make([][]rune, 0, len(cands))
	for _, s := range cands {
		// The line editor prints the candidates and puts their common
		// prefix into the line as they are: a name with a control
		// character (a server's, or a local file a download named) would
		// act on the terminal. Nor can a user type it.
		if safe.Visible(s) != s || strings.ContainsAny(s, "\t\n") {
			continue
		}
		out = append(out, []rune(s[len(cur):]))
	}
	return out, len([]rune(cur))
}

func (c *completer) commandNames(prefix string) []string {
	var out []string
	for _, n := range c.t.Names() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n+" ")
		}
	}
	return out
}

func (c *completer) localNames(prefix string) []string {
	if c.localDir == nil {
		return nil
	}
	dir, base := filepath.Split(prefix)
	full := dir
	if !filepath.IsAbs(dir) {
		full = filepath.Join(c.localDir(), dir)
	}
	ents, err := os.ReadDir(full)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), base) || (strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		name := dir + e.Name()
		if e.IsDir() {
			name += "/"
		} else {
			name += " "
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
