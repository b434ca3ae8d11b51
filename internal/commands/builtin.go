package commands

import (
	"context"
	"path"
	"strconv"
	"strings"

	"github.com/gftp/gftp/internal/session"
)

type runFunc = func(ctx context.Context, s *session.Session, args []string) error

// arg returns args[i], or "" when absent.
func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}

// Default is gftp's command table.
func Default() *Table {
	t := &Table{}
	cmds := []*Command{
		{Name: "open", Group: groupConnection, Aliases: []string{"ftp"}, Usage: "[host [port]]", Help: "connect to remote ftp server", Example: "open ftp.example.com\nopen backup          (a named host from the config file)\nopen [::1] 2121",
			MaxArgs: 2,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				if len(a) == 0 {
					return s.OpenAsking(ctx)
				}
				return s.Open(ctx, a[0], arg(a, 1))
			}},
		{Name: "user", Group: groupConnection, Usage: "[user-name [password]]", Help: "send new user information", Example: "user backup\nuser anonymous me@example.com",
			MaxArgs: 2, NeedConn: true, Secret: 2,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				if len(a) == 0 {
					return s.UserAsking(ctx)
				}
				if len(a) == 2 {
					return s.Login(ctx, a[0], a[1])
				}
				return s.LoginAsking(ctx, a[0])
			}},
		{Name: "close", Group: groupConnection, Aliases: []string{"disconnect"}, Help: "terminate ftp session", Example: "close", MaxArgs: 0,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Disconnect(ctx) }},
		{Name: "bye", Group: groupConnection, Aliases: []string{"quit", "exit"}, Help: "terminate ftp session and exit", Example: "bye", MaxArgs: 0,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return ErrQuit }},
		{Name: "passive", Group: groupConnection, ReadOnly: true, Usage: "[on | off | auto]", Help: "toggle use of passive transfer mode", Example: "passive off          (active mode: the server connects back)\npassive auto", MaxArgs: 1, Check: checkPassive,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetPassive(arg(a, 0)) }},
		{Name: "epsv", Group: groupConnection, ReadOnly: true, Usage: "[on | off]", Help: "toggle use of EPSV/EPRT (off: PASV/PORT only)", Example: "epsv off            (PASV/PORT only)", MaxArgs: 1, Check: checkEPSV,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetEPSV(arg(a, 0)) }},
		{Name: "tls", Group: groupConnection, ReadOnly: true, Usage: "[off | explicit | implicit | auto]", Help: "show the connection's TLS, or set the mode for the next open", Example: "tls explicit\ntls", MaxArgs: 1, Check: checkTLS,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetTLS(arg(a, 0)) }},
		{Name: "probe", Group: groupConnection, ReadOnly: true, Help: "try EPSV, PASV, EPRT and PORT; recommend a mode and firewall rules", Example: "probe", NeedConn: true,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Probe(ctx) }},
		{Name: "binary", Group: groupTransfer, ReadOnly: true, Aliases: []string{"image"}, Help: "set binary transfer type", Example: "binary", MaxArgs: 0,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetASCII(ctx, false) }},
		{Name: "ascii", Group: groupTransfer, ReadOnly: true, Help: "set ascii transfer type", Example: "ascii\nget notes.txt", MaxArgs: 0,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetASCII(ctx, true) }},
		{Name: "type", Group: groupTransfer, ReadOnly: true, Usage: "[ascii | binary | image]", Help: "set file transfer type", Example: "type ascii\ntype", MaxArgs: 1, Check: checkType, Run: runType},
		{Name: "cd", Group: groupDirectories, Aliases: []string{"cwd"}, Usage: "remote-directory", Help: "change remote working directory", Example: "cd bakdir\ncd /pub/linux",
			MinArgs: 1, MaxArgs: 1, NeedConn: true, Reconnects: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Cd(ctx, a[0]) }},
		{Name: "cdup", Group: groupDirectories, Help: "change remote working directory to parent directory", Example: "cdup", NeedConn: true,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Cdup(ctx) }},
		{Name: "pwd", Group: groupDirectories, ReadOnly: true, Help: "print working directory on remote machine", Example: "pwd", NeedConn: true,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Pwd(ctx) }},
		{Name: "lcd", Group: groupLocal, ReadOnly: true, Usage: "[local-directory]", Help: "change local working directory", Example: "lcd /srv/backup\nlcd ~", MaxArgs: 1,
			Args: []ArgKind{ArgLocal},
			Run:  func(ctx context.Context, s *session.Session, a []string) error { return s.Lcd(arg(a, 0)) }},
		{Name: "ls", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path [local-file]]", Help: "list contents of remote path", Example: "ls\nls -la pub\nls pub listing.txt",
			MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal}, Run: listWith("LIST")},
		{Name: "dir", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path [local-file]]", Help: "list contents of remote path (long form)", Example: "dir\ndir pub listing.txt",
			MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal}, Run: listWith("LIST")},
		{Name: "nlist", Group: groupDirectories, ReadOnly: true, Usage: "[remote-path [local-file]]", Help: "list names of files in remote path", Example: "nlist\nnlist pub names.txt",
			MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal}, Run: listWith("NLST")},
		{Name: "get", Group: groupTransfer, ReadOnly: true, Aliases: []string{"recv"}, Usage: "[-c] remote-file [local-file] | -r [-P N] remote-dir [local-dir]",
			Help:    "receive file (-c: continue a partial local file; -r: a directory and all below it; local - is stdout, |cmd a pipe)",
			Example: "get backup.tgz\nget -c big.iso\nget notes.txt -\nget log.gz \"|zcat | tail\"",
			MinArgs: 1, MaxArgs: 5, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal}, Check: checkGet,
			Run: fileOrTree((*session.Session).Get, (*session.Session).Reget, (*session.Session).GetTree)},
		{Name: "put", Group: groupTransfer, Aliases: []string{"send"}, Usage: "[-c] local-file [remote-file] | -r [-P N] local-dir [remote-dir]",
			Help:    "send one file (-c: continue from what the server has; -r: a directory and all below it)",
			Example: "put backup.tgz\nput -c big.iso\nput -r site www",
			MinArgs: 1, MaxArgs: 5, NeedConn: true, Args: []ArgKind{ArgLocal, ArgRemote}, Check: checkGet,
			Run: fileOrTree((*session.Session).Put, (*session.Session).Reput, (*session.Session).PutTree)},
		{Name: "mget", Group: groupTransfer, ReadOnly: true, Usage: "[-r] [-P N] remote-files...", Help: "get multiple files (globs expanded by gftp; -r: directories too, with all below them; -P N: over N connections at once)", Example: "mget *.tgz\nmget -P 4 logs/*.gz\nmget -r site*",
			MinArgs: 1, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgRemote}, Check: checkMulti,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				r, n, files, _ := multiArgs(a)
				if r {
					return s.MgetTree(ctx, n, files)
				}
				return s.Mget(ctx, n, files)
			}},
		{Name: "mput", Group: groupTransfer, Aliases: []string{"msend"}, Usage: "[-r] [-P N] local-files...", Help: "send multiple files (local globs; -r: directories too, with all below them; -P N: over N connections at once)", Example: "mput backup-*.tgz\nmput -P 4 *.sql.gz\nmput -r www",
			MinArgs: 1, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgLocal}, Check: checkMulti,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				r, n, files, _ := multiArgs(a)
				if r {
					return s.MputTree(ctx, n, files)
				}
				return s.Mput(ctx, n, files)
			}},
		{Name: "delete", Group: groupFiles, Aliases: []string{"rm"}, Usage: "remote-file | -r remote-dir", Help: "delete remote file (-r: a directory and all in it)", Example: "delete old.tgz\nrm -r tmpdir",
			MinArgs: 1, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote}, Check: checkDelete,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				if len(a) == 2 {
					return s.RmTree(ctx, a[1])
				}
				return s.Delete(ctx, a[0])
			}},
		{Name: "mdelete", Group: groupFiles, Usage: "remote-files...", Help: "delete multiple files (globs expanded by gftp)", Example: "mdelete backup-2026-11-*.tgz",
			MinArgs: 1, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Mdelete(ctx, a) }},
		{Name: "mkdir", Group: groupFiles, Usage: "[-p] directory-name", Help: "make directory on the remote machine (-p: and its missing parents)", Example: "mkdir bakdir\nmkdir -p a/b/c",
			MinArgs: 1, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: runMkdir},
		{Name: "rmdir", Group: groupFiles, Usage: "directory-name", Help: "remove directory on the remote machine", Example: "rmdir olddir",
			MinArgs: 1, MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Rmdir(ctx, a[0]) }},
		{Name: "rename", Group: groupFiles, Usage: "from-name to-name", Help: "rename file", Example: "rename upload.tmp upload.tgz",
			MinArgs: 2, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Rename(ctx, a[0], a[1]) }},
		{Name: "modtime", Group: groupFiles, ReadOnly: true, Usage: "remote-file", Help: "show last modification time of remote file", Example: "modtime backup.tgz",
			MinArgs: 1, MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Modtime(ctx, a[0]) }},
		{Name: "mirror", Group: groupTransfer, Usage: "[-R] [--dry-run] [--delete] [--only-newer] [--exclude GLOB] [--include GLOB] [--no-perms] [--no-symlinks] [--max-errors N] [--temp-upload] [-P N] remote-dir [local-dir]  (-R: local-dir [remote-dir])",
			Help: "make a local directory a copy of a remote one, or with -R the other way (only what changed moves)", Example: "mirror site /srv/copy\nmirror -R --delete backup bakdir\nmirror --dry-run --exclude \"*.tmp\" -P 4 site",
			MinArgs: 1, MaxArgs: -1, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal},
			Check: func(a []string) error { _, _, err := mirrorArgs(a); return err },
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				o, rest, err := mirrorArgs(a)
				if err != nil {
					return err
				}
				if o.Reverse {
					return s.MirrorUp(ctx, rest[0], arg(rest, 1), o)
				}
				return s.Mirror(ctx, rest[0], arg(rest, 1), o)
			}},
		{Name: "newer", Group: groupTransfer, ReadOnly: true, Usage: "remote-file [local-file]", Help: "get file if remote file is newer than local file", Example: "newer report.pdf",
			MinArgs: 1, MaxArgs: 2, NeedConn: true, Args: []ArgKind{ArgRemote, ArgLocal},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Newer(ctx, a[0], arg(a, 1)) }},
		{Name: "preserve", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle preservation of modification times on retrieved files", Example: "preserve off", MaxArgs: 1, Check: checkOnOff,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.TogglePreserve(arg(a, 0)) }},
		{Name: "size", Group: groupFiles, ReadOnly: true, Usage: "remote-file", Help: "show size of remote file", Example: "size backup.tgz",
			MinArgs: 1, MaxArgs: 1, NeedConn: true, Args: []ArgKind{ArgRemote},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Size(ctx, a[0]) }},
		{Name: "prompt", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "force interactive prompting on multiple commands", Example: "prompt off", MaxArgs: 1, Check: checkOnOff,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.TogglePrompt(arg(a, 0)) }},
		{Name: "verbose", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle verbose mode", Example: "verbose on", MaxArgs: 1, Check: checkOnOff,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.ToggleVerbose(arg(a, 0)) }},
		{Name: "debug", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle/set debugging mode (show commands sent)", Example: "debug on", MaxArgs: 1, Check: checkOnOff,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.ToggleDebug(arg(a, 0)) }},
		{Name: "progress", Group: groupOptions, ReadOnly: true, Usage: "[on | off]", Help: "toggle progress bars (at a terminal)", Example: "progress off", MaxArgs: 1, Check: checkOnOff,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.ToggleProgress(arg(a, 0)) }},
		{Name: "hash", Group: groupOptions, ReadOnly: true, Usage: "[on | off | bytes]", Help: "toggle printing # for each buffer transferred", Example: "hash on\nhash 65536", MaxArgs: 1, Check: checkHash,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.SetHash(arg(a, 0)) }},
		{Name: "status", Group: groupConnection, ReadOnly: true, Help: "show current status", Example: "status", MaxArgs: 0,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.Status(ctx) }},
		{Name: "quote", Group: groupServer, Usage: "command [arguments...]", Help: "send arbitrary ftp command", Example: "quote STAT\nquote HELP SITE",
			MinArgs: 1, MaxArgs: -1, NeedConn: true,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				return s.Quote(ctx, strings.Join(a, " "))
			}},
		{Name: "site", Group: groupServer, Usage: "arguments...", Help: "send site specific command to remote server", Example: "site CHMOD 640 backup.tgz",
			MinArgs: 1, MaxArgs: -1, NeedConn: true,
			Run: func(ctx context.Context, s *session.Session, a []string) error {
				return s.Quote(ctx, "SITE "+strings.Join(a, " "))
			}},
		{Name: "system", Group: groupConnection, ReadOnly: true, Help: "show remote system type", Example: "system", NeedConn: true,
			Run: func(ctx context.Context, s *session.Session, a []string) error { return s.System(ctx) }},
		{Name: "help", Group: groupHelp, ReadOnly: true, Aliases: []string{"?"}, Usage: "[command]", Help: "print local help information", Example: "help\nhelp mirror",
			MaxArgs: 1, Args: []ArgKind{ArgCommand},
			Run: func(ctx context.Context, s *session.Session, a []string) error { return t.help(s, arg(a, 0)) }},
	}
	cmds = append(cmds, tnftpCommands()...)
	*t = *NewTable(cmds)
	t.names["usage"].Run = func(ctx context.Context, s *session.Session, a []string) error {
		c, err := t.Find(a[0])
		if err != nil {
			return err
		}
		s.Printf("usage: %s\n", c.UsageLine())
		return nil
	}
	return t
}

