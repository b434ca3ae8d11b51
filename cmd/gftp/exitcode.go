package main

import (
	"context"
	"errors"
	"io/fs"
	"net"

	"github.com/gftp/gftp/internal/commands"
	"github.com/gftp/gftp/internal/ftp"
	"github.com/gftp/gftp/internal/session"
)

// Exit codes. Each is listed in the README and in --help.
const (
	exitOK          = 0   // every command succeeded
	exitFailure     = 1   // a command failed on this side (a local file, a bad reply)
	exitUsage       = 2   // bad flags, unknown or ambiguous command, wrong arguments
	exitConnect     = 3   // could not connect, connection lost or timed out, data connection failed or stalled, not connected
	exitLogin       = 4   // login refused
	exitRefused     = 5   // the server refused a command (4xx or 5xx reply)
	exitInterrupted = 130 // interrupted (SIGINT)
)

const exitCodesHelp = `Exit status:
  0    every command succeeded
  1    a command failed on this side (local file, unexpected reply)
  2    usage: bad flags, unknown or ambiguous command, wrong arguments
  3    connection: could not connect, lost, timed out, data connection failed or stalled
  4    login refused, TLS refused, or the certificate not trusted
  5    the server refused a command (4xx or 5xx reply)
  130  interrupted (SIGINT, Ctrl-C)
  143  terminated (SIGTERM)
`

// exitCode maps an error to the exit status, in this one place.
func exitCode(err error) int {
	var (
		usage *commands.UsageError
		login *session.LoginError
		conn  *session.ConnectError
		data  *ftp.DataConnError
		reply *ftp.ReplyError
		nerr  *net.OpError
		local *fs.PathError
		stop  *session.Stopped
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &stop):
		// 128 + the signal, as a shell reports it; the time limit is a
		// connection-class failure (a server too slow or stuck).
		if stop.Signal != 0 {
			return 128 + int(stop.Signal)
		}
		return exitConnect
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &usage):
		return exitUsage
	case errors.As(err, &local):
		// A local file or directory. Checked before the network errors:
		// syscall.Errno looks like a net.Error (it has Timeout), so only
		// the network's own error type counts as one below.
		return exitFailure
	case errors.As(err, &login):
		return exitLogin
	case errors.As(err, &conn), errors.As(err, &data), errors.Is(err, session.ErrNotConnected),
		errors.Is(err, ftp.ErrClosed), errors.Is(err, ftp.ErrStalled), errors.As(err, &nerr):
		return exitConnect
	case errors.As(err, &reply):
		return exitRefused
	}
	return exitFailure
}
