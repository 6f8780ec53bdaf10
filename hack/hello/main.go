// Command hello is the static program of `make demo`'s image: it says
// where it runs, as seen from inside the container.
package main

import (
	"fmt"
	"os"
)

func main() {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	ns, _ := os.Readlink("/proc/self/ns/pid")
	fmt.Printf("hello from a berth container: hostname %s, pid %d (%s), uid %d, cwd %s\n",
		host, os.Getpid(), ns, os.Getuid(), wd)
}
