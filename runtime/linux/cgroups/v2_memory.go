package cgroups

import (
	"errors"
	"fmt"
	"os"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// setV2Memory writes memory.max, memory.swap.max (converted from the spec's
// memory+swap) and memory.low. v2 has no swappiness, no OOM-killer switch,
// no kernel memory limits and no use_hierarchy (it is always hierarchical):
// those fields are ignored, as runc does.
func setV2Memory(dir string, m *specs.LinuxMemory) error {
	limit, swap := nonZero(m.Limit), nonZero(m.Swap)
	if m.CheckBeforeUpdate != nil && *m.CheckBeforeUpdate {
		if err := checkV2Usage(dir, limit, swap); err != nil {
			return err
		}
	}
	if swap != nil || (limit != nil && *limit == -1) {
		if err := setV2Swap(dir, limit, swap); err != nil {
			return err
		}
	}
	if limit != nil {
		if err := writeFile(dir, "memory.max", maxValue(*limit)); err != nil {
			return err
		}
	}
	if r := nonZero(m.Reservation); r != nil {
		return writeFile(dir, "memory.low", maxValue(*r))
	}
	return nil
}

// setV2Swap converts against the memory limit being set, or the one in force
// when an update names swap alone.
func setV2Swap(dir string, limit, swap *int64) error {
	var lim, sw int64
	if swap != nil {
		sw = *swap
	}
	if limit != nil {
		lim = *limit
	} else {
		cur, err := readUint(dir, "memory.max")
		if err != nil {
			return err
		}
		lim = -1
		if cur != maxUint {
			lim = int64(cur)
		}
	}
	v, err := swapV2(sw, lim)
	if err != nil || v == "" {
		return err
	}
	err = writeFile(dir, "memory.swap.max", v)
	if errors.Is(err, os.ErrNotExist) && (v == "max" || v == "0") {
		return nil // no swap accounting: unlimited or no swap is what we have
	}
	return err
}

// checkV2Usage refuses a limit below what the cgroup uses now: v1 refuses
// such a limit itself, v2 would start the OOM killer instead.
func checkV2Usage(dir string, limit, swap *int64) error {
	mem, err := readUint(dir, "memory.current")
	if err != nil {
		return err
	}
	if limit != nil && *limit > 0 && mem > uint64(*limit) {
		return fmt.Errorf("memory.limit %d: below current usage %d (checkBeforeUpdate): %w", *limit, mem, errdefs.ErrFailedPrecondition)
	}
	if swap == nil || *swap <= 0 || !exists(dir, "memory.swap.current") {
		return nil
	}
	sw, err := readUint(dir, "memory.swap.current")
	if err != nil {
		return err
	}
	if mem+sw > uint64(*swap) {
		return fmt.Errorf("memory.swap %d: below current memory+swap usage %d (checkBeforeUpdate): %w", *swap, mem+sw, errdefs.ErrFailedPrecondition)
	}
	return nil
}
