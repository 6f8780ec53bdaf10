package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/engine/snapshot"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layer"
	"golang.org/x/sys/unix"
)

// The two directions of cp go through the container's root filesystem (its
// overlay mount, mounted for the copy when the container is not running)
// or, for a path under one of its bind mounts or volumes, that mount's
// source. Every path inside the container is resolved as if its root were
// "/" (openat2 RESOLVE_IN_ROOT for reading, layer.Apply for writing), so a
// symbolic link in the container never leads outside it, and the copy out
// walks with file descriptors, never re-resolving a path the container
// could change meanwhile.

// CopyOut copies path src of container s to the host: into the directory
// dest when it exists (as dest/BASE), else as dest itself; "SRC/." copies
// the content of a directory. With dest "-", out receives a tar stream.
func (e *Engine) CopyOut(ctx context.Context, s, src, dest string, out io.Writer) error {
	return e.withRootfs(ctx, s, func(r *containerRecord, root string, mounts []mountPoint) error {
		base, rel := translate(root, mounts, src)
		srcName := path.Base(path.Clean("/" + src))
		contents := strings.HasSuffix(src, "/.") || src == "."
		if dest == "-" {
			return tarFromRoot(base, rel, srcName, out)
		}
		destDir, name, err := hostTarget(dest, srcName, contents)
		if err != nil {
			return err
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarFromRoot(base, rel, tarName(name, contents), pw)) }()
		_, err = layer.Apply(ctx, destDir, pr, layer.ApplyOptions{Format: layer.Tree})
		pr.CloseWithError(err)
		return err
	})
}

// CopyIn copies the host path src into container s at dest (as dest/BASE
// when dest is an existing directory, else as dest), or with src "-" the
// tar stream in into the directory dest.
func (e *Engine) CopyIn(ctx context.Context, s, src, dest string, in io.Reader) error {
	return e.withRootfs(ctx, s, func(r *containerRecord, root string, mounts []mountPoint) error {
		base, rel := translate(root, mounts, dest)
		if src == "-" {
			return applyAt(ctx, base, rel, in)
		}
		st, err := os.Lstat(src)
		if err != nil {
			return fmt.Errorf("cp: %w", err)
		}
		contents := strings.HasSuffix(src, "/.")
		dir, name := rel, path.Base(filepath.Clean(src))
		if isDir, exists := dirInRoot(base, rel); !exists || !isDir {
			if !exists && strings.HasSuffix(dest, "/") {
				return fmt.Errorf("cp: %s: no such directory in the container: %w", dest, errdefs.ErrNotFound)
			}
			if exists && st.IsDir() {
				return fmt.Errorf("cp: cannot copy directory %s onto the file %s: %w", src, dest, errdefs.ErrInvalidArgument)
			}
			dir, name = path.Dir(rel), path.Base(rel)
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(tarFromHost(src, tarName(name, contents && st.IsDir()), pw)) }()
		err = applyAt(ctx, base, dir, pr)
		pr.CloseWithError(err)
		return err
	})
}

// mountPoint is a bind mount of the container, seen from the host.
type mountPoint struct{ dest, source string }

// withRootfs runs fn with the container's root filesystem mounted.
func (e *Engine) withRootfs(ctx context.Context, s string, fn func(*containerRecord, string, []mountPoint) error) error {
	r, err := e.lookupRecord(s)
	if err != nil {
		return err
	}
	var mounts []mountPoint
	for _, m := range r.Options.Mounts {
		switch m.Type {
		case MountBind:
			mounts = append(mounts, mountPoint{m.Destination, m.Source})
		case MountVolume:
			mounts = append(mounts, mountPoint{m.Destination, e.volumeDir(m.Source)})
		}
	}
	root := e.ctrPath(r.ID, ctrRootfs)
	if st := e.currentState(r.ID); st.Status == StatusRunning || st.Status == StatusPaused {
		return fn(r, root, mounts)
	}
	lk, err := lock(e.ctrPath(r.ID, ctrLock), true)
	if err != nil {
		return err
	}
	defer lk.Unlock()
	mounted, err := snapshot.IsMounted(root)
	if err != nil {
		return err
	}
	if !mounted {
		if err := e.mountRootfs(ctx, r); err != nil {
			return err
		}
		defer snapshot.Unmount(root)
	}
	return fn(r, root, mounts)
}

