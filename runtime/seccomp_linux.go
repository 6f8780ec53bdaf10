package runtime

import (
	"github.com/berth-oci/berth/runtime/linux/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sendSeccompListener hands the listener of a SCMP_ACT_NOTIFY profile to
// the agent at linux.seccomp.listenerPath, with the container's state.
func (r *Runtime) sendSeccompListener(rec *record, fd int) error {
	sc := rec.Spec.Linux.Seccomp
	st := specs.ContainerProcessState{
		Pid:      rec.Pid,
		Metadata: sc.ListenerMetadata,
		State: specs.State{Version: specs.Version, ID: rec.ID, Status: specs.StateCreating,
			Pid: rec.Pid, Bundle: rec.Bundle, Annotations: rec.Spec.Annotations},
	}
	return seccomp.SendNotifyFD(sc.ListenerPath, st, fd)
}
