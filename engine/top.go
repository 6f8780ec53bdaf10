package engine

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Top lists the processes of the running container s as ps(1) shows them
// with psArgs (default -ef): the header and the rows of the container's
// processes.
func (e *Engine) Top(ctx context.Context, s string, psArgs []string) ([]string, [][]string, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, nil, err
	}
	if st := e.currentState(r.ID); st.Status != StatusRunning && st.Status != StatusPaused {
		return nil, nil, fmt.Errorf("container %s is not running: %w", r.Name, errdefs.ErrFailedPrecondition)
	}
	pids, err := e.runtime(r).Ps(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	out, err := exec.CommandContext(ctx, "ps", psArgs...).Output()
	if err != nil {
		return nil, nil, fmt.Errorf("ps %s: %w", strings.Join(psArgs, " "), err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	header := strings.Fields(lines[0])
	col := slices.Index(header, "PID")
	if col < 0 {
		return nil, nil, fmt.Errorf("ps %s: no PID column: %w", strings.Join(psArgs, " "), errdefs.ErrInvalidArgument)
	}
	var rows [][]string
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) <= col {
			continue
		}
		pid, err := strconv.Atoi(f[col])
		if err != nil || !slices.Contains(pids, pid) {
			continue
		}
		// The last column (the command) may hold spaces: keep it whole.
		if len(f) > len(header) {
			f = append(f[:len(header)-1], strings.Join(f[len(header)-1:], " "))
		}
		rows = append(rows, f)
	}
	return header, rows, nil
}
