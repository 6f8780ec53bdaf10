package engine

import (
	"errors"
	"io/fs"

	"github.com/berth-oci/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

func errdefsNotFound(err error) bool { return errors.Is(err, errdefs.ErrNotFound) }

func digestOf(b []byte) digest.Digest { return digest.Digest(string(b)) }

func errdefsIs(err, kind error) bool { return errors.Is(err, kind) }

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
