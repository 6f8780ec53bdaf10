// Package cgroups puts a container into its control groups and applies
// linux.resources there, with the cgroupfs driver (berth has no systemd one).
//
// One Manager interface serves the three host layouts, picked by New from
// /proc/self/mountinfo and /proc/self/cgroup:
//
//   - v1: one hierarchy per controller (or per set of co-mounted ones), each
//     written by its own file here (v1_memory.go, v1_cpu.go, …);
//   - v2: one cgroup2 hierarchy (v2_*.go), devices by an eBPF program
//     (devfilter.go);
//   - hybrid: v1 hierarchies plus a cgroup2 mount holding the controllers no
//     v1 hierarchy has. Each resource goes where its controller lives
//     (set_linux.go); unified keys go to the cgroup2 directory.
//
// # Paths
//
// An absolute cgroupsPath is taken from the root of every hierarchy, a
// relative one from the caller's own cgroup in it (on cgroup2 from that
// cgroup's parent), and an empty one is the container ID, relative, as with
// runc's cgroupfs driver. So on a host where berth-runtime runs in / of every
// hierarchy, "" puts container "abc" at /sys/fs/cgroup/memory/abc and so on.
// ".." is refused, and so are the root and the caller's own cgroup.
//
// # What the container sees
//
// Making the cgroup namespace is the runtime core's job. Unshared after the
// init has joined its cgroups, the namespace is rooted at the container's
// cgroup: /proc/self/cgroup inside reads "/" for every hierarchy, and a
// cgroup filesystem mounted inside shows the container's directory as its
// root. Without a cgroup namespace the container sees the full host paths.
//
// # Resources
//
// 0 means unset for memory limit, swap, reservation and kernel limits, cpu
// shares, quota and periods, and blkio weights, as in runc; a negative
// memory or pids limit means unlimited, and a pids limit of 0 is a real limit
// (no new process at all), as the spec asks. Swap (memory+swap) is written
// on v1 only where swap accounting exists, and converted to swap alone on
// v2. Kernel memory limits are written where the kernel still has their
// files and skipped where it has not, as runc did; v2 has neither, nor
// swappiness, disableOOMKiller or useHierarchy, so those are ignored there.
// A field whose controller the host lacks is an error wrapping
// errdefs.ErrUnavailable; a value refused by the kernel is an error naming
// the file and the value:
//
//	write /sys/fs/cgroup/memory/x/memory.limit_in_bytes "1024": device or resource busy
package cgroups
