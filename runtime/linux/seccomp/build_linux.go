package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// build generates p's rules with libseccomp and returns the BPF program and
// the syscall names libseccomp does not know (skipped, sorted).
func build(p *profile) (prog []unix.SockFilter, skipped []string, err error) {
	f, err := libseccomp.NewFilter(p.defaultAction)
	if err != nil {
		return nil, nil, fmt.Errorf("seccomp: create libseccomp filter: %w", err)
	}
	defer f.Release()
	for _, a := range p.archs[1:] { // the native one is in every new filter
		if err := f.AddArch(a.scmp); err != nil {
			var reason any = err // libseccomp 2.5 lacks some architectures
			if errors.Is(err, unix.EDOM) {
				reason = "its byte order differs" // one filter, one byte order
			}
			return nil, nil, unavailable(a.field, "libseccomp %s cannot add %s to a filter for %s: %v", libVersion(), a.name, p.archs[0].name, reason)
		}
	}
	for _, r := range p.rules {
		if r.action == p.defaultAction {
			continue // cannot change the outcome, and libseccomp refuses it
		}
		for _, name := range r.names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				slog.Debug("seccomp: skipping syscall unknown to libseccomp", "syscall", name, "libseccomp", libVersion())
				skipped = append(skipped, name)
				continue
			}
			if err := addRule(f, nr, r); err != nil {
				return nil, nil, invalid(r.field, "libseccomp refused the rule for %q: %v", name, err)
			}
		}
	}
	prog, err = export(f)
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(skipped)
	return prog, slices.Compact(skipped), nil
}

func addRule(f *libseccomp.ScmpFilter, nr libseccomp.ScmpSyscall, r rule) error {
	if len(r.alternatives) == 0 {
		return f.AddRule(nr, r.action)
	}
	for _, conds := range r.alternatives {
		if err := f.AddRuleConditional(nr, r.action, conds); err != nil {
			return err
		}
	}
	return nil
}

// export has libseccomp write the program to a memfd (libseccomp 2.5 cannot
// export to memory) and decodes it.
func export(f *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("seccomp: export program: memfd_create: %w", err)
	}
	file := os.NewFile(uintptr(fd), "seccomp-bpf")
	prog, err := exportTo(f, file)
	if cerr := file.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("seccomp: export program: %w", cerr)
	}
	return prog, err
}

func exportTo(f *libseccomp.ScmpFilter, file *os.File) ([]unix.SockFilter, error) {
	if err := f.ExportBPF(file); err != nil {
		return nil, fmt.Errorf("seccomp: export program: %w", err)
	}
	raw, err := io.ReadAll(io.NewSectionReader(file, 0, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("seccomp: export program: read: %w", err)
	}
	return decode(raw)
}

// decode parses struct sock_filter records as the kernel lays them out.
func decode(raw []byte) ([]unix.SockFilter, error) {
	const size = 8
	if len(raw) == 0 || len(raw)%size != 0 {
		return nil, errors.New("seccomp: export program: libseccomp wrote a truncated program")
	}
	prog := make([]unix.SockFilter, len(raw)/size)
	for i := range prog {
		b := raw[i*size:]
		prog[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	return prog, nil
}

func libVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}
