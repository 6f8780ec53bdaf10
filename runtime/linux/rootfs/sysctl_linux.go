package rootfs

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/berth-oci/berth/errdefs"
)

// ipcSysctls are the System V IPC settings an IPC namespace holds (the
// fs.mqueue.* ones too).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// sysctlKey checks a sysctl name and returns its path under /proc/sys and
// its dotted form. As sysctl(8) reads them, a name with a slash uses
// slashes as separators (so dots are literal, as in a VLAN's "eth0.100"),
// otherwise dots.
func sysctlKey(key string) (rel, dotted string, err error) {
	sep := "."
	if strings.Contains(key, "/") {
		sep = "/"
	}
	parts := strings.Split(strings.Trim(key, sep), sep)
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "/\x00") {
			return "", "", fmt.Errorf("sysctl %q is not a valid name: %w", key, errdefs.ErrInvalidArgument)
		}
	}
	return strings.Join(parts, "/"), strings.Join(parts, "."), nil
}

// sysctlNamespace says which namespace must be the container's own for a
// sysctl to be set without changing the host: only namespaced settings are
// allowed, as runc allows them.
func sysctlNamespace(dotted string) (specs.LinuxNamespaceType, error) {
	switch {
	case ipcSysctls[dotted] || strings.HasPrefix(dotted, "fs.mqueue."):
		return specs.IPCNamespace, nil
	case strings.HasPrefix(dotted, "net."):
		return specs.NetworkNamespace, nil
	case dotted == "kernel.domainname":
		return specs.UTSNamespace, nil
	case dotted == "kernel.hostname":
		return "", fmt.Errorf("sysctl %s conflicts with the hostname field of config.json; set that instead: %w", dotted, errdefs.ErrInvalidArgument)
	}
	return "", fmt.Errorf("sysctl %s is not namespaced; setting it in a container would change the host: %w", dotted, errdefs.ErrInvalidArgument)
}

// checkSysctl refuses every sysctl whose namespace the container does not
// have (new, or joined by path).
func checkSysctl(spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	var errs []error
	for _, key := range sortedKeys(spec.Linux.Sysctl) {
		_, dotted, err := sysctlKey(key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ns, err := sysctlNamespace(dotted)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if present, _ := namespace(spec, ns); !present {
			errs = append(errs, fmt.Errorf("sysctl %s needs a %s namespace of the container's own; linux.namespaces has none: %w", key, ns, errdefs.ErrInvalidArgument))
		}
	}
	return errors.Join(errs...)
}

// checkHostNamespaces refuses sysctls for a namespace joined by a path that
// is in fact the host's (the runtime's init's) own.
func checkHostNamespaces(k Kernel, spec *specs.Spec) error {
	if spec.Linux == nil || len(spec.Linux.Sysctl) == 0 {
		return nil
	}
	checked := map[specs.LinuxNamespaceType]bool{}
	for _, key := range sortedKeys(spec.Linux.Sysctl) {
		_, dotted, _ := sysctlKey(key)
		ns, _ := sysctlNamespace(dotted)
		_, p := namespace(spec, ns)
		if p == "" || checked[ns] {
			continue
		}
		checked[ns] = true
		joined, err := k.HostStat(p)
		if err != nil {
			return fmt.Errorf("sysctl %s: %w", key, err)
		}
		host, err := k.HostStat("/proc/1/ns/" + nsFile[ns])
		if err != nil {
			return fmt.Errorf("sysctl %s: %w", key, err)
		}
		if joined.Dev == host.Dev && joined.Ino == host.Ino {
			return fmt.Errorf("sysctl %s: the %s namespace %s is the host's: %w", key, ns, p, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

var nsFile = map[specs.LinuxNamespaceType]string{
	specs.IPCNamespace:     "ipc",
	specs.NetworkNamespace: "net",
	specs.UTSNamespace:     "uts",
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
