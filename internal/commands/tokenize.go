package commands

import (
	"fmt"
	"strings"
)

// Split breaks a command line into words, as ftp(1) and a shell do:
// blanks separate words; "double" and 'single' quotes group (a backslash
// escapes the next character outside single quotes). An unclosed quote is
// an error. A # is a character like any other here: only a whole line can
// be a comment (ParseLine), so "user bob #pw" keeps its password.
//
// It works on bytes, not runes: every byte that is not a blank, a quote or
// a backslash is kept as it is, so a name in Latin-1 (invalid UTF-8)
// reaches the server and the local file system byte for byte. (Ranging
// over runes would turn each such byte into U+FFFD.) All the special
// characters are ASCII, which never occurs inside a UTF-8 sequence.
func Split(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		inTok bool
		quote byte
		esc   bool
	)
	for i := range len(line) {
		r := line[i]
		switch {
		case esc:
			cur.WriteByte(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteByte(r)
			}
		case r == '\\':
			esc, inTok = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteByte(r)
			}
		case r == '"' || r == '\'':
			quote, inTok = r, true
		case r == ' ' || r == '\t':
			if inTok {
				words = append(words, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteByte(r)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote", quote)
	}
	if esc {
		return nil, fmt.Errorf("line ends with a backslash")
	}
	if inTok {
		words = append(words, cur.String())
	}
	return words, nil
}
