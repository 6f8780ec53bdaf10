package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a helper process (helperMain)
// instead of running tests: the real tests need a process whose memory and
// progress they control, inside the cgroup under test.
const helperEnv = "BERTH_CGROUPS_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helperMain runs one helper. Every helper first reads a line from stdin,
// so the test can move it into the cgroup and check the limits from the
// host before the helper does anything the limits are meant to stop.
//
//	count FILE  writes an increasing counter to FILE every millisecond
//	alloc MB    allocates and touches MB mebibytes, one at a time, saying
//	            "allocated N" after each; then prints "done" and waits
func helperMain(mode string, args []string) int {
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadString('\n'); err != nil {
		fmt.Fprintln(os.Stderr, "helper: no go-ahead:", err)
		return 2
	}
	switch {
	case mode == "count" && len(args) == 1:
		return count(args[0])
	case mode == "alloc" && len(args) == 1:
		mb, err := strconv.Atoi(args[0])
		if err != nil {
			break
		}
		return alloc(mb, in)
	}
	fmt.Fprintf(os.Stderr, "helper: bad mode %q %q\n", mode, args)
	return 2
}

func count(file string) int {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	for n := 1; ; n++ {
		if _, err := f.WriteAt([]byte(fmt.Sprintf("%020d", n)), 0); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
		time.Sleep(time.Millisecond)
	}
}

// alloc keeps every chunk reachable and writes to each page, so the memory
// is really charged to the cgroup (an untouched allocation costs nothing).
func alloc(mb int, in *bufio.Reader) int {
	var keep [][]byte
	for i := 1; i <= mb; i++ {
		chunk := make([]byte, 1<<20)
		for p := 0; p < len(chunk); p += 4096 {
			chunk[p] = byte(i)
		}
		keep = append(keep, chunk)
		fmt.Printf("allocated %d\n", i)
	}
	fmt.Println("done")
	_, _ = in.ReadString('\n') // hold the memory until told to stop
	runtime.KeepAlive(keep)
	return 0
}

// helper is a started helper process, waiting for goAhead.
type helper struct {
	cmd   *exec.Cmd
	stdin *os.File
	out   *bufio.Reader
}

// startHelper runs the test binary as a helper; it waits for goAhead. The
// process is killed and reaped when the test ends.
func startHelper(t *testing.T, mode string, args ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Stderr = os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = r
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() {
		w.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &helper{cmd: cmd, stdin: w, out: bufio.NewReader(out)}
}

func (h *helper) goAhead(t *testing.T) {
	t.Helper()
	if _, err := h.stdin.WriteString("go\n"); err != nil {
		t.Fatal(err)
	}
}
