package triggers

import (
	"slices"
	"testing"
	"time"
)

func mustSchedule(t *testing.T, spec, tz string) func(since, until time.Time) []time.Time {
	t.Helper()
	sched, loc, err := ParseSchedule(spec, tz)
	if err != nil {
		t.Fatalf("ParseSchedule(%q, %q): %v", spec, tz, err)
	}
	return func(since, until time.Time) []time.Time { return FireTimes(sched, loc, since, until, 100) }
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestFireTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		spec, tz     string
		since, until string
		want         []string
	}{
		{"every minute", "* * * * *", "UTC", "2026-11-26T09:00:30Z", "2026-11-26T09:03:00Z",
			[]string{"2026-11-26T09:01:00Z", "2026-11-26T09:02:00Z", "2026-11-26T09:03:00Z"}},
		{"weekdays at 9 in Berlin (UTC+1 in winter)", "0 9 * * 1-5", "Europe/Berlin", "2026-11-27T00:00:00Z", "2026-12-01T23:59:00Z",
			[]string{"2026-11-27T08:00:00Z", "2026-11-30T08:00:00Z", "2026-12-01T08:00:00Z"}},
		{"daily descriptor", "@daily", "America/New_York", "2026-11-26T00:00:00Z", "2026-11-27T12:00:00Z",
			[]string{"2026-11-26T05:00:00Z", "2026-11-27T05:00:00Z"}},
		{"@every 3s on a fixed grid", "@every 3s", "UTC", "2026-11-26T09:00:01Z", "2026-11-26T09:00:10Z",
			[]string{"2026-11-26T09:00:03Z", "2026-11-26T09:00:06Z", "2026-11-26T09:00:09Z"}},
		{"nothing due", "0 0 1 1 *", "UTC", "2026-11-26T00:00:00Z", "2026-11-27T00:00:00Z", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, f := range mustSchedule(t, tt.spec, tt.tz)(at(tt.since), at(tt.until)) {
				got = append(got, f.Format(time.RFC3339))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("fires = %v, want %v", got, tt.want)
			}
		})
	}
}

// Two instances that started at different moments agree on @every fire times.
func TestEveryIsTheSameForEveryInstance(t *testing.T) {
	t.Parallel()
	fires := mustSchedule(t, "@every 10s", "UTC")
	a := fires(at("2026-11-26T09:00:01Z"), at("2026-11-26T09:01:00Z"))
	b := fires(at("2026-11-26T09:00:12Z"), at("2026-11-26T09:01:00Z"))
	if !slices.Equal(a[1:], b) || a[0] != at("2026-11-26T09:00:10Z") {
		t.Fatalf("instance A fires %v, instance B %v", a, b)
	}
}

func TestFireTimesKeepsTheLatestWhenThereAreTooMany(t *testing.T) {
	t.Parallel()
	sched, loc, _ := ParseSchedule("* * * * *", "UTC")
	got := FireTimes(sched, loc, at("2026-11-01T00:00:00Z"), at("2026-11-26T09:00:00Z"), 5)
	if len(got) != 5 || got[4] != at("2026-11-26T09:00:00Z") {
		t.Fatalf("got %v, want the 5 latest fires ending at 09:00", got)
	}
}

func TestParseScheduleErrors(t *testing.T) {
	t.Parallel()
	if _, _, err := ParseSchedule("every night", "UTC"); err == nil {
		t.Fatal("a bad cron line parsed")
	}
	if _, _, err := ParseSchedule("* * * * *", "Mars/Olympus"); err == nil {
		t.Fatal("a bad timezone parsed")
	}
	sched, loc, err := ParseSchedule("0 9 * * *", "")
	if err != nil || loc.String() != "UTC" {
		t.Fatalf("empty timezone = %v, %v; want UTC", loc, err)
	}
	if next := NextFires(sched, loc, at("2026-11-26T10:00:00Z"), 2); len(next) != 2 || next[0] != at("2026-11-27T09:00:00Z") {
		t.Fatalf("NextFires = %v", next)
	}
}
