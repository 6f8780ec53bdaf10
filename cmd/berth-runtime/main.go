// Command berth-runtime is an OCI runtime with runc's command line.
package main

import (
	"os"

	"github.com/berth-oci/berth/internal/runtimecli"
	// Joins namespaces and cgroups before the Go runtime starts threads,
	// when berth-runtime is re-executed as a container's init.
	_ "github.com/berth-oci/berth/runtime/linux/nsenter"
)

func main() { os.Exit(runtimecli.Main(os.Args[1:])) }
