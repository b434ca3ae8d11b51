package main

// URLs on the command line: tnftp's auto-fetch.
//
//	gftp ftp://[user[:password]@]host[:port]/path/file[;type=a|i] ...
//	gftp -o FILE ftp://host/file     (-o -: to stdout)
//	gftp ftp://host/dir/             (the prompt, or stdin's script, in dir)
//	gftp -u ftp://host/dir/ FILE...  (upload)
//
// The path is read as tnftp reads it (RFC 1738, RFC 3986): the '/' after
// the host only separates; each segment before the last is one CWD and
// the last is the file; %XX is decoded after the split, so "a%2Fb" is one
// CWD "a/b" and "%2Fetc" is "CWD /etc". The path starts in the login
// directory.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/netrc"
	"github.com/gftp/gftp/internal/safe"
	"github.com/gftp/gftp/internal/session"
)

const urlHelp = `URLs (tnftp's auto-fetch):
  gftp ftp://[user[:password]@]host[:port]/path/file   download to the current directory, then exit
  gftp -o FILE ftp://host/path/file                    download to FILE (-o -: to stdout)
  gftp ftp://host/dir/                                 the prompt (or stdin's script) in dir
  gftp -u ftp://host/dir/ FILE...                      upload FILEs into dir
  ftps:// is implicit TLS, ftpes:// explicit, ftp:// as --tls says; ;type=a or ;type=i
  sets the transfer type.
  Each path segment is one cd (%2F is a '/' within one); without a user, the host's
  .netrc entry logs in, else anonymous.`

// anonymousPassword is what tnftp sends as an anonymous user's password
// when $FTPANONPASS is not set (tnftp 20210827 sends "anonymous@", not the
// "`whoami`@" its man page says), so a server's log sees the same.
const anonymousPassword = "anonymous@"

// ftpURL is one ftp://, ftps:// or ftpes:// URL from the command line,
// decoded.
type ftpURL struct {
	Scheme               string // "ftp", "ftps" or "ftpes", in lower case
	User, Password       string
	HasUser, HasPassword bool     // given in the URL (either may be "")
	Host                 string   // a name or an address; IPv6 without brackets
	Port                 string   // "": the scheme's default (21, 990 for ftps)
	Dirs                 []string // the segments before the last, decoded: one CWD each
	File                 string   // the last segment; "": a directory URL
	Type                 byte     // 'a' or 'i' from ;type=, 0 when not given
	// bare is a URL with no user and no path, not even "/": "gftp
	// ftps://host" was a host before URLs were, and still opens it
	// as `gftp host` does, logging in as open does.
	bare bool
	// shown is the URL as typed, with the password masked: the only form
	// of it that messages and the log may carry.
	shown string
}

// isURL reports whether a command-line argument is a URL rather than a
// host: it names a scheme ("ftp:/", a typo for "ftp://", is a URL too, so
// that its password is not looked up as a host name), or has a "://".
func isURL(arg string) bool {
	c := strings.Index(arg, ":")
	return c > 0 && validScheme(arg[:c]) && strings.HasPrefix(arg[c+1:], "/") || strings.Contains(arg, "://")
}

