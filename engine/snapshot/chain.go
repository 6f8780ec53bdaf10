package snapshot

import (
	digest "github.com/opencontainers/go-digest"
)

// ChainIDs returns the chain ID of each layer of an image whose layers have
// the given diff IDs, as image-spec config.md defines them:
// ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
// A snapshot named by ChainID(Ln) holds layer n alone; the chain up to n is
// the snapshots of ChainID(L0) … ChainID(Ln).
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = digest.FromString(out[i-1].String() + " " + d.String())
	}
	return out
}
