package cgroups

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

func (m *manager) OOMEvents(ctx context.Context) (<-chan struct{}, error) {
	dir, v2 := m.route("memory")
	switch {
	case dir == "":
		return nil, fmt.Errorf("watch OOM events: %w", missing("memory", "memory"))
	case v2:
		return oomV2(ctx, dir)
	}
	return oomV1(ctx, dir)
}

// oomV1 registers an eventfd for memory.oom_control through
// cgroup.event_control. The kernel signals it on every OOM in the cgroup,
// and once more when the cgroup is removed.
func oomV1(ctx context.Context, dir string) (<-chan struct{}, error) {
	control := filepath.Join(dir, "memory.oom_control")
	oomFd, err := unix.Open(control, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("watch OOM events: open %s: %w", control, err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(oomFd)
		return nil, fmt.Errorf("watch OOM events: eventfd: %w", err)
	}
	ev := os.NewFile(uintptr(efd), "oom-eventfd")
	if err := writeFile(dir, "cgroup.event_control", fmt.Sprintf("%d %d", efd, oomFd)); err != nil {
		ev.Close()
		unix.Close(oomFd)
		return nil, fmt.Errorf("watch OOM events: %w", err)
	}
	unix.Close(oomFd) // the registration holds its own reference
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer ev.Close()
		stop := context.AfterFunc(ctx, func() { _ = ev.SetReadDeadline(time.Now()) })
		defer stop()
		buf := make([]byte, 8)
		for {
			if _, err := ev.Read(buf); err != nil {
				return
			}
			if !exists(dir, "cgroup.event_control") {
				return // the signal was the cgroup going away
			}
			if !send(ctx, ch, binary.NativeEndian.Uint64(buf)) {
				return
			}
		}
	}()
	return ch, nil
}

// oomV2 watches memory.events with inotify: the kernel marks it modified on
// each event, and the oom_kill count says whether one was an OOM kill.
func oomV2(ctx context.Context, dir string) (<-chan struct{}, error) {
	events := filepath.Join(dir, "memory.events")
	ifd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("watch OOM events: inotify: %w", err)
	}
	in := os.NewFile(uintptr(ifd), "oom-inotify")
	if _, err := unix.InotifyAddWatch(ifd, events, unix.IN_MODIFY); err != nil {
		in.Close()
		return nil, fmt.Errorf("watch OOM events: watch %s: %w", events, err)
	}
	seen, err := keyValues(dir, "memory.events")
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("watch OOM events: %w", err)
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer in.Close()
		stop := context.AfterFunc(ctx, func() { _ = in.SetReadDeadline(time.Now()) })
		defer stop()
		kills := seen["oom_kill"]
		buf := make([]byte, 4096)
		for {
			if _, err := in.Read(buf); err != nil {
				return
			}
			now, err := keyValues(dir, "memory.events")
			if err != nil {
				return // the cgroup is gone
			}
			if now["oom_kill"] > kills && !send(ctx, ch, now["oom_kill"]-kills) {
				return
			}
			kills = now["oom_kill"]
		}
	}()
	return ch, nil
}

// send delivers n events, giving up when ctx is done.
func send(ctx context.Context, ch chan<- struct{}, n uint64) bool {
	for ; n > 0; n-- {
		select {
		case ch <- struct{}{}:
		case <-ctx.Done():
			return false
		}
	}
	return true
}
