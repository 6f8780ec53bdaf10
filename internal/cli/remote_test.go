package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestInspectAndTagsRemote(t *testing.T) {
	host := startRegistry(t, nil)
	dir, img := testLayout(t)
	for _, tag := range []string{"v1", "v2", "v3"} {
		mustBerth(t, "copy", "-q", "oci:"+dir+":v1", "docker://"+host+"/cli/inspect:"+tag)
	}
	var in remoteInspection
	out := mustBerth(t, "inspect", "docker://"+host+"/cli/inspect:v2")
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatalf("inspect output %s: %v", out, err)
	}
	if in.Name != host+"/cli/inspect" || in.Digest != img.Manifest.Digest || in.Os != "linux" || in.Architecture != "amd64" ||
		len(in.Layers) != 2 || in.Layers[1] != img.Layers[1].Digest || strings.Join(in.RepoTags, ",") != "v1,v2,v3" || in.Env[0] != "A=1" {
		t.Fatalf("inspect: %+v", in)
	}
	if raw := mustBerth(t, "inspect", "--raw", "docker://"+host+"/cli/inspect:v1"); digest.FromString(raw) != img.Manifest.Digest {
		t.Fatalf("--raw printed %q, not the manifest", raw)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal([]byte(mustBerth(t, "inspect", "--config", "docker://"+host+"/cli/inspect:v1")), &cfg); err != nil || len(cfg.RootFS.DiffIDs) != 2 {
		t.Fatalf("--config: %+v, %v", cfg, err)
	}
	if _, errOut, code := berth(t, "inspect", "docker://"+host+"/cli/inspect:v9"); code == 0 || !strings.Contains(errOut, "manifest unknown: tag v9 of repository cli/inspect") {
		t.Fatalf("inspect of an unknown tag: %d %s", code, errOut)
	}

	// Debian's distribution 2.8 ignores n: the listing ends after one page.
	if got := mustBerth(t, "tags", "--page-size", "1", "docker://"+host+"/cli/inspect"); got != "v1\nv2\nv3\n" {
		t.Fatalf("tags:\n%s", got)
	}
	var list tagList
	if err := json.Unmarshal([]byte(mustBerth(t, "tags", "--format", "json", host+"/cli/inspect")), &list); err != nil || len(list.Tags) != 3 || list.Repository != host+"/cli/inspect" {
		t.Fatalf("tags --format json: %+v, %v", list, err)
	}
}

func TestLoginCopyLogout(t *testing.T) {
	host := startRegistry(t, map[string]string{"alice": "s3cret"})
	dir, _ := testLayout(t)
	authfile := filepath.Join(t.TempDir(), "auth.json")
	t.Setenv("REGISTRY_AUTH_FILE", authfile)
	dst := "docker://" + host + "/alice/app:v1"

	_, errOut, code := berth(t, "copy", "-q", "oci:"+dir+":v1", dst)
	if code == 0 || !strings.Contains(errOut, "registry "+host+": unauthorized: authentication required (check credentials for "+host+")") {
		t.Fatalf("copy without login: %d %s", code, errOut)
	}
	_, errOut, code = berth(t, "login", "-u", "alice", "-p", "wrong", host)
	if code == 0 || !strings.Contains(errOut, "unauthorized") {
		t.Fatalf("login with a wrong password: %d %s", code, errOut)
	}
	if _, err := os.Stat(authfile); !os.IsNotExist(err) {
		t.Fatalf("a failed login wrote %s", authfile)
	}
	if out := mustBerth(t, "login", "-u", "alice", "-p", "s3cret", "docker://"+host); !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: %s", out)
	}
	if st, err := os.Stat(authfile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("auth file: %v", err)
	}
	if out := mustBerth(t, "login", "--get-login", host); out != "alice\n" {
		t.Fatalf("--get-login: %q", out)
	}
	mustBerth(t, "copy", "-q", "oci:"+dir+":v1", dst)
	mustBerth(t, "copy", "-q", "--src-creds", "alice:s3cret", "--src-authfile", filepath.Join(t.TempDir(), "none.json"), dst, "oci:"+dir+":back")

	if out := mustBerth(t, "logout", host); !strings.Contains(out, "Removed login credentials for "+host) {
		t.Fatalf("logout: %s", out)
	}
	if _, errOut, code := berth(t, "logout", host); code == 0 || !strings.Contains(errOut, "not logged in to "+host) {
		t.Fatalf("second logout: %d %s", code, errOut)
	}
	if _, _, code := berth(t, "inspect", dst); code == 0 {
		t.Fatal("inspect after logout succeeded")
	}
}

func TestArtifactPushLsPull(t *testing.T) {
	host := startRegistry(t, nil)
	dir, img := testLayout(t)
	image := "docker://" + host + "/cli/signed:v1"
	mustBerth(t, "copy", "-q", "oci:"+dir+":v1", image)
	tmp := t.TempDir()
	sbom := filepath.Join(tmp, "sbom.json")
	writeFile(t, sbom, `{"spdxVersion":"SPDX-2.3"}`)
	out := mustBerth(t, "artifact", "push", "-q", "--artifact-type", "application/spdx+json", "--subject", image,
		"--annotation", "org.example.tool=berth", "docker://"+host+"/cli/signed", sbom+":application/spdx+json")
	art, err := digest.Parse(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("artifact push printed %q", out)
	}
	sig := filepath.Join(tmp, "sig")
	writeFile(t, sig, "signature")
	mustBerth(t, "artifact", "push", "-q", "--artifact-type", "application/vnd.example.sig", "--subject", img.Manifest.Digest.String(), "docker://"+host+"/cli/signed", sig)

	ls := mustBerth(t, "artifact", "ls", image)
	if !strings.Contains(ls, art.String()) || !strings.Contains(ls, "application/spdx+json") || !strings.Contains(ls, "application/vnd.example.sig") {
		t.Fatalf("artifact ls:\n%s", ls)
	}
	var list []ocispec.Descriptor
	if err := json.Unmarshal([]byte(mustBerth(t, "artifact", "ls", "--format", "json", "--artifact-type", "application/spdx+json", image)), &list); err != nil ||
		len(list) != 1 || list[0].Digest != art || list[0].Annotations["org.example.tool"] != "berth" {
		t.Fatalf("artifact ls --artifact-type: %+v, %v", list, err)
	}

	got := filepath.Join(tmp, "got")
	out = mustBerth(t, "artifact", "pull", "-q", "--artifact-type", "application/spdx+json", "-o", got, image)
	if strings.TrimSpace(out) != filepath.Join(got, "sbom.json") || readFile(t, filepath.Join(got, "sbom.json")) != `{"spdxVersion":"SPDX-2.3"}` {
		t.Fatalf("artifact pull printed %q", out)
	}
	direct := filepath.Join(tmp, "direct")
	mustBerth(t, "artifact", "pull", "-q", "-o", direct, "docker://"+host+"/cli/signed@"+art.String())
	if readFile(t, filepath.Join(direct, "sbom.json")) == "" {
		t.Fatal("pull by digest wrote nothing")
	}
	if _, errOut, code := berth(t, "artifact", "pull", "-q", "--artifact-type", "application/none", "-o", direct, image); code == 0 || !strings.Contains(errOut, "no artifacts of type application/none") {
		t.Fatalf("pull of a missing type: %d %s", code, errOut)
	}
}
