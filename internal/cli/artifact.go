package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/registry"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

func newArtifactCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "artifact",
		Short: "Push, pull and list OCI artifacts in registries",
		Long: `Push, pull and list OCI artifacts: files kept in a registry as an image manifest
with an artifactType, optionally attached to an image (its subject) so they
are found among the image's referrers: signatures, SBOMs, attestations.
Registries without the referrers API (distribution 2.8) are served through the
referrers tag schema.`,
	}
	cmd.AddCommand(newArtifactPushCommand(), newArtifactPullCommand(), newArtifactLsCommand())
	return cmd
}

type artifactPushFlags struct {
	reg          registryFlags
	artifactType string
	subject      string
	annotations  []string
	quiet        bool
}

func newArtifactPushCommand() *cobra.Command {
	var f artifactPushFlags
	cmd := &cobra.Command{
		Use:   "push [flags] docker://REFERENCE FILE[:MEDIATYPE]...",
		Short: "Push files as an artifact",
		Long: `Push FILEs as the layers of an artifact (each titled by its base name) to
REFERENCE, and print its digest. --subject attaches it to an image, named by a
reference or by a digest in the same repository.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runArtifactPush(cmd, args, &f) },
	}
	fs := cmd.Flags()
	f.reg.add(fs, "", true)
	fs.StringVar(&f.artifactType, "artifact-type", "", "the artifact's `TYPE` (a media type; required)")
	fs.StringVar(&f.subject, "subject", "", "attach the artifact to the image `REF` (docker://REF or sha256:...)")
	fs.StringArrayVar(&f.annotations, "annotation", nil, "add `KEY=VALUE` to the manifest's annotations")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func runArtifactPush(cmd *cobra.Command, args []string, f *artifactPushFlags) (err error) {
	ref, err := parseDockerRef(args[0])
	if err != nil {
		return err
	}
	a := registry.Artifact{ArtifactType: f.artifactType}
	for _, arg := range args[1:] {
		path, mt, _ := strings.Cut(arg, ":")
		a.Files = append(a.Files, registry.ArtifactFile{Path: path, MediaType: mt})
	}
	if len(f.annotations) > 0 {
		a.Annotations = map[string]string{}
		for _, kv := range f.annotations {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("--annotation %q: want KEY=VALUE: %w", kv, errdefs.ErrInvalidArgument)
			}
			a.Annotations[k] = v
		}
	}
	r := renderer(cmd.ErrOrStderr(), f.quiet)
	defer func() { err = errors.Join(err, r.Close()) }()
	c, err := f.reg.clientFor(ref, r, 0)
	if err != nil {
		return err
	}
	if f.subject != "" {
		subject, err := resolveSubject(cmd.Context(), c, ref, f.subject)
		if err != nil {
			return err
		}
		a.Subject = &subject
	}
	desc, err := c.PushArtifact(cmd.Context(), ref, a)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), desc.Digest)
	return err
}

// resolveSubject finds the descriptor of the image s names: a digest in
// ref's repository or a reference of the same registry.
func resolveSubject(ctx context.Context, c *registry.Client, ref registry.Reference, s string) (ocispec.Descriptor, error) {
	sref := ref.WithDigest(digest.Digest(s))
	if _, err := digest.Parse(s); err != nil {
		if sref, err = parseDockerRef(s); err != nil {
			return ocispec.Descriptor{}, fmt.Errorf("--subject: %w", err)
		}
		if sref.Registry != ref.Registry {
			return ocispec.Descriptor{}, fmt.Errorf("--subject %s: the subject must be in the artifact's registry %s: %w", s, ref.Registry, errdefs.ErrInvalidArgument)
		}
	}
	d, err := c.Resolve(ctx, sref)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("--subject: %w", err)
	}
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}, nil
}

type artifactPullFlags struct {
	reg          registryFlags
	artifactType string
	output       string
	quiet        bool
}

func newArtifactPullCommand() *cobra.Command {
	var f artifactPullFlags
	cmd := &cobra.Command{
		Use:   "pull [flags] docker://REFERENCE",
		Short: "Pull an artifact's files",
		Long: `Pull the artifact REFERENCE names and write its titled layers into the output
directory. With --artifact-type, REFERENCE names an image instead and every
artifact of that type attached to it is pulled, each into a directory named by
its digest when there are several.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runArtifactPull(cmd, args[0], &f) },
	}
	fs := cmd.Flags()
	f.reg.add(fs, "", true)
	fs.StringVar(&f.artifactType, "artifact-type", "", "pull the artifacts of `TYPE` attached to the image REFERENCE")
	fs.StringVarP(&f.output, "output", "o", ".", "write the files into `DIR`")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress")
	return cmd
}

