package expression

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 31, 15, 30, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "+2 days", want: time.Date(2026, 2, 2, 15, 30, 0, 0, time.UTC)},
		{in: "+1 day", want: time.Date(2026, 2, 1, 15, 30, 0, 0, time.UTC)},
		{in: "2 days", want: time.Date(2026, 2, 2, 15, 30, 0, 0, time.UTC)},
		{in: "in 2 days", want: time.Date(2026, 2, 2, 15, 30, 0, 0, time.UTC)},
		{in: "In 2 Days", want: time.Date(2026, 2, 2, 15, 30, 0, 0, time.UTC)},
		{in: "-1 day", want: time.Date(2026, 1, 30, 15, 30, 0, 0, time.UTC)},
		{in: "+1 week", want: time.Date(2026, 2, 7, 15, 30, 0, 0, time.UTC)},
		{in: "+2 WEEKS", want: time.Date(2026, 2, 14, 15, 30, 0, 0, time.UTC)},
		{in: "+3 hours", want: time.Date(2026, 1, 31, 18, 30, 0, 0, time.UTC)},
		{in: "+1 hour", want: time.Date(2026, 1, 31, 16, 30, 0, 0, time.UTC)},
		{in: "+30 minutes", want: time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC)},
		{in: "+1 minute", want: time.Date(2026, 1, 31, 15, 31, 0, 0, time.UTC)},
		{in: "+1 month", want: time.Date(2026, 3, 3, 15, 30, 0, 0, time.UTC)}, // calendar month via AddDate: Feb 31 -> Mar 3
		{in: "+2 months", want: time.Date(2026, 3, 31, 15, 30, 0, 0, time.UTC)},
		{in: "+1 year", want: time.Date(2027, 1, 31, 15, 30, 0, 0, time.UTC)},
		{in: " +2days ", want: time.Date(2026, 2, 2, 15, 30, 0, 0, time.UTC)},
		{in: "today", want: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)},
		{in: "Tomorrow", want: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2026-12-01", want: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{in: "2026-12-01T09:15", want: time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC)},
		{in: "2026-12-01 09:15", want: time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC)},
		{in: "2026-12-01T09:15:00Z", want: time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC)},
		{in: "2026-12-01T09:15:00+01:00", want: time.Date(2026, 12, 1, 8, 15, 0, 0, time.UTC)},
		{in: "", wantErr: true},
		{in: "next friday", wantErr: true},
		{in: "+2 fortnights", wantErr: true},
		{in: "+ days", wantErr: true},
		{in: "2 0 days", wantErr: true},
		{in: "+9999999 days", wantErr: true},
		{in: "2026-13-01", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDate(tc.in, now)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseDate(%q) = %v, want error", tc.in, got)
				}
				msg := err.Error()
				if !strings.Contains(msg, `"`+tc.in+`"`) || !strings.Contains(msg, "2026-12-01") || !strings.Contains(msg, "+2 days") {
					t.Fatalf("ParseDate(%q) error %q should quote the value and give examples", tc.in, msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Fatalf("ParseDate(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDateTodayUsesUTCDay(t *testing.T) {
	t.Parallel()
	// 23:30 on Jan 31 at UTC-5 is already Feb 1 in UTC.
	now := time.Date(2026, 1, 31, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	got, err := ParseDate("today", now)
	if err != nil {
		t.Fatalf("ParseDate: %v", err)
	}
	if want := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("today = %v, want %v", got, want)
	}
}
