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

func (ttyAsker) open() (*os.File, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", session.ErrNoTerminal, err)
	}
	return f, nil
}

func (a ttyAsker) Ask(prompt string) (string, error) {
	f, err := a.open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	fmt.Fprint(f, prompt)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return "", &session.AskError{Prompt: prompt, Err: err}
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (a ttyAsker) AskPassword(prompt string) (string, error) {
	f, err := a.open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	fmt.Fprint(f, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(f)
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
