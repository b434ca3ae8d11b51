package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gftp/gftp/internal/safe"
)

// lookupUser is ~user's home directory.
func lookupUser(name string) (string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return "", err
	}
	return u.HomeDir, nil
}

// The rest of tnftp's commands that need the session: the local
// directory, the shell, macros, resumed and appended transfers, and the
// options by name (set, unset).

// Lpwd prints the local directory.
func (s *Session) Lpwd() { s.printf("Local directory: %s\n", s.localDir) }

// ShellInput gives a shell started by ! the terminal's input while it
// runs (the prompt's line editor reads it otherwise).
type ShellInput interface {
	Divert() (r io.Reader, done func())
}

// SetShellInput gives ! alone a terminal to start a shell on, at the
// prompt; without it, ! needs a command, which reads nothing (a script's
// input is its own).
func (s *Session) SetShellInput(in ShellInput) { s.shellIn = in }

// Shell runs line with the user's shell ($SHELL, else /bin/sh) in the
// local directory, as tnftp's ! does; an empty line starts the shell
// itself, at the prompt only. Its output goes straight to the terminal:
// the user typed the command.
func (s *Session) Shell(ctx context.Context, line string) error {
	sh := os.Getenv("SHELL")
	if sh == "" {
		sh = "/bin/sh"
	}
	var cmd *exec.Cmd
	switch {
	case line != "":
		cmd = exec.CommandContext(ctx, sh, "-c", line)
	case s.shellIn == nil:
		return fmt.Errorf("! with no command starts a shell, which only the prompt can do")
	default:
		// Its input comes through gftp's pipe; not -i, as an interactive
		// shell would take the terminal's foreground from gftp and keep
		// it after it exits. So it shows no prompt of its own.
		cmd = exec.CommandContext(ctx, sh)
		in, done := s.shellIn.Divert()
		defer done()
		cmd.Stdin = in
		s.printf("A shell (%s) in %s: exit comes back.\n", sh, s.localDir)
	}
	cmd.Dir = s.localDir
	cmd.Stdout, cmd.Stderr = s.p.raw, s.p.rawErr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("!%s: exit status %d", line, ee.ExitCode())
		}
		return fmt.Errorf("!: %w", err)
	}
	return nil
}

// maxMacros and maxMacroLines bound what macdef keeps in memory.
const maxMacros, maxMacroLines = 64, 1000

// DefineMacro keeps a macro defined with macdef (at the prompt or in a
// script) for $ name, for the rest of the session; it replaces one of
// the same name, and comes before the .netrc's.
func (s *Session) DefineMacro(name string, lines []string) error {
	if s.macros == nil {
		s.macros = map[string][]string{}
	}
	if _, ok := s.macros[name]; !ok && len(s.macros) >= maxMacros {
		return fmt.Errorf("macdef %s: %d macros defined already, the most there may be", name, maxMacros)
	}
	if len(lines) > maxMacroLines {
		return fmt.Errorf("macdef %s: more than %d lines", name, maxMacroLines)
	}
	s.macros[name] = lines
	return nil
}

// RunMacro runs the macro name ($ name args...): one macdef defined,
// else the current host's in .netrc. As in tnftp, $1 to $9 in its lines
// are the arguments, $i each in turn (the macro runs once for each), and
// \$ a dollar sign.
func (s *Session) RunMacro(ctx context.Context, name string, args []string) error {
	if lines, ok := s.macros[name]; ok && s.runMacro != nil {
		return s.runMacroArgs(ctx, name, lines, args)
	}
	none := fmt.Errorf("no such macro %q (define one with macdef NAME, or in ~/.netrc)", name)
	if s.netrc == nil || s.runMacro == nil {
		return none
	}
	f, err := s.netrc()
	if errors.Is(err, fs.ErrNotExist) {
		return none
	}
	if err != nil {
		return err
	}
	lines, ok := f.Macro(s.host, name)
	if !ok {
		return none
	}
	return s.runMacroArgs(ctx, name, lines, args)
}

