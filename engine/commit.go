package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/berth-oci/berth/bundle"
	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/layer"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CommitOptions control Commit.
type CommitOptions struct {
	Author  string
	Message string
	// Changes are Dockerfile instructions applied to the config (CMD,
	// ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME).
	Changes []string
	// Pause freezes a running container while its changes are read.
	Pause bool
	// Compression of the new layer: gzip (default), zstd or none.
	Compression layer.Compression
}

// Commit makes a new image of container s: its image plus one layer of
// what the container changed (read from its overlay upper directory), with
// the container's command, environment and settings in the config, named
// name (none when empty).
func (e *Engine) Commit(ctx context.Context, s, name string, o CommitOptions) (*Image, error) {
	r, err := e.lookupRecord(s)
	if err != nil {
		return nil, err
	}
	var names []string
	if name != "" {
		full, err := NormalizeName(name)
		if err != nil {
			return nil, err
		}
		names = []string{full}
	}
	base, err := e.LookupImage(ctx, r.ImageID.String())
	if err != nil {
		return nil, fmt.Errorf("commit %s: its image: %w", r.Name, err)
	}
	bi, err := bundle.ReadImage(ctx, e.content, base.Manifest)
	if err != nil {
		return nil, err
	}
	cfg := *bi.Config
	if err := applyContainerConfig(&cfg.Config, &r.Options); err != nil {
		return nil, err
	}
	for _, c := range o.Changes {
		if err := ApplyChange(&cfg.Config, c); err != nil {
			return nil, err
		}
	}
	lk, err := e.useStore()
	if err != nil {
		return nil, err
	}
	defer lk.Unlock()
	diff, err := e.diffContainer(ctx, r, o)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	cfg.Created, cfg.Author = &now, o.Author
	cfg.RootFS.DiffIDs = append(append([]digest.Digest{}, cfg.RootFS.DiffIDs...), diff.DiffID)
	cfg.History = append(append([]ocispec.History{}, cfg.History...), ocispec.History{
		Created: &now, CreatedBy: "berth commit " + r.Name, Comment: o.Message, Author: o.Author,
	})
	m := *bi.Manifest
	m.MediaType = ocispec.MediaTypeImageManifest
	m.Layers = append(append([]ocispec.Descriptor{}, m.Layers...), ocispec.Descriptor{MediaType: diff.MediaType, Digest: diff.Digest, Size: diff.Size})
	if m.Config, err = e.putJSON(ctx, ocispec.MediaTypeImageConfig, cfg); err != nil {
		return nil, err
	}
	desc, err := e.putJSON(ctx, ocispec.MediaTypeImageManifest, m)
	if err != nil {
		return nil, err
	}
	return e.addImage(ctx, desc, nil, names)
}

// diffContainer writes the container's changes as a layer blob.
func (e *Engine) diffContainer(ctx context.Context, r *containerRecord, o CommitOptions) (*layer.DiffResult, error) {
	if o.Pause {
		if st := e.currentState(r.ID); st.Status == StatusRunning {
			if err := e.runtime(r).Pause(ctx, r.ID); err == nil {
				defer e.runtime(r).Resume(context.Background(), r.ID)
			}
		}
	}
	tmp, err := os.CreateTemp(e.path("content"), "commit-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	comp := o.Compression
	if comp == 0 {
		comp = layer.Gzip
	}
	res, err := layer.Diff(ctx, "", e.ctrPath(r.ID, ctrUpper), tmp, layer.DiffOptions{Compression: comp, Format: layer.Overlay})
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", r.Name, err)
	}
	if _, err := tmp.Seek(0, 0); err != nil {
		return nil, err
	}
	desc := ocispec.Descriptor{MediaType: res.MediaType, Digest: res.Digest, Size: res.Size}
	if err := content.WriteBlob(ctx, e.content, desc, tmp); err != nil {
		return nil, err
	}
	return &res, nil
}

func (e *Engine) putJSON(ctx context.Context, mt string, v any) (ocispec.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(data), Size: int64(len(data))}
	return d, content.WriteBlob(ctx, e.content, d, bytes.NewReader(data))
}

// applyContainerConfig puts the container's own settings into the image
// config, as podman commit does.
func applyContainerConfig(c *ocispec.ImageConfig, o *CreateOptions) error {
	if o.Entrypoint != nil {
		c.Entrypoint, c.Cmd = *o.Entrypoint, nil
	}
	if len(o.Command) > 0 {
		c.Cmd = o.Command
	}
	c.Env = mergeEnv(c.Env, o.Env)
	if o.WorkingDir != "" {
		c.WorkingDir = o.WorkingDir
	}
	if o.User != "" {
		c.User = o.User
	}
	if o.StopSignal != "" {
		c.StopSignal = o.StopSignal
	}
	for k, v := range o.Labels {
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		c.Labels[k] = v
	}
	return nil
}

// ApplyChange applies one Dockerfile instruction to an image config.
func ApplyChange(c *ocispec.ImageConfig, change string) error {
	instr, arg, _ := strings.Cut(strings.TrimSpace(change), " ")
	arg = strings.TrimSpace(arg)
	bad := func(why string) error {
		return fmt.Errorf("--change %q: %s: %w", change, why, errdefs.ErrInvalidArgument)
	}
	list := func() []string {
		var l []string
		if strings.HasPrefix(arg, "[") && json.Unmarshal([]byte(arg), &l) == nil {
			return l
		}
		return []string{"/bin/sh", "-c", arg}
	}
	pairs := func() (map[string]string, error) {
		out := map[string]string{}
		for _, f := range strings.Fields(arg) {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return nil, bad("want NAME=VALUE")
			}
			out[k] = strings.Trim(v, `"`)
		}
		return out, nil
	}
	switch strings.ToUpper(instr) {
	case "CMD":
		c.Cmd = list()
	case "ENTRYPOINT":
		c.Entrypoint = list()
	case "ENV":
		kv, err := pairs()
		if err != nil {
			return err
		}
		for k, v := range kv {
			c.Env = mergeEnv(c.Env, []string{k + "=" + v})
		}
	case "LABEL":
		kv, err := pairs()
		if err != nil {
			return err
		}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		for k, v := range kv {
			c.Labels[k] = v
		}
	case "WORKDIR":
		c.WorkingDir = arg
	case "USER":
		c.User = arg
	case "STOPSIGNAL":
		c.StopSignal = arg
	case "EXPOSE", "VOLUME":
		set := map[string]struct{}{}
		for _, p := range strings.Fields(arg) {
			if strings.ToUpper(instr) == "EXPOSE" && !strings.Contains(p, "/") {
				p += "/tcp"
			}
			set[p] = struct{}{}
		}
		if strings.ToUpper(instr) == "EXPOSE" {
			c.ExposedPorts = mergeSet(c.ExposedPorts, set)
		} else {
			c.Volumes = mergeSet(c.Volumes, set)
		}
	default:
		return bad("unsupported instruction")
	}
	return nil
}

func mergeSet(a, b map[string]struct{}) map[string]struct{} {
	if a == nil {
		a = map[string]struct{}{}
	}
	for k := range b {
		a[k] = struct{}{}
	}
	return a
}
