// Package auth authorises requests to a registry: it parses the
// WWW-Authenticate challenges a registry answers with, fetches and caches
// bearer tokens per scope, and finds credentials in the files and helpers
// that docker, podman and skopeo use.
package auth

import (
	"net/http"
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate header (RFC 9110
// section 11.6.1): a scheme such as "bearer" or "basic" and its parameters.
type Challenge struct {
	// Scheme is lowercased.
	Scheme string
	// Params holds the auth-params with lowercased names: realm, service,
	// scope, error.
	Params map[string]string
}

// ParseChallenges returns the challenges of every WWW-Authenticate header
// of h, in order. Malformed parameters are dropped rather than failing the
// whole header: a registry that got one quote wrong still names its realm.
func ParseChallenges(h http.Header) []Challenge {
	var out []Challenge
	for _, v := range h.Values("Www-Authenticate") {
		out = append(out, parseHeader(v)...)
	}
	return out
}

func parseHeader(s string) []Challenge {
	var out []Challenge
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return out
		}
		scheme, rest := token(s)
		if scheme == "" {
			return out
		}
		c := Challenge{Scheme: strings.ToLower(scheme), Params: map[string]string{}}
		s = parseParams(rest, c.Params)
		out = append(out, c)
	}
}

// parseParams reads name=value pairs from s until it meets the next scheme
// (a token not followed by '='), which it leaves in the returned rest.
func parseParams(s string, params map[string]string) string {
	for {
		s = strings.TrimLeft(s, " \t,")
		name, rest := token(s)
		rest = strings.TrimLeft(rest, " \t")
		if name == "" || !strings.HasPrefix(rest, "=") {
			return s
		}
		rest = strings.TrimLeft(rest[1:], " \t")
		var value string
		if strings.HasPrefix(rest, `"`) {
			value, rest = quoted(rest)
		} else {
			value, rest = token(rest)
		}
		params[strings.ToLower(name)] = value
		s = rest
	}
}

// token splits a leading RFC 9110 token off s.
func token(s string) (string, string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~/:", c) >= 0
}

// quoted reads a quoted-string at the start of s (which begins with '"').
func quoted(s string) (string, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}
