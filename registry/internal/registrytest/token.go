package registrytest

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TokenServer issues the scoped JWTs docker-registry's token
// authentication accepts, signed with a self-signed ECDSA certificate that
// the registry trusts through its rootcertbundle. Known users get every
// action they ask for; anonymous callers get pull only where Public says.
type TokenServer struct {
	Service string
	Issuer  string
	// Users maps user names to passwords.
	Users map[string]string
	// RefreshTokens maps OAuth2 refresh tokens to the user they stand for.
	RefreshTokens map[string]string
	// Public lists repositories anonymous callers may pull.
	Public map[string]bool
	// Private lists repositories nobody gets any access to.
	Private map[string]bool
	// ExpiresIn is the lifetime stated in replies, in seconds.
	ExpiresIn int

	cert *Cert
	srv  *httptest.Server

	mu       sync.Mutex
	requests []TokenRequest
}

// TokenRequest records one request to the token server.
type TokenRequest struct {
	Method string
	User   string
	Grant  string // OAuth2 grant type of a POST
	Scopes []string
}

// NewTokenServer starts a token server for users; it stops with the test.
func NewTokenServer(t testing.TB, users map[string]string) *TokenServer {
	t.Helper()
	ts := &TokenServer{
		Service: "berth-test-registry", Issuer: "berth-test-issuer",
		Users: users, RefreshTokens: map[string]string{}, Public: map[string]bool{}, Private: map[string]bool{}, ExpiresIn: 300,
		cert: NewCert(t, t.TempDir(), "token-signer"),
	}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.srv.Close)
	return ts
}

// Realm is the URL of the token endpoint.
func (ts *TokenServer) Realm() string { return ts.srv.URL + "/token" }

// Requests returns the requests served so far.
func (ts *TokenServer) Requests() []TokenRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]TokenRequest(nil), ts.requests...)
}

func (ts *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	user, scopes, grant, ok := ts.authenticate(r)
	ts.mu.Lock()
	ts.requests = append(ts.requests, TokenRequest{Method: r.Method, User: user, Grant: grant, Scopes: scopes})
	ts.mu.Unlock()
	if !ok {
		http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}`, http.StatusUnauthorized)
		return
	}
	tok, err := ts.sign(user, ts.grant(user, scopes))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply := map[string]any{"expires_in": ts.ExpiresIn, "issued_at": time.Now().UTC().Format(time.RFC3339)}
	if r.Method == http.MethodPost {
		reply["access_token"] = tok
	} else {
		reply["token"] = tok
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

// authenticate reads who is asking and for what.
func (ts *TokenServer) authenticate(r *http.Request) (user string, scopes []string, grant string, ok bool) {
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			return "", nil, "", false
		}
		grant = r.PostForm.Get("grant_type")
		scopes = strings.Fields(r.PostForm.Get("scope"))
		switch grant {
		case "refresh_token":
			user, ok = ts.RefreshTokens[r.PostForm.Get("refresh_token")]
		case "password":
			user = r.PostForm.Get("username")
			pass, known := ts.Users[user]
			ok = known && pass == r.PostForm.Get("password")
		}
		return user, scopes, grant, ok
	}
	scopes = r.URL.Query()["scope"]
	u, p, hasBasic := r.BasicAuth()
	if !hasBasic {
		return "", scopes, "", true
	}
	pass, known := ts.Users[u]
	return u, scopes, "", known && pass == p
}

type access struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// grant turns requested scopes into the access the user gets.
func (ts *TokenServer) grant(user string, scopes []string) []access {
	var out []access
	for _, s := range scopes {
		parts := strings.SplitN(s, ":", 3)
		if len(parts) != 3 {
			continue
		}
		a := access{Type: parts[0], Name: parts[1], Actions: strings.Split(parts[2], ",")}
		if ts.Private[a.Name] {
			continue
		}
		if user == "" {
			if !ts.Public[a.Name] {
				continue
			}
			a.Actions = []string{"pull"}
		}
		out = append(out, a)
	}
	return out
}

// sign makes an ES256 JWT carrying the x5c chain the registry verifies
// against its rootcertbundle.
func (ts *TokenServer) sign(user string, acc []access) (string, error) {
	now := time.Now()
	header := map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(ts.cert.DER)}}
	claims := map[string]any{
		"iss": ts.Issuer, "sub": user, "aud": ts.Service,
		"exp": now.Add(time.Duration(ts.ExpiresIn) * time.Second).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": fmt.Sprint(now.UnixNano()), "access": acc,
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.cert.Key, sum[:])
	if err != nil {
		return "", err
	}
	sig := append(pad32(r), pad32(s)...)
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func pad32(n *big.Int) []byte {
	b := n.Bytes()
	return append(make([]byte, 32-len(b)), b...)
}
