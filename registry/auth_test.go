package registry_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/auth"
	"github.com/berth-oci/berth/registry/internal/registrytest"
)

func TestBasicAuth(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{Htpasswd: map[string]string{"alice": "s3cret"}})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 10<<10, linuxAMD64)
	ref := mustRef(t, reg.Host+"/alice/app:v1")

	good := newClient(registry.Options{Credentials: auth.Static{reg.Host: {Username: "alice", Password: "s3cret"}}})
	if err := good.Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := good.Pull(ctx, ref, newStore(t), registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, creds := range map[string]auth.Source{
		"wrong password": auth.Static{reg.Host: {Username: "alice", Password: "nope"}},
		"anonymous":      auth.Anonymous,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := newClient(registry.Options{Credentials: creds}).Pull(ctx, ref, newStore(t), registry.PullOptions{})
			want := "registry " + reg.Host + ": unauthorized: authentication required (check credentials for " + reg.Host + ")"
			if err == nil || err.Error() != want || !errors.Is(err, registry.ErrUnauthorized) {
				t.Fatalf("got %v, want %q", err, want)
			}
		})
	}
}

func TestTokenAuth(t *testing.T) {
	ts := registrytest.NewTokenServer(t, map[string]string{"bob": "pw"})
	ts.Public["pub/app"] = true
	reg := startRegistry(t, registrytest.Options{Token: ts})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 4, 10<<10, linuxAMD64)

	bob := newClient(registry.Options{Credentials: auth.Static{reg.Host: {Username: "bob", Password: "pw"}}})
	for _, repo := range []string{"bob/app", "pub/app"} {
		if err := bob.Push(ctx, mustRef(t, reg.Host+"/"+repo+":v1"), src, img.Manifest, registry.PushOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// One token per scope set, reused for every request that needs it.
	if n := len(ts.Requests()); n > 4 {
		t.Errorf("two pushes of 5 blobs fetched %d tokens: %+v", n, ts.Requests())
	}
	for _, r := range ts.Requests() {
		if r.User != "bob" {
			t.Errorf("token request as %q, want bob", r.User)
		}
	}

	anon := newClient(registry.Options{})
	if _, err := anon.Pull(ctx, mustRef(t, reg.Host+"/pub/app:v1"), newStore(t), registry.PullOptions{}); err != nil {
		t.Fatalf("anonymous pull of a public repository: %v", err)
	}
	_, err := anon.Pull(ctx, mustRef(t, reg.Host+"/bob/app:v1"), newStore(t), registry.PullOptions{})
	if !errors.Is(err, registry.ErrUnauthorized) || !strings.Contains(err.Error(), "check credentials for "+reg.Host) {
		t.Fatalf("anonymous pull of a private repository: %v", err)
	}
	wrong := newClient(registry.Options{Credentials: auth.Static{reg.Host: {Username: "bob", Password: "bad"}}})
	if _, err := wrong.Pull(ctx, mustRef(t, reg.Host+"/bob/app:v1"), newStore(t), registry.PullOptions{}); !errors.Is(err, registry.ErrUnauthorized) {
		t.Fatalf("pull with a wrong password: %v", err)
	}

	t.Run("refresh token", func(t *testing.T) {
		ts.RefreshTokens["rt-123"] = "bob"
		c := newClient(registry.Options{Credentials: auth.Static{reg.Host: {IdentityToken: "rt-123"}}})
		if _, err := c.Pull(ctx, mustRef(t, reg.Host+"/bob/app:v1"), newStore(t), registry.PullOptions{}); err != nil {
			t.Fatal(err)
		}
		last := ts.Requests()[len(ts.Requests())-1]
		if last.Method != "POST" || last.Grant != "refresh_token" || last.User != "bob" {
			t.Fatalf("token request %+v, want an OAuth2 refresh_token POST", last)
		}
	})

	t.Run("cross-repository mount", func(t *testing.T) {
		rec := recorder()
		c := newClient(registry.Options{Progress: rec, Credentials: auth.Static{reg.Host: {Username: "bob", Password: "pw"}}})
		err := c.Push(ctx, mustRef(t, reg.Host+"/bob/copy:v1"), src, img.Manifest, registry.PushOptions{MountFrom: []string{"bob/app"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := rec.Count(progress.Mounted); n != 5 {
			t.Fatalf("mounted %d blobs, want 5: %+v", n, rec.Events())
		}
		found := false
		for _, r := range ts.Requests() {
			for _, s := range r.Scopes {
				found = found || s == "repository:bob/app:pull"
			}
		}
		if !found {
			t.Error("no token asked for the source repository's pull scope")
		}
	})

	t.Run("refused mounts", func(t *testing.T) {
		// A repository the user may not read, and one that lacks the
		// blobs: both mounts are refused and the blobs uploaded, the
		// second into the session the refusal opened.
		ts.Private["secret/app"] = true
		p := registrytest.NewProxy(t, reg.Host)
		rec := recorder()
		c := newClient(registry.Options{Progress: rec, Credentials: auth.Static{p.Host: {Username: "bob", Password: "pw"}}})
		err := c.Push(ctx, mustRef(t, p.Host+"/bob/fresh:v1"), src, img.Manifest, registry.PushOptions{MountFrom: []string{"secret/app", "bob/empty"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := rec.Count(progress.Done); n != 6 || rec.Count(progress.Mounted) != 0 {
			t.Fatalf("%d blobs uploaded, %d mounted; want 5 and the manifest uploaded", n, rec.Count(progress.Mounted))
		}
		posts := 0
		for _, l := range p.Log() {
			if l.Method == "POST" {
				posts++
			}
		}
		// Per blob: the mount from secret/app, asked again with a fresh
		// token after the 401, and the mount from bob/empty, whose session
		// takes the upload.
		if posts != 3*5 {
			t.Errorf("%d POSTs for 5 blobs: want three mount attempts each and no other session", posts)
		}
	})
}

func TestTLSWithCertDir(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{TLS: true})
	src := newStore(t)
	img := registrytest.NewImage(t, src, 1, 10<<10, linuxAMD64)
	ref := mustRef(t, reg.Host+"/tls/app:v1")

	err := newClient(registry.Options{}).Push(ctx, ref, src, img.Manifest, registry.PushOptions{})
	if err == nil || !strings.Contains(err.Error(), "certificate") || !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("push to a self-signed registry without its CA: %v", err)
	}
	if err := newClient(registry.Options{CertDir: reg.CertDir}).Push(ctx, ref, src, img.Manifest, registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(registry.Options{InsecureSkipVerify: true}).Pull(ctx, ref, newStore(t), registry.PullOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestLoginLogout(t *testing.T) {
	ts := registrytest.NewTokenServer(t, map[string]string{"carol": "pw"})
	tokenReg := startRegistry(t, registrytest.Options{Token: ts})
	basicReg := startRegistry(t, registrytest.Options{Htpasswd: map[string]string{"carol": "pw"}})
	for name, host := range map[string]string{"token": tokenReg.Host, "basic": basicReg.Host} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "containers", "auth.json")
			c := newClient(registry.Options{})
			err := c.Login(ctx, host, "carol", "wrong", file)
			if !errors.Is(err, registry.ErrUnauthorized) {
				t.Fatalf("login with a wrong password: %v", err)
			}
			if _, serr := os.Stat(file); !os.IsNotExist(serr) {
				t.Fatalf("failed login wrote %s", file)
			}
			if err := c.Login(ctx, host, "carol", "pw", file); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(file)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("auth file: %v, mode %v", err, st.Mode())
			}
			var doc struct {
				Auths map[string]struct{ Auth string }
			}
			data, _ := os.ReadFile(file)
			if err := json.Unmarshal(data, &doc); err != nil || doc.Auths[host].Auth == "" {
				t.Fatalf("auth file %s: %v", data, err)
			}
			cred, err := (&auth.Files{Paths: []string{file}}).Get(ctx, host+"/some/repo")
			if err != nil || cred.Username != "carol" || cred.Password != "pw" {
				t.Fatalf("credential read back: %+v, %v", cred, err)
			}
			if err := registry.Logout(host, file); err != nil {
				t.Fatal(err)
			}
			if err := registry.Logout(host, file); !errdefs.IsNotFound(err) {
				t.Fatalf("second logout: %v", err)
			}
		})
	}
}
