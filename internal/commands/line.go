package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gftp/gftp/internal/session"
)

// Line is one command line of a script, a macro or the prompt, parsed.
type Line struct {
	Words []string // none for a blank or comment line
	// Ignore: the line began with "-", so its failure does not stop a
	// script (as in make).
	Ignore bool
}

// MaxLine bounds a command line, wherever it comes from. Real command
// lines are short; FTP servers take at most a few KiB.
const MaxLine = 64 << 10

// ParseLine is the one parser of command lines: scripts, macros (macdef's
// and .netrc's) and the prompt all use it. It drops a trailing CR and the
// blanks around the line, takes a leading "-", and splits the rest into
// words.
//
// A line whose first non-blank character is # is a comment. A # anywhere
// else is part of a word, as in tnftp, which has no comments at all: a
// password or a file name may hold one ("user bob #pw", "put a #x"), and
// cutting the line there would send the command without it.
func ParseLine(text string) (Line, error) {
	if len(text) > MaxLine {
		return Line{}, usageErrorf("line longer than %d bytes", MaxLine)
	}
	text = strings.TrimSpace(strings.TrimSuffix(text, "\r"))
	var l Line
	if strings.HasPrefix(text, "#") {
		return l, nil
	}
	if rest, ok := strings.CutPrefix(text, "-"); ok {
		l.Ignore, text = true, strings.TrimSpace(rest)
	}
	if rest, ok := strings.CutPrefix(text, "!"); ok {
		// A shell command line, as typed: the shell splits it.
		l.Words = []string{"!"}
		if rest = strings.TrimSpace(rest); rest != "" {
			l.Words = append(l.Words, rest)
		}
		return l, nil
	}
	words, err := Split(text)
	if err != nil {
		return Line{}, &UsageError{Msg: err.Error()}
	}
	l.Words = words
	return l, nil
}

// CheckLine parses and validates a line without running it: what a
// script or a macro is put through, every line, before any of it runs.
func (t *Table) CheckLine(text string) (Line, error) {
	l, err := ParseLine(text)
	if err == nil && len(l.Words) > 0 {
		_, err = t.Validate(l.Words)
	}
	return l, err
}

// CheckBodyLine is CheckLine for a line of a macro that a script defines
// (macdef), checked with the script before any of it runs. A line that
// uses the macro's arguments ($1 to $9, $i) is whole only once they are
// put in, when RunMacro checks it again: here its command and argument
// count are checked, not its values ("passive $1" is fine).
func (t *Table) CheckBodyLine(text string) (Line, error) {
	if !hasMacroArgs(text) {
		return t.CheckLine(text)
	}
	l, err := ParseLine(text)
	if err == nil && len(l.Words) > 0 {
		_, err = t.validate(l.Words, false)
	}
	return l, err
}

// hasMacroArgs reports whether a macro line uses its arguments: $1 to $9
// or $i, not escaped as \$ (the rule of Session.RunMacro).
func hasMacroArgs(text string) bool {
	for i := 0; i+1 < len(text); i++ {
		switch {
		case text[i] == '\\' && text[i+1] == '$':
			i++
		case text[i] == '$' && (text[i+1] >= '1' && text[i+1] <= '9' || text[i+1] == 'i'):
			return true
		}
	}
	return false
}

// MacroError is a failed line of a .netrc macro.
type MacroError struct {
	Name string // the macro's name, e.g. "init"
	Line int    // 1-based
	Cmd  string // the line as shown (secrets masked)
	Err  error
}

func (e *MacroError) Error() string {
	if e.Cmd == "" {
		return fmt.Sprintf(".netrc macro %s, line %d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf(".netrc macro %s, line %d: %s: %v", e.Name, e.Line, e.Cmd, e.Err)
}

func (e *MacroError) Unwrap() error { return e.Err }

// maxMacroDepth bounds macros that run macros: one that runs itself
// would otherwise run until the stack overflows.
const maxMacroDepth = 16

type macroDepthKey struct{}

// RunMacro runs a .netrc macro. Every line is checked first, as a script
// is, so a macro that ran into the next entry (no blank line before
// "machine ...") fails before its first line runs. A line starting with
// "-" ignores its own failure.
func (t *Table) RunMacro(ctx context.Context, s *session.Session, name string, lines []string) error {
	depth, _ := ctx.Value(macroDepthKey{}).(int)
	if depth >= maxMacroDepth {
		return fmt.Errorf("macro %s: macros run %d deep (one that runs itself?)", name, maxMacroDepth)
	}
	ctx = context.WithValue(ctx, macroDepthKey{}, depth+1)
	parsed := make([]Line, len(lines))
	for i, text := range lines {
		l, err := t.CheckLine(text)
		if err != nil {
			return &MacroError{Name: name, Line: i + 1, Cmd: t.Display(l.Words), Err: err}
		}
		parsed[i] = l
	}
	for i, l := range parsed {
		if len(l.Words) == 0 {
			continue
		}
		err := t.Exec(ctx, s, l.Words)
		if err == nil || errors.Is(err, ErrQuit) {
			continue
		}
		me := &MacroError{Name: name, Line: i + 1, Cmd: t.Display(l.Words), Err: err}
		if !l.Ignore || ctx.Err() != nil {
			return me
		}
		s.Warnf("%v", me)
	}
	return nil
}