func runArtifactPull(cmd *cobra.Command, arg string, f *artifactPullFlags) (err error) {
	ctx := cmd.Context()
	ref, err := parseDockerRef(arg)
	if err != nil {
		return err
	}
	r := renderer(cmd.ErrOrStderr(), f.quiet)
	defer func() { err = errors.Join(err, r.Close()) }()
	c, err := f.reg.clientFor(ref, r, 0)
	if err != nil {
		return err
	}
	targets := []registry.Reference{ref}
	if f.artifactType != "" {
		if targets, err = referrerRefs(ctx, c, ref, f.artifactType); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "berth-artifact-")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	store, err := local.New(filepath.Join(tmp, "blobs"))
	if err != nil {
		return err
	}
	for _, t := range targets {
		dir := f.output
		if len(targets) > 1 {
			dir = filepath.Join(dir, t.Digest.Encoded()[:12])
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		got, err := c.PullArtifact(ctx, t, store, dir)
		if err != nil {
			return err
		}
		for _, path := range got.Files {
			fmt.Fprintln(cmd.OutOrStdout(), path)
		}
	}
	return nil
}

// referrerRefs lists the artifacts of artifactType attached to ref.
func referrerRefs(ctx context.Context, c *registry.Client, ref registry.Reference, artifactType string) ([]registry.Reference, error) {
	subject, err := c.Resolve(ctx, ref)
	if err != nil {
		return nil, err
	}
	list, err := c.ListReferrers(ctx, ref, subject.Digest, artifactType)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s has no artifacts of type %s: %w", ref, artifactType, errdefs.ErrNotFound)
	}
	var out []registry.Reference
	for _, d := range list {
		out = append(out, ref.WithTag("").WithDigest(d.Digest))
	}
	return out, nil
}

func newArtifactLsCommand() *cobra.Command {
	var (
		reg          registryFlags
		artifactType string
		format       string
	)
	cmd := &cobra.Command{
		Use:   "ls [flags] docker://REFERENCE",
		Short: "List the artifacts attached to an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, formatTable, formatJSON); err != nil {
				return err
			}
			ref, err := parseDockerRef(args[0])
			if err != nil {
				return err
			}
			c, err := reg.clientFor(ref, nil, 0)
			if err != nil {
				return err
			}
			subject, err := c.Resolve(cmd.Context(), ref)
			if err != nil {
				return err
			}
			list, err := c.ListReferrers(cmd.Context(), ref, subject.Digest, artifactType)
			if err != nil {
				return err
			}
			if format == formatJSON {
				if list == nil {
					list = []ocispec.Descriptor{}
				}
				return printJSON(cmd.OutOrStdout(), list)
			}
			t := newTable(cmd.OutOrStdout(), "DIGEST", "ARTIFACT TYPE", "SIZE", "ANNOTATIONS")
			for _, d := range list {
				t.row(d.Digest.String(), d.ArtifactType, humanSize(d.Size), strings.Join(keyValues(d.Annotations), ","))
			}
			return t.flush()
		},
	}
	reg.add(cmd.Flags(), "", true)
	cmd.Flags().StringVar(&artifactType, "artifact-type", "", "list only artifacts of `TYPE`")
	addFormatFlag(cmd, &format, formatTable)
	return cmd
}
