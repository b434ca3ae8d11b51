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
// first), holding its port for a minute. The next data connection must
// still get a port, as connect alone finds one (the server's 100 passive
// ports make as many different address pairs); one bound before the
// connect (Go's DialTCP binds even a zero local address) needs a port no
// socket holds, and failed after about 50 files ("bind: address already
// in use"). In active mode the listener's port: the kernel's own pick
// (port 0) found none free after 25 files; one named outright is shared
// with the connections in TIME-WAIT. The client namespace has 50 ports
// to give, no firewall.
func TestManyUploadsFewPorts(t *testing.T) {
	requireLab(t)
	removeStaleNamespaces(t)
	l := newLab(t, "open", ensureAccount(t))
	sh(t, "ip", "netns", "exec", l.client, "sysctl", "-q", "net.ipv4.ip_local_port_range=50000 50049")
	l.reset(t)
	const files = 150
	for i := range files {
		if err := os.WriteFile(filepath.Join(l.local, fmt.Sprintf("many%03d", i)), []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script := strings.Join([]string{"open " + serverAddr, "user " + l.acct.name + " " + l.acct.pass,
		"binary", "cd bakdir", "mput many*"}, "\n") + "\n"
	// Passive, then active among the ports the passive run left in
	// TIME-WAIT: each active upload listens on one of the 50 and ends in
	// TIME-WAIT too.
	for _, mode := range []string{"passive", "active"} {
		t.Run(mode, func(t *testing.T) {
			r := l.run(t, script, "-in", "--mode", mode)
			wantExit(t, r, 0)
			got := 0
			for name, b := range l.serverFiles(t) {
				var i int
				if _, err := fmt.Sscanf(name, "many%03d", &i); err == nil && string(b) == fmt.Sprintf("file %d\n", i) {
					got++
					os.Remove(filepath.Join(l.root, "bakdir", name)) // for the next mode
				}
			}
			if got != files {
				t.Errorf("%d of %d files uploaded whole", got, files)
			}
		})
	}
}
