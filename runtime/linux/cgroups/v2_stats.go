package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

var errInvalidLine = fmt.Errorf("unexpected format: %w", errdefs.ErrInvalidArgument)

// v2CPUStats reads cpu.stat (microseconds) into nanoseconds. usage, user and
// system are there without the cpu controller; the throttling counters only
// with it.
func v2CPUStats(dir string, c *CPU) error {
	kv, err := keyValues(dir, "cpu.stat")
	if err != nil {
		return err
	}
	c.Usage.Total = kv["usage_usec"] * 1000
	c.Usage.User = kv["user_usec"] * 1000
	c.Usage.Kernel = kv["system_usec"] * 1000
	c.Throttling = Throttling{Periods: kv["nr_periods"], ThrottledPeriods: kv["nr_throttled"], ThrottledTime: kv["throttled_usec"] * 1000}
	return nil
}

// v2MemoryStats reports swap as memory+swap, the way v1 did, so that one
// reader serves both.
func v2MemoryStats(dir string, m *Memory) error {
	var err error
	if m.Raw, err = keyValues(dir, "memory.stat"); err != nil {
		return err
	}
	m.Cache = m.Raw["file"]
	if m.Usage, err = v2MemoryEntry(dir, "memory."); err != nil {
		return err
	}
	if !exists(dir, "memory.swap.current") {
		return nil
	}
	swap, err := v2MemoryEntry(dir, "memory.swap.")
	if err != nil {
		return err
	}
	m.Swap = MemoryEntry{Usage: swap.Usage + m.Usage.Usage, Limit: swap.Limit, Failcnt: swap.Failcnt}
	if swap.Limit != maxUint && m.Usage.Limit != maxUint {
		m.Swap.Limit += m.Usage.Limit
	}
	return nil
}

func v2MemoryEntry(dir, prefix string) (MemoryEntry, error) {
	var e MemoryEntry
	var err error
	if e.Usage, err = readUint(dir, prefix+"current"); err != nil {
		return e, err
	}
	if e.Limit, err = readUint(dir, prefix+"max"); err != nil {
		return e, err
	}
	if exists(dir, prefix+"peak") { // 5.19 for memory, 6.5 for swap
		if e.Max, err = readUint(dir, prefix+"peak"); err != nil {
			return e, err
		}
	}
	ev, err := keyValues(dir, prefix+"events")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return e, err
	}
	e.Failcnt = ev["max"]
	return e, nil
}

// v2IOStats turns io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0
// dios=0") into v1's per-operation entries.
func v2IOStats(dir string, b *Blkio) error {
	s, err := readFile(dir, "io.stat")
	if err != nil {
		return err
	}
	ops := map[string]struct {
		list *[]BlkioEntry
		op   string
	}{
		"rbytes": {&b.IoServiceBytesRecursive, "Read"}, "wbytes": {&b.IoServiceBytesRecursive, "Write"},
		"dbytes": {&b.IoServiceBytesRecursive, "Discard"}, "rios": {&b.IoServicedRecursive, "Read"},
		"wios": {&b.IoServicedRecursive, "Write"}, "dios": {&b.IoServicedRecursive, "Discard"},
	}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		maj, min, ok := parseDevNum(f[0])
		if !ok {
			return fmt.Errorf("parse %s line %q: %w", filepath.Join(dir, "io.stat"), line, errInvalidLine)
		}
		for _, kv := range f[1:] {
			k, v, _ := strings.Cut(kv, "=")
			o, known := ops[k]
			n, err := strconv.ParseUint(v, 10, 64)
			if !known || err != nil {
				continue // newer kernels add keys (cost.*, latency)
			}
			*o.list = append(*o.list, BlkioEntry{Major: maj, Minor: min, Op: o.op, Value: n})
		}
	}
	return nil
}
