package views

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"

	"github.com/kitchenpantry/pantryflow/internal/words"
)

// The pages' words for times and durations come from internal/words; these are their short names in the
// templates.

func when(t time.Time) string                      { return words.When(t) }
func dueText(due *time.Time, now time.Time) string { return words.Due(due, now) }
func plural(n int, unit string) string             { return words.Plural(n, unit) }

// When is a date as the page's reader reads it, in their time zone: "3 Dec 2026 16:30 CET".
func (p Page) When(t time.Time) string { return words.WhenIn(t, p.Zone) }

// whenPtr is when for an optional time; "—" when there is none.
func whenPtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return when(*t)
}

// duration shows how long something took, or has taken so far.
func duration(start time.Time, end *time.Time, now time.Time) string {
	to := now
	if end != nil {
		to = *end
	}
	return words.Took(to.Sub(start))
}

// whereName is the step a run is at, by its name; by its id only when the step has no name to read.
func whereName(e app.ExecutionSummary) string {
	if e.CurrentStepName != "" {
		return e.CurrentStepName
	}
	return e.CurrentStep
}

// lastRuns says which past runs a replay took: "the last run", "the last 100 runs", "no runs yet".
func lastRuns(n int) string {
	switch n {
	case 0:
		return "no runs yet"
	case 1:
		return "the last run"
	}
	return "the last " + plural(n, "run")
}

// prettyJSON shows a value as indented JSON for people to read.
func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// slaLines say a task's reminders and escalation in words, in the reader's time zone: "Reminder sent Mon
// 30 Nov 12:00 UTC", "Escalates Mon 30 Nov 18:00 UTC, to the assignee's manager", or what the escalation did.
func slaLines(sla *app.TaskSLA, zone *time.Location) []string {
	if sla == nil {
		return nil
	}
	if zone == nil {
		zone = time.UTC
	}
	const layout = "Mon 2 Jan 15:04 MST"
	var out []string
	for _, r := range sla.Reminders {
		if r.FiredAt != nil {
			out = append(out, "Reminder sent "+r.FiredAt.In(zone).Format(layout))
		} else {
			out = append(out, "Reminder at "+r.At.In(zone).Format(layout))
		}
	}
	if x := sla.Escalation; x != nil {
		switch {
		case x.FiredAt != nil:
			out = append(out, fmt.Sprintf("%s %s", strings.ToUpper(x.Outcome[:1])+x.Outcome[1:], "on "+x.FiredAt.In(zone).Format(layout)))
		default:
			to := "to the assignee's manager"
			if team, ok := strings.CutPrefix(x.To, "team:"); ok {
				to = "to the queue of team " + team
			} else if x.To != "manager" && x.To != "" {
				to = "to " + x.To
			}
			out = append(out, "Escalates "+x.At.In(zone).Format(layout)+", "+to)
		}
	}
	return out
}

func itoa(n int) string { return fmt.Sprint(n) }

// answerText is a task's answer as a person writes it, in the reader's time zone: "3 Dec 2026 16:30 CET"
// for a date and time, "3 Dec 2026" for a date, Yes or No for a box, a number without a trailing .0.
func answerText(f workflow.FormField, v any, zone *time.Location) string {
	if v == nil || v == "" {
		return "—"
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		switch f.Type {
		case workflow.FieldDatetime:
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				return words.WhenIn(t, zone)
			}
		case workflow.FieldDate:
			if t, err := time.Parse(time.DateOnly, x); err == nil {
				return t.Format("2 Jan 2006")
			}
		}
		return x
	}
	return fmt.Sprint(v)
}
