package commands

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Every command name of tnftp's (testdata/tnftp-commands.txt, from its
// help) is a command here, by that exact name: implemented, or saying why
// not. None is "unknown command" to an ftp(1) user.
func TestTnftpCommandNames(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "tnftp-commands.txt"))
	if err != nil {
		t.Fatal(err)
	}
	tab := Default()
	names := 0
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		names++
		c, ok := tab.names[l]
		if !ok {
			t.Errorf("tnftp's %q is not a command here", l)
			continue
		}
		if c.Run == nil || c.Help == "" || c.Group == "" {
			t.Errorf("%q (%s): no handler, help or group", l, c.Name)
		}
	}
	if names < 100 {
		t.Errorf("only %d names read from the test data", names)
	}
	for _, c := range tab.Commands() {
		if c.Group == "" || !slices.Contains(groupOrder(), c.Group) {
			t.Errorf("%s: group %q is not one help shows", c.Name, c.Group)
		}
	}
}

// help CMD gives an example for every command.
func TestEveryCommandHasAnExample(t *testing.T) {
	for _, c := range Default().Commands() {
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: no example for help %s", c.Name, c.Name)
		}
	}
}
