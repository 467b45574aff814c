package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// count evaluates a JavaScript expression that yields a number.
func (b *browser) count(expr string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return n
}

// A manager qualifies a lead on its page and sees the run it started; then, on the executions page and
// without reloading it, a second lead qualified elsewhere shows up as a new run.
func TestBrowserManagerQualifiesALeadAndSeesTheRun(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	h.createWorkflow(examples("lead_nurture_sequence.json"))
	var acme record
	h.must(http.StatusCreated, h.rep, "POST", "/api/companies", record{"name": "Acme Diner"}, &acme)
	first := h.createLead(h.rep, record{"firstName": "Jane", "lastName": "Doe", "email": "jane@acme.example",
		"phone": "+1 555 0100", "companyId": acme["id"], "source": "Trade show", "score": 70, "assignedTo": "rep@example.com",
		"notes": "Runs three diners downtown; wants a quote for a kitchen refit before the spring."})
	second := h.createLead(h.rep, record{"firstName": "John", "lastName": "Roe", "email": "john@roe.example"})
	h.must(http.StatusCreated, h.rep, "POST", "/api/crm-tasks", record{"title": "Send the refit brochure", "priority": "high",
		"dueDate": "+1 day", "relatedType": "lead", "relatedId": first, "assignedTo": "rep@example.com"}, nil)

	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.run(
		chromedp.Navigate(h.http.URL+"/crm/leads/"+first),
		chromedp.WaitVisible(chromedp.ID("record-form")),
		chromedp.SetValue(chromedp.ID("f-status"), "qualified"),
		chromedp.Click(chromedp.CSS(`#record-form button[type="submit"]`)),
	)
	b.waitText(".flash", "Lead qualified")
	b.waitText("#record-runs", "Lead Nurturing Sequence")
	b.waitText("#record-status", "qualified")
	b.screenshot("crm-lead-1280")
	b.looksRight("the lead page at 1280 px")

	// One tab: the executions page, which must pick up a new run by itself.
	b.run(chromedp.Navigate(h.http.URL + "/executions"))
	b.waitText("#executions", "Lead Nurturing Sequence")
	if n := b.count(`document.querySelectorAll("#executions tr[data-execution]").length`); n != 1 {
		t.Fatalf("the executions page lists %d runs, want 1", n)
	}
	b.run(chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	h.must(http.StatusOK, h.manager, "PATCH", "/api/leads/"+second, record{"status": "qualified"}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for b.count(`document.querySelectorAll("#executions tr[data-execution]").length`) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second lead's run did not appear on the executions page within 10 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if b.count(`window.notReloaded === true ? 1 : 0`) != 1 {
		t.Fatal("the executions page was reloaded; the new run must appear without that")
	}

	// The lead page on a phone.
	phone := newPhone(t, h)
	phone.signIn("manager@example.com")
	phone.run(chromedp.Navigate(h.http.URL+"/crm/leads/"+first), chromedp.WaitVisible(chromedp.ID("record-form")))
	if w := phone.count(`document.documentElement.clientWidth`); w != 390 {
		t.Fatalf("the phone's page is %d px wide, want 390", w)
	}
	phone.waitText("#record-runs", "Lead Nurturing Sequence")
	phone.screenshot("crm-lead-390")
	phone.looksRight("the lead page at 390 px")
}