// runMacroArgs runs the macro with its arguments put in: once, or with
// $i in it, once for each argument.
func (s *Session) runMacroArgs(ctx context.Context, name string, lines, args []string) error {
	loop := slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "$i") })
	if !loop || len(args) == 0 {
		return s.runMacro(ctx, name, macroLines(lines, args, ""))
	}
	for _, a := range args {
		if err := s.runMacro(ctx, name, macroLines(lines, args, a)); err != nil {
			return err
		}
	}
	return nil
}

// macroLines puts the arguments into a macro's lines: $1 to $9, $i (the
// argument of this turn), \$ for a dollar sign; a $N with no argument is
// empty.
func macroLines(lines, args []string, this string) []string {
	out := make([]string, len(lines))
	for n, l := range lines {
		var b strings.Builder
		for i := 0; i < len(l); i++ {
			switch {
			case l[i] == '\\' && i+1 < len(l) && l[i+1] == '$':
				b.WriteByte('$')
				i++
			case l[i] == '$' && i+1 < len(l) && l[i+1] >= '1' && l[i+1] <= '9':
				if k := int(l[i+1] - '1'); k < len(args) {
					b.WriteString(args[k])
				}
				i++
			case l[i] == '$' && i+1 < len(l) && l[i+1] == 'i':
				b.WriteString(this)
				i++
			default:
				b.WriteByte(l[i])
			}
		}
		out[n] = b.String()
	}
	return out
}

// Reget continues the download of remote into local (default: its base
// name) from the end of the local file, with REST, as tnftp's reget and
// get -c do; a local file as long as the remote one is left as it is.
func (s *Session) Reget(ctx context.Context, remote, local string) error {
	s.takeRestart() // reget's offset is the local file's end
	return s.main.get(ctx, s.p, remote, local, getOpts{inPlace: true, resume: true})
}

// Restart sets where the next get or put starts (tnftp's restart), in
// bytes; 0 clears it.
func (s *Session) Restart(arg string) error {
	if arg == "" {
		if s.restartAt > 0 {
			s.printf("Restarting at %d. Execute get, put or append to initiate transfer.\n", s.restartAt)
		} else {
			s.printf("No restart point defined.\n")
		}
		return nil
	}
	n, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a byte offset", arg)
	}
	s.restartAt = n
	if n > 0 {
		s.printf("Restarting at %d. Execute get, put or append to initiate transfer.\n", n)
	}
	return nil
}

// takeRestart returns and clears the restart point.
func (s *Session) takeRestart() int64 {
	n := s.restartAt
	s.restartAt = 0
	return n
}

// Reput continues the upload of local to remote from the size the server
// has (put -c, reput).
func (s *Session) Reput(ctx context.Context, local, remote string) error {
	s.takeRestart() // reput's offset is the remote file's size
	return s.main.put(ctx, s.p, local, remote, putOpts{resumeRemote: true})
}

// Append appends local to the remote file (APPE), as tnftp's append
// does; a restart point applies to it (REST, then APPE).
func (s *Session) Append(ctx context.Context, local, remote string) error {
	return s.main.put(ctx, s.p, local, remote, putOpts{verb: "APPE", from: s.takeRestart()})
}

// Fget downloads each remote file named in the local file list, one name
// a line (blank lines skipped), as tnftp's fget does.
func (s *Session) Fget(ctx context.Context, list string) error {
	b, err := os.ReadFile(s.localPath(list))
	if err != nil {
		return fmt.Errorf("the list of files: %w", err)
	}
	var names []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); strings.TrimSpace(l) != "" {
			names = append(names, l)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("%s names no files", list)
	}
	return s.multi(ctx, "fget", names, 1, nil, func(ctx context.Context, l *link, t transcript, f string) error {
		return l.get(ctx, t, f, "", getOpts{})
	})
}

