package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The manager after a bad day, on a desktop and on a phone: the executions list finds the failed run by the
// lead's name and shows whom it is about; on its page "Fix this run" reads the lead again from the CRM (its
// email fixed meanwhile) and retries; the run completes and its changes show the email before and after.
func TestBrowserFixARunsDataAndRetry(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(welcomeOnCreate())
	for i, width := range []int{1280, 390} {
		name := []string{"Lopez", "Ortega"}[i]
		lead := h.createLead(h.rep, record{"firstName": "Ana", "lastName": name, "source": "trade show", "assignedTo": "rep@example.com"})
		runs := h.waitExecutions(wf, int64(i+1))
		var run string
		for _, r := range runs.Items {
			if e := h.getWithRecord(r["id"].(string)); e.Subject != nil && e.Subject.ID == lead {
				run = e.ID
			}
		}
		h.waitStatus(run, "failed")
		h.must(http.StatusOK, h.rep, "PATCH", "/api/leads/"+lead, record{"email": "ana." + strconv.Itoa(width) + "@bistro.example"}, nil)

		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("manager@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/executions"))
		b.waitText("h1", "Executions")
		b.run(chromedp.SendKeys(chromedp.ID("q"), "ana "+name), chromedp.Submit(chromedp.ID("q")))
		b.waitText("#executions", "1 execution")
		b.waitText(`#executions tr[data-execution="`+run+`"] .run-subject`, "Ana "+name)
		b.screenshot("executions-search-" + strconv.Itoa(width))
		b.looksRight("the executions list searched by a lead's name at " + strconv.Itoa(width) + " px")

		b.run(chromedp.Click(chromedp.CSS(`#executions tr[data-execution="` + run + `"] a[href^="/executions/"]`)))
		b.waitText("#fix-run h2", "Fix this run")
		b.waitText("#run-subject", "Ana "+name)
		b.screenshot("run-fix-form-" + strconv.Itoa(width))
		b.looksRight("a failed run's fix form at " + strconv.Itoa(width) + " px")
		// "Read Ana … again from the CRM first" is ticked on a failed run; Apply retries from the failed step.
		if !evalJS[bool](b, `document.querySelector('#fix-run input[name="refreshRecord"]').checked`) {
			t.Fatal("the refresh is not ticked on a failed run")
		}
		b.run(chromedp.Click(chromedp.CSS(`#fix-run button[type="submit"]`)))
		b.waitText(".flash", "retrying from its failed step")
		h.waitStatus(run, "completed")
		b.run(chromedp.Navigate(h.http.URL + "/executions/" + run))
		b.waitText("#status", "completed")
		b.waitText("#run-changes .change-after", "ana."+strconv.Itoa(width)+"@bistro.example")
		if got := evalJS[string](b, `[...document.querySelectorAll('#run-changes .change-values')].map(e => e.textContent.replace(/\s+/g, ' ').trim()).join(' | ')`); got != "lead.email (empty) → ana."+strconv.Itoa(width)+"@bistro.example" {
			t.Fatalf("the run's changes read %q", got)
		}
		b.screenshot("run-fixed-" + strconv.Itoa(width))
		b.looksRight("a fixed run's changes at " + strconv.Itoa(width) + " px")
	}
}
