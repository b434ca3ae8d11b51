package commands

import (
	"fmt"
	"strings"
)

// Split breaks a command line into words, as ftp(1) and a shell do:
// blanks separate words; "double" and 'single' quotes group (a backslash
// escapes the next character outside single quotes); a # at the start of a
// word begins a comment. An unclosed quote is an error.
func Split(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		inTok bool
		quote rune
		esc   bool
	)
	for _, r := range line {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\':
			esc, inTok = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inTok = r, true
		case r == ' ' || r == '\t':
			if inTok {
				words = append(words, cur.String())
				cur.Reset()
				inTok = false
			}
		case r == '#' && !inTok:
			return words, nil
		default:
			cur.WriteRune(r)
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