// expandHome turns a leading ~ or ~user of a local path into that home
// directory, as a shell and tnftp do.
func expandHome(p string) string {
	if !strings.HasPrefix(p, "~") {
		return p
	}
	name, rest, _ := strings.Cut(p[1:], "/")
	var home string
	if name == "" {
		home, _ = os.UserHomeDir()
	} else if u, err := lookupUser(name); err == nil {
		home = u
	}
	if home == "" {
		return p // no such user: the name as it is
	}
	return filepath.Join(home, rest)
}

// Toggle flips or sets one of tnftp's on/off toggles kept by the session
// (bell, glob, case, runique, sunique), and says its state as tnftp does.
func (s *Session) Toggle(name, arg string) error {
	flags := map[string]struct {
		v    *bool
		what string
	}{
		"bell":    {&s.bell, "Bell mode"},
		"glob":    {&s.noGlob, "Globbing"},
		"case":    {&s.lowerCase, "Case mapping"},
		"runique": {&s.runique, "Receive unique"},
		"sunique": {&s.sunique, "Store unique"},
	}
	f, ok := flags[name]
	if !ok {
		return fmt.Errorf("%s: not a toggle", name)
	}
	on := *f.v
	if name == "glob" {
		on = !on // kept as noGlob: globbing is on by default
	}
	switch strings.ToLower(arg) {
	case "":
		on = !on
	case "on":
		on = true
	case "off":
		on = false
	default:
		return fmt.Errorf("want on or off, not %q", arg)
	}
	if name == "glob" {
		*f.v = !on
	} else {
		*f.v = on
	}
	s.printf("%s %s.\n", f.what, onOff(on))
	return nil
}

// uniqueLocal is name, or with runique on and name taken, name.1 to
// name.99 (tnftp's receive-unique); an error when all are taken.
func (s *Session) uniqueLocal(lp string) (string, error) {
	if !s.runique {
		return lp, nil
	}
	if _, err := os.Lstat(lp); errors.Is(err, fs.ErrNotExist) {
		return lp, nil
	}
	for i := 1; i < 100; i++ {
		p := fmt.Sprintf("%s.%d", lp, i)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
	}
	return "", fmt.Errorf("runique: %s.1 to %s.99 are all taken", lp, lp)
}

// localNameFor is the local name mget gives a remote base name: lower
// case for a name all in upper case when case mapping is on (DOS servers).
func (s *Session) localNameFor(base string) string {
	if s.lowerCase && strings.ToUpper(base) == base {
		return strings.ToLower(base)
	}
	return base
}

// option is one of the options set and unset change: how to set it from
// a word, how to show it, and the word unset gives it.
type option struct {
	set func(string) error
	get func() string
	off string
}

