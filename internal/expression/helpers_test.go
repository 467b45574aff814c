package expression

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestHelpers(t *testing.T) {
	t.Parallel()
	// testNow is 2026-03-15T12:00:00Z.
	tests := []struct {
		name string
		src  string
		vars map[string]any
		want any
	}{
		{"now", `now()`, nil, testNow},
		{"daysAgo", `daysAgo(3)`, nil, time.Date(2026, 3, 12, 12, 0, 0, 0, time.UTC)},
		{"daysAgo fraction", `daysAgo(0.5)`, nil, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"daysAgo of int variable", `daysAgo(x)`, map[string]any{"x": 1}, time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)},
		{"hoursAgo", `hoursAgo(2)`, nil, time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)},
		{"duration 3d", `duration("3d")`, nil, 72 * time.Hour},
		{"duration 2w", `duration("2w")`, nil, 14 * 24 * time.Hour},
		{"duration 1d12h", `duration("1d12h")`, nil, 36 * time.Hour},
		{"duration go", `duration("1h30m")`, nil, 90 * time.Minute},
		{"duration negative", `duration("-2d")`, nil, -48 * time.Hour},
		{"date RFC3339", `date("2026-03-01T10:00:00+02:00")`, nil, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)},
		{"date RFC3339Nano", `date("2026-03-01T10:00:00.123Z")`, nil, time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC)},
		{"date day", `date("2026-03-01")`, nil, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"date day and time", `date("2026-03-01 15:04")`, nil, time.Date(2026, 3, 1, 15, 4, 0, 0, time.UTC)},
		{"date day T time", `date("2026-03-01T15:04")`, nil, time.Date(2026, 3, 1, 15, 4, 0, 0, time.UTC)},
		{"date millis float", `date(x)`, map[string]any{"x": float64(1772323200000)}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"date millis int", `date(x)`, map[string]any{"x": int64(1772323200000)}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"date of time", `date(now())`, nil, testNow},
		{"daysSince", `daysSince("2026-03-13T12:00:00Z")`, nil, 2.0},
		{"daysUntil", `daysUntil("2026-03-16")`, nil, 0.5},
		{"date comparison with duration", `date("2026-03-13T12:00:01Z") > now() - duration("72h")`, nil, true},
		{"date comparison with duration false", `date("2026-03-11") > now() - duration("3d")`, nil, false},
		{"daysAgo comparison", `date(x) < daysAgo(30)`, map[string]any{"x": "2026-01-01"}, true},
		{"time difference", `now() - date("2026-03-14T12:00:00Z")`, nil, 24 * time.Hour},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := e.Compile(tc.src, []string{"x"})
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			got, err := p.Run(context.Background(), tc.vars)
			if err != nil {
				t.Fatalf("Run(%q): %v", tc.src, err)
			}
			if want, ok := tc.want.(time.Time); ok {
				gt, isTime := got.(time.Time)
				if !isTime || !gt.Equal(want) {
					t.Fatalf("Run(%q) = %v, want %v", tc.src, got, want)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("Run(%q) = %#v, want %#v", tc.src, got, tc.want)
			}
		})
	}
}

func TestHelperErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		vars    map[string]any
		wantErr string
	}{
		{"date nil", `date(x)`, map[string]any{"x": nil}, "date(): the value is empty"},
		{"date missing", `date(x)`, nil, "date(): the value is empty"},
		{"date blank", `date(x)`, map[string]any{"x": "  "}, "date(): the value is empty"},
		{"date garbage", `date(x)`, map[string]any{"x": "next friday"}, `date(): "next friday" is not a date`},
		{"date bool", `date(x)`, map[string]any{"x": true}, "cannot turn a true/false value (true) into a date"},
		{"duration bad", `duration("3 parsecs")`, nil, `"3 parsecs" is not a duration`},
		{"duration empty", `duration("")`, nil, "the duration is empty"},
		{"duration nil", `duration(x)`, nil, "duration(): expected text"},
		{"daysAgo text", `daysAgo(x)`, map[string]any{"x": "3"}, `daysAgo(): expected a number, got text ("3")`},
		{"daysSince nil", `daysSince(x)`, nil, "daysSince(): date(): the value is empty"},
	}
	e := newTestEngine()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := e.Compile(tc.src, []string{"x"})
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			_, err = p.Run(context.Background(), tc.vars)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Run(%q) error = %v, want %q", tc.src, err, tc.wantErr)
			}
		})
	}
}

func TestHelperTypeChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src     string
		wantErr string
	}{
		{`duration(3)`, "cannot use int as argument"},
		{`now(1)`, "too many arguments"},
		{`daysAgo("3")`, "cannot use string as argument"},
		{`date()`, "not enough arguments"},
	}
	e := newTestEngine()
	for _, tc := range tests {
		_, err := e.Compile(tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Fatalf("Compile(%q) error = %v, want %q", tc.src, err, tc.wantErr)
		}
	}
}

func TestNilClock(t *testing.T) {
	t.Parallel()
	p, err := New(nil, Limits{}).Compile(`now()`, nil)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if _, err := p.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "no clock") {
		t.Fatalf("Run error = %v, want no clock", err)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"72h", 72 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"45s", 45 * time.Second, false},
		{"3d", 72 * time.Hour, false},
		{"2w", 336 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{"1.5d", 36 * time.Hour, false},
		{"+1d", 24 * time.Hour, false},
		{"-90m", -90 * time.Minute, false},
		{"0", 0, false},
		{" 1h ", time.Hour, false},
		{"", 0, true},
		{"d", 0, true},
		{"3", 0, true},
		{"3x", 0, true},
		{"-", 0, true},
		{"1..2h", 0, true},
		{"99999999999w", 0, true},
	}
	for _, tc := range tests {
		got, err := parseDuration(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Fatalf("parseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestPickSpreadsKeysOverTheList(t *testing.T) {
	t.Parallel()
	e := newTestEngine()
	p, err := e.Compile(`pick(reps, lead.id)`, []string{"reps", "lead"})
	if err != nil {
		t.Fatal(err)
	}
	reps := []any{"ann@example.com", "bob@example.com", "cy@example.com"}
	seen := map[any]int{}
	for i := range 300 {
		got, err := p.Run(context.Background(), map[string]any{"reps": reps, "lead": map[string]any{"id": fmt.Sprintf("lead-%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		seen[got]++
		again, _ := p.Run(context.Background(), map[string]any{"reps": reps, "lead": map[string]any{"id": fmt.Sprintf("lead-%d", i)}})
		if again != got {
			t.Fatalf("pick gave %v then %v for the same key", got, again)
		}
	}
	for _, r := range reps {
		if seen[r] < 60 {
			t.Fatalf("pick spread 300 keys as %v; every rep should get a fair share", seen)
		}
	}
	if _, err := p.Run(context.Background(), map[string]any{"reps": []any{}, "lead": map[string]any{"id": "x"}}); err == nil {
		t.Fatal("pick from an empty list should fail")
	}
}
