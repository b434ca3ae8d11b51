package ftp

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClosed reports a control connection that the server closed or that
// broke; the session must reconnect before it can go on.
var ErrClosed = errors.New("connection closed")

// ErrExtendedOff is a data connection to an IPv6 server while the
// extended commands are turned off (SetExtended(false)).
var ErrExtendedOff = errors.New("EPSV and EPRT are not in use")

// ErrTimeout marks a wait that ran out: no reply, no answer to a dial.
var ErrTimeout = errors.New("timed out")

// timeoutError is a wait that ran out, in words; it is ErrTimeout.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string        { return e.msg }
func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

// lostError is a control connection that broke or was given up. It is
// ErrClosed (and ErrTimeout when a wait ran out) while its message says
// only what happened, in words: "no reply from the server within 20s",
// not "...: timed out: connection closed".
type lostError struct {
	msg     string
	timeout bool
	err     error // the cause underneath, if any
}

func (e *lostError) Error() string { return e.msg }
func (e *lostError) Unwrap() error { return e.err }
func (e *lostError) Is(target error) bool {
	return target == ErrClosed || (e.timeout && target == ErrTimeout)
}

// lost is a lostError; a cause given as the last argument with %v is kept
// for errors.Is/As, its network wrapping stripped from the message.
func lost(format string, args ...any) error {
	var cause error
	if n := len(args); n > 0 {
		if err, ok := args[n-1].(error); ok {
			cause = err
			args[n-1] = unwrapNetError(err)
		}
	}
	return &lostError{msg: fmt.Sprintf(format, args...), err: cause}
}

// interruptedError is a wait cut short because its context ended. When a
// reply was owed, the connection is closed with it (the stream would be
// out of step), so it is ErrClosed too.
type interruptedError struct{ cause error }

func (e interruptedError) Error() string   { return "interrupted" }
func (e interruptedError) Unwrap() []error { return []error{e.cause, ErrClosed} }

// stoppedError is a call that did not start because its context had
// ended; unlike interruptedError, the connection is still in step.
type stoppedError struct{ cause error }

func (e stoppedError) Error() string { return "interrupted" }
func (e stoppedError) Unwrap() error { return e.cause }

// ErrStalled reports a transfer that moved no data for the stall timeout.
var ErrStalled = errors.New("the transfer stalled")

// UnexpectedReplyError is a reply that neither refuses a command nor is
// the answer it should have had (a 200 for a greeting, a 331 to CWD).
type UnexpectedReplyError struct {
	Command string
	Reply   *Reply
}

func (e *UnexpectedReplyError) Error() string {
	return fmt.Sprintf("unexpected reply to %s: %d %s", e.Command, e.Reply.Code, oneLine(e.Reply))
}

// ReplyError is a server reply that refused a command (class 4 or 5).
type ReplyError struct {
	Command string // the verb of the refused command, e.g. "CWD"
	Reply   *Reply
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("%d %s", e.Reply.Code, oneLine(e.Reply))
}

// oneLine is a reply's text for a one-line message: its lines joined with
// single spaces, every run of white space (CR, LF, NEL, U+2028 included)
// one space, so that a multi-line reply cannot start a line of its own
// in an error and pass it off as gftp's.
func oneLine(r *Reply) string {
	return strings.Join(strings.Fields(r.Message()), " ")
}

// Temporary reports a transient refusal (4xx) that may succeed if retried.
func (e *ReplyError) Temporary() bool { return e.Reply.Class() == 4 }

// closingReply is a 421: a refusal that also ends the connection. It reads
// as the reply and is ErrClosed.
type closingReply struct{ *ReplyError }

func (e closingReply) Is(target error) bool { return target == ErrClosed }
func (e closingReply) Unwrap() error        { return e.ReplyError }

// CheckArg rejects text that would let an argument smuggle a second command
// onto the control connection (CR or LF) or end it early (NUL).
func CheckArg(s string) error {
	// The value is not quoted: it may be a password.
	if strings.ContainsAny(s, "\r\n\x00") {
		return errors.New("argument contains a control character (CR, LF or NUL)")
	}
	return nil
}

// MaskCommand hides the argument of a command that carries a secret
// (PASS, ACCT). It is the one masking rule for traces, logs, error lines
// and history, so it finds the verb as a server would: after leading
// blanks, in any case, ended by a space or a tab.
func MaskCommand(line string) string {
	verb, rest := splitVerb(line)
	switch strings.ToUpper(verb) {
	case "PASS", "ACCT":
		if rest != "" {
			return line[:len(line)-len(rest)] + "****"
		}
	}
	return line
}

// redact replaces each occurrence of secret in line, in any case, with
// "****". Secrets shorter than 3 bytes are left: hiding every "a" of a
// reply would garble it and hide nothing.
func redact(line, secret string) string {
	if len(secret) < 3 {
		return line
	}
	// ASCII case folding, byte for byte: strings.ToLower would turn a byte
	// that is not UTF-8 into three, and the offsets would no longer match.
	lower, ls := asciiLower(line), asciiLower(secret)
	if !strings.Contains(lower, ls) {
		return line
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, ls)
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:i])
		b.WriteString("****")
		line, lower = line[i+len(ls):], lower[i+len(ls):]
	}
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// splitVerb returns the first word of a command line and what follows
// the blanks after it.
func splitVerb(line string) (verb, rest string) {
	s := strings.TrimLeft(line, " \t")
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t")
}

// verbOf returns the upper-cased command verb of a command line.
func verbOf(line string) string {
	verb, _ := splitVerb(line)
	return strings.ToUpper(verb)
}
