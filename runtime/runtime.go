// Package runtime is the OCI runtime as a library: create, start, kill,
// delete, state and list of containers described by runtime-spec bundles,
// with runc's behaviour. berth-runtime's command line is a thin layer on it.
//
// Each container has a directory under Runtime.Root named by its ID, holding
// state.json (written atomically) and, until it is started, exec.fifo. An
// exclusive flock on the directory serialises the commands that change one
// container; commands on different containers run in parallel.
package runtime

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/initproc"
)

// DefaultRoot is where container state lives unless Runtime.Root says
// otherwise (a tmpfs: the state must not survive a reboot).
const DefaultRoot = "/run/berth-runtime"

// Runtime carries the global options of every operation.
type Runtime struct {
	Root string
	// SystemdCgroup asks for the systemd cgroup driver (not implemented:
	// creating a container with it fails clearly).
	SystemdCgroup bool
	// Rootless ignores cgroup permission errors ("true", "false", "auto").
	Rootless string
	// Log receives warnings and debug messages; nil discards them.
	Log *slog.Logger
}

func (r *Runtime) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return r.Log
}

func (r *Runtime) root() string {
	if r.Root == "" {
		return DefaultRoot
	}
	return r.Root
}

func (r *Runtime) dir(id string) string { return filepath.Join(r.root(), id) }

// validIDChar: runc's ^[\w+-.]+$, without compiling a regexp at every
// start of the binary (the init included).
func validIDChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_+-.", c)
}

// checkID rejects IDs that would not name a directory under Root safely.
func checkID(id string) error {
	if id == "" {
		return fmt.Errorf("container id is empty: %w", errdefs.ErrInvalidArgument)
	}
	if strings.IndexFunc(id, func(c rune) bool { return !validIDChar(c) }) >= 0 || id == "." || id == ".." || len(id) > 1024 {
		return fmt.Errorf("invalid container id %q (letters, digits, and _ + - . only): %w", id, errdefs.ErrInvalidArgument)
	}
	return nil
}

// Init runs the container init (berth-runtime re-executed by create); it
// returns only when the init failed.
func Init() int { return initproc.Main() }

// IsInit reports whether this process was started as a container init.
func IsInit() bool { return os.Getenv(initproc.EnvSyncFD) != "" }
