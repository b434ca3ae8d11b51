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
				for sc.Scan() {
					n++
					if strings.TrimSpace(sc.Text()) == "" {
						break
					}
					body = append(body, sc.Text())
				}
				err = r.Session.DefineMacro(name, body)
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
		le := &LineError{Name: r.Name, Line: n, Cmd: r.Table.Display(words), Err: err}
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
// an unclosed quote or a control character is reported with its line
// number, all of them, and nothing is sent. It returns the script's text.
func (r *Runner) ReadChecked(in io.Reader) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(in, maxScript+1))
	if err != nil {
		return nil, r.fail(nil, &LineError{Name: r.Name, Err: fmt.Errorf("read script: %w", err)})
	}
	if len(src) > maxScript {
		return nil, r.fail(nil, &LineError{Name: r.Name, Err: &commands.UsageError{Msg: fmt.Sprintf("script is larger than %d MiB", maxScript>>20)}})
	}
	var first error
	for n, text := range strings.Split(string(src), "\n") {
		l, err := r.Table.CheckLine(text)
		if err == nil {
			continue
		}
		words := l.Words
		var ue *commands.UsageError
		if !errors.As(err, &ue) {
			err = &commands.UsageError{Msg: err.Error()}
		}
		le := &LineError{Name: r.Name, Line: n + 1, Cmd: r.Table.Display(words), Err: err}
		fmt.Fprintf(r.Err, "gftp: %v\n", le)
		if first == nil {
			first = le
		}
	}
	if first != nil {
		return nil, &Reported{Err: first}
	}
	return src, nil
}

// fail prints err and returns the first failure (err if none came before).
func (r *Runner) fail(first, err error) error {
	fmt.Fprintf(r.Err, "gftp: %v\n", err)
	if first == nil {
		first = err
	}
	return &Reported{Err: first}
}
