package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// when shows a time the way the pages do: "26 Nov 2026 14:05 UTC".
func when(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 MST") }

// whenPtr is when for an optional time; "—" when there is none.
func whenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

// dueText says when something is due relative to now: "overdue by 2 days", "in 3 hours".
func dueText(due *time.Time, now time.Time) string {
	if due == nil {
		return "no due date"
	}
	d := due.Sub(now)
	if d < 0 {
		return "overdue by " + span(-d)
	}
	return "due in " + span(d)
}

func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "under a minute"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(int(d/(24*time.Hour)), "day")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	if strings.HasSuffix(unit, "y") && !strings.HasSuffix(unit, "ay") && !strings.HasSuffix(unit, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(unit, "y")) // opportunity → opportunities
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// duration shows how long something took.
func duration(start time.Time, end *time.Time, now time.Time) string {
	to := now
	if end != nil {
		to = *end
	}
	d := to.Sub(start)
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return span(d)
}

// prettyJSON shows a value as indented JSON for people to read.
func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
