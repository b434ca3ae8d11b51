package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gftp/gftp/internal/commands"
)

// The man page, gftp(1), is written from the same cobra tree and command
// table that --help and help print, so neither can drift from the other:
// `make man` runs the hidden `gftp __man`. It is one page, as ftp(1) is,
// written as roff directly: cobra/doc's GenMan writes a page per
// subcommand with links between them and has no place for the
// in-session commands, and roff needs less escaping than the Markdown it
// would go through (two modules fewer, too).

// manInfo is what the page says about the build: its header's date and
// source line.
type manInfo struct {
	Version string // short: the footer shares its line with the date
	Date    string // YYYY-MM-DD, or "" for none
}

// newManCmd is `gftp __man`, hidden: it writes gftp(1) to stdout. It
// describes a tree built afresh with no terminal, so that a default that
// depends on one (-v) reads the same wherever the page is made.
func newManCmd(table *commands.Table) *cobra.Command {
	return &cobra.Command{
		Use:           "__man",
		Short:         "write the gftp(1) man page (roff) to stdout",
		Hidden:        true,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(c *cobra.Command, _ []string) error {
			tree := newRootCmd(Streams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}, table, false,
				func(config) error { return nil })
			bi, _ := debug.ReadBuildInfo()
			info := manInfo{Version: manVersion(bi), Date: manDate(os.Getenv("SOURCE_DATE_EPOCH"), bi)}
			w := bufio.NewWriter(c.OutOrStdout())
			writeMan(w, tree, table, info)
			if err := w.Flush(); err != nil {
				return fmt.Errorf("man page: %w", err)
			}
			return nil
		},
	}
}

// manVersion is the version in the page's footer: a tag, else the commit
// (a pseudo-version is too long for the line it shares with the date),
// else "(devel)".
func manVersion(bi *debug.BuildInfo) string {
	v := moduleVersion(bi)
	if bi != nil && (pseudoVersion.MatchString(v) || v == "(devel)") {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return shortRev(s.Value)
			}
		}
	}
	return v
}

// pseudoVersion matches the go command's versions for untagged commits,
// v0.0.0-20261202061641-e654a7ec2b93 and the like.
var pseudoVersion = regexp.MustCompile(`-(\d+\.)?\d{14}-[0-9a-f]{12}(\+|$)`)

// manDate is the page's date: SOURCE_DATE_EPOCH when set (reproducible
// builds), else the commit's date when the build recorded one, else none
// (a page made twice from the same source is the same page).
func manDate(sourceDateEpoch string, bi *debug.BuildInfo) string {
	if sec, err := strconv.ParseInt(sourceDateEpoch, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC().Format(time.DateOnly)
	}
	if bi != nil {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t.UTC().Format(time.DateOnly)
				}
			}
		}
	}
	return ""
}

