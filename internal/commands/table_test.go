package commands_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/session"
)

func TestFind(t *testing.T) {
	tab := commands.Default()
	tests := []struct {
		name string
		want string
	}{
		// Exact names.
		{"get", "get"},
		{"pwd", "pwd"},
		{"cd", "cd"}, // also a prefix of cdup: the exact name wins
		{"help", "help"},
		// Aliases.
		{"recv", "get"},
		{"send", "put"},
		{"?", "help"},
		{"image", "binary"},
		{"disconnect", "close"},
		{"quit", "bye"},
		{"exit", "bye"},
		{"ftp", "open"},
		{"cwd", "cd"},
		// Unique prefixes, of names and of aliases.
		{"pw", "pwd"},
		{"mkd", "mkdir"},
		{"rmd", "rmdir"},
		{"op", "open"},
		{"he", "help"},
		{"deb", "debug"},
		{"quo", "quote"},
		{"ver", "verbose"},
		{"rec", "get"},
		{"disc", "close"},
		{"ex", "bye"},
		{"im", "binary"},
		{"cdu", "cdup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tab.Find(tt.name)
			if err != nil {
				t.Fatalf("Find(%q): %v", tt.name, err)
			}
			if c.Name != tt.want {
				t.Errorf("Find(%q) = %s, want %s", tt.name, c.Name, tt.want)
			}
		})
	}
}

// A prefix that matches only names and aliases of one command is not
// ambiguous.
func TestFindPrefixOfOneCommandsNames(t *testing.T) {
	noop := func(context.Context, *session.Session, []string) error { return nil }
	tab := commands.NewTable([]*commands.Command{
		{Name: "list", Aliases: []string{"ls", "lst"}, Help: "list", Run: noop},
		{Name: "get", Aliases: []string{"gimme"}, Help: "get", Run: noop},
		{Name: "lcd", Help: "lcd", Run: noop},
	})
	for _, tt := range []struct{ name, want string }{
		{"li", "list"},
		{"ls", "list"},
		{"g", "get"}, // get and gimme
		{"lc", "lcd"},
	} {
		c, err := tab.Find(tt.name)
		if err != nil {
			t.Errorf("Find(%q): %v", tt.name, err)
			continue
		}
		if c.Name != tt.want {
			t.Errorf("Find(%q) = %s, want %s", tt.name, c.Name, tt.want)
		}
	}
	// "l" matches list, ls, lst and lcd: two commands.
	_, err := tab.Find("l")
	var ue *commands.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Find(%q) error = %v, want a *UsageError", "l", err)
	}
	if want := `ambiguous command "l" (could be lcd, list, ls, lst)`; ue.Msg != want {
		t.Errorf("Find(%q) error = %q, want %q", "l", ue.Msg, want)
	}
}

