package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/errdefs"
	"github.com/berth-oci/berth/internal/atomicfile"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ConfigFile is the name of a bundle's runtime config.
const ConfigFile = "config.json"

// WriteConfig writes s as dir/config.json, atomically.
func WriteConfig(dir string, s *specs.Spec) error {
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		return fmt.Errorf("encode %s: %w", ConfigFile, err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, ConfigFile), append(data, '\n'), 0o644)
}

// ReadConfig reads dir/config.json.
func ReadConfig(dir string) (*specs.Spec, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	return &s, nil
}
