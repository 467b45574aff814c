package clock

import (
	"testing"
	"time"
)

func TestFakeMovesOnlyWhenTold(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	f := NewFake(start)
	if got := f.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	if got := f.Advance(72 * time.Hour); !got.Equal(start.Add(72 * time.Hour)) {
		t.Fatalf("Advance = %v, want three days later", got)
	}
	f.Set(start)
	if got := f.Now(); !got.Equal(start) {
		t.Fatalf("after Set, Now() = %v, want %v", got, start)
	}
	if loc := (System{}).Now().Location(); loc != time.UTC {
		t.Fatalf("System clock location = %v, want UTC", loc)
	}
}