// translate maps a container path to the directory to resolve it in (the
// root filesystem, or the source of the mount holding it) and the path
// relative to that directory.
func translate(root string, mounts []mountPoint, p string) (string, string) {
	p = path.Clean("/" + p)
	best := mountPoint{dest: "/", source: root}
	for _, m := range mounts {
		if (p == m.dest || strings.HasPrefix(p, m.dest+"/")) && len(m.dest) > len(best.dest) {
			best = m
		}
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, best.dest), "/")
	if rel == "" {
		rel = "."
	}
	return best.source, rel
}

// tarName is the name of the copy's top entry: "." when a directory's
// content goes straight into the destination.
func tarName(name string, contents bool) string {
	if contents {
		return "."
	}
	return name
}

// hostTarget decides where a copy out lands: the directory it is
// extracted into and the name it gets there.
func hostTarget(dest, srcName string, contents bool) (string, string, error) {
	st, err := os.Stat(dest)
	switch {
	case err == nil && st.IsDir():
		if contents {
			return dest, ".", nil
		}
		return dest, srcName, nil
	case err == nil:
		return filepath.Dir(dest), filepath.Base(dest), nil
	case errors.Is(err, fs.ErrNotExist):
		if strings.HasSuffix(dest, "/") {
			return "", "", fmt.Errorf("cp: %s: no such directory: %w", dest, errdefs.ErrNotFound)
		}
		parent := filepath.Dir(filepath.Clean(dest))
		if st, err := os.Stat(parent); err != nil || !st.IsDir() {
			return "", "", fmt.Errorf("cp: %s: no such directory: %w", parent, errdefs.ErrNotFound)
		}
		if contents {
			if err := os.Mkdir(dest, 0o755); err != nil {
				return "", "", fmt.Errorf("cp: %w", err)
			}
			return dest, ".", nil
		}
		return parent, filepath.Base(filepath.Clean(dest)), nil
	}
	return "", "", fmt.Errorf("cp: %w", err)
}

// dirInRoot reports whether rel (inside base) exists and is a directory.
func dirInRoot(base, rel string) (isDir, exists bool) {
	fd, err := openInRoot(base, rel, true)
	if err != nil {
		return false, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return false, false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR, true
}

// openInRoot opens rel inside base as an O_PATH descriptor, resolving it as
// if base were "/"; the last component is followed only when follow.
func openInRoot(base, rel string, follow bool) (int, error) {
	root, err := unix.Open(base, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: base, Err: err}
	}
	defer unix.Close(root)
	flags := uint64(unix.O_PATH | unix.O_CLOEXEC)
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	fd, err := unix.Openat2(root, rel, &unix.OpenHow{Flags: flags, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: "/" + rel, Err: err}
	}
	return fd, nil
}

// applyAt extracts the tar stream r into dir (inside base).
func applyAt(ctx context.Context, base, dir string, r io.Reader) error {
	if isDir, exists := dirInRoot(base, dir); !exists || !isDir {
		return fmt.Errorf("cp: /%s: no such directory in the container: %w", dir, errdefs.ErrNotFound)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(prefixTar(r, dir, pw)) }()
	_, err := layer.Apply(ctx, base, pr, layer.ApplyOptions{Format: layer.Tree})
	pr.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	return nil
}

// prefixTar copies a tar stream, putting dir in front of every name.
func prefixTar(r io.Reader, dir string, w io.Writer) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return tw.Close()
		}
		if err != nil {
			return err
		}
		hdr.Name = path.Join(dir, hdr.Name)
		if hdr.Typeflag == tar.TypeLink {
			hdr.Linkname = path.Join(dir, hdr.Linkname)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}
