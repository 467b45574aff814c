package views

import (
	"encoding/json"
	"net/http"
	"net/url"
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
