package script

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/safe"
)

// The line editor prints the candidates and inserts their common prefix
// as they are: none may carry a control character, whether a server's
// name (remote) or a local file's (which mget may have named so).
func TestCompletionSkipsControls(t *testing.T) {
	evil := []string{"evil\x1b]0;PWNED\x07x", "evil\x1b[31mred", "evil\ttab", "evil\u202eexe.txt"}
	local := t.TempDir()
	for _, n := range append(evil, "evilok") {
		if err := os.WriteFile(filepath.Join(local, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &completer{
		t:        commands.Default(),
		localDir: func() string { return local },
		remote: func(prefix string) []string {
			var out []string
			for _, n := range append(evil, "evilok") {
				out = append(out, n+" ")
			}
			return out
		},
	}
	for _, line := range []string{"get ev", "put ev"} {
		got, n := c.Do([]rune(line), len(line))
		if n != 2 || len(got) != 1 || string(got[0]) != "ilok " {
			var shown []string
			for _, g := range got {
				shown = append(shown, safe.Visible(string(g)))
			}
			t.Errorf("%q: %q (%d), want [\"ilok \"] (2)", line, shown, n)
		}
	}
}
