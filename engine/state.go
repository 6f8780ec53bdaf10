package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Status is where a container is in its life.
type Status string

const (
	StatusCreated Status = "created"
	StatusRunning Status = "running"
	StatusPaused  Status = "paused"
	StatusExited  Status = "exited"
)

// State is what changes as a container runs. It lives in the container's
// directory (state.json), written by whoever runs the container: berth in
// the foreground or the container's monitor.
type State struct {
	Status Status `json:"status"`
	// Pid is the container's first process on the host (0 until known);
	// PidStart its start time, to tell it from a later process that got
	// the same number.
	Pid      int    `json:"pid,omitempty"`
	PidStart uint64 `json:"pidStart,omitempty"`
	// MonitorPid is the process that waits for the container and records
	// its end: berth itself for a foreground run, the monitor otherwise.
	MonitorPid   int    `json:"monitorPid,omitempty"`
	MonitorStart uint64 `json:"monitorStart,omitempty"`
	// Command is what the container runs.
	Command    []string  `json:"command,omitempty"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	// ExitCode is the exit status of the first process (128+n for a
	// signal n), valid when Status is exited; -1 when nobody saw it end.
	ExitCode int `json:"exitCode"`
	// Error says why the container could not start or be supervised.
	Error string `json:"error,omitempty"`
}

// readState reads the state file of container id; a container that was
// never started has none and is created.
func (e *Engine) readState(id string) (State, error) {
	data, err := os.ReadFile(e.ctrPath(id, ctrState))
	if errors.Is(err, fs.ErrNotExist) {
		return State{Status: StatusCreated}, nil
	}
	if err != nil {
		return State{}, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("container %s: state: %w", id, err)
	}
	return s, nil
}

// writeState replaces the state file of container id. It is not synced:
// after a crash the state is re-derived from which processes live.
func (e *Engine) writeState(id string, s State) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	p := e.ctrPath(id, ctrState)
	tmp := p + ".tmp-" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("container %s: write state: %w", id, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("container %s: write state: %w", id, err)
	}
	return nil
}

// currentState is the recorded state corrected by what is alive: a
// container recorded as running whose monitor and process are both gone
// ended without anyone recording it.
func (e *Engine) currentState(id string) State {
	s, err := e.readState(id)
	if err != nil {
		return State{Status: StatusExited, ExitCode: -1, Error: err.Error()}
	}
	if s.Status != StatusRunning && s.Status != StatusPaused {
		return s
	}
	if s.Pid == 0 {
		s.Pid, s.PidStart = e.pidFromFile(id)
	}
	if alive(s.MonitorPid, s.MonitorStart) || alive(s.Pid, s.PidStart) {
		return s
	}
	if s2, err := e.readState(id); err == nil && s2.Status == StatusExited {
		return s2 // recorded meanwhile
	}
	s.Status, s.ExitCode = StatusExited, -1
	if s.Error == "" {
		s.Error = "the container's monitor ended without recording its exit"
	}
	return s
}

// pidFromFile reads the pid the runtime wrote for container id.
func (e *Engine) pidFromFile(id string) (int, uint64) {
	data, err := os.ReadFile(e.ctrPath(id, ctrPidFile))
	if err != nil {
		return 0, 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, 0
	}
	return pid, procStart(pid)
}

// alive reports whether process pid runs and is the one that started at
// start (when start is known).
func alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if err := unix.Kill(pid, 0); err != nil && err != unix.EPERM {
		return false
	}
	if start == 0 {
		return true
	}
	return procStart(pid) == start
}

// procStart is the start time of process pid in clock ticks since boot
// (field 22 of /proc/PID/stat), 0 when it is gone. A zombie counts as gone.
func procStart(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields count from its end.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}