func TestFindErrors(t *testing.T) {
	tab := commands.Default()
	tests := []struct {
		name string
		want string // the whole message
	}{
		{"m", `ambiguous command "m" (could be macdef, mdelete, mdir, mget, mirror, mkdir, mls, mlsd, mlst, mode, modtime, more, mput, mreget, msend)`},
		{"c", `ambiguous command "c" (could be case, cd, cdup, chmod, close, cr, cwd)`},
		{"qu", `ambiguous command "qu" (could be quit, quote)`},
		{"s", `ambiguous command "s" (could be send, sendport, set, site, size, sndbuf, status, struct, sunique, system)`},
		{"frobnicate", `unknown command "frobnicate" (try: help)`},
		{"pwdx", `unknown command "pwdx" (try: help)`},
		{"PWD", `unknown command "PWD" (try: help)`}, // names are case-sensitive
		{"é", `unknown command "é" (try: help)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tab.Find(tt.name)
			if err == nil {
				t.Fatalf("Find(%q) = %s, want an error", tt.name, c.Name)
			}
			var ue *commands.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Find(%q) error %v is a %T, want *commands.UsageError", tt.name, err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("Find(%q) error = %q, want %q", tt.name, err, tt.want)
			}
			if c != nil {
				t.Errorf("Find(%q) returned command %s with its error", tt.name, c.Name)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	tab := commands.Default()
	tests := []struct {
		line    string
		wantCmd string // "" when no command is found
		wantErr string // "" for success
	}{
		{"pwd", "pwd", ""},
		{"pwd x", "pwd", "usage: pwd"},
		{"get", "get", "usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir]"},
		{"get a", "get", ""},
		{"get a b", "get", ""},
		{"get a b c", "get", "wrong number of arguments (usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir])"},
		{"recv a b c", "get", "wrong number of arguments (usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir])"},
		{"get -r", "get", "wrong number of arguments (usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir])"},
		{"get -r d", "get", ""},
		{"get -r -P 3 d l", "get", ""},
		{"get -r -P x d", "get", "-P x: want a number of connections from 1 to 32 (usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir])"},
		{"rename a", "rename", "usage: rename from-name to-name"},
		{"rename a b", "rename", ""},
		{"rename a b c", "rename", "usage: rename from-name to-name"},
		{"open h 21 x", "open", "usage: open [host [port]]"}, // alone, open asks "(to)"
		{"user a b c", "user", "usage: user [user-name [password]]"},
		{"mget", "mget", "usage: mget [-r] [-P N] remote-files..."},
		{"mget a b c d e f g h", "mget", ""},
		{"quote", "quote", "usage: quote command [arguments...]"},
		{"bye now", "bye", "usage: bye"},
		{"mkd", "mkdir", "usage: mkdir [-p] directory-name"},
		{"cd", "cd", "usage: cd remote-directory"},
		{"m x", "", `ambiguous command "m" (could be macdef, mdelete, mdir, mget, mirror, mkdir, mls, mlsd, mlst, mode, modtime, more, mput, mreget, msend)`},
		{"nope", "", `unknown command "nope" (try: help)`},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			c, err := tab.Check(strings.Fields(tt.line))
			name := ""
			if c != nil {
				name = c.Name
			}
			if name != tt.wantCmd {
				t.Errorf("Check(%q) command = %q, want %q", tt.line, name, tt.wantCmd)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Check(%q): unexpected error %v", tt.line, err)
				}
				return
			}
			var ue *commands.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Check(%q) error = %v (%T), want a *commands.UsageError", tt.line, err, err)
			}
			if ue.Msg != tt.wantErr {
				t.Errorf("Check(%q) error = %q, want %q", tt.line, ue.Msg, tt.wantErr)
			}
		})
	}

	t.Run("no words", func(t *testing.T) {
		_, err := tab.Check(nil)
		var ue *commands.UsageError
		if !errors.As(err, &ue) || ue.Msg != "empty command" {
			t.Errorf("Check(nil) error = %v, want usage error %q", err, "empty command")
		}
	})
}

// recorder is a command table whose commands note that they ran.
type recorder struct {
	ran  []string
	args [][]string
}

func (r *recorder) table() *commands.Table {
	mk := func(name string, needConn bool, min, max int) *commands.Command {
		return &commands.Command{
			Name: name, Help: name, NeedConn: needConn, MinArgs: min, MaxArgs: max,
			Run: func(_ context.Context, _ *session.Session, a []string) error {
				r.ran = append(r.ran, name)
				r.args = append(r.args, a)
				return nil
			},
		}
	}
	return commands.NewTable([]*commands.Command{
		mk("remote", true, 0, 1),
		mk("local", false, 0, 2),
	})
}

func TestExec(t *testing.T) {
	ctx := context.Background()
	s := session.New(session.Config{LocalDir: t.TempDir()})
	if s.Connected() {
		t.Fatal("a new session says it is connected")
	}

	t.Run("NeedConn without a connection", func(t *testing.T) {
		r := &recorder{}
		err := r.table().Exec(ctx, s, []string{"remote"})
		if !errors.Is(err, session.ErrNotConnected) {
			t.Errorf("Exec(remote) error = %v, want session.ErrNotConnected", err)
		}
		if len(r.ran) != 0 {
			t.Errorf("Exec(remote) ran %q without a connection", r.ran)
		}
	})

	t.Run("local command runs with its arguments", func(t *testing.T) {
		r := &recorder{}
		if err := r.table().Exec(ctx, s, []string{"lo", "a", ""}); err != nil {
			t.Fatalf("Exec(lo a \"\"): %v", err)
		}
		if !slices.Equal(r.ran, []string{"local"}) {
			t.Fatalf("ran %q, want [local]", r.ran)
		}
		if want := []string{"a", ""}; !slices.Equal(r.args[0], want) {
			t.Errorf("args = %q, want %q", r.args[0], want)
		}
	})

	t.Run("usage error runs nothing", func(t *testing.T) {
		r := &recorder{}
		err := r.table().Exec(ctx, s, []string{"local", "a", "b", "c"})
		var ue *commands.UsageError
		if !errors.As(err, &ue) || ue.Msg != "usage: local" {
			t.Errorf("Exec(local a b c) error = %v, want usage error %q", err, "usage: local")
		}
		// The argument count is checked before the connection.
		err = r.table().Exec(ctx, s, []string{"remote", "a", "b"})
		if !errors.As(err, &ue) || ue.Msg != "usage: remote" {
			t.Errorf("Exec(remote a b) error = %v, want usage error %q", err, "usage: remote")
		}
		if len(r.ran) != 0 {
			t.Errorf("ran %q after usage errors", r.ran)
		}
	})

	t.Run("default table", func(t *testing.T) {
		tab := commands.Default()
		for _, line := range []string{
			"pwd", "cd /", "ls", "get a", "put a", "mkdir d", "user bob", "quote NOOP", "system", "size f",
		} {
			err := tab.Exec(ctx, s, strings.Fields(line))
			if !errors.Is(err, session.ErrNotConnected) {
				t.Errorf("Exec(%q) unconnected: error = %v, want session.ErrNotConnected", line, err)
			}
		}
		// As in tnftp: nothing to close is said (a warning), and no failure.
		if err := tab.Exec(ctx, s, []string{"close"}); err != nil {
			t.Errorf("Exec(close) unconnected = %v, want nil", err)
		}
		if err := tab.Exec(ctx, s, []string{"bye"}); !errors.Is(err, commands.ErrQuit) {
			t.Errorf("Exec(bye) = %v, want ErrQuit", err)
		}
		if err := tab.Exec(ctx, s, []string{"exit"}); !errors.Is(err, commands.ErrQuit) {
			t.Errorf("Exec(exit) = %v, want ErrQuit", err)
		}
	})
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		text   string
		words  []string
		ignore bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"# comment", nil, false},
		{"\t# x", nil, false},
		{"pwd\r", []string{"pwd"}, false},
		{"  -mdelete old.tgz  ", []string{"mdelete", "old.tgz"}, true},
		{"- cd  x", []string{"cd", "x"}, true},
		// A comment is a line whose first non-blank character is #; a #
		// anywhere else is part of a word, as in tnftp (which has no
		// comments): a password or a name may hold one.
		{`# don't: an unclosed quote in a comment`, nil, false},
		{"  \t#indented", nil, false},
		{"#", nil, false},
		{`local "a b" c # d`, []string{"local", "a b", "c", "#", "d"}, false},
		{"put a.tar.gz #x", []string{"put", "a.tar.gz", "#x"}, false},
		{"user hash2 #pw", []string{"user", "hash2", "#pw"}, false},
		{"user bob pw#1", []string{"user", "bob", "pw#1"}, false},
		{"- # not a comment", []string{"#", "not", "a", "comment"}, true},
		{"-#x", []string{"#x"}, true},
		{"!ls # the shell's", []string{"!", "ls # the shell's"}, false},
	} {
		l, err := commands.ParseLine(tc.text)
		if err != nil || !slices.Equal(l.Words, tc.words) || l.Ignore != tc.ignore {
			t.Errorf("ParseLine(%q) = %q ignore %v, %v; want %q ignore %v", tc.text, l.Words, l.Ignore, err, tc.words, tc.ignore)
		}
	}
	var ue *commands.UsageError
	if _, err := commands.ParseLine(`local "a`); !errors.As(err, &ue) || !strings.Contains(ue.Msg, "unclosed") {
		t.Errorf("an unclosed quote: %v, want a usage error about it", err)
	}
	if _, err := commands.ParseLine(strings.Repeat("x", commands.MaxLine+1)); !errors.As(err, &ue) || len(err.Error()) > 80 {
		t.Errorf("an overlong line: %v, want a short usage error", err)
	}
}

// An unknown command is named, cut to a sane length, not quoted whole.
func TestUnknownCommandNameCut(t *testing.T) {
	_, err := commands.Default().CheckLine(strings.Repeat("z", 60000) + " arg")
	if err == nil || len(err.Error()) > 100 || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("error of %d bytes: %.120s", len(err.Error()), err)
	}
}

