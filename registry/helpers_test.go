package registry_test

import (
	"context"
	"io"
	"os/exec"
	"testing"
	"time"

	"github.com/berth-oci/berth/content"
	"github.com/berth-oci/berth/content/local"
	"github.com/berth-oci/berth/image"
	"github.com/berth-oci/berth/internal/fixture"
	"github.com/berth-oci/berth/internal/progress"
	"github.com/berth-oci/berth/registry"
	"github.com/berth-oci/berth/registry/auth"
	"github.com/berth-oci/berth/registry/internal/registrytest"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var ctx = context.Background()

func startRegistry(t *testing.T, opts registrytest.Options) *registrytest.Registry {
	t.Helper()
	opts.Binary = fixture.RequireTool(t, "docker-registry")
	return registrytest.Start(t, opts)
}

func newStore(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.New(t.TempDir() + "/blobs")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newClient returns a client with quick retries and no credentials unless
// opts names some, so the tests never read the user's files.
func newClient(opts registry.Options) *registry.Client {
	if opts.Credentials == nil {
		opts.Credentials = auth.Anonymous
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 10 * time.Millisecond
	}
	return registry.New(opts)
}

func mustRef(t *testing.T, s string) registry.Reference {
	t.Helper()
	r, err := registry.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var linuxAMD64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// verifyStore re-reads every blob of s and checks it against its digest,
// and validates every manifest and index among them; it returns the
// digests found.
func verifyStore(t *testing.T, s content.Store) map[digest.Digest]bool {
	t.Helper()
	found := map[digest.Digest]bool{}
	err := s.Walk(ctx, func(info content.Info) error {
		found[info.Digest] = true
		ra, err := s.ReaderAt(ctx, ocispec.Descriptor{Digest: info.Digest})
		if err != nil {
			return err
		}
		defer ra.Close()
		v := info.Digest.Verifier()
		if _, err := io.Copy(v, content.NewReader(ra)); err != nil {
			return err
		}
		if !v.Verified() {
			t.Errorf("blob %s does not match its digest", info.Digest)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// validate checks a stored manifest or index with image.Validate.
func validate(t *testing.T, s content.Provider, d ocispec.Descriptor) {
	t.Helper()
	data, err := content.ReadBlob(ctx, s, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := image.Validate(d.MediaType, data); err != nil {
		t.Fatalf("%s %s: %v", d.MediaType, d.Digest, err)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func recorder() *progress.Recorder { return &progress.Recorder{} }
