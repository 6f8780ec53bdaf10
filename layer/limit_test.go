package layer

import "testing"

func TestSpaceLimitIsAboveTheFreeSpace(t *testing.T) {
	n, err := SpaceLimit(t.TempDir())
	if err != nil || n <= 1<<30 {
		t.Fatalf("SpaceLimit = %d, %v", n, err)
	}
	if _, err := SpaceLimit("/nonexistent/dir"); err == nil {
		t.Fatal("no error for a missing directory")
	}
}
