// Command staticmain is what TestStaticLink links statically, as berth's
// binaries are: it compiles and loads a profile, then shows the profile at
// work, proving libseccomp runs without a dynamic loader.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/berth-oci/berth/runtime/linux/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func main() {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail(err)
	}
	exdev := uint(unix.EXDEV)
	_, err := seccomp.Apply(&specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"mkdirat", "mkdir"}, Action: specs.ActErrno, ErrnoRet: &exdev}},
	})
	if err != nil {
		fail(err)
	}
	features, err := json.Marshal(seccomp.Features())
	if err != nil {
		fail(err)
	}
	fmt.Printf("%s\nmkdir: %v\n", features, unix.Mkdir("/staticmain-never-made", 0o755))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "staticmain:", err)
	os.Exit(1)
}
