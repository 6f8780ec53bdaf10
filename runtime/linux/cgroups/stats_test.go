package cgroups

import (
	"encoding/json"
	"testing"
)

// Stats marshals to the "data" object of runc events --stats, key for key,
// so that tools reading runc's output read berth's.
func TestStatsJSONShape(t *testing.T) {
	s := Stats{
		CPU: CPU{Usage: CPUUsage{Total: 3, Percpu: []uint64{1, 2}, Kernel: 1, User: 2}, Throttling: Throttling{Periods: 4, ThrottledPeriods: 1, ThrottledTime: 9}},
		Memory: Memory{Cache: 5, Usage: MemoryEntry{Limit: 8, Usage: 6, Max: 7, Failcnt: 1}, Swap: MemoryEntry{Limit: 9},
			Kernel: MemoryEntry{Usage: 2}, KernelTCP: MemoryEntry{Limit: 3}, Raw: map[string]uint64{"rss": 1}},
		Pids:    Pids{Current: 2, Limit: 10},
		Blkio:   Blkio{IoServiceBytesRecursive: []BlkioEntry{{Major: 8, Minor: 0, Op: "Read", Value: 4096}}},
		Hugetlb: map[string]Hugetlb{"2MB": {Usage: 1, Max: 2, Failcnt: 0}},
	}
	got, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"cpu":{"usage":{"total":3,"percpu":[1,2],"kernel":1,"user":2},"throttling":{"periods":4,"throttledPeriods":1,"throttledTime":9}},` +
		`"cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},` +
		`"memory":{"cache":5,"usage":{"limit":8,"usage":6,"max":7,"failcnt":1},"swap":{"limit":9,"failcnt":0},"kernel":{"limit":0,"usage":2,"failcnt":0},"kernelTCP":{"limit":3,"failcnt":0},"raw":{"rss":1}},` +
		`"pids":{"current":2,"limit":10},` +
		`"blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":4096}]},` +
		`"hugetlb":{"2MB":{"usage":1,"max":2,"failcnt":0}}}`
	if string(got) != want {
		t.Errorf("Stats JSON\n got %s\nwant %s", got, want)
	}
}
