package expression

import (
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/businesstime"
)

// relativeUnits maps the unit words of relative dates (singular, plural and
// short forms) to how they move a time.
var relativeUnits = map[string]func(t time.Time, n int) time.Time{
	"minute":  func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Minute) },
	"minutes": func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Minute) },
	"min":     func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Minute) },
	"mins":    func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Minute) },
	"hour":    func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Hour) },
	"hours":   func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Hour) },
	"day":     func(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) },
	"days":    func(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) },
	"week":    func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) },
	"weeks":   func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) },
	"month":   func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) },
	"months":  func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) },
	"year":    func(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) },
	"years":   func(t time.Time, n int) time.Time { return t.AddDate(n, 0, 0) },
}

// maxRelativeAmount keeps relative dates within a sane range (and away from
// time.Duration overflow).
const maxRelativeAmount = 100_000

// ParseDate reads a due date: relative to now ("+2 days", "in 3 hours",
// "-1 week", "+1 month", "today", "tomorrow") or absolute (RFC3339,
// "2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04", read as UTC).
// Results are in UTC.
func ParseDate(s string, now time.Time) (time.Time, error) {
	in := strings.TrimSpace(s)
	now = now.UTC()
	switch strings.ToLower(in) {
	case "today":
		return startOfDay(now), nil
	case "tomorrow":
		return startOfDay(now).AddDate(0, 0, 1), nil
	}
	if t, ok := parseDateText(in); ok {
		return t.UTC(), nil
	}
	if t, ok := parseRelative(in, now); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date: use a date like 2026-12-01 or a relative date like +2 days", s)
}

// ParseDateIn is ParseDate with business offsets ("+2 business days", "8 business hours") counted in the
// working calendar.
func ParseDateIn(cal businesstime.Calendar, s string, now time.Time) (time.Time, error) {
	if o, err := businesstime.ParseOffset(s); err == nil && o.Business {
		return cal.Move(now, o)
	}
	return ParseDate(s, now)
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseRelative reads "[in] [+|-]N unit", e.g. "+2 days", "in 3 hours",
// "-1 week" or "+30minutes".
func parseRelative(s string, now time.Time) (time.Time, bool) {
	sign, n, unit, ok := businesstime.SplitAmount(s, 6)
	if !ok || n > maxRelativeAmount {
		return time.Time{}, false
	}
	move, ok := relativeUnits[unit]
	if !ok {
		return time.Time{}, false
	}
	return move(now, sign*n), true
}
