package layer

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// FuzzApply feeds arbitrary blobs to Apply: it may refuse them, but must
// not panic, hang, or change anything outside the root.
func FuzzApply(f *testing.F) {
	f.Add(mkTar(f, dir("a/"), reg("a/b", "hello"), sym("c", "a/b"), hard("d", "a/b")))
	f.Add(mkTar(f, reg("f", "x"), wh(".wh.f"), dir("o/"), wh("o/.wh..wh..opq"), reg("o/n", "n")))
	f.Add(compress(f, mkTar(f, reg("gz", "gzip")), Gzip))
	f.Add(compress(f, mkTar(f, reg("zst", "zstd")), Zstd))
	for _, c := range hostileCases(f) {
		for _, l := range c.layers(&sandbox{base: "/tmp/fuzz-base", canary: "/tmp/fuzz-base/canary"}) {
			if len(l) < 1<<16 {
				f.Add(l)
			}
		}
	}
	f.Fuzz(func(t *testing.T, blob []byte) {
		s := newSandbox(t)
		opts := ApplyOptions{MaxSize: 8 << 20, Rootless: os.Geteuid() != 0}
		Apply(context.Background(), s.root, bytes.NewReader(blob), opts)
		s.check(t)
	})
}
