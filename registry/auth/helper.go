package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// helperReply is what docker-credential-NAME get prints.
type helperReply struct {
	ServerURL string
	Username  string
	Secret    string
}

// RunHelper runs "docker-credential-NAME get" with serverURL on its standard
// input, as docker does. A helper that knows no credentials for serverURL
// yields an error wrapping errdefs.ErrNotFound. A username of "<token>"
// marks the secret as an identity token.
func RunHelper(ctx context.Context, name, serverURL string) (Credential, error) {
	if name == "" || strings.ContainsAny(name, "/\\") {
		return Credential{}, fmt.Errorf("credential helper name %q: %w", name, errdefs.ErrInvalidArgument)
	}
	prog := "docker-credential-" + name
	cmd := exec.CommandContext(ctx, prog, "get")
	cmd.Stdin = strings.NewReader(serverURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stdout.String() + " " + stderr.String())
		if strings.Contains(strings.ToLower(msg), "credentials not found") {
			return Credential{}, fmt.Errorf("%s: no credentials for %s: %w", prog, serverURL, errdefs.ErrNotFound)
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return Credential{}, fmt.Errorf("run %s: %v: %w", prog, err, errdefs.ErrUnavailable)
		}
		return Credential{}, fmt.Errorf("%s get %s: %v: %s", prog, serverURL, err, msg)
	}
	var r helperReply
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		return Credential{}, fmt.Errorf("%s get %s: parse reply: %v: %w", prog, serverURL, err, errdefs.ErrInvalidArgument)
	}
	if r.Username == "<token>" {
		return Credential{IdentityToken: r.Secret}, nil
	}
	return Credential{Username: r.Username, Password: r.Secret}, nil
}
