package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// CreateOptions are the settings of a new container: what podman's
// create and run flags say, parsed. They are stored with the container,
// and its runtime config is generated from them and the image config each
// time it starts.
type CreateOptions struct {
	Name string `json:"name,omitempty"`
	// Command replaces the image's Cmd when not empty; Entrypoint, when
	// set, replaces its Entrypoint (and drops its Cmd, as docker does).
	Command    []string  `json:"command,omitempty"`
	Entrypoint *[]string `json:"entrypoint,omitempty"`
	// Env entries are NAME=VALUE, added over the image's.
	Env        []string `json:"env,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
	User       string   `json:"user,omitempty"`
	Hostname   string   `json:"hostname,omitempty"`
	// Tty gives the container a terminal; Interactive keeps its stdin open.
	Tty         bool `json:"tty,omitempty"`
	Interactive bool `json:"interactive,omitempty"`
	// Remove deletes the container when it exits (--rm).
	Remove   bool `json:"remove,omitempty"`
	ReadOnly bool `json:"readOnly,omitempty"`
	// ReadOnlyTmpfs, with ReadOnly, mounts a tmpfs on /tmp, /var/tmp and
	// /run (podman's --read-only-tmpfs, on by default there).
	ReadOnlyTmpfs bool    `json:"readOnlyTmpfs,omitempty"`
	Mounts        []Mount `json:"mounts,omitempty"`
	// Memory limits memory in bytes, CPUs the CPU time in CPUs, PidsLimit
	// the number of processes; 0 means no limit.
	Memory    int64   `json:"memory,omitempty"`
	CPUs      float64 `json:"cpus,omitempty"`
	PidsLimit int64   `json:"pidsLimit,omitempty"`
	// CapAdd and CapDrop change the default capabilities ("ALL" allowed).
	CapAdd  []string `json:"capAdd,omitempty"`
	CapDrop []string `json:"capDrop,omitempty"`
	// Privileged gives every capability and device and no seccomp filter
	// or masked paths.
	Privileged bool `json:"privileged,omitempty"`
	// Seccomp replaces the default profile; SeccompUnconfined turns
	// filtering off.
	Seccomp           *SeccompProfile `json:"seccomp,omitempty"`
	SeccompUnconfined bool            `json:"seccompUnconfined,omitempty"`
	NoNewPrivileges   bool            `json:"noNewPrivileges,omitempty"`
	// Init runs a minimal init as the container's first process that
	// reaps zombies and forwards signals to the command.
	Init bool `json:"init,omitempty"`
	// Network is bridge (the default network; what "" means for root
	// with the CNI plugins, see defaultNetwork), none, host or the name of
	// a network of berth network create; Publish maps ports, through a
	// network.
	Network string            `json:"network,omitempty"`
	Publish []PortMapping     `json:"publish,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	// StopSignal replaces the image's; StopTimeout (seconds) is how long
	// stop waits before SIGKILL, 10 when nil.
	StopSignal  string `json:"stopSignal,omitempty"`
	StopTimeout *int   `json:"stopTimeout,omitempty"`
	// Runtime is the OCI runtime binary (a path or a name in PATH); empty
	// means the engine's default.
	Runtime string `json:"runtime,omitempty"`
}

// Network modes.
const (
	NetworkNone   = "none"
	NetworkHost   = "host"
	NetworkBridge = "bridge"
)

// DefaultStopTimeout is how long stop waits for the stop signal to work.
const DefaultStopTimeout = 10

func (o *CreateOptions) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("create: "+format+": %w", append(args, errdefs.ErrInvalidArgument)...)
	}
	if o.Name != "" && !validName(o.Name) {
		return bad("container name %q: want [a-zA-Z0-9][a-zA-Z0-9_.-]*", o.Name)
	}
	if o.WorkingDir != "" && !filepath.IsAbs(o.WorkingDir) {
		return bad("working directory %q is not absolute", o.WorkingDir)
	}
	if o.Network != "" && !validName(o.Network) {
		return bad("network %q: want none, host, bridge or a network's name", o.Network)
	}
	if o.Memory < 0 || o.CPUs < 0 || o.PidsLimit < 0 {
		return bad("negative resource limit")
	}
	for _, m := range o.Mounts {
		if !filepath.IsAbs(m.Destination) {
			return bad("mount destination %q is not absolute", m.Destination)
		}
	}
	for _, e := range o.Env {
		if name, _, _ := strings.Cut(e, "="); name == "" {
			return bad("environment entry %q has no name", e)
		}
	}
	return nil
}

func validName(s string) bool {
	for i, r := range s {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("_.-", r)) {
			return false
		}
	}
	return s != "" && len(s) <= 253
}

// ParseSecurityOpt applies one --security-opt value to o:
// seccomp=unconfined, seccomp=PROFILE, no-new-privileges[=true|false];
// label= and apparmor= are accepted and ignored, as on a host without
// SELinux and AppArmor.
func (o *CreateOptions) ParseSecurityOpt(s string) error {
	key, val, hasVal := strings.Cut(s, "=")
	if !hasVal {
		key, val, hasVal = strings.Cut(s, ":")
	}
	switch key {
	case "seccomp":
		if val == "unconfined" {
			o.SeccompUnconfined, o.Seccomp = true, nil
			return nil
		}
		p, err := LoadSeccompProfile(val)
		if err != nil {
			return err
		}
		o.Seccomp, o.SeccompUnconfined = p, false
		return nil
	case "no-new-privileges":
		switch val {
		case "", "true":
			o.NoNewPrivileges = true
		case "false":
			o.NoNewPrivileges = false
		default:
			return fmt.Errorf("--security-opt %s: want true or false: %w", s, errdefs.ErrInvalidArgument)
		}
		return nil
	case "label", "apparmor", "mask", "unmask":
		if hasVal {
			return nil
		}
	}
	return fmt.Errorf("--security-opt %q: want seccomp=unconfined|PROFILE or no-new-privileges: %w", s, errdefs.ErrInvalidArgument)
}
