package seccomp

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The test is the seccomp agent: it receives the state and the listener fd
// over its socket, then answers the child's mkdir calls itself.
func TestApplyNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	profile := denyMkdir(specs.ActNotify, nil)
	profile.ListenerPath, profile.ListenerMetadata = sock, "MKDIR=refuse-first"
	// With a listener, TSYNC needs TSYNC_ESRCH and WAIT_KILLABLE_RECV is legal.
	profile.Flags = []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagWaitKillableRecv}
	state := specs.ContainerProcessState{State: specs.State{
		Version: specs.Version, ID: "notify-test", Status: specs.StateCreating, Bundle: dir,
		Annotations: map[string]string{"k": "v"},
	}}
	refused, faked := filepath.Join(dir, "refused"), filepath.Join(dir, "faked")
	cmd, stdout, stderr := start(t, plan{Profile: profile, State: state, Argv: []string{"busybox", "mkdir", refused, faked}})

	// Accept, unless the child ends first (then nobody will connect).
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	accepted := make(chan *net.UnixConn, 1)
	go func() {
		conn, _ := ln.AcceptUnix()
		accepted <- conn
	}()
	var conn *net.UnixConn
	select {
	case conn = <-accepted:
	case err := <-exited:
		t.Fatalf("child ended before connecting (%v): %s %s", err, stdout, stderr)
	}
	got, fd := receiveState(t, conn)
	defer unix.Close(fd)

	want := state
	want.Version, want.Fds, want.Pid, want.Metadata = specs.Version, []string{"seccompFd"}, cmd.Process.Pid, profile.ListenerMetadata
	want.State.Pid = cmd.Process.Pid
	if !equalJSON(got, want) {
		t.Errorf("agent received %+v\nwant %+v", got, want)
	}

	answer(t, fd, cmd.Process.Pid, unix.ETXTBSY) // mkdir refused: the error the agent chose
	answer(t, fd, cmd.Process.Pid, 0)            // mkdir faked: success, nothing made
	<-exited
	if ws := cmd.ProcessState.ExitCode(); ws != 1 || !strings.Contains(stderr.String(), refused+"': "+errnoText(unix.ETXTBSY)) || strings.Contains(stderr.String(), faked) {
		t.Errorf("busybox mkdir answered by the agent: exit %d, stderr %q", ws, stderr)
	}
	for _, p := range []string{refused, faked} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s: %v, want it not made", p, err)
		}
	}
}

// receiveState reads one container process state and its fd, as an agent.
func receiveState(t *testing.T, conn *net.UnixConn) (specs.ContainerProcessState, int) {
	t.Helper()
	defer conn.Close()
	buf, oob := make([]byte, 4096), make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	rest, err := io.ReadAll(conn) // the runtime closes after one state
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v: %v", msgs, err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("SCM_RIGHTS %v: %v", fds, err)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(append(buf[:n], rest...), &st); err != nil {
		t.Fatalf("decode state %q: %v", buf[:n], err)
	}
	return st, fds[0]
}

// answer waits for the next notification on fd, checks it is the child's
// mkdir, and returns errno (0: success without running the syscall).
func answer(t *testing.T, fd, pid int, errno unix.Errno) {
	t.Helper()
	// Poll first: if the child died the fd hangs up instead of blocking.
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(pfd, -1); err != unix.EINTR {
			break
		}
	}
	if pfd[0].Revents&unix.POLLIN == 0 {
		t.Fatalf("listener fd: revents %#x, no notification", pfd[0].Revents)
	}
	req, err := libseccomp.NotifReceive(libseccomp.ScmpFd(fd))
	if err != nil {
		t.Fatalf("receive notification: %v", err)
	}
	name, err := req.Data.Syscall.GetNameByArch(req.Data.Arch)
	if err != nil || !slices.Contains([]string{"mkdir", "mkdirat"}, name) || int(req.Pid) != pid {
		t.Errorf("notification for %q (%v) from pid %d, want mkdir from %d", name, err, req.Pid, pid)
	}
	resp := &libseccomp.ScmpNotifResp{ID: req.ID, Error: int32(errno)}
	if err := libseccomp.NotifRespond(libseccomp.ScmpFd(fd), resp); err != nil {
		t.Fatalf("respond: %v", err)
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestSendNotifyFDErrors(t *testing.T) {
	st := specs.ContainerProcessState{}
	long := "/" + strings.Repeat("d", 200) + "/agent.sock"
	cases := []struct {
		path string
		fd   int
		want string
		kind error
	}{
		{"", 0, "seccomp: send listener fd: no listenerPath", errdefs.ErrInvalidArgument},
		{"/run/agent.sock", -1, "seccomp: send listener fd to /run/agent.sock: invalid fd -1", errdefs.ErrInvalidArgument},
		{long, 0, "seccomp: send listener fd to " + long + ": path is longer than a unix socket address can hold (107 bytes)", errdefs.ErrInvalidArgument},
		{filepath.Join(t.TempDir(), "none.sock"), 0, "connect: no such file or directory", unix.ENOENT},
	}
	for _, tc := range cases {
		err := SendNotifyFD(tc.path, st, tc.fd)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.kind) {
			t.Errorf("SendNotifyFD(%q, %d) = %v, want %q (%v)", tc.path, tc.fd, err, tc.want, tc.kind)
		}
	}
}

// A state larger than a socket buffer takes several sendmsg calls; the fd
// goes with the first only, and the agent still reads one whole state.
func TestSendNotifyFDLargeState(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	st := specs.ContainerProcessState{Pid: 42, Metadata: strings.Repeat("m", 1<<20), State: specs.State{ID: "big"}}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sent := make(chan error, 1)
	go func() { sent <- SendNotifyFD(sock, st, int(f.Fd())) }()
	conn, err := ln.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	got, fd := receiveState(t, conn)
	unix.Close(fd)
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got.Metadata != st.Metadata || got.Pid != 42 || got.Version != specs.Version || !slices.Equal(got.Fds, []string{"seccompFd"}) {
		t.Errorf("received pid %d, version %q, fds %q, metadata of %d bytes", got.Pid, got.Version, got.Fds, len(got.Metadata))
	}
}
