package ftp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
)

// listenAnyPort listens on local at a port the kernel picks, or, when it
// finds none, at one of the ephemeral range picked here. The kernel's
// pick takes only ports that no socket holds, and each active upload's
// connection ends in TIME-WAIT on this side, holding its port for a
// minute: an active mput of more files than there are ephemeral ports
// (about 28,000) left it none ("bind: address already in use"), where a
// port named outright is shared with those connections.
func listenAnyPort(local netip.Addr) (*net.TCPListener, error) {
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	lo, hi := ephemeralPorts()
	if ln, lerr := listenIn(local, lo, hi, 64); lerr == nil {
		return ln, nil
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
