package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/chzyer/readline"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/session"
)

// REPLConfig configures the interactive prompt.
type REPLConfig struct {
	Table  *commands.Table
	Stdin  io.ReadCloser
	Stdout io.Writer
	Stderr io.Writer
	// Errors receives the prompt's error lines (Stderr, made safe for
	// text from the server).
	Errors      io.Writer
	HistoryFile string // "" keeps history in memory only
	// LocalDir is asked at completion time for local file names.
	LocalDir func() string
	// Remote completes remote names (nil: none).
	Remote func(prefix string) []string
}

// REPL is the interactive prompt: line editing, history and completion
// from the command table.
type REPL struct {
	cfg    REPLConfig
	rl     *readline.Instance
	secret *secretInput
	in     *wakeableInput
}

// NewREPL sets up readline on the given streams.
func NewREPL(cfg REPLConfig) (*REPL, error) {
	secret := &secretInput{}
	in := newWakeableInput(newKeyReader(cfg.Stdin))
	rl, err := readline.NewEx(&readline.Config{
		FuncFilterInputRune:    secret.filter,
		Prompt:                 "gftp> ",
		HistoryFile:            cfg.HistoryFile,
		DisableAutoSaveHistory: true, // lines are saved masked, by us
		HistorySearchFold:      true,
		AutoComplete:           &completer{t: cfg.Table, localDir: cfg.LocalDir, remote: cfg.Remote},
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdin:                  in,
		Stdout:                 cfg.Stdout,
		Stderr:                 cfg.Stderr,
	})
	if err != nil {
		return nil, fmt.Errorf("start line editor: %w", err)
	}
	if cfg.Errors == nil {
		cfg.Errors = cfg.Stderr
	}
	return &REPL{cfg: cfg, rl: rl, secret: secret, in: in}, nil
}

// macdef reads a macro's lines at the prompt, as tnftp does, up to an
// empty line, and keeps it for $ name. Ctrl-C cancels it and Ctrl-D (the
// end of input) leaves it unfinished: either way, as in tnftp, it is not
// defined, and says so, rather than keep the lines so far as if whole.
func (r *REPL) macdef(s *session.Session, name string) error {
	fmt.Fprintf(r.cfg.Stdout, "Enter macro line by line, terminating it with a null line.\n")
	r.rl.SetPrompt("")
	defer r.rl.SetPrompt("gftp> ")
	var body []string
	for {
		line, err := r.rl.Readline()
		if err != nil {
			if errors.Is(err, readline.ErrInterrupt) {
				err = fmt.Errorf("macdef %s: %w; the macro is not defined", name, session.ErrCancelled)
			} else {
				err = fmt.Errorf("macdef %s: the input ended before the empty line that ends the macro; it is not defined", name)
			}
			fmt.Fprintf(r.cfg.Errors, "gftp: %v\n", err)
			return err
		}
		if strings.TrimSpace(line) == "" {
			break
		}
		body = append(body, line)
	}
	if err := s.DefineMacro(name, body); err != nil {
		fmt.Fprintf(r.cfg.Errors, "gftp: %v\n", err)
		return err
	}
	return nil
}

// ShellInput is what ! alone gives the shell it starts: the terminal's
// input, for as long as the shell runs.
func (r *REPL) ShellInput() session.ShellInput { return r.in }

// Asker asks on the REPL's terminal, for names, passwords and per-file
// confirmations.
func (r *REPL) Asker() session.Asker { return replAsker{rl: r.rl, secret: r.secret} }

type replAsker struct {
	rl     *readline.Instance
	secret *secretInput
}

func (a replAsker) Ask(prompt string) (string, error) {
	a.rl.SetPrompt(prompt)
	defer a.rl.SetPrompt("gftp> ")
	a.rl.HistoryDisable()
	defer a.rl.HistoryEnable()
	line, err := a.rl.Readline()
	if err != nil {
		return "", askError(prompt, err)
	}
	return line, nil
}

// AskPassword reads a password at the prompt without echo. readline's own
// ReadPassword swaps its config under its running input loop (a data race,
// upstream issue #196); instead secretInput takes the typed runes before
// readline sees them, so they are neither shown nor kept in history.
func (a replAsker) AskPassword(prompt string) (string, error) {
	a.secret.start()
	a.rl.SetPrompt(prompt)
	defer a.rl.SetPrompt("gftp> ")
	_, err := a.rl.Readline()
	pw := a.secret.stop()
	if err != nil {
		return "", askError(prompt, err)
	}
	return pw, nil
}

// askError names the prompt that got no answer, and says Ctrl-C as
// "cancelled".
func askError(prompt string, err error) error {
	if errors.Is(err, readline.ErrInterrupt) {
		err = session.ErrCancelled
	}
	return &session.AskError{Prompt: prompt, Err: err}
}

