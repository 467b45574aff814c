// Package words writes durations, counts, rates and dates the way people read them, for every page, message
// and log line: one place, so "3 days" reads the same in a run's log, on a task and on a dashboard. It imports
// nothing of ours.
package words

import (
	"fmt"
	"strings"
	"time"
)

// Plural is a count with its unit: "1 day", "3 days", "2 opportunities".
func Plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	if strings.HasSuffix(unit, "y") && !strings.HasSuffix(unit, "ay") && !strings.HasSuffix(unit, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(unit, "y")) // opportunity → opportunities
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Exact says a duration without rounding, in its largest whole unit: "3 days", "2 hours", "90 minutes",
// and "1.5s" when no whole unit fits. A workflow's delays and retry waits read this way in the run's log.
func Exact(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return Plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return Plural(int(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return Plural(int(d/time.Minute), "minute")
	}
	return d.Round(time.Millisecond).String()
}

// About says roughly how long: "under a minute", "5 minutes", "30 hours", "3 days" (hours up to two days).
func About(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return Plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return Plural(int(d/time.Hour), "hour")
	default:
		return Plural(int(d/(24*time.Hour)), "day")
	}
}

// Wait says how long someone must wait, rounded up to what matters: "a minute", "4 minutes", "2 hours".
func Wait(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "a minute"
	case d < time.Hour:
		return Plural(int(d.Round(time.Minute)/time.Minute), "minute")
	default:
		return Plural(int(d.Round(time.Hour)/time.Hour), "hour")
	}
}

// Took says how long something took: "850 ms", "4.2 s", then as About.
func Took(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return About(d)
}

// Ms writes a measured duration in milliseconds compactly, as the dashboards do: 850 ms, 4.2 s, 3 min,
// 5 h 10 min, 2 days 3 h.
func Ms(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", ms)
	case d < time.Minute:
		return Seconds(d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	unit := "days"
	if days == 1 {
		unit = "day"
	}
	if h == 0 {
		return fmt.Sprintf("%d %s", days, unit)
	}
	return fmt.Sprintf("%d %s %d h", days, unit, h)
}

// Seconds writes seconds with at most one decimal: "4.2 s", "3 s".
func Seconds(s float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", s), ".0") + " s" }

// Pct writes a rate in percent: "12.5 %", "50 %".
func Pct(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") + " %" }

// When writes a moment as the pages show it: "26 Nov 2026 14:05 UTC".
func When(t time.Time) string { return WhenIn(t, time.UTC) }

// WhenIn is When in a time zone: "3 Dec 2026 16:30 CET". A zone without an abbreviation of its own shows
// its offset ("+04").
func WhenIn(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006 15:04 MST")
}

// On writes a moment with its weekday, in a time zone, as a wait's log says when it ends: "Wed 9 Dec 15:00
// CET" (the year too when it is not the year of since: "Mon 4 Jan 2027 09:00 UTC").
func On(t, since time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if t.Year() != since.In(loc).Year() {
		return t.Format("Mon 2 Jan 2006 15:04 MST")
	}
	return t.Format("Mon 2 Jan 15:04 MST")
}

// Due says when something is due from now: "due in 3 hours", "overdue by 2 days", "no due date".
func Due(due *time.Time, now time.Time) string {
	if due == nil {
		return "no due date"
	}
	d := due.Sub(now)
	if d < 0 {
		return "overdue by " + About(-d)
	}
	return "due in " + About(d)
}

// Sentence starts a message with a capital and ends it with a full stop, as pages show messages.
func Sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// List lists items as people write them: "a", "a and b", "a, b and c"; "" for none.
func List(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
