package cgroups

import (
	"errors"
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// setV1Memory writes the memory controller's files. Kernel memory limits
// (kernel, kernelTCP) are ignored as runc does: the kernel deprecated them
// (5.4) and newer kernels refuse the writes. 0 for limit or swap means unset,
// as in runc.
func setV1Memory(dir string, m *specs.LinuxMemory) error {
	if err := setV1MemoryLimits(dir, nonZero(m.Limit), nonZero(m.Swap)); err != nil {
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
	if swap != nil && *swap == -1 && !exists(dir, swapFile) {
		swap = nil // no swap accounting: nothing to lift
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

// withUsage explains EBUSY, which v1 returns for a limit below current usage.
func withUsage(dir, file string, err error) error {
	if !errors.Is(err, unix.EBUSY) {
		return err
	}
	usage, peak := "memory.usage_in_bytes", "memory.max_usage_in_bytes"
	if file == "memory.memsw.limit_in_bytes" {
		usage, peak = "memory.memsw.usage_in_bytes", "memory.memsw.max_usage_in_bytes"
	}
	u, uerr := readUint(dir, usage)
	p, perr := readUint(dir, peak)
	if uerr != nil || perr != nil {
		return err
	}
	return fmt.Errorf("%w (the limit is below current usage %d; peak %d)", err, u, p)
}
