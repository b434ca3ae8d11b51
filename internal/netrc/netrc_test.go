package netrc

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

type macros = map[string][]string

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *File
	}{
		{"empty", "", &File{}},
		{"only blanks and comments", "\n  # a comment\n\t\n#another", &File{}},
		{
			"one line",
			"machine ftp.example.com login alice password s3cret account acct1\n",
			&File{Entries: []Entry{{Machine: "ftp.example.com", Login: "alice", Password: "s3cret", Account: "acct1", HasPassword: true}}},
		},
		{
			"keywords on separate lines, tabs, CRLF",
			"machine\tftp.example.com\r\n\tlogin alice\r\n\tpassword s3cret\r\n",
			&File{Entries: []Entry{{Machine: "ftp.example.com", Login: "alice", Password: "s3cret", HasPassword: true}}},
		},
		{
			"no password",
			"machine a login bob",
			&File{Entries: []Entry{{Machine: "a", Login: "bob"}}},
		},
		{
			"empty quoted password",
			`machine a login bob password ""`,
			&File{Entries: []Entry{{Machine: "a", Login: "bob", HasPassword: true}}},
		},
		{
			"quoted values with spaces and escapes",
			`machine "my host" login "John Smith" password "pa ss \"q\" \\ end" account "a b"`,
			&File{Entries: []Entry{{Machine: "my host", Login: "John Smith", Password: `pa ss "q" \ end`, Account: "a b", HasPassword: true}}},
		},
		{
			"quoted value spanning lines",
			"machine a password \"line1\nline2\"",
			&File{Entries: []Entry{{Machine: "a", Password: "line1\nline2", HasPassword: true}}},
		},
		{
			"backslash escapes in unquoted values",
			`machine a login a\ b password x\\y\"z\`,
			&File{Entries: []Entry{{Machine: "a", Login: "a b", Password: `x\y"z\`, HasPassword: true}}},
		},
		{
			"quoted keyword as a value",
			`machine a login "login" password "default"`,
			&File{Entries: []Entry{{Machine: "a", Login: "login", Password: "default", HasPassword: true}}},
		},
		{
			"hash in a value is not a comment",
			"machine a password #secret# login u # trailing comment\n",
			&File{Entries: []Entry{{Machine: "a", Login: "u", Password: "#secret#", HasPassword: true}}},
		},
		{
			"comments between keywords",
			"# header\nmachine a # the first\n  login u#not-a-comment\n# password commented-out\n",
			&File{Entries: []Entry{{Machine: "a", Login: "u#not-a-comment"}}},
		},
		{
			"multiple machines and default",
			"machine a login ua password pa\nmachine b login ub\ndefault login anonymous password me@example.com\n",
			&File{Entries: []Entry{
				{Machine: "a", Login: "ua", Password: "pa", HasPassword: true},
				{Machine: "b", Login: "ub"},
				{Login: "anonymous", Password: "me@example.com", HasPassword: true},
			}},
		},
		{
			"entries after default are kept",
			"default login anon\nmachine a login ua",
			&File{Entries: []Entry{{Login: "anon"}, {Machine: "a", Login: "ua"}}},
		},
		{
			"repeated keyword: last wins",
			"machine a login one login two",
			&File{Entries: []Entry{{Machine: "a", Login: "two"}}},
		},
		{
			"macdef in a machine entry, ended by an empty line",
			"machine a login u\nmacdef init extra words ignored\nbinary\n  cd /pub\n\nmachine b\n",
			&File{Entries: []Entry{
				{Machine: "a", Login: "u", Macros: macros{"init": {"binary", "  cd /pub"}}},
				{Machine: "b"},
			}},
		},
		{
			"macdef at end of file without a trailing empty line",
			"machine a\nmacdef init\nbinary\nhash",
			&File{Entries: []Entry{{Machine: "a", Macros: macros{"init": {"binary", "hash"}}}}},
		},
		{
			"macdef at end of file with a final newline",
			"machine a\nmacdef init\nbinary\n",
			&File{Entries: []Entry{{Machine: "a", Macros: macros{"init": {"binary"}}}}},
		},
		{
			"macdef with CRLF lines",
			"machine a\r\nmacdef init\r\nbinary\r\n\r\nlogin u\r\n",
			&File{Entries: []Entry{{Machine: "a", Login: "u", Macros: macros{"init": {"binary"}}}}},
		},
		{
			"empty macro",
			"machine a\nmacdef noop\n\nlogin u",
			&File{Entries: []Entry{{Machine: "a", Login: "u", Macros: macros{"noop": {}}}}},
		},
		{
			"macdef name at end of file",
			"machine a macdef init",
			&File{Entries: []Entry{{Machine: "a", Macros: macros{"init": {}}}}},
		},
		{
			"macro body keeps hashes, keywords and whitespace-only lines",
			"machine a\nmacdef m\n# not a comment\nmachine b password x\n   \nls\n\nlogin u",
			&File{Entries: []Entry{{Machine: "a", Login: "u", Macros: macros{"m": {"# not a comment", "machine b password x", "   ", "ls"}}}}},
		},
		{
			"macdef in the default entry",
			"default login anonymous\nmacdef init\nprompt\n\n",
			&File{Entries: []Entry{{Login: "anonymous", Macros: macros{"init": {"prompt"}}}}},
		},
		{
			"global macdef",
			"macdef bye\nquit\n\nmachine a\n",
			&File{Entries: []Entry{{Machine: "a"}}, Macros: macros{"bye": {"quit"}}},
		},
		{
			"duplicate macdef: first wins",
			"machine a\nmacdef m\none\n\nmacdef m\ntwo\n\n",
			&File{Entries: []Entry{{Machine: "a", Macros: macros{"m": {"one"}}}}},
		},
		{
			"macdef keyword followed by the name after tabs",
			"machine a macdef \t init\t\nx\n",
			&File{Entries: []Entry{{Machine: "a", Macros: macros{"init": {"x"}}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// unknownKeyword is the message for a word that is no keyword: it never
// quotes the word, which may be a password.
const unknownKeyword = "unknown keyword (want machine, default, login, password, account or macdef)"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		line   int
		want   string // in the message
		secret string // must not be in the message
	}{
		{"unknown keyword", "machine a\n  login u\n  port 21\n", 3, unknownKeyword, "port"},
		{"unknown keyword first", "hello", 1, unknownKeyword, "hello"},
		{"long unknown keyword", "machine a " + strings.Repeat("x", 100), 1, unknownKeyword, "xxx"},
		{"unknown keyword with a newline", "machine a \"x\ny\"", 1, unknownKeyword, "x\ny"},
		// The password keyword left out: the password is the unknown word.
		{"password without its keyword", "machine 127.0.0.1 login bob S3cr3tZZ\n", 1, unknownKeyword, "S3cr3tZZ"},
		{"quoted password without its keyword", "machine h login bob \"S3cr 3tZZ\"", 1, unknownKeyword, "S3cr"},
		{"login at EOF", "machine a\nlogin", 2, "missing value after login", ""},
		{"password at EOF", "machine a login u\n\npassword  \n", 3, "missing value after password", ""},
		{"machine at EOF", "machine", 1, "missing value after machine", ""},
		{"hash is a value, not a comment", "machine a account # x", 1, "unexpected text after a password or account", ""},
		{"value is a keyword", "machine a login\npassword hunter2", 1, "missing value after login (found keyword password", "hunter2"},
		{"machine value is a keyword", "machine default", 1, "missing value after machine", ""},
		{"empty machine", `machine "" login u`, 1, "empty machine name", ""},
		{"login before any entry", "login u", 1, "login before any machine or default entry", ""},
		{"password before any entry", "# c\npassword hunter2", 2, "password before any machine", "hunter2"},
		{"unterminated quote", "machine a\npassword \"hunter2\n\n", 2, "unterminated quoted string", "hunter2"},
		{"unterminated quote after backslash", `machine a password "hunter2\`, 1, "unterminated quoted string", "hunter2"},
		{"password with an unquoted space", "machine a\npassword correct horse\n", 2, "unexpected text after a password", "horse"},
		{"account with an unquoted space", "machine a account my acct login u", 1, "unexpected text after a password or account", "acct"},
		{"macdef without a name", "machine a\nmacdef\ninit\n", 2, "macdef without a macro name", ""},
		{"macdef without a name at EOF", "machine a macdef  ", 1, "macdef without a macro name", ""},
		{"error after a macro counts its lines", "machine a\nmacdef m\n1\n2\n\nbogus", 6, unknownKeyword, "bogus"},
		{"error after a quoted multi-line value", "machine \"a\nb\"\nbogus", 3, unknownKeyword, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tt.in))
			if err == nil {
				t.Fatalf("Parse succeeded: %#v", f)
			}
			se, ok := errors.AsType[*SyntaxError](err)
			if !ok {
				t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
			}
			if se.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", se.Line, tt.line, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if wantPrefix := "netrc: line "; !strings.HasPrefix(msg, wantPrefix) {
				t.Errorf("error %q does not start with %q", msg, wantPrefix)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
			if tt.secret != "" && strings.Contains(msg, tt.secret) {
				t.Errorf("error %q reveals %q", msg, tt.secret)
			}
		})
	}
}

func TestParseReadError(t *testing.T) {
	cause := errors.New("disk on fire")
	for _, in := range []string{"", "machine a login u", "machine a password \"x", "machine a\nmacdef m\nls\n"} {
		_, err := Parse(io.MultiReader(strings.NewReader(in), iotest.ErrReader(cause)))
		if !errors.Is(err, cause) {
			t.Errorf("after %q: err = %v, want it to wrap %v", in, err, cause)
		}
	}
}

const sample = `# gftp test netrc
macdef bye
quit

machine ftp.example.com login alice password "a pass"
macdef init
binary
cd /pub

machine FTP.Other.org login bob account b-acct
machine ftp.example.com login shadowed password x
default login anonymous password guest@
macdef init
prompt
`

func TestLookup(t *testing.T) {
	f, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host      string
		wantOK    bool
		wantLogin string
		wantMach  string
	}{
		{"ftp.example.com", true, "alice", "ftp.example.com"},
		{"FTP.EXAMPLE.COM", true, "alice", "ftp.example.com"},
		{"ftp.other.org", true, "bob", "FTP.Other.org"},
		{"elsewhere", true, "anonymous", ""},
		{"", true, "anonymous", ""},
		{"ftp.example", true, "anonymous", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			e, ok := f.Lookup(tt.host)
			if ok != tt.wantOK || e.Login != tt.wantLogin || e.Machine != tt.wantMach {
				t.Errorf("Lookup(%q) = %+v, %v; want login %q machine %q, %v", tt.host, e, ok, tt.wantLogin, tt.wantMach, tt.wantOK)
			}
		})
	}

	e, _ := f.Lookup("ftp.example.com")
	if e.Password != "a pass" || !e.HasPassword {
		t.Errorf("password = %q, %v", e.Password, e.HasPassword)
	}
	e, _ = f.Lookup("ftp.other.org")
	if e.Account != "b-acct" || e.HasPassword {
		t.Errorf("account = %q, HasPassword %v", e.Account, e.HasPassword)
	}
}

func TestLookupNoDefault(t *testing.T) {
	f, err := Parse(strings.NewReader("machine a login u"))
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := f.Lookup("b"); ok {
		t.Errorf("Lookup(b) = %+v, true; want false", e)
	}
	var nilFile *File
	if _, ok := nilFile.Lookup("a"); ok {
		t.Error("nil File: Lookup ok")
	}
	if _, ok := nilFile.Macro("a", "init"); ok {
		t.Error("nil File: Macro ok")
	}
}

func TestLookupMachineAfterDefault(t *testing.T) {
	f, err := Parse(strings.NewReader("default login anon\nmachine a login ua\ndefault login second"))
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{"a": "ua", "A": "ua", "b": "anon"} {
		if e, ok := f.Lookup(host); !ok || e.Login != want {
			t.Errorf("Lookup(%q) = %+v, %v; want login %q", host, e, ok, want)
		}
	}
}

func TestMacro(t *testing.T) {
	f, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	noDefault, err := Parse(strings.NewReader("macdef bye\nquit\n\nmachine a\nmacdef init\nls\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f          *File
		host, name string
		want       []string
		wantOK     bool
	}{
		{f, "ftp.example.com", "init", []string{"binary", "cd /pub"}, true},
		{f, "Ftp.Example.Com", "init", []string{"binary", "cd /pub"}, true},
		{f, "ftp.other.org", "init", nil, false}, // its entry has none, and there is no global init
		{f, "elsewhere", "init", []string{"prompt"}, true},
		{f, "ftp.example.com", "bye", []string{"quit"}, true},
		{f, "elsewhere", "bye", []string{"quit"}, true},
		{f, "ftp.example.com", "INIT", nil, false},
		{noDefault, "a", "init", []string{"ls"}, true},
		{noDefault, "b", "init", nil, false},
		{noDefault, "b", "bye", []string{"quit"}, true},
	}
	for _, tt := range tests {
		got, ok := tt.f.Macro(tt.host, tt.name)
		if ok != tt.wantOK || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Macro(%q, %q) = %q, %v; want %q, %v", tt.host, tt.name, got, ok, tt.want, tt.wantOK)
		}
	}

	// The result is a copy.
	got, _ := f.Macro("ftp.example.com", "init")
	got[0] = "changed"
	if again, _ := f.Macro("ftp.example.com", "init"); again[0] != "binary" {
		t.Errorf("Macro result aliases the File: %q", again)
	}
}

func writeNetrc(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".netrc")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod after writing, so that the umask does not interfere.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr bool
	}{
		{"password, 0600", "machine a login u password hunter2\n", 0o600, false},
		{"password, 0400", "machine a login u password hunter2\n", 0o400, false},
		{"password, 0644", "machine a login u password hunter2\n", 0o644, true},
		{"password, 0640", "machine a login u password hunter2\n", 0o640, true},
		{"password, 0602", "machine a login u password hunter2\n", 0o602, true},
		{"empty password, 0644", "machine a login u password \"\"\n", 0o644, true},
		{"password in default, 0644", "default login u password hunter2\n", 0o644, true},
		{"account, 0644", "machine a login u account hunter2\n", 0o644, true},
		{"no password, 0644", "machine a login u\nmacdef init\nbinary\n", 0o644, false},
		{"anonymous password, 0644", "default login anonymous password me@example.com\n", 0o644, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeNetrc(t, tt.content, tt.mode)
			f, err := ReadFile(path)
			if runtime.GOOS == "windows" {
				if err != nil {
					t.Fatalf("ReadFile: %v", err)
				}
				return
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("ReadFile: %v", err)
				}
				if len(f.Entries) != 1 || f.Entries[0].Login == "" {
					t.Errorf("ReadFile = %#v", f)
				}
				return
			}
			if err == nil {
				t.Fatalf("ReadFile succeeded on a mode %04o file with secrets", tt.mode)
			}
			want := ".netrc file " + path + " is readable by others: remove its passwords or chmod 600"
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q reveals the password", err)
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-netrc")
	_, err := ReadFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestReadFileSyntaxError(t *testing.T) {
	path := writeNetrc(t, "machine a\nlogin u\npasswd x\n", 0o600)
	_, err := ReadFile(path)
	se, ok := errors.AsType[*SyntaxError](err)
	if !ok {
		t.Fatalf("err = %v, want a *SyntaxError", err)
	}
	if se.Path != path || se.Line != 3 {
		t.Errorf("Path, Line = %q, %d; want %q, 3", se.Path, se.Line, path)
	}
	if want := "netrc: " + path + ":3: " + unknownKeyword; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestReadFileDirectory(t *testing.T) {
	if _, err := ReadFile(t.TempDir()); err == nil {
		t.Fatal("ReadFile of a directory succeeded")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(sample)
	f.Add("machine a login u password p account c\ndefault login anonymous")
	f.Add("machine \"q \\\" x\" login a\\ b # c\n")
	f.Add("macdef g\nx\n\nmachine a\nmacdef init\r\nbinary\r\n\r\n")
	f.Add("machine a macdef")
	f.Add("default\nmachine \"\"")
	f.Add("machine a password \"unterminated")
	f.Add("machine a login\\")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Parse(strings.NewReader(in))
		if err != nil {
			if file != nil {
				t.Errorf("Parse returned a File and error %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
			if _, ok := errors.AsType[*SyntaxError](err); !ok {
				t.Errorf("error %v (%T) is not a *SyntaxError", err, err)
			}
			return
		}
		// Only a default keyword makes an entry without a machine name.
		defaults := 0
		for _, e := range file.Entries {
			if e.Machine == "" {
				defaults++
			}
		}
		if n := strings.Count(in, "default"); defaults > n {
			t.Errorf("%d entries without a machine name but only %d default keywords", defaults, n)
		}
		all := []macros{file.Macros}
		for i, e := range file.Entries {
			all = append(all, e.Macros)
			if !e.HasPassword && e.Password != "" {
				t.Errorf("entry %d has a password but not HasPassword", i)
			}
			if e.Machine == "" {
				continue
			}
			got, ok := file.Lookup(e.Machine)
			if !ok || !strings.EqualFold(got.Machine, e.Machine) {
				t.Errorf("Lookup(%q) = %+v, %v", e.Machine, got, ok)
			}
			if file.index(e.Machine) != i {
				continue // shadowed by an earlier entry for the same host
			}
			for name, body := range e.Macros {
				if lines, ok := file.Macro(e.Machine, name); !ok || !reflect.DeepEqual(lines, body) {
					t.Errorf("Macro(%q, %q) = %q, %v; want %q", e.Machine, name, lines, ok, body)
				}
			}
		}
		for _, m := range all {
			for name, body := range m {
				if name == "" {
					t.Errorf("macro with an empty name")
				}
				for _, line := range body {
					if line == "" || strings.Contains(line, "\n") {
						t.Errorf("macro %q has bad line %q", name, line)
					}
				}
			}
		}
		again, err := Parse(strings.NewReader(in))
		if err != nil || !reflect.DeepEqual(file, again) {
			t.Errorf("Parse is not deterministic")
		}
	})
}
