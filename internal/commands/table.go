// Package commands is gftp's one command dispatcher. Each command is
// declared once, in one table that help, completion, the REPL and the
// script runner all read.
package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/session"
)

// ErrQuit is returned by bye/quit: the runner stops, successfully.
var ErrQuit = errors.New("quit")

// UsageError is a command line that cannot run: unknown or ambiguous
// command, wrong argument count or a bad argument.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ArgKind says what an argument names, for completion.
type ArgKind int

const (
	ArgNone ArgKind = iota
	ArgLocal
	ArgRemote
	ArgCommand
)

// Command is one row of the table.
type Command struct {
	Name     string
	Group    string // help's heading for it (the group* constants)
	Aliases  []string
	Usage    string // the arguments, e.g. "remote-file [local-file]"
	Help     string // one line, lower case, as ftp(1) does
	Example  string // a line or two for help CMD; "" for none
	MinArgs  int
	MaxArgs  int // -1: no limit
	NeedConn bool
	// Reconnects: Run opens a lost connection again itself, rather than
	// Exec before it (cd: to an absolute directory it goes straight, not
	// by the way back to the old one, which may be what fails).
	Reconnects bool
	Args       []ArgKind // per argument; the last repeats
	Secret     int       // 1-based index of the first argument never to show (a password): it and all after it; 0 none
	// ReadOnly: the command changes nothing on the server, so the
	// prompt's cache of listings (for completion) survives it.
	ReadOnly bool
	// Check, when set, checks the arguments further (options, values)
	// before anything runs, as the script check does for every line.
	Check func(args []string) error
	Run   func(ctx context.Context, s *session.Session, args []string) error
}

// The groups help lists commands in, in this order.
const (
	groupConnection  = "connecting"
	groupDirectories = "directories and listings"
	groupTransfer    = "transferring files"
	groupFiles       = "remote files"
	groupLocal       = "the local side"
	groupOptions     = "options and toggles"
	groupServer      = "talking to the server"
	groupHelp        = "help"
	groupUnsupported = "not supported (they say why)"
)

// groupOrder is the order of help's groups.
func groupOrder() []string {
	return []string{groupConnection, groupDirectories, groupTransfer, groupFiles, groupLocal, groupOptions, groupServer, groupHelp, groupUnsupported}
}

// UsageLine is "name usage".
func (c *Command) UsageLine() string {
	return strings.TrimSpace(c.Name + " " + c.Usage)
}

// ArgKind is the kind of the i-th argument (0-based).
func (c *Command) ArgKind(i int) ArgKind {
	if len(c.Args) == 0 {
		return ArgNone
	}
	if i >= len(c.Args) {
		i = len(c.Args) - 1
	}
	return c.Args[i]
}

// Table is the set of commands.
type Table struct {
	cmds  []*Command
	names map[string]*Command // names and aliases
}

// NewTable indexes cmds.
func NewTable(cmds []*Command) *Table {
	t := &Table{cmds: cmds, names: map[string]*Command{}}
	for _, c := range cmds {
		t.names[c.Name] = c
		for _, a := range c.Aliases {
			t.names[a] = c
		}
	}
	return t
}

// Commands lists the commands in table order.
func (t *Table) Commands() []*Command { return t.cmds }

