// Package runtimecli is berth-runtime's command line, compatible with runc's:
// the same global flags, commands, flags and exit codes, so podman,
// containerd's shim and scripts written for runc drive it unchanged. Each
// verb is one file that parses flags and calls package runtime.
package runtimecli

import (
	"errors"
	"fmt"
	"os"

	"github.com/berth-oci/berth/runtime"
)

// Main runs berth-runtime with args and returns the exit status.
func Main(args []string) int {
	// The container init is this binary re-executed: it starts before
	// anything else is set up, to keep the container's start short.
	if len(args) > 0 && args[0] == "init" && runtime.IsInit() {
		return runtime.Init()
	}
	g := &globals{}
	root := newRoot(g)
	root.SetArgs(normalizeArgs(root, args))
	err := root.Execute()
	if g.closeLog != nil {
		defer g.closeLog()
	}
	var exit *exitError
	if errors.As(err, &exit) {
		return exit.code
	}
	if err != nil {
		// As runc: the error goes to the log (where containerd's shim
		// looks for it) and, plain, to stderr.
		if g.logFile != "" {
			g.logger().Error(err.Error())
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// exitError carries the exit status of `run` out of cobra.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
