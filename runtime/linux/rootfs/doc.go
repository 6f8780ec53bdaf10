// Package rootfs builds a container's filesystem view: the propagation of
// the mount namespace, the rootfs bind, every mount of config.json, /dev,
// pivot_root, read-only and masked paths, and sysctls.
//
// The container's init calls, inside its new mount namespace:
//
//	Prepare(spec, opts)     // mounts and devices, under opts.Rootfs
//	                        // (the runtime runs prestart/createRuntime hooks,
//	                        // then createContainer hooks, here)
//	Pivot(spec, opts)       // pivot_root (or move + chroot); cwd is "/"
//	BindConsole(opts, pts)  // with a terminal, a pty of the container's devpts
//	Finish(spec, opts)      // read-only mounts and root, sysctl, readonlyPaths,
//	                        // maskedPaths; then the user process
//
// What the caller must have done before Prepare: created or joined every
// namespace of the spec (a user namespace with its maps written and the
// caller root in it, then Options.UserNS set; a new PID namespace, so that
// procfs shows it), and joined the container's cgroups: the v1 cgroup
// mount binds the caller's own cgroups as /proc/self/cgroup shows them
// (unshare the cgroup namespace after joining them). /proc must be the
// runtime's procfs until Pivot. Anything of the host needed later (the exec
// fifo, sockets, log pipes) must be opened before Pivot; afterwards only
// the container's view is left.
//
// Security: every destination, device, masked and read-only path is
// resolved inside the root with openat2(2) RESOLVE_IN_ROOT from a
// descriptor of the rootfs; missing components are created one at a time
// from their parent's descriptor without following symlinks; mounts are
// made detached (fsopen/fsmount, open_tree) and attached onto the resolved
// descriptor with move_mount(2), then checked to be where the path leads.
// So a symlink in the image ("/proc -> /etc", "/tmp -> /etc", "../../..")
// never sends a mount or a file outside the rootfs, and a destination that
// resolves to the root itself ("/dev -> /") is refused. procfs and sysfs
// are only mounted on real directories, and nothing but the masks, the
// read-only paths, proc itself and the files lxcfs emulates is mounted
// inside a procfs.
//
// All system calls go through the Kernel seam (Options.Kernel), so the
// translation of options and the order of operations are tested with a
// recording fake, and the kernel implementation with real containers.
package rootfs