// options are the options set and unset change, by their names in the
// config file and on the command line.
func (s *Session) options() map[string]option {
	duration := func(d *time.Duration) option {
		return option{
			set: func(v string) error {
				x, err := time.ParseDuration(v)
				if err != nil || x < 0 {
					return fmt.Errorf("%q is not a duration (like 10s)", v)
				}
				*d = x
				return nil
			},
			get: func() string { return d.String() },
			off: "0s",
		}
	}
	number := func(n *int, lo, hi int) option {
		return option{
			set: func(v string) error {
				x, err := strconv.Atoi(v)
				if err != nil || x < lo || x > hi {
					return fmt.Errorf("%q is not a number from %d to %d", v, lo, hi)
				}
				*n = x
				return nil
			},
			get: func() string { return strconv.Itoa(max(lo, *n)) },
			off: strconv.Itoa(lo),
		}
	}
	boolean := func(b *bool) option {
		return option{
			set: func(v string) error {
				x, err := strconv.ParseBool(strings.NewReplacer("on", "true", "off", "false").Replace(strings.ToLower(v)))
				if err != nil {
					return fmt.Errorf("%q is not on or off", v)
				}
				*b = x
				return nil
			},
			get: func() string { return onOff(*b) },
			off: "off",
		}
	}
	o := &s.opts
	return map[string]option{
		"mode": {
			set: func(v string) error { // the config file's words: auto, passive, active
				m, err := ParseMode(v)
				if err != nil {
					return err
				}
				return s.SetPassive(map[Mode]string{ModeAuto: "auto", ModePassive: "on", ModeActive: "off"}[m])
			},
			get: func() string { return s.mode().String() },
			off: "auto",
		},
		"epsv": {set: s.SetEPSV, get: func() string { return onOff(o.EPSV) }, off: "off"},
		"tls":  {set: s.SetTLS, get: func() string { return o.TLS.Mode.String() }, off: "off"},
		"limit-rate": {
			set: func(v string) error {
				n, err := ParseSize(v)
				if err == nil {
					o.RateGet, o.RatePut = n, n
				}
				return err
			},
			get: func() string { return strconv.FormatInt(max(o.RateGet, o.RatePut), 10) },
			off: "0",
		},
		"verbose":         boolean(&o.Verbose),
		"debug":           boolean(&o.Debug),
		"prompt":          boolean(&o.Prompt),
		"preserve":        boolean(&o.Preserve),
		"progress":        boolean(&o.Progress),
		"temp-upload":     boolean(&o.TempUpload),
		"pipeline":        boolean(&o.Pipeline),
		"retries":         number(&o.Retries, 0, 100),
		"parallel":        number(&o.Parallel, 1, 32),
		"retry-wait":      duration(&o.RetryWait),
		"connect-timeout": duration(&o.ConnectTimeout),
		"reply-timeout":   duration(&o.ReplyTimeout),
		"data-timeout":    duration(&o.DataTimeout),
		"stall-timeout":   duration(&o.StallTimeout),
	}
}

// Set sets the option name to value (set NAME VALUE, with the config
// file's names); with no value it shows the option, with no name all.
func (s *Session) Set(name, value string) error {
	opts := s.options()
	if name == "" {
		for _, n := range slices.Sorted(maps.Keys(opts)) {
			s.printf("%s = %s\n", n, opts[n].get())
		}
		return nil
	}
	opt, ok := opts[name]
	switch {
	case !ok:
		return fmt.Errorf("no option %q (set alone lists them)", name)
	case value == "":
		s.printf("%s = %s\n", name, opt.get())
		return nil
	}
	return opt.set(value)
}

// Unset turns a toggle option off, a number to its least, a duration to
// 0, the mode to auto.
func (s *Session) Unset(name string) error {
	opt, ok := s.options()[name]
	if !ok {
		return fmt.Errorf("no option %q (set alone lists them)", name)
	}
	return opt.set(opt.off)
}

// Rate caps transfers (tnftp's rate): direction all, get or put, and the
// most bytes a second (with k, m or g: KiB, MiB, GiB), 0 for no cap;
// with no maximum it shows the caps.
func (s *Session) Rate(direction, maximum, increment string) error {
	show := func() {
		for _, d := range []struct {
			name string
			v    int64
		}{{"get", s.opts.RateGet}, {"put", s.opts.RatePut}} {
			if d.v > 0 {
				s.printf("%s rate: %s a second.\n", d.name, humanBytes(d.v))
			} else {
				s.printf("%s rate: no limit.\n", d.name)
			}
		}
	}
	if increment != "" {
		return fmt.Errorf("the increment (tnftp changes the rate by it on SIGUSR1 and SIGUSR2) is not supported")
	}
	var targets []*int64
	switch strings.ToLower(direction) {
	case "":
		show()
		return nil
	case "all":
		targets = []*int64{&s.opts.RateGet, &s.opts.RatePut}
	case "get":
		targets = []*int64{&s.opts.RateGet}
	case "put":
		targets = []*int64{&s.opts.RatePut}
	default:
		return fmt.Errorf("direction %q is not all, get or put", direction)
	}
	if maximum == "" {
		show()
		return nil
	}
	n, err := ParseSize(maximum)
	if err != nil {
		return err
	}
	for _, t := range targets {
		*t = n
	}
	show()
	return nil
}