// A macro is checked whole before any of it runs: one that ran on into
// the next .netrc entry fails at that line, and nothing ran.
func TestRunMacroChecksFirst(t *testing.T) {
	ctx := context.Background()
	s := session.New(session.Config{LocalDir: t.TempDir()})
	r := &recorder{}
	tab := r.table()
	err := tab.RunMacro(ctx, s, "init", []string{"local a", "", "machine other", "login x"})
	var me *commands.MacroError
	var ue *commands.UsageError
	if !errors.As(err, &me) || me.Line != 3 || !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a usage error at macro line 3", err)
	}
	if len(r.ran) != 0 {
		t.Errorf("ran %q before the bad line was found", r.ran)
	}
	if err := tab.RunMacro(ctx, s, "init", []string{"local a", "# c", "-remote", "local b"}); err != nil {
		t.Errorf("a macro with an ignored failure: %v", err)
	}
	if !slices.Equal(r.ran, []string{"local", "local"}) {
		t.Errorf("ran %q, want local twice (remote needs a connection, its failure ignored)", r.ran)
	}
}

func TestDisplay(t *testing.T) {
	tab := commands.Default()
	tests := []struct {
		words []string
		want  string
	}{
		{nil, ""},
		{[]string{"user", "bob", "s3cret"}, "user bob ****"},
		{[]string{"use", "bob", "s3cret"}, "use bob ****"},
		{[]string{"u", "bob", "s3cret"}, "u"}, // ambiguous: nothing after it shown
		{[]string{"user", "bob"}, "user bob"},
		{[]string{"quote", "PASS", "x"}, "quote PASS ****"},
		{[]string{"quote", "pass", "x", "y"}, "quote pass ****"},
		{[]string{"quote", "Acct", "1234"}, "quote Acct ****"},
		{[]string{"quo", "PASS", "x"}, "quo PASS ****"},
		{[]string{"quote", "PASS"}, "quote PASS"},
		{[]string{"quote", "USER", "bob"}, "quote USER bob"},
		{[]string{"quote", "NOOP"}, "quote NOOP"},
		{[]string{"get", "a", "b"}, "get a b"},
		{[]string{"open", "host", "21"}, "open host 21"},
		{[]string{"pwd"}, "pwd"},
		{[]string{"frobnicate", "a", "secret"}, "frobnicate"}, // unknown: its words may be secrets
		{[]string{"m", "x", "y"}, "m"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			in := slices.Clone(tt.words)
			got := tab.Display(in)
			if got != tt.want {
				t.Errorf("Display(%q) = %q, want %q", tt.words, got, tt.want)
			}
			if !slices.Equal(in, tt.words) {
				t.Errorf("Display changed its argument: %q, was %q", in, tt.words)
			}
		})
	}
}

