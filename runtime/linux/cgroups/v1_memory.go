package cgroups

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setV1Memory writes the memory controller's files. 0 for limit or swap
// means unset, as in runc.
func setV1Memory(dir string, m *specs.LinuxMemory) error {
	if err := setV1MemoryLimits(dir, nonZero(m.Limit), nonZero(m.Swap)); err != nil {
		return err
	}
	if err := setKernelMemory(dir, m); err != nil {
		return err
	}
	if err := writeIfSet(dir, "memory.soft_limit_in_bytes", m.Reservation); err != nil {
		return err
	}
	if err := writeIfSet(dir, "memory.swappiness", m.Swappiness); err != nil {
		return err
	}
	if m.DisableOOMKiller != nil {
		if err := writeFile(dir, "memory.oom_control", boolDigit(*m.DisableOOMKiller)); err != nil {
			return err
		}
	}
	if m.UseHierarchy != nil {
		return writeFile(dir, "memory.use_hierarchy", boolDigit(*m.UseHierarchy))
	}
	return nil // CheckBeforeUpdate: v1 refuses a limit below usage by itself
}

func nonZero(p *int64) *int64 {
	if p == nil || *p == 0 {
		return nil
	}
	return p
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// setV1MemoryLimits writes the memory and memory+swap limits in the order the
// kernel accepts: memsw may never be below the memory limit, so a growing
// pair raises memsw first and a shrinking pair lowers the memory limit first.
func setV1MemoryLimits(dir string, limit, swap *int64) error {
	const memFile, swapFile = "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	if limit != nil && *limit == -1 && swap == nil && exists(dir, swapFile) {
		unlimited := int64(-1) // lifting the limit lifts memsw too, or it would cap
		swap = &unlimited
	}
	if swap != nil && !exists(dir, swapFile) {
		// No swap accounting (a kernel built without it, or booted with
		// swapaccount=0): there is no memory+swap counter to limit, as
		// runc and docker treat it.
		swap = nil
	}
	order := []string{memFile, swapFile}
	if limit != nil && swap != nil {
		cur, err := readUint(dir, memFile)
		if err != nil {
			return err
		}
		if swapFirst(cur, *swap) {
			order = []string{swapFile, memFile}
		}
	}
	for _, f := range order {
		v := limit
		if f == swapFile {
			v = swap
		}
		if v == nil {
			continue
		}
		if err := writeFile(dir, f, strconv.FormatInt(*v, 10)); err != nil {
			return withUsage(dir, f, err)
		}
	}
	return nil
}

// swapFirst decides the order of a memory+swap pair. The kernel wants memsw
// at least the memory limit after each write: writing memsw first works when
// it is not below the current memory limit; otherwise the memory limit is
// lowered first, which then is below both old and new memsw.
func swapFirst(curLimit uint64, swap int64) bool {
	return swap == -1 || curLimit <= uint64(swap)
}

// setKernelMemory writes the kernel and kernelTCP limits where the kernel
// still has their files. Like runc, a limit whose file is gone (kernels
// built without kmem accounting) is skipped rather than refused: the spec
// marks both fields NOT RECOMMENDED, and since Linux 5.4 the kernel limit is
// deprecated (6.x accepts the write and ignores it), while the TCP buffer
// limit still works. 0 means unset.
func setKernelMemory(dir string, m *specs.LinuxMemory) error {
	for _, k := range []struct {
		file string
		v    *int64
	}{{"memory.kmem.limit_in_bytes", nonZero(m.Kernel)}, {"memory.kmem.tcp.limit_in_bytes", nonZero(m.KernelTCP)}} {
		if k.v == nil || !exists(dir, k.file) {
			continue
		}
		err := writeFile(dir, k.file, strconv.FormatInt(*k.v, 10))
		if errors.Is(err, unix.EOPNOTSUPP) {
			continue // a kernel that keeps the file but refuses the limit
		}
		if err != nil {
			return withUsage(dir, k.file, err)
		}
	}
	return nil
}

// withUsage explains EBUSY, which v1 returns for a limit below current usage.
func withUsage(dir, file string, err error) error {
	if !errors.Is(err, unix.EBUSY) {
		return err
	}
	// Each limit file has its counters beside it: memory.memsw.limit_in_bytes
	// and memory.memsw.usage_in_bytes, and so on.
	family := strings.TrimSuffix(file, "limit_in_bytes")
	usage, peak := family+"usage_in_bytes", family+"max_usage_in_bytes"
	u, uerr := readUint(dir, usage)
	p, perr := readUint(dir, peak)
	if uerr != nil || perr != nil {
		return err
	}
	return fmt.Errorf("%w (the limit is below current usage %d; peak %d)", err, u, p)
}
