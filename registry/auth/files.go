package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Files is a Source that reads credential files in the formats of docker's
// config.json and containers' auth.json: "auths" entries (base64
// user:password in "auth", or an "identitytoken"), and "credHelpers" /
// "credsStore" naming docker-credential-NAME helpers. The first file in
// Paths that knows the host wins; missing files are skipped.
type Files struct {
	Paths []string
	// RunHelper runs a credential helper; nil means running
	// docker-credential-NAME from $PATH.
	RunHelper func(ctx context.Context, name, serverURL string) (Credential, error)
}

// fileConfig is the part of a credential file berth reads.
type fileConfig struct {
	Auths       map[string]authEntry `json:"auths"`
	CredsStore  string               `json:"credsStore,omitempty"`
	CredHelpers map[string]string    `json:"credHelpers,omitempty"`
}

type authEntry struct {
	Auth          string `json:"auth,omitempty"`
	IdentityToken string `json:"identitytoken,omitempty"`
}

// DefaultFiles returns the credential files podman and skopeo consult, in
// their order: $REGISTRY_AUTH_FILE when set, otherwise
// $XDG_RUNTIME_DIR/containers/auth.json; then
// $XDG_CONFIG_HOME/containers/auth.json; then docker's
// $DOCKER_CONFIG/config.json (~/.docker/config.json).
func DefaultFiles() *Files {
	paths := []string{DefaultAuthFile()}
	if cfg, err := os.UserConfigDir(); err == nil {
		paths = append(paths, filepath.Join(cfg, "containers", "auth.json"))
	}
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		paths = append(paths, filepath.Join(dir, "config.json"))
	} else if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".docker", "config.json"))
	}
	return &Files{Paths: paths}
}

// DefaultAuthFile is the file Login writes: $REGISTRY_AUTH_FILE, or
// $XDG_RUNTIME_DIR/containers/auth.json, or /run/containers/UID/auth.json
// when XDG_RUNTIME_DIR is unset (as podman does).
func DefaultAuthFile() string {
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		return f
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "containers", "auth.json")
	}
	return filepath.Join("/run/containers", fmt.Sprint(os.Getuid()), "auth.json")
}

// Get returns the credential for host, which may carry a repository path
// ("quay.io/org/repo"): an entry for the repository or one of its parent
// namespaces is preferred to one for the whole host.
func (f *Files) Get(ctx context.Context, host string) (Credential, error) {
	for _, path := range f.Paths {
		cfg, err := readConfig(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Credential{}, err
		}
		cred, found, err := f.lookup(ctx, cfg, host)
		if err != nil {
			return Credential{}, fmt.Errorf("credentials for %s from %s: %w", host, path, err)
		}
		if found {
			return cred, nil
		}
	}
	return Credential{}, nil
}

func (f *Files) lookup(ctx context.Context, cfg *fileConfig, key string) (Credential, bool, error) {
	helpers := map[string]string{}
	for k, v := range cfg.CredHelpers {
		helpers[NormalizeHost(k)] = v
	}
	auths := map[string]authEntry{}
	for k, v := range cfg.Auths {
		auths[NormalizeHost(k)] = v
	}
	for _, cand := range candidates(NormalizeHost(key)) {
		if name, ok := helpers[cand]; ok {
			return f.helper(ctx, name, cand)
		}
		if e, ok := auths[cand]; ok && cfg.CredsStore == "" {
			c, err := e.credential()
			return c, err == nil, err
		}
	}
	if cfg.CredsStore != "" {
		host, _, _ := strings.Cut(NormalizeHost(key), "/")
		return f.helper(ctx, cfg.CredsStore, host)
	}
	return Credential{}, false, nil
}

func (f *Files) helper(ctx context.Context, name, host string) (Credential, bool, error) {
	run := f.RunHelper
	if run == nil {
		run = RunHelper
	}
	server := host
	if host == "docker.io" {
		server = dockerHubKey
	}
	c, err := run(ctx, name, server)
	if errors.Is(err, errdefs.ErrNotFound) {
		return Credential{}, false, nil
	}
	return c, err == nil, err
}

func (e authEntry) credential() (Credential, error) {
	c := Credential{IdentityToken: e.IdentityToken}
	if e.Auth != "" {
		user, pass, err := decodeAuth(e.Auth)
		if err != nil {
			return Credential{}, err
		}
		c.Username, c.Password = user, pass
	}
	return c, nil
}

// candidates lists key, then its parent namespaces, then its host.
func candidates(key string) []string {
	out := []string{key}
	for {
		i := strings.LastIndexByte(key, '/')
		if i < 0 {
			return out
		}
		key = key[:i]
		out = append(out, key)
	}
}

func readConfig(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg fileConfig
	if len(strings.TrimSpace(string(data))) == 0 {
		return &cfg, nil
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("parse credential file %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return &cfg, nil
}
