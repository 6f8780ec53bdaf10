package image

import (
	"os"
	"strings"
)

// cpuVariant reads the CPU variant of arch from /proc/cpuinfo; "" when it
// cannot tell, which Normalize turns into the architecture's default.
func cpuVariant(arch string) string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return variantFromCPUInfo(arch, string(data))
}

// variantFromCPUInfo is cpuVariant's parser, apart so tests can feed it.
func variantFromCPUInfo(arch, cpuinfo string) string {
	switch arch {
	case "arm":
		switch v := cpuinfoField(cpuinfo, "CPU architecture"); v {
		case "5", "6", "7", "8":
			return "v" + v
		case "AArch64":
			return "v8"
		}
	case "amd64":
		return amd64Level(strings.Fields(cpuinfoField(cpuinfo, "flags")))
	}
	return ""
}

// cpuinfoField returns the value of the first "name : value" line.
func cpuinfoField(cpuinfo, name string) string {
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// The x86-64 microarchitecture levels v2, v3 and v4 of the psABI, by the
// names /proc/cpuinfo gives their features (abm is LZCNT).
var amd64Levels = [][]string{
	{"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"},
	{"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
	{"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}

// amd64Level returns the highest level the flags satisfy, "" for v1.
func amd64Level(flags []string) string {
	have := set(flags...)
	level := ""
	for i, need := range amd64Levels {
		for _, f := range need {
			if !have[f] {
				return level
			}
		}
		level = "v" + string(rune('2'+i))
	}
	return level
}