// Names lists every name and alias, sorted.
func (t *Table) Names() []string {
	names := make([]string, 0, len(t.names))
	for n := range t.names {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// maxName bounds an unknown command's name quoted in an error.
const maxName = 32

// Find looks a command up by name, alias or unique prefix, as ftp(1) does.
// A prefix of several names of the same command is not ambiguous.
func (t *Table) Find(name string) (*Command, error) {
	if c, ok := t.names[name]; ok {
		return c, nil
	}
	var found *Command
	for _, n := range t.Names() {
		if strings.HasPrefix(n, name) {
			if found != nil && found != t.names[n] {
				return nil, usageErrorf("ambiguous command %q (could be %s)", name, strings.Join(t.prefixed(name), ", "))
			}
			found = t.names[n]
		}
	}
	if found == nil {
		return nil, usageErrorf("unknown command %q (try: help)", cut(name, maxName))
	}
	return found, nil
}

func (t *Table) prefixed(p string) []string {
	var out []string
	for _, n := range t.Names() {
		if strings.HasPrefix(n, p) {
			out = append(out, n)
		}
	}
	return out
}

// Check resolves words[0] and checks the argument count and the
// arguments' values, without running anything.
func (t *Table) Check(words []string) (*Command, error) {
	return t.check(words, true)
}

// check is Check, with or without the command's own Check of the values.
func (t *Table) check(words []string, values bool) (*Command, error) {
	if len(words) == 0 {
		return nil, usageErrorf("empty command")
	}
	c, err := t.Find(words[0])
	if err != nil {
		return nil, err
	}
	n := len(words) - 1
	if n < c.MinArgs || (c.MaxArgs >= 0 && n > c.MaxArgs) {
		return c, usageErrorf("usage: %s", c.UsageLine())
	}
	if c.Check != nil && values {
		if err := c.Check(words[1:]); err != nil {
			var ve *valueError
			if errors.As(err, &ve) {
				// Said as the command says it at run time, with what it
				// wants: the usage line would only repeat that.
				return c, &UsageError{Msg: err.Error()}
			}
			return c, usageErrorf("%v (usage: %s)", err, c.UsageLine())
		}
	}
	return c, nil
}

// Validate checks a tokenized line without running it: the command
// exists, the argument count fits, and no word holds CR, LF or NUL (which
// would smuggle a second command onto the control connection).
func (t *Table) Validate(words []string) (*Command, error) {
	return t.validate(words, true)
}

func (t *Table) validate(words []string, values bool) (*Command, error) {
	for _, w := range words {
		if err := ftp.CheckArg(w); err != nil {
			return nil, &UsageError{Msg: err.Error()}
		}
	}
	return t.check(words, values)
}

// Exec runs one tokenized command line.
func (t *Table) Exec(ctx context.Context, s *session.Session, words []string) error {
	c, err := t.Validate(words)
	if err != nil {
		return err
	}
	ctx = s.Shown(ctx) // the user's command: its replies are theirs to see
	if c.NeedConn && !c.Reconnects {
		if err := s.EnsureConnected(ctx); err != nil {
			return err
		}
	}
	return c.Run(ctx, s, words[1:])
}

// Display is a command line for messages and history, with secrets
// masked: the password of user and every word after it, the arguments of
// a macro ($), and the argument of a quoted PASS or ACCT (by the engine's
// rule, the one the -d trace and the log use); of an unknown command,
// only the name; a URL's password (ftp://bob:****@host) in any word.
// Words with control characters are shown quoted, and a very long line
// is cut.
func (t *Table) Display(words []string) string {
	if len(words) == 0 {
		return ""
	}
	out := append([]string(nil), words...)
	c, err := t.Find(words[0])
	if err != nil {
		// Which words are secret is unknown (a mistyped "user name
		// password"?), so only the name shows.
		out = out[:1]
	} else {
		// Every word from the secret on: "user bob pass word" and "user
		// bob pass ACCT" are usage errors that still hold the password.
		for i := c.Secret; c.Secret > 0 && i < len(out); i++ {
			out[i] = "****"
		}
		if c.Name == "quote" && len(out) > 1 {
			// Masked as the line the server gets: the words joined.
			out = []string{out[0], ftp.MaskCommand(strings.Join(out[1:], " "))}
		}
		if c.Name == "open" && len(out) > 1 {
			out[1] = maskHost(out[1])
		}
	}
	for i, w := range out {
		w = MaskUserinfo(w)
		if strings.ContainsFunc(w, unicode.IsControl) {
			w = strconv.Quote(w) // never print raw control characters
		}
		out[i] = w
	}
	return cut(strings.Join(out, " "), maxDisplay)
}

// maxDisplay bounds a command line quoted in a message or kept in history.
const maxDisplay = 256

// cut shortens s to at most n bytes, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n-- // not inside a character
	}
	return s[:n] + "..."
}
