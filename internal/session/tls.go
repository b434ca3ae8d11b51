package session

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/safe"
)

// TLSMode is how a session protects its connections (RFC 4217).
type TLSMode int

const (
	// TLSOff: plaintext, the classic ftp(1).
	TLSOff TLSMode = iota
	// TLSExplicit: AUTH TLS before the login, then PBSZ 0 and PROT P.
	TLSExplicit
	// TLSImplicit: TLS from the first byte (port 990 by default).
	TLSImplicit
	// TLSAuto: explicit when FEAT offers AUTH TLS, else plaintext with a
	// warning.
	TLSAuto
)

// ParseTLSMode reads "off", "explicit", "implicit" or "auto".
func ParseTLSMode(s string) (TLSMode, error) {
	switch strings.ToLower(s) {
	case "off", "no", "none":
		return TLSOff, nil
	case "explicit", "on", "yes":
		return TLSExplicit, nil
	case "implicit":
		return TLSImplicit, nil
	case "auto":
		return TLSAuto, nil
	}
	return TLSOff, fmt.Errorf("unknown TLS mode %q (want off, explicit, implicit or auto)", s)
}

func (m TLSMode) String() string {
	return [...]string{"off", "explicit", "implicit", "auto"}[m]
}

// TLSOptions are the user's TLS settings.
type TLSOptions struct {
	Mode TLSMode
	// ClearData asks for plaintext data connections (PROT C), for a
	// firewall or server that needs them; the login is still protected.
	ClearData bool
	// CAFile adds the certificates of a PEM file to the system's roots.
	CAFile string
	// Fingerprint trusts exactly the certificate with this SHA-256
	// fingerprint ("SHA256:" and base64, as printed, or hex), signed by
	// anyone or self-signed; any other certificate fails.
	Fingerprint string
	// Insecure accepts any certificate: the connection is encrypted but
	// the server is not known to be who it says.
	Insecure bool
	// MaxVersion caps the TLS version (tls.VersionTLS12); 0: TLS 1.3.
	MaxVersion uint16
}

// tlsMode is the TLS mode of the connection open: the one its URL or
// bookmark named, else the user's.
func (s *Session) tlsMode() TLSMode {
	if s.tlsFor != nil {
		return *s.tlsFor
	}
	return s.opts.TLS.Mode
}

// tlsConfig is the TLS configuration for a connection to the session's
// host. The certificate is checked here (VerifyConnection), not by
// crypto/tls, so that a failure can name its fingerprint.
func (s *Session) tlsConfig() (*tls.Config, error) {
	o := s.opts.TLS
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", o.CAFile)
		}
	}
	if s.bm != nil && s.bm.TLSFingerprint != "" {
		o.Fingerprint = s.bm.TLSFingerprint
	}
	var pin []byte
	if o.Fingerprint != "" {
		if pin, err = ParseFingerprint(o.Fingerprint); err != nil {
			return nil, fmt.Errorf("--tls-fingerprint: %w", err)
		}
	}
	hostport := net.JoinHostPort(s.host, s.port)
	known, err := s.known.Lookup(hostport)
	if err != nil {
		return nil, err
	}
	v := peerCheck{host: s.host, hostport: hostport, roots: roots, pin: pin, known: known, insecure: o.Insecure, record: s.trusting}
	return &tls.Config{
		ServerName:         s.host,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         o.MaxVersion,
		InsecureSkipVerify: true, // verified in VerifyConnection, the same way and more
		VerifyConnection:   v.verify,
	}, nil
}

// peerCheck is how a connection's server certificate is checked.
type peerCheck struct {
	host, hostport string
	roots          *x509.CertPool
	pin            []byte // --tls-fingerprint or the bookmark's
	known          string // the fingerprint trusted before (KnownHosts)
	insecure       bool
	record         *x509.Certificate // gftp trust: take any, and keep it here
}

// verify checks the server's certificate: a pinned fingerprint, else the
// roots and the host name (an address against the IP SANs), else the
// fingerprint the user trusted before for this host and port.
func (v peerCheck) verify(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("the server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.Raw)
	fp := Fingerprint(sum[:])
	untrusted := &UntrustedError{Host: v.host, HostPort: v.hostport, Fingerprint: fp, Cert: leaf}
	switch {
	case v.pin != nil:
		if string(sum[:]) == string(v.pin) {
			return nil
		}
		untrusted.Changed = true
		return untrusted
	case v.record != nil:
		*v.record = *leaf
		return nil
	case v.insecure:
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: v.host, Roots: v.roots, Intermediates: inter})
	switch {
	case err == nil, v.known == fp:
		return nil
	case v.known != "":
		untrusted.Changed, untrusted.Was = true, v.known
	}
	untrusted.Err = err
	return untrusted
}

// Fingerprint formats a SHA-256 sum as ssh does: "SHA256:" and base64.
func Fingerprint(sum []byte) string {
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum)
}

