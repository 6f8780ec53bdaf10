package cgroups

import (
	"context"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The layouts a host can have; Saved.Mode holds one of them.
const (
	// ModeV1: only cgroup v1 hierarchies are mounted.
	ModeV1 = "v1"
	// ModeV2: one cgroup2 hierarchy holds every controller.
	ModeV2 = "v2"
	// ModeHybrid: v1 hierarchies plus a cgroup2 mount (systemd's
	// /sys/fs/cgroup/unified) that holds the controllers no v1 hierarchy has.
	ModeHybrid = "hybrid"
)

// UnifiedKey is the key of Saved.Paths under which the container's directory
// on the cgroup2 mount is kept (in ModeV2 and ModeHybrid). Every other key is
// a v1 controller ("memory", "cpu", "name=systemd", …).
const UnifiedKey = "unified"

// Config says where the container's cgroup goes.
type Config struct {
	// Path is spec.Linux.CgroupsPath. An absolute path is taken from the root
	// of every hierarchy (the mount point); a relative one from the cgroup the
	// calling process is in (per hierarchy; on cgroup2 from that cgroup's
	// parent, because a cgroup holding processes cannot delegate controllers
	// to children). "" means ContainerID, relative, as runc's cgroupfs driver
	// does. A path with a ".." element, or one naming the hierarchy root or
	// the caller's own cgroup, is rejected with errdefs.ErrInvalidArgument.
	Path string
	// ContainerID names the cgroup when Path is "".
	ContainerID string
	// Systemd asks for the systemd cgroup driver, which berth does not have:
	// New returns an error wrapping errdefs.ErrNotImplemented.
	Systemd bool
	// Rootless tolerates permission errors while creating and joining
	// hierarchies the caller may not write to; setting a resource in such a
	// hierarchy is still an error.
	Rootless bool
	// ProcDir is where the host's cgroup layout is read from: the files
	// mountinfo and cgroup of the calling process. "" means /proc/self. Tests
	// point it at a fake whose mountinfo names directories in t.TempDir().
	ProcDir string
}

// Saved is what the runtime keeps in its state directory so that a later
// invocation can Load the manager. It is JSON-serialisable and complete:
// Load reads nothing else from the host.
type Saved struct {
	// Mode is ModeV1, ModeV2 or ModeHybrid.
	Mode string `json:"mode"`
	// Paths maps a v1 controller, or UnifiedKey, to the absolute directory of
	// the container's cgroup in that hierarchy. Co-mounted controllers share
	// a directory.
	Paths map[string]string `json:"paths"`
	// Rootless is Config.Rootless.
	Rootless bool `json:"rootless,omitempty"`
}

// Manager is the container's cgroup across every hierarchy of the host.
// Methods are safe to call from one goroutine at a time; the runtime holds
// its container lock around them.
type Manager interface {
	// Create makes the cgroup directory in every hierarchy (with parents) and
	// writes r (nil writes nothing). An existing, empty cgroup is reused and
	// its values rewritten; one that holds processes or is frozen is refused
	// with errdefs.ErrFailedPrecondition, before anything is written. r is
	// validated before anything is touched, and when a write fails the
	// directories Create made are removed again, so a failed Create leaves
	// the host as it found it.
	Create(r *specs.LinuxResources) error
	// Add moves the process pid (all its threads) into the cgroup in every
	// hierarchy.
	Add(pid int) error
	// JoinFiles lists the cgroup.procs files, one per hierarchy, that a
	// process writes "0" to in order to move itself in. The container's init
	// does this while still single-threaded: on v1 a process that moves
	// itself skips the RCU grace period (6–8 ms) that a pid moved by another
	// process waits for.
	JoinFiles() []string
	// DirFD opens the cgroup2 directory (O_PATH|O_DIRECTORY|O_CLOEXEC) for
	// clone3's CLONE_INTO_CGROUP (SysProcAttr.UseCgroupFD). Only in ModeV2; in
	// the other modes it returns an error wrapping errdefs.ErrNotImplemented
	// and the process joins through JoinFiles. The caller closes the fd.
	DirFD() (int, error)
	// Set writes r to the live cgroup (berth-runtime update). Fields left nil
	// are not touched. Values the kernel refuses come back as errors naming
	// the file and the value. A non-empty device list replaces the current
	// one (on v1 by a reset, which the kernel refuses once the container has
	// child cgroups): an update that does not mean to change devices leaves
	// r.Devices empty, as runc update does.
	Set(r *specs.LinuxResources) error
	// Freeze stops every process of the cgroup and returns once the kernel
	// reports the cgroup frozen (v1: freezer.state leaves FREEZING for
	// FROZEN; v2: cgroup.events says "frozen 1").
	Freeze() error
	// Thaw resumes the processes Freeze stopped.
	Thaw() error
	// Paused reports whether the cgroup is frozen.
	Paused() (bool, error)
	// Pids lists every process in the cgroup and its descendants.
	Pids() ([]int, error)
	// Signal sends sig to every process in the cgroup (kill --all). It
	// freezes the cgroup first so that a forking process cannot put a child
	// out of reach, then restores the previous state; after SIGKILL the
	// cgroup is always thawed, so that the processes can die.
	Signal(sig unix.Signal) error
	// Destroy kills every process in the cgroup, waits until none is left and
	// removes the container's directories (and any children) bottom-up in
	// every hierarchy. Parents it created are left. Destroying a removed
	// cgroup is not an error.
	Destroy() error
	// Stats reads the usage counters, shaped as the "data" object of
	// runc events --stats.
	Stats() (*Stats, error)
	// OOMEvents reports each OOM kill in the cgroup (v1: an eventfd
	// registered on memory.oom_control; v2: the oom_kill count in
	// memory.events, watched with inotify). The channel is closed when ctx is
	// done or the cgroup is removed.
	OOMEvents(ctx context.Context) (<-chan struct{}, error)
	// Saved returns what Load needs to rebuild this manager.
	Saved() Saved
}
