package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Authorizer authorises requests to one registry host. It learns the
// registry's scheme from its first challenge, then presents basic
// credentials or a bearer token for the scopes of each request, fetching
// tokens once per scope set and reusing them until shortly before they
// expire. It is safe for concurrent use.
type Authorizer struct {
	// Host is the registry host, used to find credentials and in errors.
	Host string
	// Source finds credentials; nil means anonymous.
	Source Source
	// Client fetches tokens.
	Client *http.Client

	mu        sync.Mutex
	challenge *Challenge
	tokens    map[string]Token
	creds     map[string]Credential // by host/repository, looked up once
	flight    singleflight.Group
}

// Scope names the access a request needs, in the token spec's grammar:
// "repository:NAME:pull" or "repository:NAME:pull,push".
func Scope(repo string, actions ...string) string {
	return "repository:" + repo + ":" + strings.Join(actions, ",")
}

// Authorize sets the Authorization header of req for scopes. repo is the
// repository the request concerns (credentials may be stored per
// repository). Before any challenge it sends nothing: the registry may
// allow anonymous access.
func (a *Authorizer) Authorize(ctx context.Context, req *http.Request, repo string, scopes []string) error {
	a.mu.Lock()
	c := a.challenge
	a.mu.Unlock()
	if c == nil {
		return nil
	}
	switch c.Scheme {
	case "basic":
		cred, err := a.credential(ctx, repo)
		if err != nil {
			return err
		}
		if cred.Username != "" || cred.Password != "" {
			req.SetBasicAuth(cred.Username, cred.Password)
		}
	case "bearer":
		tok, err := a.token(ctx, c, repo, scopes)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok.Value)
	}
	return nil
}

// Challenged records the challenge of a 401 response to a request made
// with scopes and reports whether repeating the request could now
// succeed: the registry asked for a scheme berth speaks and either no
// credentials were presented before or a fresh token can be fetched.
func (a *Authorizer) Challenged(resp *http.Response, sent bool, scopes []string) bool {
	c, ok := pick(ParseChallenges(resp.Header))
	if !ok {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	first := a.challenge == nil || a.challenge.Scheme != c.Scheme
	a.challenge = &c
	if c.Scheme == "basic" {
		return first || !sent
	}
	// A token for these scopes was refused: forget it so the retry asks
	// again.
	if a.tokens != nil {
		delete(a.tokens, scopeKey(scopes))
	}
	return true
}

// pick prefers bearer over basic; other schemes are not spoken.
func pick(cs []Challenge) (Challenge, bool) {
	for _, scheme := range []string{"bearer", "basic"} {
		for _, c := range cs {
			if c.Scheme == scheme {
				return c, true
			}
		}
	}
	return Challenge{}, false
}

// credential finds what to present for repo, once per Authorizer: a
// credential helper is not run again for every request.
func (a *Authorizer) credential(ctx context.Context, repo string) (Credential, error) {
	if a.Source == nil {
		return Credential{}, nil
	}
	key := a.Host
	if repo != "" {
		key += "/" + repo
	}
	a.mu.Lock()
	cred, ok := a.creds[key]
	a.mu.Unlock()
	if ok {
		return cred, nil
	}
	v, err, _ := a.flight.Do("cred\x00"+key, func() (any, error) { return a.Source.Get(ctx, key) })
	if err != nil {
		return Credential{}, err
	}
	cred = v.(Credential)
	a.mu.Lock()
	if a.creds == nil {
		a.creds = map[string]Credential{}
	}
	a.creds[key] = cred
	a.mu.Unlock()
	return cred, nil
}

// token returns a bearer token for scopes, from the cache or fetched with
// repo's credential.
func (a *Authorizer) token(ctx context.Context, c *Challenge, repo string, scopes []string) (Token, error) {
	key := scopeKey(scopes)
	a.mu.Lock()
	tok, ok := a.tokens[key]
	a.mu.Unlock()
	if ok && tok.Valid(time.Now()) {
		return tok, nil
	}
	v, err, _ := a.flight.Do("token\x00"+key, func() (any, error) {
		cred, err := a.credential(ctx, repo)
		if err != nil {
			return Token{}, err
		}
		return FetchToken(ctx, a.Client, TokenRequest{
			Host: a.Host, Realm: c.Params["realm"], Service: c.Params["service"], Scopes: scopes, Cred: cred,
		})
	})
	if err != nil {
		return Token{}, err
	}
	tok = v.(Token)
	a.mu.Lock()
	if a.tokens == nil {
		a.tokens = map[string]Token{}
	}
	a.tokens[key] = tok
	a.mu.Unlock()
	return tok, nil
}

func scopeKey(scopes []string) string {
	s := slices.Clone(scopes)
	slices.Sort(s)
	return strings.Join(s, " ")
}
