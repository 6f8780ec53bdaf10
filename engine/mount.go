package engine

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/errdefs"
)

// Mount is a mount a container asks for: a bind mount of a host path, a
// named volume of the store, or a tmpfs.
type Mount struct {
	Type        string   `json:"type"` // MountBind, MountVolume or MountTmpfs
	Source      string   `json:"source,omitempty"`
	Destination string   `json:"destination"`
	Options     []string `json:"options,omitempty"`
	ReadOnly    bool     `json:"readOnly,omitempty"`
}

// Mount types.
const (
	MountBind   = "bind"
	MountVolume = "volume"
	MountTmpfs  = "tmpfs"
)

// ParseVolume parses a -v value: SOURCE:DEST[:OPTIONS] where SOURCE is a
// host path (absolute, or starting with .) for a bind mount or a volume
// name, or a lone DEST for a new anonymous volume. OPTIONS is a comma list
// of ro, rw, propagation (private, rprivate, shared, rshared, slave,
// rslave), bind or rbind, nosuid, nodev, noexec (and their opposites);
// z, Z and nocopy are accepted and ignored.
func ParseVolume(s string) (Mount, error) {
	bad := func(why string) (Mount, error) {
		return Mount{}, fmt.Errorf("volume %q: %s: %w", s, why, errdefs.ErrInvalidArgument)
	}
	parts := strings.Split(s, ":")
	var m Mount
	switch len(parts) {
	case 1:
		m = Mount{Type: MountVolume, Destination: parts[0]}
	case 2, 3:
		m = Mount{Source: parts[0], Destination: parts[1]}
		if len(parts) == 3 {
			if err := m.parseOptions(parts[2]); err != nil {
				return bad(err.Error())
			}
		}
	default:
		return bad("want SOURCE:DEST[:OPTIONS]")
	}
	if !filepath.IsAbs(m.Destination) {
		return bad("the destination must be an absolute path")
	}
	m.Destination = filepath.Clean(m.Destination)
	switch {
	case m.Source == "":
	case strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, "."):
		abs, err := filepath.Abs(m.Source)
		if err != nil {
			return bad(err.Error())
		}
		m.Type, m.Source = MountBind, abs
	default:
		if !validName(m.Source) {
			return bad("a volume name is [a-zA-Z0-9][a-zA-Z0-9_.-]*")
		}
		m.Type = MountVolume
	}
	return m, nil
}

func (m *Mount) parseOptions(s string) error {
	for _, o := range strings.Split(s, ",") {
		switch o {
		case "ro":
			m.ReadOnly = true
		case "rw":
			m.ReadOnly = false
		case "z", "Z", "nocopy", "":
		case "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
			"nosuid", "suid", "nodev", "dev", "noexec", "exec":
			m.Options = append(m.Options, o)
		default:
			return fmt.Errorf("unknown option %q", o)
		}
	}
	return nil
}

// ParseTmpfs parses a --tmpfs value: DEST[:OPTIONS], the options those of
// mount(8) for tmpfs (size=, mode=, rw, ro, noexec, …).
func ParseTmpfs(s string) (Mount, error) {
	dest, opts, _ := strings.Cut(s, ":")
	if !filepath.IsAbs(dest) {
		return Mount{}, fmt.Errorf("tmpfs %q: the destination must be an absolute path: %w", s, errdefs.ErrInvalidArgument)
	}
	m := Mount{Type: MountTmpfs, Source: "tmpfs", Destination: filepath.Clean(dest)}
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "":
		case "ro":
			m.ReadOnly = true
		default:
			m.Options = append(m.Options, o)
		}
	}
	return m, nil
}
