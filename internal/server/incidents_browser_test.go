package server_test

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The incidents page on a desktop and on a phone: failed runs grouped by step and reason, and one click
// retries a group; the bulk action's page follows it to the end.
func TestBrowserIncidentsRetryAGroup(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(mailToEmail())
	var runs []string
	for i := range 7 {
		email := ""
		if i < 4 {
			email = "nobody"
		}
		runs = append(runs, h.startRun(wf, map[string]any{"email": email}))
	}
	for _, r := range runs {
		h.waitStatus(r, "failed")
	}
	for _, width := range []int{1280, 390} {
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("manager@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/executions"))
		b.run(chromedp.Click(chromedp.ID("incidents-link")))
		b.waitText("h1", "Incidents")
		b.waitText("#incidents li:first-child .incident-reason", "recipient … is not an email address")
		b.waitText("#incidents li:first-child .incident-count", "4 runs of Mail the address")
		b.screenshot("incidents-" + strconv.Itoa(width))
		b.looksRight("the incidents at " + strconv.Itoa(width) + " px")
		if width == 1280 {
			b.run(chromedp.Click(chromedp.CSS(`#incidents li:first-child form button`)))
			b.waitText("#batch-state", "done")
			b.waitText("#batch-progress", "4 of 4 runs handled: 4 retried, 0 left as they were.")
			b.waitText(".flash", "4 runs will be retried from Mail the address.")
			b.screenshot("batch-done-" + strconv.Itoa(width))
			b.looksRight("a finished bulk retry at " + strconv.Itoa(width) + " px")
		} else {
			// From the executions list filtered to failed runs: "retry them", a preview, then the batch.
			b.run(chromedp.Navigate(h.http.URL + "/executions?status=failed&workflowId=" + wf))
			b.run(chromedp.Click(chromedp.CSS(`#bulk-actions a[data-action="retry"]`)))
			b.waitText("#batch-preview", "7 runs will be retried from Mail the address.")
			b.screenshot("batch-preview-" + strconv.Itoa(width))
			b.looksRight("a bulk retry's preview at " + strconv.Itoa(width) + " px")
			b.run(chromedp.Click(chromedp.ID("batch-go")))
			b.waitText("#batch-state", "done")
			b.waitText("#batch-progress", "7 of 7 runs handled: 7 retried")
		}
	}
}