// ParseSize reads a byte count: digits, with an optional k, m or g
// (binary: 1k is 1024 bytes), as tnftp takes them.
func ParseSize(v string) (int64, error) {
	mult := int64(1)
	switch strings.ToLower(v[len(v)-min(1, len(v)):]) {
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	}
	digits := v
	if mult > 1 {
		digits = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size (like 500k or 2m)", v)
	}
	return n * mult, nil
}

// humanBytes is a byte count as "1.5 MiB".
func humanBytes(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB"}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.4g %s", f, units[i])
}

// Page shows text through the user's pager ($PAGER, else more) when
// stdout is a terminal, else writes it to stdout; what write produces is
// made safe to show either way (it may be the server's).
func (s *Session) Page(ctx context.Context, write func(w io.Writer) error) error {
	if !s.p.outTTY {
		w, flush := s.p.Listing()
		defer flush()
		return write(w)
	}
	pager := os.Getenv("PAGER")
	if pager == "" {
		pager = "more"
	}
	cmd, in, err := s.startShell(ctx, pager, "pager "+pager)
	if err != nil {
		return err
	}
	werr := write(safe.NewWriter(in))
	in.Close()
	if err := cmd.Wait(); err != nil && werr == nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) { // a pager quit early is fine
			return fmt.Errorf("pager %s: %w", pager, err)
		}
	}
	if errors.Is(werr, syscall.EPIPE) || errors.Is(werr, os.ErrClosed) {
		return nil // the pager quit before the end: the user had seen enough
	}
	return werr
}

// Lpage shows a local file through the pager.
func (s *Session) Lpage(ctx context.Context, name string) error {
	f, err := os.Open(s.localPath(name))
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	defer f.Close()
	return s.Page(ctx, func(w io.Writer) error {
		_, err := io.Copy(w, f)
		return err
	})
}

// PageRemote shows a remote file through the pager (page, more, less).
func (s *Session) PageRemote(ctx context.Context, name string) error {
	return s.Page(ctx, func(w io.Writer) error { return s.main.retrieveTo(ctx, name, w) })
}

// PageList shows a listing (LIST, NLST or MLSD of dir) through the pager.
func (s *Session) PageList(ctx context.Context, verb, dir string) error {
	return s.Page(ctx, func(w io.Writer) error { return s.listTo(ctx, verb, dir, w) })
}

// Mreget is mget that continues each local file as reget does.
func (s *Session) Mreget(ctx context.Context, patterns []string) error {
	files, err := s.expandAll(ctx, patterns, nil)
	if err != nil {
		return err
	}
	return s.multi(ctx, "mreget", files, 1, nil, func(ctx context.Context, l *link, t transcript, f string) error {
		return l.get(ctx, t, f, s.localNameFor(filepath.Base(f)), getOpts{inPlace: true, resume: true})
	})
}

// MultiList writes the listings (verb: LIST or NLST) of several remote
// paths, in turn, to the local file out ("-": stdout), as tnftp's mdir
// and mls do.
//
// At the prompt, with prompting on, it asks first, as tnftp does: the
// last word is easily a remote name typed by mistake.
func (s *Session) MultiList(ctx context.Context, verb string, dirs []string, out string) error {
	w, flush := s.p.Listing()
	defer flush()
	if out != "-" && s.opts.Prompt && s.confirm != nil {
		ans, err := s.confirm.Ask(fmt.Sprintf("output to local-file: %s? [yN] ", safe.Visible(out)))
		if err != nil || !strings.EqualFold(strings.TrimSpace(ans), "y") && !strings.EqualFold(strings.TrimSpace(ans), "yes") {
			s.printf("Nothing listed.\n")
			return nil
		}
	}
	if out != "-" {
		f, err := os.Create(s.localPath(out))
		if err != nil {
			return fmt.Errorf("local file: %w", err)
		}
		defer f.Close()
		w = f
	}
	for _, d := range dirs {
		if err := s.listTo(ctx, verb, d, w); err != nil {
			return err
		}
	}
	if f, ok := w.(*os.File); ok {
		return f.Close()
	}
	return nil
}
