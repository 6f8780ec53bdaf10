//go:build !linux

package cgroups

import (
	"fmt"

	"github.com/berth-oci/berth/errdefs"
)

// New needs Linux: control groups are a Linux kernel feature.
func New(c Config) (Manager, error) {
	return nil, fmt.Errorf("cgroups: %w on this operating system", errdefs.ErrNotImplemented)
}

// Load needs Linux, as New does.
func Load(s Saved) (Manager, error) { return New(Config{}) }
