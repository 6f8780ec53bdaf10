package engine

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// tarFromRoot writes rel (inside base, not followed when it is a symbolic
// link) as a tar stream whose top entry is named name, walking by file
// descriptor so that nothing the container changes meanwhile can send the
// walk outside it.
func tarFromRoot(base, rel, name string, w io.Writer) error {
	fd, err := openInRoot(base, rel, false)
	if err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	defer unix.Close(fd)
	tw := tar.NewWriter(w)
	if err := tarEntry(tw, fd, name, "/"+rel); err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	return tw.Close()
}

// tarEntry writes the file fd (an O_PATH descriptor) and, for a directory,
// everything under it.
func tarEntry(tw *tar.Writer, fd int, name, where string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: where, Err: err}
	}
	hdr := &tar.Header{
		Name: name, Mode: int64(st.Mode & 0o7777), Uid: int(st.Uid), Gid: int(st.Gid),
		ModTime: time.Unix(st.Mtim.Unix()), Format: tar.FormatPAX,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
	case unix.S_IFLNK:
		hdr.Typeflag = tar.TypeSymlink
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return &os.PathError{Op: "readlink", Path: where, Err: err}
		}
		hdr.Linkname = string(buf[:n])
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if st.Mode&unix.S_IFMT == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return nil // sockets have no tar form
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		return copyFD(tw, fd, where, st.Size)
	case tar.TypeDir:
		return tarChildren(tw, fd, name, where)
	}
	return nil
}

// reopen turns an O_PATH descriptor into a readable one of the same file.
func reopen(fd int, flags int) (*os.File, error) {
	nfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(nfd), "reopened"), nil
}

func copyFD(tw *tar.Writer, fd int, where string, size int64) error {
	f, err := reopen(fd, unix.O_RDONLY)
	if err != nil {
		return &os.PathError{Op: "open", Path: where, Err: err}
	}
	defer f.Close()
	// Exactly the size announced: a file growing meanwhile is cut, one
	// shrinking is an error.
	if _, err := io.CopyN(tw, f, size); err != nil {
		return fmt.Errorf("read %s: %w", where, err)
	}
	return nil
}

func tarChildren(tw *tar.Writer, dirfd int, name, where string) error {
	d, err := reopen(dirfd, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return &os.PathError{Op: "open", Path: where, Err: err}
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return &os.PathError{Op: "readdir", Path: where, Err: err}
	}
	for _, n := range names {
		cfd, err := unix.Openat(int(d.Fd()), n, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return &os.PathError{Op: "open", Path: path.Join(where, n), Err: err}
		}
		err = tarEntry(tw, cfd, path.Join(name, n), path.Join(where, n))
		unix.Close(cfd)
		if err != nil {
			return err
		}
	}
	return nil
}

// tarFromHost writes the host path src as a tar stream whose top entry is
// named name.
func tarFromHost(src, name string, w io.Writer) error {
	tw := tar.NewWriter(w)
	src = filepath.Clean(src)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return nil // a socket: skipped
		}
		rel, _ := filepath.Rel(src, p)
		hdr.Name, hdr.Uname, hdr.Gname, hdr.Format = path.Join(name, filepath.ToSlash(rel)), "", "", tar.FormatPAX
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.CopyN(tw, f, hdr.Size)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	return tw.Close()
}
