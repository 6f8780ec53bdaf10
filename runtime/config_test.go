package runtime

import (
	"log/slog"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// An ambient capability without inheritable (as runc's default config
// asks) is a debug note; a capability the kernel does not know is a
// warning.
func TestCapabilityNotesLevels(t *testing.T) {
	notes, err := capabilityNotes(&specs.LinuxCapabilities{
		Bounding:  []string{"CAP_KILL"},
		Permitted: []string{"CAP_KILL"},
		Effective: []string{"CAP_KILL"},
		Ambient:   []string{"CAP_KILL", "CAP_NO_SUCH_THING"},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	var ambient, unknown bool
	for _, n := range notes {
		switch {
		case strings.Contains(n.msg, "ambient capability CAP_KILL"):
			ambient = n.level == slog.LevelDebug
		case strings.Contains(n.msg, "CAP_NO_SUCH_THING"):
			unknown = n.level == slog.LevelWarn
		}
	}
	if !ambient || !unknown {
		t.Errorf("notes %+v: want the ambient CAP_KILL at debug level and the unknown capability as a warning", notes)
	}
}
