package layer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// benchLayer is the layer blob in file BERTH_BENCH_BLOB or else a gzip
// layer of real host directories (BERTH_BENCH_TREE, colon-separated; by
// default a mix of many small files and some large ones), made once per
// benchmark run with Diff.
func benchLayer(b *testing.B) []byte {
	b.Helper()
	if f := os.Getenv("BERTH_BENCH_BLOB"); f != "" {
		blob, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		return blob
	}
	dirs := os.Getenv("BERTH_BENCH_TREE")
	if dirs == "" {
		dirs = "/usr/share/man:/usr/lib/python3.11:/usr/lib/git-core"
	}
	src := filepath.Join(b.TempDir(), "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		b.Fatal(err)
	}
	for _, d := range strings.Split(dirs, ":") {
		if _, err := os.Stat(d); err != nil {
			b.Skipf("benchmark tree %s: %v", d, err)
		}
		copyTree(b, d, src+"/"+filepath.Base(d))
	}
	var blob bytes.Buffer
	if _, err := Diff(context.Background(), "", src, &blob, DiffOptions{Compression: Gzip}); err != nil {
		b.Fatal(err)
	}
	if err := os.RemoveAll(src); err != nil {
		b.Fatal(err)
	}
	return blob.Bytes()
}

// BenchmarkApply applies a realistic layer into an empty directory under
// BERTH_BENCH_DIR (default a temporary directory):
//
//	go test -run '^$' -bench Apply -benchtime 5x -cpuprofile cpu.out ./layer/
//
// The trees are removed only at the end: ext4 allocates inodes slowly right
// after many were freed, which would slow every round but the first.
func BenchmarkApply(b *testing.B) {
	blob := benchLayer(b)
	parent := os.Getenv("BERTH_BENCH_DIR")
	if parent == "" {
		parent = b.TempDir()
	}
	parent, err := os.MkdirTemp(parent, "bench-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(parent)
	opts := ApplyOptions{Rootless: os.Geteuid() != 0}
	var size int64
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := filepath.Join(parent, strconv.Itoa(i))
		if err := os.Mkdir(root, 0o755); err != nil {
			b.Fatal(err)
		}
		before := cpuTime()
		b.StartTimer()
		res, err := Apply(context.Background(), root, bytes.NewReader(blob), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - before
		size = res.Size
	}
	b.SetBytes(size)
	// On a shared machine the wall time says little; the CPU time (user
	// and system, every thread) says what Apply costs.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
