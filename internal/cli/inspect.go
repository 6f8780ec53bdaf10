package cli

import (
	"fmt"
	"time"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	digest "github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"
)

// remoteInspection is what `berth inspect docker://REF` prints: skopeo
// inspect's fields.
type remoteInspection struct {
	Name          string            `json:"Name"`
	Digest        digest.Digest     `json:"Digest"`
	RepoTags      []string          `json:"RepoTags"`
	Created       *time.Time        `json:"Created,omitempty"`
	DockerVersion string            `json:"DockerVersion"`
	Labels        map[string]string `json:"Labels"`
	Architecture  string            `json:"Architecture"`
	Os            string            `json:"Os"`
	Variant       string            `json:"Variant,omitempty"`
	Layers        []digest.Digest   `json:"Layers"`
	LayersData    []layerData       `json:"LayersData"`
	Env           []string          `json:"Env"`
}

type layerData struct {
	MIMEType    string            `json:"MIMEType"`
	Digest      digest.Digest     `json:"Digest"`
	Size        int64             `json:"Size"`
	Annotations map[string]string `json:"Annotations"`
}

type inspectFlags struct {
	reg                 registryFlags
	raw, config, noTags bool
	platform            string
	format, kind        string
}

// newInspectCommand is `berth inspect`. A docker:// argument is inspected
// in its registry; everything else (containers and images of the engine's
// store) goes to inspectLocal.
func newInspectCommand() *cobra.Command {
	var f inspectFlags
	cmd := &cobra.Command{
		Use:   "inspect [flags] CONTAINER|IMAGE... | docker://REFERENCE",
		Short: "Show containers and images of the store, or an image in a registry",
		Long: `Show containers and images of berth's store as JSON (or through a Go
template with --format), as podman inspect does; --type container|image limits
the search.

With docker://REFERENCE, show what a registry holds without fetching its
layers, as skopeo inspect does: name, digest, tags of the repository, creation
time, labels, platform, layers and environment. --raw prints the manifest (or
index) as served, --config the image configuration.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			remote := countPrefixed(args, "docker://")
			switch {
			case remote == 0:
				return inspectEngine(cmd, args, f.format, f.kind)
			case len(args) > 1:
				return fmt.Errorf("inspect: one docker:// reference at a time: %w", errdefs.ErrInvalidArgument)
			}
			return runRemoteInspect(cmd, args[0], &f)
		},
	}
	f.reg.add(cmd.Flags(), "", true)
	cmd.Flags().BoolVar(&f.raw, "raw", false, "print the manifest or index exactly as the registry serves it")
	cmd.Flags().BoolVar(&f.config, "config", false, "print the image configuration")
	cmd.Flags().BoolVarP(&f.noTags, "no-tags", "n", false, "do not list the repository's tags")
	cmd.Flags().StringVar(&f.platform, "platform", "", "`OS/ARCH[/VARIANT]` to choose from an index (default: this host's)")
	cmd.Flags().StringVarP(&f.format, "format", "f", "json", "store objects: json or a Go template")
	cmd.Flags().StringVar(&f.kind, "type", "", "store objects: container or image (default: whichever the name finds)")
	return cmd
}

func runRemoteInspect(cmd *cobra.Command, arg string, f *inspectFlags) error {
	ref, err := parseDockerRef(arg)
	if err != nil {
		return err
	}
	p, err := platformFlag(f.platform)
	if err != nil {
		return err
	}
	c, err := f.reg.clientFor(ref, progress.Discard, 0)
	if err != nil {
		return err
	}
	in, err := c.Inspect(cmd.Context(), ref, p)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	switch {
	case f.raw:
		_, err = out.Write(in.RootData)
		return err
	case f.config:
		if in.ConfigData == nil {
			return fmt.Errorf("%s: the manifest's config is %s, not an image configuration: %w", ref, in.Manifest.Config.MediaType, errdefs.ErrInvalidArgument)
		}
		_, err = out.Write(in.ConfigData)
		return err
	}
	var tags []string
	if !f.noTags {
		if tags, err = c.ListTags(cmd.Context(), ref, 0); err != nil {
			return err
		}
	}
	return printJSON(out, summariseRemote(ref, in, tags))
}

func summariseRemote(ref registry.Reference, in *registry.Inspection, tags []string) remoteInspection {
	r := remoteInspection{Name: ref.Name(), Digest: in.Root.Digest, RepoTags: tags, Labels: map[string]string{}, Layers: []digest.Digest{}, LayersData: []layerData{}, Env: []string{}}
	if r.RepoTags == nil {
		r.RepoTags = []string{}
	}
	for _, l := range in.Manifest.Layers {
		r.Layers = append(r.Layers, l.Digest)
		r.LayersData = append(r.LayersData, layerData{MIMEType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations})
	}
	if c := in.Config; c != nil {
		r.Created, r.Architecture, r.Os, r.Variant = c.Created, c.Architecture, c.OS, c.Variant
		if c.Config.Labels != nil {
			r.Labels = c.Config.Labels
		}
		if c.Config.Env != nil {
			r.Env = c.Config.Env
		}
	}
	return r
}
