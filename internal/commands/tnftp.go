package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gftp/gftp/internal/session"
)

// Why form, mode and struct take one value each.
const (
	formWhy   = "the only format servers use"
	modeWhy   = "block and compressed modes are obsolete; for active or passive, use passive"
	structWhy = "record and page structures are obsolete"
)

// tnftpCommands are the rest of tnftp's commands, with its meaning, and
// the ones that make no sense here, which say why (no "unknown command"
// for a name an ftp(1) user types).
func tnftpCommands() []*Command {
	server := func(verb string) runFunc {
		return func(ctx context.Context, s *session.Session, a []string) error {
			return s.Quote(ctx, strings.TrimSpace(verb+" "+strings.Join(a, " ")))
		}
	}
	toggle := func(name string) runFunc {
		return func(ctx context.Context, s *session.Session, a []string) error { return s.Toggle(name, arg(a, 0)) }
	}
	// only accepts the one value that makes sense, as tnftp does for
	// form, mode and struct (its Check is onlyValue).
	only := func(name, value, why string) runFunc {
		return func(ctx context.Context, s *session.Session, a []string) error {
			if err := onlyValue(value, why)(a); err != nil {
				return err
			}
			s.Printf("Using %s %s.\n", value, name)
			return nil
		}
	}
	// onOnly is a toggle that is always on here: on is fine, off says why.
	onOnly := func(what, why string) runFunc {
		return func(ctx context.Context, s *session.Session, a []string) error {
			switch strings.ToLower(arg(a, 0)) {
			case "", "on":
				s.Printf("%s on.\n", what)
				return nil
			}
			return fmt.Errorf("only on is supported: %s", why)
		}
	}
	unsupported := func(_, why string) runFunc {
		return func(ctx context.Context, s *session.Session, a []string) error {
			return fmt.Errorf("not supported: %s", why)
		}
	}
	return []*Command{
		// The local side.
		{Name: "lpwd", Group: groupLocal, ReadOnly: true, Help: "print local working directory", Example: "lpwd",
			Run: func(ctx context.Context, s *session.Session, a []string) error { s.Lpwd(); return nil }},
		{Name: "!", Group: groupLocal, ReadOnly: true, Usage: "[command]", Help: "run a shell command in the local directory (alone: a shell)",
			Example: "!ls -l *.tgz", MaxArgs: 1,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Shell(ctx, arg(a, 0)) }},
		{Name: "lpage", Group: groupLocal, ReadOnly: true, Usage: "local-file", Help: "view a local file through $PAGER", Example: "lpage notes.txt",
			MinArgs: 1, MaxArgs: 1, Args: []ArgKind{ArgLocal},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Lpage(ctx, a[0]) }},
		{Name: "$", Group: groupLocal, ReadOnly: true, Usage: "macro-name [args...]", Help: "run a macro (macdef, or ~/.netrc's): $1 to $9 are the args, $i each in turn", Example: "$ nightly\n$ fetch a.tgz b.tgz   (a macro of get $i: each in turn)",
			// The arguments may be a password the macro sends ($ login s3cret).
			MinArgs: 1, MaxArgs: -1, Secret: 2,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.RunMacro(ctx, a[0], a[1:]) }},

		// Transfers.
		{Name: "reget", Group: groupTransfer, ReadOnly: true, Usage: "remote-file [local-file]", Help: "continue a download from the end of the local file (REST)", Example: "reget big.iso",
			MinArgs: 1, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Reget(ctx, a[0], arg(a, 1)) }},
		{Name: "reput", Group: groupTransfer, Usage: "local-file [remote-file]", Help: "continue an upload from what the server has (REST)", Example: "reput big.iso",
			MinArgs: 1, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgLocal, ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Reput(ctx, a[0], arg(a, 1)) }},
		{Name: "restart", Group: groupTransfer, ReadOnly: true, Usage: "[byte-offset]", Help: "start the next get or put at this byte (0: from the start)", Example: "restart 1048576\nget big.iso",
			MaxArgs: 1, Check: checkRestart,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Restart(arg(a, 0)) }},
		{Name: "append", Group: groupTransfer, Usage: "local-file [remote-file]", Help: "append a local file to a remote one (APPE)", Example: "append today.log all.log",
			MinArgs: 1, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgLocal, ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Append(ctx, a[0], arg(a, 1)) }},
		{Name: "fget", Group: groupTransfer, ReadOnly: true, Usage: "local-file", Help: "get the remote files named in a local file, one a line", Example: "fget names.txt",
			MinArgs: 1, MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgLocal},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Fget(ctx, a[0]) }},
		{Name: "mreget", Group: groupTransfer, ReadOnly: true, Usage: "remote-files...", Help: "reget multiple files (globs expanded by gftp)", Example: "mreget *.iso",
			MinArgs: 1, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Mreget(ctx, a) }},
		{Name: "page", Group: groupTransfer, ReadOnly: true, Aliases: []string{"more", "less"}, Usage: "remote-file", Help: "view a remote file through $PAGER", Example: "page README\nless notes.txt",
			MinArgs: 1, MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.PageRemote(ctx, a[0]) }},

		// Listings.
		{Name: "mlsd", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path [local-file]]", Help: "list contents of remote path, machine-readable (MLSD)", Example: "mlsd pub",
			MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal}, Run: listWith("MLSD")},
		{Name: "mlst", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path]", Help: "show the facts of one remote file (MLST)", Example: "mlst pub/backup.tgz",
			MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: server("MLST")},
		{Name: "mdir", Group: groupDirectories, ReadOnly: true, Usage: "remote-paths... local-file", Help: "list several remote paths (long form) into a local file (- : stdout)", Example: "mdir pub incoming all.txt",
			MinArgs: 2, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: multiList("LIST")},
		{Name: "mls", Group: groupDirectories, ReadOnly: true, Usage: "remote-paths... local-file", Help: "list names in several remote paths into a local file (- : stdout)", Example: "mls pub incoming -",
			MinArgs: 2, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: multiList("NLST")},
		{Name: "pdir", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path]", Help: "dir through $PAGER", Example: "pdir pub",
			MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: pageList("LIST")},
		{Name: "pls", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path]", Help: "nlist through $PAGER", Example: "pls",
			MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: pageList("NLST")},
		{Name: "pmlsd", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path]", Help: "mlsd through $PAGER", Example: "pmlsd",
			MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: pageList("MLSD")},

		// Remote files.
		{Name: "chmod", Group: groupFiles, Usage: "mode remote-file", Help: "change the permissions of a remote file (SITE CHMOD)",
			Example: "chmod 640 backup.tgz", MinArgs: 2, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgNone, ArgRemote},
			Check: func(a []string) error {
				if len(a) == 2 {
					if _, err := strconv.ParseUint(a[0], 8, 12); err != nil {
						return usageErrorf("%q is not an octal mode (like 644)", a[0])
					}
				}
				return nil
			},
			Run: server("SITE CHMOD")},
		{Name: "umask", Group: groupFiles, Usage: "[mask]", Help: "show or set the server's umask for new files (SITE UMASK)", Example: "umask 022",
			MaxArgs: 1, NeedConn: true, Run: server("SITE UMASK")},

		// Talking to the server.
		{Name: "account", Group: groupConnection, Usage: "[password]", Help: "send the account password the server asks for (ACCT)", Example: "account",
			MaxArgs: 1, NeedConn: true, Secret: 1, Run: server("ACCT")},
		{Name: "features", Group: groupServer, ReadOnly: true, Aliases: []string{"feat"}, Help: "show what the server supports (FEAT)", Example: "features",
			NeedConn: true, Run: server("FEAT")},
		{Name: "idle", Group: groupServer, ReadOnly: true, Usage: "[seconds]", Help: "show or set the server's idle timeout (SITE IDLE)", Example: "idle 600",
			MaxArgs: 1, NeedConn: true, Run: server("SITE IDLE")},
		{Name: "rhelp", Group: groupServer, ReadOnly: true, Usage: "[command]", Help: "ask the server for help (HELP)", Example: "rhelp\nrhelp SITE",
			MaxArgs: 1, NeedConn: true, Run: server("HELP")},
		{Name: "rstatus", Group: groupServer, ReadOnly: true, Usage: "[remote-file]", Help: "show the server's status, or a file's (STAT)", Example: "rstatus\nrstatus backup.tgz",
			MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote}, Run: server("STAT")},
		{Name: "remopts", Group: groupServer, ReadOnly: true, Usage: "command [options]", Help: "set a command's options on the server (OPTS)",
			Example: "remopts MLST type;size;modify;", MinArgs: 1, MaxArgs: 2, NeedConn: true, Run: server("OPTS")},
		{Name: "reset", Group: groupServer, ReadOnly: true, Help: "read and show replies the server sent unasked", Example: "reset",
			NeedConn: true, Run: server("NOOP")},

		// Options and toggles.
		{Name: "set", Group: groupOptions, ReadOnly: true, Usage: "[option [value]]", Help: "set an option by its config-file name (alone: list them)",
			Example: "set mode active\nset retries 5", MaxArgs: 2,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Set(arg(a, 0), arg(a, 1)) }},
		{Name: "unset", Group: groupOptions, ReadOnly: true, Usage: "option", Help: "turn an option off (or to 0)", Example: "unset verbose\nunset limit-rate",
			MinArgs: 1, MaxArgs: 1,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Unset(a[0]) }},
		{Name: "bell", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle a bell after each file transfer", Example: "bell on", MaxArgs: 1, Check: checkToggle, Run: toggle("bell")},
		{Name: "glob", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle file name globbing in mget, mput and mdelete", Example: "glob off\nmget file[1].txt", MaxArgs: 1, Check: checkToggle, Run: toggle("glob")},
		{Name: "case", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle mget's lower-casing of all-upper-case names", Example: "case on\nmget *.TXT", MaxArgs: 1, Check: checkToggle, Run: toggle("case")},
		{Name: "runique", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle receive unique: get never overwrites (name.1, name.2...)", Example: "runique on\nget report.pdf", MaxArgs: 1, Check: checkToggle, Run: toggle("runique")},
		{Name: "sunique", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle store unique: put lets the server choose a new name (STOU)", Example: "sunique on\nput report.pdf", MaxArgs: 1, Check: checkToggle, Run: toggle("sunique")},
		{Name: "epsv4", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle EPSV/EPRT (as epsv; gftp uses them for IPv4 and IPv6 alike)", Example: "epsv4 off", MaxArgs: 1, Check: checkEPSV,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetEPSV(arg(a, 0)) }},
		{Name: "epsv6", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle EPSV/EPRT (as epsv; IPv6 needs them: off still uses them there)", Example: "epsv6 on", MaxArgs: 1, Check: checkEPSV,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetEPSV(arg(a, 0)) }},
		{Name: "form", Group: groupOptions, ReadOnly: true, Usage: "[non-print]", Help: "file format (only non-print)", Example: "form non-print", MaxArgs: 1,
			Check: onlyValue("non-print", formWhy), Run: only("form", "non-print", formWhy)},
		{Name: "mode", Group: groupOptions, ReadOnly: true, Usage: "[stream]", Help: "transfer mode (only stream)", Example: "mode stream", MaxArgs: 1,
			Check: onlyValue("stream", modeWhy), Run: only("mode", "stream", modeWhy)},
		{Name: "struct", Group: groupOptions, ReadOnly: true, Usage: "[file]", Help: "file structure (only file)", Example: "struct file", MaxArgs: 1,
			Check: onlyValue("file", structWhy), Run: only("struct", "file", structWhy)},

		// What makes no sense here says why.
		{Name: "tenex", Group: groupUnsupported, ReadOnly: true, Help: "set the TENEX byte size (not supported)", Example: "binary            (instead of tenex)",
			Run: unsupported("tenex", "there are no TENEX systems left to talk to; use binary")},
		{Name: "proxy", Group: groupUnsupported, ReadOnly: true, Usage: "command", Help: "third-party transfers (not supported)", Example: "get file\nput file          (instead of proxy)", MaxArgs: -1,
			Run: unsupported("proxy", "server-to-server (FXP) transfers are refused by most servers for security; get, then put")},
		{Name: "gate", Group: groupUnsupported, ReadOnly: true, Usage: "[host [port]]", Help: "gate-ftp mode (not supported)", Example: "probe             (instead of gate)", MaxArgs: 2,
			Run: unsupported("gate", "gate-ftp firewall proxies are gone; for a firewall, see probe and --active-ports")},
		{Name: "ntrans", Group: groupUnsupported, ReadOnly: true, Usage: "[inchars [outchars]]", Help: "name character translation (not supported)", Example: "get REMOTE LOCAL  (instead of ntrans)", MaxArgs: 2,
			Run: unsupported("ntrans", "give the local name: get REMOTE LOCAL, put LOCAL REMOTE")},
		{Name: "nmap", Group: groupUnsupported, ReadOnly: true, Usage: "[inpattern outpattern]", Help: "name mapping (not supported)", Example: "get REMOTE LOCAL  (instead of nmap)", MaxArgs: 2,
			Run: unsupported("nmap", "give the local name: get REMOTE LOCAL, put LOCAL REMOTE")},
		{Name: "cr", Group: groupOptions, ReadOnly: true, Usage: "[on]", Help: "carriage-return stripping in ascii mode (always on)", Example: "cr on", MaxArgs: 1,
			Run: onOnly("Carriage Return stripping", "ascii mode always ends lines locally; use binary to keep the bytes as they are")},
		{Name: "sendport", Group: groupOptions, ReadOnly: true, Usage: "[on]", Help: "PORT/EPRT for each active-mode transfer (always on)", Example: "sendport on", MaxArgs: 1,
			Run: onOnly("Use of PORT cmds", "without PORT the server would connect to the client's default data port, which needs root")},
		{Name: "rate", Group: groupOptions, ReadOnly: true, Aliases: []string{"throttle"}, Usage: "[all | get | put] [maximum]", Help: "cap each transfer's bytes a second (k, m, g; 0: no cap)",
			Example: "rate all 1m\nrate get 500k\nrate put 0", MaxArgs: 3, Check: checkRate,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				return s.Rate(arg(a, 0), arg(a, 1), arg(a, 2))
			}},
		{Name: "xferbuf", Group: groupUnsupported, ReadOnly: true, Usage: "[size]", Help: "socket buffer size (the kernel's autotuning)", Example: "(the kernel sizes buffers)", MaxArgs: 1,
			Run: unsupported("xferbuf", "the kernel sizes socket buffers itself, better than a fixed size")},
		{Name: "sndbuf", Group: groupUnsupported, ReadOnly: true, Usage: "[size]", Help: "socket send buffer size (the kernel's autotuning)", Example: "(the kernel sizes buffers)", MaxArgs: 1,
			Run: unsupported("sndbuf", "the kernel sizes socket buffers itself, better than a fixed size")},
		{Name: "rcvbuf", Group: groupUnsupported, ReadOnly: true, Usage: "[size]", Help: "socket receive buffer size (the kernel's autotuning)", Example: "(the kernel sizes buffers)", MaxArgs: 1,
			Run: unsupported("rcvbuf", "the kernel sizes socket buffers itself, better than a fixed size")},
		{Name: "trace", Group: groupUnsupported, ReadOnly: true, Usage: "[on | off]", Help: "packet tracing (use debug, or --log)", Example: "debug on\n(or --log FILE)", MaxArgs: 1,
			Run: unsupported("trace", "use debug for the commands and replies, or --log FILE")},
		{Name: "edit", Group: groupOptions, ReadOnly: true, Usage: "[on]", Help: "command-line editing at the prompt (always on)", Example: "edit on", MaxArgs: 1,
			Run: onOnly("Editing", "the prompt always edits; scripts never do")},
		{Name: "macdef", Group: groupLocal, ReadOnly: true, Usage: "macro-name", Help: "define a macro: the lines that follow, up to an empty line ($ runs it)",
			Example: "macdef nightly\ncd bakdir\nmput *.tgz\n\n$ nightly", MinArgs: 1, MaxArgs: 1,
			// The script runner and the prompt read the lines (Macdef);
			// run on its own, from a macro, there are none to read.
			Run: unsupported("macdef", "inside a macro: define macros at the prompt, in a script or in ~/.netrc")},
		{Name: "usage", Group: groupHelp, ReadOnly: true, Usage: "command", Help: "show a command's usage", Example: "usage mirror",
			MinArgs: 1, MaxArgs: 1, Args: []ArgKind{ArgCommand}, Run: nil},
	}
}

// multiList is mdir and mls: each remote path's listing, in turn, into
// the local file that the last argument names ("-": stdout).
func multiList(verb string) runFunc {
	return func(ctx context.Context, s *session.Session, a []string) error {
		return s.MultiList(ctx, verb, a[:len(a)-1], a[len(a)-1])
	}
}

func pageList(verb string) runFunc {
	return func(ctx context.Context, s *session.Session, a []string) error {
		return s.PageList(ctx, verb, arg(a, 0))
	}
}

// Macdef reports a macdef line and its macro's name: the script runner
// and the prompt read the lines that follow as the macro's body.
func (t *Table) Macdef(words []string) (string, bool) {
	if len(words) != 2 {
		return "", false
	}
	c, err := t.Find(words[0])
	if err != nil || c.Name != "macdef" {
		return "", false
	}
	return words[1], true
}
