package rollup

import (
	"math"
	"slices"
	"testing"
)

func TestSpansCoverEveryHourOnce(t *testing.T) {
	t.Parallel()
	day := int64(spanDay)
	tests := []struct {
		name        string
		first, last int64
		days        bool
		want        []span
	}{
		{"hours only", 10, 100, false, []span{{spanHour, 10, 100}}},
		{"less than a whole day", 10 + 3*day, 20 + 3*day, true, []span{{spanHour, 10 + 3*day, 20 + 3*day}}},
		{"from midnight to 9 o'clock, a day later", 3 * day, 9 + 4*day, true, []span{{spanDay, 3 * day, 4 * day}, {spanHour, 4 * day, 9 + 4*day}}},
		{"a week cut at both ends", 10 + 3*day, 9 + 10*day, true, []span{{spanDay, 4 * day, 10 * day}, {spanHour, 10 + 3*day, 4 * day}, {spanHour, 10 * day, 9 + 10*day}}},
		{"whole days exactly", 3 * day, 5 * day, true, []span{{spanDay, 3 * day, 5 * day}}},
		{"from the beginning", math.MinInt64, 9 + 10*day, true, []span{{spanDay, math.MinInt64, 10 * day}, {spanHour, 10 * day, 9 + 10*day}}},
		{"before 1970", -30, -2, true, []span{{spanHour, -30, -2}}},
		{"a day before 1970", -30, 0, true, []span{{spanDay, -day, 0}, {spanHour, -30, -day}}},
		{"across 1970", -30, 30 + day, true, []span{{spanDay, -day, 2 * day}, {spanHour, -30, -day}, {spanHour, 2 * day, 30 + day}}},
	}
	for _, tt := range tests {
		got := spans(tt.first, tt.last, tt.days)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: spans(%d, %d) = %v, want %v", tt.name, tt.first, tt.last, got, tt.want)
		}
		// Every hour of [first, last) is in exactly one span, and day spans are whole days.
		if tt.first == math.MinInt64 {
			continue
		}
		for h := tt.first; h < tt.last; h++ {
			n := 0
			for _, s := range got {
				if h >= s.lo && h < s.hi {
					n++
				}
				if s.span == spanDay && (dayStart(s.lo) != s.lo || dayStart(s.hi) != s.hi) {
					t.Errorf("%s: day span %v is not whole days", tt.name, s)
				}
			}
			if n != 1 {
				t.Fatalf("%s: hour %d is in %d spans of %v", tt.name, h, n, got)
			}
		}
	}
	if dayStart(-1) != -day || dayStart(-day) != -day || dayStart(day-1) != 0 || dayStart(day) != day {
		t.Errorf("dayStart: -1 → %d, -24 → %d, 23 → %d, 24 → %d", dayStart(-1), dayStart(-day), dayStart(day-1), dayStart(day))
	}
}
