package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// flagValues are the values of the flags that take one of a few words, for
// shell completion, each with the phrase that zsh and fish show beside it.
// TestFlagValuesAccepted runs each through resolve, so a value renamed
// there cannot go on being offered here.
func flagValues() map[string][]cobra.Completion {
	return map[string][]cobra.Completion{
		"mode": {
			cobra.CompletionWithDesc("auto", "passive, falling back to active"),
			cobra.CompletionWithDesc("passive", "EPSV/PASV only"),
			cobra.CompletionWithDesc("active", "EPRT/PORT: the server connects back"),
		},
		"tls": {
			cobra.CompletionWithDesc("off", "plaintext, as ftp(1)"),
			cobra.CompletionWithDesc("explicit", "AUTH TLS before the login"),
			cobra.CompletionWithDesc("implicit", "TLS from the first byte (port 990)"),
			cobra.CompletionWithDesc("auto", "explicit when the server offers it"),
		},
		"tls-data": {
			cobra.CompletionWithDesc("private", "PROT P: data connections encrypted"),
			cobra.CompletionWithDesc("clear", "PROT C: data connections in plaintext"),
		},
		"tls-max-version": {
			cobra.CompletionWithDesc("1.2", "TLS 1.2"),
			cobra.CompletionWithDesc("1.3", "TLS 1.3"),
		},
	}
}

// registerCompletions teaches cobra's completion (gftp completion
// bash|zsh|fish, and the hidden __complete they call) the values of the
// root's flags and the bookmark names for its host argument (probe and
// trust set completeHost themselves). The
// subcommands share the root's *pflag.Flag values, and cobra keys flag
// completions by flag, so registering on the root covers them too. A
// flag not found is an error: a renamed flag must not lose its
// completion silently.
func registerCompletions(root *cobra.Command) error {
	values := flagValues()
	for _, name := range slices.Sorted(maps.Keys(values)) {
		words := values[name]
		err := root.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return withPrefix(words, toComplete), cobra.ShellCompDirectiveNoFileComp
		})
		if err != nil {
			return fmt.Errorf("completion of --%s: %w", name, err)
		}
	}
	// These name local files. With no completion of their own, __complete
	// answers "the shell's default", which is file names; the mark says
	// so to cobra's other generators too. They must stay out of noFiles.
	for _, name := range []string{"config", "script", "log", "netrc", "tls-ca"} {
		if err := root.MarkFlagFilename(name); err != nil {
			return fmt.Errorf("completion of --%s: %w", name, err)
		}
	}
	// These take a value that is never a file name (an address, a range,
	// a fingerprint, a number, a duration): the shell offers nothing
	// rather than files.
	noFiles := []string{"active-address", "active-ports", "tls-fingerprint", "limit-rate", "upload"}
	root.Flags().VisitAll(func(f *pflag.Flag) {
		if t := f.Value.Type(); t == "int" || t == "duration" {
			noFiles = append(noFiles, f.Name)
		}
	})
	for _, name := range noFiles {
		if err := root.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions); err != nil {
			return fmt.Errorf("completion of --%s: %w", name, err)
		}
	}
	root.ValidArgsFunction = completeHost
	return nil
}

// withPrefix keeps the completions that start with prefix, as the shells
// expect of a completion function.
func withPrefix(words []cobra.Completion, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, w := range words {
		if strings.HasPrefix(w, prefix) {
			out = append(out, w)
		}
	}
	return out
}

// completeHost completes the host argument of `gftp [host [port]]`,
// `gftp probe` and `gftp trust` with the bookmark names of the config
// file (the one --config names on the line being completed, else the
// default), each shown with its host. It only reads the file: nothing
// connects while a shell completes. The port is not completed.
func completeHost(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, b := range bookmarkNames(c.Flags()) {
		if strings.HasPrefix(b.name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(b.name, b.host))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

type bookmarkName struct{ name, host string }

// bookmarkNames lists the hosts: section of the config file, sorted. A
// config file that cannot be read completes nothing: at a shell's Tab
// there is nowhere to say why, and running gftp reports it.
func bookmarkNames(f *pflag.FlagSet) []bookmarkName {
	v := viper.New()
	v.SetEnvPrefix("GFTP")
	if err := v.BindEnv("config"); err != nil {
		return nil
	}
	if fl := f.Lookup("config"); fl != nil {
		if err := v.BindPFlag("config", fl); err != nil {
			return nil
		}
	}
	if err := readConfigFile(v); err != nil {
		return nil
	}
	var out []bookmarkName
	for name := range v.GetStringMap("hosts") {
		out = append(out, bookmarkName{name: name, host: v.GetString("hosts." + name + ".host")})
	}
	slices.SortFunc(out, func(a, b bookmarkName) int { return strings.Compare(a.name, b.name) })
	return out
}
