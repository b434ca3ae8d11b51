//go:build !unix

package ftp

import (
	"net"
	"testing"
)

// refusingPort is a port on 127.0.0.1 that refused connections when it
// was chosen. (Without the unix socket calls it is not held: another
// listener could take it before the dial, which is rare.)
func refusingPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
