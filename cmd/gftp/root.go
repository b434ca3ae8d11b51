package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/session"
)

// Streams are the process's standard streams, injected so tests can drive
// everything, and whether each is a terminal (which tests can claim).
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	InTTY, OutTTY, ErrTTY bool
}

// StdStreams are the process's own.
func StdStreams() Streams {
	return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		InTTY: isTerminal(os.Stdin), OutTTY: isTerminal(os.Stdout), ErrTTY: isTerminal(os.Stderr)}
}

// config is the resolved configuration: plain values, read from viper once.
type config struct {
	// Session is the session's options, one value that the session keeps.
	Session session.Options

	KeepGoing   bool
	ProgressSet bool // --progress was given (flag, env or file): the prompt's default does not apply
	Script      string
	HistoryFile string
	Host, Port  string
	Probe       bool   // gftp probe host [port]
	Trust       bool   // gftp trust host [port]
	KnownHosts  string // the trusted certificates' file; "": none
	User        string // probe's login name
	LogFile     string
	Netrc       string
	MaxTime     time.Duration // bound on a whole script or probe run; 0 none
	Bookmarks   map[string]session.Bookmark
	URL         *urlRun // URLs on the command line (url.go); nil: host [port]
}

// newRootCmd builds the cobra command for the process's own flags; run
// receives the resolved config. In-session commands never go through cobra.
func newRootCmd(st Streams, table *commands.Table, stdinTTY bool, run func(config) error) *cobra.Command {
	v := viper.New()
	cmd := &cobra.Command{
		Use:   "gftp [flags] [host [port] | URL...]",
		Short: "a scriptable command-line FTP client",
		Long: "gftp is a scriptable command-line FTP client: an ftp(1) drop-in for heredoc scripts,\n" +
			"with a readline prompt at the terminal and exit codes that cron can trust.\n\n" +
			"Commands read from stdin (a heredoc), a --script file, or typed at the gftp> prompt.\n" +
			"A script stops at the first failed command; a line starting with '-' ignores its failure.",
		Args:          urlArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := resolve(v, cmd.Flags(), stdinTTY)
			if err != nil {
				return err
			}
			if err := takeURLs(cmd.Flags(), args, &cfg); err != nil {
				return err
			}
			if cfg.URL != nil {
				return run(cfg)
			}
			if len(args) > 0 {
				cfg.Host = args[0]
			}
			if len(args) > 1 {
				cfg.Port = args[1]
			}
			return run(cfg)
		},
	}
	cmd.SetIn(st.In)
	cmd.SetOut(st.Out)
	cmd.SetErr(st.Err)
	// cobra's own line ("gftp version ..."), not a template of ours:
	// any template links text/template, whose reflection keeps every
	// exported method in the binary (see helpWith).
	cmd.Version = buildVersion()
	// The root's own, not persistent: probe and trust take only those
	// that apply to them (hostCommand's shared), so their --help lists
	// no option they would ignore.
	f := cmd.Flags()
	f.SortFlags = false
	f.BoolP("no-prompt", "i", false, "turn off per-file prompting in mget, mput and mdelete")
	f.BoolP("no-login", "n", false, "no auto-login on open; use the user command")
	f.BoolP("no-glob", "g", false, "file name globbing off in mget, mput and mdelete, as the glob command turns it (tnftp's -g; config glob: false)")
	f.BoolP("verbose", "v", stdinTTY, "verbose: show server replies and transfer statistics (default on at a terminal)")
	// -V acts where it stands among the flags, as in tnftp: -vV is quiet,
	// -Vv verbose. It sets the flags themselves, so their keys carry it.
	f.BoolFuncP("no-verbose", "V", "verbose and progress bars off, even at a terminal; a later -v turns verbose on again (tnftp's -V)", func(s string) error {
		if on, err := strconv.ParseBool(s); err != nil || !on {
			return err
		}
		if err := f.Set("verbose", "false"); err != nil {
			return err
		}
		return f.Set("progress", "false")
	})
	f.BoolP("debug", "d", false, "debug: show the commands sent (PASS masked)")
	f.BoolP("ipv4", "4", false, "connect to IPv4 addresses only (tnftp's -4; config family: 4)")
	f.BoolP("ipv6", "6", false, "connect to IPv6 addresses only (tnftp's -6; config family: 6)")
	f.BoolP("passive", "p", false, "start in passive mode (no fallback)")
	f.BoolP("active", "A", false, "start in active mode (PORT/EPRT)")
	f.String("mode", "auto", "data connection mode: auto (passive, falling back to active), passive or active")
	f.String("script", "", "run commands from `FILE` instead of stdin")
	f.Bool("keep-going", false, "in scripts, go on after failed commands (the exit status still reports the first)")
	f.Duration("connect-timeout", ftp.DefaultConnectTimeout, "timeout for connecting to the server")
	f.Duration("reply-timeout", ftp.DefaultReplyTimeout, "timeout for each server reply")
	f.Duration("data-timeout", ftp.DefaultDataTimeout, "timeout for opening or accepting a data connection")
	f.Duration("stall-timeout", ftp.DefaultStallTimeout, "a transfer that moves no data for this long fails")
	f.IntP("quit-time", "q", 0, "--stall-timeout in seconds, for tnftp compatibility (tnftp's -q `N`: abort a transfer stalled for N seconds)")
	f.String("active-ports", "", "active mode listens only on ports `LO-HI` (for a narrow client firewall rule)")
	f.String("active-address", "", "announce `ADDR` in PORT/EPRT instead of the local address (behind NAT)")
	f.Duration("max-time", 0, "stop a script or probe that runs longer than this (temp files removed, exit 3); 0: no limit")
	f.Int("retries", 3, "try a transient failure (4xx, lost connection, stall) again up to `N` times; 0: never")
	f.Duration("retry-wait", 2*time.Second, "wait this long before the first retry, doubling each time (at most 30s)")
	f.Bool("pipeline", false, "send each next file's EPSV as soon as an upload's data is out, before the server has taken it (sooner than the default, which waits for the server to close the data connection; some servers then lose the upload)")
	f.Bool("preserve", true, "give downloaded files the server's modification time (tnftp's preserve), and put -r and mirror -R's uploads the local one where the server has MFMT or SITE UTIME (--preserve=false: neither)")
	f.String("limit-rate", "0", "cap each transfer at `RATE` bytes a second (k, m, g: KiB, MiB, GiB; tnftp's rate all); 0: no cap")
	f.Bool("progress", false, "show a progress bar per transfer when stderr is a terminal (default on at the prompt)")
	f.Int("parallel", 1, "mget and mput move `N` files at once, each over a connection of its own (as -P N does for one command)")
	f.Bool("temp-upload", false, "upload to a temporary name and rename when complete, so readers never see a partial file")
	f.Bool("epsv", true, "use the extended commands EPSV/EPRT (--epsv=false: PASV/PORT only)")
	f.String("tls", "off", "FTPS: explicit (AUTH TLS before the login), implicit (TLS from the first byte, port 990), auto (explicit when the server offers it), or off")
	f.String("tls-data", "private", "with TLS, data connections are private (PROT P) or clear (PROT C: for a firewall that must read them)")
	f.String("tls-ca", "", "trust the certificates in PEM `FILE` too, besides the system's")
	f.String("tls-fingerprint", "", "trust exactly the server certificate with this SHA-256 fingerprint (`SHA256:...`, as gftp prints it), self-signed or not")
	f.Bool("tls-insecure", false, "accept any certificate: encrypted, but the server may be anyone (never the default; prefer --tls-fingerprint)")
	f.String("tls-max-version", "1.3", "the newest TLS version to use: 1.2 or 1.3")
	f.StringP("netrc", "N", "", "use `FILE` for auto-login instead of $NETRC or ~/.netrc")
	f.String("log", "", "append timestamped lines (commands with PASS masked, replies, transfers, a summary) to `FILE`")
	f.String("config", "", "config `FILE` (default $XDG_CONFIG_HOME/gftp/config.yaml)")
	f.BoolP("no-edit", "e", false, "accepted for tnftp compatibility and ignored (tnftp's -e turns line editing off; scripts have none, and the prompt keeps it)")
	addURLFlags(cmd.Flags())
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		var unknown *pflag.NotExistError
		if errors.As(err, &unknown) && unknown.GetSpecifiedShortnames() != "" {
			if hint, ok := tnftpUnsupported[unknown.GetSpecifiedName()]; ok {
				return &commands.UsageError{Msg: hint}
			}
		}
		return &commands.UsageError{Msg: err.Error()}
	})
	// hostCommand is a subcommand taking host [port] and the root's
	// flags named in shared: the same *pflag.Flag values, so resolve
	// reads them, with the defaults of the rest, through the root's set.
	// set marks the config for it, after the flags are resolved.
	hostCommand := func(use, short, long string, shared []string, set func(c *cobra.Command, cfg *config)) *cobra.Command {
		sub := &cobra.Command{
			Use: use, Short: short, Long: long,
			Args:              cobra.RangeArgs(1, 2),
			ValidArgsFunction: completeHost,
			SilenceUsage:      true,
			SilenceErrors:     true,
			RunE: func(c *cobra.Command, args []string) error {
				cfg, err := resolve(v, f, stdinTTY)
				if err != nil {
					return err
				}
				cfg.Host = args[0]
				if len(args) > 1 {
					cfg.Port = args[1]
				}
				set(c, &cfg)
				return run(cfg)
			},
		}
		sub.SetFlagErrorFunc(cmd.FlagErrorFunc())
		sub.Flags().SortFlags = false
		for _, name := range shared {
			sub.Flags().AddFlag(f.Lookup(name))
		}
		cmd.AddCommand(sub)
		return sub
	}
	probe := hostCommand("probe [flags] host [port]",
		"try EPSV, PASV, EPRT and PORT against a server; recommend a mode and firewall rules",
		"probe logs in (as --user, password from GFTP_PASSWORD or asked on the terminal; without\n"+
			"--user, as ftp(1) would: asking on the terminal), then opens a data connection in each of\n"+
			"the four ways with a tiny listing, and prints which work, how long each took, the mode to\n"+
			"use and the firewall rules each side needs for it. It exits 3 when none works.",
		// Not the data mode, EPSV or transfer flags: probe tries all four
		// ways and moves no file.
		[]string{"verbose", "debug", "connect-timeout", "reply-timeout", "data-timeout", "stall-timeout",
			"active-ports", "active-address", "max-time", "tls", "tls-data", "tls-ca", "tls-fingerprint",
			"tls-insecure", "tls-max-version", "netrc", "log", "config"},
		func(c *cobra.Command, cfg *config) {
			cfg.Probe = true
			cfg.User, _ = c.Flags().GetString("user")
		})
	probe.Flags().String("user", "", "log in as `NAME`")
	trust := hostCommand("trust [flags] host [port]",
		"show a TLS server's certificate and trust it from now on (for scripts, which never ask)",
		"trust connects to the server over TLS (--tls implicit for port 990; explicit otherwise),\n"+
			"prints its certificate's subject, issuer, names, validity and SHA-256 fingerprint, and\n"+
			"stores the fingerprint for that host and port in the state directory\n"+
			"($XDG_STATE_HOME/gftp/known_hosts). Later connections accept that certificate, and fail\n"+
			"loudly if it changes. Check the fingerprint with the server's administrator first.",
		// It connects and does not log in: no login, data or
		// certificate-checking flags.
		[]string{"verbose", "debug", "connect-timeout", "reply-timeout", "max-time", "tls", "tls-max-version", "log", "config"},
		func(_ *cobra.Command, cfg *config) { cfg.Trust = true })
	cmd.AddCommand(newVersionCmd(), newManCmd(table))
	if err := registerCompletions(cmd); err != nil {
		panic(err) // a flag completion.go names is gone: every test run says so
	}
	// The subcommands get cobra's help, and probe and trust the exit
	// codes too; only the root's lists the in-session commands. cobra
	// adds help and completion when it runs: added now, they get it too.
	cmd.InitDefaultHelpCmd()
	cmd.InitDefaultCompletionCmd()
	plain := cmd.HelpFunc()
	for _, sub := range cmd.Commands() {
		sub.SetHelpFunc(plain)
	}
	probe.SetHelpFunc(helpWith(plain, exitCodesHelp))
	trust.SetHelpFunc(helpWith(plain, exitCodesHelp))
	var summary strings.Builder
	table.WriteSummary(&summary)
	cmd.SetHelpFunc(helpWith(plain, "Commands (at the prompt or in a script; unique prefixes work):\n"+
		summary.String()+"\n"+configHelp+"\n\n"+urlHelp+"\n\n"+exitCodesHelp))
	return cmd
}

