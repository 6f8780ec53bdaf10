package rootfs

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// mountEntry is one line of /proc/self/mountinfo (proc(5)), with the
// fields the rootfs setup reads.
type mountEntry struct {
	Root       string   // the path of the mount's root within its filesystem
	Mountpoint string   // where it is mounted
	Optional   []string // "shared:N", "master:N", ...
	FSType     string
	Source     string
	SuperOpts  []string
}

// parseMountinfo parses the text of a mountinfo file.
func parseMountinfo(b []byte) ([]mountEntry, error) {
	var out []mountEntry
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		e, err := parseMountinfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// A line is: id parent major:minor root mountpoint options [optional...] -
// fstype source superoptions.
func parseMountinfoLine(line string) (mountEntry, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if sep < 0 || len(f) < sep+3 {
		return mountEntry{}, fmt.Errorf("malformed %q: %w", line, errdefs.ErrInvalidArgument)
	}
	e := mountEntry{
		Root:       unescapeOctal(f[3]),
		Mountpoint: unescapeOctal(f[4]),
		Optional:   f[6:sep],
		FSType:     f[sep+1],
		Source:     unescapeOctal(f[sep+2]),
	}
	if len(f) > sep+3 {
		e.SuperOpts = strings.Split(f[sep+3], ",")
	}
	return e, nil
}

// unescapeOctal undoes the kernel's \ooo escapes of space, tab, newline and
// backslash in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && isOctal(s[i+1:i+4]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(s string) bool {
	if len(s) != 3 || s[0] > '3' {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < '0' || s[i] > '7' {
			return false
		}
	}
	return true
}
