// Command berth-runtime is an OCI runtime with runc's command line.
package main

import (
	"os"

	"github.com/berth-oci/berth/internal/runtimecli"
)

func main() { os.Exit(runtimecli.Main(os.Args[1:])) }
