package engine

import (
	"crypto/rand"
	"encoding/hex"
	"math/big"
)

// newID returns a random 64-hex-digit ID, as container IDs are.
func newID() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var (
	nameAdjectives = []string{"amber", "bold", "brave", "calm", "clever", "crisp", "eager", "fair", "gentle",
		"happy", "keen", "lively", "lucid", "merry", "nimble", "proud", "quiet", "rapid", "serene", "sharp",
		"steady", "swift", "tidy", "vivid", "warm", "wise", "witty", "young", "zesty", "jolly"}
	nameNouns = []string{"anchor", "barge", "beacon", "buoy", "cargo", "clipper", "current", "dock", "ferry",
		"galley", "harbor", "helm", "hull", "jetty", "keel", "lagoon", "mast", "mooring", "pier", "quay",
		"rudder", "sail", "schooner", "skiff", "tide", "wharf", "cove", "reef", "tug", "yacht"}
)

// randomName makes a container name like podman's: adjective_noun, with a
// number after it on the later tries.
func randomName(try int) string {
	pick := func(list []string) string {
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(list))))
		return list[n.Int64()]
	}
	name := pick(nameAdjectives) + "_" + pick(nameNouns)
	if try > 0 {
		n, _ := rand.Int(rand.Reader, big.NewInt(10000))
		name += "_" + n.String()
	}
	return name
}
