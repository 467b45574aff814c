package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// notCreating are the API routes that change something without creating anything: they change a state
// (publish, enable, cancel, wake, retry), replace a secret or a record, or apply a suggestion, whose retry
// finds it applied already, or only read what they are sent (a template's preview, a draft's replay). Every
// other POST, PUT or PATCH of the API must take an Idempotency-Key.
var notCreating = map[string]bool{
	"api.workflows.publish": true, "api.workflows.enabled": true, "api.executions.cancel": true,
	"api.executions.wake": true, "api.executions.retry": true, "api.workflows.webhook.rotate": true,
	"api.secrets.rotate": true, "api.workflows.suggestions.apply": true,
	"api.leads.update": true, "api.contacts.update": true, "api.companies.update": true,
	"api.opportunities.update": true, "api.crm-tasks.update": true,
	"api.mailtemplates.preview": true, "api.workflows.replay": true,
	// A team's PUT replaces it whole; claiming, unclaiming, reassigning and one's settings change a state.
	"api.teams.put": true, "api.tasks.claim": true, "api.tasks.unclaim": true, "api.tasks.reassign": true,
	"api.me.settings.put": true,
	// The company's working calendar is replaced whole.
	"api.calendar.put": true,
	// Editing a run's variables sets them; skipping a failed step changes its state (a second skip finds none).
	"api.executions.variables": true, "api.executions.skip": true,
	// Undoing a field change sets the field back; a second undo is refused.
	"api.journey.undo": true,
}

// TestEveryCreatingRouteTakesAnIdempotencyKey: each creating route named is in the route table (a typo
// would silently leave a route without keys), and each route of the API that writes is either creating
// or known not to create, so a new one cannot be added without deciding.
func TestEveryCreatingRouteTakesAnIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := &Handlers{}
	named := map[string]httpx.Route{}
	for _, r := range s.Routes() {
		named[r.Name] = r
	}
	for name, status := range creatingRoutes {
		r, ok := named[name]
		if !ok {
			t.Errorf("creating route %q is not in the route table", name)
			continue
		}
		if !strings.HasPrefix(r.Path, "/api/") || r.Role == "" || status < 200 || status > 299 {
			t.Errorf("creating route %q (%s %s, role %q, answers %d) is not a signed-in API route answering 2xx", name, r.Method, r.Path, r.Role, status)
		}
	}
	for _, r := range s.Routes() {
		writes := r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch
		if !writes || !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		_, creating := creatingRoutes[r.Name]
		if creating == notCreating[r.Name] {
			t.Errorf("route %q (%s %s): say whether it creates something (creatingRoutes) or not (notCreating)", r.Name, r.Method, r.Path)
		}
	}
}

// TestCheckKey: the one key a request may carry, up to 255 characters of text without control characters.
func TestCheckKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		values []string
		ok     bool
	}{
		{[]string{"5f0c6e1a-8d4b-4b7e-9a53-2c8f8e7d1b90"}, true},
		{[]string{strings.Repeat("ü", 255)}, true},
		{[]string{strings.Repeat("a", 256)}, false},
		{[]string{""}, false},
		{[]string{"a", "b"}, false},
		{[]string{"a\tb"}, false},
		{[]string{"a\x7fb"}, false},
		{[]string{"a\u0085b"}, false},
		{[]string{"a\xffb"}, false},
	} {
		_, err := checkKey(tt.values)
		if (err == nil) != tt.ok {
			t.Errorf("checkKey(%q) = %v; want ok %t", tt.values, err, tt.ok)
		}
	}
}
