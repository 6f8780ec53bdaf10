package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/engine/oci"
	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecOptions describe a process to run in a running container.
type ExecOptions struct {
	Cmd []string
	// Env entries are added over the container's.
	Env []string
	// User and WorkingDir replace the container's when set.
	User       string
	WorkingDir string
	Tty        bool
	// Detach starts the process and returns without waiting.
	Detach bool
	// Privileged gives the process every capability of the container's
	// bounding set.
	Privileged bool
}

// Exec runs a process in the running container s through the runtime's
// exec, with stdio as given, and returns its exit status (126 and 127 as
// for Run when the command cannot run).
func (e *Engine) Exec(ctx context.Context, s string, o ExecOptions, stdio Stdio) (int, error) {
	if len(o.Cmd) == 0 {
		return 125, fmt.Errorf("exec: no command: %w", errdefs.ErrInvalidArgument)
	}
	r, err := e.lookupRecord(s)
	if err != nil {
		return 125, err
	}
	if st := e.currentState(r.ID); st.Status != StatusRunning {
		return 125, fmt.Errorf("container %s is %s, not running: %w", r.Name, st.Status, errdefs.ErrFailedPrecondition)
	}
	spec, err := e.readSpec(r.ID)
	if err != nil {
		return 125, err
	}
	p, err := execProcess(spec, e.ctrPath(r.ID, ctrRootfs), o)
	if err != nil {
		return 125, err
	}
	check := *spec
	check.Process = p
	if err := checkCommand(e.ctrPath(r.ID, ctrRootfs), &check); err != nil {
		return exitCodeOf(err), err
	}
	pf, err := os.CreateTemp(e.ctrDir(r.ID), "exec-*.json")
	if err != nil {
		return 125, err
	}
	defer os.Remove(pf.Name())
	if err := json.NewEncoder(pf).Encode(p); err != nil {
		pf.Close()
		return 125, err
	}
	if err := pf.Close(); err != nil {
		return 125, err
	}
	logFile := strings.TrimSuffix(pf.Name(), ".json") + ".log"
	defer os.Remove(logFile)
	args := []string{"exec", "--process", pf.Name()}
	if o.Tty {
		args = append(args, "--tty")
	}
	if o.Detach {
		args = append(args, "--detach")
	}
	cmd := e.runtime(r).Command(context.Background(), logFile, append(args, r.ID)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	stop := func() {}
	if err := cmd.Start(); err != nil {
		return 125, fmt.Errorf("exec: start runtime %s: %w", r.Runtime, err)
	}
	stop = forwardSignals(func(sig os.Signal) { cmd.Process.Signal(sig) })
	err = cmd.Wait()
	stop()
	if lerr := oci.LogError(logFile); lerr != nil {
		return oci.ExitCode(lerr), &ExitError{Code: oci.ExitCode(lerr), Err: fmt.Errorf("exec in %s: %w", r.Name, lerr)}
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return 125, fmt.Errorf("exec in %s: %w", r.Name, err)
	}
	return exitStatus(cmd.ProcessState, err), nil
}

// execProcess derives the exec'd process from the container's: its
// environment, user, capabilities and confinement, with o applied.
func execProcess(spec *specs.Spec, rootfs string, o ExecOptions) (*specs.Process, error) {
	p := *spec.Process
	p.Args = o.Cmd
	p.Terminal = o.Tty
	p.ConsoleSize = nil
	p.Env = mergeEnv(spec.Process.Env, o.Env)
	if o.Tty && !hasEnv(p.Env, "TERM") {
		p.Env = append(p.Env, "TERM=xterm")
	}
	if o.WorkingDir != "" {
		if !filepath.IsAbs(o.WorkingDir) {
			return nil, fmt.Errorf("exec: working directory %q is not absolute: %w", o.WorkingDir, errdefs.ErrInvalidArgument)
		}
		p.Cwd = o.WorkingDir
	}
	if spec.Process.Capabilities != nil {
		c := *spec.Process.Capabilities
		p.Capabilities = &c
	}
	if o.User != "" {
		u, err := bundle.ResolveUser(rootfs, o.User)
		if err != nil {
			return nil, fmt.Errorf("exec: %w", err)
		}
		p.User = u
		if p.Capabilities != nil {
			if u.UID != 0 {
				p.Capabilities.Effective, p.Capabilities.Permitted = nil, nil
			} else {
				p.Capabilities.Effective, p.Capabilities.Permitted = p.Capabilities.Bounding, p.Capabilities.Bounding
			}
		}
	}
	if o.Privileged && p.Capabilities != nil {
		b := p.Capabilities.Bounding
		p.Capabilities.Effective, p.Capabilities.Permitted = b, b
	}
	return &p, nil
}

// mergeEnv adds extra over base, replacing variables of the same name.
func mergeEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range extra {
		name, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, b := range out {
			if bn, _, _ := strings.Cut(b, "="); bn == name {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if n, _, _ := strings.Cut(kv, "="); n == name {
			return true
		}
	}
	return false
}
