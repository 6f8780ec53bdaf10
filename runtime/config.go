package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/runtime/linux/caps"
	"github.com/berth-oci/berth/runtime/linux/hooks"
	"github.com/berth-oci/berth/runtime/linux/initproc"
	"github.com/berth-oci/berth/runtime/specjson"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// loadSpec reads bundle/config.json; it returns the bytes read too.
func loadSpec(bundle string) (*specs.Spec, []byte, error) {
	path := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("bundle %s has no config.json: %w", bundle, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	var spec specs.Spec
	if err := specjson.Unmarshal(b, &spec); err != nil {
		return nil, nil, fmt.Errorf("parse %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return &spec, b, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("config.json: "+format+": %w", append(args, errdefs.ErrInvalidArgument)...)
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("config.json: "+format+": %w", append(args, errdefs.ErrNotImplemented)...)
}

// validate checks what the runtime must refuse before creating anything,
// and returns notes for what it may only log (capabilities it cannot
// grant).
func validate(spec *specs.Spec, rootfs string) (notes []note, err error) {
	if err := checkVersion(spec.Version); err != nil {
		return nil, err
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return nil, invalid("root.path is required")
	}
	if fi, err := os.Stat(rootfs); err != nil || !fi.IsDir() {
		return nil, invalid("root.path %s is not a directory", rootfs)
	}
	if spec.Linux == nil {
		return nil, invalid("linux is required on Linux")
	}
	if err := validateNamespaces(spec); err != nil {
		return nil, err
	}
	if spec.Process != nil {
		if notes, err = validateProcess(spec.Process, hasUserNS(spec)); err != nil {
			return nil, err
		}
	}
	if err := validateHooks(spec.Hooks); err != nil {
		return nil, err
	}
	return notes, validateUnsupported(spec)
}

// checkVersion accepts every 1.x version: the spec keeps compatibility
// within a major version.
func checkVersion(v string) error {
	major, _, ok := strings.Cut(v, ".")
	if !ok || major != "1" {
		return invalid("ociVersion %q is not a 1.x version", v)
	}
	return nil
}

func validateNamespaces(spec *specs.Spec) error {
	if listed, _ := hasNamespace(spec, specs.MountNamespace); !listed {
		return unsupported("a container without a mount namespace")
	}
	if _, fresh := hasNamespace(spec, specs.MountNamespace); !fresh {
		return unsupported("joining an existing mount namespace for the container's init")
	}
	if _, fresh := hasNamespace(spec, specs.UTSNamespace); !fresh && (spec.Hostname != "" || spec.Domainname != "") {
		return invalid("hostname or domainname needs a new uts namespace")
	}
	listed, fresh := hasNamespace(spec, specs.UserNamespace)
	hasMaps := len(spec.Linux.UIDMappings) > 0 || len(spec.Linux.GIDMappings) > 0
	if fresh && (len(spec.Linux.UIDMappings) == 0 || len(spec.Linux.GIDMappings) == 0) {
		return invalid("a new user namespace needs linux.uidMappings and linux.gidMappings")
	}
	if !fresh && hasMaps {
		return invalid("linux.uidMappings and gidMappings need a new user namespace")
	}
	_ = listed
	if _, fresh := hasNamespace(spec, specs.TimeNamespace); !fresh && len(spec.Linux.TimeOffsets) > 0 {
		return invalid("linux.timeOffsets needs a new time namespace")
	}
	for clock := range spec.Linux.TimeOffsets {
		if clock != "monotonic" && clock != "boottime" {
			return invalid("linux.timeOffsets: unknown clock %q", clock)
		}
	}
	return nil
}

func validateProcess(p *specs.Process, inUserNS bool) ([]note, error) {
	if len(p.Args) == 0 {
		return nil, invalid("process.args is empty")
	}
	if !filepath.IsAbs(p.Cwd) {
		return nil, invalid("process.cwd %q is not absolute", p.Cwd)
	}
	seen := map[string]bool{}
	for _, l := range p.Rlimits {
		if _, ok := initproc.Rlimit(l.Type); !ok {
			return nil, invalid("process.rlimits: unknown type %q", l.Type)
		}
		if seen[l.Type] {
			return nil, invalid("process.rlimits: %s listed twice", l.Type)
		}
		seen[l.Type] = true
		if l.Soft > l.Hard {
			return nil, invalid("process.rlimits: %s soft limit %d above hard limit %d", l.Type, l.Soft, l.Hard)
		}
	}
	if p.ApparmorProfile != "" {
		return nil, unsupported("process.apparmorProfile %q: AppArmor is not supported", p.ApparmorProfile)
	}
	if p.SelinuxLabel != "" {
		return nil, unsupported("process.selinuxLabel %q: SELinux is not supported", p.SelinuxLabel)
	}
	if p.Scheduler != nil {
		return nil, unsupported("process.scheduler")
	}
	if p.IOPriority != nil {
		return nil, unsupported("process.ioPriority")
	}
	if p.ExecCPUAffinity != nil {
		return nil, unsupported("process.execCPUAffinity")
	}
	return capabilityNotes(p.Capabilities, inUserNS)
}

// hasUserNS reports whether the container has a user namespace of its own
// (new or joined), where its processes hold capabilities the runtime's
// caller may lack.
func hasUserNS(spec *specs.Spec) bool {
	for _, ns := range spec.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			return true
		}
	}
	return false
}

// note is something validate found that the runtime only logs.
type note struct {
	level slog.Level
	msg   string
}

// capabilityNotes names the capabilities that will not be granted:
// unknown to the kernel, or beyond what the container's init can hold —
// the runtime's permitted set, or in a user namespace of the container's
// own (where its root has every capability) the bounding set — as
// warnings; and the ambient ones the kernel will not raise, at debug
// level: runc's own default config asks for three such (ambient without
// inheritable) and runc says nothing.
func capabilityNotes(c *specs.LinuxCapabilities, inUserNS bool) ([]note, error) {
	sets, unknown := caps.FromSpec(c)
	var w []note
	for _, n := range unknown {
		w = append(w, note{slog.LevelWarn, "capability " + n + " is unknown to this kernel: not granted"})
	}
	_, limit, _, err := caps.Current()
	if inUserNS {
		limit, err = caps.Bounding()
	}
	if err != nil {
		return nil, err
	}
	_, dropped := sets.Grantable(limit)
	for _, n := range dropped {
		w = append(w, note{slog.LevelWarn, "capability " + n + " is outside what the container can hold: not granted"})
	}
	if amb := sets.Ambient &^ (sets.Permitted & sets.Inheritable); amb != 0 {
		for i := 0; i < 64; i++ {
			if amb.Has(i) {
				w = append(w, note{slog.LevelDebug, "ambient capability " + caps.Name(i) + " is not both permitted and inheritable: not raised"})
			}
		}
	}
	return w, nil
}

// logNotes logs what validate found, each at its level.
func (r *Runtime) logNotes(id string, notes []note) {
	for _, n := range notes {
		r.log().Log(context.Background(), n.level, n.msg, "id", id)
	}
}

func validateHooks(h *specs.Hooks) error {
	if h == nil {
		return nil
	}
	for kind, list := range map[string][]specs.Hook{
		"prestart": h.Prestart, "createRuntime": h.CreateRuntime, "createContainer": h.CreateContainer,
		"startContainer": h.StartContainer, "poststart": h.Poststart, "poststop": h.Poststop,
	} {
		if err := hooks.Validate(kind, list); err != nil {
			return invalid("hooks: %v", err)
		}
	}
	return nil
}

func validateUnsupported(spec *specs.Spec) error {
	l := spec.Linux
	switch {
	case l.IntelRdt != nil:
		return unsupported("linux.intelRdt: no resctrl file system on this host")
	case l.MountLabel != "":
		return unsupported("linux.mountLabel %q: SELinux is not supported", l.MountLabel)
	case l.Personality != nil:
		return unsupported("linux.personality")
	case l.MemoryPolicy != nil:
		return unsupported("linux.memoryPolicy")
	case len(l.NetDevices) > 0:
		return unsupported("linux.netDevices")
	}
	for _, m := range spec.Mounts {
		if m.Destination == "" {
			return invalid("mounts: a mount has no destination")
		}
	}
	return nil
}

// itoa is strconv.Itoa, short for the many fd numbers below.
func itoa(i int) string { return strconv.Itoa(i) }