// TestDefaultTable checks what every row of the table must satisfy.
func TestDefaultTable(t *testing.T) {
	tab := commands.Default()
	cmds := tab.Commands()
	if len(cmds) == 0 {
		t.Fatal("the default table is empty")
	}
	declared := map[string]string{} // name or alias -> command
	var all []string
	for _, c := range cmds {
		if c.Name == "" {
			t.Errorf("a command has no name: %+v", c)
			continue
		}
		if strings.TrimSpace(c.Help) == "" {
			t.Errorf("%s: no help", c.Name)
		}
		if c.Run == nil {
			t.Errorf("%s: no Run", c.Name)
		}
		if c.MinArgs < 0 {
			t.Errorf("%s: MinArgs %d < 0", c.Name, c.MinArgs)
		}
		if c.MaxArgs != -1 && (c.MaxArgs < 0 || c.MinArgs > c.MaxArgs) {
			t.Errorf("%s: MinArgs %d, MaxArgs %d", c.Name, c.MinArgs, c.MaxArgs)
		}
		if c.Secret < 0 || (c.Secret > 0 && c.MaxArgs != -1 && c.Secret > c.MaxArgs) {
			t.Errorf("%s: Secret %d is not an argument (MaxArgs %d)", c.Name, c.Secret, c.MaxArgs)
		}
		if c.MaxArgs != -1 && len(c.Args) > c.MaxArgs {
			t.Errorf("%s: %d argument kinds for at most %d arguments", c.Name, len(c.Args), c.MaxArgs)
		}
		if (c.MinArgs > 0 || c.MaxArgs != 0) && c.Usage == "" {
			t.Errorf("%s takes arguments but has no usage", c.Name)
		}
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if n == "" || strings.ContainsAny(n, " \t#\"'\\") {
				t.Errorf("%s: bad name or alias %q", c.Name, n)
			}
			if prev, dup := declared[n]; dup {
				t.Errorf("%q is declared twice: by %s and by %s", n, prev, c.Name)
			}
			declared[n] = c.Name
			all = append(all, n)
			got, err := tab.Find(n)
			if err != nil {
				t.Errorf("Find(%q): %v", n, err)
			} else if got != c {
				t.Errorf("Find(%q) = %s, want %s", n, got.Name, c.Name)
			}
		}
	}
	sort.Strings(all)
	if names := tab.Names(); !slices.Equal(names, all) {
		t.Errorf("Names() = %q, want %q", names, all)
	}
	// The commands the brief and ftp(1) users rely on exist.
	for _, n := range []string{"open", "user", "close", "bye", "cd", "pwd", "ls", "get", "put",
		"mget", "mput", "mdelete", "mkdir", "rmdir", "delete", "rename", "binary", "ascii",
		"passive", "prompt", "verbose", "debug", "quote", "help", "lcd", "status"} {
		if _, ok := declared[n]; !ok {
			t.Errorf("no command %q", n)
		}
	}
}