// validScheme reports whether s can be a scheme (RFC 3986 section 3.1).
func validScheme(s string) bool {
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// urlStart splits raw into its scheme and what follows "://"; ok is false
// when raw does not start with a scheme and "://".
func urlStart(raw string) (scheme, rest string, ok bool) {
	c := strings.Index(raw, ":")
	if c <= 0 || !validScheme(raw[:c]) || !strings.HasPrefix(raw[c:], "://") {
		return "", "", false
	}
	return raw[:c], raw[c+3:], true
}

// urlError is a malformed URL: a usage error (exit 2) in one line, naming
// what is wrong and showing the URL with its password masked.
func urlError(raw, why string) error {
	return &commands.UsageError{Msg: fmt.Sprintf("bad URL %s: %s", maskURL(raw), why)}
}

// maskURL hides the password of a URL that may not parse, for messages,
// by commands.MaskUserinfo's rule (the one the history uses too).
func maskURL(raw string) string {
	if _, _, ok := urlStart(raw); !ok {
		// Not even "scheme://": anything after the scheme may be a
		// password.
		if c := strings.Index(raw, ":"); c > 0 && validScheme(raw[:c]) {
			return raw[:c] + ":****"
		}
		return "****"
	}
	return commands.MaskUserinfo(raw)
}

// parseURL reads an ftp://, ftps:// or ftpes:// URL. Every error is a
// *commands.UsageError that never quotes the password.
func parseURL(raw string) (*ftpURL, error) {
	scheme, rest, ok := urlStart(raw)
	if !ok {
		return nil, urlError(raw, "want ftp://, ftps:// or ftpes:// and the host (tnftp's host:path form is not taken: write ftp://host/path)")
	}
	u := &ftpURL{Scheme: strings.ToLower(scheme), shown: maskURL(raw)}
	switch u.Scheme {
	case "ftp", "ftps", "ftpes":
	default:
		return nil, urlError(raw, fmt.Sprintf("unsupported scheme %q (gftp fetches ftp://, ftps:// and ftpes:// URLs)", scheme))
	}
	auth, urlPath, hasPath := strings.Cut(rest, "/")
	hostport := auth
	if at := strings.LastIndex(auth, "@"); at >= 0 {
		user, pass, hasPass := strings.Cut(auth[:at], ":")
		var err error
		if u.User, err = decodeSecret(user); err != nil {
			return nil, urlError(raw, "the user name "+err.Error())
		}
		if u.User == "" {
			return nil, urlError(raw, "the user name before '@' is empty")
		}
		if hasPass {
			if u.Password, err = decodeSecret(pass); err != nil {
				return nil, urlError(raw, "the password "+err.Error())
			}
		}
		u.HasUser, u.HasPassword, hostport = true, hasPass, auth[at+1:]
	} else if commands.SlashInUserInfo(auth, rest) {
		return nil, urlError(raw, "an '@' after host:port; write a '/' in a user name or password as %2F, an '@' in a path as %40")
	}
	if err := u.parseHostPort(hostport); err != nil {
		return nil, urlError(raw, err.Error())
	}
	if !hasPath {
		u.bare = !u.HasUser
		return u, nil
	}
	if j := strings.LastIndex(urlPath, ";"); j >= 0 && strings.HasPrefix(strings.ToLower(urlPath[j:]), ";type=") {
		t := urlPath[j+len(";type="):]
		switch strings.ToLower(t) {
		case "a", "i":
			u.Type = strings.ToLower(t)[0]
		default:
			return nil, urlError(raw, fmt.Sprintf("unknown transfer type ;type=%s (want a for ascii or i for binary)", t))
		}
		urlPath = urlPath[:j]
	}
	segs := strings.Split(urlPath, "/")
	for k, seg := range segs {
		name, err := decodePath(seg)
		if err != nil {
			return nil, urlError(raw, err.Error())
		}
		switch {
		case k == len(segs)-1:
			u.File = name
		case name != "":
			u.Dirs = append(u.Dirs, name)
		case k == 0:
			// "ftp://host//etc/motd": an empty first segment is the
			// root, as curl reads it; tnftp would send a CWD with no
			// directory, which no server takes.
			u.Dirs = append(u.Dirs, "/")
		}
		// An empty segment further on ("a//b") is skipped, as a shell
		// skips it in a local path.
	}
	return u, nil
}

// parseHostPort reads "host", "host:port", "[v6]" or "[v6]:port".
func (u *ftpURL) parseHostPort(hp string) error {
	host, port := hp, ""
	if strings.HasPrefix(hp, "[") {
		end := strings.Index(hp, "]")
		if end < 0 {
			return errors.New("no ']' after the IPv6 address")
		}
		host, port = hp[1:end], hp[end+1:]
		if port != "" && port[0] != ':' {
			return fmt.Errorf("%q after the IPv6 address: want ':' and a port", port)
		}
		port = strings.TrimPrefix(port, ":")
		// A zone is written %25 ("[fe80::1%25eth0]", RFC 6874).
		a, err := netip.ParseAddr(strings.Replace(host, "%25", "%", 1))
		if err != nil || !a.Is6() {
			return fmt.Errorf("[%s] is not an IPv6 address", host)
		}
		host = a.String()
	} else {
		if strings.Count(hp, ":") > 1 {
			return fmt.Errorf("an IPv6 address goes in brackets: %s://[%s]/", u.Scheme, hp)
		}
		host, port, _ = strings.Cut(hp, ":")
		if host == "" {
			return errors.New("no host")
		}
		if i := strings.IndexFunc(host, notHostRune); i >= 0 {
			r, _ := utf8.DecodeRuneInString(host[i:])
			return fmt.Errorf("the host %q has %q, which no host name has", host, r)
		}
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("the port %q is not a number from 1 to 65535", port)
		}
	}
	u.Host, u.Port = host, port
	return nil
}

