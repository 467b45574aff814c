package views

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"

	"github.com/kitchenpantry/pantryflow/internal/words"
)

// The pages' words for times and durations come from internal/words; these are their short names in the
// templates.

func when(t time.Time) string                      { return words.When(t) }
func dueText(due *time.Time, now time.Time) string { return words.Due(due, now) }
func plural(n int, unit string) string             { return words.Plural(n, unit) }

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

// prettyJSON shows a value as indented JSON for people to read.
func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// slaLines say a task's reminders and escalation in words: "Reminder sent Mon 30 Nov 12:00 UTC",
// "Escalates Mon 30 Nov 18:00 UTC, to the assignee's manager", or what the escalation did.
func slaLines(sla *app.TaskSLA) []string {
	if sla == nil {
		return nil
	}
	const layout = "Mon 2 Jan 15:04 UTC"
	var out []string
	for _, r := range sla.Reminders {
		if r.FiredAt != nil {
			out = append(out, "Reminder sent "+r.FiredAt.UTC().Format(layout))
		} else {
			out = append(out, "Reminder at "+r.At.UTC().Format(layout))
		}
	}
	if x := sla.Escalation; x != nil {
		switch {
		case x.FiredAt != nil:
			out = append(out, fmt.Sprintf("%s %s", strings.ToUpper(x.Outcome[:1])+x.Outcome[1:], "on "+x.FiredAt.UTC().Format(layout)))
		default:
			to := "to the assignee's manager"
			if team, ok := strings.CutPrefix(x.To, "team:"); ok {
				to = "to the queue of team " + team
			} else if x.To != "manager" && x.To != "" {
				to = "to " + x.To
			}
			out = append(out, "Escalates "+x.At.UTC().Format(layout)+", "+to)
		}
	}
	return out
}

func itoa(n int) string { return fmt.Sprint(n) }