// helpWith is cobra's help followed by more: a blank line, then more.
// A function, not a help template: with a template of its own, cobra
// executes it with text/template, whose MethodByName stops the linker
// from dropping any exported method it cannot prove unused. That kept
// 2.8 MB of dead code in the binary, most of it mapped at run time: the
// peak RSS of an mget -P 4 of 1000 files was 13.2 MB with it, 11.1 MB
// without (installcheck fails if MethodByName is linked again).
func helpWith(plain func(*cobra.Command, []string), more string) func(*cobra.Command, []string) {
	return func(c *cobra.Command, args []string) {
		plain(c, args)
		fmt.Fprint(c.OutOrStdout(), "\n"+more)
	}
}

// tnftpUnsupported says, for tnftp's options that gftp does not take,
// what to do instead: old scripts' ftp -ing then learn more than
// "unknown shorthand flag".
var tnftpUnsupported = map[string]string{
	"t": "-t (tnftp: packet tracing) is not supported; use -d, or --log FILE",
}

const configHelp = `Configuration: defaults < config file < GFTP_* environment (e.g. GFTP_MODE=active,
GFTP_DATA_TIMEOUT=5s) < flags. Config keys are the long flag names.`

// resolve layers defaults < config file < GFTP_* env < flags with a fresh
// viper, then copies the result into plain values.
func resolve(v *viper.Viper, f *pflag.FlagSet, stdinTTY bool) (config, error) {
	v.SetEnvPrefix("GFTP")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(f); err != nil {
		return config{}, fmt.Errorf("flags: %w", err)
	}
	v.SetDefault("verbose", stdinTTY)
	v.SetDefault("prompt", true)
	v.SetDefault("auto-login", true)
	v.SetDefault("glob", true)
	v.SetDefault("family", "any")
	if err := readConfigFile(v); err != nil {
		return config{}, err
	}
	// The ftp(1) letters are shorthands for keys of other names.
	if f.Changed("no-prompt") {
		v.Set("prompt", !mustBool(f, "no-prompt"))
	}
	if f.Changed("no-login") {
		v.Set("auto-login", !mustBool(f, "no-login"))
	}
	if f.Changed("no-glob") {
		v.Set("glob", !mustBool(f, "no-glob"))
	}
	if f.Changed("quit-time") {
		// tnftp's -q N: the stall timeout, in whole seconds.
		n, _ := f.GetInt("quit-time")
		if f.Changed("stall-timeout") {
			return config{}, &commands.UsageError{Msg: "-q (quit time) and --stall-timeout set the same timeout: give one of them"}
		}
		if n < 1 || n > math.MaxInt32 {
			return config{}, &commands.UsageError{Msg: fmt.Sprintf("-q (quit time) must be 1 or more seconds, not %d", n)}
		}
		v.Set("stall-timeout", time.Duration(n)*time.Second)
	}
	switch four, six := mustBool(f, "ipv4"), mustBool(f, "ipv6"); {
	case four && six:
		return config{}, &commands.UsageError{Msg: "-4 (IPv4 only) and -6 (IPv6 only) exclude each other"}
	case four:
		v.Set("family", "4")
	case six:
		v.Set("family", "6")
	}
	p, a := mustBool(f, "passive"), mustBool(f, "active")
	switch {
	case p && a:
		return config{}, &commands.UsageError{Msg: "-p (passive) and -A (active) exclude each other"}
	case p:
		v.Set("mode", "passive")
	case a:
		v.Set("mode", "active")
	}
	mode, err := session.ParseMode(v.GetString("mode"))
	if err != nil {
		return config{}, &commands.UsageError{Msg: err.Error()}
	}
	o := session.Options{
		Verbose:        v.GetBool("verbose"),
		Debug:          v.GetBool("debug"),
		Prompt:         v.GetBool("prompt"),
		AutoLogin:      v.GetBool("auto-login"),
		NoGlob:         !v.GetBool("glob"),
		Mode:           mode,
		EPSV:           v.GetBool("epsv"),
		TempUpload:     v.GetBool("temp-upload"),
		Retries:        v.GetInt("retries"),
		Parallel:       v.GetInt("parallel"),
		Progress:       v.GetBool("progress"),
		Preserve:       v.GetBool("preserve"),
		Pipeline:       v.GetBool("pipeline"),
		RetryWait:      v.GetDuration("retry-wait"),
		ConnectTimeout: v.GetDuration("connect-timeout"),
		ReplyTimeout:   v.GetDuration("reply-timeout"),
		DataTimeout:    v.GetDuration("data-timeout"),
		StallTimeout:   v.GetDuration("stall-timeout"),
	}
	switch fam := v.GetString("family"); fam {
	case "any", "":
	case "4", "6":
		o.Network = "tcp" + fam
	default:
		return config{}, &commands.UsageError{Msg: fmt.Sprintf("family must be any, 4 or 6, not %q", fam)}
	}
	if o.TLS, err = tlsOptions(v); err != nil {
		return config{}, err
	}
	if r := v.GetString("limit-rate"); r != "" {
		n, err := session.ParseSize(r)
		if err != nil {
			return config{}, &commands.UsageError{Msg: "limit-rate: " + err.Error()}
		}
		o.RateGet, o.RatePut = n, n
	}
	cfg := config{
		ProgressSet: f.Changed("progress") || v.InConfig("progress") || os.Getenv("GFTP_PROGRESS") != "",
		KeepGoing:   v.GetBool("keep-going"),
		Script:      v.GetString("script"),
		HistoryFile: stateFile(v.GetString("history-file"), "history"),
		KnownHosts:  stateFile(v.GetString("tls-known-hosts"), "known_hosts"),
		LogFile:     v.GetString("log"),
		Netrc:       v.GetString("netrc"),
	}
	if o.Retries < 0 || o.Retries > 100 {
		return config{}, &commands.UsageError{Msg: fmt.Sprintf("retries must be 0 to 100, not %d", o.Retries)}
	}
	if cfg.MaxTime = v.GetDuration("max-time"); cfg.MaxTime < 0 {
		return config{}, &commands.UsageError{Msg: "max-time must not be negative"}
	}
	if o.Parallel < 1 || o.Parallel > commands.MaxParallel {
		return config{}, &commands.UsageError{Msg: fmt.Sprintf("parallel must be 1 to %d, not %d", commands.MaxParallel, o.Parallel)}
	}
	if o.RetryWait < 0 {
		return config{}, &commands.UsageError{Msg: "retry-wait must not be negative"}
	}
	if r := v.GetString("active-ports"); r != "" {
		if o.ActivePortLow, o.ActivePortHigh, err = parsePortRange(r); err != nil {
			return config{}, &commands.UsageError{Msg: "active-ports: " + err.Error()}
		}
	}
	if a := v.GetString("active-address"); a != "" {
		if o.ActiveAddr, err = netip.ParseAddr(a); err != nil {
			return config{}, &commands.UsageError{Msg: fmt.Sprintf("active-address: %q is not an IP address", a)}
		}
		o.ActiveAddr = o.ActiveAddr.Unmap()
	}
	if cfg.Bookmarks, err = bookmarks(v); err != nil {
		return config{}, &commands.UsageError{Msg: "config: " + err.Error()}
	}
	cfg.Session = o
	for name, d := range map[string]time.Duration{"connect-timeout": o.ConnectTimeout, "reply-timeout": o.ReplyTimeout, "data-timeout": o.DataTimeout, "stall-timeout": o.StallTimeout} {
		if d <= 0 {
			return config{}, &commands.UsageError{Msg: fmt.Sprintf("%s must be a positive duration such as 10s, not %q", name, v.GetString(name))}
		}
	}
	return cfg, nil
}

