package cgroups

import (
	"errors"
	"math"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestSharesToWeight(t *testing.T) {
	cases := []struct{ shares, weight uint64 }{
		{0, 0}, {1, 1}, {2, 1}, {3, 2}, {512, 59}, {1024, 100}, {2048, 174}, {4096, 303},
		{100000, 4340}, {262144, 10000}, {1 << 20, 10000},
	}
	for _, tc := range cases {
		if got := sharesToWeight(tc.shares); got != tc.weight {
			t.Errorf("sharesToWeight(%d) = %d, want %d", tc.shares, got, tc.weight)
		}
	}
	// The same mapping as runc and crun publish it, for every valid value,
	// so a container gets the same weight whichever runtime made it.
	published := func(s uint64) uint64 {
		l := math.Log2(float64(s))
		return uint64(math.Ceil(math.Pow(10, (l*l+125*l)/612.0-7.0/34.0)))
	}
	for s := uint64(3); s < 262144; s++ {
		if got, want := sharesToWeight(s), published(s); got != want {
			t.Fatalf("sharesToWeight(%d) = %d, runc/crun give %d", s, got, want)
		}
	}
	prev := uint64(0)
	for s := uint64(2); s <= 262144; s++ {
		w := sharesToWeight(s)
		if w < prev || w < 1 || w > 10000 {
			t.Fatalf("weight %d for shares %d: not monotonic in 1..10000", w, s)
		}
		prev = w
	}
}

func TestBlkioToIOWeight(t *testing.T) {
	for _, tc := range []struct {
		in  uint16
		out uint64
	}{{0, 0}, {1, 1}, {10, 1}, {100, 910}, {500, 4950}, {1000, 10000}} {
		if got := blkioToIOWeight(tc.in); got != tc.out {
			t.Errorf("blkioToIOWeight(%d) = %d, want %d", tc.in, got, tc.out)
		}
	}
}

func TestSwapV2(t *testing.T) {
	cases := []struct {
		swap, limit int64
		want        string
		err         bool
	}{
		{0, 0, "", false},           // nothing set
		{0, 1000, "", false},        // swap unset: leave it
		{0, -1, "max", false},       // lifting memory lifts swap
		{-1, 1000, "max", false},    // unlimited swap
		{3000, 1000, "2000", false}, // memory+swap minus memory
		{1000, 1000, "0", false},    // equal: no swap
		{500, 1000, "", true},       // below the memory limit
		{500, 0, "", true},          // swap limit without memory limit
		{500, -1, "", true},
	}
	for _, tc := range cases {
		got, err := swapV2(tc.swap, tc.limit)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("swapV2(%d, %d) = %q, %v; want %q, error %v", tc.swap, tc.limit, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("swapV2(%d, %d): %v is not ErrInvalidArgument", tc.swap, tc.limit, err)
		}
	}
}

func TestIOMaxLines(t *testing.T) {
	b := &specs.LinuxBlockIO{
		ThrottleReadBpsDevice:   throttle(8, 0, 1048576),
		ThrottleWriteBpsDevice:  append(throttle(8, 16, 100), throttle(8, 0, 0)...),
		ThrottleReadIOPSDevice:  throttle(259, 0, 120),
		ThrottleWriteIOPSDevice: throttle(8, 0, 30),
	}
	got := ioMaxLines(b)
	want := []string{"8:0 rbps=1048576 wbps=max wiops=30", "8:16 wbps=100", "259:0 riops=120"}
	if !equal(got, want) {
		t.Errorf("ioMaxLines = %q, want %q", got, want)
	}
	if len(ioMaxLines(&specs.LinuxBlockIO{})) != 0 {
		t.Error("no throttles gave lines")
	}
}

func TestParseList(t *testing.T) {
	got, err := parseList("0-2,5, 7")
	if err != nil || len(got) != 5 || got[3] != 5 || got[4] != 7 {
		t.Errorf("parseList = %v, %v", got, err)
	}
	for _, bad := range []string{"3-1", "a", "0-", "70000"} {
		if _, err := parseList(bad); err == nil {
			t.Errorf("parseList(%q) accepted", bad)
		}
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", "0", "0-3,7", "1-1", "5-2", ",,", "0-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 64 {
			return // keep ranges small enough to enumerate
		}
		_, _ = parseList(s)
	})
}

func TestFeatures(t *testing.T) {
	f := Features()
	if f.V1 == nil || !*f.V1 || f.V2 == nil || !*f.V2 || f.Rdma == nil || !*f.Rdma {
		t.Errorf("Features() = %+v: v1, v2 and rdma are supported", f)
	}
	if f.Systemd == nil || *f.Systemd || f.SystemdUser == nil || *f.SystemdUser {
		t.Errorf("Features() = %+v: systemd is not", f)
	}
}
