package runtime

import (
	"github.com/berth-oci/berth/runtime/linux/caps"
	"github.com/berth-oci/berth/runtime/linux/cgroups"
	"github.com/berth-oci/berth/runtime/linux/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// Version is berth-runtime's version, reported by --version and features.
const Version = "0.1.0"

// MinSpecVersion is the oldest config version the runtime accepts.
const MinSpecVersion = "1.0.0"

// mountOptions are the option names of the spec's table of Linux mount
// options (config.md): the runtime recognises all of them.
var mountOptions = []string{
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion",
	"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime",
	"nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind",
	"rdev", "rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime",
	"rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate",
	"rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow",
	"runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync",
	"tmpcopyup", "unbindable",
}

// Features describes what the runtime implements (features.md): decided
// when it is built, not by the host it runs on.
func Features() *features.Features {
	yes, no := true, false
	return &features.Features{
		OCIVersionMin: MinSpecVersion,
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  mountOptions,
		Linux: &features.Linux{
			Namespaces:   NamespaceTypes(),
			Capabilities: caps.Names(),
			Cgroup:       cgroups.Features(),
			Seccomp:      seccomp.Features(),
			Apparmor:     &features.Apparmor{Enabled: &no},
			Selinux:      &features.Selinux{Enabled: &no},
			IntelRdt:     &features.IntelRdt{Enabled: &no},
			MountExtensions: &features.MountExtensions{
				IDMap: &features.IDMap{Enabled: &yes},
			},
			NetDevices: &features.NetDevices{Enabled: &no},
		},
		Annotations: map[string]string{
			"org.opencontainers.runtime.name":    "berth-runtime",
			"org.opencontainers.runtime.version": Version,
		},
		PotentiallyUnsafeConfigAnnotations: []string{},
	}
}
