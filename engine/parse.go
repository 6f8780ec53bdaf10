package engine

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// ParseSize parses a size as docker and podman take it: a number of bytes
// with an optional binary unit (b, k, m, g, t; kb, mb… and kib, mib… too).
func ParseSize(s string) (int64, error) {
	bad := func() (int64, error) {
		return 0, fmt.Errorf("size %q: want a number with an optional unit (b, k, m, g, t): %w", s, errdefs.ErrInvalidArgument)
	}
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(t[i:]), "ib"), "b")
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n < 0 {
		return bad()
	}
	mult := map[string]float64{"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[unit]
	if mult == 0 {
		return bad()
	}
	if n*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large: %w", s, errdefs.ErrInvalidArgument)
	}
	return int64(n * mult), nil
}

// ExpandEnv completes -e values: NAME=VALUE stays, a lone NAME takes the
// value it has in this process's environment (and is dropped when unset).
func ExpandEnv(entries []string) []string {
	var out []string
	for _, e := range entries {
		if strings.Contains(e, "=") {
			out = append(out, e)
		} else if v, ok := os.LookupEnv(e); ok {
			out = append(out, e+"="+v)
		}
	}
	return out
}

// ParseEnvFile reads an --env-file: one NAME=VALUE or NAME per line, blank
// lines and lines starting with # skipped.
func ParseEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, _, _ := strings.Cut(line, "="); name == "" || strings.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("env file %s:%d: %q is not NAME=VALUE: %w", path, n, line, errdefs.ErrInvalidArgument)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("env file %s: %w", path, err)
	}
	return ExpandEnv(out), nil
}
