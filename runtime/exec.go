package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/nsenter"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOpts are the options of exec.
type ExecOpts struct {
	Process       *specs.Process // the process to run (args, env, cwd, user, terminal...)
	Detach        bool
	PidFile       string
	ConsoleSocket string
	PreserveFDs   int
	IgnorePaused  bool
}

// Exec runs another process in a running container: in all its
// namespaces and its cgroup, with its seccomp profile. Attached, it waits
// for the process and returns its exit status the shell way; detached, it
// returns 0 once the process runs.
func (r *Runtime) Exec(ctx context.Context, id string, o ExecOpts) (int, error) {
	rec, err := r.load(id)
	if err != nil {
		return 1, err
	}
	st := r.status(rec)
	if st != specs.StateRunning && !(st == statusPaused && o.IgnorePaused) {
		return 1, wrongState(id, st, "running", "exec")
	}
	notes, err := validateProcess(o.Process, hasUserNS(rec.Spec))
	if err != nil {
		return 1, err
	}
	r.logNotes(id, notes)
	spec := *rec.Spec
	spec.Process = o.Process
	s := &starter{r: r, rec: &record{ID: rec.ID, Bundle: rec.Bundle, Rootfs: rec.Rootfs, Spec: &spec, Cgroup: rec.Cgroup},
		opts: CreateOpts{ConsoleSocket: o.ConsoleSocket, PreserveFDs: o.PreserveFDs, noWait: true}, exec: true}
	if s.plan, err = execNamespaces(rec); err != nil {
		return 1, err
	}
	if s.seccomp, s.seccompNotify, err = r.compileSeccomp(&spec); err != nil {
		return 1, err
	}
	if s.seccompNotify {
		return 1, fmt.Errorf("exec in %s: a seccomp profile with SCMP_ACT_NOTIFY: %w", id, errdefs.ErrNotImplemented)
	}
	var sigs chan os.Signal
	var tty *ttyRelay
	if !o.Detach {
		var stop func()
		sigs, stop = catchSignals(&s.opts)
		defer stop()
		if tty, err = r.attachConsole(&s.opts, o.Process); err != nil {
			return 1, err
		}
	}
	err = s.launchExec(ctx, rec)
	if tty != nil {
		tty.closeChildEnd()
	}
	if err == nil {
		err = s.waitExec()
	}
	if err != nil {
		s.abort()
		return 1, fmt.Errorf("exec in %s: %w", id, err)
	}
	c := &creation{rec: s.rec, cmd: s.cmd, s: s}
	s.rec.Pid = s.cmd.pid
	if o.PidFile != "" {
		if err := replaceFile(o.PidFile, []byte(itoa(s.rec.Pid)), 0o644); err != nil {
			return 1, fmt.Errorf("write pid file: %w", err)
		}
	}
	if o.Detach {
		return 0, nil
	}
	if tty != nil {
		if err := tty.receive(); err != nil {
			return 1, err
		}
		defer tty.restore()
	}
	s.rec.PidStart, _, _ = procStart(s.rec.Pid)
	status := r.follow(c, sigs, tty)
	if tty != nil {
		tty.drain()
	}
	return status, nil
}

// execNamespaces joins every namespace the container has, through its init.
func execNamespaces(rec *record) (*nsPlan, error) {
	p := &nsPlan{}
	for _, ns := range rec.Spec.Linux.Namespaces {
		kind, ok := nsKinds[ns.Type]
		if !ok {
			return nil, fmt.Errorf("linux.namespaces: unknown type %q: %w", ns.Type, errdefs.ErrInvalidArgument)
		}
		path := fmt.Sprintf("/proc/%d/ns/%s", rec.Pid, kind.proc)
		if ns.Type == specs.PIDNamespace {
			p.pidPath = path
			continue
		}
		p.enter.Join = append(p.enter.Join, nsenter.Join{Type: kind.proc, Path: path})
	}
	return p, nil
}

// launchExec starts the process that joins the container.
func (s *starter) launchExec(ctx context.Context, rec *record) error {
	fds, err := s.childFiles()
	if err != nil {
		return err
	}
	defer fds.close()
	if s.cg, err = s.r.loadCgroup(rec); err != nil {
		return err
	}
	if s.cg != nil {
		// Joined by the constructor: before it enters the container's
		// mount namespace, where the host's cgroup paths do not lead.
		if s.plan.enter.CgroupFiles, err = s.joinPlan(fds); err != nil {
			return err
		}
	}
	s.plan.enter.ErrFD = fds.syncFD
	if s.cmd, err = s.command(fds); err != nil {
		return err
	}
	if err := s.start(); err != nil {
		return fmt.Errorf("start process: %w", err)
	}
	fds.closeChildEnds()
	return s.talk(ctx, fds)
}

// ParseUser reads exec's --user: "uid" or "uid:gid".
func ParseUser(s string) (specs.User, error) {
	var u specs.User
	uid, gid, hasGID := strings.Cut(s, ":")
	if _, err := fmt.Sscan(uid, &u.UID); err != nil {
		return u, fmt.Errorf("--user %q: not a numeric uid: %w", s, errdefs.ErrInvalidArgument)
	}
	if hasGID {
		if _, err := fmt.Sscan(gid, &u.GID); err != nil {
			return u, fmt.Errorf("--user %q: not a numeric gid: %w", s, errdefs.ErrInvalidArgument)
		}
	}
	return u, nil
}

// ContainerProcess returns a copy of the container's process, the base of
// an exec given by arguments (as runc: its env, cwd, user, capabilities).
func (r *Runtime) ContainerProcess(id string) (*specs.Process, error) {
	rec, err := r.load(id)
	if err != nil {
		return nil, err
	}
	if rec.Spec.Process == nil {
		return nil, fmt.Errorf("container %s has no process to copy: %w", id, errdefs.ErrInvalidArgument)
	}
	b, err := json.Marshal(rec.Spec.Process)
	if err != nil {
		return nil, err
	}
	var p specs.Process
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}