// Close restores the terminal.
func (r *REPL) Close() error { return r.rl.Close() }

// Run reads and runs commands until bye or end of input. Errors are
// printed and the session goes on; the result is the last command's error,
// as a shell's status is its last command's.
func (r *REPL) Run(ctx context.Context, s *session.Session) error {
	// SIGTERM ends the prompt as it ends a script: the command running is
	// cancelled (its temporary file removed), the line editor gives the
	// terminal back, and gftp exits 143.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	defer signal.Stop(term)
	go func() {
		select {
		case <-term:
			cancel(session.StoppedBy(syscall.SIGTERM))
			r.in.wake() // ends a Readline that is waiting
		case <-ctx.Done():
		}
	}()
	var last error
	for ctx.Err() == nil {
		line, err := r.rl.Readline()
		if ctx.Err() != nil {
			return session.WhyStopped(ctx, ctx.Err())
		}
		if errors.Is(err, readline.ErrInterrupt) {
			continue
		}
		if err != nil { // io.EOF: ^D
			return last
		}
		l, err := commands.ParseLine(line)
		if err != nil {
			last = err
			fmt.Fprintf(r.cfg.Errors, "gftp: %v\n", last)
			continue
		}
		words := l.Words
		if len(words) == 0 {
			continue
		}
		r.rl.SaveHistory(r.cfg.Table.Display(words))
		if name, ok := r.cfg.Table.Macdef(words); ok {
			last = r.macdef(s, name)
			continue
		}
		last = r.exec(ctx, s, words)
		if c, err := r.cfg.Table.Find(words[0]); err != nil || !c.ReadOnly {
			s.ForgetListings() // the server's directories may have changed
		}
		if errors.Is(last, commands.ErrQuit) {
			return nil
		}
		if ctx.Err() != nil {
			break // SIGTERM: said once, by the caller
		}
		var re *ftp.ReplyError
		if last != nil && !(s.Verbose() && errors.As(last, &re) && last == error(re)) {
			// (A bare refusal was just shown as the server's reply.)
			fmt.Fprintf(r.cfg.Errors, "gftp: %v\n", last)
		}
	}
	return session.WhyStopped(ctx, ctx.Err())
}

// exec runs one command; ^C during it cancels that command only.
func (r *REPL) exec(ctx context.Context, s *session.Session, words []string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			cancel(session.StoppedBy(syscall.SIGINT))
		case <-ctx.Done():
		}
	}()
	return session.WhyStopped(ctx, r.cfg.Table.Exec(ctx, s, words))
}

// wakeableInput is the prompt's input: the terminal's bytes, copied
// through a pipe so that a key of gftp's own (Ctrl-C) can end a Readline
// that is waiting, from another goroutine. (The line editor's Close is
// not safe while it reads.)
//
// While a shell started by ! runs, the bytes go to it instead (Divert):
// the copy keeps reading the terminal, so the shell could not.
type wakeableInput struct {
	*io.PipeReader
	w *io.PipeWriter

	mu     sync.Mutex
	divert io.Writer // the shell's input, while one runs
}

func newWakeableInput(in io.Reader) *wakeableInput {
	r, w := io.Pipe()
	wi := &wakeableInput{PipeReader: r, w: w}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				wi.mu.Lock()
				dst := wi.divert
				wi.mu.Unlock()
				if dst != nil {
					dst.Write(buf[:n]) // a shell gone: its input is dropped
				} else if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err == io.EOF && n == 0 {
				// Ctrl-D on a terminal is a read of nothing, not its end:
				// while a shell has the input, it ends the shell only.
				wi.mu.Lock()
				dst := wi.divert
				wi.divert = nil
				wi.mu.Unlock()
				if c, ok := dst.(io.Closer); ok {
					c.Close()
					continue
				}
			}
			if err != nil {
				w.CloseWithError(nonEOF(err)) // nil: EOF
				return
			}
		}
	}()
	return wi
}

func nonEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// Divert hands the terminal's input to a shell until done is called: an
// OS pipe, which the shell reads itself (with an io.Pipe, exec would copy
// and wait for its end, which comes only after the shell has exited).
func (in *wakeableInput) Divert() (io.Reader, func()) {
	r, w, err := os.Pipe()
	if err != nil {
		return strings.NewReader(""), func() {}
	}
	in.mu.Lock()
	in.divert = w
	in.mu.Unlock()
	return r, func() {
		in.mu.Lock()
		in.divert = nil
		in.mu.Unlock()
		w.Close()
		r.Close()
	}
}

// wake hands the line editor a Ctrl-C, in a goroutine of its own: the
// write waits until the editor reads, which it may never do again.
func (in *wakeableInput) wake() {
	go in.w.Write([]byte{readline.CharInterrupt})
}
