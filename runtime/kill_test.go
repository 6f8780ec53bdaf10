package runtime

import (
	"testing"

	"github.com/berth-oci/berth/errdefs"
	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]unix.Signal{
		"KILL": unix.SIGKILL, "SIGKILL": unix.SIGKILL, "kill": unix.SIGKILL, "9": unix.SIGKILL,
		"TERM": unix.SIGTERM, "SIGUSR1": unix.SIGUSR1, "RTMIN+2": 36, "SIGRTMAX-1": 63, "64": 64,
	} {
		got, err := ParseSignal(in)
		if err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "65", "-1", "NOPE", "SIG", "RTMIN+40", "RTMAX-99"} {
		if _, err := ParseSignal(in); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParseSignal(%q): %v, want an invalid-argument error", in, err)
		}
	}
}

func FuzzParseSignal(f *testing.F) {
	for _, s := range []string{"KILL", "9", "SIGRTMIN+3", "rtmax-2", "", "SIGSIGKILL", "+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sig, err := ParseSignal(s)
		if err == nil && (sig <= 0 || sig > 64) {
			t.Fatalf("ParseSignal(%q) = %d: out of range", s, sig)
		}
	})
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"a", "abc-DEF_1.2+3", "f507115788446beab087f769da5113d81b74df5343387c60a42b3dc6b201dff4"} {
		if err := checkID(ok); err != nil {
			t.Errorf("checkID(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "../x", "a b", "@exe", "x\n"} {
		if err := checkID(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("checkID(%q) = %v, want invalid argument", bad, err)
		}
	}
}
