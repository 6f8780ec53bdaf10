package nsenter

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvVar carries the instructions for the constructor, one per line:
//
//	e<fd>           write errors to fd (as a JSON line {"type":"error","msg":...})
//	c<path>         write "0" to this cgroup.procs (or tasks) file
//	n<type>:<path>  join the namespace at path (type as in /proc/self/ns)
//	u<flags>        unshare these CLONE_* flags (decimal), after the joins of user
//	t<clock> <s> <ns>  a new time namespace with this offset (before entering it)
//
// All paths are opened before any namespace is joined, so they resolve in
// the runtime's mount namespace; the user namespace is joined first.
const EnvVar = "_BERTH_NSENTER"

// available is set when the constructor is linked in: a build without cgo
// has the plan's encoding but nothing that carries it out.
var available bool

// Available reports whether this binary carries the constructor, so that
// re-executing it with EnvVar set does what the plan says.
func Available() bool { return available }

// Plan is what the constructor does, in the order it does it.
type Plan struct {
	ErrFD       int
	CgroupFiles []string
	Join        []Join // namespaces to join by path
	Unshare     uintptr
	TimeOffsets []TimeOffset
}

// Join names a namespace file to setns into.
type Join struct {
	Type string // "user", "mnt", "net", "ipc", "uts", "pid", "cgroup", "time"
	Path string
}

// TimeOffset is one line of /proc/self/timens_offsets.
type TimeOffset struct {
	Clock string // "monotonic" or "boottime"
	Secs  int64
	Nsecs uint32
}

// Empty reports whether the plan asks the constructor for nothing.
func (p Plan) Empty() bool {
	return len(p.CgroupFiles) == 0 && len(p.Join) == 0 && p.Unshare == 0 && len(p.TimeOffsets) == 0
}

// Encode renders the plan as the value of EnvVar.
func (p Plan) Encode() (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "e%d\n", p.ErrFD)
	for _, f := range p.CgroupFiles {
		if strings.ContainsAny(f, "\n\x00") {
			return "", fmt.Errorf("cgroup file %q: newline or NUL in path", f)
		}
		b.WriteString("c" + f + "\n")
	}
	for _, j := range p.Join {
		if strings.ContainsAny(j.Path, "\n\x00") {
			return "", fmt.Errorf("namespace path %q: newline or NUL in path", j.Path)
		}
		b.WriteString("n" + j.Type + ":" + j.Path + "\n")
	}
	if p.Unshare != 0 {
		b.WriteString("u" + strconv.FormatUint(uint64(p.Unshare), 10) + "\n")
	}
	for _, t := range p.TimeOffsets {
		fmt.Fprintf(&b, "t%s %d %d\n", t.Clock, t.Secs, t.Nsecs)
	}
	return b.String(), nil
}