func listWith(verb string) runFunc {
	return func(ctx context.Context, s *session.Session, a []string) error {
		return s.List(ctx, verb, arg(a, 0), arg(a, 1))
	}
}

func runType(ctx context.Context, s *session.Session, a []string) error {
	if arg(a, 0) == "" {
		s.Printf("Using %s mode to transfer files.\n", s.Type())
		return nil
	}
	ascii, err := typeArg(a[0])
	if err != nil {
		return err
	}
	return s.SetASCII(ctx, ascii)
}

// MaxParallel bounds -P and --parallel: more connections than this only
// trip servers' limits.
const MaxParallel = 32

// parallelArg takes a leading "-P N" (or "-PN") off a multi-file
// command's arguments: N, 0 when absent, and the files.
func parallelArg(a []string) (n int, files []string, err error) {
	if len(a) == 0 || !strings.HasPrefix(a[0], "-P") {
		return 0, a, nil
	}
	v, rest := strings.TrimPrefix(a[0], "-P"), a[1:]
	if v == "" {
		if len(rest) == 0 {
			return 0, nil, usageErrorf("-P wants a number of connections")
		}
		v, rest = rest[0], rest[1:]
	}
	n, cerr := strconv.Atoi(v)
	if cerr != nil || n < 1 || n > MaxParallel {
		return 0, nil, usageErrorf("-P %s: want a number of connections from 1 to %d", v, MaxParallel)
	}
	return n, rest, nil
}

