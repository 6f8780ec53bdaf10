package bundle

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func rootfsWith(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const passwd = "root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:www:/var/www:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n"
const group = "root:x:0:\nwww:x:33:\nalice:x:1000:\nwheel:x:10:alice,root\naudio:x:29:alice\nstaff:x:50:bob\n"

func TestArgs(t *testing.T) {
	ep := []string{"/ep"}
	empty := []string{}
	cases := []struct {
		cfg  ocispec.ImageConfig
		o    Options
		want []string
	}{
		{ocispec.ImageConfig{Entrypoint: []string{"/ep", "-x"}, Cmd: []string{"a", "b"}}, Options{}, []string{"/ep", "-x", "a", "b"}},
		{ocispec.ImageConfig{Cmd: []string{"sh"}}, Options{}, []string{"sh"}},
		{ocispec.ImageConfig{Entrypoint: []string{"/e"}}, Options{}, []string{"/e"}},
		{ocispec.ImageConfig{Entrypoint: []string{"/e"}, Cmd: []string{"d"}}, Options{Cmd: []string{"x"}}, []string{"/e", "x"}},
		{ocispec.ImageConfig{Entrypoint: []string{"/e"}, Cmd: []string{"d"}}, Options{Entrypoint: &ep}, []string{"/ep"}},
		{ocispec.ImageConfig{Entrypoint: []string{"/e"}, Cmd: []string{"d"}}, Options{Entrypoint: &empty, Cmd: []string{"ls"}}, []string{"ls"}},
	}
	for i, c := range cases {
		s, err := Generate(&ocispec.Image{Config: c.cfg}, t.TempDir(), c.o)
		if err != nil || !reflect.DeepEqual(s.Process.Args, c.want) {
			t.Errorf("case %d: args %v, %v; want %v", i, s.Process.Args, err, c.want)
		}
	}
	if _, err := Generate(&ocispec.Image{}, t.TempDir(), Options{}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("no command: %v", err)
	}
}

func TestEnvAndCwd(t *testing.T) {
	img := &ocispec.Image{Config: ocispec.ImageConfig{Env: []string{"A=1", "PATH=/opt/bin", "B=2"}, WorkingDir: "/srv", Cmd: []string{"x"}}}
	s, err := Generate(img, t.TempDir(), Options{Env: []string{"B=3", "C=4"}, Terminal: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A=1", "PATH=/opt/bin", "B=3", "C=4", "TERM=xterm"}
	if !reflect.DeepEqual(s.Process.Env, want) || s.Process.Cwd != "/srv" || !s.Process.Terminal {
		t.Errorf("env %v cwd %q", s.Process.Env, s.Process.Cwd)
	}
	s, _ = Generate(&ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"x"}}}, t.TempDir(), Options{})
	if !reflect.DeepEqual(s.Process.Env, []string{DefaultPath}) || s.Process.Cwd != "/" {
		t.Errorf("default env %v cwd %q", s.Process.Env, s.Process.Cwd)
	}
	if _, err := Generate(img, t.TempDir(), Options{WorkingDir: "rel"}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("relative cwd: %v", err)
	}
}

func TestAnnotationsFollowConversionRules(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	img := &ocispec.Image{
		Created: &created, Author: "me",
		Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8", OSFeatures: []string{"a", "b"}},
		Config: ocispec.ImageConfig{
			Cmd: []string{"x"}, StopSignal: "SIGQUIT",
			ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
			Labels:       map[string]string{"org.opencontainers.image.author": "label wins", "l": "v"},
		},
	}
	s, err := Generate(img, t.TempDir(), Options{Annotations: map[string]string{"l": "caller wins"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		AnnotationOS: "linux", AnnotationArch: "arm64", AnnotationVariant: "v8", AnnotationOSFeatures: "a,b",
		AnnotationAuthor: "label wins", AnnotationCreated: "2024-05-06T07:08:09Z", AnnotationStopSignal: "SIGQUIT",
		AnnotationExposedPorts: "53/udp,80/tcp", "l": "caller wins",
	}
	if !reflect.DeepEqual(s.Annotations, want) {
		t.Errorf("annotations\n got %v\nwant %v", s.Annotations, want)
	}
}

func TestResolveUser(t *testing.T) {
	root := rootfsWith(t, map[string]string{"etc/passwd": passwd, "etc/group": group})
	cases := map[string]specs.User{
		"alice":     {UID: 1000, GID: 1000, AdditionalGids: []uint32{10, 29}},
		"web":       {UID: 33, GID: 33},
		"1000":      {UID: 1000, GID: 1000},
		"4242":      {UID: 4242, GID: 0},
		"alice:www": {UID: 1000, GID: 33},
		"alice:77":  {UID: 1000, GID: 77},
		"4242:4243": {UID: 4242, GID: 4243},
		"root":      {UID: 0, GID: 0, AdditionalGids: []uint32{10}},
	}
	for spec, want := range cases {
		got, err := ResolveUser(root, spec)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ResolveUser(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"bob", "alice:nogroup", ":", "alice:", ""} {
		if _, err := ResolveUser(root, bad); err == nil {
			t.Errorf("ResolveUser(%q) succeeded", bad)
		}
	}
	if _, err := ResolveUser(t.TempDir(), "alice"); !errdefs.IsNotFound(err) {
		t.Errorf("no /etc/passwd: %v", err)
	}
}

// A hostile image links /etc/passwd to a host file: the link must be
// resolved inside the rootfs.
func TestResolveUserStaysInRootfs(t *testing.T) {
	outside := rootfsWith(t, map[string]string{"passwd": "evil:x:0:0::/:/bin/sh\n"})
	root := rootfsWith(t, map[string]string{"etc/group": group})
	if err := os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveUser(root, "evil"); err == nil {
		t.Fatal("read a passwd file outside the rootfs through a symlink")
	}
	os.Remove(filepath.Join(root, "etc/passwd"))
	rel, _ := filepath.Rel(filepath.Join(root, "etc"), filepath.Join(outside, "passwd"))
	os.Symlink(rel, filepath.Join(root, "etc/passwd"))
	if _, err := ResolveUser(root, "evil"); err == nil || strings.Contains(err.Error(), "evil:x") {
		t.Fatalf("read a passwd file outside the rootfs through ../: %v", err)
	}
}

func TestDefaultIsLocked(t *testing.T) {
	s := Default(false)
	if !s.Process.NoNewPrivileges || len(s.Linux.MaskedPaths) == 0 || len(s.Linux.ReadonlyPaths) == 0 {
		t.Error("default lacks no_new_privs or masked/readonly paths")
	}
	for _, c := range s.Process.Capabilities.Bounding {
		if c == "CAP_SYS_ADMIN" || c == "CAP_NET_ADMIN" || c == "CAP_SYS_MODULE" {
			t.Errorf("default grants %s", c)
		}
	}
	r := Default(true)
	if len(r.Linux.UIDMappings) != 1 || r.Linux.UIDMappings[0].HostID != uint32(os.Geteuid()) {
		t.Errorf("rootless mappings %+v", r.Linux.UIDMappings)
	}
}
