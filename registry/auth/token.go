package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/berth-oci/berth/errdefs"
)

// ErrUnauthorized marks a registry or token server refusing the
// credentials presented (or their absence).
var ErrUnauthorized = errors.New("unauthorized: authentication required")

// Token is a bearer token granted for a set of scopes.
type Token struct {
	Value string
	// Expires is when the token stops being reused (a little before the
	// server's expiry, so a request does not race it).
	Expires time.Time
	// RefreshToken is set when the server returned one (OAuth2).
	RefreshToken string
}

// Valid reports whether t can still be presented at time now.
func (t Token) Valid(now time.Time) bool { return t.Value != "" && now.Before(t.Expires) }

// tokenReply is the token server's answer: docker's "token" or OAuth2's
// "access_token", whichever it sent.
type tokenReply struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
}

// minTokenLife is the lifetime assumed when the server states none or one
// shorter, as the docker token spec says.
const minTokenLife = 60 * time.Second

// TokenRequest is everything needed to ask a token server for a token.
type TokenRequest struct {
	// Host is the registry the token is for, named in error messages.
	Host    string
	Realm   string
	Service string
	Scopes  []string
	Cred    Credential
	// ClientID identifies the client to OAuth2 servers.
	ClientID string
}

// FetchToken obtains a bearer token from the realm of a challenge. With an
// identity (refresh) token it uses the OAuth2 POST grant; otherwise a GET
// with basic credentials when there are any (anonymously when not). A
// server that refuses the credentials yields an error wrapping
// ErrUnauthorized.
func FetchToken(ctx context.Context, client *http.Client, tr TokenRequest) (Token, error) {
	if tr.Realm == "" {
		return Token{}, fmt.Errorf("registry %s: bearer challenge without a realm: %w", tr.Host, errdefs.ErrInvalidArgument)
	}
	u, err := url.Parse(tr.Realm)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return Token{}, fmt.Errorf("registry %s: token realm %q is not an http(s) URL: %w", tr.Host, tr.Realm, errdefs.ErrInvalidArgument)
	}
	if tr.ClientID == "" {
		tr.ClientID = "berth"
	}
	if tr.Cred.IdentityToken != "" {
		return postToken(ctx, client, tr)
	}
	return getToken(ctx, client, tr)
}

func getToken(ctx context.Context, client *http.Client, tr TokenRequest) (Token, error) {
	u, _ := url.Parse(tr.Realm)
	q := u.Query()
	if tr.Service != "" {
		q.Set("service", tr.Service)
	}
	for _, s := range tr.Scopes {
		q.Add("scope", s)
	}
	if tr.Cred.Username != "" {
		q.Set("account", tr.Cred.Username)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Token{}, err
	}
	if tr.Cred.Username != "" || tr.Cred.Password != "" {
		req.SetBasicAuth(tr.Cred.Username, tr.Cred.Password)
	}
	return doToken(client, req, tr)
}

func postToken(ctx context.Context, client *http.Client, tr TokenRequest) (Token, error) {
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {tr.Cred.IdentityToken},
		"service":       {tr.Service},
		"client_id":     {tr.ClientID},
		"scope":         {strings.Join(tr.Scopes, " ")},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tr.Realm, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return doToken(client, req, tr)
}

func doToken(client *http.Client, req *http.Request, tr TokenRequest) (Token, error) {
	resp, err := client.Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("registry %s: fetch token from %s: %v: %w", tr.Host, req.URL.Host, err, errdefs.ErrUnavailable)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, fmt.Errorf("registry %s: read token from %s: %v: %w", tr.Host, req.URL.Host, err, errdefs.ErrUnavailable)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return Token{}, fmt.Errorf("registry %s: %w (check credentials for %s)", tr.Host, ErrUnauthorized, tr.Host)
	case resp.StatusCode != http.StatusOK:
		return Token{}, fmt.Errorf("registry %s: token server %s answered %s: %w", tr.Host, req.URL.Host, resp.Status, errdefs.ErrUnavailable)
	}
	var r tokenReply
	if err := json.Unmarshal(body, &r); err != nil {
		return Token{}, fmt.Errorf("registry %s: parse token from %s: %v: %w", tr.Host, req.URL.Host, err, errdefs.ErrInvalidArgument)
	}
	value := r.Token
	if value == "" {
		value = r.AccessToken
	}
	if value == "" {
		return Token{}, fmt.Errorf("registry %s: token server %s sent no token: %w", tr.Host, req.URL.Host, errdefs.ErrInvalidArgument)
	}
	life := max(time.Duration(r.ExpiresIn)*time.Second, minTokenLife)
	// The lifetime counts from now, not from issued_at: the server's clock
	// may be skewed. Reuse stops a tenth of it early, so no request carries
	// a token that expires on its way.
	return Token{Value: value, Expires: time.Now().Add(life - life/10), RefreshToken: r.RefreshToken}, nil
}
