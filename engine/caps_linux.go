package engine

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/errdefs"
)

// capNames are the Linux capabilities by number.
var capNames = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
	"CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
	"CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
	"CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// hostCaps are the capabilities this process may hand on: its bounding
// set, which is what "all" means for a container (a runtime cannot give
// more than it has).
func hostCaps() []string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return slices.Clone(capNames)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				break
			}
			var out []string
			for i, name := range capNames {
				if mask&(1<<i) != 0 {
					out = append(out, name)
				}
			}
			return out
		}
	}
	return slices.Clone(capNames)
}

// normalizeCap turns "net_admin" or "CAP_NET_ADMIN" into CAP_NET_ADMIN;
// "all" stays ALL.
func normalizeCap(c string) (string, error) {
	c = strings.ToUpper(strings.TrimSpace(c))
	if c == "ALL" {
		return c, nil
	}
	if !strings.HasPrefix(c, "CAP_") {
		c = "CAP_" + c
	}
	if !slices.Contains(capNames, c) {
		return "", fmt.Errorf("capability %q is unknown: %w", c, errdefs.ErrInvalidArgument)
	}
	return c, nil
}

// containerCaps computes the capability set of a container: the default
// (every host capability when privileged), with drops then adds applied
// as docker does (--cap-drop ALL --cap-add X gives exactly X).
func containerCaps(o *CreateOptions) ([]string, error) {
	caps := slices.Clone(bundle.DefaultCapabilities)
	if o.Privileged {
		caps = hostCaps()
	}
	drop := map[string]bool{}
	for _, c := range o.CapDrop {
		n, err := normalizeCap(c)
		if err != nil {
			return nil, err
		}
		if n == "ALL" {
			caps = nil
		}
		drop[n] = true
	}
	caps = slices.DeleteFunc(caps, func(c string) bool { return drop[c] })
	for _, c := range o.CapAdd {
		n, err := normalizeCap(c)
		if err != nil {
			return nil, err
		}
		if n == "ALL" {
			caps = append(caps, hostCaps()...)
			continue
		}
		caps = append(caps, n)
	}
	slices.Sort(caps)
	return slices.Compact(caps), nil
}
