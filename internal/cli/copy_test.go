package cli

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/fixture"
)

// berth copy between every transport: layout → registry → layout, a
// docker archive both ways, and skopeo reading what berth pushed.
func TestCopyAcrossTransports(t *testing.T) {
	host := startRegistry(t, nil)
	dir, img := testLayout(t)
	tmp := t.TempDir()
	digestOf := func(args ...string) string {
		t.Helper()
		file := filepath.Join(tmp, "digest")
		mustBerth(t, append([]string{"copy", "-q", "--digestfile", file}, args...)...)
		return readFile(t, file)
	}
	remote := "docker://" + host + "/cli/app:v1"
	if got := digestOf("oci:"+dir+":v1", remote); got != img.Manifest.Digest.String() {
		t.Fatalf("pushed %s, want %s", got, img.Manifest.Digest)
	}
	out := filepath.Join(tmp, "out")
	if got := digestOf(remote, "oci:"+out+":pulled"); got != img.Manifest.Digest.String() {
		t.Fatalf("pulled %s, want %s", got, img.Manifest.Digest)
	}
	mustBerth(t, "image", "validate", "oci:"+out+":pulled")

	// Registry to registry, then to a docker archive and back.
	digestOf(remote, "docker://"+host+"/cli/copy:v2")
	archive := filepath.Join(tmp, "app.tar")
	mustBerth(t, "copy", "-q", "docker://"+host+"/cli/copy:v2", "docker-archive:"+archive+":example.com/app:v2")
	mustBerth(t, "copy", "-q", "docker-archive:"+archive+":example.com/app:v2", "oci:"+out+":fromarchive")
	mustBerth(t, "image", "validate", "oci:"+out+":fromarchive")
	if ls := mustBerth(t, "image", "ls", "oci:"+out); !strings.Contains(ls, "fromarchive") || !strings.Contains(ls, "pulled") {
		t.Fatalf("layout after copies:\n%s", ls)
	}

	t.Run("skopeo", func(t *testing.T) {
		skopeo := fixture.RequireTool(t, "skopeo")
		sk := filepath.Join(tmp, "skopeo")
		if o, err := exec.Command(skopeo, "copy", "--src-tls-verify=false", remote, "oci:"+sk+":v1").CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy: %v\n%s", err, o)
		}
		var idx struct{ Manifests []struct{ Digest string } }
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(sk, "index.json"))), &idx); err != nil || len(idx.Manifests) != 1 || idx.Manifests[0].Digest != img.Manifest.Digest.String() {
			t.Fatalf("skopeo read %+v (%v), berth pushed %s", idx, err, img.Manifest.Digest)
		}

		// A Docker schema 2 image (skopeo converts on the way up) lands in a
		// layout as OCI, unless --preserve-digests.
		docker := "docker://" + host + "/cli/docker:v1"
		if o, err := exec.Command(skopeo, "copy", "--format", "v2s2", "--dest-tls-verify=false", "oci:"+dir+":v1", docker).CombinedOutput(); err != nil {
			t.Fatalf("skopeo copy --format v2s2: %v\n%s", err, o)
		}
		if raw := mustBerth(t, "inspect", "--raw", docker); !strings.Contains(raw, "application/vnd.docker.distribution.manifest.v2+json") {
			t.Fatalf("skopeo pushed %s", raw)
		}
		conv := filepath.Join(tmp, "conv")
		mustBerth(t, "copy", "-q", docker, "oci:"+conv+":oci")
		mustBerth(t, "copy", "-q", "--preserve-digests", docker, "oci:"+conv+":docker")
		ls := mustBerth(t, "image", "ls", "--format", "json", "oci:"+conv)
		if !strings.Contains(ls, "application/vnd.oci.image.manifest.v1+json") || !strings.Contains(ls, "application/vnd.docker.distribution.manifest.v2+json") {
			t.Fatalf("layout after converting and preserving copies:\n%s", ls)
		}
		mustBerth(t, "image", "validate", "oci:"+conv+":oci")
	})
}

func TestCopyRefusesBadInput(t *testing.T) {
	host := startRegistry(t, nil)
	dir, _ := testLayout(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"oci:" + dir + ":v1", host + "/x:y"}, `unknown transport "127.0.0.1": name one of docker://REF`},
		{[]string{"oci:" + dir + ":v1", "alpine"}, "name a transport"},
		{[]string{"oci:" + dir + ":v1", "docker:" + host + "/x:y"}, "written docker://REF"},
		{[]string{"oci:" + dir + ":v1", "ftp://x"}, `unknown transport "ftp"`},
		{[]string{"oci:" + dir + ":nope", "docker://" + host + "/x:y"}, `no image named "nope"`},
		{[]string{"docker://" + host + "/no/such:v1", "oci:" + dir + ":x"}, "registry " + host + ": manifest unknown: tag v1 of repository no/such"},
		{[]string{"--src-creds", "nocolon", "docker://" + host + "/x:y", "oci:" + dir + ":x"}, "--creds: want USER:PASSWORD"},
		{[]string{"--platform", "linux/amd64", "--override-arch", "arm64", "oci:" + dir + ":v1", "oci:" + dir + ":x"}, "give one or the other"},
	} {
		_, errOut, code := berth(t, append([]string{"copy", "-q"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("berth copy %v: exit %d, %q; want one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	if ls := mustBerth(t, "image", "ls", "oci:"+dir); strings.Contains(ls, "x ") {
		t.Errorf("a failed copy named an image:\n%s", ls)
	}
}
