package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/gftp/gftp/internal/session"
)

// ttyAsker asks on the controlling terminal, never on stdin: a heredoc's
// next line must not be taken as a user name or password.
type ttyAsker struct{}

// tty is the terminal a question goes to: one file on Unix (/dev/tty),
// two on Windows (the console's input and output buffers).
type tty struct{ in, out *os.File }

func (t *tty) Close() error {
	err := t.in.Close()
	if t.out != t.in {
		if cerr := t.out.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (ttyAsker) open() (*tty, error) {
	t, err := openTTY()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", session.ErrNoTerminal, err)
	}
	return t, nil
}

func (a ttyAsker) Ask(prompt string) (string, error) {
	t, err := a.open()
	if err != nil {
		return "", err
	}
	defer t.Close()
	fmt.Fprint(t.out, prompt)
	line, err := bufio.NewReader(t.in).ReadString('\n')
	if err != nil {
		return "", &session.AskError{Prompt: prompt, Err: err}
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (a ttyAsker) AskPassword(prompt string) (string, error) {
	t, err := a.open()
	if err != nil {
		return "", err
	}
	defer t.Close()
	fmt.Fprint(t.out, prompt)
	b, err := term.ReadPassword(int(t.in.Fd()))
	fmt.Fprintln(t.out)
	if err != nil {
		return "", &session.AskError{Prompt: prompt, Err: err}
	}
	return string(b), nil
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