// multiArgs reads mget's and mput's options, -r and -P N, in any order
// ("--" ends them).
func multiArgs(a []string) (recursive bool, n int, files []string, err error) {
	for len(a) > 0 {
		switch {
		case a[0] == "--":
			return recursive, n, a[1:], nil
		case a[0] == "-r":
			recursive, a = true, a[1:]
		case strings.HasPrefix(a[0], "-P"):
			if n, a, err = parallelArg(a); err != nil {
				return false, 0, nil, err
			}
		default:
			return recursive, n, a, nil
		}
	}
	return recursive, n, nil, nil
}

func checkMulti(a []string) error {
	_, _, files, err := multiArgs(a)
	if err == nil && len(files) == 0 {
		err = usageErrorf("no files named")
	}
	return err
}

// runMkdir is mkdir, and mkdir -p (a directory named "-p" is ./-p).
func runMkdir(ctx context.Context, s *session.Session, a []string) error {
	switch {
	case len(a) == 1:
		return s.Mkdir(ctx, a[0])
	case a[0] == "-p":
		return s.MkdirAll(ctx, a[1])
	}
	return &UsageError{Msg: "usage: mkdir [-p] directory-name"}
}

// getArgsC reads get's and put's arguments: a file and its other name,
// after -c (continue: reget, reput) or not; or -r [-P N], a directory and
// its other name.
func getArgsC(a []string) (cont, recursive bool, n int, rest []string, err error) {
	if len(a) > 0 && a[0] == "-c" {
		cont, a = true, a[1:]
	}
	if len(a) > 0 && a[0] == "-r" && !cont {
		recursive = true
		if n, rest, err = parallelArg(a[1:]); err != nil {
			return
		}
	} else {
		rest = a
	}
	if len(rest) < 1 || len(rest) > 2 {
		err = usageErrorf("wrong number of arguments")
	}
	return
}

