package initproc

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fill sets every exported field reachable from v to a random value: set
// pointers, slices and maps (sometimes empty, never nil unless the coin
// says so), negative and large numbers, strings with any bytes. Interfaces
// stay nil: the wire carries none.
func fill(r *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := r.Int63() - r.Int63()
		for v.OverflowInt(x) {
			x >>= 8
		}
		v.SetInt(x)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x := r.Uint64()
		for v.OverflowUint(x) {
			x >>= 8
		}
		v.SetUint(x)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(r.Int31()) / 7)
	case reflect.String:
		b := make([]byte, r.Intn(12))
		r.Read(b)
		v.SetString(string(b))
	case reflect.Slice:
		if r.Intn(5) == 0 || depth > 6 {
			return // nil
		}
		n := r.Intn(4)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(r, v.Index(i), depth+1)
		}
	case reflect.Map:
		if r.Intn(5) == 0 || depth > 6 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := r.Intn(4); i > 0; i-- {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			fill(r, k, depth+1)
			fill(r, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		if r.Intn(6) == 0 || depth > 6 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), depth+1)
			}
		}
	}
}

func roundTrip(t *testing.T, b *Bootstrap) *Bootstrap {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteBootstrap(&buf, b); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("rest") // what follows the frame stays unread
	got, err := ReadBootstrap(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(&buf); string(rest) != "rest" {
		t.Fatalf("ReadBootstrap read past its frame: %q left", rest)
	}
	return got
}

func TestBootstrapRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		var b Bootstrap
		fill(r, reflect.ValueOf(&b).Elem(), 0)
		if b.Spec != nil {
			b.Spec.Windows = nil // its credentialSpec is an interface
		}
		if got := roundTrip(t, &b); !reflect.DeepEqual(got, &b) {
			t.Fatalf("round trip %d changed the bootstrap:\n got %+v\nwant %+v", i, got, &b)
		}
	}
}

// A config as a runtime gets it comes through unchanged, the distinction
// between an absent and an empty list included.
func TestBootstrapRoundTripConfig(t *testing.T) {
	const config = `{"ociVersion":"1.2.0","process":{"terminal":false,"user":{"uid":0,"gid":0,"additionalGids":[]},
	"args":["sh","-c","echo \"hi\" \u00e9"],"env":["PATH=/bin"],"cwd":"/","capabilities":{"bounding":["CAP_KILL"],"effective":[]},
	"rlimits":[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}],"noNewPrivileges":true,"oomScoreAdj":-17},
	"root":{"path":"rootfs","readonly":true},"hostname":"box","mounts":[{"destination":"/proc","type":"proc","source":"proc"},
	{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=1777"],"uidMappings":[{"containerID":0,"hostID":1000,"size":1}]}],
	"annotations":{"a":"b"},"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"}],
	"devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":438,"uid":0,"gid":0}],
	"sysctl":{"net.ipv4.ip_forward":"1"},"maskedPaths":["/proc/kcore"],"readonlyPaths":[],"rootfsPropagation":"rslave",
	"timeOffsets":{"monotonic":{"secs":-5,"nanosecs":7}}}}`
	var spec specs.Spec
	if err := json.Unmarshal([]byte(config), &spec); err != nil {
		t.Fatal(err)
	}
	b := &Bootstrap{ID: "c1", Spec: &spec, FifoFD: -1, ConsoleFD: 7, Seccomp: []byte{0, 1, 2}, CgroupFiles: []string{"/sys/fs/cgroup/pids/c1/tasks"}}
	got := roundTrip(t, b)
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("round trip changed the bootstrap:\n got %+v\nwant %+v", got, b)
	}
	if got.Spec.Process.User.AdditionalGids == nil || got.Spec.Linux.ReadonlyPaths == nil || got.Spec.Linux.Resources != nil {
		t.Errorf("empty and absent lists are not kept apart")
	}
}

func TestBootstrapBadInput(t *testing.T) {
	var good bytes.Buffer
	if err := WriteBootstrap(&good, &Bootstrap{ID: "x", Spec: &specs.Spec{Version: "1.0.0"}, FifoFD: -1}); err != nil {
		t.Fatal(err)
	}
	frame := good.Bytes()
	for name, in := range map[string][]byte{
		"empty":        nil,
		"short header": frame[:5],
		"bad magic":    append([]byte("JSON"), frame[4:]...),
		"truncated":    frame[:len(frame)-1],
		"huge length":  append(append([]byte{}, frame[:4]...), 0xff, 0xff, 0xff, 0x7f),
		"extra bytes":  withLength(append(append([]byte{}, frame...), 0)),
	} {
		if _, err := ReadBootstrap(bytes.NewReader(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := WriteBootstrap(io.Discard, &Bootstrap{Spec: &specs.Spec{Windows: &specs.Windows{CredentialSpec: "x"}}}); err == nil ||
		!strings.Contains(err.Error(), "interface") {
		t.Errorf("an interface value was encoded: %v", err)
	}
}

// withLength fixes the frame's length field after the payload changed.
func withLength(frame []byte) []byte {
	n := len(frame) - 8
	frame[4], frame[5], frame[6], frame[7] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return frame
}

func FuzzReadBootstrap(f *testing.F) {
	var buf bytes.Buffer
	spec := &specs.Spec{Version: "1.0.0", Process: &specs.Process{Args: []string{"true"}, Env: []string{"A=b"}},
		Mounts: []specs.Mount{{Destination: "/proc", Type: "proc"}}, Annotations: map[string]string{"k": "v"}}
	WriteBootstrap(&buf, &Bootstrap{ID: "c", Spec: spec, FifoFD: -1, ConsoleFD: 4, NoWait: true})
	f.Add(buf.Bytes())
	f.Add(withLength(append(append([]byte{}, wireMagic[:]...), 0, 0, 0, 0, 1, 2)))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := ReadBootstrap(bytes.NewReader(in))
		if err != nil {
			return
		}
		// What decodes encodes back to the same payload.
		var out bytes.Buffer
		if err := WriteBootstrap(&out, b); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if b2, err := ReadBootstrap(&out); err != nil || !reflect.DeepEqual(b, b2) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
