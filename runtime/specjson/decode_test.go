package specjson

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Every test compares with encoding/json.Unmarshal: the same documents
// accepted, the same values out.

// runcSpec is `runc spec` with a few of every kind of field added.
const runcSpec = `{
	"ociVersion": "1.2.0",
	"process": {"terminal": true, "user": {"uid": 0, "gid": 0, "additionalGids": [1, 2], "umask": 18},
		"args": ["sh", "-c", "echo \"\u00e9\ud83d\ude00\" \\ \/"], "env": ["PATH=/usr/bin", "TERM=xterm"], "cwd": "/",
		"capabilities": {"bounding": ["CAP_AUDIT_WRITE", "CAP_KILL"], "effective": [], "permitted": null},
		"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
		"noNewPrivileges": true, "oomScoreAdj": -1000, "consoleSize": {"height": 24, "width": 80}},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "runc",
	"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
		 "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}],
	"hooks": {"prestart": [{"path": "/bin/true", "args": ["true"], "env": ["A=b"], "timeout": 5}]},
	"annotations": {"com.example.key": "value", "": ""},
	"linux": {
		"resources": {"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
			"memory": {"limit": 536870912, "swap": -1, "swappiness": 10, "disableOOMKiller": false},
			"cpu": {"shares": 1024, "quota": 100000, "period": 100000, "cpus": "0-1", "realtimeRuntime": 0},
			"pids": {"limit": 100},
			"blockIO": {"weight": 500, "weightDevice": [{"major": 8, "minor": 0, "weight": 300, "leafWeight": 10}],
				"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 104857600}]},
			"hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}],
			"network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
			"unified": {"memory.high": "max"}},
		"namespaces": [{"type": "pid"}, {"type": "network", "path": "/proc/1/ns/net"}, {"type": "mount"}],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}],
		"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
			"syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}]},
		"sysctl": {"net.ipv4.ip_forward": "1"},
		"maskedPaths": ["/proc/kcore"], "readonlyPaths": [],
		"rootfsPropagation": "rslave", "cgroupsPath": "/x/y",
		"timeOffsets": {"monotonic": {"secs": -5, "nanosecs": 7}},
		"intelRdt": {"closID": "c", "l3CacheSchema": "L3:0=ff", "enableMonitoring": true}
	},
	"windows": {"layerFolders": ["a"], "credentialSpec": {"a": [1, 2.5, "x", null, true, {"b": {}}]}, "network": {"allowUnqualifiedDNSQuery": true}},
	"vm": {"hypervisor": {"path": "/h"}, "kernel": {"path": "/k"}},
	"unknownField": {"deep": [1, {"x": null}]}
}`

// compare decodes data into a new *T both ways.
func compare[T any](t *testing.T, data []byte) {
	t.Helper()
	var want, got T
	werr := json.Unmarshal(data, &want)
	gerr := Unmarshal(data, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%.200q: encoding/json says %v, specjson says %v", data, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%.200q: values differ:\nencoding/json %+v\n     specjson %+v", data, want, got)
	}
	if gerr != nil && gerr.Error() == "" {
		t.Fatalf("%.200q: empty error message", data)
	}
}

func TestSpec(t *testing.T) {
	compare[specs.Spec](t, []byte(runcSpec))
	var s specs.Spec
	if err := Unmarshal([]byte(runcSpec), &s); err != nil {
		t.Fatal(err)
	}
	if s.Linux.Resources.BlockIO.WeightDevice[0].Major != 8 {
		t.Errorf("fields of an embedded struct not promoted: %+v", s.Linux.Resources.BlockIO.WeightDevice)
	}
}

type record struct {
	ID      string          `json:"id"`
	Created time.Time       `json:"created"`
	When    *time.Time      `json:"when,omitempty"`
	Raw     json.RawMessage `json:"raw,omitempty"`
	Spec    *specs.Spec     `json:"spec"`
	Any     any             `json:"any"`
	Skip    string          `json:"-"`
	Untag   int
	hidden  int
	Arr     [2]int  `json:"arr"`
	F32     float32 `json:"f32"`
	I8      int8    `json:"i8"`
}