func TestHelp(t *testing.T) {
	ctx := context.Background()
	tab := commands.Default()
	var out bytes.Buffer
	s := session.New(session.Config{Printer: session.NewPrinter(session.Streams{Out: &out}), LocalDir: t.TempDir()})
	if err := tab.Exec(ctx, s, []string{"help"}); err != nil {
		t.Fatalf("help: %v", err)
	}
	for _, c := range tab.Commands() {
		if !regexp.MustCompile(`(?m)^  (.*\s)?` + regexp.QuoteMeta(c.Name) + `(\s|$)`).MatchString(out.String()) {
			t.Errorf("help does not list %q:\n%s", c.Name, out.String())
		}
	}
	var summary bytes.Buffer
	tab.WriteSummary(&summary)
	for _, c := range tab.Commands() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.Name) + `( \(.*\))?\s+` + regexp.QuoteMeta(c.Help) + `$`).MatchString(summary.String()) {
			t.Errorf("the summary (gftp --help) has no line for %q with its help %q:\n%s", c.Name, c.Help, summary.String())
		}
	}

	out.Reset()
	if err := tab.Exec(ctx, s, []string{"?", "recv"}); err != nil {
		t.Fatalf("? recv: %v", err)
	}
	want := "get: receive file (-c: continue a partial local file; -r: a directory and all below it; local - is stdout, |cmd a pipe)\n" +
		"usage: get [-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir]\naliases: recv\n" +
		"example:\n  get backup.tgz\n  get -c big.iso\n  get notes.txt -\n  get log.gz \"|zcat | tail\"\n"
	if out.String() != want {
		t.Errorf("? recv printed %q, want %q", out.String(), want)
	}

	err := tab.Exec(ctx, s, []string{"help", "m"})
	var ue *commands.UsageError
	if !errors.As(err, &ue) || !strings.HasPrefix(ue.Msg, `ambiguous command "m"`) {
		t.Errorf("help m = %v, want an ambiguous-command usage error", err)
	}
}

