package rootfs

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// loadLabel keeps linux.mountLabel when SELinux is enabled; without it a
// context= option would make the mounts fail, and runc ignores the label.
func (m *mounter) loadLabel() error {
	if m.spec.Linux == nil || m.spec.Linux.MountLabel == "" {
		return nil
	}
	t, err := m.k.FSType("/sys/fs/selinux")
	if err == nil && t == unix.SELINUX_MAGIC {
		m.label = m.spec.Linux.MountLabel
	}
	return nil
}

// withLabel adds the SELinux context option to the data of a filesystem
// that takes one (procfs, sysfs and cgroups do not; a bind mount keeps the
// label of its source).
func (m *mounter) withLabel(fstype string, data []string) []string {
	if m.label == "" || hasData(data, "context") {
		return data
	}
	switch fstype {
	case "proc", "sysfs", "cgroup", "cgroup2":
		return data
	}
	return append(data, "context="+strconv.Quote(m.label))
}
