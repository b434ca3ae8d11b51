package commands

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gftp/gftp/internal/session"
)

// help prints the command list, or one command's help and usage.
func (t *Table) help(s *session.Session, name string) error {
	if name != "" {
		c, err := t.Find(name)
		if err != nil {
			return err
		}
		s.Printf("%-15s %s\n", c.Name, c.Help)
		s.Printf("usage: %s\n", c.UsageLine())
		if len(c.Aliases) > 0 {
			s.Printf("aliases: %s\n", strings.Join(c.Aliases, ", "))
		}
		return nil
	}
	s.Printf("Commands may be abbreviated. Commands are:\n\n")
	t.WriteSummary(s.Writer())
	return nil
}

// WriteSummary writes one line per command: usage and help. gftp --help
// prints it too, so both list the same commands.
func (t *Table) WriteSummary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, c := range t.cmds {
		name := c.UsageLine()
		if len(c.Aliases) > 0 {
			name += " (" + strings.Join(c.Aliases, ", ") + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", name, c.Help)
	}
	tw.Flush()
}
