// Package netrc reads .netrc files the way ftp(1) does (tnftp's
// ruserpass, netrc(5)): the login, password, account and macros to use
// for a host.
//
// The file is a sequence of tokens separated by white space. A token may
// be double-quoted to hold white space; inside a token, quoted or not, a
// backslash takes the next character literally. The keywords are:
//
//	machine NAME     starts the entry for host NAME
//	default          starts the entry for any other host
//	login NAME       the user name
//	password TEXT    the password
//	account TEXT     the account (sent with ACCT)
//	macdef NAME      a macro: the following lines, up to the first empty
//	                 line (or the end of the file), are its body
//
// login, password, account and macdef belong to the entry they follow.
// A macdef before any entry is global: it applies to every host, unless
// the host's entry defines a macro of the same name. A macro called
// "init" is run after login.
//
// As an extension, a '#' where a keyword is expected starts a comment that
// runs to the end of the line; a '#' in a value or in a macro body is
// ordinary text. A value that is exactly a keyword must be quoted
// (password "default"), so that a forgotten value is reported instead of
// swallowing the next keyword.
//
// Error messages never contain a password or account value.
package netrc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
)

// Entry is one machine (or the default) entry.
type Entry struct {
	Machine     string // "" for the default entry, never "" otherwise
	Login       string
	Password    string
	Account     string
	HasPassword bool // a password keyword was given (the password may be "")

	// Macros holds the macdefs that appear within this entry, by name, as
	// lines without their newlines. When a name is defined twice, the
	// first definition wins, as in ftp(1). Treat it as read-only: entries
	// returned by Lookup share it with the File.
	Macros map[string][]string
}

// File is a parsed .netrc.
type File struct {
	Entries []Entry // in file order

	// Macros holds the global macdefs, those before the first machine or
	// default entry.
	Macros map[string][]string
}

// SyntaxError reports a malformed .netrc. Its message never quotes a
// password or account value.
type SyntaxError struct {
	Path string // the file's name; "" when it came from Parse
	Line int    // 1-based
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("netrc: %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("netrc: line %d: %s", e.Line, e.Msg)
}

// Lookup returns the entry for host: the first machine entry whose name
// equals host, ignoring case, else the first default entry (wherever it
// is in the file), else ok=false.
func (f *File) Lookup(host string) (Entry, bool) {
	i := f.index(host)
	if i < 0 {
		return Entry{}, false
	}
	return f.Entries[i], true
}

func (f *File) index(host string) int {
	if f == nil {
		return -1
	}
	def := -1
	for i := range f.Entries {
		m := f.Entries[i].Machine
		if m == "" {
			if def < 0 {
				def = i
			}
			continue
		}
		if strings.EqualFold(m, host) {
			return i
		}
	}
	return def
}

// Macro returns the lines of the macro called name for host: the one
// defined within the entry that Lookup(host) selects, else the global one.
// The returned slice is a copy.
func (f *File) Macro(host, name string) ([]string, bool) {
	if f == nil {
		return nil, false
	}
	if i := f.index(host); i >= 0 {
		if body, ok := f.Entries[i].Macros[name]; ok {
			return slices.Clone(body), true
		}
	}
	body, ok := f.Macros[name]
	return slices.Clone(body), ok
}

// ReadFile opens and parses the .netrc at path.
//
// Like ftp(1), it refuses a file that holds secrets and that group or
// others may read or write (mode&077 != 0): a password (except for login
// anonymous, whose password is by custom an e-mail address) or an
// account. The mode is not checked on Windows, where it means nothing.
//
// A missing file gives an error that wraps fs.ErrNotExist, which callers
// reading the default ~/.netrc ignore.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netrc: %w", err)
	}
	defer fh.Close()
	f, err := Parse(fh)
	if err != nil {
		if se, ok := errors.AsType[*SyntaxError](err); ok {
			se.Path = path
		}
		return nil, err
	}
	if runtime.GOOS != "windows" && f.hasSecrets() {
		fi, err := fh.Stat()
		if err != nil {
			return nil, fmt.Errorf("netrc: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf(".netrc file %s is readable by others: remove its passwords or chmod 600", path)
		}
	}
	return f, nil
}

// hasSecrets reports whether any entry has a password or account that
// ftp(1) would refuse to read from a file open to others.
func (f *File) hasSecrets() bool {
	for _, e := range f.Entries {
		if (e.HasPassword && e.Login != "anonymous") || e.Account != "" {
			return true
		}
	}
	return false
}

// Parse parses a .netrc. Errors are *SyntaxError, or a read error from r.
func Parse(r io.Reader) (*File, error) {
	l := &lexer{r: bufio.NewReader(r), line: 1}
	f := &File{}
	cur := -1            // index of the current entry in f.Entries
	afterSecret := false // the previous token was a password or account value
	for {
		tok, ok, err := l.next(true)
		if err != nil {
			return nil, err
		}
		if !ok {
			return f, nil
		}
		prevSecret := afterSecret
		afterSecret = false
		switch tok.text {
		case "machine":
			v, err := l.value(tok)
			if err != nil {
				return nil, err
			}
			if v == "" {
				return nil, &SyntaxError{Line: tok.line, Msg: "empty machine name"}
			}
			f.Entries = append(f.Entries, Entry{Machine: v})
			cur = len(f.Entries) - 1
		case "default":
			f.Entries = append(f.Entries, Entry{})
			cur = len(f.Entries) - 1
		case "login", "password", "account":
			if cur < 0 {
				return nil, &SyntaxError{Line: tok.line, Msg: tok.text + " before any machine or default entry"}
			}
			v, err := l.value(tok)
			if err != nil {
				return nil, err
			}
			e := &f.Entries[cur]
			switch tok.text {
			case "login":
				e.Login = v
			case "password":
				e.Password, e.HasPassword = v, true
				afterSecret = true
			case "account":
				e.Account = v
				afterSecret = true
			}
		case "macdef":
			name, body, err := l.macro(tok.line)
			if err != nil {
				return nil, err
			}
			m := &f.Macros
			if cur >= 0 {
				m = &f.Entries[cur].Macros
			}
			if *m == nil {
				*m = make(map[string][]string)
			}
			if _, dup := (*m)[name]; !dup {
				(*m)[name] = body
			}
		default:
			if prevSecret {
				// Most likely the rest of a password with a space in it:
				// don't show it.
				return nil, &SyntaxError{Line: tok.line, Msg: "unexpected text after a password or account (quote values that contain spaces)"}
			}
			// Not quoted: it may be a password whose "password" keyword
			// was left out (login bob s3cret).
			return nil, &SyntaxError{Line: tok.line, Msg: "unknown keyword (want machine, default, login, password, account or macdef)"}
		}
	}
}

