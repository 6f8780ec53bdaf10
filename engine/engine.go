// Package engine is berth's daemonless container engine, in the manner of
// podman: a store of images (blobs, records, unpacked layers) and
// containers on disk, shared by every berth process, with no daemon in
// between. Each call opens what it needs and lets go of it again.
//
// The store under Root:
//
//	content/blobs/   blobs by digest (content/local), content/ingest/ writes in progress
//	snapshots/       one directory per layer chain (engine/snapshot)
//	containers/ID/   a container: its bundle (config.json, rootfs mount point),
//	                 upper and work directories, log, state
//	volumes/NAME/    named volumes (NAME/_data is what is mounted)
//	berth.db         records (bbolt): images, names, snapshots, containers, volumes
//	store.lock       the collection lock (see below)
//
// Under RunRoot (default /run/berth) live what a reboot may forget: the
// runtimes' state directories.
//
// Locks, so that many berth processes can work at once:
//   - The database is opened for each transaction and closed at once
//     (bbolt holds a file lock for as long as it is open), so no process
//     holds it across slow work.
//   - Whoever writes blobs or snapshots that no record names yet (pull,
//     load, commit, create) holds store.lock shared until the record is
//     committed; collection (rmi, prune, check) holds it exclusive, so it
//     never deletes what is about to be named.
//   - A snapshot is built in a temporary directory under a per-snapshot
//     lock and renamed into place, and recorded only after the rename.
//   - A container's state changes under its own lock file.
package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/engine/snapshot"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
)

// Default locations of the store for root.
const (
	DefaultRoot    = "/var/lib/berth"
	DefaultRunRoot = "/run/berth"
)

// RuntimeName is the runtime berth uses unless told otherwise, looked for
// next to the berth binary first, then in PATH.
const RuntimeName = "berth-runtime"

// Options configure an Engine. The zero value uses the default locations.
type Options struct {
	// Root holds the store; RunRoot the state that does not outlive a boot.
	Root, RunRoot string
	// Runtime is the OCI runtime (any runc-compatible binary) new
	// containers use; empty means RuntimeName.
	Runtime string
	// Self is the berth binary, re-executed as a container's monitor and
	// as its --init; empty means this process's executable.
	Self string
	// Registry configures pulls and pushes through registries.
	Registry registry.Options
	// Progress receives transfer events of pulls and pushes.
	Progress progress.Reporter
	// Warn receives what the engine worked around; nil drops it.
	Warn func(string)
}

// Engine is an open store. It holds no file open between calls, so it is
// cheap to open, safe to use from many goroutines and shared with other
// processes using the same Root.
type Engine struct {
	opts    Options
	root    string
	runRoot string
	content *local.Store
	snaps   *snapshot.Store
	net     networkState
}

// Open opens (creating when needed) the store at o.Root.
func Open(o Options) (*Engine, error) {
	if o.Root == "" {
		o.Root = DefaultRoot
	}
	if o.RunRoot == "" {
		o.RunRoot = DefaultRunRoot
	}
	var err error
	if o.Root, err = filepath.Abs(o.Root); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if o.RunRoot, err = filepath.Abs(o.RunRoot); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	e := &Engine{opts: o, root: o.Root, runRoot: o.RunRoot}
	for _, d := range []string{o.Root, e.path(containersDir), e.path(volumesDir), o.RunRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	if e.content, err = local.New(e.path("content", "blobs"), local.WithIngestDir(e.path("content", "ingest"))); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if e.snaps, err = snapshot.New(e.path(snapshotsDir)); err != nil {
		return nil, err
	}
	if err := e.initDB(); err != nil {
		return nil, err
	}
	return e, nil
}

// Directories of the store.
const (
	containersDir = "containers"
	volumesDir    = "volumes"
	snapshotsDir  = "snapshots"
)

// Root is the store's directory; RunRoot the directory of its volatile state.
func (e *Engine) Root() string    { return e.root }
func (e *Engine) RunRoot() string { return e.runRoot }

// Content is the store's blob store.
func (e *Engine) Content() *local.Store { return e.content }

func (e *Engine) path(elem ...string) string {
	return filepath.Join(append([]string{e.root}, elem...)...)
}

func (e *Engine) warn(format string, args ...any) {
	if e.opts.Warn != nil {
		e.opts.Warn(fmt.Sprintf(format, args...))
	}
}

// self is the berth binary to re-execute.
func (e *Engine) self() (string, error) {
	if e.opts.Self != "" {
		return e.opts.Self, nil
	}
	p, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the berth binary: %w", err)
	}
	return p, nil
}

// DefaultRuntime finds the runtime new containers use: o.Runtime when set
// (a name is looked up in PATH), else berth-runtime next to the berth
// binary, else berth-runtime in PATH.
func (e *Engine) DefaultRuntime() (string, error) { return e.findRuntime(e.opts.Runtime) }

// findRuntime resolves a runtime name as DefaultRuntime does.
func (e *Engine) findRuntime(name string) (string, error) {
	if name == "" {
		if self, err := e.self(); err == nil {
			p := filepath.Join(filepath.Dir(self), RuntimeName)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
		}
		name = RuntimeName
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("find the OCI runtime %q: %w", name, err)
	}
	return filepath.Abs(p)
}
