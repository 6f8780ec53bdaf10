// Package rootfs builds a container's filesystem view: the propagation of
// the mount namespace, the rootfs bind, every mount of config.json, /dev,
// pivot_root, read-only and masked paths, and sysctls.
//
// The container's init calls, inside its new mount namespace:
//
//	Prepare(spec, opts) // mounts and devices, under opts.Rootfs
//	                    // (the runtime runs prestart/createRuntime hooks,
//	                    // then createContainer hooks, here)
//	Pivot(spec, opts)   // pivot_root (or move + chroot); cwd is "/"
//	Finish(spec, opts)  // read-only mounts and root, sysctl, readonlyPaths,
//	                    // maskedPaths; then the user process
//
// Security: every destination, device, masked and read-only path is
// resolved inside the root with openat2(2) RESOLVE_IN_ROOT from a
// descriptor of the rootfs; missing components are created one at a time
// from their parent's descriptor without following symlinks; mounts are
// made detached (fsopen/fsmount, open_tree) and attached onto the resolved
// descriptor with move_mount(2), then checked to be where the path leads.
// So a symlink in the image ("/proc -> /etc", "/dev -> /", "../../..")
// never sends a mount or a file outside the rootfs. procfs and sysfs are
// only mounted on real directories, and nothing but the masks, the
// read-only paths, proc itself and the files lxcfs emulates is mounted
// inside a procfs.
//
// All system calls go through the Kernel seam (Options.Kernel), so the
// translation of options and the order of operations are tested with a
// recording fake, and the kernel implementation with real containers.
package rootfs
