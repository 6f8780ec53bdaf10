package bundle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Annotation keys conversion.md sets from the image config.
const (
	AnnotationOS           = "org.opencontainers.image.os"
	AnnotationArch         = "org.opencontainers.image.architecture"
	AnnotationVariant      = "org.opencontainers.image.variant"
	AnnotationOSVersion    = "org.opencontainers.image.os.version"
	AnnotationOSFeatures   = "org.opencontainers.image.os.features"
	AnnotationAuthor       = "org.opencontainers.image.author"
	AnnotationCreated      = "org.opencontainers.image.created"
	AnnotationStopSignal   = "org.opencontainers.image.stopSignal"
	AnnotationExposedPorts = "org.opencontainers.image.exposedPorts"
)

// Options are the caller's inputs, applied over the image config as
// conversion.md's "externally provided inputs".
type Options struct {
	Rootless bool
	// Entrypoint replaces the image's when set (even to an empty list); the
	// image's Cmd is then dropped too unless Cmd is given, as docker does.
	Entrypoint *[]string
	// Cmd replaces the image's Cmd when not empty.
	Cmd []string
	// DefaultArgs run when the image and the options give no command;
	// without them that is an error.
	DefaultArgs []string
	// Env entries are added, replacing image entries of the same name.
	Env        []string
	WorkingDir string
	User       string // user[:group], names or ids, resolved in the rootfs
	Hostname   string
	Terminal   bool
	ReadOnly   bool
	// Annotations are added last and win over the image's.
	Annotations map[string]string
	// VolumesTmpfs mounts a tmpfs on each of the image's Volumes, so that
	// data written there stays out of the root filesystem (conversion.md's
	// optional Volumes field). Off, the paths are plain directories.
	VolumesTmpfs bool
}

// Generate builds the runtime config of a container of img whose root
// filesystem is rootfs (already unpacked: users and groups are resolved
// from its /etc/passwd and /etc/group).
func Generate(img *ocispec.Image, rootfs string, o Options) (*specs.Spec, error) {
	s := Default(o.Rootless)
	c := img.Config
	args, err := processArgs(c, o)
	if err != nil {
		return nil, err
	}
	s.Process.Args = args
	s.Process.Env = mergeEnv(c.Env, o.Env, o.Terminal)
	s.Process.Terminal = o.Terminal
	s.Process.Cwd = firstNonEmpty(o.WorkingDir, c.WorkingDir, "/")
	if !strings.HasPrefix(s.Process.Cwd, "/") {
		return nil, fmt.Errorf("working directory %q is not absolute: %w", s.Process.Cwd, errdefs.ErrInvalidArgument)
	}
	if user := firstNonEmpty(o.User, c.User); user != "" {
		if s.Process.User, err = ResolveUser(rootfs, user); err != nil {
			return nil, err
		}
	}
	if o.Hostname != "" {
		s.Hostname = o.Hostname
	}
	s.Root.Readonly = o.ReadOnly
	s.Annotations = annotations(img, o.Annotations)
	if o.VolumesTmpfs {
		for _, v := range sortedSet(c.Volumes) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: v, Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=755"}})
		}
	}
	return s, nil
}

func sortedSet(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func processArgs(c ocispec.ImageConfig, o Options) ([]string, error) {
	entrypoint, cmd := c.Entrypoint, c.Cmd
	if o.Entrypoint != nil {
		entrypoint, cmd = *o.Entrypoint, nil
	}
	if len(o.Cmd) > 0 {
		cmd = o.Cmd
	}
	args := append(append([]string{}, entrypoint...), cmd...)
	if len(args) == 0 {
		args = append(args, o.DefaultArgs...)
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("the image has neither Entrypoint nor Cmd: give a command: %w", errdefs.ErrInvalidArgument)
	}
	return args, nil
}

// mergeEnv keeps the image's variables in order, lets extra ones replace
// them by name, and adds PATH (and TERM for a terminal) only when absent:
// a default must not change what the image set.
func mergeEnv(image, extra []string, terminal bool) []string {
	var out []string
	index := map[string]int{}
	set := func(kv string) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := index[name]; ok {
			out[i] = kv
			return
		}
		index[name] = len(out)
		out = append(out, kv)
	}
	for _, kv := range image {
		set(kv)
	}
	for _, kv := range extra {
		set(kv)
	}
	if _, ok := index["PATH"]; !ok {
		set(DefaultPath)
	}
	if _, ok := index["TERM"]; !ok && terminal {
		set("TERM=xterm")
	}
	return out
}

// annotations gives the implicit annotations of conversion.md, then the
// image's labels (which win over them), then the caller's.
func annotations(img *ocispec.Image, extra map[string]string) map[string]string {
	a := map[string]string{}
	put := func(k, v string) {
		if v != "" {
			a[k] = v
		}
	}
	put(AnnotationOS, img.OS)
	put(AnnotationArch, img.Architecture)
	put(AnnotationVariant, img.Variant)
	put(AnnotationOSVersion, img.OSVersion)
	put(AnnotationOSFeatures, strings.Join(img.OSFeatures, ","))
	put(AnnotationAuthor, img.Author)
	if img.Created != nil {
		put(AnnotationCreated, img.Created.UTC().Format(time.RFC3339Nano))
	}
	put(AnnotationStopSignal, img.Config.StopSignal)
	put(AnnotationExposedPorts, strings.Join(sortedSet(img.Config.ExposedPorts), ","))
	for k, v := range img.Config.Labels {
		a[k] = v
	}
	for k, v := range extra {
		a[k] = v
	}
	return a
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
