// Command runtime compares the time berth-runtime and runc take to run a
// container (busybox, `true`) from the same bundle: alternately, 50 runs
// each, back to back and again with 50 ms of idle before each run (the
// kernel's deferred work, RCU grace periods included, settles then), and
// prints both medians and their ratio per mode.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/berth-oci/berth/internal/fixture"
)

func main() {
	berth := flag.String("berth", "bin/berth-runtime", "berth-runtime binary")
	runc := flag.String("runc", "/usr/sbin/runc", "runc binary")
	n := flag.Int("n", 50, "runs of each runtime per mode")
	work := flag.String("work", "bench/runtime/work", "scratch directory")
	flag.Parse()
	if err := bench(*berth, *runc, *work, *n); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func bench(berth, runc, work string, n int) error {
	bundle, err := makeBundle(berth, work)
	if err != nil {
		return err
	}
	runtimes := []struct{ name, bin, root string }{
		{"berth-runtime", berth, filepath.Join(work, "state-berth")},
		{"runc", runc, filepath.Join(work, "state-runc")},
	}
	// berth-runtime keeps a read-only copy of itself mounted under its
	// root, made by the first create: the runs measure the steady state,
	// and the mount goes with the bench.
	defer unmountUnder(runtimes[0].root)
	for _, mode := range []struct {
		name string
		idle time.Duration
	}{{"back to back", 0}, {"50 ms idle before each run", 50 * time.Millisecond}} {
		times := make([][]time.Duration, len(runtimes))
		for i := 0; i < n; i++ {
			for j, rt := range runtimes {
				time.Sleep(mode.idle)
				d, err := runOnce(rt.bin, rt.root, bundle, fmt.Sprintf("bench%d", i))
				if err != nil {
					return fmt.Errorf("%s: %w", rt.name, err)
				}
				times[j] = append(times[j], d)
			}
		}
		b, r := median(times[0]), median(times[1])
		fmt.Printf("%-28s berth-runtime %6.2f ms   runc %6.2f ms   ratio %.2f\n", mode.name+":",
			ms(b), ms(r), float64(b)/float64(r))
	}
	return nil
}

func runOnce(bin, root, bundle, id string) (time.Duration, error) {
	cmd := exec.Command(bin, "--root", root, "run", "--bundle", bundle, id)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("run: %v: %s", err, out)
	}
	return d, nil
}

// makeBundle writes a busybox rootfs and `berth-runtime spec`'s config
// running `true`, without a terminal, once.
func makeBundle(berth, work string) (string, error) {
	bundle, err := filepath.Abs(filepath.Join(work, "bundle"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(bundle, "config.json")); err == nil {
		return bundle, nil
	}
	if err := fixture.BusyboxRootfs(filepath.Join(bundle, "rootfs")); err != nil {
		return "", err
	}
	out, err := exec.Command(berth, "spec", "--bundle", bundle).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("spec: %v: %s", err, out)
	}
	path := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		return "", err
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"true"}
	b, _ = json.MarshalIndent(spec, "", "\t")
	return bundle, os.WriteFile(path, b, 0o644)
}

func unmountUnder(dir string) {
	abs, _ := filepath.Abs(dir)
	b, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], abs+"/") {
			syscall.Unmount(f[4], syscall.MNT_DETACH)
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
