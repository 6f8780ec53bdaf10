// Command berth is the user's front end: images, layouts, registries and
// containers. All of its work is done by the library packages; see internal/cli.
package main

import (
	"os"

	"github.com/berth-oci/berth/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
