package kernel

import (
	"context"
	"testing"
)

// A value computed as nil is served again as nil, not a panic (selfNetns
// of a tree without ns/net stores nil, and a second read in the same
// statement panicked).
func TestMemoizeKeepsNil(t *testing.T) {
	c := NewCollector(context.Background(), RootSource(t.TempDir()))
	calls := 0
	compute := func() (any, error) { calls++; return nil, nil }
	for range 2 {
		v, err := Memoize(c, "nothing", compute)
		if v != nil || err != nil {
			t.Fatalf("memoize = %v, %v; want nil, nil", v, err)
		}
	}
	if calls != 1 {
		t.Errorf("computed %d times, want once", calls)
	}
}
