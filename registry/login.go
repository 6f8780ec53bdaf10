package registry

import (
	"context"
	"fmt"
	"net/http"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry/auth"
)

// Login checks user and pass against the registry host (GET /v2/ answering
// its challenge, basic or bearer) and, when the registry accepts them,
// records them in the auth.json file path (auth.DefaultAuthFile when
// empty), as podman login does. Wrong credentials leave the file as it was
// and yield an error wrapping ErrUnauthorized.
func (c *Client) Login(ctx context.Context, host, user, pass, path string) error {
	if host == "" || user == "" {
		return fmt.Errorf("login: registry and user name are required: %w", errdefs.ErrInvalidArgument)
	}
	host = auth.NormalizeHost(host)
	cred := auth.Credential{Username: user, Password: pass}
	opts := c.opts
	opts.Credentials = auth.Static{host: cred}
	check := New(opts)
	resp, err := check.do(ctx, &request{method: http.MethodGet, ref: Reference{Registry: host}, path: "/v2/", retry: true})
	if err != nil {
		return fmt.Errorf("login to %s: %w", host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login to %s: %w", host, responseError(host, resp, ""))
	}
	drain(resp)
	if path == "" {
		path = auth.DefaultAuthFile()
	}
	return auth.Save(path, host, cred)
}

// Logout removes the credentials for host from the auth.json file path
// (auth.DefaultAuthFile when empty). It returns an error wrapping
// errdefs.ErrNotFound when there were none.
func Logout(host, path string) error {
	if path == "" {
		path = auth.DefaultAuthFile()
	}
	return auth.Remove(path, host)
}
