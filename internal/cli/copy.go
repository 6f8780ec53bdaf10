package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/berth-oci/berth/engine"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/atomicfile"
	"github.com/berth-oci/berth/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

type copyFlags struct {
	src, dest                   registryFlags
	all, quiet                  bool
	platform                    string
	overrideOS, overrideArch    string
	overrideVariant, digestFile string
	parallel                    int
	format                      string
	preserveDigests             bool
}

func newCopyCommand() *cobra.Command {
	var f copyFlags
	cmd := &cobra.Command{
		Use:   "copy [flags] SOURCE DESTINATION",
		Short: "Copy an image between registries, layouts and archives",
		Long: `Copy an image from SOURCE to DESTINATION, as skopeo copy does. Both are
written TRANSPORT:NAME:

  docker://REFERENCE          an image in a registry (docker.io/library/alpine:3)
  oci:PATH[:NAME]             an OCI image layout, the image named NAME in it
  docker-archive:PATH[:REF]   a docker save tarball (a source may name @N)
  berth-storage:NAME          berth's own image store (berth images), as
                              --root and --runroot choose it

Every blob is verified by digest before it is stored, blobs the destination
has already are skipped, and an interrupted download resumes where it broke.
From a multi-platform index only the manifest for --platform (default: this
host's) is copied, unless --all copies the index with every platform. Docker
manifests copied into an OCI layout become OCI ones (--preserve-digests keeps
them as they are).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runCopy(cmd, args[0], args[1], &f) },
	}
	fs := cmd.Flags()
	f.src.add(fs, "src-", true)
	f.dest.add(fs, "dest-", true)
	fs.BoolVarP(&f.all, "all", "a", false, "copy every platform of an index, and the index")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print no progress")
	fs.StringVar(&f.platform, "platform", "", "`OS/ARCH[/VARIANT]` to choose from an index (default: this host's)")
	fs.StringVar(&f.overrideOS, "override-os", "", "choose the image for `OS` (skopeo's flag)")
	fs.StringVar(&f.overrideArch, "override-arch", "", "choose the image for `ARCH` (skopeo's flag)")
	fs.StringVar(&f.overrideVariant, "override-variant", "", "choose the image for `VARIANT` (skopeo's flag)")
	fs.StringVar(&f.digestFile, "digestfile", "", "write the digest of the copied manifest to `FILE`")
	fs.IntVar(&f.parallel, "image-parallel-copies", 0, "copy at most `N` blobs at once (default 4)")
	fs.StringVarP(&f.format, "format", "f", "", "convert manifests to `TYPE` (oci); oci: destinations get oci unless --preserve-digests")
	fs.BoolVar(&f.preserveDigests, "preserve-digests", false, "copy manifests as they are, never converting them")
	return cmd
}

func runCopy(cmd *cobra.Command, srcName, dstName string, f *copyFlags) (err error) {
	ctx := cmd.Context()
	p, err := f.wantPlatform()
	if err != nil {
		return err
	}
	r := renderer(cmd.ErrOrStderr(), f.quiet)
	defer func() { err = errors.Join(err, r.Close()) }()
	store := func() (*engine.StoreEnd, error) {
		e, err := openEngine(cmd)
		if err != nil {
			return nil, err
		}
		return e.StoreEnd(p)
	}
	src, err := openEnd(ctx, srcName, false, endOpeners{store: store, client: func(ref registry.Reference) (*registry.Client, error) { return f.src.clientFor(ref, r, f.parallel) }})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, src.finish(err == nil)) }()
	dst, err := openEnd(ctx, dstName, true, endOpeners{store: store, client: func(ref registry.Reference) (*registry.Client, error) { return f.dest.clientFor(ref, r, f.parallel) }})
	if err != nil {
		return err
	}
	toOCI, err := f.convert(dstName)
	if err != nil {
		return err
	}
	copied, err := registry.Copy(ctx, src.loc, dst.loc, registry.CopyOptions{Platform: p, All: f.all, Progress: r, Concurrency: f.parallel, OCI: toOCI})
	if ferr := dst.finish(err == nil); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if f.digestFile != "" {
		return atomicfile.WriteFile(f.digestFile, []byte(copied.Root.Digest.String()), 0o644)
	}
	return nil
}

// convert says whether Docker manifests become OCI ones: asked with
// --format oci, and by default for OCI layouts (as skopeo does).
func (f *copyFlags) convert(dst string) (bool, error) {
	switch {
	case f.format != "" && f.format != "oci":
		return false, fmt.Errorf("--format %q: berth converts to oci only: %w", f.format, errdefs.ErrInvalidArgument)
	case f.format == "oci" && f.preserveDigests:
		return false, fmt.Errorf("--format oci and --preserve-digests contradict each other: %w", errdefs.ErrInvalidArgument)
	case f.format == "oci":
		return true, nil
	}
	return !f.preserveDigests && strings.HasPrefix(dst, transportOCI+":"), nil
}

// wantPlatform merges --platform and skopeo's --override-* flags.
func (f *copyFlags) wantPlatform() (*ocispec.Platform, error) {
	p, err := platformFlag(f.platform)
	if err != nil {
		return nil, err
	}
	if f.overrideOS == "" && f.overrideArch == "" && f.overrideVariant == "" {
		return p, nil
	}
	if p != nil {
		return nil, fmt.Errorf("--platform and --override-*: give one or the other: %w", errdefs.ErrInvalidArgument)
	}
	host := image.Host()
	q := ocispec.Platform{OS: host.OS, Architecture: host.Architecture, Variant: host.Variant}
	if f.overrideOS != "" {
		q.OS = f.overrideOS
	}
	if f.overrideArch != "" {
		q.Architecture, q.Variant = f.overrideArch, ""
	}
	if f.overrideVariant != "" {
		q.Variant = f.overrideVariant
	}
	return &q, nil
}