// fileOrTree is get's and put's handler: one file, with -c continued
// (cont), or with -r a tree.
func fileOrTree(one, cont func(*session.Session, context.Context, string, string) error,
	tree func(*session.Session, context.Context, int, string, string) error) func(context.Context, *session.Session, []string) error {
	return func(ctx context.Context, s *session.Session, a []string) error {
		c, recursive, n, rest, err := getArgsC(a)
		switch {
		case err != nil:
			return err
		case recursive:
			return tree(s, ctx, n, rest[0], arg(rest, 1))
		case c:
			return cont(s, ctx, rest[0], arg(rest, 1))
		}
		return one(s, ctx, rest[0], arg(rest, 1))
	}
}

func checkGet(a []string) error {
	_, _, _, _, err := getArgsC(a)
	return err
}

// checkDelete: a file, or -r and a directory. A lone -r is a mistake,
// not a file's name (that is ./-r).
func checkDelete(a []string) error {
	if len(a) == 2 && a[0] != "-r" || len(a) == 1 && a[0] == "-r" {
		return usageErrorf("wrong number of arguments")
	}
	return nil
}

// mirrorArgs reads mirror's options (lftp's names) and its one or two
// directories.
func mirrorArgs(a []string) (session.MirrorOptions, []string, error) {
	var o session.MirrorOptions
	for len(a) > 0 && strings.HasPrefix(a[0], "-") && a[0] != "--" {
		// --name=value is --name value, for the options that take one.
		if name, value, ok := strings.Cut(a[0], "="); ok && strings.HasPrefix(name, "--") {
			switch name {
			case "--exclude", "--include", "--max-errors":
				a = append([]string{name, value}, a[1:]...)
			default:
				return o, nil, usageErrorf("%s takes no value (%s)", name, a[0])
			}
		}
		switch {
		case a[0] == "--no-perms":
			o.NoPerms, a = true, a[1:]
		case a[0] == "--no-symlinks":
			o.NoSymlinks, a = true, a[1:]
		case a[0] == "--temp-upload":
			o.TempUpload, a = true, a[1:]
		case a[0] == "--max-errors":
			if len(a) < 2 {
				return o, nil, usageErrorf("--max-errors wants a number")
			}
			n, err := strconv.Atoi(a[1])
			if err != nil || n < 1 {
				return o, nil, usageErrorf("--max-errors %s: not a number of errors (1 or more)", a[1])
			}
			o.MaxErrors, a = n, a[2:]
		case a[0] == "--dry-run":
			o.DryRun, a = true, a[1:]
		case a[0] == "-R" || a[0] == "--reverse":
			o.Reverse, a = true, a[1:]
		case a[0] == "--delete":
			o.Delete, a = true, a[1:]
		case a[0] == "--only-newer":
			o.OnlyNewer, a = true, a[1:]
		case a[0] == "--exclude" || a[0] == "--include":
			if len(a) < 2 {
				return o, nil, usageErrorf("%s wants a pattern", a[0])
			}
			if _, err := path.Match(a[1], ""); err != nil {
				return o, nil, usageErrorf("%s %s: bad pattern", a[0], a[1])
			}
			if a[0] == "--exclude" {
				o.Exclude = append(o.Exclude, a[1])
			} else {
				o.Include = append(o.Include, a[1])
			}
			a = a[2:]
		case strings.HasPrefix(a[0], "-P"):
			n, rest, err := parallelArg(a)
			if err != nil {
				return o, nil, err
			}
			o.N, a = n, rest
		default:
			return o, nil, usageErrorf("unknown option %s", a[0])
		}
	}
	if len(a) > 0 && a[0] == "--" {
		a = a[1:]
	}
	if len(a) < 1 || len(a) > 2 {
		return o, nil, usageErrorf("wrong number of arguments")
	}
	return o, a, nil
}