// tlsOptions reads the TLS flags.
func tlsOptions(v *viper.Viper) (session.TLSOptions, error) {
	mode, err := session.ParseTLSMode(v.GetString("tls"))
	if err != nil {
		return session.TLSOptions{}, &commands.UsageError{Msg: "tls: " + err.Error()}
	}
	o := session.TLSOptions{Mode: mode, CAFile: v.GetString("tls-ca"), Fingerprint: v.GetString("tls-fingerprint"), Insecure: v.GetBool("tls-insecure")}
	switch d := strings.ToLower(v.GetString("tls-data")); d {
	case "private", "p":
	case "clear", "c":
		o.ClearData = true
	default:
		return o, &commands.UsageError{Msg: fmt.Sprintf("tls-data: %q: want private or clear", d)}
	}
	switch m := v.GetString("tls-max-version"); m {
	case "1.3":
	case "1.2":
		o.MaxVersion = tls.VersionTLS12
	default:
		return o, &commands.UsageError{Msg: fmt.Sprintf("tls-max-version: %q: want 1.2 or 1.3", m)}
	}
	if o.Fingerprint != "" {
		if _, err := session.ParseFingerprint(o.Fingerprint); err != nil {
			return o, &commands.UsageError{Msg: "tls-fingerprint: " + err.Error()}
		}
	}
	return o, nil
}

