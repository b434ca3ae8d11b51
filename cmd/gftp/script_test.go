package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	jftp "github.com/jlaffaye/ftp"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gftp/gftp/internal/testserver"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gftp": func() {
			os.Exit(Main(context.Background(), os.Args[1:], StdStreams()))
		},
	})
}

// TestScripts runs the transcript tests in testdata/script: each drives the
// real gftp binary against an in-process FTP server.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Values[serverKey{}] = &scriptServer{}
			// No config file or environment from the developer's machine.
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "ipv6" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			ln, err := net.Listen("tcp", "[::1]:0")
			if err != nil {
				return false, nil
			}
			ln.Close()
			return true, nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"ftpserver":   cmdFTPServer,
			"servercmds":  cmdServerCmds,
			"peercmp":     cmdPeerCmp,
			"mkfile":      cmdMkfile,
			"exits":       cmdExits,
			"envsubst":    cmdEnvsubst,
			"servercount": cmdServerCount,
		},
	})
}

type serverKey struct{}

type scriptServer struct{ srv *testserver.Server }

func server(ts *testscript.TestScript) *testserver.Server {
	s := ts.Value(serverKey{}).(*scriptServer)
	if s.srv == nil {
		ts.Fatalf("no server: run ftpserver first")
	}
	return s.srv
}

// ftpserver [-refuse VERB,...] [-answer VERB=REPLY]... [-once VERB=REPLY]... [-pasvhost IP] [-banner LINE]... [-ipv6] [-root DIR]
// starts the embedded server on $WORK/srv (or -root) and sets $HOST, $PORT
// and $SRV.
func cmdFTPServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! ftpserver")
	}
	fs := flag.NewFlagSet("ftpserver", flag.ContinueOnError)
	refuse := fs.String("refuse", "", "comma-separated verbs the server refuses")
	pasvHost := fs.String("pasvhost", "", "address advertised in PASV replies")
	ipv6 := fs.Bool("ipv6", false, "listen on ::1")
	root := fs.String("root", "srv", "folder to serve")
	var banner, answer multiFlag
	fs.Var(&banner, "banner", "a banner line (repeat for a multi-line banner)")
	fs.Var(&answer, "answer", "VERB=REPLY: the proxy answers VERB itself (repeatable)")
	var once multiFlag
	fs.Var(&once, "once", "VERB=REPLY: the proxy answers the first VERB itself (repeatable)")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("ftpserver: %v", err)
	}
	dir := ts.MkAbs(*root)
	ts.Check(os.MkdirAll(dir, 0o755))
	// No Logf: the server logs from its own goroutines, and testscript's log is
	// not safe for that.
	opts := testserver.Options{Root: dir, PASVHost: *pasvHost, Banner: banner}
	if *refuse != "" {
		opts.Refuse = strings.Split(*refuse, ",")
	}
	opts.Answer = verbReplies(ts, "answer", answer)
	opts.AnswerOnce = verbReplies(ts, "once", once)
	if *ipv6 {
		opts.Listen = "[::1]:0"
	}
	srv, err := testserver.Start(opts)
	if err != nil {
		ts.Fatalf("ftpserver: %v", err)
	}
	ts.Defer(func() { srv.Close() })
	ts.Value(serverKey{}).(*scriptServer).srv = srv
	ts.Setenv("HOST", srv.Host())
	ts.Setenv("PORT", strconv.Itoa(srv.Port()))
	ts.Setenv("SRV", dir)
}

// verbReplies reads VERB=REPLY flags.
func verbReplies(ts *testscript.TestScript, flag string, vals []string) map[string]string {
	m := map[string]string{}
	for _, a := range vals {
		verb, reply, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("ftpserver: -%s %q: want VERB=REPLY", flag, a)
		}
		m[verb] = reply
	}
	return m
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// servercmds REGEXP... asserts that the server received commands matching
// the regexps in this order (others may come between). With !, asserts that
// no command matches any of them.
func cmdServerCmds(ts *testscript.TestScript, neg bool, args []string) {
	got := server(ts).Commands()
	if neg {
		for _, a := range args {
			re := regexp.MustCompile("^(?:" + a + ")$")
			for _, c := range got {
				if re.MatchString(c) {
					ts.Fatalf("server received %q, matching %q", c, a)
				}
			}
		}
		return
	}
	i := 0
	for _, a := range args {
		re := regexp.MustCompile("^(?:" + a + ")$")
		for i < len(got) && !re.MatchString(got[i]) {
			i++
		}
		if i == len(got) {
			ts.Fatalf("server commands lack %q in order; got:\n%s", a, strings.Join(got, "\n"))
		}
		i++
	}
}

// servercount N REGEXP asserts that exactly N received commands match.
func cmdServerCount(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: servercount n regexp")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	re := regexp.MustCompile("^(?:" + args[1] + ")$")
	got := 0
	for _, c := range server(ts).Commands() {
		if re.MatchString(c) {
			got++
		}
	}
	if got != want {
		ts.Fatalf("server received %d commands matching %q, want %d", got, args[1], want)
	}
}

// peercmp REMOTE LOCAL reads REMOTE back with jlaffaye/ftp, a client
// independent of ours, and compares it with the local file.
func cmdPeerCmp(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: peercmp remote local")
	}
	srv := server(ts)
	c, err := jftp.Dial(srv.Addr(), jftp.DialWithTimeout(5*time.Second))
	ts.Check(err)
	defer c.Quit()
	ts.Check(c.Login(testserver.DefaultUser, testserver.DefaultPassword))
	r, err := c.Retr(args[0])
	if err != nil {
		if neg {
			return // the file is absent, as expected
		}
		ts.Fatalf("peercmp: retrieve %s: %v", args[0], err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	ts.Check(err)
	want, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	same := bytes.Equal(got, want)
	if same == neg {
		ts.Fatalf("peercmp %s %s: remote %d bytes, local %d bytes, equal=%v", args[0], args[1], len(got), len(want), same)
	}
}

// mkfile NAME SIZE writes SIZE bytes (suffixes K, M) of seeded random data.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkfile name size")
	}
	s, mult := args[1], 1
	switch {
	case strings.HasSuffix(s, "M"):
		s, mult = strings.TrimSuffix(s, "M"), 1<<20
	case strings.HasSuffix(s, "K"):
		s, mult = strings.TrimSuffix(s, "K"), 1<<10
	}
	n, err := strconv.Atoi(s)
	ts.Check(err)
	b := make([]byte, n*mult)
	rng := rand.NewChaCha8([32]byte{byte(n), byte(mult)})
	rng.Read(b)
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, b, 0o644))
}

// exits N PROG ARGS... runs PROG (with the script's stdin) and asserts
// its exact exit status.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits status program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// envsubst FILE... replaces $VAR and ${VAR} in files with the script's
// environment, so that scripts can name the server's port.
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		p := ts.MkAbs(f)
		b, err := os.ReadFile(p)
		ts.Check(err)
		ts.Check(os.WriteFile(p, []byte(os.Expand(string(b), ts.Getenv)), 0o644))
	}
}