func TestShapes(t *testing.T) {
	for _, doc := range []string{
		`{"id":"a","created":"2024-01-02T03:04:05.123Z","when":null,"raw":{"x":[1,2]},"spec":{"ociVersion":"1"},"any":[1,"a",{"b":null}]}`,
		`{"created":null,"raw":null,"spec":null,"any":null,"when":"2024-01-02T03:04:05Z"}`,
		`{"created":"bad"}`, `{"when":"bad"}`, `{"raw":[1,}`,
		`{"ID":"case","Id":"x","iD":"y","untag":3,"UNTAG":4,"Skip":"no","-":"no","hidden":1}`,
		`{"arr":[1]}`, `{"arr":[1,2,3]}`, `{"arr":[]}`, `{"arr":null}`,
		`{"f32":1e39}`, `{"f32":3.5}`, `{"i8":128}`, `{"i8":-128}`, `{"i8":1.0}`, `{"i8":1e2}`, `{"i8":"1"}`,
		`{"spec":{"process":{"args":["a"]},"process":{"cwd":"/"}}}`,
		`{"spec":{"mounts":[{"destination":"/a","type":"x"},{"destination":"/b"}],"mounts":[{"destination":"/c"}]}}`,
		`{"spec":{"mounts":[{"destination":"/a","type":"x"}],"mounts":[],"mounts":[{"destination":"/b"}]}}`,
		`{"spec":{"annotations":{"a":"1"},"annotations":{"b":"2"}}}`,
		`{"spec":{"linux":{"resources":{"memory":{"limit":-1.5}}}}}`,
		`{"spec":{"linux":{"resources":{"memory":{"limit":9223372036854775808}}}}}`,
		`{"spec":{"linux":{"devices":[{"fileMode":-1}]}}}`,
		`{"spec":{"process":{"user":{"uid":4294967296}}}}`,
		`{"spec":{"process":"x"}}`, `{"spec":{"mounts":{}}}`, `{"spec":{"annotations":[]}}`, `{"spec":{"hostname":1}}`,
		`{"spec":{"hostname":true}}`, `{"spec":{"process":{"terminal":"true"}}}`, `{"spec":{"process":{"terminal":null}}}`,
		`{"any":1e400}`, `{"any":-0}`, `{"any":{"a":{"b":[[],{}]}}}`,
		`{"id":"\u0000\u001f\ud800\udc00\ud800x\udc00\uDBFF\uDFFF\u00e9\\\/\b\f\n\r\t"}`,
		"{\"id\":\"\xff\xfe\xc3\"}", "{\"id\":\"a\xc3\\u00a9\xa9\"}", "{\"id\":\"\xe2\x82\"}",
		`{"id":"\x"}`, `{"id":"\u12"}`, `{"id":"\u12g4"}`, "{\"id\":\"a\tb\"}", `{"id":"abc`,
		` {"id":"a"} `, `{"id":"a"} x`, `{"id":"a"}{}`, ``, ` `, `null`, `[]`, `"x"`, `1`, `{`, `}`, `{"id"}`, `{"id":}`,
		`{"id":"a",}`, `{,}`, `{"a":1 "b":2}`, `[1,]`, `{"arr":[1 2]}`, `tru`, `nul`, `truex`, `-`, `01`, `1.`, `1e`, `.5`, `-0.0e-0`,
		`{"arr":[01]}`, `{"i8":-}`, "\xef\xbb\xbf{}", `{"Spec":{"OCIVERSION":"x","Linux":{"Namespaces":[{"TYPE":"pid"}]}}}`,
	} {
		compare[record](t, []byte(doc))
	}
}

func TestDepth(t *testing.T) {
	for _, n := range []int{9999, 10000, 10001} {
		doc := `{"any":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`
		compare[record](t, []byte(doc))
		doc = `{"any":` + strings.Repeat(`{"a":`, n-1) + "1" + strings.Repeat("}", n-1) + `}`
		compare[record](t, []byte(doc))
	}
}

// Types encoding/json treats in ways this decoder does not copy go to it.
func TestFallback(t *testing.T) {
	type withString struct {
		N int `json:"n,string"`
	}
	type intKeys struct {
		M map[int]string `json:"m"`
	}
	type bytesField struct {
		B []byte `json:"b"`
	}
	type number struct {
		N json.Number `json:"n"`
	}
	type clash struct {
		specs.LinuxBlockIODevice
		Major int `json:"major"`
	}
	for _, c := range []struct {
		v   any
		doc string
	}{
		{&withString{}, `{"n":"5"}`}, {&intKeys{}, `{"m":{"1":"a"}}`}, {&bytesField{}, `{"b":"aGk="}`},
		{&number{}, `{"n":1.50}`}, {&clash{}, `{"major":3,"minor":4}`},
	} {
		if !info(reflect.TypeOf(c.v).Elem()).foreign && !hasForeignField(reflect.TypeOf(c.v).Elem()) {
			t.Errorf("%T: handled here", c.v)
		}
		want := reflect.New(reflect.TypeOf(c.v).Elem()).Interface()
		json.Unmarshal([]byte(c.doc), want)
		if err := Unmarshal([]byte(c.doc), c.v); err != nil || !reflect.DeepEqual(c.v, want) {
			t.Errorf("%T: %v, %+v want %+v", c.v, err, c.v, want)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[specs.Spec](), reflect.TypeFor[record]()} {
		if info(typ).foreign || hasForeignField(typ) {
			t.Errorf("%v, or a field of it, is left to encoding/json", typ)
		}
	}
}

// hasForeignField reports whether a field of struct t is of a type left
// to encoding/json.
func hasForeignField(t reflect.Type) bool {
	for _, f := range info(t).fields {
		ft := t.FieldByIndex(f.index).Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.Uint8 {
			ft = ft.Elem()
		}
		if info(ft).foreign {
			return true
		}
	}
	return false
}

// TestMutations changes runcSpec one byte at a time, in ways likely to
// break it, and decodes each result both ways.
func TestMutations(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	base := []byte(runcSpec)
	subst := []byte(`{}[]",:0123456789-+.eEtrufalsn \\u` + "\x00\xff\t")
	for i := 0; i < 20000; i++ {
		doc := append([]byte(nil), base...)
		for k := r.Intn(3) + 1; k > 0; k-- {
			p := r.Intn(len(doc))
			switch r.Intn(3) {
			case 0:
				doc[p] = subst[r.Intn(len(subst))]
			case 1:
				doc = append(doc[:p], doc[p+1:]...)
			default:
				doc = append(doc[:p], append([]byte{subst[r.Intn(len(subst))]}, doc[p:]...)...)
			}
		}
		compare[specs.Spec](t, doc)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(runcSpec))
	f.Add([]byte(`{"process":{"args":["a"]},"process":{"cwd":"/"}}`))
	f.Add([]byte(`{"linux":{"resources":{"blockIO":{"weightDevice":[{"major":1,"weight":2}]}}}}`))
	f.Add([]byte(`{"windows":{"credentialSpec":[1,{"a":"\ud800"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		compare[specs.Spec](t, data)
		compare[record](t, data)
	})
}
