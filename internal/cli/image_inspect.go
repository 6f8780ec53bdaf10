package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/layout"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// inspectOutput is what `berth image inspect --format json` prints.
type inspectOutput struct {
	Name       string             `json:"name,omitempty"`
	Descriptor ocispec.Descriptor `json:"descriptor"`
	Index      *ocispec.Index     `json:"index,omitempty"`
	Manifest   *ocispec.Manifest  `json:"manifest"`
	Config     *ocispec.Image     `json:"config"`
	Platform   ocispec.Platform   `json:"platform"`
}

func newImageInspectCommand() *cobra.Command {
	var format, platform string
	cmd := &cobra.Command{
		Use:   "inspect oci:PATH[:NAME]",
		Short: "Show an image's manifest, config and platform",
		Long: `Show an image's manifest, config and platform. When the name is an index,
the manifest for --platform (default: this host's) is chosen from it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			p, err := platformFlag(platform)
			if err != nil {
				return err
			}
			l, r, err := openLayout(args[0])
			if err != nil {
				return err
			}
			res, err := l.ResolveImage(cmd.Context(), r.Name, p)
			if err != nil {
				return err
			}
			out := inspectOutput{Name: r.Name, Descriptor: res.Descriptor, Index: res.Index, Manifest: res.Manifest, Config: res.Config, Platform: res.Config.Platform}
			if format == formatJSON {
				return printJSON(cmd.OutOrStdout(), out)
			}
			printInspect(cmd.OutOrStdout(), res)
			return nil
		},
	}
	addFormatFlag(cmd, &format, formatTable)
	cmd.Flags().StringVar(&platform, "platform", "", "platform to choose from an index, as os/arch[/variant] (default: this host's)")
	return cmd
}

func platformFlag(s string) (*ocispec.Platform, error) {
	if s == "" {
		return nil, nil
	}
	p, err := image.ParsePlatform(s)
	if err != nil {
		return nil, fmt.Errorf("--platform: %w", err)
	}
	return &p, nil
}

func printInspect(w io.Writer, r *layout.Resolved) {
	c := r.Config
	kv := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-13s %s\n", k+":", v)
		}
	}
	kv("Name", r.Name)
	kv("Digest", r.Descriptor.Digest.String())
	kv("MediaType", r.Descriptor.MediaType)
	if r.Index != nil {
		kv("Index", r.Root.Digest.String())
	}
	kv("Platform", image.FormatPlatform(c.Platform))
	if c.Created != nil {
		kv("Created", c.Created.UTC().Format("2006-01-02T15:04:05Z"))
	}
	kv("Author", c.Author)
	kv("Config", r.Manifest.Config.Digest.String())
	kv("Entrypoint", quoteAll(c.Config.Entrypoint))
	kv("Cmd", quoteAll(c.Config.Cmd))
	kv("WorkingDir", c.Config.WorkingDir)
	kv("User", c.Config.User)
	kv("StopSignal", c.Config.StopSignal)
	kv("ExposedPorts", strings.Join(sortedKeys(c.Config.ExposedPorts), " "))
	kv("Volumes", strings.Join(sortedKeys(c.Config.Volumes), " "))
	listSection(w, "Env", c.Config.Env)
	listSection(w, "Labels", keyValues(c.Config.Labels))
	listSection(w, "Annotations", keyValues(r.Manifest.Annotations))
	fmt.Fprintln(w, "Layers:")
	for _, l := range r.Manifest.Layers {
		fmt.Fprintf(w, "  %s  %9s  %s\n", l.Digest, humanSize(l.Size), l.MediaType)
	}
}

func listSection(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, it := range items {
		fmt.Fprintf(w, "  %s\n", it)
	}
}

func quoteAll(args []string) string {
	if len(args) == 0 {
		return ""
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func keyValues(m map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, k+"="+m[k])
	}
	return out
}
