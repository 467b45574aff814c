package views

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/app"
)

// csrfHeaders is the hx-headers value that makes every htmx request carry the CSRF token.
func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

func statusTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusConflict:
		return "Already done"
	case http.StatusTooManyRequests:
		return "Slow down"
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "Something is not right"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// htmxConfig: no inline styles or eval (the CSP forbids both), and error answers are swapped in too, since
// ours are fragments written to be shown (a form with its errors, "already done").
const htmxConfig = `{"includeIndicatorStyles": false, "allowEval": false, "allowScriptTags": false, ` +
	`"responseHandling": [{"code": "204", "swap": false}, {"code": "[2345]..", "swap": true}]}`

func startedBy(t app.TriggerInfo) string {
	switch {
	case t.StartedBy != "":
		return t.StartedBy
	case t.Type != "":
		return t.Type
	}
	return "someone"
}

// dateValue is a time as an <input type="date"> value.
func dateValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// pageURL is a list's address at another offset, with the same filters.
func pageURL(path string, q url.Values, offset int) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set("offset", strconv.Itoa(offset))
	return path + "?" + c.Encode()
}

func triggerText(w app.WorkflowSummary) string {
	switch w.TriggerType {
	case "event":
		return "the event " + w.TriggerEvent
	case "scheduled":
		return "a schedule"
	case "webhook":
		return "a webhook"
	}
	return "hand (Run)"
}

func versionBadge(status string) string {
	switch status {
	case "published":
		return "completed"
	case "draft":
		return "waiting"
	}
	return "cancelled"
}

// sortedKeys are a map's keys in order, for showing it the same way every time.
func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// changeRow is one value a run change changed: a variable, or a field of a record ("lead.email").
type changeRow struct {
	Name          string
	Before, After any
}

// changeRows are the values a run change changed, in order: for an object (a record), the fields that
// differ, so a refresh reads "lead.email: (empty) → ana@bistro.example" instead of two whole records.
func changeRows(c app.RunChange) []changeRow {
	var out []changeRow
	for _, name := range slices.Sorted(maps.Keys(c.After)) {
		before, _ := c.Before[name].(map[string]any)
		after, _ := c.After[name].(map[string]any)
		if before == nil || after == nil {
			out = append(out, changeRow{name, c.Before[name], c.After[name]})
			continue
		}
		keys := slices.Sorted(maps.Keys(after))
		for k := range before {
			if _, ok := after[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			if changeText(before[k]) != changeText(after[k]) {
				out = append(out, changeRow{name + "." + k, before[k], after[k]})
			}
		}
	}
	return out
}

// changeText is a changed value in a few words: text as is, objects as compact JSON, "(empty)" for none.
func changeText(v any) string {
	if v == nil || v == "" {
		return "(empty)"
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// fixTypeText says a variable's type in the fix form's words.
func fixTypeText(v app.FixVariable) string {
	t := map[string]string{"string": "text", "number": "number", "boolean": "yes or no", "object": "JSON object",
		"array": "JSON list", "date": "date"}[v.Type]
	if v.Required {
		t += ", required"
	}
	return t
}