// notHostRune is a character no host name has: a name is letters,
// digits, '-', '.' and '_' (an internationalized one its letters too).
func notHostRune(r rune) bool {
	if r > unicode.MaxASCII {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}
	return !(r == '-' || r == '.' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
}

// unescape decodes %XX. It names a bad escape only by its place (the
// text may be a password).
func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", errors.New("has a '%' not followed by two hex digits (write a '%' as %25)")
		}
		n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// controlChar reports whether s has a control character: decoded from
// %0D%0A it would end the FTP command and start another.
func controlChar(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// decodeSecret decodes a user name or password; its errors say what is
// wrong without quoting it.
func decodeSecret(s string) (string, error) {
	d, err := unescape(s)
	if err != nil {
		return "", err
	}
	if controlChar(d) {
		return "", errors.New("has a control character")
	}
	return d, nil
}

// decodePath decodes one path segment.
func decodePath(seg string) (string, error) {
	d, err := unescape(seg)
	if err != nil {
		return "", fmt.Errorf("the path segment %q %v", seg, err)
	}
	if controlChar(d) {
		return "", fmt.Errorf("the path segment %q has a control character", seg)
	}
	return d, nil
}

// openHost is the host to give session.Open, an IPv6 address in brackets
// as Open takes it. ftps:// and ftpes:// keep their scheme, which sets the
// connection's TLS as `open ftps://host` does. ftp:// is the generic
// scheme (RFC 1738): it follows --tls and the config file, so that a
// password is never sent in plaintext to a host the user wants TLS for.
func (u *ftpURL) openHost() string {
	h := u.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if u.Scheme == "ftp" {
		return h
	}
	return u.Scheme + "://" + h
}

// urlRun is what URLs on the command line ask for: one of a list of files
// to fetch, a directory to work in, or files to upload.
type urlRun struct {
	fetch  []*ftpURL
	output string // -o: the first fetch's local name; "-": every fetch to stdout
	dir    *ftpURL
	upload *ftpURL
	files  []string // -u's local files
}

// urlArgs is the root command's Args: any number of URLs (or -u's
// files), else ftp(1)'s host [port].
func urlArgs(cmd *cobra.Command, args []string) error {
	if up, _ := cmd.Flags().GetString("upload"); up != "" || len(args) > 0 && isURL(args[0]) {
		return nil
	}
	return cobra.MaximumNArgs(2)(cmd, args)
}

// addURLFlags adds tnftp's -o and -u: the root command's own, as probe
// and trust take no URL.
func addURLFlags(f *pflag.FlagSet) {
	f.StringP("output", "o", "", "save a URL's download as `FILE` (-: to stdout; |cmd: into a command); further URLs keep their names")
	f.StringP("upload", "u", "", "upload the files given as arguments to `URL` (a directory ending in /, or one file's name)")
}

// takeURLs reads the URLs among args and the -o and -u flags into
// cfg.URL; cfg.URL stays nil for a host [port], and for a bare
// "ftps://host", which Open takes as a host. The URL's user logs in, so
// the session's auto-login is off.
func takeURLs(f *pflag.FlagSet, args []string, cfg *config) error {
	output, _ := f.GetString("output")
	upload, _ := f.GetString("upload")
	r := &urlRun{output: output}
	switch n := countURLs(args); {
	case upload != "":
		if output != "" {
			return &commands.UsageError{Msg: "-o names a download; -u uploads: give one of them"}
		}
		u, err := parseURL(upload)
		if err != nil {
			return err
		}
		if n > 0 {
			return &commands.UsageError{Msg: "-u URL takes local files, not more URLs: gftp -u ftp://host/dir/ FILE..."}
		}
		if len(args) == 0 {
			return &commands.UsageError{Msg: "-u URL needs the local files to upload: gftp -u ftp://host/dir/ FILE..."}
		}
		if u.File != "" && len(args) > 1 {
			return &commands.UsageError{Msg: fmt.Sprintf("-u %s names one file; end it with / to upload %d files into that directory", u.shown, len(args))}
		}
		r.upload, r.files = u, args
	case n == 0:
		if output != "" {
			return &commands.UsageError{Msg: "-o names a URL's download: gftp -o FILE ftp://host/path/file"}
		}
		return nil
	case n < len(args):
		return &commands.UsageError{Msg: "give URLs or a host [port], not both"}
	default:
		for _, a := range args {
			u, err := parseURL(a)
			if err != nil {
				return err
			}
			r.fetch = append(r.fetch, u)
		}
		if first := r.fetch[0]; len(r.fetch) == 1 && first.File == "" {
			if output != "" {
				return &commands.UsageError{Msg: fmt.Sprintf("-o names a file's download, and %s is a directory", first.shown)}
			}
			if first.bare {
				return nil // cfg.Host is the argument, as before
			}
			r.dir, r.fetch = first, nil
			break
		}
		for _, u := range r.fetch {
			if u.File == "" {
				return &commands.UsageError{Msg: fmt.Sprintf("%s is a directory (it opens the prompt): give it alone, or name a file", u.shown)}
			}
		}
	}
	cfg.URL = r
	cfg.Session.AutoLogin = false
	return nil
}

func countURLs(args []string) int {
	n := 0
	for _, a := range args {
		if isURL(a) {
			n++
		}
	}
	return n
}

// connect opens u's host, logs in as u says and goes to its directory,
// in the transfer type it names.
func (u *ftpURL) connect(ctx context.Context, s *session.Session, rc func() (*netrc.File, error)) error {
	if err := s.Open(ctx, u.openHost(), u.Port); err != nil {
		return err
	}
	if err := u.login(ctx, s, rc); err != nil {
		return err
	}
	// Binary unless the URL says ;type=a: an earlier URL's type is not
	// this one's.
	if err := s.SetASCII(ctx, u.Type == 'a'); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	for _, d := range u.Dirs {
		if err := s.Cd(ctx, d); err != nil {
			return fmt.Errorf("cd %s: %w", d, err)
		}
	}
	return nil
}

// login logs in as tnftp's auto-fetch does: the URL's user and password;
// a user without one takes the password of the host's .netrc entry for
// that login, else GFTP_PASSWORD or the terminal. Without a user the
// host's .netrc entry logs in (as `gftp host` would; tnftp itself goes
// anonymous then), else anonymous with $FTPANONPASS or "anonymous@". The
// entry's init macro is not run: the URL's path starts in the login
// directory, which a macro's cd would move.
func (u *ftpURL) login(ctx context.Context, s *session.Session, rc func() (*netrc.File, error)) error {
	if u.HasPassword {
		return s.Login(ctx, u.User, u.Password)
	}
	e, ok, err := netrcEntry(rc, u.Host)
	if err != nil {
		return &session.LoginError{Err: err}
	}
	switch {
	case u.HasUser && ok && e.HasPassword && e.Login == u.User:
		return s.Login(ctx, u.User, e.Password)
	case u.HasUser:
		return s.LoginAsking(ctx, u.User)
	case ok && e.Login != "" && e.HasPassword:
		return s.Login(ctx, e.Login, e.Password)
	case ok && e.Login != "":
		return s.LoginAsking(ctx, e.Login)
	}
	pass := os.Getenv("FTPANONPASS")
	if pass == "" {
		pass = anonymousPassword
	}
	return s.Login(ctx, "anonymous", pass)
}

// netrcEntry is host's .netrc entry (machine, else default), if any.
func netrcEntry(rc func() (*netrc.File, error), host string) (netrc.Entry, bool, error) {
	f, err := rc()
	if errors.Is(err, fs.ErrNotExist) {
		return netrc.Entry{}, false, nil
	}
	if err != nil {
		return netrc.Entry{}, false, err
	}
	e, ok := f.Lookup(host)
	return e, ok, nil
}

// openStart opens what the command line named before a script or the
// prompt runs: a directory URL (logged in, in that directory), else a host.
func openStart(ctx context.Context, cfg config, s *session.Session) error {
	if cfg.URL != nil && cfg.URL.dir != nil {
		s.Logf("start: %s", cfg.URL.dir.shown)
		if err := cfg.URL.dir.connect(ctx, s, netrcLoader(cfg.Netrc)); err != nil {
			return fmt.Errorf("%s: %w", cfg.URL.dir.shown, err)
		}
		return nil
	}
	if cfg.Host == "" {
		return nil
	}
	return s.Open(ctx, cfg.Host, cfg.Port)
}

// runURLs fetches each URL in turn, or uploads -u's files, each URL over
// a connection of its own, and stops at the first failure, as tnftp does.
// data.Out is where -o - writes (the transcript then goes to stderr); at
// a terminal the file's control characters are made visible, as a
// listing's are, so that a file cannot drive the terminal.
func runURLs(ctx context.Context, cfg config, s *session.Session, data Streams) error {
	r := cfg.URL
	s.SetAsk(ttyAsker{})
	ctx, stop := withLimits(ctx, cfg.MaxTime)
	defer stop()
	defer s.Close(ctx)
	rc := netrcLoader(cfg.Netrc)
	shown := s.Shown(ctx)
	stdout := data.Out
	if data.OutTTY {
		w := safe.NewStream(stdout)
		defer w.Flush()
		stdout = w
	}
	var err error
	if r.upload != nil {
		err = r.put(shown, s, rc)
	} else {
		for i, u := range r.fetch {
			local := "" // the remote base name, in the current directory
			if r.output == "-" || i == 0 {
				local = r.output
			}
			if err = fetch(shown, s, u, local, rc, stdout); err != nil {
				break
			}
		}
	}
	summary := scriptSummary(s.Totals(), 0)
	if err != nil {
		summary = scriptSummary(s.Totals(), 1)
	}
	s.Logf("summary: %s", summary)
	if err != nil {
		return session.WhyStopped(ctx, err)
	}
	return s.Close(ctx)
}

// fetch downloads u's file to local ("": its base name; "-": stdout).
func fetch(ctx context.Context, s *session.Session, u *ftpURL, local string, rc func() (*netrc.File, error), stdout io.Writer) error {
	s.Logf("start: fetch %s", u.shown)
	err := u.connect(ctx, s, rc)
	if err == nil {
		if local == "-" {
			err = getToWriter(ctx, s, u.File, stdout)
		} else {
			err = s.Get(ctx, u.File, local)
		}
	}
	if cerr := s.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", u.shown, err)
	}
	return nil
}