func mustBool(f *pflag.FlagSet, name string) bool {
	b, _ := f.GetBool(name)
	return b
}

// readConfigFile reads --config, or the default file when it exists.
func readConfigFile(v *viper.Viper) error {
	path := v.GetString("config")
	explicit := path != ""
	if !explicit {
		dir := os.Getenv("XDG_CONFIG_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil
			}
			dir = filepath.Join(home, ".config")
		}
		path = filepath.Join(dir, "gftp", "config.yaml")
		if _, err := os.Stat(path); err != nil {
			return nil
		}
	}
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return &commands.UsageError{Msg: fmt.Sprintf("config file %s: %v", path, err)}
	}
	return nil
}

// historyFile is the REPL's history file: the configured one, else
// $XDG_STATE_HOME/gftp/history ("" when no home is known: memory only).
// stateFile is the configured path, else name in gftp's state directory
// ($XDG_STATE_HOME/gftp, ~/.local/state/gftp); "" when there is none.
func stateFile(configured, name string) string {
	if configured != "" {
		return configured
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "gftp", name)
}

// parsePortRange reads "LO-HI" or a single port "N".
func parsePortRange(r string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(r, "-")
	if !isRange {
		b = a
	}
	lo, err1 := strconv.Atoi(strings.TrimSpace(a))
	hi, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("%q is not a port range LO-HI within 1-65535", r)
	}
	return lo, hi, nil
}

