package commands

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gftp/gftp/internal/session"
)

// The checks of the values that toggles and settings take (passive bogus,
// hash bogus, rate bogus, restart abc, mode block). The script check runs
// them on every line before anything connects, so a bad value on the last
// line fails the script (exit 2) before its first line has run. Each gives
// the message the session gives for that value at run time; the tests hold
// the two to the same words and the same accepted values.

// valueError is a Check's complaint about a value that already says what
// is wanted: Table.Check shows it as it is, as the command would, without
// the usage line after it.
type valueError struct{ err error }

func (e *valueError) Error() string { return e.err.Error() }
func (e *valueError) Unwrap() error { return e.err }

// badValue wraps a value's error for Table.Check.
func badValue(err error) error {
	if err == nil {
		return nil
	}
	return &valueError{err: err}
}

// oneOf checks a command's one optional argument: nothing, or one of
// words (in any case); bad says what is wrong with another.
func oneOf(a []string, bad func(v string) error, words ...string) error {
	v := arg(a, 0)
	if v == "" || slices.Contains(words, strings.ToLower(v)) {
		return nil
	}
	return badValue(bad(v))
}

// checkOnOff is the Check of a session flag (verbose, debug, prompt,
// progress, preserve): on, off or nothing (flip).
func checkOnOff(a []string) error {
	return oneOf(a, func(v string) error { return fmt.Errorf("unknown argument %q (want on or off)", v) }, "on", "off")
}

// checkToggle is the Check of tnftp's toggles the session keeps (bell,
// glob, case, runique, sunique), in Session.Toggle's words.
func checkToggle(a []string) error {
	return oneOf(a, func(v string) error { return fmt.Errorf("want on or off, not %q", v) }, "on", "off")
}

// checkEPSV is epsv's, epsv4's and epsv6's (all Session.SetEPSV).
func checkEPSV(a []string) error {
	return oneOf(a, func(v string) error { return fmt.Errorf("epsv: unknown argument %q (want on or off)", v) }, "on", "off")
}

// checkPassive: passive also takes auto (passive, falling back to active).
func checkPassive(a []string) error {
	return oneOf(a, func(v string) error {
		return fmt.Errorf("passive: unknown argument %q (want on, off or auto)", v)
	}, "on", "off", "auto")
}

// checkTLS is tls's: a mode for the next open.
func checkTLS(a []string) error {
	if v := arg(a, 0); v != "" {
		if _, err := session.ParseTLSMode(v); err != nil {
			return badValue(fmt.Errorf("tls: %w", err))
		}
	}
	return nil
}

// checkHash: on, off, or the bytes a mark stands for.
func checkHash(a []string) error {
	switch v := arg(a, 0); strings.ToLower(v) {
	case "", "on", "off":
		return nil
	default:
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			return badValue(fmt.Errorf("hash: %q is not on, off or a number of bytes per mark", v))
		}
	}
	return nil
}

// checkRestart: a byte offset, 0 or more.
func checkRestart(a []string) error {
	if v := arg(a, 0); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
			return badValue(fmt.Errorf("%q is not a byte offset", v))
		}
	}
	return nil
}

// checkRate: a direction (all, get, put) and a size; no increment. In
// Session.Rate's order: the increment first, then the direction.
func checkRate(a []string) error {
	if arg(a, 2) != "" {
		return badValue(errors.New("the increment (tnftp changes the rate by it on SIGUSR1 and SIGUSR2) is not supported"))
	}
	switch d := arg(a, 0); strings.ToLower(d) {
	case "":
		return nil
	case "all", "get", "put":
	default:
		return badValue(fmt.Errorf("direction %q is not all, get or put", d))
	}
	if m := arg(a, 1); m != "" {
		if _, err := session.ParseSize(m); err != nil {
			return badValue(err)
		}
	}
	return nil
}

// onlyValue is the Check of form, mode and struct, which take the one
// value that makes sense; the runFunc says the same at run time.
func onlyValue(value, why string) func([]string) error {
	return func(a []string) error {
		if v := arg(a, 0); v != "" && !strings.EqualFold(v, value) {
			return badValue(fmt.Errorf("only %s is supported (%s)", value, why))
		}
		return nil
	}
}

// typeArg reads type's argument: ascii (true) or binary (false).
func typeArg(v string) (ascii bool, err error) {
	switch strings.ToLower(v) {
	case "ascii", "a":
		return true, nil
	case "binary", "image", "i":
		return false, nil
	}
	return false, usageErrorf("type: unknown type %q (want ascii or binary)", v)
}

func checkType(a []string) error {
	if v := arg(a, 0); v != "" {
		_, err := typeArg(v)
		return badValue(err)
	}
	return nil
}
