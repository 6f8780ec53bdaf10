package layer

import "golang.org/x/sys/unix"

func llistxattr(p string, buf []byte) (int, error) { return unix.Llistxattr(p, buf) }
