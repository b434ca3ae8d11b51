package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/netrc"
	"github.com/gftp/gftp/internal/safe"
	"github.com/gftp/gftp/internal/script"
	"github.com/gftp/gftp/internal/session"
)

// Main runs gftp with args and streams and returns the exit status.
func Main(ctx context.Context, args []string, st Streams) int {
	table := commands.Default()
	stdinTTY := st.InTTY
	var result error
	root := newRootCmd(st, table, stdinTTY, func(cfg config) error {
		result = run(ctx, cfg, table, st, stdinTTY)
		return nil
	})
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		// Only the process's own flags and arguments fail here.
		fmt.Fprintf(safe.NewWriter(st.Err), "gftp: %s\n", maskArgs(err.Error(), args))
		return exitUsage
	}
	var rep *script.Reported
	if result != nil && !errors.As(result, &rep) {
		// Through safe: the error may quote the server.
		fmt.Fprintf(safe.NewWriter(st.Err), "gftp: %s\n", maskArgs(result.Error(), args))
	}
	return exitCode(result)
}

// maskArgs hides the passwords of the command line's URLs in msg, the
// one error line gftp prints. A flag that takes a value swallows the URL
// after it (gftp --retries ftp://bob:pw@host/f), and pflag, the config
// loader and the flags' own checks quote that value whole: as given, or
// as %q writes it. Any scheme://user:pass@ left is masked too.
func maskArgs(msg string, args []string) string {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			_, a, _ = strings.Cut(a, "=") // --tls=ftp://...; "" for a flag alone
		}
		if !isURL(a) {
			continue
		}
		m := maskURL(a)
		q, mq := strconv.Quote(a), strconv.Quote(m)
		msg = strings.ReplaceAll(msg, q[1:len(q)-1], mq[1:len(mq)-1])
		msg = strings.ReplaceAll(msg, a, m)
	}
	return maskURLs(msg)
}

// maskURLs masks the password of every "scheme://" URL in msg. A URL
// runs to the next blank, or, quoted ("ftp://..."), to the closing quote.
func maskURLs(msg string) string {
	var b strings.Builder
	for {
		i := strings.Index(msg, "://")
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		start := i
		for start > 0 && validScheme(msg[start-1:i]) {
			start--
		}
		end := i + len("://")
		quoted := start > 0 && msg[start-1] == '"'
		for ; end < len(msg); end++ {
			c := msg[end]
			if quoted && c == '\\' {
				end++ // an escape: \" is no closing quote
				continue
			}
			if c == '"' || !quoted && (c == ' ' || c == '\t' || c == '\n') {
				break
			}
		}
		end = min(end, len(msg))
		b.WriteString(msg[:start])
		b.WriteString(commands.MaskUserinfo(msg[start:end]))
		msg = msg[end:]
	}
}