// ParseFingerprint reads "SHA256:" and base64 (as Fingerprint writes it),
// or the 64 hex digits other tools print, with or without colons.
func ParseFingerprint(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b64, ok := strings.CutPrefix(s, "SHA256:"); ok {
		if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "=")); err == nil && len(b) == sha256.Size {
			return b, nil
		}
	}
	if b, err := hex.DecodeString(strings.ReplaceAll(s, ":", "")); err == nil && len(b) == sha256.Size {
		return b, nil
	}
	return nil, fmt.Errorf("%q is not a SHA-256 fingerprint (want SHA256:<base64>, as gftp prints it, or 64 hex digits)", s)
}

// UntrustedError is a server certificate that is not trusted: not signed
// by a known authority for this host, or not the one pinned or trusted
// before.
type UntrustedError struct {
	Host, HostPort, Fingerprint string
	Cert                        *x509.Certificate
	// Changed: not the certificate pinned (--tls-fingerprint), or not the
	// one trusted before (Was, from KnownHosts).
	Changed bool
	Was     string
	Err     error
}

func (e *UntrustedError) Error() string {
	trust := "gftp trust " + e.HostPort
	if h, p, err := net.SplitHostPort(e.HostPort); err == nil {
		trust = "gftp trust " + h + " " + p
	}
	switch {
	case e.Changed && e.Was != "":
		return fmt.Sprintf("the certificate of %s has CHANGED since you trusted it (it was %s, it is %s): someone may be between you and the server; if you know the server's certificate changed, run: %s",
			e.HostPort, e.Was, e.Fingerprint, trust)
	case e.Changed:
		return fmt.Sprintf("the certificate of %s is NOT the one you trust: its fingerprint is %s; if the server's certificate really changed, check the new one and pass --tls-fingerprint %s",
			e.Host, e.Fingerprint, e.Fingerprint)
	}
	return fmt.Sprintf("the certificate of %s is not trusted (%v); its fingerprint is %s; if you trust it, pass --tls-fingerprint %s, or run: %s",
		e.Host, certCause(e.Err), e.Fingerprint, e.Fingerprint, trust)
}

// describe is the certificate's owner, issuer and validity, for a person
// deciding whether to trust it.
func describe(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	return fmt.Sprintf("Subject: %s\nIssuer: %s\nNames: %s\nValid: %s to %s\n",
		safe.Visible(c.Subject.String()), safe.Visible(c.Issuer.String()), safe.Visible(strings.Join(names, ", ")),
		c.NotBefore.Format(time.DateOnly), c.NotAfter.Format(time.DateOnly))
}

func (e *UntrustedError) Unwrap() error { return e.Err }

// certCause says what x509 found wrong, in words.
func certCause(err error) string {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return "it is signed by an unknown authority, or by itself"
	case errors.As(err, &hn):
		return "it is for another host: " + strings.TrimPrefix(hn.Error(), "x509: ")
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return "it has expired or is not valid yet"
	case err != nil:
		return strings.TrimPrefix(err.Error(), "x509: ")
	}
	return "unknown reason"
}

// secure protects a link's new control connection before anything
// secret goes over it: AUTH TLS (explicit, or auto when FEAT offers it).
// A server that refuses is left before the login: the password is never
// sent in plaintext when TLS was asked for.
func (l *link) secure(ctx context.Context) error {
	s := l.s
	switch s.tlsMode() {
	case TLSOff, TLSImplicit:
		return nil
	case TLSAuto:
		// A parallel link follows the main link's finding (kept apart
		// from the main link's connection, which its own reconnect may
		// be replacing meanwhile).
		switch found := s.autoTLS.Load(); {
		case l != s.main && found == autoTLSOff:
			return nil
		case l != s.main && found == autoTLSOn:
		default:
			f, err := l.conn.Features(s.own(ctx))
			if err != nil && l.lost(err) {
				return &ConnectError{Err: err}
			}
			l.conn.ForgetFeatures() // they may differ once logged in
			if !offersTLS(f) {
				if l == s.main {
					s.autoTLS.Store(autoTLSOff)
					s.Warnf("%s does not offer TLS (no AUTH TLS in its FEAT); going on in plaintext, password included", s.host)
				}
				return nil
			}
		}
	}
	err := l.conn.AuthTLS(s.own(ctx))
	if err == nil {
		if l == s.main {
			s.autoTLS.Store(autoTLSOn)
		}
		return nil
	}
	var re *ftp.ReplyError
	var ue *UntrustedError
	switch {
	case errors.As(err, &ue):
		return &LoginError{Err: ue}
	case errors.As(err, &re):
		return &LoginError{Err: fmt.Errorf("the server refused TLS (%w); the password was not sent", err)}
	case l.lost(err):
		return &ConnectError{Err: err}
	}
	return &LoginError{Err: err}
}

// What --tls auto found on the session's server: its main link's, which
// the others follow.
const (
	autoTLSUnknown int32 = iota
	autoTLSOn
	autoTLSOff
)

