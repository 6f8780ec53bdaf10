// Package nsenter joins namespaces and cgroups before the Go runtime starts.
//
// The kernel refuses setns into a user, mount or time namespace from a
// multithreaded process, and a pid written into a cgroup v1 cgroup.procs by
// another process waits for an RCU grace period. Both are done here, in a C
// constructor that runs while the process still has one thread. It acts only
// when the parent (package runtime) set the environment variable named by
// EnvVar; every other start of the binary pays one getenv.
//
// Import it for its side effect from the main package:
//
//	import _ "github.com/berth-oci/berth/runtime/linux/nsenter"
package nsenter

/*
#cgo CFLAGS: -Wall -O2
extern void berth_nsenter(void);
void __attribute__((constructor)) berth_nsenter_init(void) { berth_nsenter(); }
*/
import "C"

func init() { available = true }
