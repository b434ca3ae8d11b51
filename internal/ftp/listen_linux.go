package ftp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// listenAnyPort listens on local at a port the kernel picks, or, when it
// finds none, at one of the ephemeral range picked here. The kernel's
// pick takes only ports that no socket holds, and each active upload's
// connection ends in TIME-WAIT on this side, holding its port for a
// minute: an active mput of more files than there are free ephemeral
// ports left it none ("bind: address already in use"). A port named
// outright can be shared with connections in TIME-WAIT that had
// SO_REUSEADDR, as those accepted by gftp's listeners do (Go sets it on
// them), not with those of outgoing connections.
func listenAnyPort(local netip.Addr) (*net.TCPListener, error) {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	lo, hi := ephemeralPorts()
	reserved := reservedPorts()
	n := hi - lo + 1
	start := rand.IntN(n)
	for i, tried := 0, 0; i < n && tried < 64; i++ {
		port := lo + (start+i)%n
		if reserved(port) {
			continue // the admin's: the kernel's pick skips them too
		}
		tried++
		if ln, lerr := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, uint16(port)))); lerr == nil {
			return ln, nil
		}
	}
	return nil, err
}

// ephemeralPorts is the range the kernel takes local ports from
// (net.ipv4.ip_local_port_range, which IPv6 shares); Linux's default when
// it cannot be read.
func ephemeralPorts() (lo, hi int) {
	lo, hi = 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	var l, h int
	if _, err := fmt.Sscan(string(b), &l, &h); err != nil || l < 1 || h > 65535 || l > h {
		return lo, hi
	}
	return l, h
}

// reservedPorts reports the ports of net.ipv4.ip_local_reserved_ports
// ("8080,9000-9010"), which the kernel never picks.
func reservedPorts() func(int) bool {
	b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_reserved_ports")
	return parsePortList(strings.TrimSpace(string(b)))
}

// parsePortList reads a comma-separated list of ports and ranges; what
// it cannot read it leaves out.
func parsePortList(list string) func(int) bool {
	type span struct{ lo, hi int }
	var spans []span
	for _, item := range strings.Split(list, ",") {
		a, b, isRange := strings.Cut(strings.TrimSpace(item), "-")
		lo, err1 := strconv.Atoi(a)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.Atoi(b)
		}
		if err1 == nil && err2 == nil && lo <= hi {
			spans = append(spans, span{lo, hi})
		}
	}
	return func(p int) bool {
		for _, s := range spans {
			if s.lo <= p && p <= s.hi {
				return true
			}
		}
		return false
	}
}
