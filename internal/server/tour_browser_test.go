package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// Every page a manager and an admin reach from the navigation, with data on it, at a desktop and a phone
// width: each shows what it is for, and nothing overflows the page or covers anything else. Screenshots go
// to $PANTRYFLOW_SCREENSHOTS.
func TestBrowserEveryPageLooksRight(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	var acme record
	h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &acme)
	h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example",
		"companyId": acme["id"], "source": "Trade show", "score": 70, "assignedTo": "rep@example.com"})
	for i, stage := range []string{"prospecting", "proposal", "negotiation"} {
		h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": fmt.Sprintf("Kitchen refit %d", i+1),
			"stage": stage, "amount": 12000 * (i + 1), "companyId": acme["id"], "assignedTo": "rep@example.com"}, nil)
	}
	id := h.startRun(wf, map[string]any{"lead": lead(t0.Add(-time.Hour))})
	h.waitLog(id, "wait_3_days", "started")

	pages := []struct{ path, shows string }{
		{"/inbox?whose=team", "Inbox"},
		{"/workflows", "Lead Nurturing Sequence"},
		{"/workflows/" + wf + "/run", "Start the run"},
		{"/workflows/new", "Round-Robin"},
		{"/executions", "Lead Nurturing Sequence"},
		{"/dashboards", "Lead Nurturing Sequence"},
		{"/dashboards/workflows/" + wf, "Lead Nurturing Sequence"},
		{"/crm/leads", "Jane"},
		{"/crm/leads/new", "First name"},
		{"/crm/opportunities", "3 opportunities"},
		{"/mail", "jane@acme.example"},
		{"/mail/templates", "welcome_qualified_lead"},
		{"/mail/templates/welcome_qualified_lead", "Placeholders"},
		{"/workflows/" + wf + "/replay", "Paths"},
		{"/settings/me", "My account"},
		{"/settings/tokens", "token"},
		{"/settings/users", "rep@example.com"},
	}
	for _, width := range []int{1280, 390} {
		b := browserAt(t, h, width)
		b.signIn("admin@example.com")
		for _, p := range pages {
			b.run(chromedp.Navigate(h.http.URL + p.path))
			b.waitText("main", p.shows)
			name := fmt.Sprintf("tour%s-%d", pathName(p.path), width)
			b.screenshot(name)
			b.looksRight(fmt.Sprintf("%s at %d px", p.path, width))
		}
	}
}

// pathName turns a path into a file name part: /crm/leads/new → -crm-leads-new.
func pathName(path string) string {
	out := []rune{}
	for _, r := range path {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = append(out, r)
		case r == '?':
			return string(out)
		default:
			if len(out) == 0 || out[len(out)-1] != '-' {
				out = append(out, '-')
			}
		}
	}
	return string(out)
}
