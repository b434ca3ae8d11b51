// Package script holds gftp's two runners: the non-interactive one for
// stdin, heredocs and files, and the readline REPL. Both feed the same
// dispatcher line by line; they differ only in prompting and error policy.
package script

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/session"
)

// LineError is a failed script line.
type LineError struct {
	Name string // script name: "stdin" or the file
	Line int
	Cmd  string // the line as shown (secrets masked)
	Err  error
}

func (e *LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.Name, e.Err)
	}
	if e.Cmd == "" {
		return fmt.Sprintf("%s:%d: %v", e.Name, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.Name, e.Line, e.Cmd, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Reported wraps an error the runner has already printed.
type Reported struct{ Err error }

func (e *Reported) Error() string { return e.Err.Error() }
func (e *Reported) Unwrap() error { return e.Err }

// Runner runs a script. By default it stops at the first failed command, so
// that a failed cd or mput never goes on to mdelete the last backup. A line
// starting with "-" ignores its own failure (as in make); KeepGoing
// ignores all failures but still reports the first one at the end.
type Runner struct {
	Table     *commands.Table
	Session   *session.Session
	Err       io.Writer
	Name      string
	KeepGoing bool
	// Failures counts failed lines, ignored ones included.
	Failures int
}

// Run runs the script read from in. It returns nil when every command
// succeeded (or its failure was ignored with "-"), else a *Reported
// wrapping the first *LineError.
func (r *Runner) Run(ctx context.Context, in io.Reader) error {
	sc := bufio.NewScanner(in)
	// Room for one byte more than a line may have, so that ParseLine, not
	// the scanner, reports an overlong line.
	sc.Buffer(make([]byte, 64*1024), commands.MaxLine+2)
	var first error
	n := 0
	for sc.Scan() {
		n++
		at := n // the line the command is on (a macdef's body follows it)
		if ctx.Err() != nil {
			return r.fail(first, &LineError{Name: r.Name, Line: n, Err: session.WhyStopped(ctx, ctx.Err())})
		}
		l, err := commands.ParseLine(sc.Text())
		words, ignore := l.Words, l.Ignore
		if err == nil {
			if len(words) == 0 {
				continue
			}
			if name, ok := r.Table.Macdef(words); ok {
				// The macro's lines follow, up to an empty line.
				var body []string
				ended := false
				for !ended && sc.Scan() {
					n++
					if ended = strings.TrimSpace(sc.Text()) == ""; !ended {
						body = append(body, sc.Text())
					}
				}
				switch {
				case ended:
					err = r.Session.DefineMacro(name, body)
				case sc.Err() == nil:
					// ReadChecked stops such a script before it runs;
					// a script run without it is stopped here.
					err = unendedMacro(name, at, n)
					ignore = false // the rest of the script is lost in it
				}
				// (A read error ends the loop, and is said below.)
			} else {
				err = r.Table.Exec(ctx, r.Session, words)
			}
		}
		if errors.Is(err, commands.ErrQuit) {
			break
		}
		if err == nil {
			continue
		}
		interrupted := ctx.Err() != nil
		if interrupted {
			// The failure is the interruption's doing: say so, and stop.
			err = session.WhyStopped(ctx, err)
		}
		le := &LineError{Name: r.Name, Line: at, Cmd: r.Table.Display(words), Err: err}
		fmt.Fprintf(r.Err, "gftp: %v\n", le)
		r.Failures++
		r.Session.Logf("error: %v", le)
		if ignore && !interrupted {
			continue
		}
		if first == nil || interrupted {
			first = le
		}
		if !r.KeepGoing || interrupted {
			return &Reported{Err: first}
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return r.fail(first, &LineError{Name: r.Name, Line: n + 1, Err: &commands.UsageError{Msg: fmt.Sprintf("line longer than %d bytes", commands.MaxLine)}})
	} else if err != nil {
		return r.fail(first, &LineError{Name: r.Name, Line: n + 1, Err: fmt.Errorf("read script: %w", err)})
	}
	if first != nil {
		return &Reported{Err: first}
	}
	return nil
}

// maxScript bounds a script read whole for its check.
const maxScript = 16 << 20

// ReadChecked reads a whole script and checks every line before anything
// runs or connects: an unknown or ambiguous command, a wrong argument count,
// a bad value (passive bogus, restart abc), an unclosed quote, a control
// character or a macdef that no empty line ends is reported with its line
// number, all of them, and nothing is sent. It returns the script's text.
func (r *Runner) ReadChecked(in io.Reader) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(in, maxScript+1))
	if err != nil {
		return nil, r.fail(nil, &LineError{Name: r.Name, Err: fmt.Errorf("read script: %w", err)})
	}
	if len(src) > maxScript {
		return nil, r.fail(nil, &LineError{Name: r.Name, Err: &commands.UsageError{Msg: fmt.Sprintf("script is larger than %d MiB", maxScript>>20)}})
	}
	lines := strings.Split(string(src), "\n")
	if lines[len(lines)-1] == "" {
		// The last newline ends the last line; it does not start an
		// empty one (which would end a macdef the script leaves open).
		lines = lines[:len(lines)-1]
	}
	var first error
	report := func(n int, words []string, err error) {
		var ue *commands.UsageError
		if !errors.As(err, &ue) {
			err = &commands.UsageError{Msg: err.Error()}
		}
		le := &LineError{Name: r.Name, Line: n, Cmd: r.Table.Display(words), Err: err}
		fmt.Fprintf(r.Err, "gftp: %v\n", le)
		if first == nil {
			first = le
		}
	}
	for i := 0; i < len(lines); i++ {
		l, err := r.Table.CheckLine(lines[i])
		if err != nil {
			report(i+1, l.Words, err)
			continue
		}
		name, ok := r.Table.Macdef(l.Words)
		if !ok {
			continue
		}
		// The macro's body, up to an empty line: Run reads it so. Without
		// one it would take in the rest of the script, to run nothing.
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
			end++
		}
		if end == len(lines) {
			report(i+1, l.Words, unendedMacro(name, i+1, len(lines)))
		}
		for j := i + 1; j < end; j++ {
			if bl, err := r.Table.CheckBodyLine(lines[j]); err != nil {
				report(j+1, bl.Words, err)
			}
		}
		i = end
	}
	if first != nil {
		return nil, &Reported{Err: first}
	}
	return src, nil
}

// unendedMacro is the error of a macdef begun on line start that no empty
// line ends before the script does, on line last: tnftp's "macdef: end of
// file encountered". The lines after it would be its body, never run.
func unendedMacro(name string, start, last int) error {
	msg := fmt.Sprintf("macro %q begun on line %d has no empty line to end it", name, start)
	if last > start {
		msg += fmt.Sprintf(", so it would take in the rest of the script (lines %d-%d) and run none of it", start+1, last)
	}
	return &commands.UsageError{Msg: msg + "; end it with an empty line"}
}

// fail prints err and returns the first failure (err if none came before).
func (r *Runner) fail(first, err error) error {
	fmt.Fprintf(r.Err, "gftp: %v\n", err)
	if first == nil {
		first = err
	}
	return &Reported{Err: first}
}
