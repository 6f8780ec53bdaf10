package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
)

// Save records cred for host in the auth.json file path, as podman login
// does: the file (and its directory) are created when missing, other
// entries and fields are kept, and the new file replaces the old one
// atomically with mode 0600.
func Save(path, host string, cred Credential) error {
	return update(path, func(auths map[string]json.RawMessage) error {
		entry := authEntry{IdentityToken: cred.IdentityToken}
		if cred.Username != "" || cred.Password != "" {
			entry.Auth = encodeAuth(cred.Username, cred.Password)
		}
		raw, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		for k := range auths {
			if NormalizeHost(k) == NormalizeHost(host) {
				delete(auths, k)
			}
		}
		auths[NormalizeHost(host)] = raw
		return nil
	})
}

// Remove deletes the entries for host from the auth.json file path. It
// returns an error wrapping errdefs.ErrNotFound when there were none.
func Remove(path, host string) error {
	return update(path, func(auths map[string]json.RawMessage) error {
		n := len(auths)
		for k := range auths {
			if NormalizeHost(k) == NormalizeHost(host) {
				delete(auths, k)
			}
		}
		if len(auths) == n {
			return fmt.Errorf("not logged in to %s (%s): %w", host, path, errdefs.ErrNotFound)
		}
		return nil
	})
}

// RemoveAll deletes every entry of the auth.json file path, keeping its
// other fields; a missing file is left missing.
func RemoveAll(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return update(path, func(auths map[string]json.RawMessage) error {
		clear(auths)
		return nil
	})
}

// update rewrites the "auths" object of path through fn, keeping every
// other field of the file as it was.
func update(path string, fn func(map[string]json.RawMessage) error) error {
	top := map[string]json.RawMessage{}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("read auth file: %w", err)
	case len(data) > 0:
		if err := json.Unmarshal(data, &top); err != nil {
			return fmt.Errorf("parse auth file %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
		}
	}
	auths := map[string]json.RawMessage{}
	if raw, ok := top["auths"]; ok {
		if err := json.Unmarshal(raw, &auths); err != nil {
			return fmt.Errorf("parse auths of %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
		}
	}
	if err := fn(auths); err != nil {
		return err
	}
	raw, err := json.Marshal(auths)
	if err != nil {
		return err
	}
	top["auths"] = raw
	out, err := json.MarshalIndent(top, "", "\t")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(out, '\n'), 0o600)
}

// writeFileAtomic replaces path with data, creating its directory (0700,
// as the file holds secrets) when missing.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, data, mode)
}