// writeMan writes gftp(1) for the command tree root and the in-session
// commands of table. It writes to a bufio.Writer, whose error the caller
// takes at Flush.
func writeMan(w *bufio.Writer, root *cobra.Command, table *commands.Table, info manInfo) {
	// cobra adds these when a command runs; the page lists them too.
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()

	fmt.Fprintf(w, ".TH GFTP 1 %s %s \"User Commands\"\n", roffArg(info.Date), roffArg("gftp "+info.Version))
	// No hyphenation and a ragged right margin: option names and paths
	// stay whole, and long ones do not stretch the spaces of a line.
	w.WriteString(".nh\n.ad l\n")
	fmt.Fprintf(w, ".SH NAME\ngftp \\- %s\n", roffText(root.Short))

	w.WriteString(".SH SYNOPSIS\n")
	entries := manCommands(root)
	for i, e := range entries {
		if i > 0 {
			w.WriteString(".br\n")
		}
		fmt.Fprintf(w, ".B %s\n", roffArg(e.path))
		if e.args != "" {
			fmt.Fprintf(w, "%s\n", roffText(e.args))
		}
	}

	w.WriteString(".SH DESCRIPTION\n")
	writeParagraphs(w, root.Long)

	w.WriteString(".SH OPTIONS\n")
	root.Flags().VisitAll(func(f *pflag.Flag) { writeFlag(w, f) })

	w.WriteString(".SH SUBCOMMANDS\n")
	for _, e := range entries[1:] {
		fmt.Fprintf(w, ".SS %s\n", roffArg(strings.TrimSpace(e.path+" "+e.args)))
		writeParagraphs(w, e.text)
		var shared []string
		e.flags.VisitAll(func(f *pflag.Flag) {
			switch {
			case f.Name == "help":
			case root.Flags().Lookup(f.Name) == f:
				shared = append(shared, `\fB\-\-`+roffText(f.Name)+`\fR`)
			default:
				writeFlag(w, f)
			}
		})
		if len(shared) > 0 {
			fmt.Fprintf(w, ".PP\nIt takes these options too, as described under OPTIONS: %s.\n", strings.Join(shared, ", "))
		}
	}

	w.WriteString(".SH COMMANDS\n")
	writeParagraphs(w, "These are the commands typed at the gftp> prompt, read from a script (standard input or --script), "+
		"or run by a .netrc macro, as in ftp(1). Any unique prefix of a name works: pw runs pwd. "+
		"A script stops at the first command that fails; a line starting with - ignores its failure. "+
		"help lists them, and help CMD shows one.")
	for _, g := range table.Groups() {
		fmt.Fprintf(w, ".SS %s\n", roffText(g.Name))
		for _, c := range g.Commands {
			fmt.Fprintf(w, ".TP\n\\fB%s\\fR", roffText(c.Name))
			if c.Usage != "" {
				fmt.Fprintf(w, " %s", roffText(c.Usage))
			}
			w.WriteString("\n")
			fmt.Fprintf(w, "%s.\n", roffText(strings.TrimSuffix(c.Help, ".")))
			if len(c.Aliases) > 0 {
				fmt.Fprintf(w, "Also: \\fB%s\\fR.\n", roffText(strings.Join(c.Aliases, `, `)))
			}
			if c.Example != "" {
				w.WriteString("For example:\n.RS\n.nf\n")
				for l := range strings.SplitSeq(c.Example, "\n") {
					fmt.Fprintf(w, "%s\n", roffText(l))
				}
				w.WriteString(".fi\n.RE\n")
			}
		}
	}

	w.WriteString(".SH CONFIGURATION\n")
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(bookmarkKeys)) {
		if k != "host" {
			keys = append(keys, k)
		}
	}
	writeParagraphs(w, strings.TrimPrefix(configHelp, "Configuration: ")+
		" Besides them: prompt, auto-login, history-file and tls-known-hosts.\n\n"+
		"Named hosts (bookmarks) are given under hosts:, each with host and optionally "+strings.Join(keys, ", ")+
		"; gftp NAME and open NAME use them, and shell completion offers their names.")

	w.WriteString(".SH ENVIRONMENT\n")
	for _, e := range [][2]string{
		{"GFTP_*", "any setting, named as its long flag in capitals with - as _ (GFTP_MODE=active, GFTP_DATA_TIMEOUT=5s)"},
		{"GFTP_PASSWORD", "the password when none is given; otherwise gftp asks on the terminal"},
		{"NETRC", "the .netrc file, when -N is not given"},
		{"XDG_CONFIG_HOME", "where config.yaml is looked for (default ~/.config)"},
		{"XDG_STATE_HOME", "where the history and the trusted certificates are kept (default ~/.local/state)"},
	} {
		fmt.Fprintf(w, ".TP\n.B %s\n%s.\n", roffText(e[0]), roffText(e[1]))
	}

	w.WriteString(".SH FILES\n")
	for _, e := range [][2]string{
		{"$XDG_CONFIG_HOME/gftp/config.yaml", "the config file"},
		{"~/.netrc", "logins for auto-login, and macdef init macros; refused when it holds a password and others can read it"},
		{"$XDG_STATE_HOME/gftp/history", "the prompt's history (mode 0600)"},
		{"$XDG_STATE_HOME/gftp/known_hosts", "certificates trusted at the prompt or with gftp trust (mode 0600)"},
	} {
		fmt.Fprintf(w, ".TP\n.I %s\n%s.\n", roffText(e[0]), roffText(e[1]))
	}

	w.WriteString(".SH EXIT STATUS\n")
	for _, line := range strings.Split(exitCodesHelp, "\n")[1:] {
		code, text, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok {
			fmt.Fprintf(w, ".TP\n.B %s\n%s.\n", roffText(code), roffText(strings.TrimSpace(text)))
		}
	}

	w.WriteString(".SH SEE ALSO\n.BR ftp (1),\n.BR netrc (5)\n")
}

// manEntry is one command line of the SYNOPSIS, described under
// SUBCOMMANDS.
type manEntry struct {
	path, args string // "gftp probe", "[flags] host [port]"
	text       string
	flags      *pflag.FlagSet
}

// manCommands is root and its visible subcommands, less help. A command
// that only groups others (completion) is one entry whose argument is
// its subcommands' names, bash|fish|...: they differ only in the shell.
func manCommands(root *cobra.Command) []manEntry {
	args := func(c *cobra.Command) string { return strings.TrimSpace(strings.TrimPrefix(c.Use, c.Name())) }
	out := []manEntry{{path: root.CommandPath(), args: args(root), text: root.Long, flags: root.Flags()}}
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.Name() == "help" {
			continue
		}
		e := manEntry{path: c.CommandPath(), args: args(c), text: firstNonEmpty(c.Long, c.Short), flags: c.Flags()}
		if !c.Runnable() {
			var names []string
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() {
					names = append(names, sub.Name())
					e.flags = sub.Flags()
				}
			}
			e.args = strings.Join(names, "|")
		}
		out = append(out, e)
	}
	return out
}

// writeFlag writes one option as a tagged paragraph, as pflag's
// FlagUsages would print it: names, value name, usage, default.
func writeFlag(w *bufio.Writer, f *pflag.Flag) {
	if f.Hidden {
		return
	}
	name, usage := pflag.UnquoteUsage(f)
	w.WriteString(".TP\n")
	if f.Shorthand != "" {
		fmt.Fprintf(w, `\fB\-%s\fR, `, roffText(f.Shorthand))
	}
	fmt.Fprintf(w, `\fB\-\-%s\fR`, roffText(f.Name))
	if name != "" {
		fmt.Fprintf(w, ` \fI%s\fR`, roffText(name))
	}
	w.WriteString("\n" + roffText(usage))
	switch f.DefValue {
	case "", "false", "0", "0s", "[]":
	default:
		fmt.Fprintf(w, " (default: %s)", roffText(f.DefValue))
	}
	w.WriteString("\n")
}

// writeParagraphs writes text whose paragraphs are separated by blank
// lines; roff fills the lines of each.
func writeParagraphs(w *bufio.Writer, text string) {
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		fmt.Fprintf(w, ".PP\n%s\n", roffText(p))
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// roffText makes s safe as roff text: a backslash is the escape
// character, - must be \- to stay a minus (options are copied from man
// pages), and a line starting with . or ' would be a request.
func roffText(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// roffArg is s as one quoted argument of a request (.TH, .SS).
func roffArg(s string) string {
	return `"` + strings.ReplaceAll(roffText(strings.ReplaceAll(s, "\n", " ")), `"`, `\(dq`) + `"`
}