// offersTLS reports whether a FEAT list offers AUTH TLS (RFC 4217 §6:
// "AUTH TLS", often with other mechanisms: "AUTH TLS;SSL").
func offersTLS(f map[string]string) bool {
	for _, m := range strings.FieldsFunc(strings.ToUpper(f["AUTH"]), func(r rune) bool { return r == ';' || r == ' ' || r == ',' }) {
		if m == "TLS" || m == "TLS-C" {
			return true
		}
	}
	return false
}

// protect sets the data connections' protection after login, when the
// control connection is TLS: PROT P, or PROT C when asked.
func (l *link) protect(ctx context.Context) error {
	if _, ok := l.conn.TLS(); !ok {
		return nil
	}
	if err := l.conn.Protect(l.s.own(ctx), !l.s.opts.TLS.ClearData); err != nil {
		if l.lost(err) {
			return &ConnectError{Err: err}
		}
		return &LoginError{Err: fmt.Errorf("protecting the data connections: %w", err)}
	}
	return nil
}

// tlsStatus describes the main link's TLS for status.
func (s *Session) tlsStatus() string {
	if !s.Connected() {
		return "TLS: " + s.tlsMode().String() + "."
	}
	st, ok := s.main.conn.TLS()
	if !ok {
		return "TLS: none; the connection, password included, is in plaintext."
	}
	data := "data connections protected (PROT P)"
	if !s.main.conn.DataProtected() {
		data = "data connections in plaintext (PROT C)"
	}
	if !s.main.loggedIn {
		data = "data protection set after login"
	}
	return fmt.Sprintf("TLS: %s, %s; %s.", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), data)
}

// tlsScheme reads an ftps:// (implicit) or ftpes:// (explicit) prefix off
// a host, and the TLS mode it names; ftp:// names plaintext.
func tlsScheme(host string) (string, *TLSMode) {
	for prefix, m := range map[string]TLSMode{"ftps://": TLSImplicit, "ftpes://": TLSExplicit, "ftp://": TLSOff} {
		if len(host) > len(prefix) && strings.EqualFold(host[:len(prefix)], prefix) {
			return strings.TrimSuffix(host[len(prefix):], "/"), &m
		}
	}
	return host, nil
}

// SetTLS shows the connection's TLS, or sets the mode of the next open
// (the connection open keeps its own: TLS cannot be taken back, and
// turning it on mid-session is not worth its corner cases).
func (s *Session) SetTLS(arg string) error {
	if arg != "" {
		m, err := ParseTLSMode(arg)
		if err != nil {
			return fmt.Errorf("tls: %w", err)
		}
		s.opts.TLS.Mode = m
		if s.Connected() {
			s.printf("TLS for the next open: %s.\n", m)
			return nil
		}
	}
	s.printf("%s\n", s.tlsStatus())
	return nil
}

// askTrust offers, at the prompt, to trust a certificate no authority
// vouches for, and remembers it when the user agrees. It reports whether
// to connect again. Never in scripts (no confirm asker), never for a
// certificate that changed.
func (s *Session) askTrust(err error) bool {
	var ue *UntrustedError
	if s.confirm == nil || s.known == nil || !errors.As(err, &ue) || ue.Changed || ue.Cert == nil {
		return false
	}
	s.printf("The certificate of %s is not trusted: %s.\n%sFingerprint: %s\n", ue.HostPort, certCause(ue.Err), describe(ue.Cert), ue.Fingerprint)
	ans, aerr := s.confirm.Ask(fmt.Sprintf("Trust it, and remember it in %s? [y/N] ", s.known.Path))
	if aerr != nil || !strings.EqualFold(strings.TrimSpace(ans), "y") && !strings.EqualFold(strings.TrimSpace(ans), "yes") {
		return false
	}
	if err := s.known.Add(ue.HostPort, ue.Fingerprint); err != nil {
		s.Warnf("%v", err)
		return false
	}
	return true
}

// Trust connects to host (TLS as the session's options say; explicit
// when they say off), shows the server's certificate and remembers it as
// trusted for that host and port: for scripts, which never ask.
func (s *Session) Trust(ctx context.Context, host, port string) error {
	if s.known == nil {
		return errors.New("no file to remember trusted certificates in (no home or state directory)")
	}
	if s.opts.TLS.Mode == TLSOff || s.opts.TLS.Mode == TLSAuto {
		s.opts.TLS.Mode = TLSExplicit
	}
	var cert x509.Certificate
	s.trusting = &cert
	defer func() { s.trusting = nil }()
	login := s.opts.AutoLogin
	s.opts.AutoLogin = false
	err := s.Open(ctx, host, port)
	s.opts.AutoLogin = login
	if err != nil {
		return err
	}
	defer s.Close(ctx)
	if cert.Raw == nil {
		return errors.New("the server sent no certificate")
	}
	sum := sha256.Sum256(cert.Raw)
	fp := Fingerprint(sum[:])
	hostport := net.JoinHostPort(s.host, s.port)
	s.printf("%s\n%sFingerprint: %s\n", hostport, describe(&cert), fp)
	if err := s.known.Add(hostport, fp); err != nil {
		return err
	}
	s.printf("Trusted: stored in %s.\n", s.known.Path)
	return nil
}
