package testserver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

var (
	errBadLogin = errors.New("invalid user or password")
	errNoTLS    = errors.New("TLS is not supported by the test server")
	errIsDir    = errors.New("is a directory")
	errNotDir   = errors.New("not a directory")
)

// driver is ftpserverlib's MainDriver: settings, login and the served folder.
type driver struct {
	settings ftpserver.Settings
	user     string
	password string
	banner   string
	fs       afero.Fs
	sessions *sessionCounter
	data     *closerSet // passive listeners and data connections, closed by Server.Close
	// realIP, when set, is the only local address passive data connections
	// may arrive on: with a bogus PASVHost, a client that dialled the
	// advertised address (also loopback here) must fail, not pass by luck.
	realIP net.IP
	tls    *tls.Config // the data connections' (tls.go), nil without TLS
}

var (
	_ ftpserver.MainDriver                        = (*driver)(nil)
	_ ftpserver.MainDriverExtensionPassiveWrapper = (*driver)(nil)
	_ ftpserver.ClientDriverExtensionRemoveDir    = rootFs{}
)

// newDriver configures ftpserverlib. clientIP maps a backend session's peer
// (the proxy's outgoing address) to the address the real client dialled.
func newDriver(
	opts Options,
	ln net.Listener,
	sessions *sessionCounter,
	check ftpserver.DataConnectionRequirement,
	clientIP func(net.Addr) (net.IP, bool),
) *driver {
	d := &driver{
		user:     opts.User,
		password: opts.Password,
		banner:   strings.Join(opts.Banner, "\n"), // ftpserverlib turns lines into a 220- block
		fs:       rootFs{Fs: afero.NewBasePathFs(afero.NewOsFs(), opts.Root), writeDelay: opts.WriteDelay, readDelay: opts.ReadDelay},
		sessions: sessions,
		data:     newCloserSet(),
	}
	d.settings = ftpserver.Settings{
		Listener: ln,
		// PublicHost wins over PublicIPResolver in ftpserverlib's PASV reply.
		PublicHost:              opts.PASVHost,
		PublicIPResolver:        pasvResolver(clientIP),
		Banner:                  opts.Banner[0], // STAT's first line
		ConnectionTimeout:       wholeSeconds(opts.ConnectionTimeout),
		ActiveTransferPortNon20: true, // binding port 20 would need root
		EnableHASH:              true,
		ActiveConnectionsCheck:  check,
		PasvConnectionsCheck:    check,
	}

	return d
}

// pasvResolver advertises the address the client used to reach the proxy,
// not the loopback address the backend sees, so non-loopback demos work.
func pasvResolver(clientIP func(net.Addr) (net.IP, bool)) ftpserver.PublicIPResolver {
	return func(cc ftpserver.ClientContext) (string, error) {
		if ip, ok := clientIP(cc.RemoteAddr()); ok {
			return ip.String(), nil
		}
		host, _, err := net.SplitHostPort(cc.LocalAddr().String())
		if err != nil {
			return "", fmt.Errorf("local address %v: %w", cc.LocalAddr(), err)
		}

		return host, nil
	}
}

func wholeSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}

// GetSettings returns a fresh copy because ftpserverlib fills in defaults.
func (d *driver) GetSettings() (*ftpserver.Settings, error) {
	s := d.settings

	return &s, nil
}

func (d *driver) ClientConnected(ftpserver.ClientContext) (string, error) {
	return d.banner, nil
}

// ClientDisconnected is called once per accepted backend connection, at the
// end of its session; it balances countingListener's count.
func (d *driver) ClientDisconnected(ftpserver.ClientContext) {
	d.sessions.done()
}

func (d *driver) AuthUser(_ ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	if user != d.user || pass != d.password {
		return nil, errBadLogin
	}

	return d.fs, nil
}

func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.tls == nil {
		return nil, errNoTLS
	}
	return d.tls, nil
}

func (d *driver) WrapPassiveListener(ln net.Listener) (net.Listener, error) {
	if d.realIP != nil {
		ln = &realIPListener{Listener: ln, ip: d.realIP}
	}
	return d.data.wrapListener(ln)
}

// realIPListener drops connections that reached it by another local
// address than ip.
type realIPListener struct {
	net.Listener
	ip net.IP
}

func (l *realIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if la, ok := c.LocalAddr().(*net.TCPAddr); ok && la.IP.Equal(l.ip) {
			return c, nil
		}
		c.Close()
	}
}

// rootFs is the served folder, adjusted to behave like a typical FTP server.
type rootFs struct {
	afero.Fs
	writeDelay time.Duration // before each write to a file, to slow uploads down
	readDelay  time.Duration // before each read from a file, to slow downloads down
}

// OpenFile drops execute bits: ftpserverlib creates uploads with
// os.ModePerm, but servers normally create plain files (0666 &^ umask).
func (f rootFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag&os.O_CREATE != 0 {
		perm &= 0o666
	}

	file, err := f.Fs.OpenFile(name, flag, perm)
	switch {
	case err != nil:
		return file, err
	case flag&(os.O_WRONLY|os.O_RDWR) != 0 && f.writeDelay > 0:
		return slowFile{File: file, delay: f.writeDelay}, nil
	case flag&(os.O_WRONLY|os.O_RDWR) == 0 && f.readDelay > 0:
		return slowReader{File: file, delay: f.readDelay}, nil
	}
	return file, nil
}

// Open is OpenFile for reading, as downloads open files.
func (f rootFs) Open(name string) (afero.File, error) { return f.OpenFile(name, os.O_RDONLY, 0) }

// slowReader delays each read, so tests can act in the middle of a
// download.
type slowReader struct {
	afero.File
	delay time.Duration
}

func (f slowReader) Read(p []byte) (int, error) {
	time.Sleep(f.delay)
	return f.File.Read(p)
}

// slowFile delays each write, so tests can act in the middle of an upload.
type slowFile struct {
	afero.File
	delay time.Duration
}

func (f slowFile) Write(p []byte) (int, error) {
	time.Sleep(f.delay)
	return f.File.Write(p)
}

// Remove backs DELE, which must not delete directories.
func (f rootFs) Remove(name string) error {
	if info, err := f.Stat(name); err == nil && info.IsDir() {
		return &os.PathError{Op: "remove", Path: name, Err: errIsDir}
	}

	return f.Fs.Remove(name)
}

// RemoveDir backs RMD, which must not delete files.
func (f rootFs) RemoveDir(name string) error {
	info, err := f.Stat(name)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return &os.PathError{Op: "rmdir", Path: name, Err: errNotDir}
	}

	return f.Fs.Remove(name)
}