// run wires the session, the dispatcher and a runner together.
func run(ctx context.Context, cfg config, table *commands.Table, st Streams, stdinTTY bool) error {
	interactive := cfg.Script == "" && stdinTTY
	if interactive && !cfg.ProgressSet {
		cfg.Session.Progress = true // bars at the prompt; scripts ask for them
	}
	in := st.In
	name := "stdin"
	if cfg.Script != "" {
		f, err := os.Open(cfg.Script)
		if err != nil {
			return &commands.UsageError{Msg: fmt.Sprintf("script: %v", err)}
		}
		defer f.Close()
		in, name = f, cfg.Script
	}
	var logw io.Writer
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return &commands.UsageError{Msg: fmt.Sprintf("log: %v", err)}
		}
		defer f.Close()
		logw = f
	}
	wd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("current directory: %w", err)
	}
	data := st // where -o - writes the file (url.go)
	if cfg.URL != nil && cfg.URL.output == "-" {
		// -o - writes the file to stdout, so gftp's own lines go to
		// stderr, as tnftp's do.
		st.Out, st.OutTTY = st.Err, st.ErrTTY
	}
	// The one printer: everything gftp prints goes through it, made safe
	// (it may quote the server); only the line editor gets the raw streams.
	p := session.NewPrinter(session.Streams{Out: st.Out, Err: st.Err, OutTTY: st.OutTTY, ErrTTY: st.ErrTTY, Log: logw})
	sc := session.Config{
		Options: cfg.Session, Printer: p,
		LocalDir: wd, LocalUser: localUser(),
		Password:  os.Getenv("GFTP_PASSWORD"),
		Netrc:     netrcLoader(cfg.Netrc),
		Bookmarks: cfg.Bookmarks,
	}
	if cfg.KnownHosts != "" {
		sc.KnownHosts = &session.KnownHosts{Path: cfg.KnownHosts}
	}
	s := session.New(sc)
	s.SetMacroRunner(func(ctx context.Context, name string, lines []string) error {
		return table.RunMacro(ctx, s, name, lines)
	})

	if cfg.URL != nil && cfg.URL.dir == nil {
		return runURLs(ctx, cfg, s, data)
	}
	if cfg.Probe {
		return runProbe(ctx, cfg, s)
	}
	if cfg.Trust {
		ctx, stop := withLimits(ctx, cfg.MaxTime)
		defer stop()
		return session.WhyStopped(ctx, s.Trust(s.Shown(ctx), cfg.Host, cfg.Port))
	}
	if interactive {
		defer s.Close(ctx)
		return runInteractive(ctx, cfg, table, st, s)
	}
	r := &script.Runner{Table: table, Session: s, Err: p.Stderr(), Name: name, KeepGoing: cfg.KeepGoing}
	// The whole script is checked before anything connects, so a typo on
	// its last line cannot strike after the first lines have run.
	src, err := r.ReadChecked(in)
	if err != nil {
		return err
	}
	// A script asks only the terminal, if there is one, never its input.
	s.SetAsk(ttyAsker{})
	ctx, stop := withLimits(ctx, cfg.MaxTime)
	defer stop()
	defer s.Close(ctx)
	if err := openStart(s.Shown(ctx), cfg, s); err != nil {
		return session.WhyStopped(ctx, err)
	}
	s.Logf("start: script %s", name)
	err = r.Run(ctx, bytes.NewReader(src))
	// The goodbye first, shown as ftp(1) shows it (221 under -v), then the
	// summary.
	cerr := s.Close(s.Shown(ctx))
	summary := scriptSummary(s.Totals(), r.Failures)
	s.Logf("summary: %s", summary)
	if cfg.Session.Verbose {
		p.Printf("gftp: %s\n", summary)
	}
	if err != nil {
		return err
	}
	return cerr
}

// withLimits returns the context of a run that nobody watches at a
// prompt: it ends on SIGINT or SIGTERM, and after maxTime (0: never), with
// a *session.Stopped as its cause. After the first signal the default
// handling is back, so a second one ends gftp at once.
func withLimits(ctx context.Context, maxTime time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	stopTimer := func() bool { return false }
	if maxTime > 0 {
		t := time.AfterFunc(maxTime, func() {
			cancel(&session.Stopped{Reason: fmt.Sprintf("stopped: the run took longer than --max-time %s", maxTime)})
		})
		stopTimer = t.Stop
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case got := <-sig:
			signal.Stop(sig)
			n, _ := got.(syscall.Signal)
			cancel(session.StoppedBy(n))
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		stopTimer()
		cancel(nil)
	}
}

