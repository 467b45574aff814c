package views

import (
	"encoding/json"
	"fmt"
	"time"

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
