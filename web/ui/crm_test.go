package ui

import "testing"

func TestSameInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		submitted, shown string
		want             bool
	}{
		{"Jane", "Jane", true},
		{" Jane ", "Jane", true},
		{"Jane", "Joan", false},
		{"", "", true},
		{"2026-11-25T08:30:00", "2026-11-25T08:30", true}, // the browser added zero seconds
		{"2026-11-25T08:30", "2026-11-25T08:30:00", true},
		{"2026-11-25T08:31", "2026-11-25T08:30", false},
		{"2026-11-25T08:30:15", "2026-11-25T08:30", false},
		{"", "2026-11-25T08:30", false}, // cleared
	} {
		if got := sameInput(tc.submitted, tc.shown); got != tc.want {
			t.Errorf("sameInput(%q, %q) = %v, want %v", tc.submitted, tc.shown, got, tc.want)
		}
	}
}
