package runtimecli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newUpdate(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "update [command options] <container-id>",
		Short: "change the resource limits of a running container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var res specs.LinuxResources
			if file != "" {
				if err := readResources(file, &res); err != nil {
					return err
				}
			} else if err := resourcesFromFlags(cmd.Flags(), &res); err != nil {
				return err
			}
			return g.runtime().Update(args[0], &res)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "resources", "r", "", "read the new linux.resources JSON from `FILE` (- is stdin)")
	f.Uint16("blkio-weight", 0, "block IO weight, 10 to 1000")
	f.String("cpu-period", "", "CFS period in microseconds (0: the kernel's default)")
	f.String("cpu-quota", "", "CFS quota: CPU microseconds allowed per period")
	f.String("cpu-share", "", "relative CPU weight (cpu.shares)")
	f.String("cpu-rt-period", "", "realtime period in microseconds")
	f.String("cpu-rt-runtime", "", "realtime runtime in microseconds per period")
	f.String("cpuset-cpus", "", "CPUs the container may run on (cpuset, e.g. 0-1)")
	f.String("cpuset-mems", "", "memory nodes the container may use (cpuset)")
	f.String("memory", "", "memory limit (in bytes, or with a k, m or g suffix)")
	f.String("memory-reservation", "", "soft memory limit in bytes")
	f.String("memory-swap", "", "memory plus swap limit in bytes (-1: no swap limit)")
	f.Int64("pids-limit", 0, "most processes the container may hold")
	return cmd
}

func readResources(file string, res *specs.LinuxResources) error {
	var r io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("read resources: %w", err)
		}
		defer f.Close()
		r = f
	}
	if err := json.NewDecoder(r).Decode(res); err != nil {
		return fmt.Errorf("parse resources from %s: %w", file, err)
	}
	return nil
}

// resourcesFromFlags turns runc's update flags into resources; only the
// flags given are set.
func resourcesFromFlags(f *pflag.FlagSet, res *specs.LinuxResources) error {
	var err error
	num := func(name string, set func(int64)) {
		if err != nil || !f.Changed(name) {
			return
		}
		s, _ := f.GetString(name)
		var v int64
		if v, err = parseBytes(s); err != nil {
			err = fmt.Errorf("--%s %q: %w", name, s, err)
			return
		}
		set(v)
	}
	mem := func() *specs.LinuxMemory {
		if res.Memory == nil {
			res.Memory = &specs.LinuxMemory{}
		}
		return res.Memory
	}
	cpu := func() *specs.LinuxCPU {
		if res.CPU == nil {
			res.CPU = &specs.LinuxCPU{}
		}
		return res.CPU
	}
	num("memory", func(v int64) { mem().Limit = &v })
	num("memory-reservation", func(v int64) { mem().Reservation = &v })
	num("memory-swap", func(v int64) { mem().Swap = &v })
	num("cpu-quota", func(v int64) { cpu().Quota = &v })
	num("cpu-rt-runtime", func(v int64) { cpu().RealtimeRuntime = &v })
	num("cpu-period", func(v int64) { u := uint64(v); cpu().Period = &u })
	num("cpu-share", func(v int64) { u := uint64(v); cpu().Shares = &u })
	num("cpu-rt-period", func(v int64) { u := uint64(v); cpu().RealtimePeriod = &u })
	if err != nil {
		return err
	}
	if f.Changed("cpuset-cpus") {
		cpu().Cpus, _ = f.GetString("cpuset-cpus")
	}
	if f.Changed("cpuset-mems") {
		cpu().Mems, _ = f.GetString("cpuset-mems")
	}
	if f.Changed("pids-limit") {
		v, _ := f.GetInt64("pids-limit")
		res.Pids = &specs.LinuxPids{Limit: &v}
	}
	if f.Changed("blkio-weight") {
		v, _ := f.GetUint16("blkio-weight")
		res.BlockIO = &specs.LinuxBlockIO{Weight: &v}
	}
	return nil
}

// parseBytes reads "1024", "512k", "64m", "1g" or "-1".
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch strings.ToLower(s[len(s)-min(1, len(s)):]) {
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	v, err := strconv.ParseInt(strings.TrimSuffix(strings.ToLower(s), "b"), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a size")
	}
	return v * mult, nil
}
