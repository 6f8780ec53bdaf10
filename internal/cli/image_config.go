package cli

import (
	"fmt"
	"strings"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// configFlags are the image config edits of `berth image config`, named
// as umoci names them.
type configFlags struct {
	user, workdir, stopSignal, tag, history          string
	entrypoint, cmd, env, labels, ports, vols, clear []string
}

func newImageConfigCommand() *cobra.Command {
	var f configFlags
	cmd := &cobra.Command{
		Use:   "config oci:PATH:NAME [flags]",
		Short: "Change the config of an image (command, env, user, labels, ...)",
		Long: `Change the config of an image and name the result NAME again, or --tag.
List flags (--config.env, --config.cmd, ...) add to what the image has;
--clear=config.cmd (and the like) empties a field first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, r, err := openLayout(args[0])
			if err != nil {
				return err
			}
			if err := requireName(r); err != nil {
				return err
			}
			res, err := l.ResolveImage(cmd.Context(), r.Name, nil)
			if err != nil {
				return err
			}
			edit, err := f.editor(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			img := bundle.Image{Descriptor: res.Descriptor, Manifest: res.Manifest, Config: res.Config, Store: l.Store()}
			out, err := bundle.Reconfigure(cmd.Context(), l.Store(), img, edit, f.history)
			if err != nil {
				return err
			}
			name := r.Name
			if f.tag != "" {
				name = f.tag
			}
			return l.Tag(cmd.Context(), out.Descriptor, name)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.user, "config.user", "", "user[:group] the process runs as")
	fl.StringVar(&f.workdir, "config.workingdir", "", "working directory")
	fl.StringVar(&f.stopSignal, "config.stopsignal", "", "signal that stops the container")
	fl.StringArrayVar(&f.entrypoint, "config.entrypoint", nil, "entrypoint argument (repeat for each; replaces the entrypoint)")
	fl.StringArrayVar(&f.cmd, "config.cmd", nil, "command argument (repeat for each; replaces the command)")
	fl.StringArrayVar(&f.env, "config.env", nil, "NAME=VALUE environment entry (repeatable)")
	fl.StringArrayVar(&f.labels, "config.label", nil, "KEY=VALUE label (repeatable)")
	fl.StringArrayVar(&f.ports, "config.exposedports", nil, "exposed port, PORT[/PROTO] (repeatable)")
	fl.StringArrayVar(&f.vols, "config.volume", nil, "volume path (repeatable)")
	fl.StringArrayVar(&f.clear, "clear", nil, "empty a field first: config.env, config.cmd, config.entrypoint, config.labels, config.exposedports, config.volume")
	fl.StringVar(&f.tag, "tag", "", "name the result TAG instead of replacing NAME")
	fl.StringVar(&f.history, "history.created_by", "berth image config", "created_by of the history entry")
	return cmd
}

// editor checks the flags and returns the edit they ask for.
func (f *configFlags) editor(changed func(string) bool) (func(*ocispec.ImageConfig), error) {
	for _, c := range f.clear {
		switch c {
		case "config.env", "config.cmd", "config.entrypoint", "config.labels", "config.exposedports", "config.volume":
		default:
			return nil, fmt.Errorf("--clear %q: not a field that can be cleared: %w", c, errdefs.ErrInvalidArgument)
		}
	}
	for _, kv := range append(append([]string{}, f.env...), f.labels...) {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("%q: want KEY=VALUE: %w", kv, errdefs.ErrInvalidArgument)
		}
	}
	return func(c *ocispec.ImageConfig) {
		f.applyClears(c)
		if changed("config.user") {
			c.User = f.user
		}
		if changed("config.workingdir") {
			c.WorkingDir = f.workdir
		}
		if changed("config.stopsignal") {
			c.StopSignal = f.stopSignal
		}
		if changed("config.entrypoint") {
			c.Entrypoint = f.entrypoint
		}
		if changed("config.cmd") {
			c.Cmd = f.cmd
		}
		c.Env = setEnv(c.Env, f.env)
		c.Labels = setMap(c.Labels, f.labels)
		c.ExposedPorts = addSet(c.ExposedPorts, f.ports)
		c.Volumes = addSet(c.Volumes, f.vols)
	}, nil
}

func (f *configFlags) applyClears(c *ocispec.ImageConfig) {
	for _, field := range f.clear {
		switch field {
		case "config.env":
			c.Env = nil
		case "config.cmd":
			c.Cmd = nil
		case "config.entrypoint":
			c.Entrypoint = nil
		case "config.labels":
			c.Labels = nil
		case "config.exposedports":
			c.ExposedPorts = nil
		case "config.volume":
			c.Volumes = nil
		}
	}
}

func setEnv(env, add []string) []string {
	out := append([]string{}, env...)
next:
	for _, kv := range add {
		name, _, _ := strings.Cut(kv, "=")
		for i, old := range out {
			if strings.HasPrefix(old, name+"=") {
				out[i] = kv
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

func setMap(m map[string]string, kvs []string) map[string]string {
	if len(kvs) == 0 {
		return m
	}
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

func addSet(m map[string]struct{}, keys []string) map[string]struct{} {
	if len(keys) == 0 {
		return m
	}
	out := map[string]struct{}{}
	for k := range m {
		out[k] = struct{}{}
	}
	for _, k := range keys {
		out[k] = struct{}{}
	}
	return out
}
