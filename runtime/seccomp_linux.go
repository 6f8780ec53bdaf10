package runtime

import (
	"fmt"

	"github.com/berth-oci/berth/runtime/linux/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// compileSeccomp compiles linux.seccomp once, in create, so that a bad
// profile fails before anything is made; the init loads the result.
func compileSeccomp(spec *specs.Spec) (filter []byte, notify bool, err error) {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return nil, false, nil
	}
	f, err := seccomp.Compile(spec.Linux.Seccomp)
	if err != nil {
		return nil, false, fmt.Errorf("config.json: linux.seccomp: %w", err)
	}
	b, err := f.MarshalBinary()
	if err != nil {
		return nil, false, fmt.Errorf("encode seccomp filter: %w", err)
	}
	return b, f.Notify(), nil
}

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