// bookmarkKeys are the settings a named host may have.
var bookmarkKeys = map[string]bool{"host": true, "port": true, "user": true, "mode": true,
	"active-ports": true, "connect-timeout": true, "reply-timeout": true, "data-timeout": true, "tls": true, "tls-fingerprint": true}

// bookmarks reads the config file's named hosts:
//
//	hosts:
//	  backup: {host: 192.0.2.10, port: 21, user: backup, mode: active, active-ports: 50000-50010, data-timeout: 5s}
func bookmarks(v *viper.Viper) (map[string]session.Bookmark, error) {
	out := map[string]session.Bookmark{}
	for name := range v.GetStringMap("hosts") {
		sub := v.Sub("hosts." + name)
		if sub == nil {
			return nil, fmt.Errorf("hosts.%s: want host, port, user, ... settings", name)
		}
		for k := range sub.AllSettings() {
			if !bookmarkKeys[k] {
				return nil, fmt.Errorf("hosts.%s: unknown setting %q", name, k)
			}
		}
		b := session.Bookmark{Host: sub.GetString("host"), Port: sub.GetString("port"), User: sub.GetString("user")}
		if b.Host == "" {
			return nil, fmt.Errorf("hosts.%s: no host", name)
		}
		if m := sub.GetString("mode"); m != "" {
			mode, err := session.ParseMode(m)
			if err != nil {
				return nil, fmt.Errorf("hosts.%s: %w", name, err)
			}
			b.Mode = &mode
		}
		if m := sub.GetString("tls"); m != "" {
			mode, err := session.ParseTLSMode(m)
			if err != nil {
				return nil, fmt.Errorf("hosts.%s: %w", name, err)
			}
			b.TLS = &mode
		}
		if fp := sub.GetString("tls-fingerprint"); fp != "" {
			if _, err := session.ParseFingerprint(fp); err != nil {
				return nil, fmt.Errorf("hosts.%s: tls-fingerprint: %w", name, err)
			}
			b.TLSFingerprint = fp
		}
		if r := sub.GetString("active-ports"); r != "" {
			var err error
			if b.ActivePortLow, b.ActivePortHigh, err = parsePortRange(r); err != nil {
				return nil, fmt.Errorf("hosts.%s: active-ports: %w", name, err)
			}
		}
		for key, dst := range map[string]*time.Duration{"connect-timeout": &b.ConnectTimeout, "reply-timeout": &b.ReplyTimeout, "data-timeout": &b.DataTimeout} {
			if !sub.IsSet(key) {
				continue
			}
			d, err := time.ParseDuration(sub.GetString(key))
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("hosts.%s: %s: %q is not a positive duration such as 10s", name, key, sub.GetString(key))
			}
			*dst = d
		}
		out[name] = b
	}
	return out, nil
}
