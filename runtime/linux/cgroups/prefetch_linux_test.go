package cgroups

import (
	"reflect"
	"testing"
)

// New after Prefetch sees the layout New reads itself, and the prefetched
// layout is used once.
func TestPrefetch(t *testing.T) {
	c := Config{Path: "/berth-test/prefetch", ContainerID: "prefetch"}
	want, err := New(c)
	if err != nil {
		t.Skipf("no cgroup layout here: %v", err)
	}
	Prefetch()
	got, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Saved(), want.Saved()) {
		t.Errorf("prefetched layout %+v, read %+v", got.Saved(), want.Saved())
	}
	if r, ok := takePrefetched(""); ok {
		t.Errorf("prefetched layout used twice: %+v", r)
	}
	// A ProcDir leaves the prefetched layout alone.
	Prefetch()
	if _, ok := takePrefetched("/proc/1"); ok {
		t.Errorf("prefetched layout taken for another process")
	}
	if _, ok := takePrefetched(""); !ok {
		t.Errorf("prefetched layout lost")
	}
}
