package cgroups

import "github.com/opencontainers/runtime-spec/specs-go/features"

// Features is what this package supports, for `berth-runtime features`
// (features-linux.md): cgroup v1 and v2 (and the hybrid of both), the rdma
// controller, and no systemd driver. It describes the code, not the host.
func Features() *features.Cgroup {
	yes, no := true, false
	return &features.Cgroup{V1: &yes, V2: &yes, Systemd: &no, SystemdUser: &no, Rdma: &yes}
}
