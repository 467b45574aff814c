package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A rep signs in, opens the "Schedule Discovery Call" task of a running lead nurture, submits it without the
// required date (the error shows inline), then with valid values; the execution page shows the run done.
func TestBrowserRepCompletesATask(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(examples("lead_nurture_sequence.json"))
	id := h.startRun(wf, map[string]any{"lead": lead(t0.Add(-time.Hour))})
	h.waitLog(id, "wait_3_days", "started")
	h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+id+"/wake", nil, nil)
	tk := h.openTask(id)

	b := newBrowser(t, h, 1280, 900)
	b.signIn("rep@example.com")
	b.run(chromedp.Navigate(h.http.URL + "/inbox"))
	b.waitText("#tasks", "Schedule Discovery Call")
	b.screenshot("inbox-1280")
	b.looksRight("inbox at 1280 px")
	b.run(chromedp.Click(chromedp.CSS(`#tasks a`)), chromedp.WaitVisible(chromedp.ID("task-form")))
	if got := b.text("h1"); got != "Schedule Discovery Call" {
		t.Fatalf("task page title %q", got)
	}
	b.run(chromedp.SendKeys(chromedp.ID("f-agenda"), "menu costs"), chromedp.Click(chromedp.CSS(`#task-form button[type="submit"]`)))
	b.waitText("#task-form", "Call date is required")
	b.screenshot("task-error-1280")
	b.looksRight("task form with an error at 1280 px")

	// The same pages on a phone, before the task is done.
	phone := newPhone(t, h)
	phone.signIn("rep@example.com")
	phone.run(chromedp.Navigate(h.http.URL + "/inbox"))
	phone.waitText("#tasks", "Schedule Discovery Call")
	if w := phone.count(`document.documentElement.clientWidth`); w != 390 {
		t.Fatalf("the phone's page is %d px wide, want 390", w)
	}
	phone.screenshot("inbox-390")
	phone.looksRight("inbox at 390 px")
	// A rep's inbox holds only their own tasks: no row repeats "Assigned to" with their own email, and on a
	// phone the task's title heads its row across the whole width.
	if got := phone.text("#tasks"); strings.Contains(got, "rep@example.com") || strings.Contains(got, "Assigned to") {
		t.Errorf("the rep's inbox repeats the assignee: %q", got)
	}
	if w := phone.count(`Math.round(document.querySelector('#tasks td.row-title').getBoundingClientRect().width)`); w < 300 {
		t.Errorf("the task's title takes %d px of a 390 px phone, want the row's width", w)
	}
	phone.run(chromedp.Navigate(h.http.URL+"/tasks/"+tk.ID), chromedp.WaitVisible(chromedp.ID("task-form")),
		chromedp.Click(chromedp.CSS(`#task-form button[type="submit"]`)))
	phone.waitText("#task-form", "Call date is required")
	phone.screenshot("task-error-390")
	phone.looksRight("task form with an error at 390 px")

	b.run(chromedp.SetValue(chromedp.ID("f-callDate"), "2026-12-03T15:30"), chromedp.Click(chromedp.CSS(`#task-form button[type="submit"]`)))
	b.waitText("#task-form", "Completed by rep@example.com")
	b.run(chromedp.Click(chromedp.CSS(`#task-form a[href^="/executions/"]`)))
	b.waitText("#status", "completed")
	if e := h.get(id); e.Status != "completed" || e.Variables["callDate"] != "2026-12-03T15:30:00Z" {
		t.Fatalf("the run is %s with callDate %v", e.Status, e.Variables["callDate"])
	}

	// The execution page is for managers.
	for _, m := range []struct {
		b     *browser
		width string
	}{{newBrowser(t, h, 1280, 900), "1280"}, {newPhone(t, h), "390"}} {
		m.b.signIn("manager@example.com")
		m.b.run(chromedp.Navigate(h.http.URL + "/executions/" + id))
		m.b.waitText("#status", "completed")
		m.b.waitText("#log", "Schedule Discovery Call")
		m.b.screenshot("execution-" + m.width)
		m.b.looksRight("execution page at " + m.width + " px")
	}
}
