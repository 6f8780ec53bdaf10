package seccomp

import (
	"encoding/binary"
	"fmt"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

// Compiling a podman-sized profile takes libseccomp tens of milliseconds;
// loading takes one. A runtime that compiles in `create` to fail early can
// ship the result to the init instead of compiling twice on the start path:
// MarshalBinary in the parent, UnmarshalBinary and Load in the init.

var encodingMagic = [4]byte{'B', 'S', 'F', '1'}

const headerSize = 4 + 4 + 1 + 2 // magic, flags, notify, instruction count

// knownLoadFlags are the seccomp(2) flags a Filter may carry.
const knownLoadFlags = unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_LOG |
	unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER |
	unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH | unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV

// MarshalBinary encodes the program and its load flags (not the skipped
// names) for UnmarshalBinary in a process of the same machine.
func (f *Filter) MarshalBinary() ([]byte, error) {
	b := make([]byte, headerSize, headerSize+8*len(f.program))
	copy(b, encodingMagic[:])
	binary.LittleEndian.PutUint32(b[4:], uint32(f.flags))
	if f.notify {
		b[8] = 1
	}
	binary.LittleEndian.PutUint16(b[9:], uint16(len(f.program)))
	for _, in := range f.program {
		b = binary.LittleEndian.AppendUint16(b, in.Code)
		b = append(b, in.Jt, in.Jf)
		b = binary.LittleEndian.AppendUint32(b, in.K)
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded. It checks the shape
// (size, flags, instruction count), not the program: the kernel verifies
// that when loading it.
func (f *Filter) UnmarshalBinary(data []byte) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("seccomp: decode filter: %s: %w", fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
	}
	if len(data) < headerSize || [4]byte(data[:4]) != encodingMagic {
		return bad("not an encoded filter")
	}
	flags := uint(binary.LittleEndian.Uint32(data[4:]))
	notify := data[8] == 1
	n := int(binary.LittleEndian.Uint16(data[9:]))
	switch {
	case flags&^knownLoadFlags != 0:
		return bad("unknown flags %#x", flags&^knownLoadFlags)
	case data[8] > 1 || notify != (flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0):
		return bad("notify byte %d disagrees with flags %#x", data[8], flags)
	case n == 0 || n > maxInsns:
		return bad("%d instructions (1-%d)", n, maxInsns)
	case len(data) != headerSize+8*n:
		return bad("%d bytes for %d instructions", len(data), n)
	}
	prog := make([]unix.SockFilter, n)
	for i := range prog {
		b := data[headerSize+8*i:]
		prog[i] = unix.SockFilter{Code: binary.LittleEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.LittleEndian.Uint32(b[4:])}
	}
	*f = Filter{program: prog, flags: flags, notify: notify}
	return nil
}
