// Package runtimecli is berth-runtime's command line, compatible with runc's.
package runtimecli

import (
	"fmt"
	"os"
)

// Main runs berth-runtime with args and returns the exit status.
func Main(args []string) int {
	fmt.Fprintln(os.Stderr, "berth-runtime: not built yet")
	return 1
}
