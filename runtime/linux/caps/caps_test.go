package caps

import "testing"

func TestParse(t *testing.T) {
	set, unknown := Parse([]string{"CAP_CHOWN", "kill", "NET_BIND_SERVICE", "CAP_NOPE"})
	if set != 1<<0|1<<5|1<<10 || len(unknown) != 1 || unknown[0] != "CAP_NOPE" {
		t.Fatalf("Parse = %b, %v", set, unknown)
	}
	if Name(21) != "CAP_SYS_ADMIN" || len(Names()) != 41 {
		t.Fatal("names out of order")
	}
}

func TestGrantable(t *testing.T) {
	s := Sets{Effective: 1<<24 | 1<<5, Permitted: 1<<24 | 1<<5, Ambient: 1 << 24}
	got, dropped := s.Grantable(1 << 5)
	if got.Effective != 1<<5 || got.Permitted != 1<<5 || got.Ambient != 0 || len(dropped) != 1 || dropped[0] != "CAP_SYS_RESOURCE" {
		t.Fatalf("Grantable = %+v, %v", got, dropped)
	}
}
