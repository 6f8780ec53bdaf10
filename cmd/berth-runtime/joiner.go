//go:build embedjoiner

package main

import (
	_ "embed"

	"github.com/berth-oci/berth/runtime"
)

// joiner is this command built with cgo, the nsenter constructor in it:
// `make build` builds it into joiner.bin, then this binary without cgo
// around it (see runtime.RegisterJoiner).
//
//go:embed joiner.bin
var joiner []byte

func init() { runtime.RegisterJoiner(joiner) }
