package testserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// FTPS in the test server. The proxy terminates the control connection's
// TLS (AUTH TLS, or from the first byte when implicit), so that it still
// sees and records every command; ftpserverlib does the data connections'
// TLS after PROT P. Both use one ticket key, so a data connection can
// resume the control connection's session, and with RequireReuse the
// server refuses one that does not, as vsftpd's require_ssl_reuse does.

// TLSMode is how the test server speaks TLS.
type TLSMode int

const (
	NoTLS       TLSMode = iota
	ExplicitTLS         // AUTH TLS upgrades the control connection
	ImplicitTLS         // TLS from the first byte
)

// TLSOptions configures FTPS. Cert is required when Mode is not NoTLS.
type TLSOptions struct {
	Mode TLSMode
	Cert tls.Certificate
	// Required refuses USER before AUTH TLS and transfers without PROT P
	// (530 and 521), as servers that require TLS do.
	Required bool
	// RequireReuse refuses a data connection that does not resume the
	// control connection's TLS session.
	RequireReuse bool
	// MaxVersion caps the TLS version (tls.VersionTLS12); 0: TLS 1.3.
	MaxVersion uint16
}

// errNotResumed is the data handshake's failure under RequireReuse.
var errNotResumed = errors.New("TLS session of data connection not resumed")

// tlsConfigs makes the proxy's (control) and ftpserverlib's (data) server
// configurations, sharing one ticket key.
func tlsConfigs(o TLSOptions) (ctrl, data *tls.Config, err error) {
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, nil, fmt.Errorf("testserver: ticket key: %w", err)
	}
	ctrl = &tls.Config{Certificates: []tls.Certificate{o.Cert}, MaxVersion: o.MaxVersion, MinVersion: tls.VersionTLS12}
	ctrl.SetSessionTicketKeys([][32]byte{key})
	data = ctrl.Clone()
	data.SetSessionTicketKeys([][32]byte{key})
	if o.RequireReuse {
		data.VerifyConnection = func(cs tls.ConnectionState) error {
			if !cs.DidResume {
				return errNotResumed
			}
			return nil
		}
	}
	return ctrl, data, nil
}

// SelfSigned makes a certificate for 127.0.0.1, ::1 and localhost, valid
// for a day, and returns it with its PEM (to trust it) and the SHA-256
// fingerprint of its DER form.
func SelfSigned() (tls.Certificate, []byte, [32]byte, error) {
	var none [32]byte
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, none, fmt.Errorf("testserver: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, nil, none, fmt.Errorf("testserver: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "gftp test server"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
		IsCA:         true,

		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, none, fmt.Errorf("testserver: certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), sha256.Sum256(der), nil
}