func isKeyword(s string) bool {
	switch s {
	case "machine", "default", "login", "password", "account", "macdef":
		return true
	}
	return false
}

type token struct {
	text   string
	quoted bool
	line   int // where the token starts
}

type lexer struct {
	r    *bufio.Reader
	line int // of the next byte
}

func (l *lexer) readByte() (byte, error) {
	c, err := l.r.ReadByte()
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("netrc: %w", err)
		}
		return 0, err
	}
	if c == '\n' {
		l.line++
	}
	return c, nil
}

// unreadByte puts back c, the byte just read.
func (l *lexer) unreadByte(c byte) {
	_ = l.r.UnreadByte() // cannot fail right after ReadByte
	if c == '\n' {
		l.line--
	}
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// next returns the next token, or ok=false at the end of the input. If
// comments is set, an unquoted token that starts with '#' begins a
// comment to the end of the line.
func (l *lexer) next(comments bool) (tok token, ok bool, err error) {
	var c byte
	for {
		c, err = l.readByte()
		if err != nil {
			return token{}, false, eofOK(err)
		}
		if isSpace(c) {
			continue
		}
		if comments && c == '#' {
			if err := l.skipLine(); err != nil {
				return token{}, false, err
			}
			continue
		}
		break
	}
	tok.line = l.line
	var b []byte
	if c == '"' {
		tok.quoted = true
		for {
			c, err = l.readByte()
			if err == nil && c == '\\' {
				c, err = l.readByte()
			} else if err == nil && c == '"' {
				tok.text = string(b)
				return tok, true, nil
			}
			if err == io.EOF {
				return token{}, false, &SyntaxError{Line: tok.line, Msg: "unterminated quoted string"}
			}
			if err != nil {
				return token{}, false, err
			}
			b = append(b, c)
		}
	}
	l.unreadByte(c)
	for {
		c, err = l.readByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return token{}, false, err
		}
		if isSpace(c) {
			// Leave it, so that macdef sees the end of its line.
			l.unreadByte(c)
			break
		}
		if c == '\\' {
			c, err = l.readByte()
			if err == io.EOF {
				b = append(b, '\\')
				break
			}
			if err != nil {
				return token{}, false, err
			}
		}
		b = append(b, c)
	}
	tok.text = string(b)
	return tok, true, nil
}

// value returns the value that keyword kw takes.
func (l *lexer) value(kw token) (string, error) {
	v, ok, err := l.next(false)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", &SyntaxError{Line: kw.line, Msg: "missing value after " + kw.text}
	}
	if !v.quoted && isKeyword(v.text) {
		return "", &SyntaxError{Line: kw.line, Msg: fmt.Sprintf("missing value after %s (found keyword %s; quote it if it is the value)", kw.text, v.text)}
	}
	return v.text, nil
}

// skipLine discards the rest of the current line, newline included.
func (l *lexer) skipLine() error {
	for {
		c, err := l.readByte()
		if err != nil {
			return eofOK(err)
		}
		if c == '\n' {
			return nil
		}
	}
}

// macro reads what follows the macdef keyword (on line kwLine): the name,
// on the same line, and the body, the next lines up to an empty one or
// the end of the input.
func (l *lexer) macro(kwLine int) (name string, body []string, err error) {
	var c byte
	for {
		c, err = l.readByte()
		if err != nil || (c != ' ' && c != '\t' && c != '\r' && c != '\v' && c != '\f') {
			break
		}
	}
	if err == io.EOF || (err == nil && c == '\n') {
		return "", nil, &SyntaxError{Line: kwLine, Msg: "macdef without a macro name"}
	}
	if err != nil {
		return "", nil, err
	}
	b := []byte{c}
	for {
		c, err = l.readByte()
		if err == io.EOF {
			return string(b), []string{}, nil
		}
		if err != nil {
			return "", nil, err
		}
		if isSpace(c) {
			l.unreadByte(c)
			break
		}
		b = append(b, c)
	}
	name = string(b)
	if err := l.skipLine(); err != nil {
		return "", nil, err
	}
	body = []string{}
	for {
		s, err := l.r.ReadString('\n')
		if err != nil && err != io.EOF {
			return "", nil, fmt.Errorf("netrc: %w", err)
		}
		eof := err == io.EOF
		if !eof {
			l.line++
			s = s[:len(s)-1]
		}
		s = strings.TrimSuffix(s, "\r")
		if s == "" {
			// An empty line ends the macro; so does the end of the input
			// (with an unterminated last line kept).
			return name, body, nil
		}
		body = append(body, s)
		if eof {
			return name, body, nil
		}
	}
}

func eofOK(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}
