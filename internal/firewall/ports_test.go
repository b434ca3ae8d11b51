//go:build linux

package firewall

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An mput of more files than the client has local ports for: each
// upload's data connection ends in TIME-WAIT on the client (gftp closes
// first), holding its port for a minute. The client namespace has 50
// ports to give, and no firewall; each mode gets a lab of its own.
//   - passive: the next data connection must still get a port, as
//     connect alone finds one (the server's 100 passive ports make as
//     many different address pairs). One bound before the connect (Go's
//     DialTCP binds even a zero local address) needs a port no socket
//     holds: it failed after 49 files ("bind: address already in use").
//   - active: the listener's port. The kernel's own pick (port 0) takes
//     only free ports, and found none after about 50 files; a port named
//     outright is shared with the TIME-WAIT of connections gftp's
//     listeners accepted (SO_REUSEADDR).
func TestManyUploadsFewPorts(t *testing.T) {
	requireLab(t)
	removeStaleNamespaces(t)
	acct := ensureAccount(t)
	const files = 150
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			l := newLab(t, "open", acct)
			sh(t, "ip", "netns", "exec", l.client, "sysctl", "-q", "net.ipv4.ip_local_port_range=50000 50049")
			l.reset(t)
			for i := range files {
				if err := os.WriteFile(filepath.Join(l.local, fmt.Sprintf("many%03d", i)), []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			script := strings.Join([]string{"open " + serverAddr, "user " + l.acct.name + " " + l.acct.pass,
				"binary", "cd bakdir", "mput many*"}, "\n") + "\n"
			r := l.run(t, script, "-in", "--mode", mode)
			wantExit(t, r, 0)
			got := 0
			for name, b := range l.serverFiles(t) {
				var i int
				if _, err := fmt.Sscanf(name, "many%03d", &i); err == nil && string(b) == fmt.Sprintf("file %d\n", i) {
					got++
				}
			}
			if got != files {
				t.Errorf("%d of %d files uploaded whole", got, files)
			}
		})
	}
}
