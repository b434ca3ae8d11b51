package commands

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gftp/gftp/internal/session"
)

// help prints the command list by group, or one command's help, usage,
// aliases and example.
func (t *Table) help(s *session.Session, name string) error {
	if name != "" {
		c, err := t.Find(name)
		if err != nil {
			return err
		}
		w := s.Writer()
		fmt.Fprintf(w, "%s: %s\n", c.Name, c.Help)
		fmt.Fprintf(w, "usage: %s\n", c.UsageLine())
		if len(c.Aliases) > 0 {
			fmt.Fprintf(w, "aliases: %s\n", strings.Join(c.Aliases, ", "))
		}
		if c.Example != "" {
			fmt.Fprintf(w, "example:\n")
			for l := range strings.SplitSeq(c.Example, "\n") {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
		return nil
	}
	s.Printf("Commands may be abbreviated. Commands are:\n")
	t.writeGroups(s.Writer(), func(tw io.Writer, cmds []*Command) {
		for i, c := range cmds {
			sep := "\t"
			if i%6 == 5 || i == len(cmds)-1 {
				sep = "\n"
			}
			fmt.Fprintf(tw, "  %s%s", c.Name, sep)
		}
	})
	s.Printf("\nhelp COMMAND shows its usage and an example.\n")
	return nil
}

// WriteSummary writes the commands by group, one line each: name,
// aliases and help. gftp --help prints it too, so both list the same
// commands.
func (t *Table) WriteSummary(w io.Writer) {
	t.writeGroups(w, func(tw io.Writer, cmds []*Command) {
		for _, c := range cmds {
			name := c.Name
			if len(c.Aliases) > 0 {
				name += " (" + strings.Join(c.Aliases, ", ") + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\n", name, c.Help)
		}
	})
}

// Group is a heading of help and its commands, by name.
type Group struct {
	Name     string
	Commands []*Command
}

// Groups lists the commands as help shows them: by group, in help's
// order, each sorted by name (the man page lists them so too).
func (t *Table) Groups() []Group {
	var out []Group
	for _, g := range groupOrder() {
		var cmds []*Command
		for _, c := range t.cmds {
			if c.Group == g {
				cmds = append(cmds, c)
			}
		}
		if len(cmds) > 0 {
			slices.SortFunc(cmds, func(a, b *Command) int { return strings.Compare(a.Name, b.Name) })
			out = append(out, Group{Name: g, Commands: cmds})
		}
	}
	return out
}

// writeGroups writes each group's heading and its commands (by each).
func (t *Table) writeGroups(w io.Writer, each func(tw io.Writer, cmds []*Command)) {
	for _, g := range t.Groups() {
		fmt.Fprintf(w, "\n%s:\n", g.Name)
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		each(tw, g.Commands)
		tw.Flush()
	}
}
