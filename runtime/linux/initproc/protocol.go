// Package initproc is the container's first process: berth-runtime
// re-executed as `init` by the parent (package runtime) in the namespaces
// the clone made and the nsenter constructor joined.
//
// The protocol with the parent runs over one stream socket (fd in
// EnvSyncFD): the parent sends one Bootstrap (WriteBootstrap: a binary
// frame, see wire.go), then JSON values; the init answers with JSON
// Messages: "prepared" (mounts done: the parent runs its
// createRuntime hooks and answers "resume"), then "created", or "error" at
// any point. After "created" the init blocks opening exec.fifo for writing
// until `start` opens it for reading; from then on it reports through the
// fifo: end of file (the fifo is close-on-exec: the user process was
// executed) or an error message (it was not).
package initproc

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// EnvSyncFD names the environment variable that holds the socket's fd.
const EnvSyncFD = "_BERTH_INIT_SYNC"

// Bootstrap is everything the init needs, sent once by the parent.
type Bootstrap struct {
	ID     string      `json:"id"`
	Bundle string      `json:"bundle"`
	Rootfs string      `json:"rootfs"` // absolute path of the root filesystem
	Spec   *specs.Spec `json:"spec"`

	NoPivot      bool `json:"noPivot,omitempty"`
	NoNewKeyring bool `json:"noNewKeyring,omitempty"`
	// ExtraFDs is how many descriptors from fd 3 up the user process keeps
	// (LISTEN_FDS plus --preserve-fds).
	ExtraFDs int `json:"extraFDs,omitempty"`
	// Env is added to process.env (LISTEN_FDS, LISTEN_PID).
	Env []string `json:"env,omitempty"`

	FifoFD    int `json:"fifoFD"`    // O_PATH descriptor of exec.fifo, -1 with NoWait
	ConsoleFD int `json:"consoleFD"` // connected console socket, or -1

	// NoWait (run) goes on to the user process right after "created",
	// without waiting on exec.fifo: the parent starts it anyway. An error
	// then comes as a Message, and the end of the socket (close-on-exec)
	// means the process was executed.
	NoWait bool `json:"noWait,omitempty"`
	// Exec starts a process in the running container whose namespaces and
	// cgroup the constructor joined: no mounts, no hooks, only the process
	// (Spec.Process) and its terminal. It implies NoWait.
	Exec bool `json:"exec,omitempty"`
	// HooksSync asks the init to stop after the mounts for the parent's
	// prestart and createRuntime hooks.
	HooksSync bool `json:"hooksSync,omitempty"`
	// CgroupFiles are the v1 "tasks" files (or cgroup.procs) the init's
	// main thread writes "0" to, to join the container's cgroup, first
	// thing after reading the bootstrap: the parent sends it once the
	// cgroup is made.
	CgroupFiles []string `json:"cgroupFiles,omitempty"`
	// CgroupMountinfo are the cgroup lines of the parent's mountinfo,
	// read after the clone made the init's copy of its mount namespace,
	// for the container's cgroup mount (rootfs.Options); nil when the
	// config has none, and the init reads its own.
	CgroupMountinfo []byte `json:"cgroupMountinfo,omitempty"`
	// NewCgroupNS: unshare the cgroup namespace once in the container's
	// cgroup (the clone cannot: it happens before the move).
	NewCgroupNS bool `json:"newCgroupNS,omitempty"`
	// Seccomp is linux.seccomp compiled by the parent (seccomp.Filter's
	// MarshalBinary). The init loads it as late as it can: right before
	// execve with no_new_privs, before giving up root without (loading
	// needs CAP_SYS_ADMIN then). A profile with SCMP_ACT_NOTIFY is loaded
	// during create instead and its listener sent to the parent
	// (MsgSeccompFd, the fd in SCM_RIGHTS), which hands it to the agent.
	Seccomp       []byte `json:"seccomp,omitempty"`
	SeccompNotify bool   `json:"seccompNotify,omitempty"`
}

// Message is one message of the init to the parent, or the parent's
// "resume".
type Message struct {
	Type string `json:"type"`
	Msg  string `json:"msg,omitempty"`
}

// Message types.
const (
	MsgPrepared = "prepared"
	MsgResume   = "resume"
	MsgCreated  = "created"
	MsgError    = "error"
	// MsgSeccompFd carries the seccomp listener in SCM_RIGHTS.
	MsgSeccompFd = "seccompFd"
)
