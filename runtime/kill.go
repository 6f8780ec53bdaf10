package runtime

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Kill sends sig to the container's init, or with all to every process of
// the container. The container must be created or running.
func (r *Runtime) Kill(id string, sig unix.Signal, all bool) error {
	rec, l, err := r.lockLoad(id)
	if err != nil {
		return err
	}
	defer l.unlock()
	st := r.status(rec)
	if st == specs.StateStopped {
		return fmt.Errorf("container %s is not running (status stopped): cannot kill: %w", id, errdefs.ErrFailedPrecondition)
	}
	if all {
		return r.signalAll(rec, sig)
	}
	if err := r.killInit(rec, sig); err != nil {
		return fmt.Errorf("kill container %s: %w", id, err)
	}
	return nil
}

// signalAll signals every process of the container: through its cgroup
// when it has one, else every process in its pid namespace.
func (r *Runtime) signalAll(rec *record, sig unix.Signal) error {
	if cg, err := r.loadCgroup(rec); err != nil {
		return err
	} else if cg != nil {
		return cg.Signal(sig)
	}
	if _, fresh := hasNamespace(rec.Spec, specs.PIDNamespace); !fresh {
		return r.killInit(rec, sig)
	}
	ns, err := os.Readlink("/proc/" + strconv.Itoa(rec.Pid) + "/ns/pid")
	if err != nil {
		return fmt.Errorf("kill container %s: %w", rec.ID, err)
	}
	for _, pid := range pidsInNamespace(ns) {
		start, _, err := procStart(pid)
		if err != nil {
			continue
		}
		if fd, err := openPidfd(pid, start); err == nil {
			unix.PidfdSendSignal(fd, sig, nil, 0)
			unix.Close(fd)
		}
	}
	return nil
}

// pidsInNamespace lists the host pids of the processes in pid namespace ns
// (the target of a /proc/<pid>/ns/pid link).
func pidsInNamespace(ns string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && l == ns {
			pids = append(pids, pid)
		}
	}
	return pids
}

// ParseSignal accepts runc's forms: "KILL", "SIGKILL", "kill", "9".
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %d out of range: %w", n, errdefs.ErrInvalidArgument)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	if rt, ok := strings.CutPrefix(name, "SIGRTMIN+"); ok {
		if n, err := strconv.Atoi(rt); err == nil && n >= 0 && 34+n <= 64 {
			return unix.Signal(34 + n), nil
		}
	}
	if rt, ok := strings.CutPrefix(name, "SIGRTMAX-"); ok {
		if n, err := strconv.Atoi(rt); err == nil && n >= 0 && 64-n >= 34 {
			return unix.Signal(64 - n), nil
		}
	}
	return 0, fmt.Errorf("unknown signal %q: %w", s, errdefs.ErrInvalidArgument)
}