// CR, LF and NUL in any word are refused before anything runs: they would
// smuggle a second command onto the control connection.
func TestExecRefusesControlCharacters(t *testing.T) {
	ctx := context.Background()
	s := session.New(session.Config{LocalDir: t.TempDir()})
	for _, words := range [][]string{
		{"local", "a\r\nDELE x"},
		{"local", "a\nb"},
		{"local", "a\x00"},
		{"remote", "a\rb"},    // before the connection check
		{"local", "a", "b\n"}, // not only the first argument
	} {
		r := &recorder{}
		err := r.table().Exec(ctx, s, words)
		var ue *commands.UsageError
		if !errors.As(err, &ue) || !strings.Contains(ue.Msg, "control character") {
			t.Errorf("Exec(%q) = %v, want a usage error about a control character", words, err)
		}
		if len(r.ran) != 0 {
			t.Errorf("Exec(%q) ran %q", words, r.ran)
		}
	}
	// A tab is not one of them.
	r := &recorder{}
	if err := r.table().Exec(ctx, s, []string{"local", "a\tb"}); err != nil || len(r.ran) != 1 {
		t.Errorf("Exec(local a<TAB>b) = %v, ran %q; want it run", err, r.ran)
	}
}

// The error for a refused argument is printed next to the masked command
// line (scripts print "user bob ****: <error>"), so it must not show a
// password either.
func TestExecControlCharacterErrorHidesSecrets(t *testing.T) {
	ctx := context.Background()
	s := session.New(session.Config{LocalDir: t.TempDir()})
	tab := commands.Default()
	for _, words := range [][]string{
		{"user", "bob", "hunter\r2"},
		{"quote", "PASS", "hunter\x002"},
	} {
		err := tab.Exec(ctx, s, words)
		if err == nil {
			t.Errorf("Exec(%q) = nil, want an error", words)
			continue
		}
		shown := tab.Display(words) + ": " + err.Error()
		if strings.Contains(shown, "hunter") {
			t.Errorf("Exec(%q): the message %q shows the password", words, shown)
		}
	}
}

func TestDisplayQuotesControlCharacters(t *testing.T) {
	tab := commands.Default()
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"get", "a\nb"}, `get "a\nb"`},
		{[]string{"get", "a\x1b[2Jb"}, `get "a\x1b[2Jb"`},
		{[]string{"get", "a\tb"}, `get "a\tb"`},
		{[]string{"get", "été"}, "get été"},
		{[]string{"user", "bob", "pw\x00"}, "user bob ****"},
	}
	for _, tt := range tests {
		if got := tab.Display(tt.words); got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.words, got, tt.want)
		}
	}
}
