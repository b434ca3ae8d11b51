package commands

import (
	"net/netip"
	"strings"
)

// MaskUserinfo hides the password of a URL's user:password@
// ("ftp://bob:****@host/f"); a word without "://" is returned as it is.
// It is the one rule for every message, history line and the command
// line's URLs: the user info ends at the authority's last '@'. A password
// with an unencoded '/' ends the authority early ("ftp://u:pa/ss@host/f"):
// when SlashInUserInfo says so, everything up to the last '@' is hidden.
func MaskUserinfo(w string) string {
	scheme, rest, ok := strings.Cut(w, "://")
	if !ok {
		return w
	}
	head := scheme + "://"
	auth, _, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(auth, "@"); at >= 0 {
		user, _, hasPass := strings.Cut(auth[:at], ":")
		if !hasPass {
			return w
		}
		return head + user + ":****" + rest[at:]
	}
	if SlashInUserInfo(auth, rest) {
		return head + "****" + rest[strings.LastIndex(rest, "@"):]
	}
	return w
}

// SlashInUserInfo reports whether an authority without '@' looks like the
// start of "user:pass/word@host": a ':' (outside the brackets of an IPv6
// address), and an '@' later on. Such a URL is refused rather than read
// as host "user", port "pass", which would send part of the password to
// the wrong host and show it in the error.
func SlashInUserInfo(auth, rest string) bool {
	if strings.HasPrefix(auth, "[") {
		// Only a real address's brackets hide its colons: in
		// "[u:pa]ss/x@host" the ']' is part of the password.
		if end := strings.Index(auth, "]"); end >= 0 {
			if a, err := netip.ParseAddr(strings.Replace(auth[1:end], "%25", "%", 1)); err == nil && a.Is6() {
				auth = auth[end+1:]
			}
		}
	}
	return strings.Contains(auth, ":") && strings.Contains(rest, "@")
}

// maskHost hides the password of open's host argument: a URL's, or that
// of a bare "user:password@host", which open refuses but the history and
// the error's command line would show.
func maskHost(w string) string {
	if strings.Contains(w, "://") {
		return MaskUserinfo(w)
	}
	at := strings.LastIndex(w, "@")
	if at < 0 {
		return w
	}
	user, _, hasPass := strings.Cut(w[:at], ":")
	if !hasPass {
		return w
	}
	return user + ":****" + w[at:]
}
