package cli

import (
	"time"

	"github.com/berth-oci/berth/engine"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"
)

// imageInspect is an image of the store as `podman image inspect` shows it.
type imageInspect struct {
	ID           string              `json:"Id"`
	Digest       string              `json:"Digest"`
	RepoTags     []string            `json:"RepoTags"`
	RepoDigests  []string            `json:"RepoDigests"`
	Created      time.Time           `json:"Created"`
	Config       ocispec.ImageConfig `json:"Config"`
	Version      string              `json:"Version"`
	Author       string              `json:"Author"`
	Architecture string              `json:"Architecture"`
	Os           string              `json:"Os"`
	Size         int64               `json:"Size"`
	VirtualSize  int64               `json:"VirtualSize"`
	RootFS       ocispec.RootFS      `json:"RootFS"`
	History      []ocispec.History   `json:"History"`
	Labels       map[string]string   `json:"Labels"`
	ManifestType string              `json:"ManifestType"`
	NamesHistory []string            `json:"NamesHistory"`
}

func imageInspectOf(cmd *cobra.Command, e *engine.Engine, img *engine.Image) (*imageInspect, error) {
	cfg, err := e.ImageConfig(cmd.Context(), img)
	if err != nil {
		return nil, err
	}
	j := toImageJSON(img)
	return &imageInspect{
		ID: img.ID.Encoded(), Digest: img.Manifest.Digest.String(), RepoTags: j.RepoTags, RepoDigests: j.RepoDigests,
		Created: img.Created, Config: cfg.Config, Author: cfg.Author, Architecture: cfg.Architecture, Os: cfg.OS,
		Size: img.Size, VirtualSize: img.Size, RootFS: cfg.RootFS, History: cfg.History, Labels: cfg.Config.Labels,
		ManifestType: img.Manifest.MediaType, NamesHistory: img.Names,
	}, nil
}