// getToWriter downloads remote into a private temporary file and copies
// it to w: the session has no download to a stream yet, and a failed or
// partial download must not reach w.
func getToWriter(ctx context.Context, s *session.Session, remote string, w io.Writer) error {
	dir, err := os.MkdirTemp("", "gftp-")
	if err != nil {
		return fmt.Errorf("temporary directory: %w", err)
	}
	defer os.RemoveAll(dir)
	name := path.Base(remote)
	if name == "." || name == ".." || name == "/" {
		name = "download"
	}
	tmp := filepath.Join(dir, name) // the name the verbose "local:" line shows
	if err := s.Get(ctx, remote, tmp); err != nil {
		return err
	}
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("write to stdout: %w", err)
	}
	return nil
}

// put uploads the files into the URL's directory (by their base names),
// or the one file under the URL's file name. A missing local file is
// found before anything connects.
func (r *urlRun) put(ctx context.Context, s *session.Session, rc func() (*netrc.File, error)) error {
	u := r.upload
	s.Logf("start: upload to %s", u.shown)
	for _, f := range r.files {
		fi, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("upload: %w", err)
		}
		if fi.IsDir() {
			return fmt.Errorf("upload: %s is a directory (use mput -r or mirror -R at the prompt)", f)
		}
	}
	if err := u.connect(ctx, s, rc); err != nil {
		return fmt.Errorf("%s: %w", u.shown, err)
	}
	for _, f := range r.files {
		remote := filepath.Base(f)
		if u.File != "" {
			remote = u.File
		}
		if err := s.Put(ctx, f, remote); err != nil {
			return fmt.Errorf("put %s: %w", f, err)
		}
	}
	return nil
}
