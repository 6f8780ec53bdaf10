// Package dockerarchive reads and writes the tarballs of `docker save` and
// `docker load`: the classic layout (manifest.json, repositories, a
// directory per layer holding layer.tar, the config as <hex>.json) and the
// layout Docker 25 and later write, an OCI image layout with manifest.json
// and repositories beside it.
package dockerarchive

// manifestEntry is one image of manifest.json.
type manifestEntry struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

// repositories is the legacy "repositories" file: repository → tag → the
// v1 id of the image's top layer.
type repositories map[string]map[string]string

const (
	manifestFile     = "manifest.json"
	repositoriesFile = "repositories"
)
