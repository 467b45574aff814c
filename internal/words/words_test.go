package words

import (
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	now := time.Date(2026, 11, 26, 14, 5, 0, 0, time.UTC)
	in3h, ago2d := now.Add(3*time.Hour), now.Add(-50*time.Hour)
	tests := []struct{ got, want string }{
		{Plural(1, "day"), "1 day"}, {Plural(3, "day"), "3 days"}, {Plural(2, "opportunity"), "2 opportunities"},
		{Plural(2, "key"), "2 keys"}, {Plural(0, "run"), "0 runs"},
		{Exact(72 * time.Hour), "3 days"}, {Exact(2 * time.Hour), "2 hours"}, {Exact(90 * time.Minute), "90 minutes"},
		{Exact(1500 * time.Millisecond), "1.5s"}, {Exact(time.Minute), "1 minute"},
		{About(30 * time.Second), "under a minute"}, {About(5 * time.Minute), "5 minutes"},
		{About(30 * time.Hour), "30 hours"}, {About(72 * time.Hour), "3 days"},
		{Wait(10 * time.Second), "a minute"}, {Wait(4*time.Minute + 20*time.Second), "4 minutes"},
		{Wait(time.Minute), "1 minute"}, {Wait(90 * time.Minute), "2 hours"}, {Wait(time.Hour), "1 hour"},
		{Took(850 * time.Millisecond), "850 ms"}, {Took(4200 * time.Millisecond), "4.2 s"}, {Took(3 * time.Hour), "3 hours"},
		{Ms(850), "850 ms"}, {Ms(4200), "4.2 s"}, {Ms(3000), "3 s"}, {Ms(180_000), "3 min"},
		{Ms(5*3600_000 + 600_000), "5 h 10 min"}, {Ms(5 * 3600_000), "5 h"},
		{Ms(24 * 3600_000), "1 day"}, {Ms(51 * 3600_000), "2 days 3 h"},
		{Pct(12.5), "12.5 %"}, {Pct(50), "50 %"},
		{When(now.In(time.FixedZone("CET", 3600))), "26 Nov 2026 14:05 UTC"},
		{Due(nil, now), "no due date"}, {Due(&in3h, now), "due in 3 hours"}, {Due(&ago2d, now), "overdue by 2 days"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestReason(t *testing.T) {
	for _, tt := range []struct{ err, want string }{
		{`Step "Send welcome email" (welcome) failed: send_email: recipient "ana@" is not an email address`, "recipient … is not an email address"},
		{`Step "Send welcome email" (welcome) failed: send_email: recipient is empty (the variable it comes from has no value)`, "recipient is empty (the variable it comes from has no value)"},
		{`call_api: the service answered 503`, "the service answered 503"},
		{"", "no reason given"},
	} {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
