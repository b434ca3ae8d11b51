package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
)

// Probe tries each of the four ways of opening a data connection (EPSV,
// PASV, EPRT, PORT) with a tiny listing, and prints which work, how long
// each took, the mode to use and the firewall rules each side needs for
// it. It fails only when no way works.
func (s *Session) Probe(ctx context.Context) error {
	ok := map[ftp.Method]bool{}
	s.printf("Probing data connections to %s (each try waits up to %s):\n", s.main.conn.RemoteAddr(), s.dataTimeout())
	if _, ok := s.main.conn.TLS(); ok {
		// Encrypted, the control connection's PORT and EPSV replies are
		// out of a firewall's FTP helper's sight: it cannot open the
		// data ports for them, so the rules below must.
		s.printf("%s\n", s.tlsStatus())
	}
	for _, m := range []ftp.Method{ftp.EPSV, ftp.PASV, ftp.EPRT, ftp.PORT} {
		d, err := s.main.conn.Probe(ctx, m, "LIST")
		if errors.Is(err, ftp.ErrClosed) || ctx.Err() != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.main.check(err)
		}
		status := "works"
		if err != nil {
			status = "fails: " + oneLine(err)
		}
		ok[m] = err == nil
		s.printf("  %-4s (%s)  %6.2fs  %s\n", m, m.Mode(), d.Seconds(), status)
	}
	server := s.main.conn.RemoteAddr().Addr().Unmap()
	clientRule := "new inbound TCP from the server's port 20"
	if o := s.engineOptions(); o.ActivePortLow > 0 {
		clientRule += fmt.Sprintf(" to ports %d-%d", o.ActivePortLow, o.ActivePortHigh)
	}
	switch {
	case ok[ftp.EPSV] || ok[ftp.PASV]:
		s.printf("Recommended: passive mode (passive on%s).\n", epsvAdvice(ok[ftp.EPSV]))
		s.printf("Firewall rules it needs: the server side admits new inbound TCP to port 21 and to the server's passive ports; this side needs no inbound rule.\n")
	case ok[ftp.EPRT] || ok[ftp.PORT]:
		s.printf("Recommended: active mode (passive off%s): passive data connections do not get through, most likely a firewall in front of the server admitting only ports 20 and 21.\n", epsvAdvice(ok[ftp.EPRT]))
		s.printf("Firewall rules it needs: the server side admits new inbound TCP to port 21 and lets the server connect out from port 20; this side admits %s (iptables -A INPUT -p tcp -s %s --sport 20 -m state --state NEW -j ACCEPT).\n", clientRule, server)
	default:
		return &ftp.DataConnError{Mode: ftp.Passive, Err: fmt.Errorf("no way of opening a data connection works: the server side must admit new inbound TCP to its passive ports (passive mode), or this side must admit %s (active mode)", clientRule)}
	}
	return nil
}

func epsvAdvice(extendedWorks bool) string {
	if extendedWorks {
		return ""
	}
	return ", epsv off"
}

// oneLine flattens an error to one line for a table row.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// dataTimeout is the data timeout in force.
func (s *Session) dataTimeout() time.Duration {
	if d := s.engineOptions().DataTimeout; d > 0 {
		return d
	}
	return ftp.DefaultDataTimeout
}
