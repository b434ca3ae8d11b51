package ftp

import (
	"fmt"
	"net/netip"
	"strconv"
)

// ParsePASV parses the text of a 227 reply (with or without the "227 "
// prefix). It takes the first run of six comma-separated numbers
// h1,h2,h3,h4,p1,p2 found anywhere in the text, because servers disagree
// on the surrounding text and some omit the parentheses
// ("227 =127,0,0,1,4,10"). Spaces after the commas are tolerated. Each
// number must be 0..255 and the port must not be 0.
//
// The address is returned as the server sent it. Servers behind NAT often
// send a private or 0.0.0.0 address; replacing it with the control
// connection's peer is the caller's decision.
func ParsePASV(text string) (netip.AddrPort, error) {
	for i := 0; i < len(text); i++ {
		// Only start at the beginning of a number, never in its middle.
		if !addrIsDigit(text[i]) || (i > 0 && addrIsDigit(text[i-1])) {
			continue
		}
		nums, ok := addrSixNumbers(text[i:])
		if !ok {
			continue
		}
		var b [6]byte
		for k, n := range nums {
			if n > 255 {
				return netip.AddrPort{}, fmt.Errorf("PASV reply %q: number %d out of range", replyTruncate(text, 80), n)
			}
			b[k] = byte(n)
		}
		port := uint16(b[4])<<8 | uint16(b[5])
		if port == 0 {
			return netip.AddrPort{}, fmt.Errorf("PASV reply %q: port 0", replyTruncate(text, 80))
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), port), nil
	}
	return netip.AddrPort{}, fmt.Errorf("malformed PASV reply %q", replyTruncate(text, 80))
}

// addrSixNumbers reads six comma-separated decimal numbers from the start
// of s. Numbers are capped so that a long digit run cannot overflow; any
// value above 255 is reported by the caller as out of range.
func addrSixNumbers(s string) ([6]int, bool) {
	var nums [6]int
	pos := 0
	for k := range 6 {
		if k > 0 {
			for pos < len(s) && s[pos] == ' ' {
				pos++
			}
			if pos >= len(s) || s[pos] != ',' {
				return nums, false
			}
			pos++
			for pos < len(s) && s[pos] == ' ' {
				pos++
			}
		}
		start := pos
		n := 0
		for pos < len(s) && addrIsDigit(s[pos]) {
			if n <= 255 {
				n = n*10 + int(s[pos]-'0')
			}
			pos++
		}
		if pos == start {
			return nums, false
		}
		nums[k] = n
	}
	return nums, true
}

// ParseEPSV parses the text of a 229 reply, "Entering Extended Passive
// Mode (|||6446|)", and returns the port. Per RFC 2428 the delimiter may
// be any printable ASCII character 33..126; we exclude digits, which would
// make the port ambiguous. The three delimiters before the port and the one
// after it must be the same character, and the port must be 1..65535. The
// pattern is looked for anywhere in the text, so the "229 " prefix and the
// parentheses are optional.
func ParseEPSV(text string) (int, error) {
	for i := 0; i+4 < len(text); i++ {
		d := text[i]
		if d < 33 || d > 126 || addrIsDigit(d) || text[i+1] != d || text[i+2] != d {
			continue
		}
		j := i + 3
		for j < len(text) && addrIsDigit(text[j]) {
			j++
		}
		if j == i+3 || j >= len(text) || text[j] != d {
			continue
		}
		digits := text[i+3 : j]
		port, err := strconv.Atoi(digits)
		if err != nil || port < 1 || port > 65535 {
			return 0, fmt.Errorf("EPSV reply %q: port %s out of range", replyTruncate(text, 80), replyTruncate(digits, 12))
		}
		return port, nil
	}
	return 0, fmt.Errorf("malformed EPSV reply %q", replyTruncate(text, 80))
}

// FormatPORT formats an IPv4 address (or an IPv4-mapped IPv6 one) and
// port as the argument of PORT: "h1,h2,h3,h4,p1,p2". PORT cannot carry
// IPv6; use EPRT for that.
func FormatPORT(ap netip.AddrPort) (string, error) {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return "", fmt.Errorf("PORT needs an IPv4 address, not %s", ap.Addr())
	}
	b := a.As4()
	p := ap.Port()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", b[0], b[1], b[2], b[3], p>>8, p&0xff), nil
}

// FormatEPRT formats the argument of EPRT (RFC 2428): "|1|132.235.1.2|6275|"
// for IPv4 and "|2|::1|6275|" for IPv6. IPv4-mapped IPv6 addresses are
// written as IPv4 with protocol 1, because that is what the peer sees on
// the wire; an IPv6 zone is dropped since it means nothing to the server.
// ap must hold a valid address.
func FormatEPRT(ap netip.AddrPort) string {
	a := ap.Addr().Unmap().WithZone("")
	proto := 2
	if a.Is4() {
		proto = 1
	}
	return fmt.Sprintf("|%d|%s|%d|", proto, a, ap.Port())
}

func addrIsDigit(c byte) bool { return c >= '0' && c <= '9' }
