package commands_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
	}{
		// Blanks.
		{"empty line", "", nil},
		{"only blanks", " \t  \t", nil},
		{"one word", "pwd", []string{"pwd"}},
		{"spaces", "get a b", []string{"get", "a", "b"}},
		{"leading and trailing blanks", "  get   a  ", []string{"get", "a"}},
		{"tabs separate", "get\ta\t\tb", []string{"get", "a", "b"}},
		{"newline is not a separator", "a\nb", []string{"a\nb"}},

		// Bytes that are not UTF-8 (a Latin-1 name) are kept as they are.
		{"latin-1 byte", "get caf\xe9.txt", []string{"get", "caf\xe9.txt"}},
		{"latin-1 quoted and escaped", "put 'r\xe9mote' \"a\xff\\\xfeb\"", []string{"put", "r\xe9mote", "a\xff\xfeb"}},
		{"utf-8 kept", "get café.txt", []string{"get", "café.txt"}},

		// Double quotes.
		{"double quoted blank", `put "my file.txt"`, []string{"put", "my file.txt"}},
		{"double quoted tab", "\"a\tb\"", []string{"a\tb"}},
		{"single quote inside double", `"it's"`, []string{"it's"}},
		{"hash inside double", `mkdir "#x"`, []string{"mkdir", "#x"}},
		{"escaped double quote", `"a\"b"`, []string{`a"b`}},
		{"escaped backslash in double", `"a\\b"`, []string{`a\b`}},
		{"backslash escapes any rune in double", `"a\nb"`, []string{"anb"}},

		// Single quotes.
		{"single quoted blank", `put 'my file'`, []string{"put", "my file"}},
		{"double quote inside single", `'say "hi"'`, []string{`say "hi"`}},
		{"backslash literal in single", `'a\b'`, []string{`a\b`}},
		{"backslash before closing single", `'a\'`, []string{`a\`}},
		{"hash inside single", `'#x'`, []string{"#x"}},

		// Empty quoted words are arguments.
		{"empty double quoted word", `""`, []string{""}},
		{"empty single quoted word", `''`, []string{""}},
		{"empty word between others", `rename "" b`, []string{"rename", "", "b"}},
		{"empty word at end", `a ''`, []string{"a", ""}},

		// Concatenation of quoted and bare parts.
		{"adjacent parts make one word", `a"b c"'d e'f`, []string{"ab cd ef"}},
		{"quoted then bare", `"a"b`, []string{"ab"}},

		// Bare backslashes.
		{"escaped blank", `put my\ file`, []string{"put", "my file"}},
		{"escaped tab", "a\\\tb", []string{"a\tb"}},
		{"escaped backslash", `a\\b`, []string{`a\b`}},
		{"escaped single quote", `it\'s`, []string{"it's"}},
		{"escaped double quote", `say\"`, []string{`say"`}},
		{"escaped hash at word start", `\#x`, []string{"#x"}},
		{"lone escaped blank is a word", `a \  b`, []string{"a", " ", "b"}},
		{"trailing escaped backslash", `a\\`, []string{`a\`}},

		// A # is an ordinary character: only ParseLine knows comment
		// lines, and a # in the middle of a line is part of a word.
		{"hash at line start", "# a comment", []string{"#", "a", "comment"}},
		{"hash word after words", "get a # the file", []string{"get", "a", "#", "the", "file"}},
		{"hash right after blank", "get a #b", []string{"get", "a", "#b"}},
		{"password starting with hash", "user bob #pw", []string{"user", "bob", "#pw"}},
		{"hash inside a word", "a#b", []string{"a#b"}},
		{"hash at word end", "a# b", []string{"a#", "b"}},
		{"hash after empty quotes", `""#x`, []string{"#x"}},

		// Non-ASCII.
		{"non-ASCII words", "put été ça", []string{"put", "été", "ça"}},
		{"non-ASCII quoted", `put "日本 語"`, []string{"put", "日本 語"}},
		{"escaped non-ASCII", `\é`, []string{"é"}},
		{"no-break space is not a blank", "a\u00a0b", []string{"a\u00a0b"}},
		{"emoji", "mkdir 🦫", []string{"mkdir", "🦫"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.Split(tt.line)
			if err != nil {
				t.Fatalf("Split(%q): unexpected error %v", tt.line, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name, line, wantErr string
	}{
		{"unclosed double", `get "a b`, `unclosed " quote`},
		{"unclosed single", `get 'a b`, `unclosed ' quote`},
		{"only a double quote", `"`, `unclosed " quote`},
		{"escaped closing double", `"a\"`, `unclosed " quote`},
		{"single closed by nothing", `'it\'s'`, `unclosed ' quote`},
		{"double quote in single then unclosed", `'a"b`, `unclosed ' quote`},
		{"trailing backslash", `get a\`, "backslash"},
		{"lone backslash", `\`, "backslash"},
		{"backslash after blank", `get \`, "backslash"},
		{"a hash does not hide an unclosed quote", `get a # don't`, `unclosed ' quote`},
		{"a hash does not hide a trailing backslash", `get a # \`, "backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.Split(tt.line)
			if err == nil {
				t.Fatalf("Split(%q) = %q, want an error containing %q", tt.line, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Split(%q) error = %q, want it to contain %q", tt.line, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("Split(%q) returned words %q with its error", tt.line, got)
			}
		})
	}
}

// quoteWords joins words so that Split gives them back: each one in single
// quotes, with each single quote in it closed, escaped and reopened.
func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

func TestQuoteWordsRoundTrip(t *testing.T) {
	words := []string{"", "a b", "it's", `\`, `"`, "#", "'", "''", "\t", "é"}
	line := quoteWords(words)
	got, err := commands.Split(line)
	if err != nil {
		t.Fatalf("Split(%q): %v", line, err)
	}
	if !slices.Equal(got, words) {
		t.Errorf("Split(%q) = %q, want %q", line, got, words)
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"", "get a b", `put "my file" 'x y'`, `a\ b`, `""`, "# c", "a#b",
		`"unclosed`, `trail\`, "é\t日本", `'it'\''s'`, "a\x00b", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := commands.Split(line)
		if err != nil {
			if words != nil {
				t.Errorf("Split(%q) returned words %q with error %v", line, words, err)
			}
			return
		}
		// Without quotes or escapes, the words are the line's
		// blank-separated fields, byte for byte (a # too).
		if !strings.ContainsAny(line, `"'\`) {
			fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' })
			if !slices.Equal(words, fields) && !(len(words) == 0 && len(fields) == 0) {
				t.Errorf("Split(%q) = %q, want its fields %q", line, words, fields)
			}
		}
		again := quoteWords(words)
		got, err := commands.Split(again)
		if err != nil {
			t.Fatalf("Split(%q) (re-quoted from %q): %v", again, line, err)
		}
		if !slices.Equal(got, words) {
			t.Errorf("Split(%q) = %q, but re-quoted as %q it splits to %q", line, words, again, got)
		}
	})
}
