// Package oci drives an OCI runtime binary through the command line that
// runc defined and every compatible runtime (berth-runtime, crun, youki)
// accepts: create, start, run, state, kill, delete, exec, ps, pause,
// resume, with a --root of the caller's choosing and errors logged as JSON
// to a --log file. It imports no runtime code, so any such binary serves.
package oci

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Runtime is one runtime binary with its state directory.
type Runtime struct {
	// Path is the runtime binary.
	Path string
	// Root is its state directory (the runtime's --root).
	Root string
}

// Command returns the command that runs the runtime with args, after the
// global flags (--root, and --log with --log-format json when logFile is
// not empty).
func (r *Runtime) Command(ctx context.Context, logFile string, args ...string) *exec.Cmd {
	global := []string{"--root", r.Root}
	if logFile != "" {
		global = append(global, "--log", logFile, "--log-format", "json")
	}
	return exec.CommandContext(ctx, r.Path, append(global, args...)...)
}

// run runs the runtime to completion, turning a failure into an error that
// carries what the runtime said.
func (r *Runtime) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := r.Command(ctx, "", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%s %s: %s", r.Path, args[0], lastLine(msg))
	}
	return stdout.Bytes(), nil
}

// State returns the runtime's state of container id, or an error wrapping
// errdefs.ErrNotFound when the runtime does not know it.
func (r *Runtime) State(ctx context.Context, id string) (*specs.State, error) {
	if _, err := os.Stat(r.Root + "/" + id); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("runtime state of %s: %w", id, errdefs.ErrNotFound)
	}
	out, err := r.run(ctx, "state", id)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
		}
		return nil, err
	}
	var s specs.State
	if err := json.Unmarshal(out, &s); err != nil {
		return nil, fmt.Errorf("runtime state of %s: %w", id, err)
	}
	return &s, nil
}

// Kill sends sig to the container's first process (to all its processes
// when all).
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	_, err := r.run(ctx, append(args, id, strconv.Itoa(int(sig)))...)
	return err
}

// Delete removes the runtime's container id; force kills it first. A
// container the runtime does not know is not an error.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	if _, err := os.Stat(r.Root + "/" + id); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, append(args, id)...)
	if err != nil && (strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "not found")) {
		return nil
	}
	return err
}

// Pause and Resume freeze and thaw all processes of the container.
func (r *Runtime) Pause(ctx context.Context, id string) error {
	_, err := r.run(ctx, "pause", id)
	return err
}

func (r *Runtime) Resume(ctx context.Context, id string) error {
	_, err := r.run(ctx, "resume", id)
	return err
}

// Ps lists the host pids of the container's processes.
func (r *Runtime) Ps(ctx context.Context, id string) ([]int, error) {
	out, err := r.run(ctx, "ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, fmt.Errorf("%s ps: %w", r.Path, err)
	}
	return pids, nil
}

// LogError returns the last error a runtime wrote to the JSON log file
// path, or nil when it logged none.
func LogError(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var entry struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &entry) == nil && (entry.Level == "error" || entry.Level == "fatal") {
			last = entry.Msg
		}
	}
	if last == "" {
		return nil
	}
	return errors.New(last)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := lines[len(lines)-1]
	// runc's text log lines: time="…" level=error msg="…"
	if i := strings.Index(l, "msg="); i >= 0 {
		if m, err := strconv.Unquote(l[i+4:]); err == nil {
			return m
		}
	}
	return l
}

// ExitCode classifies a runtime's failure to start a process the way podman
// does: 127 when the command was not found, 126 when it could not be
// executed, 125 for any other failure of the runtime.
func ExitCode(err error) int {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		return 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "exec format error"), strings.Contains(msg, "is a directory"):
		return 126
	}
	return 125
}