func runInteractive(ctx context.Context, cfg config, table *commands.Table, st Streams, s *session.Session) error {
	stdin, ok := st.In.(io.ReadCloser)
	if !ok {
		stdin = io.NopCloser(st.In)
	}
	if cfg.HistoryFile != "" {
		if err := privateFile(cfg.HistoryFile); err != nil {
			// History stays in memory: better than a file others can read.
			fmt.Fprintf(st.Err, "gftp: history not saved: %v\n", err)
			cfg.HistoryFile = ""
		}
	}
	if cfg.URL != nil {
		// A directory URL logs in and goes there before the prompt
		// starts (asking on the terminal itself), and one that fails ends
		// gftp, as in tnftp, with no line editor to set up and tear down.
		s.SetAsk(ttyAsker{})
		if err := openStart(s.Shown(ctx), cfg, s); err != nil {
			return err
		}
	}
	repl, err := script.NewREPL(script.REPLConfig{
		Table: table, Stdin: stdin, Stdout: st.Out, Stderr: st.Err, Errors: s.Printer().Stderr(),
		HistoryFile: cfg.HistoryFile, LocalDir: s.LocalDir,
		Remote: func(prefix string) []string { return s.CompleteRemote(ctx, prefix) },
	})
	if err != nil {
		return err
	}
	defer repl.Close()
	s.SetAsk(repl.Asker())
	s.SetConfirm(repl.Asker())
	s.SetShellInput(repl.ShellInput()) // ! alone: a shell on the terminal
	// At the prompt a failed open is reported and the session goes on.
	if cfg.URL == nil {
		if err := openStart(s.Shown(ctx), cfg, s); err != nil {
			s.Warnf("%v", err)
		}
	}
	err = repl.Run(ctx, s)
	if cerr := s.Close(s.Shown(ctx)); err == nil {
		err = cerr
	}
	return err
}

// privateFile makes sure path exists and only its owner can read it
// (0600), as the history holds hosts, user names and commands; readline
// would create it 0644.
func privateFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Chmod(0o600)
}

// localUser is the name offered by default at the login prompt.
func localUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// runProbe is `gftp probe host [port]`: log in, probe the four ways of
// opening a data connection, report.
func runProbe(ctx context.Context, cfg config, s *session.Session) error {
	if cfg.Host == "" {
		return &commands.UsageError{Msg: "usage: gftp probe [--user NAME] host [port]"}
	}
	s.SetAsk(ttyAsker{})
	ctx, stop := withLimits(ctx, cfg.MaxTime)
	defer stop()
	defer s.Close(ctx)
	err := s.Open(s.Shown(ctx), cfg.Host, cfg.Port)
	if err == nil && cfg.User != "" {
		err = s.LoginAsking(s.Shown(ctx), cfg.User)
	}
	if err == nil {
		err = s.Probe(ctx)
	}
	if err != nil {
		return session.WhyStopped(ctx, err)
	}
	return s.Close(ctx)
}

// scriptSummary is the one line a script run ends with: "1 file sent
// (1 byte), 2 received (10 bytes), 0 failed commands".
func scriptSummary(t session.Totals, failures int) string {
	plural := func(n int64, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + many
	}
	return fmt.Sprintf("%s sent (%s), %d received (%s), %s",
		plural(int64(t.FilesSent), "file", "files"), plural(t.BytesSent, "byte", "bytes"),
		t.FilesReceived, plural(t.BytesReceived, "byte", "bytes"),
		plural(int64(failures), "failed command", "failed commands"))
}

// netrcLoader finds the .netrc: -N/--netrc, else $NETRC, else ~/.netrc.
// It is read only when auto-login needs it, so an unsafe file stops only
// the runs that would use it.
func netrcLoader(path string) func() (*netrc.File, error) {
	return func() (*netrc.File, error) {
		p := path
		if p == "" {
			p = os.Getenv("NETRC")
		}
		explicit := p != ""
		if !explicit {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fs.ErrNotExist
			}
			p = filepath.Join(home, ".netrc")
		}
		f, err := netrc.ReadFile(p)
		if explicit && errors.Is(err, fs.ErrNotExist) {
			// Named but missing is a mistake, not "no .netrc".
			return nil, fmt.Errorf(".netrc file %s does not exist", p)
		}
		return f, err
	}
}
