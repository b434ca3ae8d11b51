package commands_test

import (
	"strings"
	"testing"

	"github.com/gftp/gftp/internal/commands"
)

// secretParts are pieces of the test password S3cr3tZZ (or of the one
// split by a '/', ']' or a space): none may show.
var secretParts = []string{"S3cr", "3tZZ", "ACCTs3cret"}

func showsSecret(s string) bool {
	for _, p := range secretParts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// The history line and the command line an error quotes hide every
// password: a URL's (even with an unencoded '/' or ']' in it, or a
// control character elsewhere in the word), a bare user:password@host,
// every word after user's name, and a macro's arguments.
func TestDisplayHidesEverySecret(t *testing.T) {
	tab := commands.Default()
	tests := []struct {
		words []string
		want  string
	}{
		{[]string{"open", "ftp://bob:S3cr/3tZZ@127.0.0.1:47121"}, "open ftp://****@127.0.0.1:47121"},
		{[]string{"open", "ftp://bob:S3cr]/3tZZ@host/"}, "open ftp://****@host/"},
		{[]string{"open", "ftp://bob:S3cr3tZZ@127.0.0.1/\x16"}, `open "ftp://bob:****@127.0.0.1/\x16"`},
		{[]string{"open", "bob:S3cr3tZZ@127.0.0.1"}, "open bob:****@127.0.0.1"},
		{[]string{"ftp", "bob:S3cr/3tZZ@127.0.0.1", "21"}, "ftp bob:****@127.0.0.1 21"},
		{[]string{"open", "bob@127.0.0.1"}, "open bob@127.0.0.1"},
		{[]string{"get", "ftp://bob:S3cr/3tZZ@h/f", "x"}, "get ftp://****@h/f x"},
		{[]string{"get", "ftp://bob:S3cr3tZZ@h/\x16"}, `get "ftp://bob:****@h/\x16"`},
		{[]string{"user", "bob", "S3cr3tZZ", "ACCTs3cret"}, "user bob **** ****"},
		{[]string{"user", "bob", "S3cr", "3tZZ"}, "user bob **** ****"},
		{[]string{"account", "S3cr", "3tZZ"}, "account **** ****"},
		{[]string{"$", "m", "S3cr3tZZ"}, "$ m ****"},
		{[]string{"$", "m", "a", "S3cr3tZZ"}, "$ m **** ****"},
		{[]string{"$", "m"}, "$ m"},
	}
	for _, tt := range tests {
		got := tab.Display(tt.words)
		if got != tt.want {
			t.Errorf("Display(%q) = %q, want %q", tt.words, got, tt.want)
		}
		if showsSecret(got) {
			t.Errorf("Display(%q) = %q shows the password", tt.words, got)
		}
	}
}

func TestMaskUserinfo(t *testing.T) {
	for raw, want := range map[string]string{
		"ftp://bob:S3cr3tZZ@host/f":       "ftp://bob:****@host/f",
		"ftp://bob:S3cr@3tZZ@host/f":      "ftp://bob:****@host/f",
		"ftp://bob:S3cr/3tZZ@host:21":     "ftp://****@host:21",
		"ftp://bob:S3cr]/3tZZ@host/":      "ftp://****@host/",
		"ftp://[u:S3cr]3tZZ/x@host/":      "ftp://****@host/",
		"ftp://bob:S3cr3tZZ@[::1]:21/a@b": "ftp://bob:****@[::1]:21/a@b",
		"ftp://[::1]/a@b":                 "ftp://[::1]/a@b",
		"ftp://[fe80::1%25eth0]/a@b":      "ftp://[fe80::1%25eth0]/a@b",
		"ftp://bob@host/f":                "ftp://bob@host/f",
		"ftp://host/a@b":                  "ftp://host/a@b",
		"ftp://host:21/f":                 "ftp://host:21/f",
		"host":                            "host",
		"bob:S3cr3tZZ@host":               "bob:S3cr3tZZ@host", // no URL: open's own rule
	} {
		if got := commands.MaskUserinfo(raw); got != want {
			t.Errorf("MaskUserinfo(%q) = %q, want %q", raw, got, want)
		}
	}
}
