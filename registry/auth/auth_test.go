package auth

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/berth-oci/berth/errdefs"
)

var ctx = context.Background()

func TestParseChallenges(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", `Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"`)
	h.Add("WWW-Authenticate", `Basic realm="x \"quoted\"", charset=UTF-8`)
	got := ParseChallenges(h)
	want := []Challenge{
		{Scheme: "bearer", Params: map[string]string{"realm": "https://auth.example.com/token", "service": "registry.example.com", "scope": "repository:a/b:pull,push"}},
		{Scheme: "basic", Params: map[string]string{"realm": `x "quoted"`, "charset": "UTF-8"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	// Two challenges in one header.
	h = http.Header{"Www-Authenticate": {`Basic realm="r", Bearer realm="https://t/x", service=s`}}
	if got := ParseChallenges(h); len(got) != 2 || got[1].Scheme != "bearer" || got[1].Params["service"] != "s" {
		t.Fatalf("two challenges in one header: %#v", got)
	}
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{`Bearer realm="x",service="y"`, `Basic`, `a=b`, `Bearer realm="unterminated`, `,,, Basic realm=x,`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range ParseChallenges(http.Header{"Www-Authenticate": {s}}) {
			if c.Scheme == "" {
				t.Fatalf("empty scheme from %q", s)
			}
		}
	})
}

func TestNormalizeHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://index.docker.io/v1/": "docker.io",
		"registry-1.docker.io":        "docker.io",
		"http://localhost:5000/v2/":   "localhost:5000",
		"quay.io/org/repo":            "quay.io/org/repo",
		"example.com/":                "example.com",
	} {
		if got := NormalizeHost(in); got != want {
			t.Errorf("NormalizeHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func write(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFilesPrecedenceAndScopes(t *testing.T) {
	dir := t.TempDir()
	first := write(t, filepath.Join(dir, "auth.json"), `{"auths":{"reg.example.com/team":{"auth":"`+encodeAuth("team", "t")+`"}}}`)
	second := write(t, filepath.Join(dir, "docker.json"), `{"auths":{
		"https://index.docker.io/v1/":{"auth":"`+encodeAuth("hub", "h")+`"},
		"reg.example.com":{"auth":"`+encodeAuth("any", "a")+`"},
		"tok.example.com":{"identitytoken":"refresh-me"}}}`)
	f := &Files{Paths: []string{filepath.Join(dir, "missing.json"), first, second}}
	for key, want := range map[string]Credential{
		"docker.io/library/alpine":  {Username: "hub", Password: "h"},
		"reg.example.com/team/app":  {Username: "team", Password: "t"},
		"reg.example.com/other/app": {Username: "any", Password: "a"},
		"tok.example.com":           {IdentityToken: "refresh-me"},
		"unknown.example.com/x":     {},
	} {
		got, err := f.Get(ctx, key)
		if err != nil || got != want {
			t.Errorf("Get(%q) = %+v, %v; want %+v", key, got, err, want)
		}
	}
	bad := write(t, filepath.Join(dir, "bad.json"), `{"auths":{"x.example.com":{"auth":"not base64!"}}}`)
	if _, err := (&Files{Paths: []string{bad}}).Get(ctx, "x.example.com"); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad auth field: %v", err)
	}
}

func TestDefaultFilesOrder(t *testing.T) {
	t.Setenv("REGISTRY_AUTH_FILE", "/custom/auth.json")
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	t.Setenv("DOCKER_CONFIG", "/dockercfg")
	want := []string{"/custom/auth.json", "/cfg/containers/auth.json", "/dockercfg/config.json"}
	if got := DefaultFiles().Paths; !reflect.DeepEqual(got, want) {
		t.Fatalf("paths %v, want %v", got, want)
	}
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/7")
	if got := DefaultAuthFile(); got != "/run/user/7/containers/auth.json" {
		t.Fatalf("DefaultAuthFile = %s", got)
	}
}

// A fake docker-credential helper on $PATH answers like the real ones.
func TestCredentialHelpers(t *testing.T) {
	bin := t.TempDir()
	write(t, filepath.Join(bin, "docker-credential-fake"), `#!/bin/sh
read server
case "$server" in
https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"hubuser","Secret":"hubpass"}';;
tok.example.com) echo '{"ServerURL":"x","Username":"<token>","Secret":"idtok"}';;
*) echo "credentials not found in native keychain"; exit 1;;
esac
`)
	if err := os.Chmod(filepath.Join(bin, "docker-credential-fake"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	dir := t.TempDir()
	store := write(t, filepath.Join(dir, "store.json"), `{"credsStore":"fake"}`)
	helpers := write(t, filepath.Join(dir, "helpers.json"), `{"credHelpers":{"tok.example.com":"fake"},"auths":{"plain.example.com":{"auth":"`+encodeAuth("p", "q")+`"}}}`)
	cases := []struct {
		file, key string
		want      Credential
	}{
		{store, "docker.io/library/alpine", Credential{Username: "hubuser", Password: "hubpass"}},
		{store, "unknown.example.com", Credential{}},
		{helpers, "tok.example.com/repo", Credential{IdentityToken: "idtok"}},
		{helpers, "plain.example.com", Credential{Username: "p", Password: "q"}},
	}
	for _, c := range cases {
		got, err := (&Files{Paths: []string{c.file}}).Get(ctx, c.key)
		if err != nil || got != c.want {
			t.Errorf("%s: Get(%q) = %+v, %v; want %+v", filepath.Base(c.file), c.key, got, err, c.want)
		}
	}
	if _, err := RunHelper(ctx, "missing-helper", "x"); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Errorf("missing helper: %v", err)
	}
}

func TestSaveKeepsOtherEntries(t *testing.T) {
	path := write(t, filepath.Join(t.TempDir(), "auth.json"), `{"auths":{"other.example.com":{"auth":"`+encodeAuth("o", "p")+`"}},"credHelpers":{"x":"y"}}`)
	if err := Save(path, "https://new.example.com/v1/", Credential{Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	f := &Files{Paths: []string{path}}
	if c, _ := f.Get(ctx, "new.example.com"); c.Username != "u" {
		t.Errorf("saved entry reads back as %+v", c)
	}
	if c, _ := f.Get(ctx, "other.example.com"); c.Username != "o" {
		t.Errorf("other entry lost: %+v", c)
	}
	cfg, err := readConfig(path)
	if err != nil || cfg.CredHelpers["x"] != "y" {
		t.Errorf("credHelpers lost: %+v %v", cfg, err)
	}
	if err := Remove(path, "new.example.com"); err != nil {
		t.Fatal(err)
	}
	if err := Remove(path, "new.example.com"); !errdefs.IsNotFound(err) {
		t.Errorf("second remove: %v", err)
	}
	if err := RemoveAll(path); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.Get(ctx, "other.example.com"); !c.Empty() {
		t.Errorf("RemoveAll kept %+v", c)
	}
	if cfg, err := readConfig(path); err != nil || cfg.CredHelpers["x"] != "y" {
		t.Errorf("RemoveAll lost credHelpers: %+v %v", cfg, err)
	}
	if err := RemoveAll(filepath.Join(t.TempDir(), "none.json")); err != nil {
		t.Errorf("RemoveAll of a missing file: %v", err)
	}
	broken := write(t, filepath.Join(t.TempDir(), "auth.json"), `{not json`)
	if err := Save(broken, "h", Credential{Username: "u"}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("save into a broken file: %v", err)
	}
	if data, _ := os.ReadFile(broken); string(data) != `{not json` {
		t.Errorf("broken file changed: %s", data)
	}
}

type countingSource struct {
	calls atomic.Int32
	cred  Credential
}

func (s *countingSource) Get(context.Context, string) (Credential, error) {
	s.calls.Add(1)
	return s.cred, nil
}

// Credentials are looked up once per repository, not per request: a
// credential helper would otherwise run for every blob.
func TestAuthorizerLooksCredentialsUpOnce(t *testing.T) {
	src := &countingSource{cred: Credential{Username: "u", Password: "p"}}
	a := &Authorizer{Host: "r.example.com", Source: src}
	resp := &http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": {`Basic realm="r"`}}}
	if !a.Challenged(resp, false, nil) {
		t.Fatal("basic challenge not taken")
	}
	for i := 0; i < 10; i++ {
		req, _ := http.NewRequest(http.MethodGet, "https://r.example.com/v2/x/blobs/sha256:0", nil)
		if err := a.Authorize(ctx, req, "x", nil); err != nil {
			t.Fatal(err)
		}
		if u, p, ok := req.BasicAuth(); !ok || u != "u" || p != "p" {
			t.Fatalf("request %d carries %q %q", i, u, p)
		}
	}
	if n := src.calls.Load(); n != 1 {
		t.Fatalf("credential source asked %d times, want once", n)
	}
}
