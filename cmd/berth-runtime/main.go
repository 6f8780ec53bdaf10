// Command berth-runtime is an OCI runtime with runc's command line.
package main

import (
	"os"

	"github.com/berth-oci/berth/internal/runtimecli"
	// Joins namespaces and cgroups before the Go runtime starts threads,
	// when berth-runtime is re-executed as a container's init. Built
	// without cgo, the binary has no constructor and carries a joiner
	// instead (joiner.go).
	_ "github.com/berth-oci/berth/runtime/linux/nsenter"
)

func main() { os.Exit(runtimecli.Main(os.Args[1:])) }
