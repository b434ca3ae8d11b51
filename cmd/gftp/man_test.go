package main

import (
	"bytes"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/gftp/gftp/internal/commands"
)

// The man page lists every in-session command of the table (name, usage,
// help, aliases), every flag of gftp and of its subcommands, and the
// exit codes: it is made from the same tree and table as --help and help.
func TestManPage(t *testing.T) {
	code, page, stderr := runGftp(t, "", "__man")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(page, ".TH GFTP 1 ") {
		t.Errorf("no .TH header: %.80q", page)
	}
	for _, section := range []string{"NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "SUBCOMMANDS", "COMMANDS", "CONFIGURATION", "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"} {
		if !strings.Contains(page, "\n.SH "+section+"\n") {
			t.Errorf("no %s section", section)
		}
	}
	for _, c := range commands.Default().Commands() {
		entry := ".TP\n\\fB" + roffText(c.Name) + "\\fR"
		if c.Usage != "" {
			entry += " " + roffText(c.Usage)
		}
		entry += "\n" + roffText(strings.TrimSuffix(c.Help, "."))
		if !strings.Contains(page, entry) {
			t.Errorf("the page lacks command %q: want %q", c.Name, entry)
		}
		for _, a := range c.Aliases {
			if !strings.Contains(page, roffText(a)) {
				t.Errorf("the page lacks alias %q of %s", a, c.Name)
			}
		}
	}
	root := newRootCmd(Streams{}, commands.Default(), false, func(config) error { return nil })
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()
	var flags int
	check := func(where string, f *pflag.Flag) {
		flags++
		if !strings.Contains(page, `\fB\-\-`+roffText(f.Name)+`\fR`) {
			t.Errorf("the page lacks %s flag --%s", where, f.Name)
		}
		if f.Shorthand != "" && !strings.Contains(page, `\fB\-`+f.Shorthand+`\fR, \fB\-\-`+roffText(f.Name)) {
			t.Errorf("the page lacks -%s for --%s", f.Shorthand, f.Name)
		}
	}
	root.Flags().VisitAll(func(f *pflag.Flag) { check("gftp", f) })
	for _, sub := range root.Commands() {
		for _, c := range append(sub.Commands(), sub) {
			if !c.Hidden && c.Name() != "help" {
				c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
					if f.Name != "help" {
						check(c.CommandPath(), f)
					}
				})
			}
		}
	}
	if flags < 30 {
		t.Errorf("only %d flags checked", flags)
	}
	for _, want := range []string{".B \"gftp probe\"\n[flags] host [port]", ".SS \"gftp completion bash|fish|powershell|zsh\"", "\n.B 143\nterminated"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// groff, where there is one, finds no mistake in it.
	if groff, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command(groff, "-man", "-ww", "-z")
		cmd.Stdin = strings.NewReader(page)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil || out.Len() > 0 {
			t.Errorf("groff -man -ww: %v\n%s", err, out.String())
		}
	}
}

// roffText keeps text from being read as roff: escapes, minus signs and
// requests at the start of a line.
func TestRoffText(t *testing.T) {
	for in, want := range map[string]string{
		`C:\dir`:          `C:\edir`,
		"--dry-run":       `\-\-dry\-run`,
		".hidden file":    `\&.hidden file`,
		"a\n'quote\n.x":   "a\n\\&'quote\n\\&.x",
		"in a line. 'ok'": "in a line. 'ok'",
	} {
		if got := roffText(in); got != want {
			t.Errorf("roffText(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := roffArg(`say "hi"`), `"say \(dqhi\(dq"`; got != want {
		t.Errorf("roffArg = %q, want %q", got, want)
	}
}

// The footer names a tag, else the commit; the date is SOURCE_DATE_EPOCH's,
// else the commit's.
func TestManVersionAndDate(t *testing.T) {
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "1a2b3c4d5e6f"}, {Key: "vcs.time", Value: "2026-12-02T06:16:41Z"}}
	for v, want := range map[string]string{
		"v1.2.3": "v1.2.3",
		"v0.0.0-20261202061641-1a2b3c4d5e6f+dirty": "1a2b3c4",
		"v1.2.4-0.20261202061641-1a2b3c4d5e6f":     "1a2b3c4",
		"(devel)":                                  "1a2b3c4",
	} {
		if got := manVersion(&debug.BuildInfo{Main: debug.Module{Version: v}, Settings: rev}); got != want {
			t.Errorf("manVersion(%s) = %q, want %q", v, got, want)
		}
	}
	if got := manVersion(nil); got != "(devel)" {
		t.Errorf("manVersion(nil) = %q", got)
	}
	bi := &debug.BuildInfo{Settings: rev}
	for epoch, want := range map[string]string{"": "2026-12-02", "86400": "1970-01-02", "junk": "2026-12-02"} {
		if got := manDate(epoch, bi); got != want {
			t.Errorf("manDate(%q) = %q, want %q", epoch, got, want)
		}
	}
	if got := manDate("", nil); got != "" {
		t.Errorf("manDate with no build info = %q", got)
	}
}
